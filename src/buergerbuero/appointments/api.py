"""Public JSON API of appointments under /api/appointments/: services, offices, free days and times,
holds, one-step booking, and the manage-link actions (docs/appointments-api.md).

The handlers are thin: reads go through ``selectors``, writes through ``services.booking``, the
proof-of-work and rate limits through ``fairness``. Every refusal answers ``{"code", "message"}``
(translated by ``Accept-Language``); a taken time adds ``alternatives``, a rate limit
``retry_after`` and the ``Retry-After`` header.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, ParamSpec, TypeVar

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.responses import Status

from buergerbuero.catalog.models import Service
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Office

from . import availability_cache, selectors, setup_cache
from .api_schemas import (
    BookingDetailOut,
    BookingIn,
    BookingOut,
    ChallengeOut,
    ConfirmIn,
    ContactIn,
    DaysOut,
    ErrorOut,
    HoldIn,
    HoldOut,
    MoveIn,
    OfficeOut,
    RateLimitedOut,
    ServiceOut,
    SlotsOut,
    SlotTakenOut,
    TokenIn,
)
from .availability_cache import cached_answer, forget
from .capacity_model import policy_of
from .constants import AppointmentState, BookingChannel
from .fairness import RateLimited, check_rate, client_key, new_challenge, verify_solution
from .models import Appointment, BookingPolicy, CapacityCell
from .services import booking

router = Router(tags=["appointments"])

P = ParamSpec("P")
R = TypeVar("R")

MAX_SERVICES = 10
ERRORS: dict[int | str, Any] = {404: ErrorOut, 422: ErrorOut, 429: RateLimitedOut}
WRITE_ERRORS: dict[int | str, Any] = {**ERRORS, 400: ErrorOut, 403: ErrorOut, 409: SlotTakenOut}


class Refusal(Exception):
    """A request the API answers with ``status`` and ``{"code", "message", **extra}``."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def answers_refusals(handler: Callable[P, R]) -> Callable[P, R | Status[dict[str, Any]] | HttpResponse]:
    """Turn ``Refusal``, ``RateLimited`` and ``BookingError`` raised in ``handler`` into their answers."""

    @functools.wraps(handler)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | Status[dict[str, Any]] | HttpResponse:
        try:
            return handler(*args, **kwargs)
        except RateLimited as limited:
            body = {
                "code": "rate_limited",
                "message": _("Too many requests. Please try again in %(seconds)d seconds.")
                % {"seconds": limited.retry_after},
                "retry_after": limited.retry_after,
            }
            response = JsonResponse(body, status=429)
            response["Retry-After"] = str(limited.retry_after)
            return response
        except Refusal as refusal:
            return Status(refusal.status, {"code": refusal.code, "message": refusal.message, **refusal.extra})
        except booking.SlotTaken as taken:  # raised without a known office; handlers usually answer it themselves
            return Status(409, {"code": taken.code, "message": taken.message, "alternatives": []})
        except booking.BookingError as error:
            return Status(422, {"code": error.code, "message": error.message})

    return wrapper


# -- parsing the request ------------------------------------------------------------------------------


def _limit(request: HttpRequest, scope: str) -> None:
    check_rate(scope, client_key(request))


def _office(public_id: str) -> Office:
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        key = None
    office = setup_cache.remembered(("office", key), lambda: _load_office(key)) if key else None
    if office is None:
        raise Refusal(404, "office_not_found", _("There is no office with this ID."))
    return office


def _forget(appointment: Appointment, services: Sequence[Service]) -> None:
    """The kept free times of the day ``appointment`` changed are computed again on the next read."""
    day = timezone.localtime(appointment.starts_at).date().isoformat()
    forget(str(appointment.office.public_id), [service.slug for service in services], day)


def _load_office(public_id: uuid.UUID) -> Office | None:
    with scopes_disabled():
        return Office.objects.select_related("municipality", "booking_policy").filter(public_id=public_id).first()


