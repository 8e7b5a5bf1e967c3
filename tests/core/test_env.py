import pytest

from buergerbuero.core.env import ImproperlyConfiguredEnv, envbool, envint, envlist


def test_it_reads_booleans_in_their_usual_spellings(monkeypatch: pytest.MonkeyPatch) -> None:
    for raw, expected in [("true", True), ("1", True), ("Yes", True), ("off", False), ("0", False), ("", False)]:
        monkeypatch.setenv("FLAG", raw)
        assert envbool("FLAG", not expected) is expected


def test_it_fails_loudly_on_malformed_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfiguredEnv, match="FLAG"):
        envbool("FLAG", False)
    monkeypatch.setenv("NUMBER", "12a")
    with pytest.raises(ImproperlyConfiguredEnv, match="NUMBER"):
        envint("NUMBER", 1)


def test_it_falls_back_to_defaults_and_splits_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NUMBER", raising=False)
    assert envint("NUMBER", 7) == 7
    monkeypatch.setenv("HOSTS", "a.example.org, b.example.org,")
    assert envlist("HOSTS", []) == ["a.example.org", "b.example.org"]
