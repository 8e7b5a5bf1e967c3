"""The statistics as a table: the page, the CSV and the XLSX file share these columns and definitions.

Exports suppress small counts (``STATS_MIN_COUNT``): a count from 1 to N−1 becomes ``"<N"``, and a
median, percentile or mean computed from fewer than N values, or a share of which a part is such a
count, becomes ``"n<N"`` (it would describe one or a few people). The rule is
``statistics.published`` / ``ServiceShareRow.published_share``. The page for staff shows the exact figures.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from .selectors_stats import Statistics
from .statistics import StatsRow, published, suppress

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

__all__ = ["Column", "Table", "columns_for", "csv_bytes", "export_filename", "statistics_table", "xlsx_bytes"]

Cell = str | int | float


@dataclass(frozen=True)
class Column:
    key: str  # the StatsRow attribute
    title: StrOrPromise
    definition: StrOrPromise
    kind: str = "count"  # count | measure | rate (what is suppressed how: statistics.published)
    cases: bool = False  # an application figure (municipality and Kreis only)


COLUMNS: tuple[Column, ...] = (
    Column("visitors", gettext_lazy("Visitors"), gettext_lazy("Tickets that came into the office (checked in).")),
    Column(
        "walk_ins",
        gettext_lazy("Walk-ins"),
        gettext_lazy("Visitors without an appointment (ticket machine, app or staff)."),
    ),
    Column(
        "with_appointment", gettext_lazy("With appointment"), gettext_lazy("Visitors checked in for an appointment.")
    ),
    Column("served", gettext_lazy("Served"), gettext_lazy("Tickets whose service was finished.")),
    Column(
        "wait_median",
        gettext_lazy("Wait, median (min)"),
        gettext_lazy("Minutes from joining the line to the first call; half waited less."),
        "measure",
    ),
    Column(
        "wait_p90",
        gettext_lazy("Wait, 90th percentile (min)"),
        gettext_lazy("Nine in ten waited at most this long (linear interpolation between ranks)."),
        "measure",
    ),
    Column(
        "service_median",
        gettext_lazy("Service time, median (min)"),
        gettext_lazy("Minutes from the start to the end of service at the counter."),
        "measure",
    ),
    Column(
        "service_p90",
        gettext_lazy("Service time, 90th percentile (min)"),
        gettext_lazy("Nine in ten services took at most this long."),
        "measure",
    ),
    Column(
        "appointments_due",
        gettext_lazy("Appointments due"),
        gettext_lazy("Booked appointments whose time has passed (not cancelled)."),
    ),
    Column("no_shows", gettext_lazy("No-shows"), gettext_lazy("Appointments marked as not attended.")),
    Column(
        "no_show_rate",
        gettext_lazy("No-show rate (%)"),
        gettext_lazy("No-shows divided by appointments due."),
        "rate",
    ),
    Column(
        "tickets_per_counter",
        gettext_lazy("Tickets per counter"),
        gettext_lazy("Served tickets divided by the counters that served at least one."),
        "measure",
    ),
    Column(
        "cases_submitted",
        gettext_lazy("Online applications"),
        gettext_lazy("Applications submitted online in the period."),
        cases=True,
    ),
    Column(
        "cases_decided",
        pgettext_lazy("applications", "Decided"),
        gettext_lazy("Applications decided in the period."),
        cases=True,
    ),
    Column(
        "processing_median_days",
        gettext_lazy("Processing time, median (days)"),
        gettext_lazy("Days from submission to decision, for the applications decided in the period."),
        "measure",
        cases=True,
    ),
    Column(
        "processing_p90_days",
        gettext_lazy("Processing time, 90th percentile (days)"),
        gettext_lazy("Nine in ten decided applications took at most this many days."),
        "measure",
        cases=True,
    ),
    Column(
        "backlog",
        gettext_lazy("Backlog"),
        gettext_lazy("Applications submitted and not yet decided at the end of the period."),
        cases=True,
    ),
    Column(
        "overdue",
        gettext_lazy("Overdue"),
        gettext_lazy("Of the backlog, applications past their deadline at the end of the period."),
        cases=True,
    ),
)


def columns_for(stats: Statistics) -> list[Column]:
    return [column for column in COLUMNS if stats.has_cases or not column.cases]


@dataclass
class Table:
    headers: list[str]
    definitions: list[str]
    rows: list[list[Cell]]  # the periods, then the total


def _cell(row: StatsRow, column: Column, *, min_count: int | None) -> Cell:
    value = published(row, column.key, min_count) if min_count else getattr(row, column.key)
    if value is None:
        return "" if column.kind != "count" else 0
    if isinstance(value, str) or column.kind == "count":
        return value
    if column.kind == "rate":
        return round(value * 100, 1)
    return float(value)


def statistics_table(stats: Statistics, *, min_count: int | None = None) -> Table:
    """The period rows and the total as cells; ``min_count`` suppresses small counts (exports)."""
    columns = columns_for(stats)
    rows: list[list[Cell]] = []
    for row in [*stats.rows, stats.total]:
        rows.append([row.label, *(_cell(row, column, min_count=min_count) for column in columns)])
    return Table(
        headers=[_("Period"), *(str(column.title) for column in columns)],
        definitions=[_("Definition"), *(str(column.definition) for column in columns)],
        rows=rows,
    )


def export_filename(stats: Statistics, extension: str) -> str:
    query = stats.query
    return f"statistik-{query.scope.slug}-{query.first:%Y-%m-%d}-{query.last:%Y-%m-%d}.{extension}"


def _meta_lines(stats: Statistics, min_count: int) -> list[str]:
    query = stats.query
    return [
        _("Statistics of %(scope)s, %(first)s to %(last)s")
        % {"scope": query.scope.name, "first": query.first.isoformat(), "last": query.last.isoformat()},
        _(
            "Counts below %(n)d are shown as <%(n)d; values computed from fewer than %(n)d cases, and shares of "
            "which a part is below %(n)d, as n<%(n)d."
        )
        % {"n": min_count},
    ]


def csv_bytes(stats: Statistics, *, min_count: int) -> bytes:
    """UTF-8 CSV (with BOM, so spreadsheet programs read the umlauts): header, definitions, periods, total."""
    table = statistics_table(stats, min_count=min_count)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.headers)
    writer.writerow(table.definitions)
    writer.writerows(table.rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(stats: Statistics, *, min_count: int) -> bytes:
    """The same table on the first sheet (plus a note), the online share per service and the counters on two more."""
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped]

    table = statistics_table(stats, min_count=min_count)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Statistics")[:31]
    sheet.append(table.headers)
    sheet.append(table.definitions)
    for row in table.rows:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for cell in sheet[2]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "B3"
    for line in ["", *_meta_lines(stats, min_count)]:
        sheet.append([line])

    services = workbook.create_sheet(_("Online share")[:31])
    services.append([_("Service"), _("Online applications"), _("On-site visits"), _("Online share (%)")])
    hide: Callable[[int], Cell] = lambda count: suppress(count, min_count)  # noqa: E731
    for share in stats.services:
        value = share.published_share(min_count)
        percent: Cell = "" if value is None else (value if isinstance(value, str) else round(value * 100, 1))
        services.append([share.name, hide(share.online), hide(share.on_site), percent])
    counters = workbook.create_sheet(_("Counters")[:31])
    counters.append([_("Office"), _("Counter"), _("Served tickets")])
    for counter in stats.counters:
        counters.append([counter.office, counter.counter, hide(counter.served)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
