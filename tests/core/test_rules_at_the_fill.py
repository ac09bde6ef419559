"""Rules hold where the money changes hands: the price ladder stops at a rule's price bound, the
expiry-day close starts early enough for the whole ladder, strategies close only for their declared
exits, and no order works past its session's close (a close is re-sent at the next open)."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta

import pytest

from config.loader import load_config
from core.engine.order_manager import WorkingOrder, next_limit, timed_out, timeout_reason
from core.engine.session_close import expiry_day_close_start, expiry_day_exit
from core.engine.trading_system import TradingSystem
from core.position import Position
from core.types import PUT, Contract, ContractKind, Leg, OrderIntent, Purpose
from offline.broker.faults import BrokerFaults
from offline.broker.simulated_broker import SimulatedBroker
from offline.replay.file_store import FileStore
from reporting.journal import Journal
from strategies.base import SYSTEM_EXITS, DecisionContext, Proposal, Strategy, close_intent, make_intent
from strategies.registry import build_strategies
from strategies.weekly_butterfly import WeeklyButterfly
from tests.strategies.kit import context, eastern, filled_position, scripted_market

START = eastern(2024, 8, 8, 10, 0)
PUT_500 = Contract("SPY", ContractKind.OPTION, expiry=date(2024, 9, 20), right=PUT, strike=500.0)
PUT_495 = dataclasses.replace(PUT_500, strike=495.0)


def ladder(limit: float, natural: float, bound: float | None) -> list[float]:
    """The limits an order takes at each 30-second step over its 5-minute time-out."""
    intent = OrderIntent("I1", "test", Purpose.OPEN, (Leg(PUT_500, -1), Leg(PUT_495, 1)), 1, limit, START,
                         "test", natural_price=natural, timeout_seconds=300, price_bound=bound)
    order = WorkingOrder("O1", intent, START, limit, START)
    limits = [limit]
    now = START
    while not timed_out(order, now):
        now += timedelta(seconds=30)
        step = next_limit(order, now, 30)
        if step is not None:
            order.limit_price, order.last_step = step, now
            limits.append(step)
    return limits + [timeout_reason(order)]


@pytest.mark.parametrize(("limit", "natural", "bound", "last", "reason"), [
    (-0.30, -0.10, None, -0.10, "not filled in time"),  # no rule: the ladder reaches the natural price
    (-0.30, -0.10, -0.25, -0.25, "not filled inside its rule's price bound -0.25"),  # credit at least 0.25
    (-2.10, -1.80, -2.00, -2.00, "not filled inside its rule's price bound -2"),  # ratio spread: 2.00
    (1.00, 1.40, 1.20, 1.20, "not filled inside its rule's price bound 1.2"),  # debit at most 1.20
    (-0.30, -0.28, -0.25, -0.28, "not filled in time"),  # the natural price comes first
])
def test_the_ladder_never_steps_past_a_rules_price_bound(limit, natural, bound, last, reason):
    limits = ladder(limit, natural, bound)
    prices, why = limits[:-1], limits[-1]
    assert prices == sorted(prices) and prices[-1] == pytest.approx(last)
    assert why == reason


@pytest.mark.parametrize(("bound", "limit"), [
    (None, -0.22),  # the mid, rounded
    (-0.25, -0.25),  # the mid beyond the bound: the limit starts at the bound
    (-0.254, -0.26),  # a bound off the tick is rounded to the safe side (more credit)
    (-0.20, -0.22),  # the mid inside the bound
])
def test_make_intent_starts_no_worse_than_the_bound(bound, limit):
    market = scripted_market(START, spy=530.0, vix=20.0)
    ctx = context(market)
    q500, q495 = market.quote(PUT_500), market.quote(PUT_495)
    mid = -q500.mid + q495.mid
    shifted = dataclasses.replace(ctx, market=_Shifted(market, mid + 0.22))  # mid net exactly -0.22
    intent = make_intent(shifted, "test", Purpose.OPEN, (Leg(PUT_500, -1), Leg(PUT_495, 1)), 1, "test",
                         price_bound=bound)
    assert intent is not None and intent.limit_price == pytest.approx(limit)
    assert intent.price_bound == (None if bound is None else pytest.approx(limit if bound != -0.20 else -0.20))


class _Shifted:
    """The market with the 495 put's quote moved by -`shift` (so the spread's mid net moves by it)."""

    def __init__(self, inner, shift: float) -> None:
        self.inner, self.shift = inner, shift

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def quote(self, contract):
        quote = self.inner.quote(contract)
        if contract == PUT_495:
            return dataclasses.replace(quote, bid=quote.bid - self.shift, ask=quote.ask - self.shift)
        return quote


@pytest.mark.parametrize(("day", "overrides", "start"), [
    (date(2024, 8, 16), {}, (15, 25)),  # 15:30 less the 5-minute time-out
    (date(2024, 11, 29), {}, (12, 25)),  # half day (13:00 close): 30 minutes before it, less 5
    (date(2024, 8, 16), {"order_expiry_close_deadline": "15:00"}, (14, 55)),
    (date(2024, 8, 16), {"order_timeout_minutes": "10"}, (15, 20)),
])
def test_expiry_day_closes_start_a_whole_ladder_before_the_deadline(day, overrides, start):
    now = eastern(day.year, day.month, day.day, 10, 0)
    assert expiry_day_close_start(now, load_config(overrides).order) == eastern(day.year, day.month, day.day, *start)


def _expiring_position(strategy: str, day: date, ctx: DecisionContext) -> Position:
    expiring = dataclasses.replace(PUT_500, expiry=day)
    return filled_position(strategy, (Leg(expiring, -1), Leg(dataclasses.replace(expiring, strike=495.0), 1)),
                           -0.5, 1, ctx)


@pytest.mark.parametrize(("strategy_key", "hhmm", "closes"), [
    ("friday_0dte", (15, 24), False),
    ("friday_0dte", (15, 25), True),
    ("vix_spike", (15, 40), True),
    ("weekly_butterfly", (15, 40), False),  # held to expiry by rule
    ("leap_put_ladder", (15, 40), False),  # a rung that reaches expiry was left to expire
])
def test_legs_expiring_today_close_from_1525_unless_held_to_expiry(strategy_key, hhmm, closes):
    config = load_config()
    strategy = next(s for s in build_strategies(config) if s.key == strategy_key)
    day = date(2024, 8, 16)
    ctx = context(scripted_market(eastern(2024, 8, 16, *hhmm), spy=530.0, vix=20.0), config)
    position = _expiring_position(strategy_key, day, ctx)
    intents = expiry_day_exit(strategy, position, ctx)
    assert [i.reason for i in intents] == (["expiry_day_exit"] if closes else [])


def test_every_strategy_declares_its_exits_and_the_weekly_butterfly_none():
    strategies = build_strategies(load_config())
    assert all(s.exits for s in strategies if s.key != "weekly_butterfly")
    butterfly = next(s for s in strategies if isinstance(s, WeeklyButterfly))
    assert butterfly.exits == frozenset() and butterfly.holds_to_expiry
    assert SYSTEM_EXITS == {"drawdown_liquidation", "expiry_day_exit"}


class ScriptedCloser(Strategy):
    """Opens one SPY put spread at 10:30 on the first day; closes it for `close_reason` at `close_at`."""

    key = "lt112"
    exits = frozenset({"time_exit"})

    def __init__(self, config, close_reason: str, close_at: tuple[int, int]) -> None:
        super().__init__(config)
        self.close_reason, self.close_at = close_reason, close_at

    def is_entry_window(self, ctx: DecisionContext) -> bool:
        return ctx.today == date(2024, 8, 8) and ctx.within("10:30", "10:30")

    def propose_entry(self, ctx: DecisionContext, positions: list[Position]) -> Proposal | None:
        intent = make_intent(ctx, self.key, Purpose.OPEN, (Leg(PUT_500, -1), Leg(PUT_495, 1)), 1, "scripted entry",
                             max_loss_per_unit=500.0, margin_per_unit=500.0)
        return Proposal(intent, None, 0.5, 50.0) if intent is not None else None

    def manage(self, ctx: DecisionContext, position: Position) -> list[OrderIntent]:
        if ctx.now.time() < datetime(2000, 1, 1, *self.close_at).time():
            return []
        intent = close_intent(ctx, position, self.close_reason)
        return [intent] if intent is not None else []


def run_days(tmp_path, strategy_factory, days, no_fill_after=None):
    """Minute-by-minute sessions over `days` (SPY 530, VIX 20); from `no_fill_after` (a datetime)
    until the next session the broker fills nothing. Returns the system and the broker."""
    config = load_config()
    market = scripted_market(eastern(2024, 8, 8, 9, 30), spy=530.0, vix=20.0)
    holder = {}
    broker = SimulatedBroker(30_000.0, lambda c, now: market.quote(c), lambda r, now: market.price(r),
                             lambda event: holder["system"].on_order_event(event),
                             lambda event: holder["system"].on_assignment(event))
    system = TradingSystem(config, [strategy_factory(config)], market, broker, FileStore(tmp_path), Journal(),
                           "backtest/test", 30_000.0)
    holder["system"] = system
    settings = broker.settings
    for day in days:
        open_dt = eastern(day.year, day.month, day.day, 9, 30)
        broker.settings = settings
        system.on_session_start(day, open_dt)
        for minute in range(390):
            now = open_dt + timedelta(minutes=minute)
            market.state.now = market.state.vix_time = now
            if no_fill_after is not None and now.date() == no_fill_after.date() and now >= no_fill_after:
                broker.settings = dataclasses.replace(settings, faults=BrokerFaults(no_fill=True))
            broker.process(now)
            system.on_minute(now)
        close = open_dt + timedelta(minutes=390)
        market.state.now = close
        broker.process(close)
        broker.settle_expiries(day, close)
        broker.flush_events()
        system.on_session_end(close)
    return system, broker


def test_a_close_that_cannot_fill_by_the_close_expires_and_is_re_sent_at_the_next_open(tmp_path):
    system, broker = run_days(tmp_path, lambda config: ScriptedCloser(config, "time_exit", (15, 55)),
                              [date(2024, 8, 8), date(2024, 8, 9)], no_fill_after=eastern(2024, 8, 8, 15, 50))
    journal = [(r["time"], r["message"]) for r in system.journal.records if r["kind"] == "order"]
    expired = [t for t, m in journal if m.startswith("close order expired unfilled at the close")]
    resent = [t for t, m in journal if m.startswith("close re-sent at the open (time_exit)")]
    assert expired == ["2024-08-08T16:00:00-04:00"] and resent == ["2024-08-09T09:30:00-04:00"]
    assert broker.open_order_ids() == [] and broker.holdings() == {}
    (trade,) = system.book.trades
    assert trade["exit_reason"] == "time_exit" and trade["exit_time"].startswith("2024-08-09T09:3")


def test_an_undeclared_exit_is_refused_and_the_strategy_errs(tmp_path):
    system, broker = run_days(tmp_path, lambda config: ScriptedCloser(config, "whim", (11, 0)), [date(2024, 8, 8)])
    errors = [r["message"] for r in system.journal.records if r["kind"] == "error"]
    assert any("closes for 'whim', not one of its declared exits ['time_exit']" in m for m in errors)
    assert not any(r["message"].startswith("close order") for r in system.journal.records)
    assert len(broker.holdings()) == 2  # still open: nothing was sent
