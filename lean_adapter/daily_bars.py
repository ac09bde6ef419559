"""Completed daily bars per underlying root, for the core's `daily_bars` (ATR, EMAs, IV rank,
52-week highs, the previous VIX close).

Filled from two LEAN sources that may overlap (a bar for a date already held replaces it):
daily bars seen during the warm-up, and `history` top-ups at each session start.
"""
from __future__ import annotations

import math
from bisect import insort
from datetime import date

import numpy as np

from core.types import DailyBars


class DailyBarBook:
    """Daily OHLC bars per root, at most `capacity` sessions each, oldest first.

    Raises:
        ValueError: `capacity` is not a positive integer.
    """

    def __init__(self, capacity: int) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise ValueError(f"daily bar capacity must be a positive integer, got {capacity!r}")
        self.capacity = capacity
        self._dates: dict[str, list[date]] = {}
        self._values: dict[str, dict[date, tuple[float, float, float, float]]] = {}

    def add(self, root: str, day: date, open_: float, high: float, low: float, close: float) -> bool:
        """Store one bar (prices in the instrument's quote units); returns False when a price is
        not finite (the bar is skipped: a data problem must not stop the algorithm)."""
        values = (float(open_), float(high), float(low), float(close))
        if not all(math.isfinite(v) for v in values):
            return False
        dates = self._dates.setdefault(root, [])
        held = self._values.setdefault(root, {})
        if day not in held:
            insort(dates, day)
        held[day] = values
        while len(dates) > self.capacity:
            del held[dates.pop(0)]
        return True

    def last_date(self, root: str) -> date | None:
        """Date of the newest bar held for `root`."""
        dates = self._dates.get(root)
        return dates[-1] if dates else None

    def count(self, root: str) -> int:
        return len(self._dates.get(root, ()))

    def bars(self, root: str, count: int, before: date) -> DailyBars | None:
        """The last `count` bars dated strictly before `before` (completed sessions only, so a
        decision never sees today's unfinished bar); None when there is none."""
        dates = [d for d in self._dates.get(root, ()) if d < before][-count:] if count > 0 else []
        if not dates:
            return None
        held = self._values[root]
        rows = np.array([held[d] for d in dates], dtype=float)
        return DailyBars(np.array(dates, dtype="datetime64[D]"), rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3])
