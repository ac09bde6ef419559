"""Simulated Tastytrade broker of the offline engine (implements core.ports.Broker).

ORDERS. Limit and combo limit orders; what is rejected before an order works: offline/broker/
order_checks.py; an opening order whose margin exceeds the buying power is rejected too (REJECTED event).
Accepted orders get a SUBMITTED event (at the intent's `created` time); only `process(now)`, called
every simulated minute, fills them. Events are delivered by flush_events(), which every runner step
(process, settle_expiries, ...) calls first and last, never from inside submit or cancel.
settle_expiries(day, ...) first ends the session's DAY orders: every order still working is cancelled
at the close ("day order expired at the close"; none works overnight), then settles expiries.

FILL RULE AND FEES: offline/broker/fill_rules.py.

CASH AND MARKS. A fill books -fill price x units x multiplier - fees; futures are booked at full
notional like shares (no variation margin). net_liquidation() = cash + sum(quantity x mark x
multiplier); a mark is the latest valid quote mid (process or fill time), kept while quotes are
missing; shares are marked at the underlying's last known price.

MARGIN: offline/broker/account_margin.py (margin_used, and the check of each opening order).

SETTLEMENT. Expiry, exercise, early assignment and dividend rules (settle_expiries,
check_early_assignment, apply_dividends): offline/broker/settlement.py. The broker books each
AssignmentEvent it yields: the holding leaves, its cash is booked and delivered shares are added,
marked at the settlement price. Faults: offline/broker/faults.py.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from config.constants import product_spec
from core.types import (
    AssignmentEvent,
    Contract,
    ContractKind,
    OrderEvent,
    OrderIntent,
    OrderStatus,
    Quote,
    contract_multiplier,
)
from offline.broker.account_margin import AccountMargin
from offline.broker.faults import FaultInjector
from offline.broker.fill_rules import EPSILON, BrokerSettings, fill_point, leg_prices, split_open_close
from offline.broker.order_checks import order_problem
from offline.broker.settlement import Dividends, dividend_cash, early_assignments, expiry_settlements

STATE_SCHEMA_VERSION = 3  # 3: order events carry leg prices

QuoteSource = Callable[[Contract, datetime], Quote | None]
UnderlyingSource = Callable[[str, datetime], float | None]


@dataclass
class _Order:
    order_id: str
    intent: OrderIntent
    limit_price: float
    filled: int = 0


class SimulatedBroker:
    """Tastytrade-like broker over modelled quotes; every rule is in the module docstring.

    quote_source(contract, now) -> Quote | None and underlying_source(root, now) -> float | None
    supply prices; order events go to on_event, removed holdings to on_assignment. Cash in USD
    (ValueError when not finite).
    """

    def __init__(self, cash: float, quote_source: QuoteSource, underlying_source: UnderlyingSource,
                 on_event: Callable[[OrderEvent], None], on_assignment: Callable[[AssignmentEvent], None],
                 settings: BrokerSettings | None = None) -> None:
        if not math.isfinite(cash):
            raise ValueError(f"cash must be finite, got {cash!r}")
        self.settings = settings or BrokerSettings()
        self._quote_source, self._underlying_source = quote_source, underlying_source
        self._on_assignment = on_assignment
        self._faults = FaultInjector(self.settings.faults, on_event)
        self._cash = float(cash)
        self._holdings: dict[str, tuple[Contract, int]] = {}
        self._marks: dict[str, float] = {}
        self._underlying_prices: dict[str, float] = {}
        self._orders: dict[str, _Order] = {}
        self._final: dict[str, OrderStatus] = {}
        self._next_id = 1
        self._now: datetime | None = None
        self._margin = AccountMargin()
        self._interest = 0.0

    # --- Broker port

    def submit(self, intent: OrderIntent) -> str:
        """Accept (SUBMITTED event) or reject (REJECTED event) an order; returns its id, e.g. "O000001".
        Raises TypeError when `intent` is not an OrderIntent (a programming error)."""
        if not isinstance(intent, OrderIntent):
            raise TypeError(f"submit needs an OrderIntent, got {intent!r}")
        order_id = self._new_order_id()
        self._advance(intent.created)
        problem = order_problem(intent, self._held) or self._margin_problem(intent)
        if problem is None and self._faults.chance(self.settings.faults.reject_probability):
            problem = "fault: random rejection"
        event = OrderEvent(order_id, intent.intent_id, OrderStatus.SUBMITTED, intent.created, message="accepted")
        if problem is not None:
            self._final[order_id] = OrderStatus.REJECTED
            self._faults.post(replace(event, status=OrderStatus.REJECTED, message=problem))
        else:
            self._orders[order_id] = _Order(order_id, intent, intent.limit_price)
            self._faults.acknowledge(event)
        return order_id

    def update_limit(self, order_id: str, limit_price: float) -> None:
        """Move a working order's limit (no event); a no-op once the order is final. Raises
        ValueError for an unknown order id or a limit that is zero or not finite."""
        if not (math.isfinite(limit_price) and limit_price != 0):
            raise ValueError(f"limit_price must be finite and non-zero, got {limit_price!r}")
        order = self._working(order_id)
        if order is not None:
            order.limit_price = float(limit_price)

    def cancel(self, order_id: str) -> None:
        """Cancel a working order (CANCELLED event at the broker's latest time); a no-op once final.
        Raises ValueError for an unknown order id."""
        order = self._working(order_id)
        if order is not None and self._now is not None:
            self._finish(order, OrderStatus.CANCELLED, self._now, "cancelled on request")

    def open_order_ids(self) -> list[str]:
        return sorted(self._orders)

    def holdings(self) -> dict[str, tuple[Contract, int]]:
        return dict(self._holdings)

    @property
    def cash(self) -> float:
        """Cash balance in USD."""
        return self._cash

    def net_liquidation(self) -> float:
        """Cash plus every holding at its last known mark (USD)."""
        return self._cash + sum(quantity * self._marks[key] * contract_multiplier(contract)
                                for key, (contract, quantity) in self._holdings.items())

    def margin_used(self) -> float:
        """Margin of the current holdings in USD (see MARGIN in the module docstring)."""
        if not self._holdings or not self._now:
            return 0.0
        return self._margin(self._holdings, self._underlying_prices, self._marks, self._now, self.settings.rate)

    def buying_power(self) -> float:
        """Net liquidation minus margin used (USD); negative in a margin deficit."""
        return self.net_liquidation() - self.margin_used()

    # --- Simulation steps called by the runner

    def flush_events(self) -> None:
        """Deliver the queued order events (see broker_faults: delivery)."""
        self._faults.flush()

    def process(self, now: datetime) -> None:
        """One simulated minute: refresh marks, apply random broker cancels, try to fill orders."""
        self.flush_events()
        self._advance(now)
        for root in sorted({contract.root for contract, _ in self._holdings.values()}):
            self._underlying(root, now)
        for key, (contract, _) in self._holdings.items():
            self._refresh_mark(key, contract, now)
        for order in self._working_orders():
            if self._faults.chance(self.settings.faults.cancel_probability):
                self._finish(order, OrderStatus.CANCELLED, now, "fault: cancelled by the broker")
        for order in [] if self.settings.faults.no_fill else self._working_orders():
            self._try_fill(order, now)
        self.flush_events()

    def settle_expiries(self, day: date, close_time: datetime) -> None:
        """End the session at `close_time`: every working order is a DAY order and expires (CANCELLED
        event), then the holdings expiring by `day` are settled. Raises ValueError (settling nothing)
        when an expiring holding's underlying has no price."""
        self._advance(close_time)
        for order in self._working_orders():
            self._finish(order, OrderStatus.CANCELLED, close_time, "day order expired at the close")
        self.flush_events()  # the cancels arrive before the assignment events
        for event in expiry_settlements(self._holdings, day, close_time, self._underlying,
                                        self.settings.exercise_threshold):
            self._book(event)

    def check_early_assignment(self, now: datetime, dividends: Dividends, rate: float) -> None:
        """Assign short American equity options by the rules in offline/broker/settlement.py.
        `dividends`: root -> [(ex_date, USD per share)]; `rate`: the day's risk-free rate
        (continuous annual fraction); ValueError for a bad amount or rate. Unpriced underlyings are
        skipped."""
        self.flush_events()
        self._advance(now)
        fault_probability = self.settings.faults.early_assignment_probability
        for event in early_assignments(self._holdings, now, dividends, rate, self._underlying, self._refresh_mark,
                                       self.settings.exercise_threshold, self.settings.early_assignment_max_dte,
                                       self.settings.early_assignment_max_extrinsic,
                                       lambda: self._faults.chance(fault_probability)):
            self._book(event)

    def apply_dividends(self, day: date, dividends: Dividends) -> float:
        """Credit long and debit short shares with the dividends going ex on `day`; returns the USD
        booked. Call once, before that day's assignments (shares held into the ex-date earn it).
        Raises ValueError for a negative or non-finite dividend."""
        total = dividend_cash(self._holdings, day, dividends)
        self._cash += total
        return total

    def credit_interest(self, amount: float) -> None:
        """Credit the T-bill interest of the cash sweep (USD, >= 0; risk/cash_sweep.py)."""
        if not (math.isfinite(amount) and amount >= 0.0):
            raise ValueError(f"interest must be finite and >= 0, got {amount!r}")
        self._cash += amount
        self._interest += amount

    @property
    def interest_earned(self) -> float:
        """Total cash-sweep interest credited (USD)."""
        return self._interest

    def force_margin_call(self, now: datetime) -> list[str]:
        """Force a margin call: cancel working orders, close every holding at its natural price (last
        mark when unquoted), one FILLED event each with intent_id "margin_call", the key in the
        message, fill_price signed like a limit (+ buy to close). Returns the new order ids."""
        self.flush_events()
        self._advance(now)
        for order in self._working_orders():
            self._finish(order, OrderStatus.CANCELLED, now, "margin call: working orders cancelled")
        order_ids = []
        for key, (contract, quantity) in sorted(self._holdings.items()):
            quote = self._quote(contract, now)
            unit = self._marks[key] if quote is None else (quote.ask if quantity < 0 else quote.bid)
            price = unit if quantity < 0 else -unit
            fees = self._trade(contract, -quantity)
            self._cash -= price * abs(quantity) * contract_multiplier(contract) + fees
            order_ids.append(self._new_order_id())
            self._final[order_ids[-1]] = OrderStatus.FILLED
            self._faults.post(OrderEvent(order_ids[-1], "margin_call", OrderStatus.FILLED, now, abs(quantity),
                                         price, fees, f"margin call liquidation of {key}", (unit,)))
        self.flush_events()
        return order_ids

    # --- State

    def to_dict(self) -> dict[str, Any]:
        """Everything needed to resume exactly (JSON-ready); settings and callbacks are not included."""
        return {"schema_version": STATE_SCHEMA_VERSION, "cash": self._cash, "interest": self._interest,
                "next_id": self._next_id,
                "now": self._now.isoformat() if self._now else None,
                "holdings": [{"contract": c.to_dict(), "quantity": q} for c, q in self._holdings.values()],
                "marks": dict(self._marks), "underlying_prices": dict(self._underlying_prices),
                "orders": [{"order_id": o.order_id, "intent": o.intent.to_dict(), "limit_price": o.limit_price,
                            "filled": o.filled} for o in self._working_orders()],
                "final": {i: s.value for i, s in self._final.items()}, "faults": self._faults.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any], quote_source: QuoteSource, underlying_source: UnderlyingSource,
                  on_event: Callable[[OrderEvent], None], on_assignment: Callable[[AssignmentEvent], None],
                  settings: BrokerSettings | None = None) -> SimulatedBroker:
        """Rebuild a broker saved by `to_dict` (pass the same settings for an exact resume).
        Raises ValueError for another schema version."""
        if data.get("schema_version") != STATE_SCHEMA_VERSION:
            raise ValueError(f"broker state schema_version must be {STATE_SCHEMA_VERSION}: {data.get('schema_version')!r}")
        broker = cls(float(data["cash"]), quote_source, underlying_source, on_event, on_assignment, settings)
        broker._interest = float(data["interest"])
        broker._next_id = int(data["next_id"])
        broker._now = datetime.fromisoformat(data["now"]) if data["now"] else None
        for item in data["holdings"]:
            broker._change_holding(Contract.from_dict(item["contract"]), int(item["quantity"]))
        broker._marks = {key: float(value) for key, value in data["marks"].items()}
        broker._underlying_prices = {root: float(value) for root, value in data["underlying_prices"].items()}
        broker._orders = {o["order_id"]: _Order(o["order_id"], OrderIntent.from_dict(o["intent"]),
                                                float(o["limit_price"]), int(o["filled"])) for o in data["orders"]}
        broker._final = {order_id: OrderStatus(status) for order_id, status in data["final"].items()}
        broker._faults.restore(data["faults"])
        return broker

    # --- Internals

    def _new_order_id(self) -> str:
        self._next_id += 1
        return f"O{self._next_id - 1:06d}"

    def _advance(self, now: datetime) -> None:
        if self._now is None or now > self._now:
            self._now = now

    def _working_orders(self) -> list[_Order]:
        return [self._orders[order_id] for order_id in sorted(self._orders)]

    def _working(self, order_id: str) -> _Order | None:
        if order_id not in self._orders and order_id not in self._final:
            raise ValueError(f"unknown order id {order_id!r}")
        return self._orders.get(order_id)

    def _finish(self, order: _Order, status: OrderStatus, now: datetime, message: str) -> None:
        del self._orders[order.order_id]
        self._final[order.order_id] = status
        self._faults.post(OrderEvent(order.order_id, order.intent.intent_id, status, now, message=message))

    def _underlying(self, root: str, now: datetime) -> float | None:
        """The price now (remembered for marks and margin) or None."""
        price = self._underlying_source(root, now)
        if price is None or not (math.isfinite(price) and price > 0):
            return None
        self._underlying_prices[root] = float(price)
        return float(price)

    def _quote(self, contract: Contract, now: datetime) -> Quote | None:
        """A valid quote now or None; shares quote at the underlying price."""
        if contract.kind == ContractKind.EQUITY:
            price = self._underlying(contract.root, now)
            return None if price is None else Quote(price, price)
        quote = self._quote_source(contract, now)
        return quote if quote is not None and quote.valid else None

    def _refresh_mark(self, key: str, contract: Contract, now: datetime) -> float:
        """Mark a holding at its mid when quoted; returns the (last known) mark."""
        quote = self._quote(contract, now)
        if quote is not None:
            self._marks[key] = quote.mid
        return self._marks[key]

    def _held(self, contract: Contract) -> int:
        return self._holdings.get(contract.key, (contract, 0))[1]

    def _margin_problem(self, intent: OrderIntent) -> str | None:
        changes = [(leg.contract, leg.ratio * intent.quantity) for leg in intent.legs]
        if not any(split_open_close(self._held(c), change)[0] > 0 for c, change in changes):
            return None
        marks, after = {}, dict(self._holdings)
        for contract, change in changes:
            quote = self._quote(contract, intent.created)
            if quote is None or self._underlying(contract.root, intent.created) is None:
                return f"no quote for {contract.key}: the buying power effect is unknown"
            marks[contract.key] = quote.mid
            after[contract.key] = (contract, self._held(contract) + change)
        after = {key: value for key, value in after.items() if value[1] != 0}
        before = self._margin(self._holdings, self._underlying_prices, self._marks, intent.created, self.settings.rate)
        needed = self._margin(after, self._underlying_prices, {**self._marks, **marks}, intent.created,
                                self.settings.rate) - before
        available = self.net_liquidation() - before
        if needed > available + EPSILON:
            return f"margin call avoidance: order needs {needed:.2f} USD, buying power {available:.2f} USD"
        return None

    def _try_fill(self, order: _Order, now: datetime) -> None:
        legs, intent = order.intent.legs, order.intent
        quotes = [self._quote(leg.contract, now) for leg in legs]
        valid = [quote for quote in quotes if quote is not None]
        if len(valid) < len(legs):
            return
        point, natural = fill_point(legs, valid, self.settings.fill_fraction)
        point += self.settings.faults.worse_fill_ticks * product_spec(legs[0].contract.root).tick_size
        if order.limit_price < point - EPSILON:
            return
        price = min(order.limit_price, natural)
        remaining = intent.quantity - order.filled
        units = remaining // 2 if self.settings.faults.partial_fill and order.filled == 0 else remaining
        units = units or remaining
        fees = sum(self._trade(leg.contract, leg.ratio * units, quote.mid) for leg, quote in zip(legs, valid))
        self._cash -= price * units * contract_multiplier(legs[0].contract) + fees
        order.filled += units
        status = OrderStatus.FILLED if order.filled == intent.quantity else OrderStatus.PARTIALLY_FILLED
        if status == OrderStatus.FILLED:
            del self._orders[order.order_id]
            self._final[order.order_id] = status
        self._faults.post(OrderEvent(order.order_id, intent.intent_id, status, now, units, price, fees,
                                     f"filled {units} at {price:g}", leg_prices(legs, valid, price)))

    def _trade(self, contract: Contract, change: int, mark: float | None = None) -> float:
        """Change a holding by a traded quantity; returns the fee (USD)."""
        fee = self.settings.fees.fee(contract, *split_open_close(self._held(contract), change))
        self._change_holding(contract, change, mark)
        return fee

    def _change_holding(self, contract: Contract, change: int, mark: float | None = None) -> None:
        quantity = self._held(contract) + change
        if quantity == 0:
            self._holdings.pop(contract.key, None)
            self._marks.pop(contract.key, None)
            return
        self._holdings[contract.key] = (contract, quantity)
        if mark is not None:
            self._marks[contract.key] = mark

    def _book(self, event: AssignmentEvent) -> None:
        """Book a settlement: the holding leaves, cash is booked, shares are added at the settlement price."""
        self._change_holding(event.contract, -event.quantity)
        self._cash += event.cash
        if event.underlying_quantity:
            self._change_holding(Contract(event.contract.root, ContractKind.EQUITY), event.underlying_quantity,
                                 event.underlying_price)
        self._on_assignment(event)
