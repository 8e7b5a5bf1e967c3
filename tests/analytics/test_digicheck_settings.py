"""The Digitalisierungscheck's assumptions and the feedback limits are deploy-time settings (env-driven,
in ``config/settings.py`` and ``.env.example``) that the code reads directly."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.conf import settings as django_settings

from buergerbuero.analytics.rating_links import link_max_age_days
from buergerbuero.analytics.selectors_digicheck import digicheck_factors
from buergerbuero.analytics.services.feedback import survey_votes_per_day

NAMES = {
    "DIGICHECK_VISITS_PER_APPLICATION": 1.0,
    "DIGICHECK_VISITS_PER_CHECKLIST": 0.5,
    "DIGICHECK_ONLINE_MINUTES_SHARE": 0.5,
    "SURVEY_VOTES_PER_DAY": 3,
    "RATING_LINK_MAX_AGE_DAYS": 60,
}


def test_the_settings_exist_with_their_documented_defaults() -> None:
    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text(encoding="utf-8")
    for name, default in NAMES.items():
        assert getattr(django_settings, name) == default, name
        assert re.search(rf"^{name}={re.escape(str(default))}$", example, re.M), name


def test_the_code_reads_the_settings(settings: Any) -> None:
    settings.DIGICHECK_VISITS_PER_APPLICATION = 1.5
    settings.DIGICHECK_VISITS_PER_CHECKLIST = 0.25
    settings.DIGICHECK_ONLINE_MINUTES_SHARE = 0.4
    settings.SURVEY_VOTES_PER_DAY = 7
    settings.RATING_LINK_MAX_AGE_DAYS = 30
    factors = digicheck_factors()
    assert (factors.visits_per_application, factors.visits_per_checklist, factors.online_minutes_share) == (
        1.5,
        0.25,
        0.4,
    )
    assert survey_votes_per_day() == 7
    assert link_max_age_days() == 30
