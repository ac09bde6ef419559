"""The covered-call pricing rules of the IPMCC (SPEC section 5): a call's extrinsic value, the EMA
trend that sets how deep the weekly call goes, and the strike it lands on (never out of the money)."""
from __future__ import annotations

import numpy as np

from helpers.strike_selection import strike_offset


def extrinsic_value(price: float, strike: float, underlying: float) -> float:
    """Time value of a call: its price minus its intrinsic value max(0, underlying - strike)."""
    return price - max(0.0, underlying - strike)


def ema_trend_up(closes: np.ndarray, fast: int, slow: int) -> bool | None:
    """True when the `fast`-period EMA of `closes` is at or above the `slow`-period EMA at the last
    close (EMAs seeded with the first close, alpha = 2 / (n + 1)); None with fewer than `slow`
    finite closes."""
    values = np.asarray(closes, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size < slow:
        return None
    return _ema_last(values, fast) >= _ema_last(values, slow)


def _ema_last(values: np.ndarray, span: int) -> float:
    alpha = 2.0 / (span + 1.0)
    ema = float(values[0])
    for value in values[1:]:
        ema += alpha * (float(value) - ema)
    return ema


def short_call_strike(strikes: np.ndarray, underlying: float, itm_steps: int, below: float | None) -> float | None:
    """The short call strike: the highest listed strike at or below `underlying` (never out of the
    money), `itm_steps` listed strikes lower, and strictly below `below` when given (the LEAP
    strike). None when the chain has no such strike."""
    listed = np.unique(strikes[np.isfinite(strikes)])
    at_the_money = listed[listed <= underlying + 1e-9]
    if at_the_money.size == 0:
        return None
    strike = strike_offset(listed, float(at_the_money.max()), -itm_steps)
    if strike is not None and below is not None and strike >= below - 1e-9:
        lower = listed[listed < below - 1e-9]
        strike = float(lower.max()) if lower.size else None
    return strike
