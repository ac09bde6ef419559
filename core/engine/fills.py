"""The broker's reports: fills into positions (a repeated report is recognised and ignored), final
order states into the strategy state machines, exercises, assignments and expiries, and the
reconciliation of the books with the broker's holdings."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from core.engine.desk import Desk
from core.engine.management import Management
from core.engine.order_manager import WorkingOrder
from core.engine.session_close import note_expired_close
from core.strategy_lifecycle import StrategyEvent, StrategyState
from core.types import Contract, OrderEvent, OrderStatus, Position

FILLS_REMEMBERED = 500  # orders whose fills are remembered, so that a repeated report is recognised


class Fills:
    """Books the broker's reports into the state; a fill triggers management of its position."""

    def __init__(self, desk: Desk, management: Management) -> None:
        self.desk = desk
        self.management = management

    def on_order_event(self, event: OrderEvent) -> None:
        """Book a broker report: fills into positions, final states into the state machine."""
        state, journal = self.desk.state, self.desk.journal
        order = state.orders.get(event.order_id)
        if order is None and event.fill_quantity > 0 and event.order_id not in state.fill_events:
            journal.record(event.time, "error", f"fill of {event.fill_quantity} on {event.order_id}, an order "
                           f"this system did not send ({event.message}): reconciling with the broker")
            state.fill_events[event.order_id] = [_fill_fingerprint(event)]
            self.reconcile(event.time)
            return
        if order is None:
            journal.record(event.time, "info", f"event for an unknown or finished order {event.order_id} "
                           "ignored", status=event.status.value)
            return
        if event.fill_quantity > 0 and not self._book_fill(order, event):
            return
        if event.status in (OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED):
            del state.orders[event.order_id]
            for finished in list(state.fill_events)[:-FILLS_REMEMBERED]:
                del state.fill_events[finished]
            self._order_finished(order, event)
        elif event.status == OrderStatus.PARTIALLY_FILLED:
            state.apply(order.intent.strategy, StrategyEvent.PARTIALLY_FILLED, event.time, order.intent.reason)
        state.save()

    def _book_fill(self, order: WorkingOrder, event: OrderEvent) -> bool:
        """Book a fill of `order` into its position; False when the report is a repeat or goes beyond
        the order's size (journaled, nothing booked)."""
        state, intent = self.desk.state, order.intent
        fingerprint = _fill_fingerprint(event)
        if fingerprint in state.fill_events.get(event.order_id, []):
            self.desk.journal.record(event.time, "info", f"duplicate fill event on {event.order_id} ignored",
                                     strategy=intent.strategy, status=event.status.value, units=event.fill_quantity)
            return False
        if order.filled_units + event.fill_quantity > intent.quantity:
            self.desk.journal.record(event.time, "error", f"fill beyond the order size ignored on {event.order_id}",
                                     strategy=intent.strategy)
            return False
        order.filled_units += event.fill_quantity
        state.fill_events.setdefault(event.order_id, []).append(fingerprint)
        state.book.book_fill(intent, event)
        return True

    def _order_finished(self, order: WorkingOrder, event: OrderEvent) -> None:
        state = self.desk.state
        intent, key, now = order.intent, order.intent.strategy, event.time
        if event.status == OrderStatus.REJECTED:
            self.desk.journal.record(now, "error", f"order rejected: {event.message}", strategy=key,
                                     order_id=order.order_id)
        note_expired_close(self.desk, order, event)
        closed = state.book.finish_order(intent, order.filled_units, now, self.trade_closed, event.status)
        if order.filled_units > 0:
            outcome = StrategyEvent.FILLED
        else:
            outcome = StrategyEvent.REJECTED if event.status == OrderStatus.REJECTED else StrategyEvent.CANCELLED
        state.apply(key, outcome, now, intent.reason)
        if order.order_id in state.timed_out_entries:
            state.timed_out_entries.discard(order.order_id)
            if order.filled_units == 0 and event.status == OrderStatus.CANCELLED:
                self._retry_entry(key, now)
        if closed and not state.book.has_open(key):
            state.apply(key, StrategyEvent.POSITIONS_CLOSED, now, intent.reason)
        if intent.position_id and order.filled_units > 0:
            self.management.manage_on_fill(intent.position_id, now)

    def _retry_entry(self, key: str, now: datetime) -> None:
        """An entry order timed out unfilled: let the strategy ask again in the same entry window (a new
        proposal, priced from fresh quotes), at most `order_entry_retries` times a day."""
        retries = self.desk.config.order.entry_retries
        attempt = self.desk.state.strategies[key].reopen_entry(now.date().isoformat(), retries)
        if attempt:
            self.desk.journal.record(now, "info", f"entry order timed out unfilled: retry {attempt} of {retries} "
                                     "in the window, re-priced from fresh quotes", strategy=key)
        else:
            self.desk.journal.record(now, "info", f"entry order timed out unfilled: no retry left ({retries} a "
                                     "day)", strategy=key)

    def trade_closed(self, position: Position, pnl: float) -> None:
        """A position closed: its result goes into the strategy's Kelly statistics and the breakers."""
        state = self.desk.state
        unit = float(position.notes.get("credit_unit", 0.0)) or abs(position.entry_cash) or 1.0
        state.statistics[position.strategy].record(pnl, unit)
        state.breakers.on_position_closed(pnl)

    def on_assignment(self, event: Any) -> None:
        """Exercise, assignment, cash settlement or worthless expiry of a holding (broker-driven)."""
        state = self.desk.state
        state.book.on_assignment(event, self.trade_closed)
        for key in state.machines:
            if not state.book.has_open(key) and state.machines[key].state == StrategyState.MANAGING:
                state.apply(key, StrategyEvent.POSITIONS_CLOSED, event.time, event.reason)
        state.save()

    def reconcile(self, now: datetime) -> None:
        """Compare the books with the broker's holdings, journal every difference and take out of the
        books what the broker no longer holds (PositionBook.release_missing, at the current mid),
        except contracts of a working order, whose fill may still be on its way."""
        state = self.desk.state
        holdings = self.desk.broker.holdings()
        differences = state.book.reconcile(holdings, now)
        working = {leg.contract.key for order in state.orders.values() for leg in order.intent.legs}
        if differences and state.book.release_missing(holdings, now, self._mid, self.trade_closed, working):
            for key in state.machines:
                if not state.book.has_open(key) and not state.has_working_order(key):
                    state.apply(key, StrategyEvent.POSITIONS_CLOSED, now, "reconciled with the broker")
            state.save()

    def _mid(self, contract: Contract) -> float | None:
        quote = self.desk.valid_quote(contract)
        return quote.mid if quote is not None else None


def _fill_fingerprint(event: OrderEvent) -> str:
    """What makes a fill report unique: a repeated report of the same fill has the same fingerprint."""
    return (f"{event.status.value}|{event.time.isoformat()}|{event.fill_quantity}|{event.fill_price!r}|"
            f"{event.fees!r}|{event.message}")
