"""Charts people can read: small server-rendered SVG, each with its data as a table.

Pure: no ORM, no request, no randomness — the same input always gives the same markup (ids are a hash of
the data), so charts can be cached, tested as text and printed.

Readable without colour: series are drawn from the Okabe–Ito palette (colour-blind safe) *and* told apart by a
second channel — bar series by fill patterns, line series by marker shapes, heatmap cells by the value written in
them. Every bar has a dark outline (the lighter palette colours alone are below 3:1 against white), the first five
series colours reach 3:1 on their own. Heatmaps use one sequential hue (ColorBrewer "Blues"); the text colour in a
cell is whichever of black and white contrasts more with its fill. Missing values (``None``) are gaps in the
drawing and "–" in the table.

Readable on a small screen: the drawing has a ``viewBox`` and scales with its container; text is 12 units or more.
Every chart carries its accessible alternative: ``<title>``/``<desc>`` inside the SVG (``role="img"``) and a
``ChartTable`` that the include ``analytics/includes/chart.html`` shows in a ``<details>`` below the figure.

    chart = bar_chart(title="Besuche je Wochentag", categories=["Mo", "Di"], series=[Series("2024", [120, 98])])
    {% include "analytics/includes/chart.html" with chart=chart %}
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, pgettext

__all__ = [
    "HEATMAP_SCALE",
    "SERIES_COLOURS",
    "Chart",
    "ChartTable",
    "Series",
    "bar_chart",
    "contrast_ratio",
    "format_value",
    "heatmap",
    "line_chart",
]

# Okabe & Ito (2008), ordered so the first five reach 3:1 against white on their own.
SERIES_COLOURS: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#000000",  # black
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
)
# ColorBrewer "Blues", 9 classes: light = little, dark = much.
HEATMAP_SCALE: tuple[str, ...] = (
    "#f7fbff",
    "#deebf7",
    "#c6dbef",
    "#9ecae1",
    "#6baed6",
    "#4292c6",
    "#2171b5",
    "#08519c",
    "#08306b",
)
MARKER_SHAPES = ("circle", "square", "triangle", "diamond", "triangle-down", "cross")
PATTERNS = ("solid", "diagonal", "dots", "horizontal", "cross", "vertical", "back-diagonal", "grid")

INK = "#1a1a1a"
GRID = "#b0b0b0"
FONT_SIZE = 12
CHAR_WIDTH = 7.2  # average glyph width at 12px, for layout estimates
WIDTH = 640


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float | None]


@dataclass(frozen=True)
class ChartTable:
    columns: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class Chart:
    svg: SafeString
    title: str
    table: ChartTable
    description: str = ""
    dom_id: str = field(default="")


# --- formatting and colour -------------------------------------------------------------------------------------


def format_value(value: float | None, unit: str = "") -> str:
    """A value as people read it in the active language: "12", "12,5 min"; a missing value is "–"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    rounded = round(value, 1)
    if rounded == int(rounded):
        text = number_format(int(rounded), decimal_pos=0)
    else:
        text = number_format(rounded, decimal_pos=1)
    return f"{text}\u00a0{unit}" if unit else text


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours (1–21)."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _ink_on(fill: str) -> str:
    return "#000000" if contrast_ratio(fill, "#000000") >= contrast_ratio(fill, "#ffffff") else "#ffffff"


def _colour(index: int) -> str:
    return SERIES_COLOURS[index % len(SERIES_COLOURS)]


def _num(value: float) -> str:
    """A coordinate, short and stable."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _chart_id(kind: str, *parts: object) -> str:
    digest = hashlib.sha1(repr((kind, parts)).encode(), usedforsecurity=False).hexdigest()
    return f"chart-{digest[:10]}"


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] (steps of 1, 2 or 5 × 10^k)."""
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value < high + step * 0.5:
        ticks.append(round(value, 10))
        if value >= high:
            break
        value += step
    return ticks


