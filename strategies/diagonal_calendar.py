"""Diagonal / calendar spread in low VIX (SPEC section 6, phase 3).

Entry (weekly window from the parameters), only while VIX is below `vix_max` (15): long 1 option
(`right`, calls by default) at the expiry nearest `long_dte` (60) at about `long_delta` (30) delta;
short 1 option of the same right at the expiry nearest `short_dte` (30), at the long's strike plus
`short_offset` points further out of the money (higher for calls, lower for puts; the nearest
listed strike at or beyond; 0 = a calendar). Each expiry is accepted `dte_slack` days either side.
The combo must cost a net debit, otherwise the entry is skipped. The risk per unit is the loss at
expiry of the short (structure.max_loss): the debit x multiplier whenever the short is at or beyond
the long's strike, plus the strike difference when a negative offset puts the short inside it.

Management, first reached wins:
* close everything: the nearest held leg at `exit_dte` (time_exit), VIX at or above `vix_exit`
  (vix_exit), `profit_target` x the debit made (profit_target), a loss of `stop_loss` x the debit
  (stop_loss);
* buy back the short alone once its mid is at most (1 - `short_profit_target`) x its entry price
  (short_profit_target). The long then runs under the same rules (exit_dte now counts to the long).
The short's entry price is its mid when the entry was proposed (fills are booked per combo, not per
leg); it is remembered in `memory` and copied into the position's notes.
"""
from __future__ import annotations

from config.advanced_parameters import weekly_entry_window
from config.strategy_spec import OptionWindow, RiskPolicy, StrategySpec
from core.types import CALL, OrderIntent, Position
from strategies.advanced import AdvancedStrategy
from strategies.base import DecisionContext, Proposal, close_intent
from strategies.defensive import short_contracts
from strategies.structures import DteWindow, ExitRules, LegRule, managed_exit

# What the rest of the framework knows about this strategy (config/strategy_spec.py); it opens
# positions from its `min_phase` parameter on.
SPEC = StrategySpec(
    key="diagonal_calendar",
    entry_windows=weekly_entry_window,
    option_windows=lambda p: ((p.product, OptionWindow(p.exit_dte, p.long_dte + p.dte_slack, 0.85, 1.20)),),
    risk=RiskPolicy(min_phase=None),
)

NOTE = "short_entry_mid"


class DiagonalCalendar(AdvancedStrategy):
    """Long ~60 DTE 30-delta option, short the ~30 DTE one at or beyond its strike, for a debit."""

    key = SPEC.key
    exits = frozenset({"time_exit", "vix_exit", "profit_target", "stop_loss", "short_profit_target"})

    def propose(self, ctx: DecisionContext, positions: list[Position]) -> Proposal | None:
        p = self.params
        if ctx.vix is None or ctx.vix >= p.vix_max:
            return self.skip(f"VIX {ctx.vix} not below {p.vix_max:g}")
        low, high = p.short_dte - p.dte_slack, p.long_dte + p.dte_slack
        chain = ctx.market.chain(p.product, low, high)
        if chain is None or len(chain) == 0:
            return self.skip(f"no {p.product} options listed {low}-{high} DTE")
        offset = p.short_offset if p.right == CALL else -p.short_offset
        legs = (LegRule(p.right, 1, delta=p.long_delta, expiry=0),
                LegRule(p.right, -1, offset=offset, anchor=0, expiry=1))
        windows = (DteWindow(p.long_dte, p.long_dte - p.dte_slack, high),
                   DteWindow(p.short_dte, low, p.short_dte + p.dte_slack))
        structure = self.build(ctx, chain, legs, windows)
        if isinstance(structure, str):
            return self.skip(structure)
        if structure.net <= 0:
            return self.skip(f"net {structure.net:.2f}: a credit, not the debit a diagonal is entered for")
        near, far = structure.expiries
        reason = (f"{p.right} diagonal +{structure.strike(0):g} {far} / -{structure.strike(1):g} {near}, "
                  f"debit {structure.net:.2f}, VIX {ctx.vix:.1f}")
        proposal = self.proposal(ctx, structure, reason, structure.max_loss)
        if proposal is not None:
            self.memory[NOTE] = {structure.legs[1].contract.key: float(chain.mid[structure.rows[1]])}
        return proposal

    def manage(self, ctx: DecisionContext, position: Position) -> list[OrderIntent]:
        p = self.params
        rules = ExitRules(profit_target=p.profit_target, stop_loss=p.stop_loss, exit_dte=p.exit_dte,
                          vix_at_or_above=p.vix_exit)
        exits = managed_exit(ctx, position, rules)
        if exits:
            return exits
        return self._short_buyback(ctx, position)

    def _short_buyback(self, ctx: DecisionContext, position: Position) -> list[OrderIntent]:
        """Buy the short back once `short_profit_target` of its entry price is made (mid prices)."""
        shorts = short_contracts(position)
        if len(shorts) != 1:
            return []
        short = shorts[0]
        entry = position.notes.get(NOTE) or self.memory.get(NOTE, {}).get(short.key)
        if entry is None:
            return []
        position.notes[NOTE] = entry
        quote = ctx.market.quote(short)
        if quote is None or not quote.valid or quote.mid > (1.0 - self.params.short_profit_target) * float(entry):
            return []
        intent = close_intent(ctx, position, "short_profit_target", contracts=[short])
        return [intent] if intent is not None else []
