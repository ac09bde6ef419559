"""Friday 0DTE: an iron condor (or the trend-fade credit spread) on the day's expiry (SPEC section 5).

Entry Fridays 10:30 (none after 11:00) when VIX is above `zero_dte_vix_min` and below
`zero_dte_vix_max` and the day has no FOMC or CPI release. Shorts at about 16 delta (never 30 or
more), wings exactly `zero_dte_wing_width` points away (or within `order_width_tolerance`; a grid
that cannot give the width skips the entry). Exits: 50% of the credit, a loss of 200% of the
credit, or 15:00 whatever happens.
"""
from __future__ import annotations

from datetime import date

from config.constants import product_spec
from config.loader import FrameworkConfig
from config.strategy_spec import EntryWindow, OptionWindow, StrategySpec
from core.types import CALL, PUT, Leg, OrderIntent, Position, Purpose
from core.unified_position_sizer import KellyInputs
from helpers.economic_calendar import is_major_event_day
from strategies.base import DecisionContext, Proposal, Strategy, make_intent
from strategies.chain_tools import mid_net, row_at_width, row_by_delta, unit_costs
from strategies.structures import ExitRules, managed_exit

# What the rest of the framework knows about this strategy (config/strategy_spec.py).
SPEC = StrategySpec(
    key="friday_0dte",
    entry_windows=lambda p: (EntryWindow("friday", p.entry_time, "entry_time"),),
    option_windows=lambda p: ((p.product, OptionWindow(0, 1, 0.90, 1.10)),),
)

FRIDAY = 4
# Wing width is given in SPY points; products quoted on the index scale use a wider wing.
WING_SCALE = {"SPY": 1.0, "SPXW": 3.0, "ES": 3.0, "MES": 3.0}


class FridayZeroDte(Strategy):
    """Friday 0DTE iron condor / trend-fade credit spread."""

    key = SPEC.key
    exits = frozenset({"profit_target", "stop_loss", "time_exit"})

    def __init__(self, config: FrameworkConfig) -> None:
        super().__init__(config)
        self.params = config.friday_0dte

    def may_open_on(self, day: date) -> bool:
        return bool(self.params.enabled) and day.weekday() == FRIDAY

    def is_entry_window(self, ctx: DecisionContext) -> bool:
        p = self.params
        return (self.may_open_on(ctx.today) and ctx.within(p.entry_time, p.entry_deadline)
                and not self.attempted_today(ctx))

    def propose_entry(self, ctx: DecisionContext, positions: list[Position]) -> Proposal | None:
        p = self.params
        self.mark_attempted(ctx)
        if positions:
            return self.skip("a 0DTE position is already open")
        if ctx.vix is None or not p.vix_min < ctx.vix < p.vix_max:
            return self.skip(f"VIX {ctx.vix} outside ({p.vix_min}, {p.vix_max})")
        if p.skip_event_days and is_major_event_day(ctx.today):
            return self.skip("FOMC or CPI release today")
        chain = ctx.market.chain(p.product, 0, 0)
        if chain is None or len(chain) == 0:
            return self.skip("no same-day expiry in the chain")
        expiry = ctx.today
        sides = self._sides(ctx)
        width = p.wing_width * WING_SCALE.get(p.product, 1.0)
        legs: list[Leg] = []
        rows: list[int] = []
        for right in sides:
            short_row = row_by_delta(chain, expiry, right, p.short_delta, p.max_short_delta)
            if short_row is None:
                return self.skip(f"no {right} below {p.max_short_delta} delta")
            short_strike = float(chain.strikes[short_row])
            long_row = row_at_width(chain, expiry, right, short_strike, -width if right == PUT else width,
                                    self.config.order.width_tolerance)
            if isinstance(long_row, str):
                return self.skip(f"wing: {long_row}")
            legs += [Leg(chain.contract(long_row), 1), Leg(chain.contract(short_row), -1)]
            rows += [long_row, short_row]
        credit = -mid_net(chain, tuple(legs), rows)
        if credit <= 0:
            return self.skip("structure does not collect a credit")
        multiplier = product_spec(p.product).option_multiplier
        margin, max_loss = unit_costs(chain, tuple(legs), rows, ctx.today)
        risk = min(p.stop_loss * credit * multiplier, max_loss)
        structure = "iron condor" if len(sides) == 2 else f"{sides[0]} credit spread"
        intent = make_intent(ctx, self.key, Purpose.OPEN, tuple(legs), self.config.risk.max_contracts,
                             f"0DTE {structure}, credit {credit:.2f}, VIX {ctx.vix:.1f}",
                             max_loss_per_unit=risk, margin_per_unit=margin,
                             timeout_seconds=self.config.order.zero_dte_timeout_minutes * 60,
                             price_bound=0.0)  # a credit, at the fill too
        if intent is None:
            return self.skip("quotes missing for a leg")
        kelly = KellyInputs(p.kelly_win_rate, p.kelly_avg_win, p.kelly_avg_loss)
        return Proposal(intent, kelly, p.buying_power_cap, credit * multiplier)

    def _sides(self, ctx: DecisionContext) -> tuple[str, ...]:
        """Both sides for the iron condor; for trend-fade the side against the morning's move."""
        if self.params.structure != "trend_fade":
            return (PUT, CALL)
        spot = ctx.market.price(self.params.product)
        session_open = ctx.market.session_open_price(self.params.product)
        if spot is None or session_open is None or session_open <= 0:
            return (PUT, CALL)
        move = spot / session_open - 1.0
        if move > self.params.trend_threshold:
            return (CALL,)
        if move < -self.params.trend_threshold:
            return (PUT,)
        return (PUT, CALL)

    def manage(self, ctx: DecisionContext, position: Position) -> list[OrderIntent]:
        p = self.params
        rules = ExitRules(profit_target=p.profit_target, stop_loss=p.stop_loss, exit_time=p.exit_time)
        return managed_exit(ctx, position, rules, self.config.order.zero_dte_timeout_minutes * 60)