def _text(x: float, y: float, content: str, *, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}"{extra}>{escape(content)}</text>'


def _svg(chart_id: str, width: float, height: float, title: str, description: str, body: list[str]) -> SafeString:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart__svg" viewBox="0 0 {_num(width)} {_num(height)}" '
        f'width="{_num(width)}" height="{_num(height)}" role="img" '
        f'aria-labelledby="{chart_id}-title" aria-describedby="{chart_id}-desc" '
        f'font-family="sans-serif" font-size="{FONT_SIZE}" fill="{INK}">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
    )
    return mark_safe(head + "".join(body) + "</svg>")  # noqa: S308 — every text above and in body is escaped


def _pattern_def(pattern_id: str, index: int) -> str:
    colour = _colour(index)
    kind = PATTERNS[index % len(PATTERNS)]
    ink = _ink_on(colour)
    marks = {
        "solid": "",
        "diagonal": f'<path d="M-2 2 L2 -2 M0 8 L8 0 M6 10 L10 6" stroke="{ink}" stroke-width="1.5"/>',
        "dots": f'<circle cx="4" cy="4" r="1.6" fill="{ink}"/>',
        "horizontal": f'<path d="M0 4 H8" stroke="{ink}" stroke-width="1.5"/>',
        "cross": f'<path d="M0 0 L8 8 M8 0 L0 8" stroke="{ink}" stroke-width="1"/>',
        "vertical": f'<path d="M4 0 V8" stroke="{ink}" stroke-width="1.5"/>',
        "back-diagonal": f'<path d="M-2 6 L2 10 M0 0 L8 8 M6 -2 L10 2" stroke="{ink}" stroke-width="1.5"/>',
        "grid": f'<path d="M0 4 H8 M4 0 V8" stroke="{ink}" stroke-width="1"/>',
    }[kind]
    return (
        f'<pattern id="{pattern_id}" width="8" height="8" patternUnits="userSpaceOnUse">'
        f'<rect width="8" height="8" fill="{colour}"/>{marks}</pattern>'
    )


def _polygon(points: Sequence[tuple[float, float]], attributes: str) -> str:
    path = " L".join(f"{_num(x)} {_num(y)}" for x, y in points)
    return f'<path d="M{path} Z" {attributes}/>'


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    stroke = f'fill="{colour}" stroke="{INK}" stroke-width="1"'
    if shape == "circle":
        return f'<circle cx="{_num(x)}" cy="{_num(y)}" r="4" {stroke}/>'
    if shape == "square":
        return f'<rect x="{_num(x - 3.5)}" y="{_num(y - 3.5)}" width="7" height="7" {stroke}/>'
    if shape == "triangle":
        return _polygon([(x, y - 5), (x + 5, y + 4), (x - 5, y + 4)], stroke)
    if shape == "triangle-down":
        return _polygon([(x, y + 5), (x + 5, y - 4), (x - 5, y - 4)], stroke)
    if shape == "diamond":
        return _polygon([(x, y - 5), (x + 5, y), (x, y + 5), (x - 5, y)], stroke)
    return (
        f'<path d="M{_num(x - 4)} {_num(y - 4)} L{_num(x + 4)} {_num(y + 4)} M{_num(x + 4)} {_num(y - 4)} '
        f'L{_num(x - 4)} {_num(y + 4)}" stroke="{colour}" stroke-width="3"/>'
    )


def _legend(series: Sequence[Series], swatch: list[str], y: float) -> tuple[list[str], float]:
    """Legend entries left to right, wrapping; returns the markup and the height used."""
    parts: list[str] = []
    x, row_y, height = 0.0, y, 0.0
    for index, item in enumerate(series):
        width = 22 + len(item.name) * CHAR_WIDTH + 16
        if x > 0 and x + width > WIDTH:
            x, row_y = 0.0, row_y + 20
        parts.append(f'<g transform="translate({_num(x)} {_num(row_y)})">{swatch[index]}')
        parts.append(_text(20, 11, item.name) + "</g>")
        x += width
        height = row_y - y + 20
    return parts, height