def _services(slugs: str | Sequence[str]) -> list[Service]:
    """The services of ``slugs`` (a comma-separated string or a list); every slug must be known."""
    wanted = availability_cache.slugs(slugs)
    if not wanted:
        raise Refusal(422, "no_service", _("Please choose at least one service."))
    if len(wanted) > MAX_SERVICES:
        raise Refusal(422, "too_many_services", _("Choose at most %(max)d services.") % {"max": MAX_SERVICES})
    found = setup_cache.remembered(("services", *wanted), lambda: selectors.services_by_slug(wanted))
    unknown = sorted(set(wanted) - {service.slug for service in found})
    if unknown:
        raise Refusal(
            422, "unknown_service", _("There is no service “%(slug)s”.") % {"slug": unknown[0]}, unknown=unknown
        )
    return found


def _policy(office: Office) -> BookingPolicy:
    """The policy ``_office`` loaded with the office (an inactive default when it has none)."""
    try:
        return office.booking_policy
    except BookingPolicy.DoesNotExist:
        return policy_of(office)


def _offered(office: Office, services: Sequence[Service]) -> selectors.Offer:
    """How ``office`` offers ``services`` (passed on to the selectors, which need not load it again);
    refuses when no group serves all ``services``."""
    offer = selectors.offer_for(office, services, policy=_policy(office))
    if not offer.policy.is_active:
        raise Refusal(422, "booking_closed", _("This office does not take online bookings."))
    if not offer.groups:
        raise Refusal(422, "not_offered", _("This office does not offer these services in one appointment."))
    return offer


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Refusal(422, "invalid_date", _("Give the date as YYYY-MM-DD.")) from None


def _start(value: str) -> datetime:
    try:
        start = datetime.fromisoformat(value)
    except ValueError:
        raise Refusal(422, "invalid_start", _("Give the start as an ISO 8601 date and time.")) from None
    return timezone.make_aware(start) if timezone.is_naive(start) else start


def _contact(body: ContactIn) -> None:
    if not body.name.strip() or len(body.name) > 200:
        raise Refusal(422, "invalid_name", _("Please give a name of at most 200 characters."))
    try:
        validate_email(body.email.strip())
    except ValidationError:
        raise Refusal(422, "invalid_email", _("Please give a valid e-mail address.")) from None
    if len(body.phone) > 50:
        raise Refusal(422, "invalid_phone", _("The phone number has at most 50 characters."))
    if body.idempotency_key is not None and not 1 <= len(body.idempotency_key) <= 64:
        raise Refusal(422, "invalid_idempotency_key", _("The idempotency key has 1 to 64 characters."))


def _proof_of_work(payload: str) -> None:
    if not payload:
        raise Refusal(400, "altcha_invalid", _("Solve the challenge from /api/appointments/challenge first."))
    if not verify_solution(payload):
        raise Refusal(403, "altcha_invalid", _("The challenge solution is wrong, expired or was used before."))


# -- answering --------------------------------------------------------------------------------------


def _json(schema: type[Schema], answer: dict[str, Any]) -> bytes:
    """``answer`` checked against ``schema`` and rendered as JSON (what ninja would send for it)."""
    return schema.model_validate(answer).model_dump_json().encode()


def _json_response(body: bytes) -> HttpResponse:
    return HttpResponse(body, content_type="application/json; charset=utf-8")


def local(moment: datetime | None) -> datetime | None:
    """``moment`` on Berlin's clock, so clients read times with the office's offset."""
    return timezone.localtime(moment) if moment is not None else None


def _slot(slot: selectors.FreeSlot) -> dict[str, datetime | None]:
    return {"start": local(slot.starts_at), "end": local(slot.ends_at)}


def _manage_url(request: HttpRequest, appointment: Appointment, token: str) -> str:
    if not token:
        return ""
    path = reverse("appointments:manage", kwargs={"public_id": appointment.public_id, "token": token})
    return request.build_absolute_uri(path)


def _booking(request: HttpRequest, appointment: Appointment, token: str) -> dict[str, Any]:
    return {
        "id": str(appointment.public_id),
        "code": appointment.code,
        "token": token,
        "start": local(appointment.starts_at),
        "end": local(appointment.ends_at),
        "state": appointment.state,
        "manage_url": _manage_url(request, appointment, token),
    }


