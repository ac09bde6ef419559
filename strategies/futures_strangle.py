"""Futures options strangle: /MES by default, second Tuesday of the month, about 90 DTE (SPEC section 5).

Entry on the second Tuesday session of the month (a holiday moves it to the next session) between
`entry_start` and `entry_end`, one attempt a day. Filters: the regime is not EXTREMELY_LOW, HIGH or
EXTREME; the IV rank of the product's volatility index is at least `iv_rank_min`, where
rank = (VIX now - lowest) / (highest - lowest) x 100 over the last `iv_rank_lookback_sessions`
daily closes and VIX now (products without the VIX as their volatility index are not traded: no
IV rank). Expiry: the listed expiry nearest `target_dte` within the accepted range, skipping one
already held by an open strangle (the risk gate refuses two positions of one group and expiry).
Shorts: a put near `put_delta` and a call near `call_delta`; a pick more than
futures_strangle_entry_delta_tolerance away from its target is refused (SPEC: 5-7 and 5-6 delta).

Sizing inputs per unit: risk = the stop (`stop_loss` x credit, a naked structure); margin from
the SPAN-like estimate (chain_tools.unit_costs); Kelly prior and credit unit from the parameters.

Management, first match wins (every call):
1. regime HIGH or EXTREME: close everything (regime_exit, SPEC section 2);
2. `exit_dte` or less to expiry: close (time_exit);
3. P&L >= `profit_target` x entry credit (profit_target); loss >= `stop_loss` x entry credit
   (stop_loss); P&L counts every fill, rolls included;
4. a short at `tested_delta_all` or more: close everything (delta_stop);
5. a short at `tested_delta_side` or more: close that short (delta_stop);
6. once per position, when the tested short reaches `untested_roll_delta`: buy back the untested
   short (roll) and, once that fill is in, sell a new one of the same expiry closer to the money
   (propose_adjustment, at most once a day: a denied or unfilled leg is proposed again the next day). Target delta: twice the untested short's current delta, but at least its
   entry delta, and always strictly below the tested short's delta. The tested side is never
   rolled (defensive.roll_allowed).
"""
from __future__ import annotations

from datetime import date, datetime

import numpy as np

from config.constants import Regime, product_spec
from config.loader import FrameworkConfig
from config.strategy_parameters import FuturesStrangleParameters
from config.strategy_spec import EntryWindow, OptionWindow, RegimeRefusal, RiskPolicy, StrategySpec
from core.exit_reasons import ExitReason
from core.position import Position, RollPlan
from core.types import CALL, PUT, ChainSnapshot, Contract, Leg, OrderIntent, Purpose
from helpers.exchange_calendar import TUESDAY, is_nth_weekday_session
from helpers.volatility_rank import iv_rank, realised_vols
from risk.account_phases import FULL_SIZE, futures_size_allowed
from strategies.base import (
    DecisionContext,
    Proposal,
    close_intent,
    kelly_prior,
    make_intent,
)
from strategies.chain_tools import pick_expiry, row_by_delta, row_by_strike, unit_costs
from strategies.defensive import (
    contract_deltas,
    roll_allowed,
    short_contracts,
    shorts_at_delta,
    split_tested,
)
from strategies.product_choice import choose_product
from strategies.structures import DteWindow, ExitRules, LegRule, StructureStrategy, exit_reason, multiplier_of

# What the rest of the framework knows about this strategy (config/strategy_spec.py). The window
# opens every Tuesday: the strategy checks which Tuesday of the month it is.
NO_ENTRY_REGIMES = frozenset({Regime.EXTREMELY_LOW, Regime.HIGH, Regime.EXTREME})
SPEC = StrategySpec(
    key="futures_strangle",
    entry_windows=lambda p: (EntryWindow("tuesday", p.entry_start, "entry_start"),),
    option_windows=lambda p: tuple((root, OptionWindow(p.exit_dte, p.accept_dte_max, 0.65, 1.25))
                                   for root in p.product_list),
    risk=RiskPolicy(refusal=RegimeRefusal(NO_ENTRY_REGIMES, "regime_no_strangles", "futures strangles")),
    history_sessions=lambda p: int(p.iv_rank_lookback_sessions),
)