def _series_table(label: str, categories: Sequence[str], series: Sequence[Series], unit: str) -> ChartTable:
    columns = [label, *(f"{item.name} ({unit})" if unit else item.name for item in series)]
    rows = [
        [category, *(format_value(_at(item.values, index)) for item in series)]
        for index, category in enumerate(categories)
    ]
    return ChartTable(columns=columns, rows=rows)


def _at(values: Sequence[float | None], index: int) -> float | None:
    value = values[index] if index < len(values) else None
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _axis(ticks: list[float], scale_y: object, left: float, right: float, unit: str) -> list[str]:
    parts = []
    for tick in ticks:
        y = scale_y(tick)  # type: ignore[operator]
        parts.append(f'<path d="M{_num(left)} {_num(y)} H{_num(right)}" stroke="{GRID}" stroke-width="1"/>')
        parts.append(_text(left - 6, y + 4, format_value(tick), anchor="end"))
    if unit:
        parts.append(_text(left - 6, scale_y(ticks[-1]) - 10, unit, anchor="end"))  # type: ignore[operator]
    return parts


def _category_labels(labels: Sequence[str], centres: list[float], y: float, space: float) -> tuple[list[str], float]:
    """Category labels under the plot; every n-th one and turned when they would overlap. Returns markup, height."""
    longest = max((len(label) for label in labels), default=1) * CHAR_WIDTH
    turned = longest > space * 0.95
    step = 1
    if turned:
        while space * step < FONT_SIZE * 1.4:
            step += 1
    parts = []
    for index, (label, x) in enumerate(zip(labels, centres, strict=False)):
        if index % step:
            continue
        if turned:
            parts.append(
                _text(x + 4, y + 6, label, anchor="end", extra=f' transform="rotate(-45 {_num(x + 4)} {_num(y + 6)})"')
            )
        else:
            parts.append(_text(x, y + 14, label, anchor="middle"))
    height = (longest * 0.72 + 16) if turned else 22
    return parts, height


def _describe(kind: str, title: str, count_text: str) -> str:
    return gettext("%(kind)s: %(title)s. %(count)s. The figures are in the table below the chart.") % {
        "kind": kind,
        "title": title,
        "count": count_text,
    }


# --- bar chart --------------------------------------------------------------------------------------------------


