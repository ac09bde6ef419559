"""Backtest statistics (SPEC section 10), from a daily equity series, trade rows, regimes and the journal.

Definitions (all results are plain Python values, JSON-safe; "null" means undefined, never 0):

- Daily returns are simple returns between consecutive points of the equity series (one point per
  session). `total_return` = last / first - 1.
- `cagr` = (last / first) ** (365.25 / calendar days between the first and last date) - 1; null when
  both dates are the same day.
- `sharpe` = mean(excess) / stdev(excess, ddof=1) * sqrt(252) with excess = return - risk-free rate
  of the same period; `sortino` = mean(excess) / sqrt(mean(min(excess, 0) ** 2)) * sqrt(252) (the
  downside deviation over all periods, target = the risk-free rate). The risk-free rate is a
  supplied per-return series (see `risk_free_daily_from_yields`) or 0. Both are null with fewer than
  2 returns, and when the denominator is below 1e-12 (flat series, or no period below target).
- `volatility` = stdev(returns, ddof=1) * sqrt(252).
- `max_drawdown` is a NEGATIVE fraction (-0.10 = 10% below the running peak) with
  `max_drawdown_dates` {peak, trough, recovery}: the last date at the running peak before the
  trough, the trough, and the first later date back at or above the peak (null if never, and all
  three null when there was no drawdown).
- Trades (rows from reporting.trade_log): a win has pnl > 0, a loss pnl < 0 (pnl is net of fees);
  a break-even trade counts in `trades` but is neither. `win_rate` = wins / trades (null with no
  trades). `profit_factor` = gross profit / |gross loss|: null when there is no loss (it would be
  infinite) or no trade; 0.0 with losses and no wins. `avg_win`, `avg_loss` (negative) are null when
  there is no win / loss.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from config.constants import Regime
from reporting.journal import Journal

TRADING_DAYS_PER_YEAR = 252
CALENDAR_DAYS_PER_YEAR = 365.25
RATIO_DENOMINATOR_FLOOR = 1e-12


def as_date(value: Any, name: str = "date") -> date:
    """A date from a date, datetime (its own calendar date), numpy datetime64, Timestamp or ISO text.

    Raises:
        ValueError: `value` (named `name`) cannot be read as a date.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} {value!r} is not a date") from None
    if stamp is pd.NaT:
        raise ValueError(f"{name} is missing (NaT)")
    return stamp.date()


def as_dates(values: Iterable[Any], name: str = "dates") -> list[date]:
    """Dates from `values` (see `as_date`), checked strictly increasing.

    Raises:
        ValueError: an item is not a date, or the dates are not strictly increasing.
    """
    result = [as_date(value, f"{name}[{index}]") for index, value in enumerate(values)]
    for index in range(1, len(result)):
        if result[index] <= result[index - 1]:
            raise ValueError(f"{name} must be strictly increasing: {result[index]} follows {result[index - 1]}")
    return result


def positive_series(values: Iterable[float], name: str) -> np.ndarray:
    """`values` as a float array, checked finite and > 0.

    Raises:
        ValueError: a value (named by `name` and index) is not finite or not positive.
    """
    array = np.asarray(list(values), dtype=float)
    bad = np.flatnonzero(~np.isfinite(array) | (array <= 0.0))
    if bad.size:
        raise ValueError(f"{name}[{bad[0]}] = {array[bad[0]]} must be finite and > 0")
    return array


def _equity_input(dates: Iterable[Any], equity: Iterable[float]) -> tuple[list[date], np.ndarray]:
    date_list = as_dates(dates)
    values = positive_series(equity, "equity")
    if len(date_list) != len(values):
        raise ValueError(f"dates has {len(date_list)} items but equity has {len(values)}")
    if not date_list:
        raise ValueError("the equity series is empty")
    return date_list, values


def daily_returns(equity: Iterable[float]) -> np.ndarray:
    """Simple returns between consecutive equity values (one fewer than the values).

    Raises:
        ValueError: an equity value is not finite and positive.
    """
    values = positive_series(equity, "equity")
    return values[1:] / values[:-1] - 1.0


