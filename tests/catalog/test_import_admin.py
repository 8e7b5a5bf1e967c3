"""The catalogue's admin pages open for a superuser after the import filled them."""

from __future__ import annotations

import json

import pytest

from buergerbuero.accounts.models import User
from buergerbuero.catalog.importer import import_catalog, read_json
from buergerbuero.catalog.models import Service
from tests.accounts.factories import StaffFactory
from tests.harness.staff import StaffClient

pytestmark = pytest.mark.django_db

SERVICE = {
    "slug": "fuehrungszeugnis",
    "leika_key": "99049001000000",
    "name_de": "Führungszeugnis beantragen",
    "summary_de": "Das Führungszeugnis zeigt Eintragungen im Bundeszentralregister.",
    "fee": {"kind": "fixed", "amount": "13.00"},
    "requirements": [{"name_de": "Personalausweis"}],
}


@pytest.mark.parametrize(
    "path",
    [
        "/admin/catalog/service/",
        "/admin/catalog/category/",
        "/admin/catalog/lifesituation/",
        "/admin/catalog/serviceoffering/",
        "/admin/catalog/postcodearea/",
        "/admin/catalog/catalogchange/",
    ],
)
def test_it_lists_the_catalogue_in_the_admin(path: str, staff_client: StaffClient) -> None:
    assert import_catalog(read_json(json.dumps({"services": [SERVICE]}))).ok
    root: User = StaffFactory(username="root", is_superuser=True, is_staff=True)
    assert staff_client(root).get(path).status_code == 200


def test_it_opens_an_imported_service_with_its_requirements(staff_client: StaffClient) -> None:
    assert import_catalog(read_json(json.dumps({"services": [SERVICE]}))).ok
    root: User = StaffFactory(username="root", is_superuser=True, is_staff=True)
    page = staff_client(root).get(f"/admin/catalog/service/{Service.objects.get().pk}/change/")
    assert page.status_code == 200
    assert "Personalausweis" in page.content.decode()
