"""Jade lizard (SPEC section 6, phase 2): a short put plus a short call spread, 45 DTE.

Entry (weekly window from the parameters): the listed expiry nearest `target_dte` within
`dte_min`-`dte_max`; a short put nearest `put_delta`, a short call nearest `call_delta` and a long
call `call_width` points above it (SPY points, scaled to the product with `product_points`; the
nearest listed strike at or beyond that distance). The total credit must be at least the call
spread's width (strike difference): then even a rally through both calls loses nothing. Otherwise
the entry is skipped with a reason naming both numbers. The width is also the order's price bound:
the ladder never accepts a smaller credit.

Management, first reached wins: 21 DTE (`exit_dte`) close everything (time_exit); 50% of the credit
made (profit_target); a loss of `stop_loss` x the credit (stop_loss). The naked put makes the loss
at expiry large, so the stop is the risk the sizer sees per unit.
"""
from __future__ import annotations

from config.advanced_parameters import weekly_entry_window
from config.strategy_spec import OptionWindow, RiskPolicy, StrategySpec
from core.types import CALL, PUT, OrderIntent, Position
from strategies.advanced import AdvancedStrategy
from strategies.base import DecisionContext, Proposal
from strategies.structures import (
    ExitRules,
    LegRule,
    managed_exit,
    multiplier_of,
    product_points,
)

# What the rest of the framework knows about this strategy (config/strategy_spec.py); it opens
# positions from its `min_phase` parameter on.
SPEC = StrategySpec(
    key="jade_lizard",
    entry_windows=weekly_entry_window,
    option_windows=lambda p: ((p.product, OptionWindow(p.exit_dte, p.dte_max, 0.75, 1.15)),),
    risk=RiskPolicy(min_phase=None),
)


class JadeLizard(AdvancedStrategy):
    """Short put + short call spread whose total credit covers the call spread's width."""

    key = SPEC.key
    exits = frozenset({"time_exit", "profit_target", "stop_loss"})

    def propose(self, ctx: DecisionContext, positions: list[Position]) -> Proposal | None:
        p = self.params
        chain = ctx.market.chain(p.product, p.dte_min, p.dte_max)
        if chain is None or len(chain) == 0:
            return self.skip(f"no {p.product} options listed {p.dte_min}-{p.dte_max} DTE")
        legs = (LegRule(PUT, -1, delta=p.put_delta), LegRule(CALL, -1, delta=p.call_delta),
                LegRule(CALL, 1, offset=product_points(p.call_width, p.product), anchor=1))
        structure = self.build(ctx, chain, legs)
        if isinstance(structure, str):
            return self.skip(structure)
        width = structure.strike(2) - structure.strike(1)
        if structure.credit < width:
            return self.skip(f"credit {structure.credit:.2f} below the call spread's width {width:.2f} (upside risk)")
        expiry = structure.expiries[0]
        reason = (f"jade lizard {structure.strike(0):g}P / {structure.strike(1):g}-{structure.strike(2):g}C "
                  f"{expiry} ({(expiry - ctx.today).days} DTE), credit {structure.credit:.2f}")
        return self.proposal(ctx, structure, reason, p.stop_loss * structure.credit * multiplier_of(p.product),
                             price_bound=-width)

    def manage(self, ctx: DecisionContext, position: Position) -> list[OrderIntent]:
        p = self.params
        rules = ExitRules(profit_target=p.profit_target, stop_loss=p.stop_loss, exit_dte=p.exit_dte)
        return managed_exit(ctx, position, rules)
