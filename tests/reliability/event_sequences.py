"""Random event sequences through the real TradingSystem, with a fake broker, a fake market and
scripted strategies (fast enough for thousands of hypothesis examples).

A sequence, drawn by `sequences()`, is a starting net liquidation and a list of steps; `play`
runs it on one trading day (tests.risk.test_risk_gate.TODAY, so that the gate property helpers
apply) and returns a `Trace` of what matters for the properties: each risk-gate decision with the
account it saw, each order sent, each close a strategy's management asked for, and any exception.
"""
from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from config.loader import load_config
from core.account import AccountSnapshot
from core.engine.trading_system import TradingSystem
from core.exit_reasons import ExitReason
from core.position import Position
from core.types import (
    AssignmentEvent,
    ChainSnapshot,
    Contract,
    DailyBars,
    OrderEvent,
    OrderIntent,
    OrderStatus,
    Purpose,
    Quote,
    RiskDecision,
)
from helpers.exchange_calendar import session_open_close
from reporting.journal import Journal
from strategies.base import DecisionContext, Proposal, Strategy, close_intent
from tests.reliability.scripted_system import MemoryStore
from tests.risk.test_risk_gate import TODAY
from tests.risk.test_risk_gate_properties import EXPIRIES, SCALE, shape_legs

CONFIG = load_config({"risk_management_interval_minutes": "1"})
KEYS = ("vix_spike", "friday_0dte", "lt112", "futures_strangle", "leap_put_ladder", "ipmcc")
SHAPES = ("long_put", "put_spread", "strangle", "lt112", "iron_condor")
ROOTS = ("SPY", "QQQ", "IWM", "MES", "GLD", "MCL")
OPEN, CLOSE = session_open_close(TODAY)


# --- fakes ----------------------------------------------------------------------------------------


class FakeMarket:
    """Underlyings at their scale x 500; an option's mid rises with its moneyness (puts with the
    strike, calls against it) and its spread is 0.10, unless `quotes_missing`."""

    def __init__(self) -> None:
        self.time = OPEN
        self.vix_reading: tuple[float, datetime] | None = (18.0, OPEN)
        self.quotes_missing = False

    def now(self) -> datetime:
        return self.time

    def price(self, root: str) -> float | None:
        return 500.0 * SCALE.get(root, 1.0)

    def vix(self) -> tuple[float, datetime] | None:
        return self.vix_reading

    def vix_previous_close(self) -> float | None:
        return 18.0

    def chain(self, root: str, min_dte: int, max_dte: int) -> ChainSnapshot | None:
        return None

    def quote(self, contract: Contract) -> Quote | None:
        if self.quotes_missing:
            return None
        spot = self.price(contract.root) or 1.0
        strike = contract.strike or spot
        mid = 2.0 * (strike / spot if contract.right == "put" else spot / strike)
        return Quote(round(mid - 0.05, 4), round(mid + 0.05, 4))

    def daily_bars(self, root: str, count: int) -> DailyBars | None:
        return None

    def session_open_price(self, root: str) -> float | None:
        return self.price(root)


@dataclass
class FakeOrder:
    order_id: str
    intent: OrderIntent
    filled: int = 0


class FakeBroker:
    """Accepts every order; fills, cancels and rejects only when the sequence says so. Holdings
    follow the fills; net liquidation is the starting value times (1 + the sequence's shock)."""

    def __init__(self, net_liquidation: float) -> None:
        self.start = net_liquidation
        self.orders: dict[str, FakeOrder] = {}
        self.holding: dict[str, tuple[Contract, int]] = {}
        self.ids = itertools.count(1)
        self.shock = 0.0
        self.cancel_requests: list[str] = []

    def submit(self, intent: OrderIntent) -> str:
        order_id = f"O{next(self.ids):06d}"
        self.orders[order_id] = FakeOrder(order_id, intent)
        return order_id

    def update_limit(self, order_id: str, limit_price: float) -> None:
        if not (math.isfinite(limit_price) and limit_price != 0):
            raise ValueError(f"bad limit {limit_price!r}")

    def cancel(self, order_id: str) -> None:
        """Cancel requests are confirmed (CANCELLED) at the start of the next step."""
        self.cancel_requests.append(order_id)

    def open_order_ids(self) -> list[str]:
        return sorted(self.orders)

    def holdings(self) -> dict[str, tuple[Contract, int]]:
        return dict(self.holding)

    def net_liquidation(self) -> float:
        return self.start * (1.0 + self.shock)

    def margin_used(self) -> float:
        return 0.0

    def fill(self, order: FakeOrder, units: int) -> None:
        for leg in order.intent.legs:
            contract, held = self.holding.get(leg.contract.key, (leg.contract, 0))
            if held + leg.ratio * units:
                self.holding[leg.contract.key] = (contract, held + leg.ratio * units)
            else:
                self.holding.pop(leg.contract.key, None)
        order.filled += units


# --- scripted strategies --------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryPlan:
    shape: str
    root: str
    expiry_index: int
    quantity: int
    price_cents: int
    max_loss: float
    margin: float