def bar_chart(
    *,
    title: str,
    categories: list[str],
    series: list[Series],
    unit: str = "",
    stacked: bool = False,
    category_label: str = "",
) -> Chart:
    """Bars per category, one bar per series side by side (or stacked). ``None`` leaves a gap marked "–"."""
    chart_id = _chart_id("bar", title, categories, [(s.name, s.values) for s in series], unit, stacked)
    left, right, top = 56.0, WIDTH - 8.0, 8.0
    defs = "".join(_pattern_def(f"{chart_id}-p{index}", index) for index in range(len(series)))
    swatches = [
        f'<rect width="14" height="14" fill="url(#{chart_id}-p{index})" stroke="{INK}" stroke-width="1"/>'
        for index in range(len(series))
    ]
    legend, legend_height = _legend(series, swatches, top) if len(series) > 1 else ([], 0.0)
    top += legend_height + 20

    def extent(index: int) -> tuple[float, float]:
        values = [_at(item.values, index) for item in series]
        present = [v for v in values if v is not None]
        if stacked:
            return sum(v for v in present if v < 0), sum(v for v in present if v > 0)
        return min(present, default=0.0), max(present, default=0.0)

    extents = [extent(index) for index in range(len(categories))]
    low = min([0.0, *(lo for lo, _ in extents)])
    high = max([0.0, *(hi for _, hi in extents)])
    ticks = _nice_ticks(low, high)
    plot_height = 220.0
    bottom_axis = top + plot_height

    def scale_y(value: float) -> float:
        return bottom_axis - (value - ticks[0]) / (ticks[-1] - ticks[0]) * plot_height

    group = (right - left) / max(len(categories), 1)
    body: list[str] = [f"<defs>{defs}</defs>", *legend, *_axis(ticks, scale_y, left, right, unit)]
    show_values = not stacked and len(categories) * max(len(series), 1) <= 24
    bar_width = group * 0.8 / (1 if stacked else max(len(series), 1))
    centres: list[float] = []
    for index, _category in enumerate(categories):
        start = left + group * index + group * 0.1
        centres.append(left + group * (index + 0.5))
        positive, negative = 0.0, 0.0
        for number, item in enumerate(series):
            value = _at(item.values, index)
            x = start if stacked else start + bar_width * number
            if value is None:
                body.append(_text(x + bar_width / 2, scale_y(0) - 4, "–", anchor="middle"))
                continue
            if stacked:
                base = positive if value >= 0 else negative
                y0, y1 = scale_y(base), scale_y(base + value)
                if value >= 0:
                    positive += value
                else:
                    negative += value
            else:
                y0, y1 = scale_y(0), scale_y(value)
            y, height = min(y0, y1), abs(y1 - y0)
            body.append(
                f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(bar_width)}" height="{_num(height)}" '
                f'fill="url(#{chart_id}-p{number})" stroke="{INK}" stroke-width="1"/>'
            )
            if show_values and bar_width >= len(format_value(value)) * CHAR_WIDTH * 0.7:
                body.append(_text(x + bar_width / 2, y - 4, format_value(value), anchor="middle"))
    body.append(f'<path d="M{_num(left)} {_num(scale_y(0))} H{_num(right)}" stroke="{INK}" stroke-width="1"/>')
    labels, label_height = _category_labels(categories, centres, bottom_axis, group)
    body.extend(labels)
    height = bottom_axis + label_height + 4
    description = _describe(
        pgettext("chart kind", "Stacked bar chart") if stacked else pgettext("chart kind", "Bar chart"),
        title,
        gettext("%(categories)d categories, %(series)d series")
        % {"categories": len(categories), "series": len(series)},
    )
    return Chart(
        svg=_svg(chart_id, WIDTH, height, title, description, body),
        title=title,
        table=_series_table(category_label or pgettext("chart table", "Category"), categories, series, unit),
        description=description,
        dom_id=chart_id,
    )


# --- line chart -------------------------------------------------------------------------------------------------


