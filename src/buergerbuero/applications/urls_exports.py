from django.urls import path

from .views import exports_fitconnect, exports_xga

app_name = "exports"

urlpatterns: list = []  # type: ignore[type-arg]

urlpatterns += [
    path(
        "<slug:municipality_slug>/antraege/<uuid:case_id>/fitconnect.zip",
        exports_fitconnect.fitconnect_zip,
        name="fitconnect",
    ),
]

urlpatterns += [
    path(
        "<slug:municipality_slug>/antraege/<uuid:case_id>/xgewerbeanzeige.xml",
        exports_xga.xgewerbeanzeige_xml,
        name="xgewerbeanzeige",
    ),
]
