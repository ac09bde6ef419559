"""Short LEAP put compounder (SPEC section 6, phase 2): one 12-14 delta SPY put about 365 DTE a Monday.

The compounder is ONE position of rungs; a rung is one short put contract (its quantity is sized
like any entry). The first rung opens the position (propose, from the Monday entry window); later
rungs are added to it (propose_adjustment, `position_id` set) inside the same window, at most one
rung analysis a Monday. A rung is sold only while VIX >= `vix_min` and the position holds fewer than
`max_rungs(phase)` rungs (2/3/10 in phases 2/3/4, the account's phase now): the put nearest
`delta` at the listed expiry nearest `target_dte` within `dte_min`-`dte_max`, not a contract
already held, whose |delta| lies in `delta_min`-`delta_max`.

A rung's credit is its mid when it was proposed: kept in `memory` and copied into the position's
notes["rung_credit"] (keyed by contract key) at the next management call. Management per rung,
first reached wins: at `roll_dte` days to expiry buy it back ("roll": there is no replacement
order here - the next Monday's rung, sold about 365 DTE, is the roll); bought back once its mid is
at most (1 - `profit_target`) x its credit (profit_target) or at least (1 + `stop_loss`) x its
credit (stop_loss). A rung whose credit is unknown (e.g. adopted) is only rolled.
"""
from __future__ import annotations

import numpy as np

from config.advanced_parameters import weekly_entry_window
from config.strategy_spec import OptionWindow, PositionCap, RiskPolicy, StrategySpec
from core.types import PUT, Contract, OrderIntent, Position
from strategies.advanced import AdvancedStrategy
from strategies.base import DecisionContext, Proposal, close_intent
from strategies.structures import DteWindow, LegRule, build_structure, multiplier_of

# What the rest of the framework knows about this strategy (config/strategy_spec.py); it opens
# positions from its `min_phase` parameter on.
SPEC = StrategySpec(
    key="short_leap_put",
    entry_windows=weekly_entry_window,
    option_windows=lambda p: ((p.product, OptionWindow(p.roll_dte, p.dte_max, 0.55, 1.05)),),
    risk=RiskPolicy(min_phase=None, position_cap=PositionCap.RUNG),
)


class ShortLeapPut(AdvancedStrategy):
    """Short LEAP puts sold weekly as rungs of one position, each managed on its own credit."""

    key = SPEC.key
    exits = frozenset({"roll", "profit_target", "stop_loss"})

    def propose(self, ctx: DecisionContext, positions: list[Position]) -> Proposal | None:
        return self._rung(ctx, None)

    def propose_adjustment(self, ctx: DecisionContext, position: Position) -> Proposal | None:
        if not self.in_weekly_window(ctx) or self.memory.get("rung_day") == ctx.today_text:
            return None
        return self._rung(ctx, position)

    def _rung(self, ctx: DecisionContext, position: Position | None) -> Proposal | None:
        """The proposal of the next rung (opening the position when `position` is None)."""
        p = self.params
        self.memory["rung_day"] = ctx.today_text
        if ctx.vix is None or ctx.vix < p.vix_min:
            return self.skip(f"VIX {'n/a' if ctx.vix is None else f'{ctx.vix:.2f}'} below {p.vix_min:g}")
        held = [c for c, q in position.contracts() if q < 0] if position else []
        cap = p.max_rungs(ctx.account.phase)
        if len(held) >= cap:
            return self.skip(f"{len(held)} rung(s) held, at most {cap} in phase {ctx.account.phase}")
        chain = ctx.market.chain(p.product, p.dte_min, p.dte_max, PUT)
        if chain is None or len(chain) == 0:
            return self.skip(f"no {p.product} puts listed {p.dte_min}-{p.dte_max} DTE")
        free = np.ones(len(chain), dtype=bool)
        for contract in held:
            free &= ~((chain.expiries == np.datetime64(contract.expiry, "D")) & (chain.strikes == contract.strike))
        chain = chain.subset(free)
        structure = build_structure(chain, (LegRule(PUT, -1, delta=p.delta),),
                                    (DteWindow(p.target_dte, p.dte_min, p.dte_max),), ctx.today)
        if isinstance(structure, str):
            return self.skip(structure)
        put = structure.legs[0].contract
        dte = (structure.expiries[0] - ctx.today).days
        delta = abs(float(chain.delta[structure.rows[0]]))
        if not p.delta_min <= delta <= p.delta_max:
            return self.skip(f"nearest free put {put.key} at {delta:.3f} delta, outside {p.delta_min:g}-{p.delta_max:g}")
        reason = (f"short LEAP put rung {len(held) + 1} {put.key} ({dte} DTE, "
                  f"{delta:.3f} delta), credit {structure.credit:.2f}, VIX {ctx.vix:.2f}")
        stop = p.stop_loss * structure.credit * multiplier_of(p.product)
        proposal = self.proposal(ctx, structure, reason, stop, position.position_id if position else None)
        if proposal is not None:
            self.memory["rung_credit"] = {put.key: structure.credit}
        return proposal

    def manage(self, ctx: DecisionContext, position: Position) -> list[OrderIntent]:
        intents = []
        for rung in sorted((c for c, q in position.contracts() if q < 0), key=lambda c: c.key):
            reason = self._rung_exit(ctx, position, rung)
            intent = close_intent(ctx, position, reason, contracts=[rung]) if reason else None
            if intent is not None:
                intents.append(intent)
        return intents

    def _rung_exit(self, ctx: DecisionContext, position: Position, rung: Contract) -> str | None:
        """The exit due for one rung: roll, profit_target or stop_loss; None when none is."""
        p = self.params
        if rung.expiry is not None and (rung.expiry - ctx.today).days <= p.roll_dte:
            return "roll"
        credit = self._credit(position, rung)
        quote = ctx.market.quote(rung)
        if credit is None or quote is None or not quote.valid:
            return None
        if quote.mid <= (1.0 - p.profit_target) * credit:
            return "profit_target"
        if quote.mid >= (1.0 + p.stop_loss) * credit:
            return "stop_loss"
        return None

    def _credit(self, position: Position, rung: Contract) -> float | None:
        """The rung's entry credit (price units) from the notes, copied there from memory once."""
        credits = position.notes.setdefault("rung_credit", {})
        if rung.key not in credits:
            remembered = self.memory.get("rung_credit", {})
            if rung.key not in remembered:
                return None
            credits[rung.key] = remembered[rung.key]
        return float(credits[rung.key])
