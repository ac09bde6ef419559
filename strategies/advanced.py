"""What the advanced strategies (SPEC section 6) share: the phase gate, the weekly entry window,
the position cap and the parameters' default DTE window.

A subclass sets `key` (== its parameter section), writes `propose` (entry rules on a chain) and
`manage`; everything else comes from here and from strategies/structures.py (the builder, the
proposal and the exit rules).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from config.loader import FrameworkConfig
from config.parameter_fields import WEEKDAYS
from core.position import Position
from core.types import ChainSnapshot
from strategies.base import DecisionContext, Proposal
from strategies.structures import DteWindow, LegRule, Structure, StructureStrategy


class AdvancedStrategy(StructureStrategy[Any]):
    """An advanced strategy: trades from `min_phase` on, in one weekly window, up to `max_positions`."""

    def __init__(self, config: FrameworkConfig) -> None:
        super().__init__(config)
        self.params: Any = getattr(config, self.key)
        self.min_phase = int(self.params.min_phase)

    def may_open_on(self, day: date) -> bool:
        """Enabled and `day` is the entry weekday."""
        weekday = day.weekday()
        return bool(self.params.enabled) and weekday < len(WEEKDAYS) and WEEKDAYS[weekday] == self.params.entry_weekday

    def in_weekly_window(self, ctx: DecisionContext) -> bool:
        """True on the entry weekday between entry_start and entry_end (when enabled)."""
        return self.may_open_on(ctx.today) and ctx.within(self.params.entry_start, self.params.entry_end)

    def is_entry_window(self, ctx: DecisionContext) -> bool:
        return self.in_weekly_window(ctx) and not self.attempted_today(ctx)

    def next_entry_check(self, ctx: DecisionContext) -> datetime | None:
        if not self.may_open_on(ctx.today) or self.attempted_today(ctx):
            return None
        return ctx.first_within(self.params.entry_start, self.params.entry_end)

    def propose_entry(self, ctx: DecisionContext, positions: list[Position]) -> Proposal | None:
        self.mark_attempted(ctx)
        if len(positions) >= self.params.max_positions:
            return self.skip(f"{len(positions)} {self.key} position(s) open, at most {self.params.max_positions}")
        return self.propose(ctx, positions)

    def propose(self, ctx: DecisionContext, positions: list[Position]) -> Proposal | None:
        """The entry proposal of this strategy (or `self.skip(reason)`)."""
        raise NotImplementedError

    def build(self, ctx: DecisionContext, chain: ChainSnapshot, legs: tuple[LegRule, ...],
              windows: tuple[DteWindow, ...] | None = None, avoid: frozenset[date] = frozenset()) -> Structure | str:
        """The shared builder; the DTE windows default to the parameters' one (`target_dte` within
        `dte_min`-`dte_max`)."""
        p = self.params
        if windows is None:
            windows = (DteWindow(p.target_dte, p.dte_min, p.dte_max),)
        return super().build(ctx, chain, legs, windows, avoid)
