"""Modelled intraday price paths (offline/market/session_prices.py uses the real SPY minute bars
where they exist and these paths elsewhere).

A modelled path is one price per minute of the NYSE session (09:30 .. close - 1 minute: 390
prices, 210 on half days), index i being the price at 09:30 + i minutes. It passes exactly
through the day's open (first minute), high and low (at drawn minutes) and close (last minute,
the 15:59 close proxy). Between those anchors it is a Brownian bridge, folded back into the
[low, high] range. It is deterministic: the random stream is seeded by the date and a key (the
symbol), so a replay sees the same path.

When the extremes come is fitted to the real SPY minute bars (2024-03-26..2025-01-31, 211 full
sessions; tests/offline/test_intraday_path.py recomputes the figures): the first of the two
extremes comes at the fraction Beta(0.25, 1.66) of the session (its mean, 13%, and the share
before 10:30, 72%, as on the real days), the second at Beta(1.97, 0.60) (moments of the real
days; median 80%), redrawn until it is later than the first;
the low comes first with probability 0.89 on a day that closes above its open, 0.12 otherwise;
the bridge's minute-to-minute volatility follows the real intraday profile (VOLATILITY_PROFILE,
by half hour: 1.39 x the day's mean at the open, 0.83 at midday, 1.18 in the last half hour),
and between anchors it covers the way front-loaded, t**0.45 of it by time fraction t (the real
price leaves an extreme quickly: half the day's range is already spanned by 10:30, as in the
real bars).
With that, the share of days whose high (low) is set before 10:30, whose both extremes come after
10:30, and the touch rates of moves of 0.25-1% from the 10:30 price by 15:00 match the real ones
within their sampling error (tests/offline/test_intraday_path.py).

The VIX path goes through the VIX open, high, low and close, with the VIX high at the minute
of the underlying's low and the VIX low at the minute of its high; between anchors it mirrors
the underlying's own wiggles (scaled, sign reversed), so the two move against each other.
"""
from __future__ import annotations

import hashlib
import itertools
import math
from dataclasses import dataclass
from datetime import date

import numpy as np

from helpers.exchange_calendar import session_open_close

SESSION_OPEN_MINUTE = 9 * 60 + 30  # minutes after midnight (US/Eastern)
MIN_MINUTES = 4
_VIX_OWN_NOISE = 0.2  # share of the VIX path's wiggle that is its own, not the mirrored underlying
FIRST_EXTREME_BETA = (0.25, 1.66)  # session fraction of the earlier extreme (fitted, see module docstring)
SECOND_EXTREME_BETA = (1.97, 0.60)  # session fraction of the later extreme
LOW_FIRST_PROBABILITY = (0.89, 0.12)  # P(low before high) on an up day (close >= open), on a down day
# Mean absolute 1-minute return per half hour from 09:30, relative to the day's mean (fitted)
BRIDGE_DRIFT_EXPONENT = 0.45  # between anchors the path covers t**0.45 of the way by time fraction t
VOLATILITY_PROFILE = (1.39, 1.32, 1.14, 1.0, 0.92, 0.86, 0.83, 0.87, 0.84, 0.91, 0.87, 0.87, 1.18)


@dataclass(frozen=True)
class IntradayPath:
    """One session's per-minute prices (index 0 = 09:30) and whether they are real bars."""

    day: date
    prices: np.ndarray
    real: bool


def session_minutes(day: date) -> int:
    """Minutes in the NYSE session of `day`: 390, or 210 on a half day.

    Raises ValueError when `day` is not an NYSE session.
    """
    open_dt, close_dt = session_open_close(day)
    return int((close_dt - open_dt).total_seconds()) // 60


def path_seed(day: date, seed_key: str) -> int:
    """A stable 64-bit seed from the date and a key (independent of Python's hash salt)."""
    digest = hashlib.sha256(f"{seed_key}|{day.isoformat()}".encode("ascii")).digest()
    return int.from_bytes(digest[:8], "little")


def _check_bar(day: date, open_: float, high: float, low: float, close: float, minutes: int) -> None:
    values = (open_, high, low, close)
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"{day}: open/high/low/close must be finite, got {values}")
    if low > min(open_, close) or high < max(open_, close):
        raise ValueError(f"{day}: need low <= open, close <= high, got O={open_} H={high} L={low} C={close}")
    if minutes < MIN_MINUTES:
        raise ValueError(f"{day}: a path needs at least {MIN_MINUTES} minutes, got {minutes}")


def _interior_minute(rng: np.random.Generator, minutes: int, taken: set[int]) -> int:
    """A free minute in 1 .. minutes-2, U-shaped (a VIX extreme whose minute is taken)."""
    while True:
        minute = min(1 + int(rng.beta(0.5, 0.5) * (minutes - 2)), minutes - 2)
        if minute not in taken:
            return minute


def _extreme_minutes(rng: np.random.Generator, minutes: int) -> tuple[int, int]:
    """(earlier, later) interior minutes (1 .. minutes-2) of the two extremes, later > earlier."""
    span = minutes - 3
    first = 1 + round(rng.beta(*FIRST_EXTREME_BETA) * span)
    while True:
        second = 1 + round(rng.beta(*SECOND_EXTREME_BETA) * span)
        if second > first:
            return first, second
        if first == minutes - 2:  # no later interior minute: take the earlier one back
            return first - 1, first


