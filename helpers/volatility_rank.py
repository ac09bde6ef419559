"""IV rank: where a volatility reading sits within its own recent range, and the realised-volatility
series that stands in for an implied one where no volatility index exists (SPEC section 5)."""
from __future__ import annotations

import math

import numpy as np


def iv_rank(history: np.ndarray, current: float) -> float | None:
    """IV rank in percent (0-100) of `current` within the range of `history` and `current`.

    history: past daily closes of the volatility index (NaN ignored). Returns None when there is no
    finite history, `current` is not finite, or the range is empty (all values equal).
    """
    values = np.asarray(history, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0 or not math.isfinite(current):
        return None
    low, high = min(float(values.min()), current), max(float(values.max()), current)
    if high <= low:
        return None
    return 100.0 * (current - low) / (high - low)


def realised_vols(closes: np.ndarray, window: int) -> np.ndarray | None:
    """Annualised volatility of daily log returns over each trailing `window` sessions of `closes`
    (one value per complete window); None when there are not enough positive closes."""
    prices = np.asarray(closes, dtype=np.float64)
    if len(prices) < window + 1 or np.any(~(prices > 0)):
        return None
    returns = np.diff(np.log(prices))
    windows = np.lib.stride_tricks.sliding_window_view(returns, window)
    return windows.std(axis=1, ddof=1) * math.sqrt(252.0)
