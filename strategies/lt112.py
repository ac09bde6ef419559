"""LT112: a 1-1-2 put structure about 116 days out, entered on the first Wednesday (SPEC section 5).

Entry Wednesdays 10:00-10:10 (first Wednesday session of the month by default: when that Wednesday
is a holiday the rule moves to the next session, e.g. Thursday 2025-01-02). Stacking: from account
phase `stack_from_phase` (3) the further Wednesdays of the month enter too, each a new position with
an expiry no open LT112 holds, up to `stack_max_positions` open LT112s (the group limits still apply). An expiry 112-120 DTE
is preferred, 105-130 accepted, and one already held by an open LT112 is never reused. No entry
while the underlying is at a 52-week high: the last completed daily close at or above the highest
high of the last `high_lookback_sessions` bars x (1 - `high_tolerance`).

Structure per unit: long 1 put about 7% out of the money, short 1 put exactly `spread_width` points
below it (SPY points; x10 on the index-scale /ES and /MES; or within `order_width_tolerance`, else
no entry), short 2 puts about 12% out of the money, as one 3-leg combo that must collect a net
credit (at the fill too). Product: the first of `lt112_products` (MES, ES, SPY) with listed options
whose one unit passes the 2% rule and the buying-power cap (strategies/product_choice.py).

Exits, first reached wins (checked every management call):
* 21 DTE: close everything (time_exit); never rolled.
* while the naked puts are held: underlying within 2% above the naked strike (distance_stop);
  a loss of 100% of the initial net credit (stop_loss); the naked puts bought back once 90% of
  their entry credit is in (naked_profit_target; the debit spread is kept and only the time exit
  applies to it afterwards); 50% of the initial net credit made (profit_target).
The naked puts' entry credit is their mid price when the entry was proposed (fills are booked per
combo, not per leg); it is remembered in `memory` and copied into the position's notes.
"""
from __future__ import annotations

from datetime import date

import numpy as np

from config.loader import FrameworkConfig
from config.strategy_spec import EntryWindow, OptionWindow, StrategySpec
from core.types import PUT, ChainSnapshot, Contract, Leg, OrderIntent, Position, Purpose, contract_multiplier
from core.unified_position_sizer import KellyInputs
from helpers.exchange_calendar import WEDNESDAY, is_nth_weekday_session
from strategies.base import (
    DecisionContext,
    Proposal,
    Strategy,
    close_intent,
    make_intent,
    position_pnl,
)
from strategies.chain_tools import mid_net, pick_expiry, row_at_width, row_by_strike, unit_costs
from strategies.defensive import dte_exit_due, short_contracts
from strategies.product_choice import choose_product

# What the rest of the framework knows about this strategy (config/strategy_spec.py).
SPEC = StrategySpec(
    key="lt112",
    entry_windows=lambda p: (EntryWindow("wednesday", p.entry_start, "entry_start"),),
    option_windows=lambda p: tuple((root, OptionWindow(p.exit_dte, p.accept_dte_max, 0.65, 1.10))
                                   for root in p.product_list),
    history_sessions=lambda p: int(p.high_lookback_sessions),
)

# The spread width is given in SPY points. QQQ and IWM use the same points (their strikes are 1
# point apart too); /ES and /MES quote the S&P 500 on the index scale (about 10 x SPY), so the
# same shape needs 10 x the points.
WIDTH_SCALE = {"SPY": 1.0, "QQQ": 1.0, "IWM": 1.0, "ES": 10.0, "MES": 10.0}


