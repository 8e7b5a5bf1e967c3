import pytest

from buergerbuero.core.tenancy import ScopeError, scopes_disabled, tenant_scope
from buergerbuero.tenants.models import Counter, Municipality, Office, OpeningHours


def test_it_refuses_to_query_municipality_data_without_a_scope(office_a: Office) -> None:
    with pytest.raises(ScopeError):
        list(Office.objects.all())


def test_it_shows_only_the_scoped_municipality(office_a: Office, office_b: Office) -> None:
    with tenant_scope([office_a.municipality_id]):
        assert list(Office.objects.values_list("name", flat=True)) == ["Bürgerbüro Kaarst"]
        assert {c.office_id for c in Counter.objects.all()} == {office_a.pk}
        assert not Office.objects.filter(pk=office_b.pk).exists()


def test_it_sees_the_whole_kreis_when_scopes_are_disabled_visibly(office_a: Office, office_b: Office) -> None:
    with scopes_disabled():
        assert Office.objects.count() == 2


def test_it_filters_related_managers_by_the_model_s_tenant_path(
    municipality_a: Municipality, office_a: Office, office_b: Office
) -> None:
    with tenant_scope([municipality_a]):
        assert office_a.opening_hours.count() > 0
        assert list(office_a.opening_hours.all()) == list(OpeningHours.objects.filter(office=office_a))
    with tenant_scope([office_b.municipality]):
        assert office_a.opening_hours.count() == 0