def line_chart(
    *,
    title: str,
    x_labels: list[str],
    series: list[Series],
    unit: str = "",
    category_label: str = "",
) -> Chart:
    """One line per series over ``x_labels``; a ``None`` breaks the line (a gap, never a made-up value)."""
    chart_id = _chart_id("line", title, x_labels, [(s.name, s.values) for s in series], unit)
    left, right, top = 56.0, WIDTH - 16.0, 8.0
    swatches = [
        f'<path d="M0 7 H16" stroke="{_colour(index)}" stroke-width="3"/>'
        + _marker(MARKER_SHAPES[index % len(MARKER_SHAPES)], 8, 7, _colour(index))
        for index in range(len(series))
    ]
    legend, legend_height = _legend(series, swatches, top) if len(series) > 1 else ([], 0.0)
    top += legend_height + 20
    present = [v for item in series for v in (_at(item.values, i) for i in range(len(x_labels))) if v is not None]
    ticks = _nice_ticks(min([0.0, *present]), max([0.0, *present]))
    plot_height = 220.0
    bottom_axis = top + plot_height

    def scale_y(value: float) -> float:
        return bottom_axis - (value - ticks[0]) / (ticks[-1] - ticks[0]) * plot_height

    count = max(len(x_labels), 1)
    space = (right - left) / count
    xs = [left + space * (index + 0.5) for index in range(len(x_labels))]
    body: list[str] = [*legend, *_axis(ticks, scale_y, left, right, unit)]
    show_markers = count <= 40
    for number, item in enumerate(series):
        colour = _colour(number)
        casing = contrast_ratio(colour, "#ffffff") < 3
        runs: list[list[tuple[float, float]]] = [[]]
        for index, x in enumerate(xs):
            value = _at(item.values, index)
            if value is None:
                if runs[-1]:
                    runs.append([])
                continue
            runs[-1].append((x, scale_y(value)))
        for run in runs:
            if not run:
                continue
            points = " ".join(f"{_num(x)},{_num(y)}" for x, y in run)
            if casing:
                body.append(f'<polyline points="{points}" fill="none" stroke="{INK}" stroke-width="5"/>')
            body.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="3"/>')
            if show_markers or len(run) == 1:
                body.extend(_marker(MARKER_SHAPES[number % len(MARKER_SHAPES)], x, y, colour) for x, y in run)
    body.append(f'<path d="M{_num(left)} {_num(bottom_axis)} H{_num(right)}" stroke="{INK}" stroke-width="1"/>')
    labels, label_height = _category_labels(x_labels, xs, bottom_axis, space)
    body.extend(labels)
    height = bottom_axis + label_height + 4
    description = _describe(
        pgettext("chart kind", "Line chart"),
        title,
        gettext("%(points)d points, %(series)d series") % {"points": len(x_labels), "series": len(series)},
    )
    return Chart(
        svg=_svg(chart_id, WIDTH, height, title, description, body),
        title=title,
        table=_series_table(category_label or pgettext("chart table", "Period"), x_labels, series, unit),
        description=description,
        dom_id=chart_id,
    )


# --- heatmap ----------------------------------------------------------------------------------------------------


def _scale_colour(value: float, low: float, high: float) -> str:
    share = 0.0 if high <= low else (value - low) / (high - low)
    index = min(len(HEATMAP_SCALE) - 1, max(0, int(share * (len(HEATMAP_SCALE) - 1) + 0.5)))
    return HEATMAP_SCALE[index]