REALISED_VOL_SESSIONS = 20  # the IV-rank proxy of roots without a volatility index
CLOSE_REGIMES = frozenset({Regime.HIGH, Regime.EXTREME})


class FuturesStrangle(StructureStrategy[FuturesStrangleParameters]):
    """Short futures-options strangle with the 25/30-delta stops and a one-time untested roll."""

    key = SPEC.key
    exits = frozenset({ExitReason.REGIME_EXIT, ExitReason.TIME_EXIT, ExitReason.PROFIT_TARGET,
                       ExitReason.STOP_LOSS, ExitReason.DELTA_STOP, ExitReason.ROLL})

    def __init__(self, config: FrameworkConfig) -> None:
        super().__init__(config)
        self.params = config.futures_strangle

    def may_open_on(self, day: date) -> bool:
        return bool(self.params.enabled) and is_nth_weekday_session(day, TUESDAY, 2)

    def is_entry_window(self, ctx: DecisionContext) -> bool:
        p = self.params
        tried = self.memory.get("tried", {})
        return (ctx.within(p.entry_start, p.entry_end)
                and not (tried.get("day") == ctx.today_text and tried.get("all"))
                and self.may_open_on(ctx.today))

    def next_entry_check(self, ctx: DecisionContext) -> datetime | None:
        tried = self.memory.get("tried", {})
        if (tried.get("day") == ctx.today_text and tried.get("all")) or not self.may_open_on(ctx.today):
            return None
        return ctx.first_within(self.params.entry_start, self.params.entry_end)

    def products(self, ctx: DecisionContext) -> list[tuple[str, ...]]:
        """Per root to trade now (the first listed in phase 1, each listed one later), the products
        to try in order (strategies/product_choice.py): from $75,000 (with
        `futures_strangle_full_size`) a micro root's full-size root first, taken only where one
        full-size unit passes the 2% rule and the buying-power cap, then the micro root itself."""
        p = self.params
        roots = p.product_list if ctx.account.phase >= 2 else p.product_list[:1]
        full = p.full_size and futures_size_allowed(ctx.account.net_liquidation) == FULL_SIZE
        return [(full_root, root) if full and (full_root := product_spec(root).micro_of) else (root,)
                for root in roots]

    def forget_attempt(self, today: str) -> None:
        """The root tried last (its order timed out) may be tried again today."""
        tried = self.memory.get("tried", {})
        if tried.get("day") == today and tried.get("roots"):
            self.memory["tried"] = {**tried, "roots": tried["roots"][:-1], "all": False}

    # --- entry -------------------------------------------------------------------------------

    def propose_entry(self, ctx: DecisionContext, positions: list[Position]) -> Proposal | None:
        """One root per call (one working order per strategy): the next root not tried today; the
        window closes for the day once every root was tried. Each root's strangles are judged apart."""
        tried = self.memory.get("tried", {})
        done = list(tried.get("roots", [])) if tried.get("day") == ctx.today_text else []
        todo = [family for family in self.products(ctx) if family[-1] not in done]
        self.memory["tried"] = {"day": ctx.today_text, "roots": done + [family[-1] for family in todo[:1]],
                                "all": len(todo) <= 1}
        if not todo:
            return self.skip("every product was tried today")
        family = todo[0]
        held = [p for p in positions if set(family) & set(p.roots())]
        return choose_product(self, ctx, family, lambda root: self._propose(ctx, root, held))

    def _propose(self, ctx: DecisionContext, product: str, positions: list[Position]) -> Proposal | None:
        p = self.params
        if ctx.regime in NO_ENTRY_REGIMES:
            return self.skip(f"regime {ctx.regime.value}: no new futures strangles")
        rank, problem = self._iv_rank(ctx, product)
        if rank is None:
            return self.skip(problem)
        if rank < p.iv_rank_min:
            return self.skip(f"{product}: IV rank {rank:.1f} below {p.iv_rank_min:g}")
        chain = ctx.market.chain(product, p.accept_dte_min, p.accept_dte_max)
        if chain is None or len(chain) == 0:
            return self.skip(f"no {product} options {p.accept_dte_min}-{p.accept_dte_max} DTE")
        held = {np.datetime64(e, "D") for position in positions for e in position.expiries()}
        free = chain.subset(~np.isin(chain.expiries, list(held))) if held else chain
        if pick_expiry(free, ctx.today, p.target_dte, p.accept_dte_min, p.accept_dte_max) is None:
            return self.skip(f"no {p.accept_dte_min}-{p.accept_dte_max} DTE expiry that no open strangle holds")
        targets = ((PUT, p.put_delta), (CALL, p.call_delta))
        legs = tuple(LegRule(right, -1, delta=target, max_delta=p.untested_roll_delta) for right, target in targets)
        structure = self.build(ctx, free, legs, (DteWindow(p.target_dte, p.accept_dte_min, p.accept_dte_max),))
        if isinstance(structure, str):
            return self.skip(structure)
        expiry = structure.expiries[0]
        for (right, target), row in zip(targets, structure.rows, strict=True):
            if abs(abs(float(free.delta[row])) - target) > p.entry_delta_tolerance:
                return self.skip(f"no {right} within {p.entry_delta_tolerance} of {target} delta on {expiry}")
        if structure.credit <= 0:
            return self.skip("strangle does not collect a credit")
        reason = (f"{product} strangle {expiry}, put {structure.strike(0):g} / call {structure.strike(1):g}, "
                  f"credit {structure.credit:.2f}, IV rank {rank:.0f}")
        return self.proposal(ctx, structure, reason, p.stop_loss * structure.credit * multiplier_of(product))

    def _iv_rank(self, ctx: DecisionContext, product: str) -> tuple[float | None, str]:
        """(IV rank now, "") or (None, why there is none). The VIX serves the equity index roots;
        a root without a volatility index (crude oil, gold) uses the rank of its 20-session realised
        volatility over the lookback instead: a stated proxy, since the data has no OVX or GVZ."""
        p = self.params
        if product_spec(product).volatility_index == "VIX":
            bars = ctx.market.daily_bars("VIX", p.iv_rank_lookback_sessions)
            rank = None if bars is None or ctx.vix is None else iv_rank(bars.close, ctx.vix)
            return rank, "" if rank is not None else "no VIX history or value for the IV rank"
        bars = ctx.market.daily_bars(product, p.iv_rank_lookback_sessions + REALISED_VOL_SESSIONS + 1)
        vols = None if bars is None else realised_vols(bars.close, REALISED_VOL_SESSIONS)
        rank = None if vols is None or len(vols) < 2 else iv_rank(vols[:-1], float(vols[-1]))
        return rank, "" if rank is not None else f"no {product} daily history for the realised-volatility rank"

    # --- management --------------------------------------------------------------------------

    def manage(self, ctx: DecisionContext, position: Position) -> list[OrderIntent]:
        p = self.params
        if ctx.regime in CLOSE_REGIMES:
            return self._close(ctx, position, ExitReason.REGIME_EXIT)
        reason = exit_reason(ctx, position, ExitRules(p.profit_target, p.stop_loss, exit_dte=p.exit_dte))
        if reason is not None:
            return self._close(ctx, position, reason)
        shorts = short_contracts(position)
        deltas = contract_deltas(ctx, shorts)
        if shorts_at_delta(shorts, deltas, p.tested_delta_all):
            return self._close(ctx, position, ExitReason.DELTA_STOP)
        tested = shorts_at_delta(shorts, deltas, p.tested_delta_side)
        if tested:
            return self._close(ctx, position, ExitReason.DELTA_STOP, tested)
        return self._start_untested_roll(ctx, position, shorts, deltas)

    def _close(self, ctx: DecisionContext, position: Position, reason: ExitReason,
               contracts: list[Contract] | None = None) -> list[OrderIntent]:
        intent = close_intent(ctx, position, reason, contracts)
        return [intent] if intent is not None else []

    def _start_untested_roll(self, ctx: DecisionContext, position: Position, shorts: list[Contract],
                             deltas: dict[str, float]) -> list[OrderIntent]:
        """Buy back the untested short (once) when the tested one reaches `untested_roll_delta`.

        The replacement is chosen now and kept as the position's terms.roll; propose_adjustment
        sells it once the buy-back has filled.
        """
        p = self.params
        pair = split_tested(shorts, deltas)
        if position.terms.rolled or pair is None:
            return []
        tested, untested = pair
        tested_delta, untested_delta = abs(deltas[tested.key]), abs(deltas[untested.key])
        if tested_delta < p.untested_roll_delta:
            return []
        assert untested.expiry is not None and untested.right is not None
        dte = (untested.expiry - ctx.today).days
        chain = ctx.market.chain(untested.root, dte, dte)
        if chain is None or len(chain) == 0:
            return []
        entry_delta = p.put_delta if untested.right == PUT else p.call_delta
        target = min(max(self.params.roll_delta_multiple * untested_delta, entry_delta), tested_delta)
        row = row_by_delta(chain, untested.expiry, untested.right, target, tested_delta)
        if row is None:
            return []
        replacement = chain.contract(row)
        if not roll_allowed(untested, replacement, old_is_tested=False):
            return []
        intent = close_intent(ctx, position, ExitReason.ROLL, [untested])
        if intent is None:
            return []
        position.terms.rolled = True
        position.terms.roll = RollPlan(untested.key, replacement, abs(position.holdings[untested.key][1]))
        return [intent]

    def propose_adjustment(self, ctx: DecisionContext, position: Position) -> Proposal | None:
        """The new untested short of a roll whose buy-back has filled (see module doc), else None.

        Quantity: the contracts bought back. Risk per unit: the stop (`stop_loss` x its credit);
        margin per unit: what it adds to the SPAN-like estimate of the shorts still held, >= 0 (it
        is often 0: the tested side's scenario dominates and the new short offsets it).
        """
        p = self.params
        roll = position.terms.roll
        if roll is None or roll.close in position.holdings:
            return None
        new = roll.open
        if new.key in position.holdings:
            position.terms.roll = None
            return None
        if roll.proposed_on == ctx.today_text:
            return None
        assert new.expiry is not None
        dte = (new.expiry - ctx.today).days
        chain = ctx.market.chain(new.root, dte, dte)
        held = short_contracts(position)
        rows = None if chain is None else _exact_rows(chain, [*held, new])
        if chain is None or rows is None:
            return self.skip(f"no quote for the roll's new short {new.key} or a held short")
        held_rows, row = rows[:-1], rows[-1]
        held_legs, legs = tuple(Leg(c, -1) for c in held), (Leg(new, -1),)
        before = unit_costs(chain, held_legs, held_rows, ctx.today)[0] if held else 0.0
        margin = max(0.0, unit_costs(chain, held_legs + legs, held_rows + [row], ctx.today)[0] - before)
        credit = float(chain.mid[row])
        multiplier = product_spec(new.root).option_multiplier
        intent = make_intent(ctx, self.key, Purpose.OPEN, legs, roll.units,
                             f"roll untested {new.right} closer to {new.strike:g}, credit {credit:.2f}",
                             position_id=position.position_id,
                             max_loss_per_unit=p.stop_loss * credit * multiplier, margin_per_unit=margin)
        if intent is None:
            return self.skip(f"no quote for the roll's new short {new.key}")
        roll.proposed_on = ctx.today_text
        return Proposal(intent, kelly_prior(p), p.buying_power_cap, credit * multiplier)


def _exact_rows(chain: ChainSnapshot, contracts: list[Contract]) -> list[int] | None:
    """Chain rows of exactly these option contracts (with usable quotes); None if one is missing."""
    rows = []
    for contract in contracts:
        if contract.expiry is None or contract.right is None or contract.strike is None:
            return None
        row = row_by_strike(chain, contract.expiry, contract.right, contract.strike)
        if row is None or abs(float(chain.strikes[row]) - contract.strike) > 1e-9:
            return None
        rows.append(row)
    return rows
