"""Accessibility checks with axe-core (WCAG 2.0/2.1, levels A and AA — what BITV 2.0 requires).

``assert_no_axe_violations(page)`` injects ``node_modules/axe-core/axe.min.js`` (``npm ci``) into the
page and fails with a readable list of violations. Use it with the ``axe_page`` fixture: Playwright
injects the script as inline content, which the site's CSP (``script-src 'self'``) rightly blocks, so
``axe_page`` comes from a context created with ``bypass_csp=True``. Keep CSP-sensitive assertions on
the ordinary ``page`` fixture, where the policy is enforced.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, ViewportSize

from tests.harness.browser import new_context

AXE_PATH = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture
def axe_page(browser: Browser, live_server: Any, viewport: ViewportSize) -> Iterator[Page]:
    """Like ``page``, but the CSP is bypassed so that axe can be injected as an inline script."""
    context = new_context(browser, live_server.url, viewport, bypass_csp=True)
    yield context.new_page()
    context.close()


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation.get('impact') or 'n/a'}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"][:10]:
            lines.append(f"    at {' '.join(map(str, node['target']))}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"       {summary}")
    return "\n".join(lines)


def axe_violations(page: Page, *, tags: list[str] | None = None) -> list[dict[str, Any]]:
    if not AXE_PATH.exists():
        raise FileNotFoundError(f"{AXE_PATH} is missing; run `npm ci` (or `make test-tools`)")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE_PATH))
        if not page.evaluate("() => typeof window.axe === 'object'"):
            raise RuntimeError("axe-core was not loaded: use the axe_page fixture (the CSP blocks inline scripts)")
    result: dict[str, Any] = page.evaluate(
        "async (tags) => await window.axe.run(document, "
        "{runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        tags or WCAG_TAGS,
    )
    violations: list[dict[str, Any]] = result["violations"]
    return violations


def assert_no_axe_violations(page: Page, *, tags: list[str] | None = None) -> None:
    violations = axe_violations(page, tags=tags)
    assert not violations, f"axe found {len(violations)} accessibility violation(s) on {page.url}:\n" + (
        format_violations(violations)
    )
