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
    path("backoffice/", include("buergerbuero.accounts.urls_backoffice")),
    # The portal comes last: its municipality entry URLs (/kaarst/) are a catch-all slug.
    path("", include("buergerbuero.portal.urls")),
]
