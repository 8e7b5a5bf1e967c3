from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from buergerbuero.core import views as core_views

from .api import api

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("metrics", core_views.metrics, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("konto/", include("buergerbuero.accounts.urls")),
    # The catalogue's fixed back-office paths (/backoffice/katalog/) before the municipality slug.
    path("backoffice/", include("buergerbuero.catalog.urls_backoffice")),
    # Statistics: the Kreis's fixed /backoffice/statistik/ before the municipality slug; /backoffice/<town>/statistik/.
    path("backoffice/", include("buergerbuero.analytics.urls_backoffice")),
    # The Digitalisierungscheck (/backoffice/digitalisierungscheck/ and /backoffice/<town>/digitalisierungscheck/).
    path("backoffice/", include("buergerbuero.analytics.urls_digicheck")),
    path("backoffice/", include("buergerbuero.appointments.urls_backoffice")),
    path("backoffice/", include("buergerbuero.queueing.urls_backoffice")),
    path("backoffice/", include("buergerbuero.accounts.urls_backoffice")),
    # Online applications in the back office: inbox and cases, form versions, exports, outbox.
    path("backoffice/", include("buergerbuero.applications.urls_backoffice")),
    path("backoffice/", include("buergerbuero.applications.urls_backoffice_forms")),
    path("backoffice/", include("buergerbuero.applications.urls_exports")),
    path("backoffice/", include("buergerbuero.applications.urls_files_backoffice")),
    path("backoffice/", include("buergerbuero.core.urls_backoffice")),
    # Appointments: booking, manage links, reminders' answers, waitlist and lottery (/termine/...).
    path("termine/", include("buergerbuero.appointments.urls")),
    # Online applications: forms and drafts, the citizen's cases and mailbox, uploads (/antraege/...).
    # Submission first: its entwurf/<draft>/absenden/ would otherwise match the forms' step pattern.
    path("antraege/", include("buergerbuero.applications.urls_submission")),
    path("antraege/", include("buergerbuero.applications.urls_forms")),
    path("antraege/", include("buergerbuero.applications.urls_cases")),
    path("antraege/", include("buergerbuero.applications.urls_files")),
    path("bezahlen/", include("buergerbuero.payments.urls")),
    # Citizen feedback: anonymous ratings and the "what next online" survey (/rueckmeldung/...).
    path("rueckmeldung/", include("buergerbuero.analytics.urls")),
    # The live queue: occupancy, tickets, kiosk, call display, live streams (/warteschlange/...).
    path("warteschlange/", include("buergerbuero.queueing.urls")),
    # Before the portal, whose municipality entry URLs (/kaarst/) are a catch-all slug.
    path("", include("buergerbuero.catalog.urls")),
    # The portal comes last: its municipality entry URLs (/kaarst/) are a catch-all slug.
    path("", include("buergerbuero.portal.urls")),
]