class ScriptedStrategy(Strategy):
    """Proposes the entry the current step plans for it and exits the positions it is told to."""

    exits = frozenset({ExitReason.TIME_EXIT})

    def __init__(self, key: str, trace: Trace) -> None:
        super().__init__(CONFIG)
        self.key = key
        self.trace = trace
        self.entry: EntryPlan | None = None
        self.exit = False

    def is_entry_window(self, ctx: DecisionContext) -> bool:
        return self.entry is not None

    def propose_entry(self, ctx: DecisionContext, positions: list[Position]) -> Proposal | None:
        plan, self.entry = self.entry, None
        if plan is None:
            return self.skip("nothing planned")
        legs, sign = shape_legs(plan.shape, plan.root, EXPIRIES[1:][plan.expiry_index])
        intent = OrderIntent(ctx.new_intent_id(), self.key, Purpose.OPEN, legs, plan.quantity,
                             sign * plan.price_cents / 100.0, ctx.now, "scripted entry",
                             max_loss_per_unit=plan.max_loss, margin_per_unit=plan.margin,
                             natural_price=sign * plan.price_cents / 100.0 + 0.05, timeout_seconds=300)
        return Proposal(intent, None, 0.5, plan.price_cents)

    def manage(self, ctx: DecisionContext, position: Position) -> list[OrderIntent]:
        if not self.exit:
            return []
        intent = close_intent(ctx, position, ExitReason.TIME_EXIT)
        if intent is not None:
            self.trace.managed_closes.append(intent)
        return [intent] if intent is not None else []


# --- the trace and the player ---------------------------------------------------------------------


@dataclass
class Trace:
    """What one sequence produced."""

    decisions: list[tuple[OrderIntent, AccountSnapshot, RiskDecision]] = field(default_factory=list)
    sent: list[OrderIntent] = field(default_factory=list)
    managed_closes: list[OrderIntent] = field(default_factory=list)
    error: BaseException | None = None


class Player:
    """The trading system under test with its fakes; `play` applies steps one by one."""

    def __init__(self, net_liquidation: float) -> None:
        self.trace = Trace()
        self.market = FakeMarket()
        self.broker = FakeBroker(net_liquidation)
        self.journal = Journal()
        self.strategies = {key: ScriptedStrategy(key, self.trace) for key in KEYS}
        self.system = TradingSystem(CONFIG, list(self.strategies.values()), self.market, self.broker, MemoryStore(),
                                    self.journal, "backtest/properties", net_liquidation)
        evaluate, submit = self.system.gate.evaluate, self.broker.submit

        def recorded_evaluate(intent: OrderIntent, account: AccountSnapshot) -> RiskDecision:
            decision = evaluate(intent, account)
            self.trace.decisions.append((intent, account, decision))
            return decision

        def recorded_submit(intent: OrderIntent) -> str:
            self.trace.sent.append(intent)
            return submit(intent)

        self.system.gate.evaluate = recorded_evaluate  # type: ignore[method-assign]
        self.broker.submit = recorded_submit  # type: ignore[method-assign]
        self.last_event: OrderEvent | None = None
        self.system.on_session_start(TODAY, OPEN)

    def _deliver(self, event: OrderEvent) -> None:
        self.last_event = event
        self.system.on_order_event(event)

    def _order(self, index: int) -> FakeOrder | None:
        ids = sorted(self.broker.orders)
        return self.broker.orders[ids[index % len(ids)]] if ids else None

    def step(self, step: tuple[Any, ...]) -> None:
        """Apply one step (see BY_KIND for the kinds)."""
        kind, *args = step
        now = self.market.time
        requests, self.broker.cancel_requests = self.broker.cancel_requests, []
        for order_id in requests:
            order = self.broker.orders.pop(order_id, None)
            if order is not None:
                self._deliver(OrderEvent(order_id, order.intent.intent_id, OrderStatus.CANCELLED, now, message="cancelled"))
        if kind == "minute":
            entries, exits, minutes = args
            self.market.time = min(now + timedelta(minutes=minutes), CLOSE - timedelta(minutes=1))
            for key, strategy in self.strategies.items():
                strategy.entry = entries.get(key)
                strategy.exit = key in exits
            if self.market.vix_reading is not None and math.isfinite(self.market.vix_reading[0]):
                self.market.vix_reading = (self.market.vix_reading[0], self.market.time)
            self.system.on_minute(self.market.time)
            for strategy in self.strategies.values():
                strategy.entry, strategy.exit = None, False
        elif kind in ("fill", "reject", "cancel"):
            order = self._order(args[0])
            if order is None:
                return
            if kind == "fill":
                remaining = order.intent.quantity - order.filled
                units = max(1, min(remaining, args[1])) if args[1] else remaining
                self.broker.fill(order, units)
                status = OrderStatus.FILLED if order.filled == order.intent.quantity else OrderStatus.PARTIALLY_FILLED
                event = OrderEvent(order.order_id, order.intent.intent_id, status, now, units, order.intent.limit_price)
            else:
                status = OrderStatus.REJECTED if kind == "reject" else OrderStatus.CANCELLED
                event = OrderEvent(order.order_id, order.intent.intent_id, status, now, message=kind)
            if status.is_final:
                del self.broker.orders[order.order_id]
            self._deliver(event)
        elif kind == "repeat" and self.last_event is not None:
            self._deliver(self.last_event)
        elif kind == "late_ack" and self.last_event is not None:
            self._deliver(OrderEvent(self.last_event.order_id, self.last_event.intent_id, OrderStatus.SUBMITTED, now))
        elif kind == "expire":
            self._expire(args[0])
        elif kind == "vix":
            self.market.vix_reading = None if args[0] is None else (args[0], now)
        elif kind == "equity":
            self.broker.shock = args[0]
        elif kind == "quotes":
            self.market.quotes_missing = args[0]

    def _expire(self, index: int) -> None:
        """A holding leaves worthless (expiry or assignment reported by the broker)."""
        keys = sorted(self.broker.holding)
        if not keys:
            return
        contract, quantity = self.broker.holding.pop(keys[index % len(keys)])
        self.system.on_assignment(AssignmentEvent(self.market.time, contract, quantity, 0, 0.0,
                                                  self.market.price(contract.root) or 0.0, "expired_worthless"))


