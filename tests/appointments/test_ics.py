"""The .ics builder: a pure function over plain data, read back with the icalendar package."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from icalendar import Calendar

from buergerbuero.appointments.ics import CalendarEntry, build_ics, uid_host

BERLIN = ZoneInfo("Europe/Berlin")


def entry(**changes: object) -> CalendarEntry:
    values: dict[str, object] = {
        "uid": "0b7e7c1e-4a51-4a0c-9d7f-3f1f2a1c2b3d@termine.example.org",
        "summary": "Termin im Bürgerbüro Kaarst",
        "starts_at": dt.datetime(2026, 11, 18, 9, 0, tzinfo=BERLIN),
        "ends_at": dt.datetime(2026, 11, 18, 9, 10, tzinfo=BERLIN),
        "location": "Bürgerbüro Kaarst, Rathausplatz 1, 41564 Kaarst",
        "description": "Buchungscode: T-7K3M9Q\nAbsagen oder verschieben: https://termine.example.org/termine/verwalten/x/y/",
        "stamp": dt.datetime(2026, 11, 17, 8, 30, tzinfo=dt.UTC),
        "url": "https://termine.example.org/termine/verwalten/x/y/",
    }
    values.update(changes)
    return CalendarEntry(**values)  # type: ignore[arg-type]


def parsed(data: bytes) -> tuple[Calendar, dict[str, object]]:
    calendar = Calendar.from_ical(data)
    return calendar, calendar.walk("VEVENT")[0]


def test_it_writes_a_published_event_with_uid_times_and_location() -> None:
    calendar, event = parsed(build_ics(entry()))
    assert str(calendar["method"]) == "PUBLISH"
    assert str(event["uid"]) == "0b7e7c1e-4a51-4a0c-9d7f-3f1f2a1c2b3d@termine.example.org"
    assert event.decoded("dtstart") == dt.datetime(2026, 11, 18, 9, 0, tzinfo=BERLIN)  # type: ignore[attr-defined]
    assert event.decoded("dtend") - event.decoded("dtstart") == dt.timedelta(minutes=10)  # type: ignore[attr-defined]
    assert str(event["location"]) == "Bürgerbüro Kaarst, Rathausplatz 1, 41564 Kaarst"
    assert "T-7K3M9Q" in str(event["description"]) and "/termine/verwalten/" in str(event["description"])
    assert str(event["status"]) == "CONFIRMED"


def test_it_writes_berlin_wall_clock_times_with_their_time_zone() -> None:
    data = build_ics(entry(starts_at=dt.datetime(2026, 11, 18, 8, 0, tzinfo=dt.UTC)))
    calendar, event = parsed(data)
    assert b"DTSTART;TZID=Europe/Berlin:20261118T090000" in data
    assert [str(zone["tzid"]) for zone in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    assert event.decoded("dtstart") == dt.datetime(2026, 11, 18, 8, 0, tzinfo=dt.UTC)  # type: ignore[attr-defined]


def test_it_keeps_the_time_across_the_change_to_summer_time() -> None:
    starts = dt.datetime(2026, 3, 30, 9, 0, tzinfo=BERLIN)  # the Monday after clocks went forward
    data = build_ics(entry(starts_at=starts, ends_at=starts + dt.timedelta(minutes=20)))
    assert b"DTSTART;TZID=Europe/Berlin:20260330T090000" in data
    assert parsed(data)[1].decoded("dtstart").utcoffset() == dt.timedelta(hours=2)  # type: ignore[attr-defined]


def test_it_marks_a_cancelled_appointment_with_the_same_uid_and_a_higher_sequence() -> None:
    _calendar, booked = parsed(build_ics(entry()))
    _calendar, cancelled = parsed(build_ics(entry(cancelled=True)))
    assert str(cancelled["status"]) == "CANCELLED"
    assert cancelled["uid"] == booked["uid"]
    assert int(cancelled["sequence"]) > int(booked["sequence"])  # type: ignore[call-overload]


def test_it_escapes_commas_and_semicolons_in_texts() -> None:
    data = build_ics(entry(location="Rathaus; Eingang B, 1. Etage"))
    assert str(parsed(data)[1]["location"]) == "Rathaus; Eingang B, 1. Etage"


def test_it_takes_the_uid_host_from_the_site_address() -> None:
    assert uid_host("https://termine.rhein-kreis-neuss.de/") == "termine.rhein-kreis-neuss.de"
    assert uid_host("") == "localhost"
