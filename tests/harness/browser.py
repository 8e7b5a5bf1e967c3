"""Playwright (sync API) driving Debian's Chromium against pytest-django's ``live_server``.

Fixtures:

- ``browser`` (session): one Chromium for the whole run, launched from ``/usr/bin/chromium`` (never
  ``playwright install``; override with ``CHROMIUM``) with everything that would talk to the internet
  switched off.
- ``viewport``: ``PHONE`` (390 × 844) unless a test parametrizes it, e.g.
  ``@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])``.
- ``context`` / ``page``: a fresh browser context per test (no shared cookies or service workers),
  German locale, ``base_url`` = the live server, so ``page.goto("/kaarst/")`` works.
  The site's Content-Security-Policy is enforced, as for real users.

Mark every test that uses them with ``@pytest.mark.browser``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, sync_playwright

# Playwright's sync API runs an asyncio event loop in the main thread for the whole session. Django
# then believes every ORM call from a test or fixture comes from async code and raises
# SynchronousOnlyOperation. The calls are in fact synchronous (the loop only serves Playwright), so
# the check is switched off for the test process.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
#: Milliseconds Playwright waits for an element or a navigation before failing the test.
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def viewport() -> ViewportSize:
    return PHONE


def new_context(browser: Browser, base_url: str, viewport: ViewportSize, **options: Any) -> BrowserContext:
    """A context as citizens have it: German, phone-sized unless told otherwise."""
    context = browser.new_context(
        base_url=base_url,
        locale="de-DE",
        timezone_id="Europe/Berlin",
        viewport=viewport,
        **options,
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def context(browser: Browser, live_server: Any, viewport: ViewportSize) -> Iterator[BrowserContext]:
    context = new_context(browser, live_server.url, viewport)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()
