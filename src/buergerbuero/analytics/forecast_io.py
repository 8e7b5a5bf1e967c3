"""Reading office waiting-time histories from CSV and writing hourly forecasts to CSV.

History format (as in the Moers Bürgerservice series, MIT licence, (c) 2014, 2015 Thomas
Tursics): a header row with at least ``date`` (ISO ``YYYY-MM-DD``), ``hour`` (0-23) and
``avg_wait_min``; other columns (``iso_year``, ``iso_week``, ``weekday_mon0``) are ignored.
Forecast format: ``date,hour,avg_wait_min``.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from buergerbuero.analytics.forecasting import HourlyValue, forecast, slots_for_following_weeks

REQUIRED_COLUMNS = ("date", "hour", "avg_wait_min")


class HistoryFormatError(ValueError):
    """The history file cannot be used; the message says why and where."""


def read_history(path: Path) -> list[HourlyValue]:
    """Parse a history CSV, failing with a clear message on the first bad line."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            missing = [column for column in REQUIRED_COLUMNS if column not in columns]
            if not columns:
                raise HistoryFormatError(f"{path}: the file is empty.")
            if missing:
                raise HistoryFormatError(f"{path}: missing column(s) {', '.join(missing)}; found {', '.join(columns)}.")
            rows = [_parse_row(path, reader.line_num, raw) for raw in reader]
    except OSError as error:
        raise HistoryFormatError(f"{path}: cannot be read ({error.strerror}).") from error
    if not rows:
        raise HistoryFormatError(f"{path}: the file has a header but no rows.")
    return rows


def _parse_row(path: Path, line: int, raw: dict[str, str]) -> HourlyValue:
    text = {column: (raw.get(column) or "").strip() for column in REQUIRED_COLUMNS}
    try:
        day = date.fromisoformat(text["date"])
    except ValueError:
        raise HistoryFormatError(f"{path}, line {line}: date {text['date']!r} is not YYYY-MM-DD.") from None
    try:
        hour = int(text["hour"])
    except ValueError:
        raise HistoryFormatError(f"{path}, line {line}: hour {text['hour']!r} is not a whole number.") from None
    if not 0 <= hour <= 23:
        raise HistoryFormatError(f"{path}, line {line}: hour {hour} is not between 0 and 23.")
    try:
        value = float(text["avg_wait_min"])
    except ValueError:
        raise HistoryFormatError(
            f"{path}, line {line}: avg_wait_min {text['avg_wait_min']!r} is not a number."
        ) from None
    if not value >= 0:  # also rejects NaN
        raise HistoryFormatError(f"{path}, line {line}: avg_wait_min must be a non-negative number.")
    return HourlyValue(day=day, hour=hour, value=value)


def write_forecast_csv(path: Path, forecasts: Sequence[HourlyValue]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(REQUIRED_COLUMNS)
        for row in sorted(forecasts, key=lambda row: (row.day, row.hour)):
            writer.writerow([row.day.isoformat(), row.hour, f"{row.value:.1f}"])


def write_forecast(history_path: Path, weeks: int, out_path: Path) -> list[HourlyValue]:
    """Forecast the ``weeks`` ISO weeks after the history's last date and write them to ``out_path``."""
    history = read_history(history_path)
    forecasts = forecast(history, slots_for_following_weeks(history, weeks))
    write_forecast_csv(out_path, forecasts)
    return forecasts
