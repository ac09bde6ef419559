"""Put ratio spread (SPEC section 6, phase 2): buy 1 put at 25 delta, sell 2 at 16 delta, 45 DTE.

Entry (weekly window from the parameters): the listed expiry nearest `target_dte` within
`dte_min`-`dte_max`; the long put nearest `long_delta`, the two short puts nearest `short_delta`;
one combo that must collect a net credit of at least `min_credit` per unit (given in SPY points,
scaled to the product with `product_points`; also the order's price bound).

Management, first reached wins:
* 21 DTE (`exit_dte`): close everything (time_exit);
* a short put at `close_delta` (40) or more: close everything (delta_stop);
* 50% of the entry credit made (profit_target); a loss of `stop_loss` x the credit (stop_loss);
* a short put at `naked_delta` (30) or more while the extra short is held: buy back that one extra
  short put per unit only (naked_delta), keeping a 1x1 put debit spread. It happens once: after it
  the position holds as many shorts as longs, and the rules above still apply to what is left.
"""
from __future__ import annotations

from config.advanced_parameters import weekly_entry_window
from config.strategy_spec import OptionWindow, RiskPolicy, StrategySpec
from core.types import PUT, Leg, OrderIntent, Position, Purpose
from strategies.advanced import AdvancedStrategy
from strategies.base import DecisionContext, Proposal, make_intent
from strategies.defensive import contract_deltas, short_contracts
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
    key="put_ratio_spread",
    entry_windows=weekly_entry_window,
    option_windows=lambda p: ((p.product, OptionWindow(p.exit_dte, p.dte_max, 0.70, 1.05)),),
    risk=RiskPolicy(min_phase=None),
)


class PutRatioSpread(AdvancedStrategy):
    """1x2 put ratio spread for a credit; the naked extra short is bought back at 30 delta."""

    key = SPEC.key
    exits = frozenset({"time_exit", "delta_stop", "profit_target", "stop_loss", "naked_delta"})

    def propose(self, ctx: DecisionContext, positions: list[Position]) -> Proposal | None:
        p = self.params
        chain = ctx.market.chain(p.product, p.dte_min, p.dte_max)
        if chain is None or len(chain) == 0:
            return self.skip(f"no {p.product} options listed {p.dte_min}-{p.dte_max} DTE")
        legs = (LegRule(PUT, 1, delta=p.long_delta), LegRule(PUT, -2, delta=p.short_delta))
        structure = self.build(ctx, chain, legs)
        if isinstance(structure, str):
            return self.skip(structure)
        min_credit = product_points(p.min_credit, p.product)
        if structure.credit < min_credit:
            return self.skip(f"net credit {structure.credit:.2f} below the minimum {min_credit:.2f}")
        expiry = structure.expiries[0]
        stop = p.stop_loss * structure.credit * multiplier_of(p.product)
        reason = (f"put ratio {structure.strike(0):g}/2x{structure.strike(1):g} {expiry} "
                  f"({(expiry - ctx.today).days} DTE), net credit {structure.credit:.2f}")
        return self.proposal(ctx, structure, reason, min(stop, structure.max_loss), price_bound=-min_credit)

    def manage(self, ctx: DecisionContext, position: Position) -> list[OrderIntent]:
        p = self.params
        rules = ExitRules(profit_target=p.profit_target, stop_loss=p.stop_loss, exit_dte=p.exit_dte,
                          short_delta=p.close_delta)
        exits = managed_exit(ctx, position, rules)
        if exits:
            return exits
        return self._naked_buyback(ctx, position)

    def _naked_buyback(self, ctx: DecisionContext, position: Position) -> list[OrderIntent]:
        """Buy back the extra short put (one per unit) once a short put reaches `naked_delta`."""
        shorts = short_contracts(position, PUT)
        extra = -sum(q for c, q in position.contracts() if c.right == PUT)  # shorts beyond the longs
        if len(shorts) != 1 or extra <= 0:
            return []
        delta = contract_deltas(ctx, shorts).get(shorts[0].key)
        if delta is None or abs(delta) < self.params.naked_delta:
            return []
        intent = make_intent(ctx, self.key, Purpose.CLOSE, (Leg(shorts[0], 1),), extra, "naked_delta",
                             position.position_id)
        return [intent] if intent is not None else []
