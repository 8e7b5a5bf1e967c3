"""The capacity model: pure functions over dataclasses, no database."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from buergerbuero.appointments.capacity import (
    BERLIN,
    Booking,
    BookingWindow,
    OfficeCapacity,
    OpeningInterval,
    ServiceGroup,
    Slot,
    appointment_minutes,
    available_starts,
    bookable_counters,
    bookable_days,
    booking_days,
    day_capacity,
    earliest_available_day,
    opening_intervals,
)
from buergerbuero.appointments.closures import closed_dates

PASS = "passport"
REGISTER = "registration"
VEHICLE = "vehicle"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=BERLIN)  # a Monday
TUESDAY = date(2026, 3, 3)
SPRING_FORWARD = date(2026, 3, 29)  # a Sunday: 02:00 CET becomes 03:00 CEST
FALL_BACK = date(2026, 10, 25)  # a Sunday: 03:00 CEST becomes 02:00 CET


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), BERLIN)


def weekdays(*spans: tuple[time, time], days: range = range(5)) -> tuple[OpeningInterval, ...]:
    return tuple(OpeningInterval(day, opens, closes) for day in days for opens, closes in spans)


MORNING_AND_AFTERNOON = ((time(8), time(12)), (time(13), time(16)))


def office(**changes: object) -> OfficeCapacity:
    values: dict[str, object] = {
        "key": "kaarst",
        "hours": weekdays(*MORNING_AND_AFTERNOON),
        "groups": (ServiceGroup("citizens", frozenset({PASS, REGISTER}), 10),),
        "service_minutes": {PASS: 20, REGISTER: 7, VEHICLE: 15},
        "walk_in_percent": 30,
        "window": BookingWindow(first_day_offset=1, weeks=60),
    }
    values.update(changes)
    return OfficeCapacity(**values)  # type: ignore[arg-type]


def starts(slots: tuple[Slot, ...]) -> list[str]:
    return [f"{slot.start:%H:%M}" for slot in slots]


# --- durations ---------------------------------------------------------------------------------


def test_it_adds_up_the_minutes_of_several_services_and_rounds_up_to_the_grid() -> None:
    config = office()
    assert appointment_minutes(config, [PASS]) == 20
    assert appointment_minutes(config, [REGISTER]) == 10
    assert appointment_minutes(config, [PASS, REGISTER]) == 30  # 27 minutes on a 5-minute grid
    assert appointment_minutes(office(grid_minutes=15), [PASS, REGISTER]) == 30
    assert appointment_minutes(office(grid_minutes=15), [PASS, REGISTER, VEHICLE]) == 45


def test_it_refuses_an_appointment_without_services_or_with_an_unknown_one() -> None:
    with pytest.raises(ValueError, match="at least one service"):
        appointment_minutes(office(), [])
    with pytest.raises(ValueError, match="wedding"):
        appointment_minutes(office(), [PASS, "wedding"])


def test_it_gives_a_multi_service_appointment_the_summed_length() -> None:
    slots = available_starts(office(), TUESDAY, [PASS, REGISTER], [], now=NOW)
    assert all(slot.end - slot.start == timedelta(minutes=30) for slot in slots)
    assert starts(slots)[-1] == "15:30"


# --- opening hours, breaks and closed days -----------------------------------------------------


def test_it_never_lets_an_appointment_run_into_the_lunch_break_or_past_closing() -> None:
    slots = available_starts(office(), TUESDAY, [PASS], [], now=NOW)
    offered = starts(slots)
    assert offered[0] == "08:00"
    assert "11:40" in offered
    assert "11:45" not in offered  # would end 12:05, inside the break
    assert "12:30" not in offered
    assert "13:00" in offered
    assert offered[-1] == "15:40"
    assert all(slot.groups == ("citizens",) for slot in slots)


def test_it_lets_an_appointment_span_two_intervals_that_touch() -> None:
    config = office(hours=weekdays((time(8), time(10)), (time(10), time(12))))
    assert "09:50" in starts(available_starts(config, TUESDAY, [PASS], [], now=NOW))


def test_it_cuts_off_a_trailing_part_shorter_than_the_grid() -> None:
    config = office(hours=weekdays((time(8), time(8, 47))), grid_minutes=15)
    assert starts(available_starts(config, TUESDAY, [PASS], [], now=NOW)) == ["08:00", "08:15"]


def test_it_lists_public_holidays_of_north_rhine_westphalia_and_local_closures() -> None:
    closed = closed_dates("NW", date(2026, 1, 1), date(2026, 12, 31), [date(2026, 2, 16), date(2027, 2, 8)])
    assert date(2026, 12, 25) in closed
    assert date(2026, 6, 4) in closed  # Fronleichnam is a holiday in NW
    assert date(2026, 2, 16) in closed  # Rosenmontag, a local closure
    assert date(2027, 2, 8) not in closed  # outside the range
    assert date(2026, 12, 24) not in closed
    assert date(2026, 6, 4) not in closed_dates("BE", date(2026, 6, 1), date(2026, 6, 30))
    assert closed_dates("NW", date(2026, 2, 1), date(2026, 1, 1)) == frozenset()


def test_it_offers_nothing_on_a_closed_day() -> None:
    closed = closed_dates("NW", NOW.date(), NOW.date() + timedelta(weeks=60))
    config = office(closed=closed)
    for holiday in (date(2026, 12, 25), date(2026, 6, 4)):
        assert holiday.weekday() < 5
        assert opening_intervals(config, holiday) == ()
        assert available_starts(config, holiday, [PASS], [], now=NOW) == ()
        assert day_capacity(config, holiday, []) == ()
    assert available_starts(config, date(2026, 6, 5), [PASS], [], now=NOW)


def test_it_lets_special_hours_replace_the_weekly_hours_of_one_date() -> None:
    config = office(special_hours={TUESDAY: ((time(9), time(10)),), date(2026, 3, 4): ()})
    assert starts(available_starts(config, TUESDAY, [PASS], [], now=NOW))[-1] == "09:40"
    assert available_starts(config, date(2026, 3, 4), [PASS], [], now=NOW) == ()
    assert starts(available_starts(config, date(2026, 3, 5), [PASS], [], now=NOW))[-1] == "15:40"


def test_it_rejects_inconsistent_configuration() -> None:
    with pytest.raises(ValueError):
        OpeningInterval(0, time(12), time(8))
    with pytest.raises(ValueError):
        OpeningInterval(7, time(8), time(12))
    with pytest.raises(ValueError):
        office(walk_in_percent=101)
    with pytest.raises(ValueError):
        office(grid_minutes=0)
    with pytest.raises(ValueError):
        office(service_minutes={PASS: 0})
    with pytest.raises(ValueError):
        office(groups=(ServiceGroup("a", frozenset({PASS}), 1), ServiceGroup("a", frozenset({PASS}), 1)))
    with pytest.raises(ValueError):
        Booking(datetime(2026, 3, 3, 8), 10, "citizens")  # naive
    with pytest.raises(ValueError):
        booking_days(office(), datetime(2026, 3, 3, 8))


# --- daylight saving time ----------------------------------------------------------------------


def test_it_counts_real_minutes_on_the_night_clocks_go_forward() -> None:
    config = office(hours=weekdays((time(1), time(4)), days=range(7)), walk_in_percent=0)
    ((opens, closes),) = opening_intervals(config, SPRING_FORWARD)
    assert closes - opens == timedelta(hours=3)  # wall clock difference in one zone...
    assert closes.timestamp() - opens.timestamp() == 2 * 3600  # ...but two real hours
    slots = available_starts(config, SPRING_FORWARD, [PASS], [], now=NOW)
    assert len(slots) == 24 - 4 + 1  # 24 five-minute cells, a 20-minute appointment needs 4
    assert not any(slot.start.hour == 2 for slot in slots)  # 02:xx does not exist that night
    assert [f"{slot.start:%H:%M%z}" for slot in slots[10:14]] == [
        "01:50+0100",
        "01:55+0100",
        "03:00+0200",
        "03:05+0200",
    ]
    assert all(slot.end.timestamp() - slot.start.timestamp() == 20 * 60 for slot in slots)
    assert slots[-1].end == at(SPRING_FORWARD, 4)


def test_it_counts_the_doubled_hour_on_the_night_clocks_go_back() -> None:
    config = office(hours=weekdays((time(1), time(4)), days=range(7)), walk_in_percent=0)
    ((opens, closes),) = opening_intervals(config, FALL_BACK)
    assert closes.timestamp() - opens.timestamp() == 4 * 3600
    slots = available_starts(config, FALL_BACK, [PASS], [], now=NOW)
    assert len(slots) == 48 - 4 + 1
    instants = [slot.start.timestamp() for slot in slots]
    assert instants == sorted(set(instants))  # 02:30 CEST and 02:30 CET are two different starts
    assert [f"{slot.start:%H:%M%z}" for slot in slots if f"{slot.start:%H:%M}" == "02:30"] == [
        "02:30+0200",
        "02:30+0100",
    ]
    booking = Booking(datetime(2026, 10, 25, 0, 30, tzinfo=UTC), 20, "citizens")  # 02:30 CEST
    cells = {cell.start.timestamp(): cell for cell in day_capacity(config, FALL_BACK, [booking])}
    assert cells[booking.start.timestamp()].booked == 1
    assert cells[booking.start.timestamp() + 3600].booked == 0  # 02:30 CET


def test_it_keeps_ordinary_hours_on_a_dst_sunday() -> None:
    config = office(hours=weekdays(*MORNING_AND_AFTERNOON, days=range(7)))
    for day in (SPRING_FORWARD, FALL_BACK):
        slots = available_starts(config, day, [PASS], [], now=NOW)
        assert starts(slots)[0] == "08:00"
        assert starts(slots)[-1] == "15:40"
        assert len(slots) == (240 - 20) // 5 + 1 + (180 - 20) // 5 + 1


# --- booking window ----------------------------------------------------------------------------


def test_it_opens_bookings_from_tomorrow_to_the_end_of_the_window() -> None:
    config = office(window=BookingWindow(first_day_offset=1, weeks=8))
    late_evening = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)  # already Tuesday 00:30 in Berlin
    first, last = booking_days(config, late_evening)
    assert (first, last) == (date(2026, 3, 4), date(2026, 4, 28))
    assert available_starts(config, date(2026, 3, 3), [PASS], [], now=late_evening) == ()
    assert available_starts(config, first, [PASS], [], now=late_evening)
    assert available_starts(config, last, [PASS], [], now=late_evening)
    assert available_starts(config, last + timedelta(days=1), [PASS], [], now=late_evening) == ()
    days = bookable_days(config, [PASS], [], now=late_evening)
    assert days[0] == first
    assert days[-1] == last
    assert all(day.weekday() < 5 for day in days)


def test_it_never_offers_a_start_in_the_past_when_same_day_booking_is_allowed() -> None:
    config = office(window=BookingWindow(first_day_offset=0, weeks=1))
    now = at(TUESDAY, 10, 2)
    assert starts(available_starts(config, TUESDAY, [PASS], [], now=now))[0] == "10:05"


# --- walk-in share, groups and bookings --------------------------------------------------------


def test_it_keeps_the_walk_in_share_of_counters_free() -> None:
    assert bookable_counters(10, 30) == 7
    assert bookable_counters(3, 30) == 2  # floor(2.1)
    assert bookable_counters(1, 30) == 0  # one counter at 30 % takes walk-ins only
    assert bookable_counters(4, 0) == 4
    assert bookable_counters(4, 100) == 0
    eight = Booking(at(TUESDAY, 8), 20, "citizens")
    assert starts(available_starts(office(), TUESDAY, [PASS], [eight] * 6, now=NOW))[0] == "08:00"
    assert starts(available_starts(office(), TUESDAY, [PASS], [eight] * 7, now=NOW))[0] == "08:20"
    one_counter = (ServiceGroup("citizens", frozenset({PASS}), 1),)
    assert available_starts(office(groups=one_counter), TUESDAY, [PASS], [], now=NOW) == ()


def test_it_blocks_every_cell_a_booking_touches_even_off_the_grid() -> None:
    config = office(groups=(ServiceGroup("citizens", frozenset({PASS, REGISTER}), 1),), walk_in_percent=0)
    booking = Booking(at(TUESDAY, 9, 2), 7, "citizens")  # 09:02–09:09 touches 09:00 and 09:05
    offered = starts(available_starts(config, TUESDAY, [REGISTER], [booking], now=NOW))
    assert "08:50" in offered
    assert "08:55" not in offered  # would run 08:55–09:05
    assert "09:00" not in offered
    assert "09:05" not in offered
    assert "09:10" in offered


def test_it_counts_bookings_only_against_their_own_group() -> None:
    groups = (
        ServiceGroup("citizens", frozenset({PASS, REGISTER}), 1),
        ServiceGroup("vehicles", frozenset({VEHICLE, REGISTER}), 1),
    )
    config = office(groups=groups, walk_in_percent=0)
    full_citizens = [Booking(at(TUESDAY, 8), 8 * 60, "citizens")]
    assert available_starts(config, TUESDAY, [PASS], full_citizens, now=NOW) == ()
    slots = available_starts(config, TUESDAY, [REGISTER], full_citizens, now=NOW)
    assert {slot.groups for slot in slots} == {("vehicles",)}
    assert available_starts(config, TUESDAY, [REGISTER], [], now=NOW)[0].groups == ("citizens", "vehicles")
    assert available_starts(config, TUESDAY, [PASS, VEHICLE], [], now=NOW) == ()  # no counter serves both
    other_office = [Booking(at(TUESDAY, 8), 8 * 60, "elsewhere")]
    assert available_starts(config, TUESDAY, [PASS], other_office, now=NOW)


def test_it_shows_staff_the_remaining_capacity_per_cell() -> None:
    config = office(groups=(ServiceGroup("citizens", frozenset({PASS}), 3),), walk_in_percent=30)
    bookings = [Booking(at(TUESDAY, 8), 10, "citizens")] * 3
    cells = day_capacity(config, TUESDAY, bookings)
    assert len(cells) == (240 + 180) // 5
    first, second, third = cells[:3]
    assert (first.start, first.end) == (at(TUESDAY, 8), at(TUESDAY, 8, 5))
    assert (first.counters, first.bookable, first.booked, first.remaining) == (3, 2, 3, -1)  # overbooked
    assert second.remaining == -1
    assert third.remaining == 2
    assert cells[48].start == at(TUESDAY, 13)


# --- earliest in the whole Kreis ---------------------------------------------------------------


def test_it_finds_the_earliest_day_across_offices() -> None:
    kaarst = office(key="kaarst", groups=(ServiceGroup("citizens", frozenset({PASS}), 1),), walk_in_percent=0)
    juechen = office(key="juechen", groups=(ServiceGroup("citizens", frozenset({PASS}), 2),), walk_in_percent=0)
    neuss = office(key="neuss", groups=(ServiceGroup("vehicles", frozenset({VEHICLE}), 5),), walk_in_percent=0)
    whole_days = {
        "kaarst": [Booking(at(TUESDAY, 8), 8 * 60, "citizens")],
        "juechen": [Booking(at(day, 8), 8 * 60, "citizens") for day in (TUESDAY, date(2026, 3, 4))] * 2,
    }
    earliest = earliest_available_day([kaarst, juechen, neuss], [PASS], whole_days, now=NOW)
    assert earliest is not None
    assert (earliest.day, earliest.office, earliest.offices) == (date(2026, 3, 4), "kaarst", ("kaarst",))
    assert earliest.start == at(date(2026, 3, 4), 8)
    late_kaarst = {**whole_days, "kaarst": [*whole_days["kaarst"], Booking(at(date(2026, 3, 4), 8), 60, "citizens")]}
    late_kaarst["juechen"] = [
        *[Booking(at(TUESDAY, 8), 8 * 60, "citizens")] * 2,
        *[Booking(at(date(2026, 3, 4), 8), 30, "citizens")] * 2,
    ]
    earliest = earliest_available_day([kaarst, juechen, neuss], [PASS], late_kaarst, now=NOW)
    assert earliest is not None
    assert (earliest.day, earliest.office, earliest.offices) == (date(2026, 3, 4), "juechen", ("juechen", "kaarst"))
    assert earliest.start == at(date(2026, 3, 4), 8, 30)


def test_it_finds_no_earliest_day_when_nobody_offers_the_services() -> None:
    neuss = office(key="neuss", groups=(ServiceGroup("vehicles", frozenset({VEHICLE}), 5),))
    assert earliest_available_day([neuss], [PASS], {}, now=NOW) is None
    assert earliest_available_day([neuss], ["wedding"], {}, now=NOW) is None
    assert earliest_available_day([], [PASS], {}, now=NOW) is None
    closed_forever = office(
        window=BookingWindow(weeks=1), closed=frozenset(NOW.date() + timedelta(d) for d in range(8))
    )
    assert earliest_available_day([closed_forever], [PASS], {}, now=NOW) is None


# --- properties --------------------------------------------------------------------------------

SERVICES = (PASS, REGISTER, VEHICLE)
HOUR_PLANS = (
    MORNING_AND_AFTERNOON,
    ((time(7, 30), time(12, 10)), (time(12, 40), time(18))),
    ((time(1), time(4)),),  # spans the DST changes
    ((time(0, 30), time(2, 30)), (time(2, 45), time(5, 3))),
)
DAYS = (TUESDAY, SPRING_FORWARD, FALL_BACK, date(2026, 6, 4), date(2026, 7, 18))


@st.composite
def offices(draw: st.DrawFn) -> OfficeCapacity:
    groups = tuple(
        ServiceGroup(f"g{i}", frozenset(draw(st.sets(st.sampled_from(SERVICES), min_size=1))), draw(st.integers(0, 4)))
        for i in range(draw(st.integers(1, 3)))
    )
    return OfficeCapacity(
        key="office",
        hours=weekdays(*draw(st.sampled_from(HOUR_PLANS)), days=range(7)),
        groups=groups,
        service_minutes={service: draw(st.integers(1, 45)) for service in SERVICES},
        closed=frozenset({date(2026, 6, 4)}),
        grid_minutes=draw(st.sampled_from((5, 10, 15))),
        walk_in_percent=draw(st.integers(0, 60)),
        window=BookingWindow(first_day_offset=1, weeks=40),
    )


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[OfficeCapacity, date, frozenset[str], list[Booking]]:
    config = draw(offices())
    day = draw(st.sampled_from(DAYS))
    services = frozenset(draw(st.sets(st.sampled_from(SERVICES), min_size=1, max_size=2)))
    base = datetime.combine(day, time(0), BERLIN).timestamp()
    group_keys = [group.key for group in config.groups] + ["unknown"]
    bookings = [
        Booking(
            datetime.fromtimestamp(base + draw(st.integers(0, 19 * 60)) * 60, UTC),
            draw(st.integers(1, 60)),
            draw(st.sampled_from(group_keys)),
        )
        for _ in range(draw(st.integers(0, 25)))
    ]
    return config, day, services, bookings


def oracle(
    config: OfficeCapacity, day: date, services: frozenset[str], bookings: list[Booking]
) -> set[tuple[int, str]]:
    """Free (start, group) pairs, computed the slow and obvious way."""
    grid = config.grid_minutes * 60
    length = appointment_minutes(config, services) * 60
    free: set[tuple[int, str]] = set()
    for opens, closes in opening_intervals(config, day):
        start, end = int(opens.timestamp()), int(closes.timestamp())
        for group in config.groups:
            if not services <= group.services:
                continue
            bookable = group.counters * (100 - config.walk_in_percent) // 100
            for t in range(start, end - length + 1, grid):
                cells = range(t, t + length, grid)
                counts = [
                    sum(
                        1
                        for b in bookings
                        if b.group == group.key
                        and b.start.timestamp() < c + grid
                        and b.start.timestamp() + b.minutes * 60 > c
                    )
                    for c in cells
                ]
                if all(count < bookable for count in counts):
                    free.add((t, group.key))
    return free


def pairs(slots: tuple[Slot, ...]) -> set[tuple[int, str]]:
    return {(int(slot.start.timestamp()), group) for slot in slots for group in slot.groups}


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_it_agrees_with_a_brute_force_count(
    scenario: tuple[OfficeCapacity, date, frozenset[str], list[Booking]],
) -> None:
    config, day, services, bookings = scenario
    assert pairs(available_starts(config, day, services, bookings, now=NOW)) == oracle(config, day, services, bookings)


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_it_never_offers_a_start_that_would_exceed_capacity(
    scenario: tuple[OfficeCapacity, date, frozenset[str], list[Booking]],
) -> None:
    config, day, services, bookings = scenario
    for slot in available_starts(config, day, services, bookings, now=NOW):
        for group in slot.groups:
            new = Booking(slot.start, int((slot.end.timestamp() - slot.start.timestamp()) // 60), group)
            touched = [
                cell
                for cell in day_capacity(config, day, [*bookings, new])
                if cell.group == group
                and cell.start.timestamp() < slot.end.timestamp()
                and cell.end.timestamp() > slot.start.timestamp()
            ]
            assert touched
            assert all(cell.booked <= cell.bookable for cell in touched)


@settings(max_examples=150, deadline=None)
@given(scenarios(), st.data())
def test_it_never_gains_a_start_when_a_booking_is_added(
    scenario: tuple[OfficeCapacity, date, frozenset[str], list[Booking]], data: st.DataObject
) -> None:
    config, day, services, bookings = scenario
    before = pairs(available_starts(config, day, services, bookings, now=NOW))
    extra = Booking(
        datetime.combine(day, time(0), BERLIN) + timedelta(minutes=data.draw(st.integers(0, 19 * 60))),
        data.draw(st.integers(1, 90)),
        data.draw(st.sampled_from([group.key for group in config.groups])),
    )
    after = pairs(available_starts(config, day, services, [*bookings, extra], now=NOW))
    assert after <= before


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_it_keeps_every_appointment_inside_one_opening_interval(
    scenario: tuple[OfficeCapacity, date, frozenset[str], list[Booking]],
) -> None:
    config, day, services, bookings = scenario
    intervals = opening_intervals(config, day)
    minutes = appointment_minutes(config, services)
    for slot in available_starts(config, day, services, bookings, now=NOW):
        assert slot.end.timestamp() - slot.start.timestamp() == minutes * 60
        assert any(
            opens.timestamp() <= slot.start.timestamp() < slot.end.timestamp() <= closes.timestamp()
            for opens, closes in intervals
        )


@settings(max_examples=60, deadline=None)
@given(offices(), st.sampled_from(DAYS), st.sets(st.sampled_from(SERVICES), min_size=1, max_size=2))
def test_it_fills_a_day_only_up_to_the_counters_left_after_walk_ins(
    config: OfficeCapacity, day: date, services: set[str]
) -> None:
    bookings: list[Booking] = []
    while slots := available_starts(config, day, services, bookings, now=NOW):
        slot = slots[0]
        bookings.append(Booking(slot.start, int((slot.end.timestamp() - slot.start.timestamp()) // 60), slot.groups[0]))
    for cell in day_capacity(config, day, bookings):
        assert cell.booked <= cell.bookable == cell.counters * (100 - config.walk_in_percent) // 100
    if day == date(2026, 6, 4):
        assert bookings == []
