"""Continuous front-month futures: roll-jump detection and a roll-free series for returns.

The front-month files (Yahoo "continuous" series) switch from the expiring contract to the next
one without marking the day, so the price jumps by the calendar spread at each roll. Detection:

1. Each root's contract rule gives the expected roll session: the first session after the last
   trade day of the front contract (ES/NQ: third Friday of Mar/Jun/Sep/Dec; CL: 3 sessions
   before the last session on or before the 25th, every month; GC: the third-last session of
   every month, as Yahoo's GC=F follows the nearest calendar month to its expiry; ZB/ZN: 7
   sessions before the last session of Mar/Jun/Sep/Dec). Sessions are the series' own dates.
2. In a window of +/-1 session around it, the session with the largest open gap
   |open/prev_close - 1| is a roll when that gap exceeds both MIN_ROLL_GAP and ROLL_GAP_FACTOR
   times the median |gap| of the 60 sessions before the window. (The close-to-close move is not
   required to be large too: the market can move against the jump during the roll session.)

A small roll (below the threshold, as the 2023 ES rolls) is left in the series: it is no
larger than an ordinary day's move. News gaps outside roll windows are never taken for rolls.
Roots without a rule get no roll detection (a note says so).

Outputs: the raw bars (what option strikes refer to; may be <= 0, e.g. CL on 2020-04-20), the
roll flags and gaps (open - previous close, price units), an additively back-adjusted close
(continuous with the latest contract; defined for negative prices), and daily simple returns
with the roll gap removed (on a roll day: close/open - 1), NaN where a price involved is <= 0.
Use `returns` for realised volatility.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from config.constants import PRODUCTS
from core.types import DailyBars
from helpers.expiry_calendar import third_friday

ROLL_GAP_FACTOR = 5.0
SCALE_SESSIONS = 60
MIN_SCALE_SESSIONS = 20
MIN_ROLL_GAP = 0.002  # a smaller jump is immaterial and below the noise of any series


@dataclass(frozen=True)
class FuturesSeries:
    """One root's front-month series: raw bars plus roll flags, gaps, adjusted close, returns."""

    root: str
    bars: DailyBars
    roll: np.ndarray  # bool: the series switched contract at this session's open
    roll_gap: np.ndarray  # open - previous close on roll sessions, 0 elsewhere (price units)
    adjusted_close: np.ndarray  # raw close + every later roll gap (additive back-adjustment)
    returns: np.ndarray  # simple daily returns without roll gaps; NaN on day 0 / prices <= 0

    @property
    def roll_dates(self) -> np.ndarray:
        """Sessions flagged as rolls (datetime64[D])."""
        return self.bars.dates[self.roll]


def _month_sessions(dates: np.ndarray) -> list[tuple[int, int, np.ndarray]]:
    """(year, month, indices of that month's sessions) for every month in `dates`."""
    months = dates.astype("datetime64[M]")
    result = []
    for month in np.unique(months):
        index = np.flatnonzero(months == month)
        year, mon = int(str(month)[:4]), int(str(month)[5:7])
        result.append((year, mon, index))
    return result


def _month_complete(index: np.ndarray, dates: np.ndarray) -> bool:
    """True when the series holds the whole month (it goes on later, or reaches its last weekday).

    Rules that count sessions back from the month's end (or from the 25th) must not run on a
    month the series has only begun.
    """
    if index[-1] < len(dates) - 1:
        return True
    month_end = (dates[index[-1]].astype("datetime64[M]") + 1).astype("datetime64[D]") - 1
    return bool(dates[index[-1]] >= np.busday_offset(month_end, 0, roll="backward"))


def _equity_index_rule(year: int, month: int, index: np.ndarray, dates: np.ndarray) -> int | None:
    if month not in (3, 6, 9, 12):
        return None
    expiry = np.datetime64(third_friday(year, month), "D")
    on_or_before = index[dates[index] <= expiry]
    return int(on_or_before[-1]) if len(on_or_before) else None


def _crude_rule(year: int, month: int, index: np.ndarray, dates: np.ndarray) -> int | None:
    cutoff = np.datetime64(f"{year:04d}-{month:02d}-25", "D")
    on_or_before = index[dates[index] <= cutoff]
    if not len(on_or_before) or (on_or_before[-1] == index[-1] and not _month_complete(index, dates)):
        return None
    return int(on_or_before[-1]) - 3


