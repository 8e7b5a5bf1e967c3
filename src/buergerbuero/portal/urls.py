from django.urls import path

from . import views

app_name = "portal"

# Included at the root, last: the municipality slug below is a catch-all, so fixed paths come first
# (and are therefore not available as municipality slugs).
urlpatterns = [
    path("", views.home, name="home"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("offline/", views.offline, name="offline"),
    path("brand.css", views.district_brand_css, name="district_brand_css"),
    path("<slug:municipality_slug>/", views.municipality_home, name="municipality"),
    path("<slug:municipality_slug>/brand.css", views.municipality_brand_css, name="brand_css"),
]