def _taken(office: Office, services: Sequence[Service], start: datetime, taken: booking.SlotTaken) -> Refusal:
    """409 with the nearest free times, or 422 when ``start`` is no appointment time at all."""
    offer = selectors.offer_for(office, services, policy=_policy(office))
    with scopes_disabled():
        on_grid = CapacityCell.objects.filter(group__in=offer.groups, starts_at=start).exists()
    if not on_grid:
        return Refusal(
            422,
            "invalid_start",
            _("There is no appointment time at %(start)s at this office.") % {"start": start.isoformat()},
        )
    free = selectors.alternatives(office, services, start, offer=offer)
    return Refusal(409, taken.code, taken.message, alternatives=[_slot(s) for s in free])


def _by_token(public_id: str, token: str) -> Appointment:
    appointment = selectors.appointment_by_token(public_id, token)
    if appointment is None:
        raise Refusal(404, "not_found", _("There is no appointment for this link. Please check it."))
    return appointment


# -- reads ------------------------------------------------------------------------------------------


@router.get("/services", response=list[ServiceOut], summary="Services that can be booked")
def list_services(request: HttpRequest) -> list[dict[str, Any]]:
    """Every catalogue service at least one office takes appointments for, by German name. ``name`` is in
    the language of the request (``Accept-Language``: de or en; German otherwise)."""
    return [
        {"slug": s.slug, "name": s.name, "minutes": s.counter_minutes, "leika_key": s.leika_key}
        for s in selectors.bookable_services()
    ]


@router.get(
    "/offices", response={200: list[OfficeOut], **ERRORS}, summary="Offices for services, earliest free time first"
)
@answers_refusals
def list_offices(request: HttpRequest, services: str = "") -> Any:
    """Offices that serve all ``services`` (comma-separated slugs) in one appointment, with their earliest
    free start, earliest first ("earliest in the whole Kreis"); offices with nothing free come last
    (``earliest: null``). 422: no or unknown service."""
    _limit(request, "availability")
    chosen = _services(services)
    return [
        {
            "id": str(option.office.public_id),
            "name": option.office.name,
            "municipality": option.office.municipality.name,
            "municipality_slug": option.office.municipality.slug,
            "address": option.office.address,
            "earliest": local(option.earliest.starts_at) if option.earliest else None,
        }
        for option in selectors.earliest_in_kreis(chosen)
    ]


@router.get("/offices/{office_id}/days", response={200: DaysOut, **ERRORS}, summary="Days with free times at an office")
@answers_refusals
def list_days(request: HttpRequest, office_id: str, services: str = "") -> Any:
    """The days of the office's booking window with at least one free time for ``services``
    (comma-separated slugs). 404: unknown office; 422: no or unknown service, or the office does not
    serve them in one appointment."""
    _limit(request, "availability")

    def compute() -> bytes:
        office, chosen = _office(office_id), _services(services)
        days = selectors.bookable_days(office, chosen, offer=_offered(office, chosen))
        return _json(DaysOut, {"office": str(office.public_id), "services": [s.slug for s in chosen], "days": days})

    return _json_response(cached_answer(*availability_cache.question("days", office_id, services), compute))


@router.get(
    "/offices/{office_id}/slots", response={200: SlotsOut, **ERRORS}, summary="Free times at an office on a day"
)
@answers_refusals
def list_slots(request: HttpRequest, office_id: str, services: str = "", date: str = "") -> Any:
    """The free starts on ``date`` (YYYY-MM-DD) for ``services`` (comma-separated slugs), each with its
    end. A day outside the booking window has none. 404: unknown office; 422: bad date, no or unknown
    service, or not served in one appointment."""
    _limit(request, "availability")

    def compute() -> bytes:
        office, chosen, day = _office(office_id), _services(services), _date(date)
        offer = _offered(office, chosen)
        slots = selectors.free_slots(office, chosen, day, offer=offer)
        answer = {
            "office": str(office.public_id),
            "date": day,
            "minutes": offer.minutes,
            "slots": [_slot(s) for s in slots],
        }
        return _json(SlotsOut, answer)

    return _json_response(cached_answer(*availability_cache.question("slots", office_id, services, date), compute))


