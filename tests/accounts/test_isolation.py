"""Every back-office page of a municipality is closed to everyone but its own staff and the Kreis admin.

The test walks ``accounts/urls_backoffice.py``, ``catalog/urls_backoffice.py``,
``appointments/urls_backoffice.py`` and ``queueing/urls_backoffice.py`` so that pages added later are
covered without anyone remembering to add them here.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, reverse

from buergerbuero.accounts import urls_backoffice
from buergerbuero.accounts.constants import Role
from buergerbuero.accounts.models import User
from buergerbuero.accounts.permissions import roles_allow
from buergerbuero.accounts.services import revoke_role
from buergerbuero.appointments import urls_backoffice as appointments_urls_backoffice
from buergerbuero.appointments.constants import AppointmentState
from buergerbuero.appointments.models import Appointment
from buergerbuero.catalog import urls_backoffice as catalog_urls_backoffice
from buergerbuero.catalog.models import Service
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.queueing import urls_backoffice as queueing_urls_backoffice
from buergerbuero.tenants.models import Municipality, Office
from tests.appointments.factories import bookable_office
from tests.catalog.factories import ServiceFactory
from tests.harness.staff import StaffClient

#: The back-office URL modules, by namespace; all of them are walked.
BACKOFFICE_URLCONFS = {
    "backoffice": urls_backoffice.urlpatterns,
    "catalog_backoffice": catalog_urls_backoffice.urlpatterns,
    "appointments_backoffice": appointments_urls_backoffice.urlpatterns,
    "queueing_backoffice": queueing_urls_backoffice.urlpatterns,
}

#: The catalogue service the ``sample_service`` fixture creates (the catalogue is the Kreis's, not A's).
SAMPLE_SERVICE_SLUG = "musterleistung"
#: The appointment of ``office_a`` the ``sample_service`` fixture books (office B has the same office slug).
SAMPLE_APPOINTMENT_CODE = "T-MUSTER"
_OFFICE = {"office_slug": "rathaus"}

#: Sample values for URL parameters other than ``municipality_slug``, by namespaced URL name. A page
#: of municipality A that takes e.g. an office or case id must get one here that belongs to A.
SAMPLE_KWARGS: dict[str, dict[str, object]] = {
    "catalog_backoffice:service_edit": {"service_slug": SAMPLE_SERVICE_SLUG},
    "catalog_backoffice:checklist_preview": {"service_slug": SAMPLE_SERVICE_SLUG},
    "catalog_backoffice:offering_edit": {"service_slug": SAMPLE_SERVICE_SLUG},
    "appointments_backoffice:day": {**_OFFICE, "day": "2026-11-17"},
    "appointments_backoffice:week": {**_OFFICE, "week": "2026-W47"},
    "appointments_backoffice:book": _OFFICE,
    "appointments_backoffice:capacity": _OFFICE,
    "appointments_backoffice:appointment": {**_OFFICE, "code": SAMPLE_APPOINTMENT_CODE},
    "appointments_backoffice:move": {**_OFFICE, "code": SAMPLE_APPOINTMENT_CODE},
    "queueing_backoffice:overview": _OFFICE,
    "queueing_backoffice:settings": _OFFICE,
    "queueing_backoffice:console": _OFFICE,
}

#: Back-office pages that an anonymous visitor may open: the steps of signing in and out.
SIGN_IN_PAGES = {"backoffice:login", "backoffice:otp_verify", "backoffice:otp_enrol", "backoffice:logout"}


def walk(patterns: list[URLPattern | URLResolver], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from walk(entry.url_patterns, namespace)
        else:
            assert entry.name, f"every back-office URL needs a name: {entry.pattern}"
            yield f"{prefix}{entry.name}", entry


def backoffice_pages() -> list[tuple[str, URLPattern]]:
    """Every back-office page as ``(namespace:name, pattern)``."""
    return [page for namespace, patterns in BACKOFFICE_URLCONFS.items() for page in walk(patterns, f"{namespace}:")]


def municipality_pages() -> list[tuple[str, URLPattern]]:
    return [
        (name, pattern)
        for name, pattern in backoffice_pages()
        if "municipality_slug" in pattern.pattern.regex.groupindex
    ]


def kreis_pages() -> list[tuple[str, URLPattern]]:
    """The pages of the Kreis's own work (its catalogue): no municipality in the URL."""
    return [
        (name, pattern)
        for name, pattern in backoffice_pages()
        if name.startswith("catalog_backoffice:") and "municipality_slug" not in pattern.pattern.regex.groupindex
    ]


def url_of(name: str, pattern: URLPattern, **kwargs: object) -> str:
    extra = set(pattern.pattern.regex.groupindex) - set(kwargs)
    samples = SAMPLE_KWARGS.get(name, {})
    assert extra <= set(samples), (
        f"{name} takes {sorted(extra)}: add sample values for municipality A to SAMPLE_KWARGS[{name!r}] in {__name__}"
    )
    return reverse(name, kwargs={**kwargs, **samples})


def url_of_a(name: str, pattern: URLPattern, municipality_a: Municipality) -> str:
    return url_of(name, pattern, municipality_slug=municipality_a.slug)


