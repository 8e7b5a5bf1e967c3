"""Benchmark: hourly waiting-time forecast on the real Moers Bürgerservice series.

Data: /work/shared/data/waiting/moers_buergerservice_hourly_2014_2016.csv — Moers citizen office
waiting times, MIT licence, (c) 2014, 2015 Thomas Tursics.

Rolling origin, one ISO week ahead, only rows before the forecast week's Monday are known.
The model's parameters were chosen on 2015; 2016 is the test year and the reported figure.
The last line is ``RESULT {...}`` (JSON) with the 2016 figures.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from buergerbuero.analytics.forecast_evaluation import Evaluation, evaluate_rolling_origin  # noqa: E402
from buergerbuero.analytics.forecast_io import read_history  # noqa: E402
from buergerbuero.analytics.forecasting import HourlyValue, Slot, forecast  # noqa: E402
from buergerbuero.analytics.office_calendar import calendar_for_land  # noqa: E402

DATA = Path("/work/shared/data/waiting/moers_buergerservice_hourly_2014_2016.csv")
ATTRIBUTION = "Moers Bürgerservice waiting times, MIT licence, (c) 2014, 2015 Thomas Tursics"
TUNING_YEAR, TEST_YEAR = 2015, 2016


def print_table(evaluation: Evaluation, role: str) -> None:
    print(
        f"\n{evaluation.year} ({role}): {evaluation.weeks} weeks, {evaluation.excluded_hours} hours without naive value"
    )
    print(f"{'':8}{'model MAE':>11}{'naive MAE':>11}{'ratio':>8}{'hours':>7}")
    rows = [("overall", evaluation.overall), *evaluation.by_weekday.items()]
    for name, summary in rows:
        print(f"{name:8}{summary.model_mae:11.2f}{summary.naive_mae:11.2f}{summary.mae_ratio:8.3f}{summary.hours:7d}")


def main() -> None:
    history = read_history(DATA)
    calendar = calendar_for_land("NW", range(2013, 2018))

    def forecaster(known: Sequence[HourlyValue], slots: Sequence[Slot]) -> list[HourlyValue]:
        return forecast(known, slots, calendar=calendar)

    print(f"Waiting-time forecast, rolling origin one ISO week ahead. Data: {ATTRIBUTION}.")
    print(f"Parameters were chosen on {TUNING_YEAR} only; {TEST_YEAR} is the test year.")
    started = time.perf_counter()
    tuning = evaluate_rolling_origin(history, year=TUNING_YEAR, forecaster=forecaster)
    test = evaluate_rolling_origin(history, year=TEST_YEAR, forecaster=forecaster)
    print_table(tuning, "tuning year")
    print_table(test, "test year, reported")
    print(f"\n({time.perf_counter() - started:.1f} s)")
    result = {
        "year": TEST_YEAR,
        "mae_ratio": round(test.overall.mae_ratio, 4),
        "mae_ratio_by_weekday": {name: round(s.mae_ratio, 4) for name, s in test.by_weekday.items()},
        "model_mae_min": round(test.overall.model_mae, 3),
        "naive_mae_min": round(test.overall.naive_mae, 3),
        "hours": test.overall.hours,
        "excluded_hours": test.excluded_hours,
        "weeks": test.weeks,
        "tuning_year": TUNING_YEAR,
        "tuning_mae_ratio": round(tuning.overall.mae_ratio, 4),
        "data": ATTRIBUTION,
    }
    print("RESULT " + json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
