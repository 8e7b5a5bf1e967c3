"""Request and response bodies of the appointments API (``appointments.api``).

Inputs are plain strings and lists where the API promises its own error shape: the handlers parse
them and answer ``{"code", "message"}`` instead of ninja's generic validation list.
"""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

ISO_EXAMPLE = "2026-11-23T08:00:00+01:00"


class ErrorOut(Schema):
    code: str = Field(description="Stable machine-readable reason, e.g. unknown_service, outside_window")
    message: str = Field(description="What is wrong, for people, in the language of the request")


class SlotOut(Schema):
    start: dt.datetime = Field(description="Start, ISO 8601 with the Europe/Berlin offset")
    end: dt.datetime


class SlotTakenOut(ErrorOut):
    alternatives: list[SlotOut] = Field(
        description="Free times nearest to the one asked for (same day first); empty when nothing is free"
    )


class RateLimitedOut(ErrorOut):
    retry_after: int = Field(description="Seconds to wait; also sent as the Retry-After header")


class ServiceOut(Schema):
    slug: str
    name: str = Field(description="In the language of the request (Accept-Language: de or en; German otherwise)")
    minutes: int = Field(description="Counter time of the service alone; several services in one appointment add up")
    leika_key: str = Field(description="The 14-digit LeiKa key")


class OfficeOut(Schema):
    id: str = Field(description="The office's public ID (UUID): use it in the other calls")
    name: str
    municipality: str = Field(description="The municipality the office belongs to")
    municipality_slug: str
    address: str = Field(description="Street, house number, postcode and city in one line")
    earliest: dt.datetime | None = Field(description="Earliest free start for the services; null: nothing free")


class DaysOut(Schema):
    office: str = Field(description="The office's public ID")
    services: list[str] = Field(description="The service slugs asked for, sorted")
    days: list[dt.date] = Field(description="Days of the booking window with at least one free time")


class SlotsOut(Schema):
    office: str
    date: dt.date
    minutes: int = Field(
        description="Length of the appointment: the services' counter times added, rounded to the grid"
    )
    slots: list[SlotOut]


class HoldIn(Schema):
    office: str = Field(description="The office's public ID")
    services: list[str] = Field(description="Service slugs, all served in one appointment")
    start: str = Field(description="A free start from /slots, ISO 8601 (without offset: Europe/Berlin time)",
                       examples=[ISO_EXAMPLE])  # fmt: skip
    altcha: str = Field(description="The solved ALTCHA challenge from /challenge: base64 JSON payload")


class HoldOut(Schema):
    id: str = Field(description="Public ID of the hold; confirm it at /holds/{id}/confirm")
    token: str = Field(description="Secret of the hold and later of the booking's manage link; shown once")
    expires_at: dt.datetime = Field(description="The time is kept until then; confirm before")
    start: dt.datetime
    end: dt.datetime


class ContactIn(Schema):
    name: str = Field(description="Name of the person who comes, 1–200 characters")
    email: str = Field(description="E-mail for the confirmation; also counts the per-person cap")
    phone: str = Field("", description="Optional, up to 50 characters")
    idempotency_key: str | None = Field(
        None,
        description="Up to 64 characters chosen by the client: repeating a request with it returns the same booking",
    )


class ConfirmIn(ContactIn):
    token: str = Field(description="The hold's token")


class BookingIn(ContactIn):
    office: str = Field(description="The office's public ID")
    services: list[str] = Field(description="Service slugs, all served in one appointment")
    start: str = Field(description="A free start from /slots, ISO 8601 (without offset: Europe/Berlin time)",
                       examples=[ISO_EXAMPLE])  # fmt: skip
    altcha: str = Field(
        "", description="The solved ALTCHA challenge from /challenge; not needed to repeat a request by idempotency_key"
    )


class BookingOut(Schema):
    id: str = Field(description="Public ID of the appointment")
    code: str = Field(description="Booking code for the citizen, e.g. T-7K3M9Q")
    token: str = Field(description="Secret of the manage link; empty when a request is repeated (it is shown once)")
    start: dt.datetime
    end: dt.datetime
    state: str = Field(description="held, booked, checked_in, completed, cancelled, expired, released or no_show")
    manage_url: str = Field(description="The citizen's page to cancel or move; empty without the token")


class OfficeRefOut(Schema):
    id: str
    name: str
    address: str


class BookingDetailOut(Schema):
    id: str
    code: str
    state: str = Field(description="held, booked, checked_in, completed, cancelled, expired, released or no_show")
    start: dt.datetime
    end: dt.datetime
    office: OfficeRefOut
    services: list[str] = Field(description="Service slugs")
    name: str
    email: str
    hold_expires_at: dt.datetime | None = Field(description="Set while the appointment is only held")
    cancelled_at: dt.datetime | None


class TokenIn(Schema):
    token: str = Field(description="The secret of the manage link")


class MoveIn(TokenIn):
    start: str = Field(description="A free start at the same office, ISO 8601", examples=[ISO_EXAMPLE])


class ChallengeOut(Schema):
    """The ALTCHA challenge as the widget and ``altcha.solve_challenge`` read it."""

    algorithm: str
    challenge: str
    maxnumber: int | None = None
    salt: str
    signature: str
