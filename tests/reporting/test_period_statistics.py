"""Monthly/yearly returns and drawdown periods, against an independent pandas computation and
hand-checked cases."""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from reporting.period_statistics import drawdown_periods, monthly_returns


def _sessions(start: date, count: int) -> list[date]:
    days, day = [], start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


DAYS = _sessions(date(2023, 1, 2), 400)
EQUITY = list(30_000.0 * np.cumprod(1.0 + np.random.default_rng(0).normal(0.0012, 0.008, len(DAYS))))


def test_monthly_and_yearly_returns_match_pandas_resampling():
    series = pd.Series(EQUITY, index=pd.DatetimeIndex(DAYS))
    month_end = series.resample("ME").last().dropna()
    expected_months = month_end / month_end.shift(1).fillna(series.iloc[0]) - 1.0
    year_end = series.resample("YE").last().dropna()
    expected_years = year_end / year_end.shift(1).fillna(series.iloc[0]) - 1.0
    table = monthly_returns(DAYS, EQUITY)
    for stamp, value in expected_months.items():
        assert table[stamp.year][str(stamp.month)] == pytest.approx(value, rel=1e-12)
    for stamp, value in expected_years.items():
        assert table[stamp.year]["year"] == pytest.approx(value, rel=1e-12)
    compounded = np.prod([1.0 + table[2023][str(m)] for m in range(1, 13)]) - 1.0
    assert compounded == pytest.approx(table[2023]["year"], rel=1e-12)


def test_drawdown_periods_by_hand():
    days = _sessions(date(2024, 1, 1), 9)
    equity = [100.0, 110.0, 99.0, 105.0, 111.0, 108.0, 100.0, 104.0, 106.0]
    periods = drawdown_periods(days, equity)
    assert periods == [
        {"start": days[1].isoformat(), "trough": days[2].isoformat(), "recovery": days[4].isoformat(),
         "depth": pytest.approx(-0.1), "days": (days[4] - days[1]).days},
        {"start": days[4].isoformat(), "trough": days[6].isoformat(), "recovery": None,
         "depth": pytest.approx(100.0 / 111.0 - 1.0), "days": (days[8] - days[4]).days},
    ]


def test_the_deepest_period_agrees_with_the_max_drawdown_and_only_top_n_are_kept():
    from reporting.statistics import max_drawdown

    depth, dates = max_drawdown(DAYS, EQUITY)
    periods = drawdown_periods(DAYS, EQUITY, top=3)
    assert len(periods) == 3
    assert periods[0]["depth"] == pytest.approx(depth)
    assert (periods[0]["start"], periods[0]["trough"], periods[0]["recovery"]) == (
        dates["peak"], dates["trough"], dates["recovery"])
    assert periods[0]["depth"] <= periods[1]["depth"] <= periods[2]["depth"]


def test_no_drawdown_and_bad_input():
    days = _sessions(date(2024, 1, 1), 3)
    assert drawdown_periods(days, [1.0, 2.0, 3.0]) == []
    with pytest.raises(ValueError):
        monthly_returns(days, [1.0, -2.0, 3.0])
    with pytest.raises(ValueError, match="one equity value per date"):
        monthly_returns(days, [1.0, 2.0])