@pytest.fixture
def sample_service(db: None, office_a: Office) -> Service:
    """The sample catalogue service, bookable at ``office_a``, with one booked appointment there."""
    service = ServiceFactory(slug=SAMPLE_SERVICE_SLUG)
    group = bookable_office(office_a, services=[service])
    with scopes_disabled():
        cell = group.cells.order_by("starts_at").first()
        assert cell is not None
        appointment = Appointment.objects.create(
            code=SAMPLE_APPOINTMENT_CODE,
            office=office_a,
            group=group,
            starts_at=cell.starts_at,
            ends_at=cell.ends_at,
            state=AppointmentState.BOOKED,
            name="Erika Mustermann",
        )
        appointment.services.set([service])
    return service


def test_it_finds_the_municipality_pages() -> None:
    names = {name for name, _ in municipality_pages()}
    assert {"backoffice:municipality", "backoffice:municipality_settings", "backoffice:audit_log"} <= names
    assert {"catalog_backoffice:offerings", "catalog_backoffice:offering_edit"} <= names
    assert {"appointments_backoffice:day", "appointments_backoffice:capacity"} <= names


def test_it_guards_every_municipality_page_with_staff_view() -> None:
    for name, pattern in municipality_pages():
        assert hasattr(pattern.callback, "staff_roles"), f"backoffice:{name} is not decorated with @staff_view"


def test_it_sends_anonymous_visitors_to_the_login_page(
    municipality_a: Municipality, office_a: Office, sample_service: Service
) -> None:
    client = Client()
    for name, pattern in backoffice_pages():
        if name in SIGN_IN_PAGES:
            continue
        if "municipality_slug" in pattern.pattern.regex.groupindex:
            url = url_of_a(name, pattern, municipality_a)
        else:
            url = url_of(name, pattern)
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("backoffice:login")), url


def test_it_shows_citizens_nothing_of_the_back_office(
    municipality_a: Municipality, office_a: Office, sample_service: Service, citizen_high: Client
) -> None:
    client = citizen_high  # logged in through the identity provider, at the highest level
    for name, pattern in municipality_pages():
        assert client.get(url_of_a(name, pattern, municipality_a)).status_code == 404, name
    for name, pattern in kreis_pages():
        assert client.get(url_of(name, pattern)).status_code == 404, name
    assert client.get(reverse("backoffice:start")).status_code == 404


def test_it_shows_staff_of_another_municipality_a_404(
    staff_client: StaffClient, clerk_b: User, municipality_a: Municipality, office_a: Office, sample_service: Service
) -> None:
    client = staff_client(clerk_b)
    pages = municipality_pages()
    for name, pattern in pages:
        url = url_of_a(name, pattern, municipality_a)
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code == 404, url
    # An unknown municipality looks exactly the same.
    assert client.get(reverse("backoffice:municipality", args=["gibt-es-nicht"])).status_code == 404


@pytest.mark.parametrize("who", ["clerk_a", "admin_a", "kreis_admin"])
def test_it_shows_a_municipality_s_staff_the_pages_their_role_allows(
    who: str,
    request: pytest.FixtureRequest,
    staff_client: StaffClient,
    municipality_a: Municipality,
    office_a: Office,
    sample_service: Service,
) -> None:
    user: User = request.getfixturevalue(who)
    held = set(user.staff_roles.values_list("role", flat=True))
    client = staff_client(user)
    for name, pattern in municipality_pages():
        expected = 200 if roles_allow(held, pattern.callback.staff_roles) else 404  # type: ignore[attr-defined]
        assert client.get(url_of_a(name, pattern, municipality_a)).status_code == expected, (who, name)


def test_it_closes_the_pages_as_soon_as_the_role_is_revoked(
    staff_client: StaffClient, clerk_a: User, municipality_a: Municipality
) -> None:
    client = staff_client(clerk_a)
    url = reverse("backoffice:municipality", args=[municipality_a.slug])
    assert client.get(url).status_code == 200
    revoke_role(actor=None, staff_role=clerk_a.staff_roles.get(role=Role.CLERK))
    assert client.get(url).status_code == 404


def test_it_shows_a_municipality_s_own_offices_only(
    staff_client: StaffClient, kreis_admin: User, municipality_a: Municipality, office_a: Office, office_b: Office
) -> None:
    page = staff_client(kreis_admin).get(reverse("backoffice:municipality", args=[municipality_a.slug]))
    assert list(page.context["offices"]) == [office_a]


@pytest.mark.parametrize("who", ["clerk_a", "admin_a", "kreis_admin"])
def test_it_opens_the_kreis_catalogue_to_kreis_admins_only(
    who: str, request: pytest.FixtureRequest, staff_client: StaffClient, sample_service: Service
) -> None:
    user: User = request.getfixturevalue(who)
    held = set(user.staff_roles.values_list("role", flat=True))
    client = staff_client(user)
    for name, pattern in kreis_pages():
        allowed = Role.DISTRICT_ADMIN in held
        response = client.get(url_of(name, pattern))
        # The preview only answers a POST of the edit form; a GET goes back to the form.
        assert response.status_code == ((302 if name.endswith("preview") else 200) if allowed else 404), (who, name)
        if not allowed:
            assert client.post(url_of(name, pattern)).status_code == 404, (who, name)