def drawdown_series(equity: Iterable[float]) -> np.ndarray:
    """Drawdown at each point as a fraction <= 0 (value / running maximum - 1).

    Raises:
        ValueError: an equity value is not finite and positive.
    """
    values = positive_series(equity, "equity")
    return values / np.maximum.accumulate(values) - 1.0 if values.size else values


def max_drawdown(dates: Iterable[Any], equity: Iterable[float]) -> tuple[float, dict[str, str | None]]:
    """Deepest drawdown (negative fraction) and its {peak, trough, recovery} ISO dates (see module doc).

    Raises:
        ValueError: dates and equity differ in length, are empty, or are invalid.
    """
    date_list, values = _equity_input(dates, equity)
    drawdowns = drawdown_series(values)
    trough = int(np.argmin(drawdowns))
    if drawdowns[trough] >= 0.0:
        return 0.0, {"peak": None, "trough": None, "recovery": None}
    peak_value = float(np.max(values[: trough + 1]))
    peak = int(np.flatnonzero(values[: trough + 1] >= peak_value)[-1])
    later = np.flatnonzero(values[trough + 1:] >= peak_value)
    recovery = date_list[trough + 1 + int(later[0])].isoformat() if later.size else None
    return float(drawdowns[trough]), {"peak": date_list[peak].isoformat(),
                                      "trough": date_list[trough].isoformat(), "recovery": recovery}


def _excess(returns: Sequence[float] | np.ndarray, risk_free_daily: Sequence[float] | None) -> np.ndarray:
    values = np.asarray(returns, dtype=float)
    if not np.all(np.isfinite(values)):
        raise ValueError("returns must be finite")
    if risk_free_daily is None:
        return values
    rates = np.asarray(risk_free_daily, dtype=float)
    if rates.shape != values.shape:
        raise ValueError(f"risk_free_daily has {rates.size} values but there are {values.size} returns")
    if not np.all(np.isfinite(rates)):
        raise ValueError("risk_free_daily must be finite")
    return values - rates


def sharpe_ratio(returns: Sequence[float] | np.ndarray, risk_free_daily: Sequence[float] | None = None) -> float | None:
    """Annualised Sharpe ratio of daily returns (see module doc); None when undefined.

    Raises:
        ValueError: non-finite input, or risk_free_daily of another length than returns.
    """
    excess = _excess(returns, risk_free_daily)
    if excess.size < 2:
        return None
    spread = float(np.std(excess, ddof=1))
    if spread < RATIO_DENOMINATOR_FLOOR:
        return None
    return float(np.mean(excess)) / spread * math.sqrt(TRADING_DAYS_PER_YEAR)


def sortino_ratio(returns: Sequence[float] | np.ndarray, risk_free_daily: Sequence[float] | None = None) -> float | None:
    """Annualised Sortino ratio of daily returns (see module doc); None when undefined.

    Raises:
        ValueError: non-finite input, or risk_free_daily of another length than returns.
    """
    excess = _excess(returns, risk_free_daily)
    if excess.size < 2:
        return None
    downside = math.sqrt(float(np.mean(np.minimum(excess, 0.0) ** 2)))
    if downside < RATIO_DENOMINATOR_FLOOR:
        return None
    return float(np.mean(excess)) / downside * math.sqrt(TRADING_DAYS_PER_YEAR)


def cagr(dates: Iterable[Any], equity: Iterable[float]) -> float | None:
    """Compound annual growth rate on calendar days (365.25 a year); None over zero days.

    Raises:
        ValueError: dates and equity differ in length, are empty, or are invalid.
    """
    date_list, values = _equity_input(dates, equity)
    days = (date_list[-1] - date_list[0]).days
    if days <= 0:
        return None
    return float((values[-1] / values[0]) ** (CALENDAR_DAYS_PER_YEAR / days) - 1.0)