def _gold_rule(year: int, month: int, index: np.ndarray, dates: np.ndarray) -> int | None:
    return int(index[-3]) if len(index) >= 3 and _month_complete(index, dates) else None


def _treasury_rule(year: int, month: int, index: np.ndarray, dates: np.ndarray) -> int | None:
    return int(index[-1]) - 7 if month in (3, 6, 9, 12) and _month_complete(index, dates) else None


# full-size root -> last-trade-day rule; a micro root uses its full-size root's (the product table)
RULES: dict[str, Callable[[int, int, np.ndarray, np.ndarray], int | None]] = {
    "ES": _equity_index_rule, "NQ": _equity_index_rule, "CL": _crude_rule, "GC": _gold_rule,
    "ZB": _treasury_rule, "ZN": _treasury_rule,
}
ROLL_WINDOW = 1  # half-width, in sessions, of the window searched around the expected roll session


def roll_rule(root: str) -> Callable[[int, int, np.ndarray, np.ndarray], int | None] | None:
    """The last-trade-day rule of a futures root ("MES" has the "ES" rule); None when it has none."""
    spec = PRODUCTS.get(root)
    return RULES.get(spec.price_series if spec is not None else root)


def _ratio_change(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator/denominator - 1, NaN where either price is <= 0."""
    valid = (numerator > 0) & (denominator > 0)
    return np.where(valid, numerator / np.where(valid, denominator, 1.0) - 1.0, np.nan)


def expected_roll_sessions(root: str, dates: np.ndarray) -> list[int]:
    """Indices into `dates` of the sessions right after each front contract's last trade day.

    `dates` are the series' sessions (datetime64[D], ascending). Raises KeyError naming the
    root when it has no roll rule.
    """
    rule = roll_rule(root)
    if rule is None:
        raise KeyError(f"no roll rule for futures root {root!r}; known: {sorted(RULES)} and their micro roots")
    result = []
    for year, month, index in _month_sessions(dates):
        last_trade = rule(year, month, index, dates)
        if last_trade is not None and 0 <= last_trade < len(dates) - 1:
            result.append(last_trade + 1)
    return result


def detect_rolls(root: str, bars: DailyBars) -> np.ndarray:
    """Boolean array marking roll sessions of a front-month series (see the module doc).

    Raises KeyError naming the root when it has no roll rule.
    """
    n = len(bars.dates)
    roll = np.zeros(n, dtype=bool)
    size = np.full(n, np.nan)
    size[1:] = np.abs(_ratio_change(bars.open[1:], bars.close[:-1]))
    for expected in expected_roll_sessions(root, bars.dates):
        lo, hi = max(expected - ROLL_WINDOW, 1), min(expected + ROLL_WINDOW, n - 1)
        window = size[lo:hi + 1]
        if np.all(np.isnan(window)):
            continue
        candidate = lo + int(np.nanargmax(window))
        history = size[max(lo - SCALE_SESSIONS, 1):lo]
        history = history[np.isfinite(history)]
        if len(history) < MIN_SCALE_SESSIONS:
            history = size[np.isfinite(size)]
        threshold = max(ROLL_GAP_FACTOR * float(np.median(history)), MIN_ROLL_GAP)
        if size[candidate] >= threshold:
            roll[candidate] = True
    return roll


def build_futures_series(root: str, bars: DailyBars, notes: list[str]) -> FuturesSeries:
    """Detect rolls in raw front-month bars and derive the adjusted close and returns.

    Appends to `notes` when the root has no roll rule (no rolls are then flagged).
    """
    if roll_rule(root) is not None:
        roll = detect_rolls(root, bars)
    else:
        roll = np.zeros(len(bars.dates), dtype=bool)
        notes.append(f"{root}_front_month.csv: no roll rule for {root}, roll jumps are not removed")
    roll.setflags(write=False)
    roll_gap = np.zeros(len(bars.dates))
    roll_gap[1:] = np.where(roll[1:], bars.open[1:] - bars.close[:-1], 0.0)
    later_gaps = np.concatenate([np.cumsum(roll_gap[::-1])[::-1][1:], [0.0]])
    returns = np.full(len(bars.dates), np.nan)
    returns[1:] = np.where(roll[1:], _ratio_change(bars.close[1:], bars.open[1:]),
                           _ratio_change(bars.close[1:], bars.close[:-1]))
    adjusted = bars.close + later_gaps
    for array in (roll_gap, adjusted, returns):
        array.setflags(write=False)
    return FuturesSeries(root, bars, roll, roll_gap, adjusted, returns)