Sequence = tuple[float, list[tuple[Any, ...]]]


def play(sequence: Sequence, check: Callable[[Player], None] | None = None) -> tuple[Player, Trace]:
    """Run a sequence (starting net liquidation, steps), calling `check(player)` after every step;
    an exception of the system ends the sequence and is kept in the trace (an AssertionError of
    `check` propagates)."""
    net_liquidation, steps = sequence
    player = Player(net_liquidation)
    for step in steps:
        try:
            player.step(step)
        except Exception as error:  # noqa: BLE001 - the properties assert there was none
            player.trace.error = error
            break
        if check is not None:
            check(player)
    return player, player.trace


# --- hypothesis strategies ------------------------------------------------------------------------

def _plan_table(size: int = 400, seed: int = 6) -> list[EntryPlan]:
    """A fixed table of entry plans (drawing one index is much cheaper than drawing seven fields)."""
    rng = random.Random(seed)
    return [EntryPlan(rng.choice(SHAPES), rng.choice(ROOTS), rng.randrange(len(EXPIRIES) - 1), rng.randint(1, 12),
                      rng.randint(5, 900), rng.choice([50.0, 150.0, 400.0, 900.0, 0.0]),
                      rng.choice([100.0, 500.0, 1500.0, 4000.0, 0.0])) for _ in range(size)]


PLANS = st.sampled_from(_plan_table())
ENTRIES = st.lists(st.tuples(st.sampled_from(KEYS), PLANS), min_size=1, max_size=3).map(dict)
EXITS = st.integers(0, 2 ** len(KEYS) - 1).map(lambda bits: frozenset(k for i, k in enumerate(KEYS) if bits >> i & 1))
MINUTE = st.tuples(st.just("minute"), ENTRIES, EXITS.map(lambda keys: keys if len(keys) <= 4 else frozenset()),
                   st.sampled_from([1, 1, 1, 2, 5, 31]))
BY_KIND: dict[str, st.SearchStrategy[tuple[Any, ...]]] = {
    "minute": MINUTE,
    "quiet": st.tuples(st.just("minute"), st.just({}), EXITS, st.sampled_from([1, 1, 2, 5, 31])),
    "fill": st.tuples(st.just("fill"), st.integers(0, 5), st.sampled_from([0, 0, 1, 2])),
    "reject": st.tuples(st.just("reject"), st.integers(0, 5)),
    "cancel": st.tuples(st.just("cancel"), st.integers(0, 5)),
    "repeat": st.just(("repeat",)),
    "late_ack": st.just(("late_ack",)),
    "expire": st.tuples(st.just("expire"), st.integers(0, 9)),
    "vix": st.tuples(st.just("vix"), st.sampled_from([11.0, 14.0, 18.0, 24.0, 28.0, 32.0, 40.0, math.nan, 400.0,
                                                      None])),
    "equity": st.tuples(st.just("equity"), st.sampled_from([0.0, -0.055, -0.11, -0.155, -0.205, 0.07])),
    "quotes": st.tuples(st.just("quotes"), st.sampled_from([False, False, True])),
}
# how often each kind of step is drawn: mostly minutes with entries, exits and fills
WEIGHTS = {"minute": 5, "quiet": 3, "fill": 6, "reject": 1, "cancel": 1, "repeat": 1, "late_ack": 1, "expire": 1,
           "vix": 1, "equity": 1, "quotes": 1}
STEP = st.sampled_from([kind for kind, weight in WEIGHTS.items() for _ in range(weight)]).flatmap(BY_KIND.__getitem__)


def sequences(min_size: int = 10, max_size: int = 60) -> st.SearchStrategy[Sequence]:
    """A starting net liquidation (phase 1 or phase 2, where orders have several units) and a
    random event sequence of `min_size` to `max_size` steps."""
    return st.tuples(st.sampled_from([30_000.0, 45_000.0]), st.lists(STEP, min_size=min_size, max_size=max_size))