def risk_free_daily_from_yields(dates: Iterable[Any], yield_dates: Iterable[Any],
                                yields_percent: Iterable[float]) -> np.ndarray:
    """Risk-free return of each period between consecutive `dates`, from annual yields in percent.

    The period ending at dates[i] earns the yield last published on or before dates[i-1] (no
    look-ahead), compounded over one trading day: (1 + y / 100) ** (1 / 252) - 1. Suited to FRED
    DGS3MO (rates/DGS3MO_daily.csv). Returns len(dates) - 1 values.

    Raises:
        ValueError: invalid or unordered dates, non-finite yields, different lengths, or no yield on
            or before the first date.
    """
    periods = as_dates(dates)
    published = as_dates(yield_dates, "yield_dates")
    yields = np.asarray(list(yields_percent), dtype=float)
    if len(published) != yields.size:
        raise ValueError(f"yield_dates has {len(published)} items but yields_percent has {yields.size}")
    if not np.all(np.isfinite(yields)):
        raise ValueError("yields_percent must be finite")
    if len(periods) < 2:
        return np.zeros(0)
    index = np.searchsorted(np.array(published, dtype="datetime64[D]"),
                            np.array(periods[:-1], dtype="datetime64[D]"), side="right") - 1
    if index[0] < 0:
        raise ValueError(f"no yield published on or before {periods[0]}")
    return (1.0 + yields[index] / 100.0) ** (1.0 / TRADING_DAYS_PER_YEAR) - 1.0


def equity_statistics(dates: Iterable[Any], equity: Iterable[float],
                      risk_free_daily: Sequence[float] | None = None) -> dict[str, Any]:
    """Return and risk figures of one equity series (the strategy or a baseline); see module doc.

    Raises:
        ValueError: invalid dates or equity, or risk_free_daily not one value per return.
    """
    date_list, values = _equity_input(dates, equity)
    returns = daily_returns(values)
    drawdown, drawdown_dates = max_drawdown(date_list, values)
    volatility = float(np.std(returns, ddof=1)) * math.sqrt(TRADING_DAYS_PER_YEAR) if returns.size > 1 else None
    return {
        "start": date_list[0].isoformat(), "end": date_list[-1].isoformat(),
        "calendar_days": (date_list[-1] - date_list[0]).days, "sessions": len(date_list),
        "start_equity": float(values[0]), "end_equity": float(values[-1]),
        "total_return": float(values[-1] / values[0] - 1.0), "cagr": cagr(date_list, values),
        "volatility": volatility, "sharpe": sharpe_ratio(returns, risk_free_daily),
        "sortino": sortino_ratio(returns, risk_free_daily),
        "risk_free": "supplied" if risk_free_daily is not None else "zero",
        "max_drawdown": drawdown, "max_drawdown_dates": drawdown_dates,
    }


def _row_number(row: Mapping[str, Any], column: str, index: int) -> float:
    if column not in row:
        raise ValueError(f"trade row {index} has no {column!r} column")
    value = row[column]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"trade row {index} {column} must be a finite number, got {value!r}")
    return float(value)