def _bridge(anchors: list[tuple[int, float]], increments: np.ndarray) -> np.ndarray:
    """Piecewise Brownian bridge through (minute, price) anchors using per-minute increments."""
    path = np.empty(anchors[-1][0] + 1)
    for (a, va), (b, vb) in itertools.pairwise(anchors):
        steps = b - a
        walk = np.cumsum(increments[a + 1:b + 1])
        t = np.arange(1, steps + 1) / steps
        path[a + 1:b + 1] = va + walk - t * walk[-1] + t ** BRIDGE_DRIFT_EXPONENT * (vb - va)
        path[a] = va
    return path


def _fold(path: np.ndarray, low: float, high: float) -> np.ndarray:
    """Reflect excursions back into [low, high] (a triangle-wave fold, continuous)."""
    width = high - low
    shifted = np.mod(path - low, 2.0 * width)
    return np.clip(low + np.where(shifted > width, 2.0 * width - shifted, shifted), low, high)


def _finish(path: np.ndarray, anchors: list[tuple[int, float]], low: float, high: float) -> np.ndarray:
    path = _fold(path, low, high)
    for minute, value in anchors:
        path[minute] = value
    return path


def minute_path(day: date, open_: float, high: float, low: float, close: float, seed_key: str = "SPY",
                minutes: int | None = None) -> np.ndarray:
    """Modelled per-minute prices through the day's OHLC (see the module doc).

    `minutes` defaults to the session length of `day`. Prices are in the bar's units and may
    be <= 0 (futures). Raises ValueError on non-finite or inconsistent OHLC, a day that is not
    an NYSE session, or fewer than MIN_MINUTES minutes.
    """
    n = session_minutes(day) if minutes is None else int(minutes)
    _check_bar(day, open_, high, low, close, n)
    if high == low:
        return np.full(n, float(close))
    rng = np.random.default_rng(path_seed(day, seed_key))
    earlier, later = _extreme_minutes(rng, n)
    low_first = rng.random() < LOW_FIRST_PROBABILITY[0 if close >= open_ else 1]
    drawn = {"low": earlier if low_first else later, "high": later if low_first else earlier}
    extremes = []
    for name, value in (("high", high), ("low", low)):
        minute = 0 if value == open_ else n - 1 if value == close else drawn[name]
        extremes.append((minute, float(value)))
    anchors = sorted({(0, float(open_)), (n - 1, float(close)), *extremes})
    anchors = [a for i, a in enumerate(anchors) if i == 0 or a[0] != anchors[i - 1][0]]
    sigma = (high - low) / (2.0 * math.sqrt(n))
    profile = np.asarray(VOLATILITY_PROFILE)[np.minimum(np.arange(n) // 30, len(VOLATILITY_PROFILE) - 1)]
    return _finish(_bridge(anchors, rng.normal(0.0, sigma, n) * profile), anchors, low, high)


def vix_path(day: date, open_: float, high: float, low: float, close: float, underlying: np.ndarray,
             seed_key: str = "VIX") -> np.ndarray:
    """Modelled per-minute VIX through its OHLC, moving against `underlying` (same length).

    The VIX high falls on the underlying's lowest minute and the VIX low on its highest
    (moved one minute inward when that minute is the first or last and the VIX open or close
    differs). Raises ValueError on bad OHLC or a non-finite underlying path.
    """
    under = np.asarray(underlying, dtype=np.float64)
    n = len(under)
    _check_bar(day, open_, high, low, close, n)
    if not np.all(np.isfinite(under)):
        raise ValueError(f"{day}: the underlying path has non-finite prices")
    if high == low:
        return np.full(n, float(close))
    rng = np.random.default_rng(path_seed(day, seed_key))
    ends = {0: float(open_), n - 1: float(close)}
    taken = {0, n - 1}
    extremes = []
    for value, minute in ((float(high), int(np.argmin(under))), (float(low), int(np.argmax(under)))):
        if minute in ends and ends[minute] != value:
            minute = 1 if minute == 0 else n - 2
        if minute in taken and ends.get(minute) != value:
            minute = _interior_minute(rng, n, taken)
        taken.add(minute)
        extremes.append((minute, value))
    anchors = sorted({(0, float(open_)), (n - 1, float(close)), *extremes})
    anchors = [a for i, a in enumerate(anchors) if i == 0 or a[0] != anchors[i - 1][0]]
    minutes = np.array([a[0] for a in anchors])
    wiggle = under - np.interp(np.arange(n), minutes, under[minutes])
    under_range = float(under.max() - under.min())
    scale = (high - low) / under_range if under_range > 0 else 0.0
    sigma = (high - low) / (2.0 * math.sqrt(n))
    own = _bridge(anchors, rng.normal(0.0, _VIX_OWN_NOISE * sigma, n))
    return _finish(own - scale * wiggle, anchors, low, high)
