"""The include booking forms put the proof-of-work fields in with."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.template.loader import render_to_string
from django.utils import translation


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: list[str] = field(default_factory=list)


class _Elements(HTMLParser):
    """Every element with its attributes and the text directly or deeper inside it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {key: value or "" for key, value in attrs})
        self.elements.append(element)
        if tag not in ("input", "meta", "br"):
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        while self._open and self._open.pop().tag != tag:
            pass

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element.text.append(data)


def rendered() -> list[Element]:
    with translation.override("en"):
        html = render_to_string("appointments/includes/altcha_fields.html")
    parser = _Elements()
    parser.feed(html)
    return parser.elements


def one(tag: str, attribute: str = "") -> Element:
    (found,) = [e for e in rendered() if e.tag == tag and (not attribute or attribute in e.attrs)]
    return found


def test_it_has_the_hidden_field_the_form_posts() -> None:
    field = one("input")

    assert field.attrs == {"type": "hidden", "name": "altcha", "value": "", "autocomplete": "off"}


def test_it_announces_progress_politely_with_translatable_texts() -> None:
    status = one("p", "data-altcha-status")

    assert status.attrs["aria-live"] == "polite"
    for key in ("working", "waiting", "done", "failed"):
        assert status.attrs[f"data-text-{key}"], key
    assert "hidden" in one("progress").attrs


def test_it_tells_people_without_javascript_why_booking_needs_it() -> None:
    note = "".join(one("noscript").text)

    assert "needs JavaScript" in note
    assert "by phone" in note


def test_it_loads_pow_js_as_a_file_not_inline() -> None:
    script = one("script")

    assert script.attrs == {"src": "/static/appointments/pow.js", "defer": ""}
    assert not "".join(script.text).strip()