def heatmap(
    *,
    title: str,
    rows: list[str],
    columns: list[str],
    values: list[list[float | None]],
    unit: str = "",
    marker: tuple[int, int] | None = None,
    marker_label: str = "",
    row_label: str = "",
) -> Chart:
    """A grid of values (rows × columns) on one sequential hue, each cell with its value written in it.

    ``marker`` is a (row, column) to outline — e.g. "now"; it is named by ``marker_label`` in the drawing's key
    and in the table. ``None`` cells stay white with "–".
    """
    marker_text = marker_label or pgettext("chart marker", "now")
    chart_id = _chart_id("heat", title, rows, columns, values, unit, marker, marker_text)
    cells = [[_at(row_values, index) for index in range(len(columns))] for row_values in values]
    cells += [[None] * len(columns)] * (len(rows) - len(cells))
    present = [v for row in cells for v in row if v is not None]
    low, high = min([0.0, *present]), max([0.0, *present])
    row_header = max((len(label) for label in rows), default=1) * CHAR_WIDTH + 10
    widest = max([len(format_value(v)) for v in present] + [len(label) for label in columns] + [2])
    cell_width = max(30.0, widest * CHAR_WIDTH + 8)
    cell_height = 28.0
    left, top = row_header, 22.0
    width = left + cell_width * len(columns) + 4
    body: list[str] = []
    for index, label in enumerate(columns):
        body.append(_text(left + cell_width * (index + 0.5), top - 8, label, anchor="middle"))
    for row_index, label in enumerate(rows):
        y = top + cell_height * row_index
        body.append(_text(left - 8, y + cell_height / 2 + 4, label, anchor="end"))
        for column_index in range(len(columns)):
            x = left + cell_width * column_index
            value = cells[row_index][column_index]
            fill = "#ffffff" if value is None else _scale_colour(value, low, high)
            body.append(
                f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(cell_width)}" height="{_num(cell_height)}" '
                f'fill="{fill}" stroke="#ffffff" stroke-width="1"/>'
            )
            body.append(
                _text(
                    x + cell_width / 2,
                    y + cell_height / 2 + 4,
                    format_value(value),
                    anchor="middle",
                    extra=f' fill="{_ink_on(fill)}"',
                )
            )
    grid_bottom = top + cell_height * len(rows)
    body.append(
        f'<rect x="{_num(left)}" y="{_num(top)}" width="{_num(cell_width * len(columns))}" '
        f'height="{_num(cell_height * len(rows))}" fill="none" stroke="{GRID}" stroke-width="1"/>'
    )
    has_marker = marker is not None and 0 <= marker[0] < len(rows) and 0 <= marker[1] < len(columns)
    if marker is not None and has_marker:
        x, y = left + cell_width * marker[1], top + cell_height * marker[0]
        body.append(
            f'<rect x="{_num(x + 1.5)}" y="{_num(y + 1.5)}" width="{_num(cell_width - 3)}" '
            f'height="{_num(cell_height - 3)}" fill="none" stroke="#000000" stroke-width="3" class="chart__marker"/>'
            f'<rect x="{_num(x + 3.5)}" y="{_num(y + 3.5)}" width="{_num(cell_width - 7)}" '
            f'height="{_num(cell_height - 7)}" fill="none" stroke="#ffffff" stroke-width="1"/>'
        )
    # Key: the scale from little to much (with its end values) and the marker.
    key_y = grid_bottom + 14
    steps = len(HEATMAP_SCALE)
    key_x = left
    body.append(_text(key_x, key_y + 12, format_value(low, unit), anchor="start"))
    key_x += len(format_value(low, unit)) * CHAR_WIDTH + 6
    for index, colour in enumerate(HEATMAP_SCALE):
        body.append(
            f'<rect x="{_num(key_x + index * 14)}" y="{_num(key_y)}" width="14" height="14" fill="{colour}" '
            f'stroke="{GRID}" stroke-width="0.5"/>'
        )
    key_x += steps * 14 + 6
    body.append(_text(key_x, key_y + 12, format_value(high, unit), anchor="start"))
    key_x += len(format_value(high, unit)) * CHAR_WIDTH + 20
    key_height = 18.0
    if has_marker:
        if key_x + 22 + len(marker_text) * CHAR_WIDTH > width:
            key_x, key_y = left, key_y + 22
            key_height += 22
        body.append(
            f'<rect x="{_num(key_x + 1.5)}" y="{_num(key_y + 0.5)}" width="13" height="13" fill="#ffffff" '
            f'stroke="#000000" stroke-width="3"/>'
        )
        body.append(_text(key_x + 22, key_y + 12, marker_text))
    width = max(width, key_x + 22 + len(marker_text) * CHAR_WIDTH + 4 if has_marker else key_x)
    height = key_y + key_height + 4
    description = _describe(
        pgettext("chart kind", "Heat map"),
        title,
        gettext("%(rows)d rows, %(columns)d columns, darker means more") % {"rows": len(rows), "columns": len(columns)},
    )
    if marker is not None and has_marker:
        description += " " + gettext("The outlined cell is %(marker)s: %(row)s, %(column)s.") % {
            "marker": marker_text,
            "row": rows[marker[0]],
            "column": columns[marker[1]],
        }
    table_rows = []
    for row_index, label in enumerate(rows):
        row = [label]
        for column_index in range(len(columns)):
            text = format_value(cells[row_index][column_index], unit)
            if has_marker and marker == (row_index, column_index):
                text = f"{text} ({marker_text})"
            row.append(text)
        table_rows.append(row)
    header = row_label or pgettext("chart table", "Row")
    table_columns = [header, *columns]
    return Chart(
        svg=_svg(chart_id, width, height, title, description, body),
        title=title,
        table=ChartTable(columns=table_columns, rows=table_rows),
        description=description,
        dom_id=chart_id,
    )
