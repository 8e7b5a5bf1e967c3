"""The three people of every staff test, and the two municipalities they work in.

``clerk_a`` works for ``municipality_a``; ``clerk_b`` works for ``municipality_b`` and must get
404 for anything of municipality A; ``kreis_admin`` may work across the whole Kreis.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from buergerbuero.accounts.constants import Role
from buergerbuero.accounts.models import User
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import District, Municipality, Office
from tests.accounts.factories import StaffRoleFactory
from tests.tenants.factories import DistrictFactory, MunicipalityFactory, OfficeFactory


@pytest.fixture
def kreis_scope() -> Iterator[None]:
    """Run the test body Kreis-wide, like a management command would."""
    with scopes_disabled():
        yield


@pytest.fixture
def district(db: None) -> District:
    return DistrictFactory()


@pytest.fixture
def municipality_a(district: District) -> Municipality:
    return MunicipalityFactory(district=district, name="Kaarst", slug="kaarst", ags="05162016", ars="051620016016")


@pytest.fixture
def municipality_b(district: District) -> Municipality:
    return MunicipalityFactory(district=district, name="Jüchen", slug="juechen", ags="05162012", ars="051620012012")


@pytest.fixture
def office_a(municipality_a: Municipality) -> Office:
    with scopes_disabled():
        return OfficeFactory(municipality=municipality_a, name="Bürgerbüro Kaarst", slug="rathaus")


@pytest.fixture
def office_b(municipality_b: Municipality) -> Office:
    with scopes_disabled():
        return OfficeFactory(municipality=municipality_b, name="Bürgerbüro Jüchen", slug="rathaus")


@pytest.fixture
def clerk_a(municipality_a: Municipality) -> User:
    return StaffRoleFactory(municipality=municipality_a, role=Role.CLERK, user__username="clerk_a").user


@pytest.fixture
def admin_a(municipality_a: Municipality) -> User:
    return StaffRoleFactory(municipality=municipality_a, role=Role.MUNICIPALITY_ADMIN, user__username="admin_a").user


@pytest.fixture
def clerk_b(municipality_b: Municipality) -> User:
    return StaffRoleFactory(municipality=municipality_b, role=Role.CLERK, user__username="clerk_b").user


@pytest.fixture
def kreis_admin(district: District) -> User:
    return StaffRoleFactory(
        district=district, municipality=None, role=Role.DISTRICT_ADMIN, user__username="kreis_admin"
    ).user
