import pytest

from buergerbuero.accounts.models import StaffRole, User
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.demo.loader import load_demo
from buergerbuero.tenants.constants import MunicipalityKind
from buergerbuero.tenants.models import Counter, Municipality, Office, OpeningHours


def _counts() -> dict[str, int]:
    with scopes_disabled():
        return {
            "municipalities": Municipality.objects.count(),
            "offices": Office.objects.count(),
            "hours": OpeningHours.objects.count(),
            "counters": Counter.objects.count(),
            "users": User.objects.count(),
            "roles": StaffRole.objects.count(),
        }


@pytest.mark.django_db
def test_it_loads_the_rhein_kreis_neuss_with_real_keys_from_the_register() -> None:
    district = load_demo()
    assert district.name == "Rhein-Kreis Neuss"
    towns = Municipality.objects.filter(kind=MunicipalityKind.MUNICIPALITY).order_by("ags")
    assert [(m.name, m.ags) for m in towns] == [
        ("Dormagen", "05162004"),
        ("Grevenbroich", "05162008"),
        ("Jüchen", "05162012"),
        ("Kaarst", "05162016"),
        ("Korschenbroich", "05162020"),
        ("Meerbusch", "05162022"),
        ("Neuss", "05162024"),
        ("Rommerskirchen", "05162028"),
    ]
    kaarst = towns.get(slug="kaarst")
    assert kaarst.ars == "051620016016"
    assert kaarst.population == 43493
    with scopes_disabled():
        for municipality in Municipality.objects.all():
            office = Office.objects.filter(municipality=municipality).first()
            assert office is not None, municipality
            assert office.opening_hours.exists() and office.counters.exists()


@pytest.mark.django_db
def test_it_can_be_run_again_without_duplicating_anything() -> None:
    load_demo()
    first = _counts()
    load_demo()
    assert _counts() == first


@pytest.mark.django_db
def test_it_gives_every_town_staff_and_the_kreis_an_administrator() -> None:
    load_demo()
    assert User.objects.get(username="sb.kaarst").check_password("Demo-Buergerbuero-2026")
    assert StaffRole.objects.filter(user__username="kreisadmin", role="district_admin").exists()