@router.get("/challenge", response=ChallengeOut, summary="A proof-of-work challenge (ALTCHA)")
def get_challenge(request: HttpRequest, response: HttpResponse) -> dict[str, Any]:
    """A signed ALTCHA challenge. Find the ``number`` with SHA-256(salt + number) == challenge (0 ≤ number ≤
    maxnumber; the ALTCHA widget or ``altcha.solve_challenge`` do it) and send base64 of the JSON
    ``{algorithm, challenge, number, salt, signature}`` as ``altcha`` when holding or booking. Each
    solution counts once and expires with the challenge."""
    response["Cache-Control"] = "no-store"
    return new_challenge()


# -- holding and booking ----------------------------------------------------------------------------


@router.post("/holds", response={201: HoldOut, **WRITE_ERRORS}, summary="Hold a time while the form is filled")
@answers_refusals
def create_hold(request: HttpRequest, body: HoldIn) -> Any:
    """Keep ``start`` at ``office`` for ``services`` for the office's hold time (usually 10 minutes); confirm
    it with the contact data at ``/holds/{id}/confirm``. Needs a solved challenge (400 missing, 403
    wrong or used). 409: the time was just taken, with ``alternatives``; 422: not bookable (outside the
    booking window, not on the office's grid, not offered); 429: too many requests."""
    _limit(request, "reserve")
    _proof_of_work(body.altcha)
    office, chosen, start = _office(body.office), _services(body.services), _start(body.start)
    try:
        reservation = booking.reserve(office, chosen, start, channel=BookingChannel.API, policy=_policy(office))
    except booking.SlotTaken as taken:
        raise _taken(office, chosen, start, taken) from None
    held = reservation.appointment
    _forget(held, chosen)
    return Status(
        201,
        {
            "id": str(held.public_id),
            "token": reservation.token,
            "expires_at": local(held.hold_expires_at),
            "start": local(held.starts_at),
            "end": local(held.ends_at),
        },
    )


@router.post(
    "/holds/{hold_id}/confirm", response={200: BookingOut, 201: BookingOut, **WRITE_ERRORS}, summary="Confirm a hold"
)
@answers_refusals
def confirm_hold(request: HttpRequest, hold_id: str, body: ConfirmIn) -> Any:
    """Book the held time for the person. 201 the first time; confirming again answers 200 with the same
    booking. 404: unknown hold or wrong token; 422: the hold expired (``hold_expired``), the person has
    an open appointment for the service (``cap_reached``) or missed too many (``no_show_limit``), or
    the ``idempotency_key`` belongs to another booking."""
    _limit(request, "book")
    _contact(body)
    held = _by_token(hold_id, body.token)
    now = timezone.now()
    try:
        appointment = booking.confirm(
            held,
            name=body.name,
            email=body.email,
            phone=body.phone,
            idempotency_key=body.idempotency_key,
            token=body.token,
            now=now,
        )
    except IntegrityError:
        raise Refusal(422, "idempotency_key_used", _("This idempotency key belongs to another booking.")) from None
    # A repeat (also a concurrent one, which found the hold still held) gets the booking unchanged.
    created = held.state == AppointmentState.HELD and appointment.confirmed_at == now
    return Status(201 if created else 200, _booking(request, appointment, body.token))


