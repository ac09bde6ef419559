"""The account as the sizer and the risk gate see it at one decision: net liquidation, margin, the
high-water mark, the phase and regime, and a summary of every open position."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


def fraction_below(value: float, reference: float) -> float:
    """How far `value` is below `reference`, as a positive fraction (0 when at or above it, or
    when there is no positive reference): drawdowns and daily losses."""
    if reference <= 0:
        return 0.0
    return max(0.0, 1.0 - value / reference)


@dataclass(frozen=True)
class OpenPositionSummary:
    """What the risk gate needs to know about one open (or pending-entry) position."""

    position_id: str
    strategy: str
    roots: frozenset[str]
    expiries: frozenset[date]
    units: int
    margin: float


@dataclass(frozen=True)
class AccountSnapshot:
    """The account as the sizer and the risk gate see it at one decision (USD amounts).

    `open_positions` includes positions whose entry order is still working, so a pending entry
    counts against every limit. `regime` is a config.constants.Regime value.
    """

    time: datetime
    net_liquidation: float
    margin_used: float
    high_water_mark: float
    day_start_value: float
    losing_streak_today: int
    phase: int
    regime: str
    vix_usable: bool
    intraday_spike: bool
    open_positions: tuple[OpenPositionSummary, ...]
    entries_paused_until: date | None = None
    spike_budget_remaining: float = 0.0

    @property
    def drawdown(self) -> float:
        """Drawdown from the high-water mark as a positive fraction (0.12 = 12% below)."""
        return fraction_below(self.net_liquidation, self.high_water_mark)

    @property
    def daily_loss(self) -> float:
        """Loss since the day's start as a positive fraction (0 when up)."""
        return fraction_below(self.net_liquidation, self.day_start_value)
