"""Weekly butterfly (SPEC section 6, phase 3): Fridays 10:35, a long call butterfly on SPX weeklies
(or SPY) expiring the next week, its debit at most 0.3% of net liquidation, held to expiry.

Entry: the listed expiry nearest `target_dte` within `dte_min`-`dte_max` (the next Friday); the body
(two short calls) at the strike nearest spot x (1 + `center_otm`), one long call `wing_width` below
and one above it (SPX points; on SPY a tenth of that). The whole position's debit stays within
`max_debit_fraction` of net liquidation: the proposal asks for floor(budget / debit per unit) units
(at most `risk_max_contracts`), each risking its debit; the budget per unit is also the order's
price bound (the ladder never pays more). No credit, no stop: the debit is the risk.

Management: none. The position is held to expiry (SPEC: "hold to expiry"), where SPX(W) settles in
cash and SPY's calls are exercised or assigned by the broker (the trading system books both).
"""
from __future__ import annotations

import dataclasses
import math

from config.advanced_parameters import weekly_entry_window
from config.strategy_spec import OptionWindow, RiskPolicy, StrategySpec
from core.types import CALL, OrderIntent, Position
from strategies.advanced import AdvancedStrategy
from strategies.base import DecisionContext, Proposal
from strategies.structures import (
    LegRule,
    multiplier_of,
    product_points,
)

# What the rest of the framework knows about this strategy (config/strategy_spec.py); it opens
# positions from its `min_phase` parameter on.
SPEC = StrategySpec(
    key="weekly_butterfly",
    entry_windows=weekly_entry_window,
    option_windows=lambda p: ((p.product, OptionWindow(0, p.dte_max, 0.93, 1.07)),),
    risk=RiskPolicy(min_phase=None),
)


class WeeklyButterfly(AdvancedStrategy):
    """Long call butterfly for the next weekly expiry, sized by a debit budget."""

    key = SPEC.key
    exits = frozenset()  # held to expiry
    holds_to_expiry = True

    def propose(self, ctx: DecisionContext, positions: list[Position]) -> Proposal | None:
        p = self.params
        chain = ctx.market.chain(p.product, p.dte_min, p.dte_max, CALL)
        if chain is None or len(chain) == 0:
            return self.skip(f"no {p.product} calls listed {p.dte_min}-{p.dte_max} DTE")
        wing = product_points(p.wing_width, p.product, reference="SPX")
        legs = (LegRule(CALL, -2, otm=p.center_otm), LegRule(CALL, 1, offset=-wing, anchor=0),
                LegRule(CALL, 1, offset=wing, anchor=0))
        structure = self.build(ctx, chain, legs)
        if isinstance(structure, str):
            return self.skip(structure)
        if structure.net <= 0:
            return self.skip(f"butterfly quoted at a credit of {structure.credit:.2f}: quotes suspect")
        debit = structure.net * multiplier_of(p.product)
        budget = p.max_debit_fraction * ctx.account.net_liquidation
        units = min(math.floor(budget / debit), self.config.risk.max_contracts)
        if units < 1:
            return self.skip(f"debit {debit:,.2f} per unit above the budget {budget:,.2f} "
                             f"({p.max_debit_fraction:.2%} of net liquidation)")
        expiry = structure.expiries[0]
        reason = (f"call butterfly {structure.strike(1):g}/{structure.strike(0):g}/{structure.strike(2):g} {expiry} "
                  f"({(expiry - ctx.today).days} DTE), debit {structure.net:.2f}")
        proposal = self.proposal(ctx, structure, reason, debit, price_bound=budget / (units * multiplier_of(p.product)))
        if proposal is None:
            return None
        return dataclasses.replace(proposal, intent=proposal.intent.with_quantity(units))

    def manage(self, ctx: DecisionContext, position: Position) -> list[OrderIntent]:
        return []  # held to expiry
