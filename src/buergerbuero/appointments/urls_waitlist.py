"""Citizen pages of the waitlist and the release lottery under /termine/ (docs/appointments-waitlist-lottery.md)."""

from django.urls import path

from .views import lottery, waitlist

urlpatterns = [
    path("warteliste/", waitlist.register, name="waitlist"),
    path("warteliste/angebot/<str:token>/", waitlist.offer, name="waitlist_offer"),
    path("warteliste/<uuid:public_id>/<str:token>/", waitlist.entry, name="waitlist_entry"),
    path("verlosung/<int:round_id>/", lottery.round_page, name="lottery"),
    path("verlosung/teilnahme/<str:token>/", lottery.entry_page, name="lottery_entry"),
]
