"""Time to expiry of the modelled options: calendar time to the expiry's 16:00 US/Eastern close,
in years of 365 days, measured on the US/Eastern wall clock."""
from __future__ import annotations

from datetime import datetime, time

import numpy as np

from helpers.exchange_calendar import EASTERN

EXPIRY_CLOSE = time(16, 0)
SECONDS_PER_YEAR = 365.0 * 86400.0


def eastern_naive(as_of: datetime) -> datetime:
    """`as_of` as a naive US/Eastern datetime (naive input is taken as US/Eastern already)."""
    if not isinstance(as_of, datetime):
        raise TypeError(f"as_of must be a datetime (US/Eastern), got {as_of!r}")
    if as_of.tzinfo is None:
        return as_of
    return as_of.astimezone(EASTERN).replace(tzinfo=None)


def years_to_expiry(as_of: datetime | np.ndarray, expiries: np.ndarray) -> np.ndarray:
    """Years (365-day) from `as_of` to each expiry's 16:00 US/Eastern close; negative once past.

    as_of: datetime, timezone-aware or naive US/Eastern, or a datetime64 array of naive US/Eastern
    times (one per expiry). expiries: datetime64[D] array (or dates).
    Raises TypeError if as_of is not a datetime or an array.
    """
    close_seconds = (np.asarray(expiries, dtype="datetime64[D]").astype("datetime64[s]").astype(np.int64)
                     + EXPIRY_CLOSE.hour * 3600 + EXPIRY_CLOSE.minute * 60)
    if isinstance(as_of, np.ndarray):
        now_seconds = as_of.astype("datetime64[s]").astype(np.int64)
    else:
        now_seconds = np.datetime64(eastern_naive(as_of), "s").astype(np.int64)
    return (close_seconds - now_seconds) / SECONDS_PER_YEAR
