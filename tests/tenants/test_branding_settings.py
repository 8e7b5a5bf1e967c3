from __future__ import annotations

import pytest
from django.urls import reverse

from buergerbuero.accounts.models import User
from buergerbuero.core.audit import log_action
from buergerbuero.core.models import AuditEntry
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Municipality
from buergerbuero.tenants.services import update_municipality_branding
from tests.harness.staff import StaffClient


def settings_url(municipality: Municipality) -> str:
    return reverse("backoffice:municipality_settings", args=[municipality.slug])


def audit_url(municipality: Municipality) -> str:
    return reverse("backoffice:audit_log", args=[municipality.slug])


def form_data(municipality: Municipality, **changes: str) -> dict[str, str]:
    data = {
        "name": municipality.name,
        "tagline": municipality.tagline,
        "primary_color": municipality.primary_color,
        "contact_email": municipality.contact_email,
        "contact_phone": municipality.contact_phone,
        "website": municipality.website,
        "imprint_url": municipality.imprint_url,
        "privacy_url": municipality.privacy_url,
    }
    return data | changes


def entries(municipality: Municipality) -> list[AuditEntry]:
    with scopes_disabled():
        return list(AuditEntry.objects.filter(municipality=municipality))


@pytest.mark.parametrize("who", ["admin_a", "kreis_admin"])
def test_it_saves_branding_with_an_audit_entry_of_the_changed_fields(
    who: str, request: pytest.FixtureRequest, staff_client: StaffClient, municipality_a: Municipality
) -> None:
    user: User = request.getfixturevalue(who)
    client = staff_client(user)
    assert client.get(settings_url(municipality_a)).status_code == 200

    response = client.post(
        settings_url(municipality_a),
        form_data(municipality_a, tagline="Mitten im Rhein-Kreis", primary_color="#A1B2C3"),
    )
    assert response.status_code == 302

    municipality_a.refresh_from_db()
    assert municipality_a.tagline == "Mitten im Rhein-Kreis"
    assert municipality_a.primary_color == "#a1b2c3"
    [entry] = entries(municipality_a)
    assert entry.action == "tenants.municipality.updated"
    assert entry.actor == user
    assert entry.changes == {"tagline": ["", "Mitten im Rhein-Kreis"], "primary_color": ["#005a9c", "#a1b2c3"]}

    log = client.get(audit_url(municipality_a))
    assert log.status_code == 200
    html = log.content.decode()
    assert "tenants.municipality.updated" in html
    assert "Mitten im Rhein-Kreis" in html
    assert "#005a9c" in html
    assert user.username in html


def test_it_keeps_invalid_settings_out(staff_client: StaffClient, admin_a: User, municipality_a: Municipality) -> None:
    client = staff_client(admin_a)
    response = client.post(settings_url(municipality_a), form_data(municipality_a, primary_color="blau"))
    assert response.status_code == 200
    assert response.context["form"].errors["primary_color"]
    municipality_a.refresh_from_db()
    assert municipality_a.primary_color == "#005a9c"
    assert entries(municipality_a) == []


@pytest.mark.parametrize("who", ["clerk_a", "clerk_b"])
def test_it_hides_settings_and_audit_log_from_clerks(
    who: str, request: pytest.FixtureRequest, staff_client: StaffClient, municipality_a: Municipality
) -> None:
    client = staff_client(request.getfixturevalue(who))
    assert client.get(settings_url(municipality_a)).status_code == 404
    assert client.post(settings_url(municipality_a), form_data(municipality_a, tagline="x")).status_code == 404
    assert client.get(audit_url(municipality_a)).status_code == 404
    municipality_a.refresh_from_db()
    assert municipality_a.tagline == ""


def test_it_shows_only_the_municipality_s_own_entries_newest_first_in_pages(
    staff_client: StaffClient, admin_a: User, municipality_a: Municipality, municipality_b: Municipality
) -> None:
    for n in range(55):
        log_action(actor=admin_a, action=f"tests.entry.number{n:02d}", municipality=municipality_a)
    log_action(actor=admin_a, action="tests.entry.of_b", municipality=municipality_b)
    client = staff_client(admin_a)

    first = client.get(audit_url(municipality_a))
    actions = [row["entry"].action for row in first.context["rows"]]
    assert len(actions) == 50
    assert actions[0] == "tests.entry.number54"
    assert "tests.entry.of_b" not in first.content.decode()

    second = client.get(audit_url(municipality_a), {"seite": 2})
    assert [row["entry"].action for row in second.context["rows"]][-1] == "tests.entry.number00"
    assert len(second.context["rows"]) == 5


def test_it_writes_nothing_when_nothing_changed(admin_a: User, municipality_a: Municipality) -> None:
    update_municipality_branding(municipality=municipality_a, actor=admin_a, data={"name": municipality_a.name})
    assert entries(municipality_a) == []


def test_it_changes_only_branding_fields(admin_a: User, municipality_a: Municipality) -> None:
    with pytest.raises(ValueError, match="ags"):
        update_municipality_branding(municipality=municipality_a, actor=admin_a, data={"ags": "05162099"})
