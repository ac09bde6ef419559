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
combo, not per leg): the entry order carries it and the position keeps it (terms.entry_marks).
"""
from __future__ import annotations

from datetime import date, datetime

import numpy as np

from config.loader import FrameworkConfig
from config.strategy_parameters import Lt112Parameters
from config.strategy_spec import EntryWindow, OptionWindow, StrategySpec
from core.exit_reasons import ExitReason
from core.position import Position
from core.types import PUT, ChainSnapshot, Contract, OrderIntent
from helpers.exchange_calendar import WEDNESDAY, is_nth_weekday_session
from strategies.base import DecisionContext, Proposal, close_intent, position_pnl
from strategies.chain_tools import pick_expiry
from strategies.defensive import dte_exit_due, short_contracts
from strategies.product_choice import choose_product
from strategies.structures import DteWindow, LegRule, StructureStrategy, multiplier_of, product_points

# What the rest of the framework knows about this strategy (config/strategy_spec.py).
SPEC = StrategySpec(
    key="lt112",
    entry_windows=lambda p: (EntryWindow("wednesday", p.entry_start, "entry_start"),),
    option_windows=lambda p: tuple((root, OptionWindow(p.exit_dte, p.accept_dte_max, 0.65, 1.10))
                                   for root in p.product_list),
    history_sessions=lambda p: int(p.high_lookback_sessions),
)



class Lt112(StructureStrategy[Lt112Parameters]):
    """LT112 1-1-2 put structure (long put, short put below it, two naked puts further out)."""

    key = SPEC.key
    exits = frozenset({ExitReason.TIME_EXIT, ExitReason.DISTANCE_STOP, ExitReason.STOP_LOSS,
                       ExitReason.NAKED_PROFIT_TARGET, ExitReason.PROFIT_TARGET})

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

    def next_entry_check(self, ctx: DecisionContext) -> datetime | None:
        if not self.may_open_on(ctx.today) or self.attempted_today(ctx):
            return None
        return ctx.first_within(self.params.entry_start, self.params.entry_end)  # stacking: asked then

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
        dte = (expiry - ctx.today).days
        legs = (LegRule(PUT, 1, otm=p.long_put_otm), LegRule(PUT, -1, offset=-product_points(p.spread_width, product)),
                LegRule(PUT, -2, otm=p.naked_put_otm))
        structure = self.build(ctx, chain, legs, (DteWindow(dte, dte, dte),))
        if isinstance(structure, str):
            return self.skip(structure)
        if structure.strike(2) >= structure.strike(1):
            return self.skip(f"no naked put below {structure.strike(1):g} near "
                             f"{chain.underlying_price * (1.0 - p.naked_put_otm):.2f}")
        if structure.credit <= 0:
            return self.skip(f"1-1-2 collects no net credit (net {structure.net:.2f} debit)")
        return self.proposal(ctx, structure, f"LT112 1-1-2 {expiry} ({dte} DTE), net credit {structure.credit:.2f}",
                             p.stop_loss * structure.credit * multiplier_of(product),
                             price_bound=0.0)  # a net credit, at the fill too

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

    def manage(self, ctx: DecisionContext, position: Position) -> list[OrderIntent]:
        p = self.params
        if dte_exit_due(position, ctx.today, p.exit_dte):
            return _one(close_intent(ctx, position, ExitReason.TIME_EXIT))
        naked = _naked_put(position)
        if naked is None:  # the naked puts are closed: the paid-for debit spread runs to the time exit
            return []
        spot = ctx.market.price(naked.root)
        naked_strike = float(naked.strike or 0.0)
        if spot is not None and spot <= naked_strike * (1.0 + p.naked_distance_stop):
            return _one(close_intent(ctx, position, ExitReason.DISTANCE_STOP))
        pnl = position_pnl(position, ctx.market)
        credit = position.entry_cash
        if pnl is None or credit <= 0:
            return []
        if pnl <= -p.stop_loss * credit:
            return _one(close_intent(ctx, position, ExitReason.STOP_LOSS))
        if self._naked_target_reached(ctx, position, naked):
            return _one(close_intent(ctx, position, ExitReason.NAKED_PROFIT_TARGET, contracts=[naked]))
        if pnl >= p.profit_target * credit:
            return _one(close_intent(ctx, position, ExitReason.PROFIT_TARGET))
        return []

    def _naked_target_reached(self, ctx: DecisionContext, position: Position, naked: Contract) -> bool:
        """True once buying the naked puts back costs at most (1 - naked_close_fraction) of their
        entry credit (mid prices)."""
        entry = position.terms.entry_marks.get(naked.key)
        quote = ctx.market.quote(naked)
        if entry is None or quote is None or not quote.valid:
            return False
        return quote.mid <= (1.0 - self.params.naked_close_fraction) * entry


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
