"""Income poor man's covered call: a LEAP call (or 100+ shares) with weekly short calls (SPEC section 5).

One IPMCC position holds the cover - a long LEAP call, or shares handed over by the position book
after an assignment - and the weekly short calls written against it (added with position_id set).

LEAP entry (propose_entry): from `leap_entry_time` on any day with no IPMCC open, one attempt a
day. When one LEAP unit fails the 2% rule or the buying-power cap (strategies/product_choice.py),
the reason is journaled with when the strategy asks again: `reask_days` later, or earlier once net
liquidation has risen by `reask_net_liq_rise`; until then the window stays shut (no daily denial). Expiries in [leap_dte_min, leap_dte_max] are tried nearest `leap_target_dte` first; the first
whose call nearest `leap_delta` has an extrinsic value (mid minus intrinsic) under
`leap_extrinsic_max` x strike is bought. Risk per unit is the premium (a long option); margin the
premium; the Kelly credit unit is the LEAP's extrinsic value. At $30k the 20% buying-power cap
refuses a SPY LEAP, so there the IPMCC trades only in the shares case (SPEC).

Weekly short call (propose_adjustment, called by the trading system during management when
manage() has nothing to do): Fridays at `short_call_time` (09:45; the window lasts one management
interval, `risk_management_interval_minutes`, so one management pass falls in it and none later),
when no short call is held, at most one proposal per position a day (a denied or unfilled call waits for the next Friday), one call
per LEAP contract or per 100 shares (shares only from `shares_min`), about `short_call_dte` days
out. Strike: the highest listed strike at or below the underlying (at the money, never out of the
money) when the `ema_fast`-session EMA of daily closes is at or above the `ema_slow` one, else one
listed strike lower; one strike deeper while the LEAP is down `deeper_itm_drawdown`, and below the
LEAP's strike while it is down `below_strike_drawdown`.

Management (manage), first match wins:
1. LEAP down `leap_stop` from its cost: close everything (leap_stop);
2. LEAP at `leap_roll_dte` or less: close everything (leap_roll); a new LEAP is bought by the
   next LEAP entry (the roll never leaves a short call uncovered);
3. a short call on its expiry day: buy it back from the open (short_call_expiry), so that the new
   call can be sold at `short_call_time`;
4. a short call with `short_call_capture` of its extrinsic value captured: buy it back
   (short_call_target). Its extrinsic at sale is the mid-based value recorded in
   terms.sold_extrinsic when it was proposed.
The LEAP's cost is the position's entry debit per LEAP contract (the LEAP is always the opening
leg: a LEAP roll closes the position and opens a new one). A shares position has no LEAP rules and
no stop: the strategy only writes and buys back its calls. It keeps the 100-share lots whose
Reg-T margin (50% of their value) fits the per-position buying-power cap of net liquidation, at
least one lot (the covered-call case of a small account) and never fewer than the short calls held
need: an assignment can hand over far more shares than the account can carry (sixteen short puts
of a butterfly are 1,600 shares), and the rest are sold at the first management pass
(shares_over_cap).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np

from config.constants import product_spec
from config.loader import FrameworkConfig
from config.parameter_fields import parse_hhmm
from config.strategy_spec import EntryWindow, OptionWindow, StrategySpec
from core.exit_reasons import ExitReason
from core.position import Position
from core.types import CALL, ChainSnapshot, Contract, ContractKind, Leg, OrderIntent, Purpose
from helpers.covered_calls import ema_trend_up, extrinsic_value, short_call_strike
from helpers.exchange_calendar import FRIDAY
from risk.margin import REG_T_SHARES_FRACTION, estimate_margin
from strategies.base import (
    DecisionContext,
    Proposal,
    Strategy,
    close_intent,
    contract_multiplier,
    kelly_prior,
    make_intent,
)
from strategies.chain_tools import pick_expiry, row_by_delta, row_by_strike, unit_costs
from strategies.defensive import LeapDefence, leap_defence, leap_drawdown
from strategies.product_choice import unit_problem

# What the rest of the framework knows about this strategy (config/strategy_spec.py): the LEAP is
# looked for every session, the short call on Fridays; shares delivered by any assignment become an
# IPMCC position (covered calls are written on them).
SPEC = StrategySpec(
    key="ipmcc",
    entry_windows=lambda p: (EntryWindow(None, p.leap_entry_time, "leap_entry_time"),
                             EntryWindow("friday", p.short_call_time, "short_call_time")),
    option_windows=lambda p: ((p.product, OptionWindow(p.leap_roll_dte, p.leap_dte_max, 0.55, 1.10)),
                              (p.product, OptionWindow(0, p.short_call_dte + 7, 0.90, 1.10))),
    history_sessions=lambda p: EMA_HISTORY_MULTIPLE * int(p.ema_slow),
    takes_assigned_shares=True,
)

EMA_HISTORY_MULTIPLE = 3  # daily bars requested: this many times ema_slow (the EMA seed fades out)


class Ipmcc(Strategy):
    """LEAP call (or assigned shares) plus weekly short calls, as one position."""

    key = SPEC.key
    exits = frozenset({ExitReason.LEAP_STOP, ExitReason.LEAP_ROLL, ExitReason.SHORT_CALL_EXPIRY,
                       ExitReason.SHORT_CALL_TARGET, ExitReason.SHARES_OVER_CAP})

    def __init__(self, config: FrameworkConfig) -> None:
        super().__init__(config)
        self.params = config.ipmcc

    def is_entry_window(self, ctx: DecisionContext) -> bool:
        p = self.params
        if not (p.enabled and ctx.at_or_after(p.leap_entry_time) and not self.attempted_today(ctx)):
            return False
        if self._waiting(ctx):
            self.mark_attempted(ctx)  # judged once a day: the account is not looked at every minute
            return False
        return True

    def next_entry_check(self, ctx: DecisionContext) -> datetime | None:
        if not self.params.enabled or self.attempted_today(ctx):
            return None
        return ctx.first_at_or_after(self.params.leap_entry_time)

    def _waiting(self, ctx: DecisionContext) -> bool:
        """True while a LEAP it could not afford waits for the re-ask day or a higher net liquidation."""
        unaffordable = self.memory.get("unaffordable")
        if not unaffordable:
            return False
        if (ctx.today >= date.fromisoformat(unaffordable["again"])
                or ctx.account.net_liquidation >= unaffordable["net_liq"]):
            del self.memory["unaffordable"]
            return False
        return True

    # --- LEAP entry --------------------------------------------------------------------------

    def propose_entry(self, ctx: DecisionContext, positions: list[Position]) -> Proposal | None:
        p = self.params
        self.mark_attempted(ctx)
        if positions:
            return self.skip("an IPMCC (LEAP or shares) is already open")
        chain = ctx.market.chain(p.product, p.leap_dte_min, p.leap_dte_max, CALL)
        if chain is None or len(chain) == 0:
            return self.skip(f"no {p.product} options {p.leap_dte_min}-{p.leap_dte_max} DTE")
        pick = self._leap_row(chain, ctx.today)
        if isinstance(pick, str):
            return self.skip(pick)
        row, extrinsic = pick
        leap = chain.contract(row)
        legs = (Leg(leap, 1),)
        premium = float(chain.mid[row])
        multiplier = product_spec(p.product).option_multiplier
        margin, _ = unit_costs(chain, legs, [row], ctx.today)
        intent = make_intent(ctx, self.key, Purpose.OPEN, legs, self.config.risk.max_contracts,
                             f"IPMCC LEAP {leap.key}, delta {chain.delta[row]:.2f}, extrinsic "
                             f"{extrinsic / float(chain.strikes[row]):.1%} of strike",
                             max_loss_per_unit=premium * multiplier, margin_per_unit=margin)
        if intent is None:
            return self.skip("no quote for the LEAP")
        proposal = Proposal(intent, kelly_prior(p), p.buying_power_cap, extrinsic * multiplier)
        net_liq = ctx.account.net_liquidation
        problem = unit_problem(proposal, net_liq, self.config.risk.per_trade_risk)
        if problem is not None:
            again = ctx.today + timedelta(days=p.reask_days)
            rise = net_liq * (1.0 + p.reask_net_liq_rise)
            self.memory["unaffordable"] = {"again": again.isoformat(), "net_liq": rise}
            return self.skip(f"LEAP {leap.key} unaffordable: {problem}; asking again on {again.isoformat()} or "
                             f"when net liquidation reaches ${rise:,.0f}")
        return proposal

    def _leap_row(self, chain: ChainSnapshot, today: date) -> tuple[int, float] | str:
        """(row, extrinsic) of the LEAP to buy, or the reason there is none."""
        p = self.params
        spot = chain.underlying_price
        best = np.inf
        in_range = [e for e in chain.listed_expiries() if p.leap_dte_min <= (e - today).days <= p.leap_dte_max]
        for expiry in sorted(in_range, key=lambda e: (abs((e - today).days - p.leap_target_dte), e)):
            row = row_by_delta(chain, expiry, CALL, p.leap_delta)
            if row is None:
                continue
            strike = float(chain.strikes[row])
            extrinsic = extrinsic_value(float(chain.mid[row]), strike, spot)
            if extrinsic < p.leap_extrinsic_max * strike:
                return row, extrinsic
            best = min(best, extrinsic / strike)
        if not np.isfinite(best):
            return f"no {p.leap_delta:g}-delta call {p.leap_dte_min}-{p.leap_dte_max} DTE"
        return f"LEAP extrinsic at least {best:.1%} of strike (limit {p.leap_extrinsic_max:.0%})"

    # --- management --------------------------------------------------------------------------

    def manage(self, ctx: DecisionContext, position: Position) -> list[OrderIntent]:
        p = self.params
        leap = _leap(position)
        if leap is not None:
            defence = self._defence(ctx, position, leap)
            if defence is not None and defence.close_all:
                return self._close(ctx, position, ExitReason.LEAP_STOP)
            assert leap.expiry is not None
            if (leap.expiry - ctx.today).days <= p.leap_roll_dte:
                return self._close(ctx, position, ExitReason.LEAP_ROLL)
        shorts = _short_calls(position)
        excess = self._excess_shares(ctx, position, shorts)
        if excess is not None:
            shares, quantity = excess
            intent = make_intent(ctx, self.key, Purpose.CLOSE, (Leg(shares, -1),), quantity, ExitReason.SHARES_OVER_CAP,
                                 position.position_id)
            return [intent] if intent is not None else []
        expiring = [c for c in shorts if c.expiry is not None and c.expiry <= ctx.today]
        if expiring:
            return self._close(ctx, position, ExitReason.SHORT_CALL_EXPIRY, expiring)
        captured = [c for c in shorts if self._captured(ctx, position, c)]
        if captured:
            return self._close(ctx, position, ExitReason.SHORT_CALL_TARGET, captured)
        return []

    def _excess_shares(self, ctx: DecisionContext, position: Position,
                       shorts: list[Contract]) -> tuple[Contract, int] | None:
        """(the shares, how many to sell) when the held shares' Reg-T margin exceeds the
        per-position buying-power cap (see module doc); None otherwise or without a price."""
        held = [(c, q) for c, q in position.contracts() if c.kind == ContractKind.EQUITY and q > 0]
        spot = ctx.market.price(held[0][0].root) if held else None
        if not held or spot is None:
            return None
        shares, quantity = held[0]
        lot = int(product_spec(shares.root).option_multiplier)
        floor = max(lot, sum(-q for c, q in position.contracts() if c in shorts) * lot)
        if quantity <= floor:  # always kept: no account snapshot needed
            return None
        room = self.params.buying_power_cap * ctx.account.net_liquidation / (REG_T_SHARES_FRACTION * spot)
        keep = max(int(room // lot) * lot, floor)
        return (shares, quantity - keep) if quantity > keep else None

    def _close(self, ctx: DecisionContext, position: Position, reason: ExitReason,
               contracts: list[Contract] | None = None) -> list[OrderIntent]:
        intent = close_intent(ctx, position, reason, contracts)
        return [intent] if intent is not None else []

    def _defence(self, ctx: DecisionContext, position: Position, leap: Contract) -> LeapDefence | None:
        """The LEAP drawdown rules now; None when the LEAP's cost or quote is unknown."""
        held = position.holdings[leap.key][1]
        quote = ctx.market.quote(leap)
        if held <= 0 or position.entry_cash >= 0 or quote is None or not quote.valid:
            return None
        cost = -position.entry_cash / (held * contract_multiplier(leap))
        return leap_defence(leap_drawdown(cost, quote.mid), self.params)

    def _captured(self, ctx: DecisionContext, position: Position, short: Contract) -> bool:
        """True when `short_call_capture` of the short call's extrinsic at sale is gone."""
        at_sale = position.terms.sold_extrinsic.get(short.key)
        quote = ctx.market.quote(short)
        spot = ctx.market.price(short.root)
        if at_sale is None or at_sale <= 0 or quote is None or not quote.valid or spot is None:
            return False
        now = extrinsic_value(quote.mid, float(short.strike or 0.0), spot)
        return 1.0 - now / at_sale >= self.params.short_call_capture

    # --- weekly short call -------------------------------------------------------------------

    def propose_adjustment(self, ctx: DecisionContext, position: Position) -> Proposal | None:
        """The weekly short call against the position's LEAP or shares (see module doc), else None.

        Quantity: one call per LEAP contract or per 100 shares. Risk per unit: the call's extrinsic
        value (the Kelly loss unit) plus, below the LEAP strike, the uncovered strike gap; margin:
        what the call adds to the position's estimate (0 when fully covered).
        """
        p = self.params
        if (ctx.now.weekday() != FRIDAY or not self.in_short_call_window(ctx) or _short_calls(position)
                or position.terms.adjusted_on == ctx.today_text):
            return None
        leap = _leap(position)
        cover, root = _cover(position, p.shares_min)
        if cover == 0 or root is None:
            return None
        low, high = max(1, p.short_call_dte - p.short_call_dte_slack), p.short_call_dte + p.short_call_dte_slack
        chain = ctx.market.chain(root, low, high)
        expiry = None if chain is None else pick_expiry(chain, ctx.today, p.short_call_dte, low, high)
        if chain is None or expiry is None:
            return self.skip(f"no {root} call expiry {low}-{high} DTE")
        bars = ctx.market.daily_bars(root, EMA_HISTORY_MULTIPLE * p.ema_slow)
        trend_up = None if bars is None else ema_trend_up(bars.close, p.ema_fast, p.ema_slow)
        if trend_up is None:
            return self.skip(f"not enough {root} daily closes for the {p.ema_slow}-session EMA")
        defence = LeapDefence(False, 0, False) if leap is None else self._defence(ctx, position, leap)
        if defence is None:
            return self.skip(f"no cost or quote for the LEAP {leap.key if leap else ''}")
        steps = (0 if trend_up else 1) + defence.extra_itm_strikes
        below = leap.strike if leap is not None and defence.below_leap_strike else None
        side = chain.side(expiry, CALL)
        strike = short_call_strike(side.strikes, chain.underlying_price, steps, below)
        row = None if strike is None else row_by_strike(chain, expiry, CALL, strike)
        if row is None:
            cap = "" if below is None else f" and below the LEAP strike {below:g}"
            return self.skip(f"no listed {root} call strike {steps} strikes in the money{cap}")
        return self._short_call_proposal(ctx, position, chain, row, cover, leap)

    def in_short_call_window(self, ctx: DecisionContext) -> bool:
        """True from `short_call_time` for one management interval (the entry time of the rule)."""
        start = datetime.combine(ctx.today, parse_hhmm(self.params.short_call_time, "ipmcc_short_call_time"))
        end = start + timedelta(minutes=self.config.risk.management_interval_minutes)
        return start.time() <= ctx.now.time() < end.time()

    def _short_call_proposal(self, ctx: DecisionContext, position: Position, chain: ChainSnapshot, row: int,
                             cover: int, leap: Contract | None) -> Proposal | None:
        p = self.params
        call = chain.contract(row)
        strike = float(chain.strikes[row])
        extrinsic = extrinsic_value(float(chain.mid[row]), strike, chain.underlying_price)
        if extrinsic <= 0:
            return self.skip(f"{call.key} has no extrinsic value to sell")
        multiplier = product_spec(call.root).option_multiplier
        gap = max(0.0, float(leap.strike or 0.0) - strike) if leap is not None else 0.0
        margin = self._added_margin(ctx, position, chain, row)
        if margin is None:
            return self.skip("no quote for a held option")
        intent = make_intent(ctx, self.key, Purpose.OPEN, (Leg(call, -1),), cover,
                             f"IPMCC short call {call.key}, extrinsic {extrinsic:.2f}", position.position_id,
                             max_loss_per_unit=(extrinsic + gap) * multiplier, margin_per_unit=margin)
        if intent is None:
            return self.skip(f"no quote for {call.key}")
        position.terms.sold_extrinsic = {call.key: extrinsic}
        position.terms.adjusted_on = ctx.today_text
        return Proposal(intent, kelly_prior(p), p.buying_power_cap, extrinsic * multiplier)

    def _added_margin(self, ctx: DecisionContext, position: Position, chain: ChainSnapshot, row: int) -> float | None:
        """Margin (USD) one short call adds to the position's estimate, >= 0; None on a missing quote."""
        call = chain.contract(row)
        holdings = position.contracts()
        prices = {call.key: float(chain.mid[row])}
        for contract, _ in holdings:
            if contract.kind == ContractKind.OPTION:
                quote = ctx.market.quote(contract)
                if quote is None or not quote.valid:
                    return None
                prices[contract.key] = quote.mid
        spot = chain.underlying_price
        before = estimate_margin(holdings, spot, prices, {}, ctx.today)
        after = estimate_margin(holdings + [(call, -1)], spot, prices, {}, ctx.today)
        return max(0.0, after - before)


def _leap(position: Position) -> Contract | None:
    """The position's long call (the LEAP), if any."""
    return next((c for c, q in position.contracts() if q > 0 and c.kind == ContractKind.OPTION and c.right == CALL),
                None)


def _short_calls(position: Position) -> list[Contract]:
    return [c for c, q in position.contracts() if q < 0 and c.kind == ContractKind.OPTION and c.right == CALL]


def _cover(position: Position, shares_min: int) -> tuple[int, str | None]:
    """(short calls the position can cover, underlying root): LEAP contracts plus 100-share lots
    (shares count only from `shares_min`)."""
    cover, root = 0, None
    for contract, quantity in position.contracts():
        if contract.kind == ContractKind.OPTION and contract.right == CALL and quantity > 0:
            cover, root = cover + quantity, contract.root
        elif contract.kind == ContractKind.EQUITY and quantity >= shares_min:
            cover += quantity // int(product_spec(contract.root).option_multiplier)
            root = contract.root
    return cover, root
