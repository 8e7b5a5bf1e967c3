"""The form administration: only administrators, versions listed, invalid JSON refused, publishing."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from buergerbuero.accounts.models import User
from buergerbuero.applications.constants import FormStatus
from buergerbuero.applications.models import FormDefinition
from buergerbuero.catalog.models import Service
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Municipality
from tests.applications.factories import SAMPLE_DEFINITION, online_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def service(municipality_a: Municipality) -> Service:
    with scopes_disabled():
        service, _form = online_service(municipality_a)
    return service


def test_a_clerk_and_other_municipalities_get_404(
    staff_client: Any, clerk_a: User, admin_a: User, municipality_b: Municipality, service: Service
) -> None:
    assert staff_client(clerk_a).get(reverse("form_admin:overview", args=["kaarst"])).status_code == 404
    assert staff_client(admin_a).get(reverse("form_admin:overview", args=["juechen"])).status_code == 404


def test_an_admin_adds_checks_previews_and_publishes_a_version(
    staff_client: Any, admin_a: User, service: Service
) -> None:
    client: Client = staff_client(admin_a)
    overview = client.get(reverse("form_admin:overview", args=["kaarst"]))
    assert overview.status_code == 200
    assert "Kreis" in overview.content.decode()
    url = reverse("form_admin:upload", args=["kaarst", service.slug])
    broken = dict(copy.deepcopy(SAMPLE_DEFINITION), service=service.slug, routing="nirgends")
    response = client.post(url, {"definition": json.dumps(broken)})
    assert response.status_code == 400
    assert "routing" in response.content.decode()
    assert client.post(url, {"definition": "{kaputt"}).status_code == 400
    good = dict(copy.deepcopy(SAMPLE_DEFINITION), service=service.slug, title_de="Probeantrag 2")
    response = client.post(url, {"definition": json.dumps(good)})
    assert response.status_code == 302
    new = FormDefinition.objects.get(service=service, version=2)
    assert new.status == FormStatus.DRAFT
    preview = client.get(response["Location"])
    assert preview.status_code == 200
    assert "Probeantrag 2" in preview.content.decode()
    response = client.post(reverse("form_admin:publish", args=["kaarst", new.pk]))
    assert response.status_code == 302
    new.refresh_from_db()
    assert new.status == FormStatus.PUBLISHED
    assert FormDefinition.objects.get(service=service, version=1).status == FormStatus.RETIRED
