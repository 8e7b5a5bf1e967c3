import json
import logging

import pytest
from django.db import connection
from django.test import Client
from pytest_django import Settings as SettingsWrapper

from buergerbuero.core.logging import JsonFormatter


@pytest.mark.django_db
def test_it_reports_healthy_when_the_database_answers(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == connection.vendor
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_it_reports_unhealthy_when_the_database_fails(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_cursor(*args: object, **kwargs: object) -> None:
        raise OSError("database is gone")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"


@pytest.mark.django_db
def test_it_counts_requests_by_route_in_prometheus_format(client: Client) -> None:
    client.get("/healthz")
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    lines = [
        line
        for line in text.splitlines()
        if line.startswith("buergerbuero_http_requests_total{") and 'route="healthz"' in line and 'status="200"' in line
    ]
    assert lines, text
    assert float(lines[0].rsplit(" ", 1)[1]) >= 2
    assert "buergerbuero_http_request_duration_seconds_bucket" in text


@pytest.mark.django_db
def test_it_sends_security_headers(client: Client) -> None:
    response = client.get("/healthz")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "form-action 'self' http://127.0.0.1:9400;" in f"{csp};"  # the login form leads to the provider
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_it_lets_forms_lead_to_the_configured_identity_provider_only(client: Client, settings: SettingsWrapper) -> None:
    settings.OIDC_ISSUER = "https://id.example.org/realms/buerger"
    csp = client.get("/healthz")["Content-Security-Policy"]
    assert "form-action 'self' https://id.example.org;" in f"{csp};"
    assert "127.0.0.1:9400" not in csp


@pytest.mark.django_db
def test_it_rejects_posts_without_a_csrf_token() -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 403


def test_it_logs_one_json_object_per_record_with_extra_fields() -> None:
    record = logging.LogRecord("buergerbuero.request", logging.INFO, __file__, 1, "request %s", ("done",), None)
    record.route = "healthz"
    record.duration_ms = 1.5
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "request done"
    assert entry["level"] == "info"
    assert entry["route"] == "healthz"
    assert entry["duration_ms"] == 1.5
