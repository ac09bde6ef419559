"""11x bear trap (SPEC section 6, phase 3): a 60-DTE 1-1-2 put structure with an ATM long put, VIX above 20.

Entry (weekly window from the parameters) only while VIX > `vix_min`: at the listed expiry nearest
`target_dte` within `dte_min`-`dte_max`, buy 1 put at the money, sell 1 put `spread_width` points
below it (SPY points, `product_points`) and sell 2 puts nearest `naked_delta`, strictly below the
short put; one combo for a net credit or a debit of at most `max_debit` per unit.

Management as for LT112 (strategies/lt112.py), the whole position at once, first reached wins:
* `exit_dte` (21) days to expiry: time_exit;
* the underlying at or below the naked strike x (1 + `naked_distance_stop`): distance_stop;
* open P&L at +`profit_target` / -`stop_loss` x the entry credit (or debit): profit_target / stop_loss.

Risk per unit for sizing: the planned stop, `stop_loss` x |net| x multiplier, but at least the
debit spread's width x multiplier, so a structure entered near zero net is not sized as if it
risked nothing (the loss at expiry below the naked puts, about twice their strike, would refuse
every size and is what the distance stop is there to avoid).
"""
from __future__ import annotations

from config.advanced_parameters import weekly_entry_window
from config.strategy_spec import OptionWindow, RiskPolicy, StrategySpec
from core.types import PUT, OrderIntent, Position
from strategies.advanced import AdvancedStrategy
from strategies.base import DecisionContext, Proposal, close_intent
from strategies.defensive import dte_exit_due, short_contracts
from strategies.structures import (
    ExitRules,
    LegRule,
    exit_reason,
    multiplier_of,
    product_points,
)

# What the rest of the framework knows about this strategy (config/strategy_spec.py); it opens
# positions from its `min_phase` parameter on.
SPEC = StrategySpec(
    key="bear_trap_11x",
    entry_windows=weekly_entry_window,
    option_windows=lambda p: ((p.product, OptionWindow(p.exit_dte, p.dte_max, 0.70, 1.05)),),
    risk=RiskPolicy(min_phase=None),
)


class BearTrap11x(AdvancedStrategy):
    """1-1-2 puts with the long put at the money, in high VIX, managed like LT112."""

    key = SPEC.key
    exits = frozenset({"time_exit", "distance_stop", "profit_target", "stop_loss"})

    def propose(self, ctx: DecisionContext, positions: list[Position]) -> Proposal | None:
        p = self.params
        if ctx.vix is None or ctx.vix <= p.vix_min:
            return self.skip(f"VIX {'n/a' if ctx.vix is None else f'{ctx.vix:.2f}'} not above {p.vix_min:g}")
        chain = ctx.market.chain(p.product, p.dte_min, p.dte_max, PUT)
        if chain is None or len(chain) == 0:
            return self.skip(f"no {p.product} puts listed {p.dte_min}-{p.dte_max} DTE")
        legs = (LegRule(PUT, 1, otm=0.0), LegRule(PUT, -1, offset=-product_points(p.spread_width, p.product)),
                LegRule(PUT, -2, delta=p.naked_delta))
        structure = self.build(ctx, chain, legs)
        if isinstance(structure, str):
            return self.skip(structure)
        long_strike, short_strike, naked_strike = (structure.strike(i) for i in range(3))
        if naked_strike >= short_strike:
            return self.skip(f"naked puts at {naked_strike:g} not below the short put {short_strike:g}")
        max_debit = product_points(p.max_debit, p.product)
        if structure.net > max_debit:
            return self.skip(f"net debit {structure.net:.2f} above the maximum {max_debit:.2f}")
        expiry = structure.expiries[0]
        price = f"net credit {structure.credit:.2f}" if structure.net <= 0 else f"net debit {structure.net:.2f}"
        reason = (f"bear trap {long_strike:g}/{short_strike:g}/2x{naked_strike:g} {expiry} "
                  f"({(expiry - ctx.today).days} DTE), {price}")
        risk = max(p.stop_loss * abs(structure.net), long_strike - short_strike) * multiplier_of(p.product)
        return self.proposal(ctx, structure, reason, risk)

    def manage(self, ctx: DecisionContext, position: Position) -> list[OrderIntent]:
        p = self.params
        if dte_exit_due(position, ctx.today, p.exit_dte):
            reason: str | None = "time_exit"
        elif self._near_naked_strike(ctx, position):
            reason = "distance_stop"
        else:
            reason = exit_reason(ctx, position, ExitRules(profit_target=p.profit_target, stop_loss=p.stop_loss))
        intent = close_intent(ctx, position, reason) if reason else None
        return [intent] if intent is not None else []

    def _near_naked_strike(self, ctx: DecisionContext, position: Position) -> bool:
        """True when the underlying is within `naked_distance_stop` above the naked puts' strike
        (the lowest short strike: the position is only ever closed as a whole)."""
        shorts = short_contracts(position, PUT)
        spot = ctx.market.price(self.params.product)
        if not shorts or spot is None:
            return False
        naked_strike = min(float(c.strike or 0.0) for c in shorts)
        return spot <= naked_strike * (1.0 + self.params.naked_distance_stop)
