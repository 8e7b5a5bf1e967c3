"""Citizens find the online form: the finder's "how to proceed", the service page and the municipality
page link to ``/antraege/<service>/`` when the responsible offering takes the service online and a form
is published."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from buergerbuero.applications.constants import FormStatus
from buergerbuero.applications.models import FormDefinition
from buergerbuero.catalog.models import Service, ServiceOffering
from buergerbuero.catalog.online_forms import online_form_urls
from buergerbuero.catalog.selectors import online_offers, responsibility_for
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Municipality
from tests.applications.factories import online_service

pytestmark = pytest.mark.django_db

FORM_PATH = "/antraege/probeantrag/"


@pytest.fixture(autouse=True)
def english() -> Any:
    with translation.override("en"):
        yield


@pytest.fixture
def service(municipality_a: Municipality, kreis_scope: None) -> Service:
    service, _form = online_service(municipality_a)
    Service.objects.filter(pk=service.pk).update(online_url="https://elsewhere.example/antrag")
    service.refresh_from_db()
    return service


def _online_steps(service: Service, municipality: Municipality) -> list[str]:
    with scopes_disabled():
        result = responsibility_for(service, municipality)
    return [step.url for step in result.steps if step.channel == "online"]


def test_the_applications_app_tells_the_catalogue_where_forms_start(service: Service) -> None:
    assert online_form_urls() == {service.pk: FORM_PATH}


def test_the_finder_links_the_online_step_to_the_platforms_form(service: Service, municipality_a: Municipality) -> None:
    assert _online_steps(service, municipality_a) == [FORM_PATH]  # before the service's own online_url


def test_without_a_published_form_the_online_step_keeps_the_online_url(
    service: Service, municipality_a: Municipality
) -> None:
    FormDefinition.objects.filter(service=service).update(status=FormStatus.RETIRED)

    assert _online_steps(service, municipality_a) == ["https://elsewhere.example/antrag"]


def test_a_town_that_does_not_take_the_service_online_gets_no_online_step(
    service: Service, municipality_a: Municipality
) -> None:
    with scopes_disabled():
        ServiceOffering.objects.filter(service=service).update(online_application=False)

    assert _online_steps(service, municipality_a) == []
    assert online_offers(municipality_a) == []


def test_the_service_page_links_to_the_form_in_the_finder_and_as_a_button(service: Service, client: Client) -> None:
    html = client.get(f"/leistungen/{service.slug}/?postcode=41564", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert f'<a href="{FORM_PATH}">Apply online</a>' in html  # the finder's step for Kaarst
    assert f'<a class="button" href="{FORM_PATH}">Apply online</a>' in html
    assert "elsewhere.example" not in html
    form_page = client.get(FORM_PATH)
    assert form_page.status_code in (200, 302)  # the link leads to the form (or its login)


def test_the_municipality_page_lists_what_it_takes_online(
    service: Service, municipality_a: Municipality, municipality_b: Municipality, client: Client
) -> None:
    html = client.get("/kaarst/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Handle it online" in html
    assert f'<li><a href="{FORM_PATH}">{service.name_en}</a></li>' in html
    other = client.get(f"/{municipality_b.slug}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Handle it online" not in other  # Jüchen offers nothing online
    assert FORM_PATH not in other
