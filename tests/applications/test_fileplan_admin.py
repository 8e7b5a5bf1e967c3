"""The file plan in the Django admin: the file number format is checked on save, entries are edited inline."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from buergerbuero.accounts.models import User
from buergerbuero.applications.admin import FilePlanForm
from buergerbuero.applications.models import FilePlan
from buergerbuero.tenants.models import District
from tests.accounts.factories import StaffFactory
from tests.harness.staff import StaffClient

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Any:
    with translation.override("en"):
        yield


def _post(plan: FilePlan, number_format: str, *entries: tuple[str, str]) -> dict[str, str]:
    data = {
        "district": str(plan.district_id),
        "number_format": number_format,
        "default_code": plan.default_code,
        "entries-TOTAL_FORMS": str(len(entries)),
        "entries-INITIAL_FORMS": "0",
        "entries-MIN_NUM_FORMS": "0",
        "entries-MAX_NUM_FORMS": "1000",
    }
    for index, (code, title) in enumerate(entries):
        data |= {f"entries-{index}-code": code, f"entries-{index}-title": title, f"entries-{index}-plan": str(plan.pk)}
    return data


@pytest.mark.parametrize(
    ("number_format", "message"),
    [
        ("{code}/{year}", "needs {number}"),
        ("{code}/{year}/{number:06d}/{town}", "Unknown placeholder {town}"),
        ("{code}/{year}/{number", "unmatched brace"),
        ("{code}/{year}/{number:s}", "integer format"),
    ],
)
def test_the_form_refuses_an_unusable_number_format(district: District, number_format: str, message: str) -> None:
    form = FilePlanForm(data={"district": district.pk, "number_format": number_format, "default_code": "00.00"})

    assert not form.is_valid()
    assert message in " ".join(form.errors["number_format"])


def test_the_form_accepts_a_good_number_format(district: District) -> None:
    data = {"district": district.pk, "number_format": "{year}-{code}-{number:05d}", "default_code": "1"}
    form = FilePlanForm(data=data)

    assert form.is_valid(), form.errors


def test_the_admin_shows_the_error_next_to_the_field_and_saves_nothing(
    district: District, staff_client: StaffClient
) -> None:
    plan = FilePlan.objects.create(district=district)
    root: User = StaffFactory(username="root", is_superuser=True, is_staff=True)
    client = staff_client(root)
    url = f"/admin/applications/fileplan/{plan.pk}/change/"

    page = client.post(url, _post(plan, "{code}-{number}", ("32.11", "Gewerbe")))

    assert page.status_code == 200  # the form again, with the error
    text = page.content.decode()
    assert "braucht {year}" in text  # "needs {year}", in the German admin
    assert 'id="id_number_format"' in text and "{code}-{number}" in text  # the entry is kept
    plan.refresh_from_db()
    assert plan.number_format == "{code}/{year}/{number:06d}"
    assert not plan.entries.exists()


def test_the_admin_saves_a_good_format_with_its_entries_inline(district: District, staff_client: StaffClient) -> None:
    plan = FilePlan.objects.create(district=district)
    root: User = StaffFactory(username="root", is_superuser=True, is_staff=True)
    client = staff_client(root)
    url = f"/admin/applications/fileplan/{plan.pk}/change/"
    assert 'name="entries-TOTAL_FORMS"' in client.get(url).content.decode()

    page = client.post(url, _post(plan, "{code}-{year}-{number:04d}", ("32.11", "Gewerbe"), ("10.20", "Fundsachen")))

    assert page.status_code == 302
    plan.refresh_from_db()
    assert plan.number_format == "{code}-{year}-{number:04d}"
    assert sorted(plan.entries.values_list("code", flat=True)) == ["10.20", "32.11"]
