import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.management.base import CommandError

from buergerbuero.analytics.forecast_io import HistoryFormatError, read_history, write_forecast, write_forecast_csv
from buergerbuero.analytics.forecasting import HourlyValue
from buergerbuero.analytics.management.commands.forecast_waits import Command

from .synthetic import FIRST_MONDAY, OPENING_HOURS, synthetic_history

HEADER = "date,iso_year,iso_week,weekday_mon0,hour,avg_wait_min\n"


def write_history(path: Path, rows: list[HourlyValue]) -> Path:
    lines = [HEADER]
    for row in rows:
        iso = row.day.isocalendar()
        lines.append(f"{row.day},{iso.year},{iso.week},{row.day.weekday()},{row.hour},{row.value:g}\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_it_round_trips_hourly_values_through_csv(tmp_path: Path) -> None:
    values = [HourlyValue(date(2016, 3, 7), 8, 12.5), HourlyValue(date(2016, 3, 7), 9, 40.0)]
    write_forecast_csv(tmp_path / "forecast.csv", values)
    assert (tmp_path / "forecast.csv").read_text().splitlines()[0] == "date,hour,avg_wait_min"
    assert read_history(tmp_path / "forecast.csv") == values


def test_it_reads_the_moers_file_format(tmp_path: Path) -> None:
    rows = synthetic_history(2)
    assert read_history(write_history(tmp_path / "history.csv", rows)) == rows


def test_it_names_the_missing_columns(tmp_path: Path) -> None:
    (tmp_path / "h.csv").write_text("date,hour,wait\n2016-01-04,8,3\n")
    with pytest.raises(HistoryFormatError, match="missing column\\(s\\) avg_wait_min"):
        read_history(tmp_path / "h.csv")


def test_it_points_at_the_line_with_an_unparsable_date(tmp_path: Path) -> None:
    (tmp_path / "h.csv").write_text("date,hour,avg_wait_min\n2016-01-04,8,3\n04.01.2016,9,5\n")
    with pytest.raises(HistoryFormatError, match=re.escape("line 3: date '04.01.2016' is not YYYY-MM-DD")):
        read_history(tmp_path / "h.csv")


@pytest.mark.parametrize(
    ("line", "message"),
    [("2016-01-04,25,3", "hour 25 is not between 0 and 23"), ("2016-01-04,8,-1", "non-negative")],
)
def test_it_rejects_impossible_values(tmp_path: Path, line: str, message: str) -> None:
    (tmp_path / "h.csv").write_text(f"date,hour,avg_wait_min\n{line}\n")
    with pytest.raises(HistoryFormatError, match=message):
        read_history(tmp_path / "h.csv")


@pytest.mark.parametrize(("content", "message"), [("", "the file is empty"), ("date,hour,avg_wait_min\n", "no rows")])
def test_it_rejects_an_empty_history(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "h.csv").write_text(content)
    with pytest.raises(HistoryFormatError, match=message):
        read_history(tmp_path / "h.csv")


def test_it_writes_a_forecast_for_the_following_iso_weeks(tmp_path: Path) -> None:
    history = write_history(tmp_path / "history.csv", synthetic_history(12))
    written = write_forecast(history, 2, tmp_path / "forecast.csv")
    rows = read_history(tmp_path / "forecast.csv")
    hours_per_week = sum(len(hours) for hours in OPENING_HOURS.values())
    assert len(rows) == len(written) == 2 * hours_per_week
    first_monday = FIRST_MONDAY + timedelta(weeks=12)
    assert {row.day.isocalendar().week for row in rows} == {
        first_monday.isocalendar().week,
        (first_monday + timedelta(weeks=1)).isocalendar().week,
    }
    assert all(row.value >= 2.0 for row in rows)


def test_it_turns_a_bad_history_into_a_command_error(tmp_path: Path) -> None:
    (tmp_path / "h.csv").write_text("day,hour\n")
    with pytest.raises(CommandError, match="missing column\\(s\\) date, avg_wait_min"):
        Command().handle(history=tmp_path / "h.csv", weeks=2, out=tmp_path / "out.csv")


def test_it_refuses_zero_weeks(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="at least 1"):
        Command().handle(history=tmp_path / "h.csv", weeks=0, out=tmp_path / "out.csv")


def test_it_runs_the_command_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    history = write_history(tmp_path / "history.csv", synthetic_history(10))
    Command().handle(history=history, weeks=1, out=tmp_path / "out.csv")
    hours_per_week = sum(len(hours) for hours in OPENING_HOURS.values())
    assert f"Wrote {hours_per_week} hourly forecasts" in capsys.readouterr().out
    assert len((tmp_path / "out.csv").read_text().splitlines()) == 1 + hours_per_week