def trade_statistics(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Win/loss figures of trade rows (needs their pnl and fees columns); see module doc.

    Raises:
        ValueError: a row lacks pnl or fees, or holds a non-finite number.
    """
    pnl = np.array([_row_number(row, "pnl", index) for index, row in enumerate(rows)], dtype=float)
    fees = sum(_row_number(row, "fees", index) for index, row in enumerate(rows))
    wins, losses = pnl[pnl > 0.0], pnl[pnl < 0.0]
    gross_profit, gross_loss = float(wins.sum()), float(losses.sum())
    return {
        "trades": int(pnl.size), "wins": int(wins.size), "losses": int(losses.size),
        "win_rate": wins.size / pnl.size if pnl.size else None,
        "profit_factor": gross_profit / -gross_loss if losses.size else None,
        "avg_win": float(wins.mean()) if wins.size else None,
        "avg_loss": float(losses.mean()) if losses.size else None,
        "gross_profit": gross_profit, "gross_loss": gross_loss, "pnl": float(pnl.sum()), "fees": float(fees),
    }


def strategy_statistics(rows: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """`trade_statistics` per strategy name, sorted by name.

    Raises:
        ValueError: a row lacks a text strategy, pnl or fees.
    """
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for index, row in enumerate(rows):
        name = row.get("strategy")
        if not isinstance(name, str) or not name:
            raise ValueError(f"trade row {index} has no strategy name")
        groups.setdefault(name, []).append(row)
    return {name: trade_statistics(groups[name]) for name in sorted(groups)}


def regime_days(regimes: Iterable[str | Regime]) -> dict[str, int]:
    """Days spent in each VIX regime, from one regime per day; every regime listed, calmest first.

    Raises:
        ValueError: an item is not a VIX regime.
    """
    counts: Counter[str] = Counter()
    for index, regime in enumerate(regimes):
        try:
            counts[Regime(regime).value] += 1
        except ValueError:
            raise ValueError(f"regimes[{index}] = {regime!r} is not a VIX regime") from None
    return {regime.value: counts[regime.value] for regime in Regime}


def buy_and_hold_baseline(dates: Iterable[Any], closes: Iterable[float],
                          dividends: Mapping[Any, float] | None, cash: float) -> np.ndarray:
    """Equity of putting all `cash` into the underlying at the first close, dividends reinvested.

    Fractional units are bought at closes[0] (no fees). A dividend (USD per unit, keyed by ex-date)
    whose ex-date falls after dates[i-1] and on or before dates[i] is reinvested at closes[i], so the
    result tracks the total-return index; ex-dates on or before the first date or after the last are
    ignored. Returns one equity value (USD) per date.

    Raises:
        ValueError: invalid dates, closes that are not finite and > 0, lengths that differ, cash not
            finite and > 0, or a dividend that is negative or not finite.
    """
    date_list = as_dates(dates)
    prices = positive_series(closes, "closes")
    if len(date_list) != prices.size or not date_list:
        raise ValueError(f"dates has {len(date_list)} items and closes {prices.size}; need equal, non-zero")
    if isinstance(cash, bool) or not isinstance(cash, (int, float)) or not math.isfinite(cash) or cash <= 0:
        raise ValueError(f"baseline cash must be a finite amount > 0, got {cash!r}")
    paid = np.zeros(prices.size)
    ex_dates = np.array(date_list, dtype="datetime64[D]")
    for ex_date, amount in (dividends or {}).items():
        day = as_date(ex_date, "dividend ex-date")
        if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not math.isfinite(amount) \
                or amount < 0:
            raise ValueError(f"dividend on {day} must be a finite amount >= 0, got {amount!r}")
        slot = int(np.searchsorted(ex_dates, np.datetime64(day, "D"), side="left"))
        if 0 < slot < prices.size:
            paid[slot] += amount
    units = np.empty(prices.size)
    units[0] = cash / prices[0]
    for index in range(1, prices.size):
        units[index] = units[index - 1] * (1.0 + paid[index] / prices[index])
    return units * prices


def summarize(dates: Iterable[Any], equity: Iterable[float], trades: Sequence[Mapping[str, Any]],
              regimes: Iterable[str | Regime] | None = None, journal: Journal | None = None,
              risk_free_daily: Sequence[float] | None = None) -> dict[str, Any]:
    """All statistics of a backtest as one JSON-safe dict (see module doc for definitions).

    Keys: those of `equity_statistics` and `trade_statistics`, plus `per_strategy` (name -> trade
    statistics), `regime_days` (regime -> days; empty when `regimes` is None) and `orders_denied`
    (gate reason -> count from the journal; empty when `journal` is None).

    Raises:
        ValueError: any input is invalid (see the functions above).
    """
    summary = equity_statistics(dates, equity, risk_free_daily)
    summary.update(trade_statistics(trades))
    summary["per_strategy"] = strategy_statistics(trades)
    summary["regime_days"] = regime_days(regimes) if regimes is not None else {}
    summary["orders_denied"] = journal.denials_by_reason() if journal is not None else {}
    return summary