@router.post(
    "/bookings", response={200: BookingOut, 201: BookingOut, **WRITE_ERRORS}, summary="Book a time in one step"
)
@answers_refusals
def create_booking(request: HttpRequest, body: BookingIn) -> Any:
    """Hold and confirm in one request. 201 with the booking and its manage token (shown once). Sent again
    with the same ``idempotency_key`` it answers 200 with the same booking and an empty token; such a
    repeat needs no new challenge solution. Otherwise a solved challenge is required (400 missing, 403
    wrong or used). 409: taken, with ``alternatives``; 422: not bookable or refused (``cap_reached``,
    ``no_show_limit``, ``outside_window``, ``invalid_start`` …); 429: too many requests."""
    _limit(request, "book")
    _contact(body)
    try:
        _proof_of_work(body.altcha)
    except Refusal:
        # A client that lost the answer resends the same body, whose solution is used by now (or
        # none): a repeat needs no new one. Looked up only then, not on every booking.
        earlier = booking.earlier_booking(body.idempotency_key)
        if earlier is None:
            raise
        return Status(200, _booking(request, earlier, ""))
    office, chosen, start = _office(body.office), _services(body.services), _start(body.start)
    try:
        reservation = booking.book(
            office,
            chosen,
            start,
            name=body.name,
            email=body.email,
            phone=body.phone,
            channel=BookingChannel.API,
            idempotency_key=body.idempotency_key,
            policy=_policy(office),
        )
    except booking.SlotTaken as taken:
        raise _taken(office, chosen, start, taken) from None
    if reservation.token:  # a new booking (a repeat changed nothing)
        _forget(reservation.appointment, chosen)
    status = 201 if reservation.token else 200
    return Status(status, _booking(request, reservation.appointment, reservation.token))


# -- the manage link --------------------------------------------------------------------------------


def _detail(appointment: Appointment) -> dict[str, Any]:
    office = appointment.office
    return {
        "id": str(appointment.public_id),
        "code": appointment.code,
        "state": appointment.state,
        "start": local(appointment.starts_at),
        "end": local(appointment.ends_at),
        "office": {"id": str(office.public_id), "name": office.name, "address": office.address},
        "services": sorted(service.slug for service in appointment.services.all()),
        "name": appointment.name,
        "email": appointment.email,
        "hold_expires_at": local(appointment.hold_expires_at) if appointment.state == AppointmentState.HELD else None,
        "cancelled_at": local(appointment.cancelled_at),
    }


@router.get(
    "/bookings/{booking_id}", response={200: BookingDetailOut, 404: ErrorOut}, summary="A booking by its manage link"
)
@answers_refusals
def get_booking(request: HttpRequest, booking_id: str, token: str = "") -> Any:
    """The appointment (or hold) of a manage link: state, time, office, services, contact. 404 for an
    unknown ID or a wrong token (the two are not told apart)."""
    return _detail(_by_token(booking_id, token))


@router.post("/bookings/{booking_id}/cancel", response={200: BookingDetailOut, **ERRORS}, summary="Cancel a booking")
@answers_refusals
def cancel_booking(request: HttpRequest, booking_id: str, body: TokenIn) -> Any:
    """Cancel the appointment (or give a hold back). The time is offered again after the office's return
    delay. Cancelling twice answers the cancelled appointment again. 404: unknown ID or wrong token."""
    _limit(request, "book")
    appointment = _by_token(booking_id, body.token)
    booking.cancel(appointment)
    # A hold's time is free at once, a booking's after the return delay.
    _forget(appointment, list(appointment.services.all()))
    return _detail(_by_token(booking_id, body.token))


@router.post(
    "/bookings/{booking_id}/move", response={201: BookingOut, **WRITE_ERRORS}, summary="Move a booking to another time"
)
@answers_refusals
def move_booking(request: HttpRequest, booking_id: str, body: MoveIn) -> Any:
    """Book ``start`` at the same office for the same services and cancel the old time, in one step. The
    answer is the new appointment with a new manage token; the old link then shows it as cancelled.
    409: taken, with ``alternatives`` (nothing changed); 422: not movable (not booked) or not bookable."""
    _limit(request, "book")
    appointment = _by_token(booking_id, body.token)
    start = _start(body.start)
    services = list(appointment.services.all())
    try:
        reservation = booking.move(appointment, start)
    except booking.SlotTaken as taken:
        raise _taken(appointment.office, services, start, taken) from None
    _forget(appointment, services)
    _forget(reservation.appointment, services)
    return Status(201, _booking(request, reservation.appointment, reservation.token))
