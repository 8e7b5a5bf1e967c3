"""The citizen's online application: start page, steps, summary, discarding (``/antraege/...``)."""

from django.urls import path, re_path

from .views import forms

app_name = "application_forms"

SERVICE = r"^(?!(?:meine|vorgang|dateien|entwurf|bezahlen)/)(?P<service_slug>[-a-zA-Z0-9_]+)/$"

urlpatterns = [
    path("entwurf/<uuid:draft_id>/zusammenfassung/", forms.summary, name="summary"),
    path("entwurf/<uuid:draft_id>/verwerfen/", forms.discard, name="discard"),
    path("entwurf/<uuid:draft_id>/<slug:step_key>/", forms.step, name="step"),
    # Any other single segment is a service; the words the other URL modules use under /antraege/ are not.
    re_path(
        r"^(?!(?:meine|vorgang|dateien|entwurf|bezahlen)/)(?P<service_slug>[-a-zA-Z0-9_]+)/$", forms.start, name="start"
    ),
]
