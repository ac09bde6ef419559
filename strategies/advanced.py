"""What the advanced strategies (SPEC section 6) share: the phase gate, the weekly entry window,
the position cap and the step from a built structure to a sized proposal.

A subclass sets `key` (== its parameter section), writes `propose` (entry rules on a chain) and
`manage`; everything else comes from here and from strategies/structures.py.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from config.loader import FrameworkConfig
from config.strategy_parameters import WEEKDAYS
from core.types import ChainSnapshot, Position, Purpose
from core.unified_position_sizer import KellyInputs
from strategies.base import DecisionContext, Proposal, Strategy, make_intent
from strategies.structures import DteWindow, LegRule, Structure, build_structure, multiplier_of


class AdvancedStrategy(Strategy):
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

    def propose_entry(self, ctx: DecisionContext, positions: list[Position]) -> Proposal | None:
        self.mark_attempted(ctx)
        if len(positions) >= self.params.max_positions:
            return self.skip(f"{len(positions)} {self.key} position(s) open, at most {self.params.max_positions}")
        return self.propose(ctx, positions)

    def propose(self, ctx: DecisionContext, positions: list[Position]) -> Proposal | None:
        """The entry proposal of this strategy (or `self.skip(reason)`)."""
        raise NotImplementedError

    def build(self, ctx: DecisionContext, chain: ChainSnapshot, legs: tuple[LegRule, ...],
              windows: tuple[DteWindow, ...] | None = None) -> Structure | str:
        """`build_structure` on `chain` as of today, offset legs within `order_width_tolerance`; the
        DTE windows default to the parameters' one (`target_dte` within `dte_min`-`dte_max`)."""
        p = self.params
        if windows is None:
            windows = (DteWindow(p.target_dte, p.dte_min, p.dte_max),)
        return build_structure(chain, legs, windows, ctx.today, width_tolerance=self.config.order.width_tolerance)

    def proposal(self, ctx: DecisionContext, structure: Structure, reason: str, max_loss_per_unit: float,
                 position_id: str | None = None, price_bound: float | None = None) -> Proposal | None:
        """A sized-later OPEN proposal for `structure` at the mid: Kelly priors and the buying-power
        cap from the parameters, the credit (or debit) per unit as the Kelly unit. `price_bound`: the
        worst net price the entry rule allows (see strategies.base.make_intent)."""
        p = self.params
        intent = make_intent(ctx, self.key, Purpose.OPEN, structure.legs, self.config.risk.max_contracts, reason,
                             position_id=position_id, max_loss_per_unit=max_loss_per_unit,
                             margin_per_unit=structure.margin, price_bound=price_bound)
        if intent is None:
            return self.skip("quotes missing for a leg")
        unit = abs(structure.net) * multiplier_of(structure.legs[0].contract.root)
        kelly = KellyInputs(p.kelly_win_rate, p.kelly_avg_win, p.kelly_avg_loss)
        return Proposal(intent, kelly, p.buying_power_cap, unit)
