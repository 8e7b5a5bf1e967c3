"""``envfloat``: a number from the environment, or the default; anything else stops the start."""

from __future__ import annotations

import pytest

from buergerbuero.core.env import ImproperlyConfiguredEnv, envfloat


def test_it_reads_a_number_and_falls_back_to_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BB_TEST_FACTOR", raising=False)
    assert envfloat("BB_TEST_FACTOR", 0.5) == 0.5
    monkeypatch.setenv("BB_TEST_FACTOR", "")
    assert envfloat("BB_TEST_FACTOR", 0.5) == 0.5
    monkeypatch.setenv("BB_TEST_FACTOR", " 1.25 ")
    assert envfloat("BB_TEST_FACTOR", 0.5) == 1.25
    monkeypatch.setenv("BB_TEST_FACTOR", "2")
    assert envfloat("BB_TEST_FACTOR", 0.5) == 2.0


@pytest.mark.parametrize("raw", ["0,5", "half", "nan", "inf", "-inf"])
def test_it_refuses_what_is_not_a_finite_number(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("BB_TEST_FACTOR", raw)
    with pytest.raises(ImproperlyConfiguredEnv, match="BB_TEST_FACTOR"):
        envfloat("BB_TEST_FACTOR", 0.5)
