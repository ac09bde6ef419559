"""LEAN charts (`self.plot`) and runtime statistics, once per session (SPEC section 10).

QuantConnect limits a backtest's charts, so every series goes through `ChartBook`, which refuses
a 31st series. The daily set: equity, drawdown, buying power used, VIX and regime, phase, and
positions per strategy.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from config.constants import Regime
from core.account import AccountSnapshot

MAX_SERIES = 30
REGIME_LEVELS = {regime.value: level for level, regime in enumerate(Regime)}  # 0 calmest .. 6 EXTREME


class ChartBook:
    """Plots through `plot(chart, series, value)` and keeps the series count within MAX_SERIES.

    Raises (from plot):
        ValueError: a new series would be the 31st.
    """

    def __init__(self, plot: Callable[[str, str, float], None]) -> None:
        self._plot = plot
        self._series: set[tuple[str, str]] = set()

    def plot(self, chart: str, series: str, value: float) -> bool:
        """Plot one point; a value that is not finite is skipped (returns False)."""
        key = (chart, series)
        if key not in self._series:
            if len(self._series) >= MAX_SERIES:
                raise ValueError(f"chart series {chart}/{series} would exceed the limit of {MAX_SERIES} series")
            self._series.add(key)
        number = float(value)
        if not math.isfinite(number):
            return False
        self._plot(chart, series, number)
        return True

    @property
    def series_count(self) -> int:
        return len(self._series)


def plot_session(book: ChartBook, account: AccountSnapshot, vix: float | None, strategies: Iterable[str]) -> None:
    """The end-of-session points: equity, drawdown and buying power (percent of net
    liquidation), VIX with the regime level (0 EXTREMELY_LOW .. 6 EXTREME), phase, and open
    positions per strategy and in total."""
    book.plot("Equity", "Net liquidation", account.net_liquidation)
    book.plot("Risk", "Drawdown %", 100.0 * account.drawdown)
    if account.net_liquidation > 0:
        book.plot("Risk", "Buying power used %", 100.0 * account.margin_used / account.net_liquidation)
    if vix is not None:
        book.plot("VIX", "VIX", vix)
    book.plot("VIX", "Regime level", REGIME_LEVELS.get(account.regime, math.nan))
    book.plot("Phase", "Phase", account.phase)
    counts = {key: 0 for key in strategies}
    for position in account.open_positions:
        counts[position.strategy] = counts.get(position.strategy, 0) + 1
    for key, count in sorted(counts.items()):
        book.plot("Positions", key, count)
    book.plot("Positions", "total", len(account.open_positions))


def runtime_statistics(account: AccountSnapshot, denials: int) -> dict[str, str]:
    """Name -> text for LEAN's runtime statistics panel."""
    return {"Regime": account.regime, "Phase": str(account.phase),
            "Open positions": str(len(account.open_positions)),
            "Drawdown": f"{100.0 * account.drawdown:.1f}%", "Denials": str(denials)}
