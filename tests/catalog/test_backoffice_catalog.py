"""The Kreis catalogue editor: Kreis admins edit services and their checklists, preview, save; others see nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from buergerbuero.accounts.models import User
from buergerbuero.catalog.models import DocumentRequirement, Service
from buergerbuero.core.models import AuditEntry
from buergerbuero.core.tenancy import scopes_disabled
from tests.catalog.factories import DocumentRequirementFactory, ServiceFactory
from tests.catalog.html_forms import form_data
from tests.harness.staff import StaffClient

QUESTIONS = [
    {"key": "age", "kind": "number", "label_de": "Alter", "label_en": "Age", "min": 0, "max": 130},
    {
        "key": "nationality",
        "kind": "choice",
        "label_de": "Staatsangehörigkeit",
        "label_en": "Nationality",
        "options": [
            {"value": "de", "label_de": "deutsch", "label_en": "German"},
            {"value": "eu", "label_de": "EU", "label_en": "EU"},
            {"value": "non_eu", "label_de": "andere", "label_en": "other"},
        ],
    },
    {"key": "on_behalf", "kind": "boolean", "label_de": "Für jemand anderen?", "label_en": "For someone else?"},
]


@pytest.fixture
def service(db: None) -> Service:
    service = ServiceFactory(slug="personalausweis", name_de="Personalausweis beantragen", questions=QUESTIONS)
    DocumentRequirementFactory(service=service, position=1, name_de="Biometrisches Passfoto", condition=None)
    DocumentRequirementFactory(
        service=service,
        position=2,
        name_de="Einverständnis der Eltern",
        condition={"q": "age", "op": "lt", "value": 16},
    )
    return service


def edit_url(service: Service) -> str:
    return reverse("catalog_backoffice:service_edit", args=[service.slug])


def preview_url(service: Service) -> str:
    return reverse("catalog_backoffice:checklist_preview", args=[service.slug])


def opened_form(client: Client, service: Service) -> dict[str, Any]:
    page = client.get(edit_url(service))
    assert page.status_code == 200
    return form_data(page, "service-form")


def row_of(data: dict[str, Any], name: str) -> str:
    """The formset prefix (``requirements-N``) of the requirement row named ``name``."""
    for key, value in data.items():
        if key.endswith("-name_de") and value == name:
            return key.removesuffix("-name_de")
    raise AssertionError(f"no requirement row {name!r}")


def test_it_lists_the_catalogue_for_the_kreis_admin(
    staff_client: StaffClient, kreis_admin: User, service: Service
) -> None:
    client = staff_client(kreis_admin)
    page = client.get(reverse("catalog_backoffice:catalog"), {"q": "ausweis"})
    assert page.status_code == 200
    assert "Personalausweis beantragen" in page.content.decode()
    assert client.get(reverse("catalog_backoffice:catalog"), {"q": "zzz"}).context["page"].paginator.count == 0


@pytest.mark.parametrize("who", ["clerk_a", "admin_a"])
def test_it_shows_other_staff_a_404_for_the_kreis_catalogue(
    who: str, request: pytest.FixtureRequest, staff_client: StaffClient, service: Service
) -> None:
    client = staff_client(request.getfixturevalue(who))
    assert client.get(reverse("catalog_backoffice:catalog")).status_code == 404
    assert client.get(edit_url(service)).status_code == 404
    assert client.post(edit_url(service), opened_form_of_nobody()).status_code == 404
    assert client.post(preview_url(service), {}).status_code == 404
    with scopes_disabled():
        assert not AuditEntry.objects.filter(action__startswith="catalog.").exists()


def opened_form_of_nobody() -> dict[str, str]:
    return {"name_de": "Gekapert", "requirements-TOTAL_FORMS": "0", "requirements-INITIAL_FORMS": "0"}


def test_it_previews_an_edited_condition_before_saving_and_saves_it_with_an_audit_entry(
    staff_client: StaffClient, kreis_admin: User, service: Service
) -> None:
    client = staff_client(kreis_admin)
    data = opened_form(client, service)
    row = row_of(data, "Einverständnis der Eltern")
    assert data[f"{row}-condition"] == "age < 16"
    data[f"{row}-condition"] = "age < 18 und nationality in (eu, non_eu)"

    # Preview for a 17-year-old EU citizen: the edited (unsaved) condition applies.
    preview = client.post(preview_url(service), {**data, "answer-age": "17", "answer-nationality": "eu"})
    assert preview.status_code == 200
    result = preview.context["preview"]
    applying = [item["requirement"].name_de for item in result["applying"]]
    assert applying == ["Biometrisches Passfoto", "Einverständnis der Eltern"]
    assert [item.name for item in result["checklist"].items] == applying
    # ... a German 17-year-old does not need it under the edited rule.
    preview = client.post(preview_url(service), {**data, "answer-age": "17", "answer-nationality": "de"})
    assert [item["requirement"].name_de for item in preview.context["preview"]["applying"]] == [
        "Biometrisches Passfoto"
    ]
    # The edited text and the answers are still in the page; nothing is saved yet.
    html = preview.content.decode()
    assert "age &lt; 18 und nationality in (eu, non_eu)" in html
    assert DocumentRequirement.objects.get(name_de="Einverständnis der Eltern").condition == {
        "q": "age",
        "op": "lt",
        "value": 16,
    }

    response = client.post(edit_url(service), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    requirement = DocumentRequirement.objects.get(name_de="Einverständnis der Eltern")
    assert requirement.condition == {
        "all": [{"q": "age", "op": "lt", "value": 18}, {"q": "nationality", "op": "in", "value": ["eu", "non_eu"]}]
    }
    with scopes_disabled():
        entry = AuditEntry.objects.get(action="catalog.requirement.update")
    assert entry.actor == kreis_admin
    assert entry.object_id == str(requirement.pk)
    assert set(entry.changes) == {"condition"}
    assert client.get(edit_url(service)).context["formset"].initial[1]["condition"] == (
        "age < 18 and nationality in (eu, non_eu)"
    )


def test_it_keeps_an_invalid_condition_and_shows_the_error_at_the_field(
    staff_client: StaffClient, kreis_admin: User, service: Service
) -> None:
    client = staff_client(kreis_admin)
    data = opened_form(client, service)
    row = row_of(data, "Einverständnis der Eltern")
    data[f"{row}-condition"] = "age < 18 und und"
    data["name_de"] = "Personalausweis neu beantragen"

    response = client.post(edit_url(service), data)
    assert response.status_code == 200
    formset = response.context["formset"]
    errors = formset.forms[int(row.rsplit("-", 1)[1])].errors["condition"]
    assert "Position 14" in errors[0]
    html = response.content.decode()
    assert "age &lt; 18 und und" in html  # what was typed is still there
    assert 'value="Personalausweis neu beantragen"' in html
    service.refresh_from_db()
    assert service.name_de == "Personalausweis beantragen"
    with scopes_disabled():
        assert not AuditEntry.objects.filter(action__startswith="catalog.").exists()


def test_it_refuses_a_condition_about_an_unknown_question(
    staff_client: StaffClient, kreis_admin: User, service: Service
) -> None:
    client = staff_client(kreis_admin)
    data = opened_form(client, service)
    data[f"{row_of(data, 'Biometrisches Passfoto')}-condition"] = "haarfarbe = blond"
    response = client.post(edit_url(service), data)
    assert response.status_code == 200
    assert "unbekannte Frage „haarfarbe“" in response.content.decode()


def test_it_adds_removes_and_reorders_requirements(
    staff_client: StaffClient, kreis_admin: User, service: Service
) -> None:
    client = staff_client(kreis_admin)
    data = opened_form(client, service)
    photo, consent = row_of(data, "Biometrisches Passfoto"), row_of(data, "Einverständnis der Eltern")
    data[f"{consent}-DELETE"] = "on"
    data[f"{photo}-position"] = "5"
    data["requirements-2-name_de"] = "Alter Ausweis"
    data["requirements-2-position"] = "1"
    data["requirements-2-condition"] = "nicht on_behalf"
    response = client.post(edit_url(service), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    rows = list(service.requirements.order_by("position").values_list("name_de", "position", "condition"))
    assert rows == [
        ("Alter Ausweis", 1, {"not": {"q": "on_behalf", "op": "eq", "value": True}}),
        ("Biometrisches Passfoto", 2, None),
    ]
    with scopes_disabled():
        actions = sorted(AuditEntry.objects.filter(action__startswith="catalog.").values_list("action", flat=True))
    assert actions == [
        "catalog.requirement.create",
        "catalog.requirement.delete",
        "catalog.requirement.update",
        "catalog.service.update",
    ]


def test_it_validates_the_fee_rule_and_the_questionnaire(
    staff_client: StaffClient, kreis_admin: User, service: Service
) -> None:
    client = staff_client(kreis_admin)
    data = opened_form(client, service)
    data["fee"] = '{"kind": "rules", "rules": [{"when": "age < 24", "amount": "22.80"}], "default": "37.00"}'
    data["questions"] = data["questions"].replace('"kind": "boolean"', '"kind": "kaputt"')
    response = client.post(edit_url(service), data)
    assert response.status_code == 200
    assert response.context["form"].errors["questions"]
    data["questions"] = opened_form(client, service)["questions"]
    data["fee"] = '{"kind": "fixed", "amount": "viel"'
    response = client.post(edit_url(service), data)
    assert "kein gültiges JSON" in response.context["form"].errors["fee"][0]

    data["fee"] = '{"kind": "rules", "rules": [{"when": "age < 24", "amount": "22.80"}], "default": "37.00"}'
    response = client.post(edit_url(service), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    service.refresh_from_db()
    assert service.fee["rules"][0]["when"] == {"q": "age", "op": "lt", "value": 24}
    assert '"when": "age < 24"' in opened_form(client, service)["fee"]


def test_it_refuses_to_overwrite_a_service_changed_since_the_form_was_opened(
    staff_client: StaffClient, kreis_admin: User, service: Service
) -> None:
    client = staff_client(kreis_admin)
    stale = opened_form(client, service)
    fresh = opened_form(client, service)
    fresh["name_de"] = "Personalausweis (neu)"
    assert client.post(edit_url(service), fresh).status_code == 302

    stale["summary_de"] = "Meine Änderung"
    response = client.post(edit_url(service), stale)
    assert response.status_code == 409
    assert "Jemand anderes hat diesen Eintrag geändert" in response.content.decode()
    assert "Meine Änderung" in response.content.decode()
    service.refresh_from_db()
    assert service.name_de == "Personalausweis (neu)"
    assert service.summary_de != "Meine Änderung"
