import pytest

from buergerbuero.accounts.models import User
from buergerbuero.core.audit import diff, log_action, snapshot
from buergerbuero.core.models import AuditEntry
from buergerbuero.core.tenancy import scopes_disabled, tenant_scope
from buergerbuero.tenants.models import Municipality, Office


def test_it_records_actor_tenant_action_object_and_changed_fields(clerk_a: User, office_a: Office) -> None:
    before = snapshot(office_a, ["name", "phone"])
    office_a.phone = "02131 12345"
    entry = log_action(
        actor=clerk_a,
        action="tenants.office.updated",
        obj=office_a,
        municipality=office_a.municipality,
        changes=diff(before, snapshot(office_a, ["name", "phone"])),
    )
    assert entry.actor_name == "clerk_a"
    assert entry.object_type == "tenants.office"
    assert entry.object_id == str(office_a.pk)
    assert entry.changes == {"phone": ["", "02131 12345"]}


def test_it_keeps_each_municipalitys_log_to_itself(
    clerk_a: User, municipality_a: Municipality, municipality_b: Municipality
) -> None:
    log_action(actor=clerk_a, action="tenants.municipality.updated", obj=municipality_a, municipality=municipality_a)
    log_action(actor=None, action="tenants.municipality.updated", obj=municipality_b, municipality=municipality_b)
    with tenant_scope([municipality_b]):
        assert [e.object_repr for e in AuditEntry.objects.all()] == [municipality_b.name]
    with scopes_disabled():
        assert AuditEntry.objects.count() == 2


def test_it_refuses_action_codes_that_do_not_name_app_object_and_verb(clerk_a: User) -> None:
    with pytest.raises(ValueError, match=r"app\.object\.verb"):
        log_action(actor=clerk_a, action="updated")
