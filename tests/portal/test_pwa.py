from __future__ import annotations

import json

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from PIL import Image
from pytest_django import Settings

from buergerbuero.tenants.models import District

pytestmark = pytest.mark.django_db


def test_it_serves_a_valid_manifest(client: Client, district: District) -> None:
    response = client.get("/manifest.webmanifest")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "Digitales Bürgerbüro Rhein-Kreis Neuss"
    assert manifest["short_name"] == "Bürgerbüro"
    assert manifest["start_url"] == "/"
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == district.primary_color
    assert manifest["lang"] == "de"
    purposes = {(icon["sizes"], icon["type"], icon["purpose"]) for icon in manifest["icons"]}
    assert purposes == {
        ("192x192", "image/png", "any"),
        ("512x512", "image/png", "any"),
        ("512x512", "image/png", "maskable"),
        ("any", "image/svg+xml", "any"),
    }


def test_its_icons_exist_in_the_sizes_the_manifest_claims(client: Client, district: District) -> None:
    manifest = json.loads(client.get("/manifest.webmanifest").content)

    for icon in manifest["icons"]:
        path = finders.find(icon["src"].removeprefix("/static/"))
        assert path, icon["src"]
        if icon["type"] == "image/png":
            with Image.open(path) as image:
                assert f"{image.width}x{image.height}" == icon["sizes"]


def test_it_links_the_manifest_and_the_app_script(client: Client, district: District) -> None:
    html = client.get("/").content.decode()

    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert '<script src="/static/portal/app.js" defer></script>' in html


def test_it_serves_the_service_worker_from_the_root(client: Client, district: District) -> None:
    response = client.get("/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    source = response.content.decode()
    assert 'const OFFLINE_URL = "/offline/";' in source
    assert '"/static/portal/portal.css"' in source
    assert 'request.method !== "GET"' in source
    for prefix in ("/konto/", "/backoffice/", "/api/"):
        assert f'"{prefix}"' in source
    assert "&quot;" not in source


def test_the_service_worker_cache_name_follows_the_static_files(client: Client, settings: Settings) -> None:
    first = client.get("/sw.js").content.decode().split("\n")

    settings.STATIC_URL = "/assets/"
    second = client.get("/sw.js").content.decode().split("\n")

    cache_line = next(line for line in first if line.startswith("const CACHE"))
    assert cache_line not in second


def test_it_has_an_offline_page(client: Client, district: District) -> None:
    response = client.get("/offline/")

    assert response.status_code == 200
    assert "Sie sind offline" in response.content.decode()
