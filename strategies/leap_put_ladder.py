"""LEAP put ladder: a hedge built one long put (a rung) a week while VIX is low (SPEC section 5).

The ladder with all its rungs is ONE position: the first rung opens it, later rungs are added to
it (`position_id` set). A rung is ONE long put contract; its cost is what sizes it.

Entry Mondays from `entry_time` (one attempt a day, so at most one new rung a week) while VIX is
below `vix_max`. Candidates: puts with strike between `strike_min_fraction` and
`strike_max_fraction` of spot and `dte_min`-`dte_max` days to expiry whose ask cost (ask x
multiplier, the most the order may pay) lies in [rung_cost_min, min(rung_cost_max,
risk_per_trade_risk x net liquidation)] (at most $600 at $30k) and keeps the ladder's total cost
within `max_total_cost_fraction` x net liquidation. Among those the longest expiry wins (the
longest protection per dollar of time decay), then the highest strike (the nearest protection).
At most `max_rungs` rungs are held.

Management per rung (cost basis: the average fill price of the orders that bought it, read from
the position's history, whose reasons name the contract): sell it when its value (mid) reaches
`profit_multiple` x cost (profit_target) or when it is `itm_exit` in the money, i.e. spot at or
below strike x (1 - itm_exit) (itm_exit); at `roll_dte` days to expiry close it (roll) and
propose a replacement rung on a later call (from `entry_time` on any weekday, without the VIX
filter: a roll keeps the hedge, and the cost limits still apply). A rung at `roll_dte` with no bid
cannot be sold: it is left to expire (noted in the ladder's terms.left_to_expire, named in the
replacement order's reason, out of the rung count and the ladder cost) and replaced all the same.
No stop: a rung is a hedge.
"""
from __future__ import annotations

from datetime import date, datetime

import numpy as np

from config.constants import product_spec
from config.loader import FrameworkConfig
from config.strategy_spec import EntryWindow, OptionWindow, PositionCap, RiskPolicy, StrategySpec
from core.exit_reasons import ExitReason
from core.position import Position
from core.types import PUT, ChainSnapshot, Contract, Leg, OrderIntent, Purpose, contract_multiplier
from strategies.base import (
    DecisionContext,
    Proposal,
    Strategy,
    close_intent,
    make_intent,
)

# What the rest of the framework knows about this strategy (config/strategy_spec.py).
SPEC = StrategySpec(
    key="leap_put_ladder",
    entry_windows=lambda p: (EntryWindow("monday", p.entry_time, "entry_time"),),
    option_windows=lambda p: ((p.product, OptionWindow(p.roll_dte, p.dte_max, 0.55, 1.10)),),
    risk=RiskPolicy(position_cap=PositionCap.RUNG),
)

RUNG_TAG = "LEAP put rung"


