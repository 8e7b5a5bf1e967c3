"""Template hygiene that Django does not check for us."""

from __future__ import annotations

from pathlib import Path

import buergerbuero

SOURCE = Path(buergerbuero.__file__).parent


def test_it_has_no_multi_line_short_comments() -> None:
    # "{# ... #}" must end on its own line; otherwise Django prints the comment on the page.
    offenders = [
        f"{path.relative_to(SOURCE)}:{number}"
        for path in SOURCE.rglob("templates/**/*.html")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if line.count("{#") > line.count("#}")
    ]
    assert not offenders, f"use {{% comment %}} for comments over several lines: {offenders}"
