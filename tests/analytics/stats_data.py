"""Hand-made queue, appointment and application history with known statistics (see test_stats_selectors)."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from buergerbuero.applications.constants import CaseState
from buergerbuero.applications.models import Case
from buergerbuero.appointments.constants import AppointmentState
from buergerbuero.appointments.models import Appointment, ServiceGroup
from buergerbuero.catalog.models import Service
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.queueing.constants import TicketSource, TicketState
from buergerbuero.queueing.models import Ticket
from buergerbuero.tenants.models import Counter, Municipality, Office
from tests.applications.factories import CaseFactory, online_service
from tests.catalog.factories import ServiceFactory
from tests.queueing.factories import queue_office

BERLIN = ZoneInfo("Europe/Berlin")
_numbers = itertools.count(1)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=BERLIN)


def ticket(
    office: Office,
    group: ServiceGroup,
    day: dt.date,
    *,
    source: str = TicketSource.KIOSK,
    state: str = TicketState.DONE,
    queued: tuple[int, int] | None = (9, 0),
    called: tuple[int, int] | None = None,
    started: tuple[int, int] | None = None,
    ended: tuple[int, int] | None = None,
    counter: Counter | None = None,
    service: Service | None = None,
    appointment: Appointment | None = None,
    alert_email: str = "",
    alert_phone: str = "",
) -> Ticket:
    def moment(hm: tuple[int, int] | None) -> dt.datetime | None:
        return at(day, *hm) if hm else None

    return Ticket.objects.create(
        office=office,
        day=day,
        prefix=group.prefix,
        number=next(_numbers),
        group=group,
        source=source,
        state=state,
        created_at=at(day, 8),
        queued_at=moment(queued),
        arrived_at=moment(queued),
        called_at=moment(called),
        started_at=moment(started),
        ended_at=moment(ended),
        counter=counter,
        clerk=None,
        service=service,
        appointment=appointment,
        alert_email=alert_email,
        alert_phone=alert_phone,
    )


def appointment(
    office: Office, group: ServiceGroup, start: dt.datetime, state: str, services: list[Service], **personal: str
) -> Appointment:
    item = Appointment.objects.create(
        code=f"T-{next(_numbers):06d}",
        office=office,
        group=group,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=10),
        state=state,
        **personal,
    )
    item.services.set(services)
    return item


@dataclass
class History:
    online: Service  # S1: has an online form
    other: Service  # S2: on site only
    office_a: Office
    office_b: Office


OCT = dt.date(2026, 10, 5)


def build_history(municipality_a: Municipality, office_a: Office, office_b: Office) -> History:
    """October and November 2026 at office A (Kaarst) and one ticket at office B (Jüchen); see the test."""
    with scopes_disabled():
        lines = queue_office(office_a)
        lines_b = queue_office(office_b)
        group = lines["a"]
        platz1, platz2 = Counter.objects.filter(office=office_a).order_by("pk")
        s1, _form = online_service(municipality_a)
        s2 = ServiceFactory()
        form = _form

        a1 = appointment(office_a, group, at(OCT, 9), AppointmentState.COMPLETED, [s1], name="Erika Muster")
        appointment(office_a, group, at(dt.date(2026, 10, 20), 10), AppointmentState.NO_SHOW, [s1])
        appointment(office_a, group, at(dt.date(2026, 10, 21), 10), AppointmentState.COMPLETED, [s2])
        appointment(office_a, group, at(dt.date(2026, 10, 22), 10), AppointmentState.CANCELLED, [s1])
        appointment(office_a, group, at(dt.date(2026, 11, 20), 10), AppointmentState.BOOKED, [s1])
        appointment(office_a, group, at(dt.date(2026, 11, 3), 10), AppointmentState.BOOKED, [s2])

        ticket(office_a, group, OCT, called=(9, 10), started=(9, 11), ended=(9, 21), counter=platz1, service=s1)
        ticket(
            office_a,
            group,
            OCT,
            source=TicketSource.APPOINTMENT,
            called=(9, 20),
            started=(9, 20),
            ended=(9, 30),
            counter=platz2,
            appointment=a1,
        )
        ticket(
            office_a,
            group,
            dt.date(2026, 10, 6),
            source=TicketSource.REMOTE,
            state=TicketState.NO_SHOW,
            queued=(10, 0),
            called=(10, 30),
        )
        nov = dt.date(2026, 11, 2)
        ticket(
            office_a,
            group,
            nov,
            queued=(8, 0),
            called=(8, 40),
            started=(8, 40),
            ended=(8, 55),
            counter=platz1,
            service=s2,
        )
        ticket(office_a, group, nov, source=TicketSource.REMOTE, state=TicketState.CANCELLED, queued=None)
        ticket(
            office_b,
            lines_b["a"],
            dt.date(2026, 10, 7),
            called=(9, 5),
            started=(9, 5),
            ended=(9, 10),
            counter=Counter.objects.filter(office=office_b).first(),
        )

        def case(submitted: dt.datetime, decided: dt.datetime | None, due: dt.datetime | None) -> Case:
            return CaseFactory(
                municipality=municipality_a,
                service=s1,
                form=form,
                submitted_at=submitted,
                decided_at=decided,
                due_at=due,
                state=CaseState.DECIDED if decided else CaseState.RECEIVED,
            )

        case(at(dt.date(2026, 10, 1), 10), at(dt.date(2026, 10, 11), 10), at(dt.date(2026, 10, 15), 10))
        case(at(dt.date(2026, 10, 10), 10), at(dt.date(2026, 11, 4), 10), at(dt.date(2026, 10, 24), 10))
        case(at(dt.date(2026, 11, 10), 10), None, at(dt.date(2026, 11, 12), 10))
        case(at(dt.date(2026, 9, 1), 10), at(dt.date(2026, 9, 5), 10), None)
        case(at(dt.date(2026, 9, 20), 10), None, None)
    return History(online=s1, other=s2, office_a=office_a, office_b=office_b)
