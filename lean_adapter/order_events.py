"""LEAN order events -> core OrderEvents, one order per combo.

LEAN reports a combo order leg by leg: each leg is an order of its own, with its own id, signed
fill quantity in contracts and fill price per contract. The core thinks in units of the whole
structure. `ComboTracker` adds the legs up: a unit is filled when every leg has filled its ratio
for it, and the unit's net price is the sum over legs of ratio x average fill price (positive
for a debit, negative for a credit, like the limit). The combo is final when every leg is final.

LEAN can report an event while the order call is still running (a synchronous rejection, the
submission itself), before the adapter has the tickets: while `sending` lists the symbols of the
legs being sent, events of unknown orders on those symbols are kept and replayed when the order
is registered. An unknown order on any other symbol (an exercise or assignment) is never claimed. `EventRelay`
delays delivery to the core while the core itself is running (a fill must not be booked before
the core has recorded the order it belongs to).
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from AlgorithmImports import OrderEvent as LeanOrderEvent
from AlgorithmImports import OrderStatus as LeanOrderStatus
from AlgorithmImports import OrderTicket, Symbol

from config.constants import product_spec
from core.types import CALL, AssignmentEvent, ContractKind, OrderEvent, OrderIntent, OrderStatus
from lean_adapter.symbols import contract_from_symbol

FINAL_LEAN_STATUSES = (LeanOrderStatus.FILLED, LeanOrderStatus.CANCELED, LeanOrderStatus.INVALID)


def refused_ticket(ticket: OrderTicket) -> bool:
    """True for a ticket of an order LEAN's pre-order checks refused: no order exists, so the
    ticket keeps its request's order id -10 (LEAN numbers orders from 1; Lean
    Common/Orders/OrderTicket.cs:648-652, Algorithm/QCAlgorithm.Trading.cs:980-984,1016-1024)."""
    return int(ticket.order_id) < 1


@dataclass
class LegFills:
    """Fills of one leg: signed contracts per unit, contracts filled (signed) and their cost."""

    ratio: int
    filled: int = 0
    cost: float = 0.0  # sum of fill quantity x fill price (price units x contracts)
    final: bool = False
    invalid: bool = False
    reported_filled: int = 0  # `filled` and `cost` when the core was last told of a fill
    reported_cost: float = 0.0

    def average_price(self) -> float:
        return self.cost / self.filled if self.filled else 0.0


def new_leg_prices(legs: Sequence[LegFills], units: int) -> tuple[float, ...]:
    """Each leg's average price per contract over the fills since the last report, when every leg
    filled exactly its ratio for the `units` new units (LEAN fills a combo's legs together:
    BacktestingBrokerage, Tastytrade complex orders); empty otherwise (the trade log then shows the
    legs unpriced rather than a guess). Marks the fills as reported."""
    prices = []
    for leg in legs:
        contracts = leg.filled - leg.reported_filled
        prices.append(abs((leg.cost - leg.reported_cost) / contracts) if contracts == leg.ratio * units else None)
        leg.reported_filled, leg.reported_cost = leg.filled, leg.cost
    return () if None in prices else tuple(p for p in prices if p is not None)


@dataclass
class TrackedOrder:
    """One core order at LEAN: its tickets (one per leg) and the fills so far."""

    order_id: str
    intent: OrderIntent
    tickets: list[OrderTicket]
    legs: dict[int, LegFills]
    units_reported: int = 0
    net_reported: float = 0.0  # net price x units already reported to the core
    fees_pending: float = 0.0
    finished: bool = False

    def units_filled(self) -> int:
        return min(abs(leg.filled) // abs(leg.ratio) for leg in self.legs.values())


@dataclass
class ComboTracker:
    """Tracks the core's orders at LEAN and translates LEAN's per-leg events."""

    orders: dict[str, TrackedOrder] = field(default_factory=dict)
    by_leg: dict[int, TrackedOrder] = field(default_factory=dict)
    sending: list[Symbol] = field(default_factory=list)  # symbols of the order call running now
    orphans: list[LeanOrderEvent] = field(default_factory=list)

    def register(self, intent: OrderIntent, tickets: Sequence[OrderTicket], ratios: Sequence[int],
                 now: datetime) -> tuple[str, list[OrderEvent]]:
        """Track a newly sent order (tickets in leg order, ratios in signed contracts per unit);
        returns its core order id and the core events of any leg events that arrived early.

        Raises:
            ValueError: the number of tickets differs from the number of ratios.
        """
        if len(tickets) != len(ratios) or not tickets:
            raise ValueError(f"order {intent.intent_id}: {len(tickets)} tickets for {len(ratios)} legs")
        order_id = str(tickets[0].order_id)
        legs = {int(t.order_id): LegFills(int(r)) for t, r in zip(tickets, ratios, strict=True)}
        tracked = TrackedOrder(order_id, intent, list(tickets), legs)
        self.orders[order_id] = tracked
        for lean_id in legs:
            self.by_leg[lean_id] = tracked
        early, self.orphans = [e for e in self.orphans if int(e.order_id) in legs], []
        events: list[OrderEvent] = []
        for event in early:
            events.extend(self.translate(event, now))
        return order_id, events

    def translate(self, event: LeanOrderEvent, now: datetime) -> list[OrderEvent]:
        """The core events (none, one or two) that one LEAN leg event completes."""
        tracked = self.by_leg.get(int(event.order_id))
        if tracked is None:
            if self._being_sent(event.symbol):
                self.orphans.append(event)
            return []
        if tracked.finished:
            return []
        leg = tracked.legs[int(event.order_id)]
        quantity = int(event.fill_quantity)
        if quantity:
            leg.filled += quantity
            leg.cost += quantity * float(event.fill_price)
        tracked.fees_pending += abs(float(event.order_fee.value.amount)) if event.order_fee is not None else 0.0
        if event.status in FINAL_LEAN_STATUSES:
            leg.final = True
            leg.invalid = event.status == LeanOrderStatus.INVALID
        return self._core_events(tracked, now, str(event.message or ""))

    def _core_events(self, tracked: TrackedOrder, now: datetime, message: str) -> list[OrderEvent]:
        events = []
        units = tracked.units_filled()
        quantity = tracked.intent.quantity
        if units > tracked.units_reported:
            net_total = sum(leg.ratio * leg.average_price() for leg in tracked.legs.values()) * units
            new_units = units - tracked.units_reported
            price = (net_total - tracked.net_reported) / new_units
            status = OrderStatus.FILLED if units >= quantity else OrderStatus.PARTIALLY_FILLED
            events.append(OrderEvent(tracked.order_id, tracked.intent.intent_id, status, now, new_units,
                                     round(price, 10), tracked.fees_pending, message,
                                     new_leg_prices(list(tracked.legs.values()), new_units)))
            tracked.units_reported, tracked.net_reported, tracked.fees_pending = units, net_total, 0.0
            tracked.finished = units >= quantity
        if not tracked.finished and all(leg.final for leg in tracked.legs.values()):
            rejected = any(leg.invalid for leg in tracked.legs.values())
            status = OrderStatus.REJECTED if rejected else OrderStatus.CANCELLED
            events.append(OrderEvent(tracked.order_id, tracked.intent.intent_id, status, now, 0, 0.0,
                                     tracked.fees_pending, message))
            tracked.fees_pending = 0.0
            tracked.finished = True
        if tracked.finished:
            self._forget(tracked)
        return events

    def _forget(self, tracked: TrackedOrder) -> None:
        self.orders.pop(tracked.order_id, None)
        for lean_id in tracked.legs:
            self.by_leg.pop(lean_id, None)

    def open_order_ids(self) -> list[str]:
        return list(self.orders)

    def owns(self, lean_order_id: int, symbol: Symbol) -> bool:
        """True for a leg of a tracked order, and for an unknown order on a symbol of the order
        call running now (its events may arrive before its tickets)."""
        return int(lean_order_id) in self.by_leg or self._being_sent(symbol)

    def _being_sent(self, symbol: Symbol) -> bool:
        return any(symbol == sent for sent in self.sending)


def stale_order_events(working: Mapping[str, str], tracker: ComboTracker, now: datetime) -> list[OrderEvent]:
    """CANCELLED events for the core's restored working orders (order id -> intent id) that this
    run never sent: at a live restart the adapter cancels every order an earlier run left at the
    broker, and the core must hear that they are gone. A fill they got before the restart shows
    up in the reconciliation instead."""
    return [OrderEvent(order_id, intent_id, OrderStatus.CANCELLED, now, message="sent by an earlier run; "
                       "cancelled at restart") for order_id, intent_id in working.items() if order_id not in tracker.orders]


def assignment_from_event(event: LeanOrderEvent, underlying_price: float | None,
                          now: datetime) -> AssignmentEvent | None:
    """The core's AssignmentEvent for an option fill LEAN made by itself (exercise, assignment,
    expiry); None for any other event. Physical delivery (equity options) moves 100 shares per
    contract at the strike; cash-settled products (index options) book the intrinsic value at
    `underlying_price` (price units; None when unknown: intrinsic 0). Futures options are
    physically delivered in LEAN (one future per contract, at the strike); the core books them like
    the cash-settled products, at the delivered future's price, and lean_adapter/delivery.py
    closes the future at once."""
    contract = contract_from_symbol(event.symbol)
    quantity = int(event.fill_quantity)
    if contract is None or contract.kind != ContractKind.OPTION or quantity == 0:
        return None
    assert contract.strike is not None and contract.expiry is not None
    left = -quantity  # the holding that left: -1 when one short contract was assigned
    spec = product_spec(contract.root)
    call = contract.right == CALL
    spot = underlying_price if underlying_price is not None else contract.strike
    intrinsic = max(spot - contract.strike, 0.0) if call else max(contract.strike - spot, 0.0)
    in_the_money = bool(event.is_in_the_money) or bool(event.is_assignment) or intrinsic > 0
    shares, cash = 0, 0.0
    if in_the_money and spec.settlement == "physical":
        shares = int(left * spec.option_multiplier) * (1 if call else -1)
        cash = -shares * contract.strike
        reason = "early_assignment" if now.date() < contract.expiry else "expiry_exercise"
    elif in_the_money:
        cash = left * intrinsic * spec.option_multiplier
        reason = "cash_settlement"
    else:
        reason = "expired_worthless"
    return AssignmentEvent(now, contract, left, shares, cash, spot, reason)


class EventRelay:
    """Delivers core order events to `deliver`, in order, never while the core is running.

    Wrap every call into the core in `with relay.holding():`; events pushed meanwhile wait and are
    delivered when the outermost hold ends. Delivery itself holds, so events caused by a delivery
    (a new order after a fill) queue behind it instead of nesting.
    """

    def __init__(self, deliver: Callable[[OrderEvent], None]) -> None:
        self._deliver = deliver
        self._queue: deque[OrderEvent] = deque()
        self._depth = 0

    def push(self, events: Sequence[OrderEvent]) -> None:
        self._queue.extend(events)
        if self._depth == 0:
            self._flush()

    @contextmanager
    def holding(self) -> Iterator[None]:
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
        if self._depth == 0:
            self._flush()

    def _flush(self) -> None:
        self._depth += 1
        try:
            while self._queue:
                self._deliver(self._queue.popleft())
        finally:
            self._depth -= 1

    def __len__(self) -> int:
        return len(self._queue)
