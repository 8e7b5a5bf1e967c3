"""Staff URLs (under /backoffice/): everything here runs in the staff member's tenant scope.

Every view taking ``municipality_slug`` must be guarded by ``accounts.permissions.staff_view``;
``tests/accounts/test_isolation.py`` walks this list and proves it for each one.
"""

from django.urls import path

from .views import backoffice

app_name = "backoffice"

urlpatterns = [
    path("", backoffice.start, name="start"),
    path("anmelden/", backoffice.login, name="login"),
    path("anmelden/code/", backoffice.otp_verify, name="otp_verify"),
    path("anmelden/zwei-faktor/", backoffice.otp_enrol, name="otp_enrol"),
    path("abmelden/", backoffice.logout, name="logout"),
    path("<slug:municipality_slug>/", backoffice.municipality_start, name="municipality"),
    path("<slug:municipality_slug>/einstellungen/", backoffice.municipality_settings, name="municipality_settings"),
    path("<slug:municipality_slug>/protokoll/", backoffice.audit_log, name="audit_log"),
]
