"""File numbers: the format, the code a service is filed under, and unique gap-free numbers under
concurrency (8 threads × 25 claims) on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.utils import translation

from buergerbuero.applications.fileplan import FileNumberFormatError, format_file_number, validate_number_format
from buergerbuero.applications.models import FileNumberCounter, FilePlan
from buergerbuero.applications.services.fileplan import claim_file_number
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import District
from tests.applications.factories import file_plan
from tests.catalog.factories import ServiceFactory


def test_it_formats_the_default_file_number() -> None:
    assert format_file_number("{code}/{year}/{number:06d}", code="32.11", year=2026, number=123) == "32.11/2026/000123"


def test_it_formats_other_orders() -> None:
    assert format_file_number("{year}-{code}-{number}", code="10", year=2027, number=5) == "2027-10-5"


@pytest.mark.parametrize(
    ("number_format", "words"),
    [
        ("{code}/{year}", "{number}"),
        ("{code}/{jahr}/{number}", "Unknown placeholder {jahr}"),
        ("{code}/{year}/{number", "unmatched brace"),
        ("{code}/{year}/{number:s}", "integer format"),
        ("{code}/{year}/{number:0100d}", "longer than 60"),
    ],
)
def test_it_refuses_unusable_formats_with_a_reason(number_format: str, words: str) -> None:
    with (
        translation.override("en"),
        pytest.raises(FileNumberFormatError, match=words.replace("{", r"\{").replace("}", r"\}")),
    ):
        validate_number_format(number_format)


@pytest.mark.django_db
def test_it_numbers_per_code_and_year(district: District) -> None:
    gewerbe, other = ServiceFactory(slug="gewerbe"), ServiceFactory(slug="hund")
    file_plan(district, gewerbe, code="32.11")
    assert claim_file_number(district=district, service=gewerbe, year=2026) == "32.11/2026/000001"
    assert claim_file_number(district=district, service=gewerbe, year=2026) == "32.11/2026/000002"
    assert claim_file_number(district=district, service=gewerbe, year=2027) == "32.11/2027/000001"
    assert claim_file_number(district=district, service=other, year=2026) == "00.00/2026/000001"
    assert claim_file_number(district=district, service=gewerbe, year=2026) == "32.11/2026/000003"


@pytest.mark.django_db
def test_it_gives_a_kreis_without_a_plan_one_with_defaults(district: District) -> None:
    assert not FilePlan.objects.filter(district=district).exists()
    number = claim_file_number(district=district, service=ServiceFactory(), year=2026)
    assert number == "00.00/2026/000001"
    assert FilePlan.objects.get(district=district).number_format == "{code}/{year}/{number:06d}"


@pytest.mark.django_db
def test_it_uses_the_kreis_format(district: District) -> None:
    service = ServiceFactory()
    plan = file_plan(district, service, code="51.2")
    plan.number_format = "{year}/{code}-{number:04d}"
    plan.save()
    assert claim_file_number(district=district, service=service, year=2026) == "2026/51.2-0001"


@pytest.mark.django_db(transaction=True)
def test_it_hands_out_200_distinct_consecutive_numbers_to_8_threads(district: District) -> None:
    service = ServiceFactory(slug="gewerbe-anmeldung")
    file_plan(district, service, code="32.11")
    threads_n, claims_n = 8, 25
    start = threading.Barrier(threads_n)
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work() -> None:
        try:
            with scopes_disabled():
                start.wait(timeout=60)
                for _ in range(claims_n):
                    number = claim_file_number(district=district, service=service, year=2026)
                    with lock:
                        numbers.append(number)
        except BaseException as error:  # reported in the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    assert not errors, errors[0]
    assert len(numbers) == len(set(numbers)) == 200
    assert sorted(numbers) == [f"32.11/2026/{n:06d}" for n in range(1, 201)]
    assert FileNumberCounter.objects.get(code="32.11", year=2026).last_value == 200
