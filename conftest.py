"""Shared test harness; the fixtures live in ``tests/harness``."""

pytest_plugins = [
    "tests.harness.people",
    "tests.harness.clock",
    "tests.harness.browser",
    "tests.harness.axe",
    "tests.harness.staff",
    "tests.harness.oidc",
    "tests.harness.push_service",
    "tests.harness.fitconnect_fake",
    "tests.harness.asgi",
    "tests.harness.caches",
]
