"""Put broken-wing butterfly (SPEC section 6, phase 2): 14-21 DTE, wings 5 and 10 points, for a credit.

Entry (weekly window from the parameters): the listed expiry nearest `target_dte` within
`dte_min`-`dte_max`; two short puts nearest `short_delta`, one long put `near_wing` points above
them and one `far_wing` points below (SPY points, scaled to the product with `product_points`; the
nearest listed strike at or beyond each distance), one combo that must collect at least
`min_credit` per unit (also the order's price bound: the ladder never gives up more). Above the upper long put everything expires worthless and the credit is
kept; the risk is below the shorts, at most (far wing - near wing - credit) x multiplier.

Management: half the credit made (profit_target), or `exit_dte` days to expiry (time_exit: the
structure is entered inside 21 DTE, so the 21-DTE rule of the other strategies cannot apply).
"""
from __future__ import annotations

from config.advanced_parameters import weekly_entry_window
from config.strategy_spec import OptionWindow, RiskPolicy, StrategySpec
from core.types import PUT, OrderIntent, Position
from strategies.advanced import AdvancedStrategy
from strategies.base import DecisionContext, Proposal
from strategies.structures import ExitRules, LegRule, managed_exit, product_points

# What the rest of the framework knows about this strategy (config/strategy_spec.py); it opens
# positions from its `min_phase` parameter on.
SPEC = StrategySpec(
    key="broken_wing_butterfly",
    entry_windows=weekly_entry_window,
    option_windows=lambda p: ((p.product, OptionWindow(p.exit_dte, p.dte_max, 0.80, 1.05)),),
    risk=RiskPolicy(min_phase=None),
)


class BrokenWingButterfly(AdvancedStrategy):
    """+1 put near wing above, -2 puts at the body, +1 put far wing below, for a credit."""

    key = SPEC.key
    exits = frozenset({"profit_target", "time_exit"})

    def propose(self, ctx: DecisionContext, positions: list[Position]) -> Proposal | None:
        p = self.params
        chain = ctx.market.chain(p.product, p.dte_min, p.dte_max, PUT)
        if chain is None or len(chain) == 0:
            return self.skip(f"no {p.product} puts listed {p.dte_min}-{p.dte_max} DTE")
        legs = (LegRule(PUT, -2, delta=p.short_delta),
                LegRule(PUT, 1, offset=product_points(p.near_wing, p.product), anchor=0),
                LegRule(PUT, 1, offset=-product_points(p.far_wing, p.product), anchor=0))
        structure = self.build(ctx, chain, legs)
        if isinstance(structure, str):
            return self.skip(structure)
        minimum = product_points(p.min_credit, p.product)
        if structure.credit < minimum:
            return self.skip(f"credit {structure.credit:.2f} below the minimum {minimum:.2f}")
        expiry = structure.expiries[0]
        reason = (f"put broken-wing butterfly {structure.strike(1):g}/2x{structure.strike(0):g}/"
                  f"{structure.strike(2):g} {expiry} ({(expiry - ctx.today).days} DTE), credit {structure.credit:.2f}")
        return self.proposal(ctx, structure, reason, structure.max_loss, price_bound=-minimum)

    def manage(self, ctx: DecisionContext, position: Position) -> list[OrderIntent]:
        p = self.params
        return managed_exit(ctx, position, ExitRules(profit_target=p.profit_target, exit_dte=p.exit_dte))
