"""Friday 0DTE: an iron condor (or the trend-fade credit spread) on the day's expiry (SPEC section 5).

Entry Fridays 10:30 (none after 11:00) when VIX is above `zero_dte_vix_min` and below
`zero_dte_vix_max` and the day has no FOMC or CPI release. Shorts at about 16 delta (never 30 or
more), wings exactly `zero_dte_wing_width` points away (or within `order_width_tolerance`; a grid
that cannot give the width skips the entry). Exits: 50% of the credit, a loss of 200% of the
credit, or 15:00 whatever happens.
"""
from __future__ import annotations

from datetime import date, datetime

from config.loader import FrameworkConfig
from config.strategy_parameters import ZeroDteParameters
from config.strategy_spec import EntryWindow, OptionWindow, StrategySpec
from core.exit_reasons import ExitReason
from core.position import Position
from core.types import CALL, PUT, OrderIntent
from helpers.economic_calendar import is_major_event_day
from strategies.base import DecisionContext, Proposal
from strategies.structures import (
    DteWindow,
    ExitRules,
    LegRule,
    StructureStrategy,
    managed_exit,
    multiplier_of,
    product_points,
)

# What the rest of the framework knows about this strategy (config/strategy_spec.py).
SPEC = StrategySpec(
    key="friday_0dte",
    entry_windows=lambda p: (EntryWindow("friday", p.entry_time, "entry_time"),),
    option_windows=lambda p: ((p.product, OptionWindow(0, 1, 0.90, 1.10)),),
)

FRIDAY = 4
SAME_DAY = (DteWindow(0, 0, 0),)
# SPEC section 5: wings 10 points wide on SPY, 30 on /ES: on the index scale (SPX, SPXW, /ES, /MES)
# a 0DTE wing takes 3 index points per SPY point, not the 10 of product_points.
INDEX_WING_POINTS = 3.0


def wing_points(spy_points: float, product: str) -> float:
    """The 0DTE wing width in `product`'s points for a width of `spy_points` on SPY."""
    return spy_points * (1.0 if product_points(1.0, product) == 1.0 else INDEX_WING_POINTS)


class FridayZeroDte(StructureStrategy[ZeroDteParameters]):
    """Friday 0DTE iron condor / trend-fade credit spread."""

    key = SPEC.key
    exits = frozenset({ExitReason.PROFIT_TARGET, ExitReason.STOP_LOSS, ExitReason.TIME_EXIT})

    def __init__(self, config: FrameworkConfig) -> None:
        super().__init__(config)
        self.params = config.friday_0dte

    def may_open_on(self, day: date) -> bool:
        return bool(self.params.enabled) and day.weekday() == FRIDAY

    def is_entry_window(self, ctx: DecisionContext) -> bool:
        p = self.params
        return (self.may_open_on(ctx.today) and ctx.within(p.entry_time, p.entry_deadline)
                and not self.attempted_today(ctx))

    def next_entry_check(self, ctx: DecisionContext) -> datetime | None:
        if not self.may_open_on(ctx.today) or self.attempted_today(ctx):
            return None
        return ctx.first_within(self.params.entry_time, self.params.entry_deadline)

    def propose_entry(self, ctx: DecisionContext, positions: list[Position]) -> Proposal | None:
        p = self.params
        self.mark_attempted(ctx)
        if positions:
            return self.skip("a 0DTE position is already open")
        if ctx.vix is None or not p.vix_min < ctx.vix < p.vix_max:
            return self.skip(f"VIX {ctx.vix} outside ({p.vix_min}, {p.vix_max})")
        if p.skip_event_days and is_major_event_day(ctx.today):
            return self.skip("FOMC or CPI release today")
        chain = ctx.market.chain(p.product, 0, 0)
        if chain is None or len(chain) == 0:
            return self.skip("no same-day expiry in the chain")
        sides = self._sides(ctx)
        width = wing_points(p.wing_width, p.product)
        legs: tuple[LegRule, ...] = ()
        for right in sides:  # per side: the wing, then the short it is anchored to
            legs += (LegRule(right, 1, offset=-width if right == PUT else width, anchor=len(legs) + 1),
                     LegRule(right, -1, delta=p.short_delta, max_delta=p.max_short_delta))
        structure = self.build(ctx, chain, legs, SAME_DAY)
        if isinstance(structure, str):
            return self.skip(structure)
        if structure.credit <= 0:
            return self.skip("structure does not collect a credit")
        risk = min(p.stop_loss * structure.credit * multiplier_of(p.product), structure.max_loss)
        name = "iron condor" if len(sides) == 2 else f"{sides[0]} credit spread"
        return self.proposal(ctx, structure, f"0DTE {name}, credit {structure.credit:.2f}, VIX {ctx.vix:.1f}", risk,
                             price_bound=0.0,  # a credit, at the fill too
                             timeout_seconds=self.config.order.zero_dte_timeout_minutes * 60)

    def _sides(self, ctx: DecisionContext) -> tuple[str, ...]:
        """Both sides for the iron condor; for trend-fade the side against the morning's move."""
        if self.params.structure != "trend_fade":
            return (PUT, CALL)
        spot = ctx.market.price(self.params.product)
        session_open = ctx.market.session_open_price(self.params.product)
        if spot is None or session_open is None or session_open <= 0:
            return (PUT, CALL)
        move = spot / session_open - 1.0
        if move > self.params.trend_threshold:
            return (CALL,)
        if move < -self.params.trend_threshold:
            return (PUT,)
        return (PUT, CALL)

    def manage(self, ctx: DecisionContext, position: Position) -> list[OrderIntent]:
        p = self.params
        rules = ExitRules(profit_target=p.profit_target, stop_loss=p.stop_loss, exit_time=p.exit_time)
        return managed_exit(ctx, position, rules, self.config.order.zero_dte_timeout_minutes * 60)