class LeapPutLadder(Strategy):
    """LEAP put ladder (a hedge: sized by its cost budget, no Kelly prior, no stop)."""

    key = SPEC.key
    exits = frozenset({ExitReason.PROFIT_TARGET, ExitReason.ITM_EXIT, ExitReason.ROLL})
    holds_to_expiry = True

    def __init__(self, config: FrameworkConfig) -> None:
        super().__init__(config)
        self.params = config.leap_put_ladder

    def is_entry_window(self, ctx: DecisionContext) -> bool:
        p = self.params
        if not p.enabled or not ctx.at_or_after(p.entry_time) or self.attempted_today(ctx):
            return False
        return ctx.today.weekday() == 0 or bool(self.memory.get("roll_pending"))

    def next_entry_check(self, ctx: DecisionContext) -> datetime | None:
        p = self.params
        if not p.enabled or self.attempted_today(ctx) or not (ctx.today.weekday() == 0 or self.memory.get("roll_pending")):
            return None
        return ctx.first_at_or_after(p.entry_time)

    def propose_entry(self, ctx: DecisionContext, positions: list[Position]) -> Proposal | None:
        p = self.params
        self.mark_attempted(ctx)
        rolling = bool(self.memory.get("roll_pending"))
        ladder = positions[0] if positions else None
        vix_text = "n/a" if ctx.vix is None else f"{ctx.vix:.2f}"
        if not rolling and (ctx.vix is None or ctx.vix >= p.vix_max):
            return self.skip(f"VIX {vix_text} not below {p.vix_max:g}")
        left = left_to_expire(ladder)
        if rolling and ladder is not None and any(self._roll_due(ctx.today, c) and c.key not in left
                                                  for c, _ in ladder.contracts()):
            return self.skip("waiting for the rolled rung to be closed")
        rungs = rung_count(ladder)
        if rungs >= p.max_rungs:
            return self.skip(f"ladder holds {rungs} rungs, at most {p.max_rungs}")
        net_liq = ctx.account.net_liquidation
        spent = ladder_cost(ladder)
        if spent is None:
            return self.skip("the cost of a held rung is unknown (no opening fill in its history)")
        total_left = p.max_total_cost_fraction * net_liq - spent
        cost_max = min(p.rung_cost_max, self.config.risk.per_trade_risk * net_liq, total_left)
        if cost_max < p.rung_cost_min:
            return self.skip(f"rung budget {cost_max:,.0f} below the minimum rung cost {p.rung_cost_min:,.0f} "
                             f"(ladder cost {spent:,.0f} of {p.max_total_cost_fraction * net_liq:,.0f})")
        chain = ctx.market.chain(p.product, p.dte_min, p.dte_max)
        if chain is None or len(chain) == 0:
            return self.skip(f"no {p.product} expiry listed {p.dte_min}-{p.dte_max} DTE")
        row = self._pick(chain, p.rung_cost_min, cost_max)
        if row is None:
            spot = chain.underlying_price
            return self.skip(f"no put {p.strike_min_fraction:.0%}-{p.strike_max_fraction:.0%} of spot "
                             f"({spot * p.strike_min_fraction:.0f}-{spot * p.strike_max_fraction:.0f}) "
                             f"{p.dte_min}-{p.dte_max} DTE costs {p.rung_cost_min:,.0f}-{cost_max:,.0f}")
        put = chain.contract(row)
        multiplier = contract_multiplier(put)
        ask_cost = float(chain.ask[row]) * multiplier
        mid_cost = float(chain.mid[row]) * multiplier
        kind = "roll replacement" if rolling else f"rung {rungs + 1}"
        if rolling and left:
            kind += f"; {', '.join(sorted(left))} left to expire: no bid"
        intent = make_intent(ctx, self.key, Purpose.OPEN, (Leg(put, 1),), 1,
                             f"{RUNG_TAG} {put.key} ({kind}), cost {ask_cost:,.0f}, VIX {vix_text}",
                             position_id=ladder.position_id if ladder else None,
                             max_loss_per_unit=ask_cost, margin_per_unit=mid_cost)
        if intent is None:
            return self.skip(f"no quote for {put.key}")
        self.memory.pop("roll_pending", None)
        return Proposal(intent, None, p.buying_power_cap, mid_cost)

    def _pick(self, chain: ChainSnapshot, cost_min: float, cost_max: float) -> int | None:
        """Chain row of the fitting put with the longest expiry, then the highest strike."""
        p = self.params
        spot = chain.underlying_price
        cost = chain.ask * product_spec(chain.root).option_multiplier
        with np.errstate(invalid="ignore"):
            fits = ((~chain.is_call) & np.isfinite(chain.bid) & np.isfinite(cost) & (chain.bid > 0)
                    & (chain.strikes >= spot * p.strike_min_fraction - 1e-9)
                    & (chain.strikes <= spot * p.strike_max_fraction + 1e-9)
                    & (cost >= cost_min) & (cost <= cost_max))
        rows = np.flatnonzero(fits)
        if rows.size == 0:
            return None
        order = np.lexsort((chain.strikes[rows], chain.expiries[rows].astype(np.int64)))
        return int(rows[order[-1]])

    def manage(self, ctx: DecisionContext, position: Position) -> list[OrderIntent]:
        p = self.params
        spot = ctx.market.price(p.product)
        intents: list[OrderIntent] = []
        for rung, _ in sorted(position.contracts(), key=lambda item: item[0].key):
            reason = self._rung_exit(ctx, position, rung, spot)
            if reason is None:
                continue
            if reason == ExitReason.ROLL and not _has_bid(ctx, rung):  # nothing to sell: left to expire
                left = left_to_expire(position)
                if rung.key not in left:
                    position.terms.left_to_expire = tuple(sorted(left | {rung.key}))
                    self.memory["roll_pending"] = rung.key
                continue
            intent = close_intent(ctx, position, reason, contracts=[rung])
            if intent is None:
                continue
            if reason == ExitReason.ROLL:
                self.memory["roll_pending"] = rung.key
            intents.append(intent)
        return intents

    def _rung_exit(self, ctx: DecisionContext, position: Position, rung: Contract,
                   spot: float | None) -> ExitReason | None:
        """The exit reason due for one rung, or None."""
        p = self.params
        cost = rung_cost_basis(position, rung)
        quote = ctx.market.quote(rung)
        if cost is not None and quote is not None and quote.valid and quote.mid >= p.profit_multiple * cost:
            return ExitReason.PROFIT_TARGET
        if spot is not None and rung.strike is not None and spot <= rung.strike * (1.0 - p.itm_exit):
            return ExitReason.ITM_EXIT
        if self._roll_due(ctx.today, rung):
            return ExitReason.ROLL
        return None

    def _roll_due(self, today: date, rung: Contract) -> bool:
        return rung.expiry is not None and (rung.expiry - today).days <= self.params.roll_dte


def _has_bid(ctx: DecisionContext, rung: Contract) -> bool:
    """Whether the rung can be sold now (a valid quote with a bid)."""
    quote = ctx.market.quote(rung)
    return quote is not None and quote.valid and quote.bid > 0


def left_to_expire(ladder: Position | None) -> set[str]:
    """Keys of the ladder's rungs left to expire that it still holds (none without a ladder)."""
    if ladder is None:
        return set()
    return set(ladder.terms.left_to_expire) & set(ladder.holdings)


def rung_count(ladder: Position | None) -> int:
    """Long put contracts held by the ladder, rungs left to expire aside (0 without a ladder)."""
    if ladder is None:
        return 0
    left = left_to_expire(ladder)
    return sum(q for c, q in ladder.contracts() if q > 0 and c.right == PUT and c.key not in left)


def rung_cost_basis(position: Position, rung: Contract) -> float | None:
    """Average price paid per contract for `rung` (price units), from the opening fills whose
    reason names the contract; None when the history has none (e.g. an adopted position)."""
    paid = units = 0.0
    for entry in position.history:
        if entry.get("action") == "open" and f"{RUNG_TAG} {rung.key} " in str(entry.get("reason", "")):
            paid += float(entry["price"]) * float(entry["units"])
            units += float(entry["units"])
    return paid / units if units > 0 else None


def ladder_cost(ladder: Position | None) -> float | None:
    """USD paid for the rungs held now, rungs left to expire aside (cost basis x contracts x
    multiplier); 0 without a ladder, None when a rung's cost is unknown."""
    if ladder is None:
        return 0.0
    total = 0.0
    left = left_to_expire(ladder)
    for contract, quantity in ladder.contracts():
        if contract.key in left:
            continue
        basis = rung_cost_basis(ladder, contract)
        if basis is None:
            return None
        total += basis * quantity * contract_multiplier(contract)
    return total