class Lt112(Strategy):
    """LT112 1-1-2 put structure (long put, short put below it, two naked puts further out)."""

    key = SPEC.key
    exits = frozenset({"time_exit", "distance_stop", "stop_loss", "naked_profit_target", "profit_target"})

    def __init__(self, config: FrameworkConfig) -> None:
        super().__init__(config)
        self.params = config.lt112

    def may_open_on(self, day: date) -> bool:
        """A Wednesday, or the session the first Wednesday rolled to (a holiday)."""
        return bool(self.params.enabled) and (day.weekday() == WEDNESDAY or is_nth_weekday_session(day, WEDNESDAY, 1))

    def is_entry_window(self, ctx: DecisionContext) -> bool:
        p = self.params
        if not self.may_open_on(ctx.today) or not ctx.within(p.entry_start, p.entry_end) or self.attempted_today(ctx):
            return False
        wednesday = ctx.today.weekday() == WEDNESDAY
        if not p.first_wednesday_only:
            return wednesday
        return is_nth_weekday_session(ctx.today, WEDNESDAY, 1) or (wednesday and self._stacking(ctx))

    def _stacking(self, ctx: DecisionContext) -> bool:
        """True from `stack_from_phase` on: further Wednesdays add positions (SPEC section 5)."""
        return ctx.account.phase >= self.params.stack_from_phase

    def propose_entry(self, ctx: DecisionContext, positions: list[Position]) -> Proposal | None:
        p = self.params
        self.mark_attempted(ctx)
        if positions and self._stacking(ctx) and len(positions) >= p.stack_max_positions:
            return self.skip(f"{len(positions)} LT112 positions open, at most {p.stack_max_positions} when stacking")
        return choose_product(self, ctx, p.product_list, lambda root: self._propose(ctx, root, positions))

    def _propose(self, ctx: DecisionContext, product: str, positions: list[Position]) -> Proposal | None:
        p = self.params
        chain = ctx.market.chain(product, p.accept_dte_min, p.accept_dte_max)
        if chain is None or len(chain) == 0:
            return self.skip(f"no {product} expiry listed {p.accept_dte_min}-{p.accept_dte_max} DTE")
        held = {e for position in positions for e in position.expiries()}
        expiry = self._expiry(chain, ctx.today, held)
        if expiry is None:
            return self.skip(f"no {product} expiry {p.accept_dte_min}-{p.accept_dte_max} DTE "
                             f"without an open LT112 (held: {sorted(str(e) for e in held)})")
        at_high = self._at_52_week_high(ctx, product)
        if at_high is not None:
            return self.skip(at_high)
        picked = self._structure(chain, expiry, product)
        if isinstance(picked, str):
            return self.skip(picked)
        legs, rows = picked
        credit = -mid_net(chain, legs, rows)
        if credit <= 0:
            return self.skip(f"1-1-2 collects no net credit (net {-credit:.2f} debit)")
        multiplier = contract_multiplier(legs[0].contract)
        margin, _ = unit_costs(chain, legs, rows, ctx.today)
        dte = (expiry - ctx.today).days
        intent = make_intent(ctx, self.key, Purpose.OPEN, legs, self.config.risk.max_contracts,
                             f"LT112 1-1-2 {expiry} ({dte} DTE), net credit {credit:.2f}",
                             max_loss_per_unit=p.stop_loss * credit * multiplier, margin_per_unit=margin,
                             price_bound=0.0)  # a net credit, at the fill too
        if intent is None:
            return self.skip("quotes missing for a leg")
        naked = legs[2].contract
        self.memory["naked_credit"] = {naked.key: float(chain.mid[rows[2]])}
        kelly = KellyInputs(p.kelly_win_rate, p.kelly_avg_win, p.kelly_avg_loss)
        return Proposal(intent, kelly, p.buying_power_cap, credit * multiplier)

    def _expiry(self, chain: ChainSnapshot, today: date, held: set[date]) -> date | None:
        """Listed expiry nearest the middle of the preferred range, else of the accepted range,
        skipping expiries an open LT112 already holds."""
        p = self.params
        free = chain.subset(~_held_mask(chain, held)) if held else chain
        target = (p.target_dte_min + p.target_dte_max) // 2
        return (pick_expiry(free, today, target, p.target_dte_min, p.target_dte_max)
                or pick_expiry(free, today, target, p.accept_dte_min, p.accept_dte_max))

    def _at_52_week_high(self, ctx: DecisionContext, product: str) -> str | None:
        """A skip reason when the high filter refuses (or cannot be evaluated), else None."""
        p = self.params
        bars = ctx.market.daily_bars(product, p.high_lookback_sessions)
        if bars is None or len(bars.close) < p.high_lookback_sessions:
            count = 0 if bars is None else len(bars.close)
            return f"only {count} of {p.high_lookback_sessions} daily bars of {product} for the 52-week high"
        high = float(bars.high.max())
        close = float(bars.close[-1])
        if close >= high * (1.0 - p.high_tolerance):
            return f"{product} at a 52-week high (close {close:.2f} vs high {high:.2f})"
        return None

    def _structure(self, chain: ChainSnapshot, expiry: date,
                   product: str) -> tuple[tuple[Leg, ...], list[int]] | str:
        """(legs, chain rows) of long put, short put, two naked puts; or a skip reason."""
        p = self.params
        spot = chain.underlying_price
        long_row = row_by_strike(chain, expiry, PUT, spot * (1.0 - p.long_put_otm))
        if long_row is None:
            return f"no put near {spot * (1.0 - p.long_put_otm):.2f} at {expiry}"
        long_strike = float(chain.strikes[long_row])
        width = p.spread_width * WIDTH_SCALE.get(product, 1.0)
        short_row = row_at_width(chain, expiry, PUT, long_strike, -width, self.config.order.width_tolerance)
        if isinstance(short_row, str):
            return f"short put: {short_row} at {expiry}"
        short_strike = float(chain.strikes[short_row])
        naked_row = row_by_strike(chain, expiry, PUT, spot * (1.0 - p.naked_put_otm))
        if naked_row is None or chain.strikes[naked_row] >= short_strike:
            return f"no naked put below {short_strike:g} near {spot * (1.0 - p.naked_put_otm):.2f}"
        legs = (Leg(chain.contract(long_row), 1), Leg(chain.contract(short_row), -1),
                Leg(chain.contract(naked_row), -2))
        return legs, [long_row, short_row, naked_row]

    def manage(self, ctx: DecisionContext, position: Position) -> list[OrderIntent]:
        p = self.params
        if dte_exit_due(position, ctx.today, p.exit_dte):
            return _one(close_intent(ctx, position, "time_exit"))
        naked = _naked_put(position)
        if naked is None:  # the naked puts are closed: the paid-for debit spread runs to the time exit
            return []
        spot = ctx.market.price(naked.root)
        naked_strike = float(naked.strike or 0.0)
        if spot is not None and spot <= naked_strike * (1.0 + p.naked_distance_stop):
            return _one(close_intent(ctx, position, "distance_stop"))
        pnl = position_pnl(position, ctx.market)
        credit = position.entry_cash
        if pnl is None or credit <= 0:
            return []
        if pnl <= -p.stop_loss * credit:
            return _one(close_intent(ctx, position, "stop_loss"))
        if self._naked_target_reached(ctx, position, naked):
            return _one(close_intent(ctx, position, "naked_profit_target", contracts=[naked]))
        if pnl >= p.profit_target * credit:
            return _one(close_intent(ctx, position, "profit_target"))
        return []

    def _naked_target_reached(self, ctx: DecisionContext, position: Position, naked: Contract) -> bool:
        """True once buying the naked puts back costs at most (1 - naked_close_fraction) of their
        entry credit (mid prices)."""
        entry = position.notes.get("naked_credit")
        if entry is None:
            entry = self.memory.get("naked_credit", {}).get(naked.key)
            if entry is None:
                return False
            position.notes["naked_credit"] = entry
        quote = ctx.market.quote(naked)
        if quote is None or not quote.valid:
            return False
        return quote.mid <= (1.0 - self.params.naked_close_fraction) * float(entry)


def _held_mask(chain: ChainSnapshot, held: set[date]) -> np.ndarray:
    """Boolean mask of the chain rows whose expiry is in `held`."""
    return np.isin(chain.expiries, np.array(sorted(held), dtype="datetime64[D]"))


def _naked_put(position: Position) -> Contract | None:
    """The naked short puts: the lowest-strike short put when the position holds more short puts
    than long puts (None once they are closed)."""
    shorts = short_contracts(position, PUT)
    held = sum(q for c, q in position.contracts() if c.right == PUT)
    if not shorts or held >= 0:
        return None
    return min(shorts, key=lambda c: float(c.strike or 0.0))


def _one(intent: OrderIntent | None) -> list[OrderIntent]:
    return [intent] if intent is not None else []
