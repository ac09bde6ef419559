"""Returns per calendar month and year, and the drawdown periods of an equity curve.

Inputs are session dates and the equity at each close. A month's (year's) return compounds
from the last close before it (or the first value of the series) to its last close.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import numpy as np

from reporting.statistics import as_dates, drawdown_series, positive_series


def _period_returns(days: list[date], values: np.ndarray, key: Any) -> dict[Any, float]:
    out: dict[Any, float] = {}
    start_value = values[0]
    for index, day in enumerate(days):
        period = key(day)
        last_of_period = index == len(days) - 1 or key(days[index + 1]) != period
        if last_of_period:
            out[period] = float(values[index] / start_value - 1.0)
            start_value = values[index]
    return out


def monthly_returns(dates: Iterable[Any], equity: Iterable[float]) -> dict[int, dict[str, float]]:
    """{year: {"1".."12": month return, "year": year return}} (fractions), only months with data.

    Raises ValueError for bad dates or non-positive equity, or different lengths."""
    days = as_dates(dates)
    values = positive_series(equity, "equity")
    if len(days) != len(values) or not days:
        raise ValueError(f"need one equity value per date, got {len(values)} values for {len(days)} dates")
    months = _period_returns(days, values, lambda d: (d.year, d.month))
    years = _period_returns(days, values, lambda d: d.year)
    table: dict[int, dict[str, float]] = {year: {"year": value} for year, value in years.items()}
    for (year, month), value in months.items():
        table[year][str(month)] = value
    return table


def drawdown_periods(dates: Iterable[Any], equity: Iterable[float], top: int = 5) -> list[dict[str, Any]]:
    """The `top` deepest drawdown periods: {start (the peak), trough, recovery (None when not
    recovered), depth (fraction < 0), days (calendar days from peak to recovery or to the end)}.

    Raises ValueError like monthly_returns."""
    days = as_dates(dates)
    values = positive_series(equity, "equity")
    if len(days) != len(values):
        raise ValueError(f"need one equity value per date, got {len(values)} values for {len(days)} dates")
    drawdown = drawdown_series(values)
    periods = []
    index = 0
    while index < len(days):
        if drawdown[index] >= 0.0:
            index += 1
            continue
        start = index - 1
        end = index
        while end < len(days) and drawdown[end] < 0.0:
            end += 1
        trough = start + 1 + int(np.argmin(drawdown[start + 1:end]))
        recovered = end < len(days)
        periods.append({"start": days[start].isoformat(), "trough": days[trough].isoformat(),
                        "recovery": days[end].isoformat() if recovered else None,
                        "depth": float(drawdown[trough]),
                        "days": ((days[end] if recovered else days[-1]) - days[start]).days})
        index = end
    return sorted(periods, key=lambda p: p["depth"])[:top]
