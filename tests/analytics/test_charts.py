"""analytics.charts: readable SVG with its data as a table (pure; no database)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from buergerbuero.analytics.charts import (
    HEATMAP_SCALE,
    SERIES_COLOURS,
    Chart,
    Series,
    bar_chart,
    contrast_ratio,
    format_value,
    heatmap,
    line_chart,
)

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def german() -> Iterator[None]:
    with translation.override("de"):
        yield


def _parse(chart: Chart) -> ET.Element:
    return ET.fromstring(str(chart.svg))  # noqa: S314 — our own output; well-formed XML or this raises


def _texts(chart: Chart) -> list[str]:
    return [element.text or "" for element in _parse(chart).iter(f"{SVG}text")]


def test_it_formats_values_in_the_active_language_and_missing_ones_as_a_dash() -> None:
    assert format_value(12) == "12"
    assert format_value(12.46, "min") == "12,5\u00a0min"
    assert format_value(None) == "–"
    assert format_value(float("nan")) == "–"
    with translation.override("en"):
        assert format_value(12.46) == "12.5"


def test_it_escapes_every_text_it_draws() -> None:
    evil = '<script>alert("x")</script> & Co'
    chart = bar_chart(title=evil, categories=[evil], series=[Series(evil, [1.0]), Series("b", [2.0])])
    svg = str(chart.svg)
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    root = _parse(chart)
    assert root.find(f"{SVG}title").text == evil  # the parser gives the text back unescaped
    assert evil in _texts(chart)  # category label and legend
    assert chart.table.rows[0][0] == evil  # the table holds plain text; the template escapes it
    html = render_to_string("analytics/includes/chart.html", {"chart": chart})
    assert "<script>" not in html
    assert html.count("&lt;script&gt;") >= 3  # caption, table caption, row header (and the SVG)


def test_the_bar_chart_table_is_the_data_with_gaps_as_dashes() -> None:
    chart = bar_chart(
        title="Besuche",
        categories=["Mo", "Di", "Mi"],
        series=[Series("2025", [120.0, 98.5, None]), Series("2026", [130.0, None, 40.0])],
        unit="Besuche",
        category_label="Wochentag",
    )
    assert chart.table.columns == ["Wochentag", "2025 (Besuche)", "2026 (Besuche)"]
    assert chart.table.rows == [["Mo", "120", "130"], ["Di", "98,5", "–"], ["Mi", "–", "40"]]
    bars = [rect for rect in _parse(chart).iter(f"{SVG}rect") if "url(#" in (rect.get("fill") or "")]
    assert len(bars) - 2 == 4  # two legend swatches + the four present values: no bar for a gap
    assert _texts(chart).count("–") == 2  # the gaps are marked in the drawing too


def test_stacked_bars_stack_and_keep_the_table() -> None:
    chart = bar_chart(
        title="Anteil",
        categories=["Jan", "Feb"],
        series=[Series("online", [3.0, 5.0]), Series("vor Ort", [7.0, 5.0])],
        stacked=True,
    )
    assert chart.table.rows == [["Jan", "3", "7"], ["Feb", "5", "5"]]
    heights = [
        float(rect.get("height") or 0)
        for rect in _parse(chart).iter(f"{SVG}rect")
        if (rect.get("fill") or "").startswith("url(#") and rect.get("width") != "14"
    ]
    assert len(heights) == 4
    assert heights[0] + heights[1] == pytest.approx(heights[2] + heights[3], abs=0.2)  # both total 10


def test_a_line_breaks_at_a_missing_value_instead_of_inventing_one() -> None:
    chart = line_chart(
        title="Wartezeit",
        x_labels=["KW 1", "KW 2", "KW 3", "KW 4"],
        series=[Series("Median", [5.0, None, 7.0, 8.0])],
        unit="min",
        category_label="Woche",
    )
    lines = list(_parse(chart).iter(f"{SVG}polyline"))
    assert [len((line.get("points") or "").split()) for line in lines] == [1, 2]
    assert chart.table.columns == ["Woche", "Median (min)"]
    assert [row[1] for row in chart.table.rows] == ["5", "–", "7", "8"]


def test_the_heatmap_writes_each_value_in_its_cell_and_marks_now() -> None:
    chart = heatmap(
        title="Wartezeit",
        rows=["Mo", "Di"],
        columns=["8:00", "9:00", "10:00"],
        values=[[1.0, 10.0, None], [4.0, 20.0, 30.0]],
        unit="min",
        marker=(1, 2),
        marker_label="jetzt",
        row_label="Wochentag",
    )
    assert chart.table.columns == ["Wochentag", "8:00", "9:00", "10:00"]
    assert chart.table.rows == [
        ["Mo", "1\u00a0min", "10\u00a0min", "–"],
        ["Di", "4\u00a0min", "20\u00a0min", "30\u00a0min (jetzt)"],
    ]
    texts = _texts(chart)
    for value in ("1", "10", "–", "4", "20", "30", "jetzt"):
        assert value in texts
    assert "jetzt" in chart.description and "Di, 10:00" in chart.description
    assert len(re.findall(r'class="chart__marker"', str(chart.svg))) == 1
    # the darkest colour is the largest value, the lightest the smallest
    fills = {
        rect.get("fill")
        for rect in _parse(chart).iter(f"{SVG}rect")
        if rect.get("width") not in ("14", "13") and rect.get("fill") not in ("none", "#ffffff")
    }
    assert HEATMAP_SCALE[-1] in fills  # 30 min
    assert HEATMAP_SCALE[0] in fills  # 1 min (the scale starts at 0)


def test_a_marker_outside_the_grid_is_ignored() -> None:
    chart = heatmap(title="x", rows=["Mo"], columns=["8:00"], values=[[1.0]], marker=(3, 3))
    assert "chart__marker" not in str(chart.svg)
    assert chart.table.rows == [["Mo", "1"]]


def test_series_colours_and_heatmap_text_are_readable() -> None:
    for colour in SERIES_COLOURS[:5]:
        assert contrast_ratio(colour, "#ffffff") >= 3.0, colour
    # lighter palette colours never stand alone: every bar has a dark outline, light lines a dark casing
    chart = bar_chart(title="t", categories=["a"], series=[Series(str(n), [1.0]) for n in range(8)])
    bars = [r for r in _parse(chart).iter(f"{SVG}rect") if (r.get("fill") or "").startswith("url(#")]
    assert bars and all(contrast_ratio(r.get("stroke") or "#ffffff", "#ffffff") >= 3 for r in bars)
    lines = line_chart(title="t", x_labels=["a", "b"], series=[Series(str(n), [1.0, 2.0]) for n in range(8)])
    outlined = [p for p in _parse(lines).iter(f"{SVG}polyline") if p.get("stroke-width") == "5"]
    assert len(outlined) == sum(1 for c in SERIES_COLOURS if contrast_ratio(c, "#ffffff") < 3)
    # the sequential scale goes one way, and the value in each cell stays readable (4.5:1)
    luminance_order = [contrast_ratio(colour, "#ffffff") for colour in HEATMAP_SCALE]
    assert luminance_order == sorted(luminance_order)
    grid = heatmap(title="t", rows=["r"], columns=[str(n) for n in range(9)], values=[[float(n) for n in range(9)]])
    root = _parse(grid)
    cells = [r for r in root.iter(f"{SVG}rect") if r.get("width") not in ("14", "13") and r.get("fill") != "none"]
    labels = [t for t in root.iter(f"{SVG}text") if t.get("fill")]
    assert len(cells) == len(labels) == 9
    for cell, label in zip(cells, labels, strict=True):
        assert contrast_ratio(cell.get("fill") or "", label.get("fill") or "") >= 4.5


def test_it_is_deterministic_small_and_readable_on_a_phone() -> None:
    def make() -> Chart:
        return line_chart(title="t", x_labels=["a", "b", "c"], series=[Series("s", [1.0, 2.0, 3.0])], unit="min")

    assert make() == make()
    other = line_chart(title="t", x_labels=["a", "b", "c"], series=[Series("s", [1.0, 2.0, 4.0])], unit="min")
    assert other.dom_id != make().dom_id
    root = _parse(make())
    assert root.get("viewBox", "").startswith("0 0 ")
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == f"{make().dom_id}-title"
    assert int(root.get("font-size") or 0) >= 12
    assert not re.search(r'font-size="(\d+)"', str(make().svg).replace('font-size="12"', ""))
    assert len(str(make().svg)) < 5000


def test_the_include_shows_figure_caption_svg_and_the_table() -> None:
    chart = bar_chart(title="Besuche je Tag", categories=["Mo", "Di"], series=[Series("Besuche", [3.0, None])])
    html = render_to_string("analytics/includes/chart.html", {"chart": chart})
    assert f'<figcaption class="chart__caption" id="{chart.dom_id}-caption">Besuche je Tag</figcaption>' in html
    assert 'role="img"' in html
    assert "<details" in html
    assert '<th scope="col">Besuche</th>' in html
    assert '<th scope="row">Mo</th><td>3</td>' in html
    assert '<th scope="row">Di</th><td>–</td>' in html
