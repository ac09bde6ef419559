"""The position book: every position's lifecycle from pending entry to the closed-trade row.

pending_entry -> open -> closed. Fills change holdings and cash; a position whose holdings are all
gone is closed and produces one trade row (reporting.trade_log). Assignments and expiries arrive
from the broker; shares received by assignment become a position of the strategy that takes them
(the IPMCC: covered calls are written against 100+ shares however they arrived).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from config.constants import Regime
from core.account import OpenPositionSummary
from core.document_text import ReadOnlyDocument
from core.exit_reasons import ExitReason
from core.leg_ledger import leg_fills, record_fill, record_trade
from core.ports import Store
from core.position import Position, PositionTerms
from core.position_lifecycle import POSITION_TRANSITIONS, PositionEvent, PositionState, position_machine
from core.state_machine import IllegalTransition, StateMachine
from core.types import (
    AssignmentEvent,
    Contract,
    ContractKind,
    Leg,
    OrderEvent,
    OrderIntent,
    OrderStatus,
    Purpose,
    contract_multiplier,
)
from helpers.exchange_calendar import EASTERN
from reporting.journal import Journal
from reporting.trade_log import LegFill, trade_row

ClosedCallback = Callable[[Position, float], None]
Lifecycle = StateMachine[PositionState, PositionEvent]
LIVE_STATES = ("open", "adjusting", "pending_exit")  # Position.state mirrors the lifecycle, lower case
ENTRY_OUTCOMES = {OrderStatus.FILLED: PositionEvent.FILLED, OrderStatus.CANCELLED: PositionEvent.CANCELLED,
                  OrderStatus.REJECTED: PositionEvent.REJECTED}


class PositionBook:
    """Positions by id, with the trade rows of those that closed."""

    def __init__(self, journal: Journal, store: Store, key_prefix: str, shares_strategy: str) -> None:
        self.journal = journal
        self.shares_strategy = shares_strategy  # the strategy key that holds shares delivered by assignment
        self.store = store
        self.key_prefix = key_prefix
        self.positions: dict[str, Position] = {}
        self.trades: list[ReadOnlyDocument] = []  # a row never changes: the saved document keeps its text
        self.lifecycles: dict[str, Lifecycle] = {}
        self._counter = 0

    # --- queries ---------------------------------------------------------------------------

    def get(self, position_id: str) -> Position | None:
        return self.positions.get(position_id)

    def all_open(self) -> list[Position]:
        return [p for p in self.positions.values() if p.state in LIVE_STATES and p.holdings]

    def open_positions(self, strategy: str) -> list[Position]:
        return [p for p in self.all_open() if p.strategy == strategy]

    def has_open(self, strategy: str) -> bool:
        return any(p.strategy == strategy for p in self.all_open())

    def open_count(self) -> int:
        return sum(1 for p in self.positions.values() if p.state != "closed")

    def summaries(self, working: Iterable[Any]) -> tuple[OpenPositionSummary, ...]:
        """Risk-gate view of every open or pending position, including what working orders add."""
        pending: dict[str, list[OrderIntent]] = {}
        for order in working:
            if order.intent.position_id:
                pending.setdefault(order.intent.position_id, []).append(order.intent)
        result = []
        for position in self.positions.values():
            if position.state == "closed":
                continue
            intents = pending.get(position.position_id, [])
            legs = [leg for intent in intents if intent.purpose == Purpose.OPEN for leg in intent.legs]
            roots = position.roots() | {leg.contract.root for leg in legs}
            expiries = position.expiries() | {leg.contract.expiry for leg in legs if leg.contract.expiry}
            units = max([position.terms.units] + [i.quantity for i in intents])
            result.append(OpenPositionSummary(position.position_id, position.strategy, frozenset(roots),
                                              frozenset(expiries), units, position.terms.margin))
        return tuple(result)

    # --- lifecycle -------------------------------------------------------------------------

    def step(self, position: Position, event: PositionEvent, now: datetime, reason: str = "") -> None:
        """Move a position's lifecycle (core/position_lifecycle.py) and mirror it in Position.state.

        A pair outside the table is journaled as an error (never passed silently) and changes
        nothing; the books themselves (holdings, cash) are not touched here."""
        machine = self.lifecycles.get(position.position_id)
        if machine is None:
            machine = self.lifecycles[position.position_id] = _machine_for(position, now)
        try:
            machine.apply(event, now, reason, has_positions=bool(position.holdings))
        except IllegalTransition as error:
            self.journal.record(now, "error", f"position lifecycle: {error}", strategy=position.strategy,
                                position_id=position.position_id)
            return
        position.state = machine.state.value.lower()

    def open_pending(self, position_id: str, intent: OrderIntent, now: datetime, regime: Regime | None, phase: int,
                     proposal: Any) -> Position:
        """A new position waiting for its entry fill."""
        credit_unit = float(getattr(proposal, "credit_unit", 0.0) or 0.0) * intent.quantity
        position = Position(position_id=position_id, strategy=intent.strategy, opened=now, holdings={},
                            entry_cash=0.0, max_loss=intent.max_loss_per_unit * intent.quantity,
                            regime=regime.value if regime else "UNKNOWN", phase=phase, state="pending_entry",
                            terms=PositionTerms(units=intent.quantity, margin=intent.margin_per_unit * intent.quantity,
                                                credit_unit=credit_unit, entry_reason=intent.reason,
                                                opening_legs=intent.legs))
        self.positions[position_id] = position
        self.lifecycles[position_id] = position_machine(now, position_id)
        return position

    def book_fill(self, intent: OrderIntent, event: OrderEvent) -> None:
        """Apply a fill of `intent` to its position (cash = -price x units x multiplier)."""
        position = self.positions.get(intent.position_id or "")
        if position is None:
            self.journal.record(event.time, "error", f"fill for unknown position {intent.position_id}",
                                strategy=intent.strategy)
            return
        cash = -event.fill_price * event.fill_quantity * contract_multiplier(intent.legs[0].contract)
        marks = intent.leg_marks if intent.purpose == Purpose.OPEN else ()
        position.apply_fill(intent.legs, event.fill_quantity, cash, event.fees, marks)
        record_fill(position, intent.legs, event)
        terms = position.terms
        if intent.purpose == Purpose.OPEN and position.state == "pending_entry":
            position.entry_cash += cash
            terms.entry_price = event.fill_price
            terms.units = terms.filled_units = terms.filled_units + event.fill_quantity
        if intent.purpose == Purpose.CLOSE:
            terms.exit_price = event.fill_price
        position.history.append({"time": event.time.isoformat(), "action": intent.purpose.value,
                                 "units": event.fill_quantity, "price": event.fill_price, "reason": intent.reason})
        self.journal.record(event.time, "fill", f"{intent.purpose.value} fill: {intent.reason}",
                            strategy=intent.strategy, position_id=position.position_id, units=event.fill_quantity,
                            price=event.fill_price, fees=event.fees)

    def finish_order(self, intent: OrderIntent, filled_units: int, now: datetime, on_closed: ClosedCallback,
                     status: OrderStatus = OrderStatus.FILLED) -> bool:
        """An order reached its final `status`; returns True when it closed its position."""
        position = self.positions.get(intent.position_id or "")
        if position is None:
            return False
        event = ENTRY_OUTCOMES.get(status, PositionEvent.CANCELLED)
        if position.state == "pending_entry":
            self.step(position, event, now, intent.reason)
            if filled_units > 0:
                self.journal.record(now, "entry", position.terms.entry_reason, strategy=position.strategy,
                                    position_id=position.position_id, units=filled_units,
                                    entry_cash=round(position.entry_cash, 2))
            else:
                del self.positions[position.position_id]
                self.lifecycles.pop(position.position_id, None)
            return False
        self.step(position, event, now, intent.reason)
        if not position.holdings:
            self.close(position, now, ExitReason(intent.reason), on_closed)
            return True
        if intent.purpose == Purpose.CLOSE and filled_units > 0:
            self.journal.record(now, "adjustment", f"part closed: {intent.reason}", strategy=position.strategy,
                                position_id=position.position_id)
        return False

    def close(self, position: Position, now: datetime, reason: ExitReason, on_closed: ClosedCallback) -> None:
        """Close a position with no holdings left: trade row, statistics callback, journal, store."""
        position.state = "closed"
        position.closed = now
        position.exit_reason = reason
        pnl = position.realized_cash - position.fees
        on_closed(position, pnl)
        fills = leg_fills(position)  # every contract held, priced; else the opening legs (an adopted position)
        legs: Sequence[Leg] | Sequence[LegFill] = fills or list(position.terms.opening_legs)
        self.trades.append(ReadOnlyDocument(trade_row(
            strategy=position.strategy, position_id=position.position_id, legs=legs or _legs_of(position),
            quantity=position.terms.units or 1, entry_time=position.opened, exit_time=now,
            entry_price=position.terms.entry_price, exit_price=position.terms.exit_price,
            gross_pnl=position.realized_cash,
            fees=position.fees, regime=position.regime, phase=position.phase, exit_reason=reason)))
        self.journal.record(now, "exit", reason, strategy=position.strategy, position_id=position.position_id,
                            pnl=round(pnl, 2))
        self.store.save(f"{self.key_prefix}/position/{position.position_id}", position.to_dict())
        del self.positions[position.position_id]
        self.lifecycles.pop(position.position_id, None)

    # --- broker-driven changes -------------------------------------------------------------

    def on_assignment(self, event: AssignmentEvent, on_closed: ClosedCallback) -> None:
        """Remove an exercised, assigned, settled or expired holding from the position holding it.

        The option position is credited with the cash the broker booked plus, for physical
        delivery, the shares valued at the settlement price; the shares start a new position for
        the covered-call strategy at that value, so each position's P&L is its own.
        """
        owner = next((p for p in self.positions.values() if event.contract.key in p.holdings), None)
        if owner is None:
            self.journal.record(event.time, "error", f"{event.reason} of {event.contract.key} held by no position")
            return
        contract, held = owner.holdings[event.contract.key]
        remaining = held - event.quantity
        owner.holdings = {k: v for k, v in owner.holdings.items() if k != event.contract.key}
        if remaining:
            owner.holdings[event.contract.key] = (contract, remaining)
        shares_value = event.underlying_quantity * event.underlying_price
        owner.realized_cash += event.cash + shares_value
        record_trade(owner, event.contract, -event.quantity, event.cash + shares_value)
        self.journal.record(event.time, "assignment", f"{event.reason}: {event.contract.key} x{event.quantity}",
                            strategy=owner.strategy, position_id=owner.position_id, cash=round(event.cash, 2),
                            shares=event.underlying_quantity)
        reason = ExitReason(event.reason)
        self.step(owner, reason.position_event, event.time, event.reason)
        if event.underlying_quantity:
            self._receive_shares(event, owner)
        if not owner.holdings and owner.position_id in self.positions:
            self.close(owner, event.time, reason, on_closed)

    def _receive_shares(self, event: AssignmentEvent, source: Position) -> None:
        root = event.contract.root
        shares = Contract(root, ContractKind.EQUITY)
        target = next((p for p in self.all_open() if p.strategy == self.shares_strategy and shares.key in p.holdings), None)
        if target is None:
            self._counter += 1
            target = Position(position_id=f"{source.position_id}-S{self._counter}", strategy=self.shares_strategy,
                              opened=event.time, holdings={}, entry_cash=0.0, max_loss=0.0, regime=source.regime,
                              phase=source.phase, terms=PositionTerms(units=1, entry_reason=f"shares from {event.reason}",
                                                                      opening_legs=(Leg(shares, 1),)))
            self.positions[target.position_id] = target
            self.lifecycles[target.position_id] = position_machine(event.time, target.position_id)
        cash = -event.underlying_quantity * event.underlying_price
        target.apply_fill((Leg(shares, 1),), event.underlying_quantity, cash, 0.0)
        record_trade(target, shares, event.underlying_quantity, cash)
        if target.entry_cash == 0.0:
            target.entry_cash = cash
            target.terms.entry_price = event.underlying_price
            self.step(target, PositionEvent.FILLED, event.time, "shares received")

    def reconcile(self, broker_holdings: dict[str, tuple[Contract, int]], now: datetime) -> list[str]:
        """Journal every difference between the books and the broker; returns the contract keys."""
        booked = self._booked()
        differences = sorted(k for k in set(booked) | set(broker_holdings)
                             if booked.get(k, 0) != broker_holdings.get(k, (None, 0))[1])
        for key in differences:
            self.journal.record(now, "error", f"reconciliation: books hold {booked.get(key, 0)} of {key}, "
                                f"broker holds {broker_holdings.get(key, (None, 0))[1]}")
        return differences

    def release_missing(self, broker_holdings: dict[str, tuple[Contract, int]], now: datetime,
                        mark: Callable[[Contract], float | None], on_closed: ClosedCallback,
                        skip: Iterable[str] = ()) -> list[str]:
        """Take out of the books what the broker no longer holds (a broker liquidation, an exercise
        the books missed): each missing quantity leaves the positions holding it, booked at
        `mark(contract)` (price units; 0 when None, and the journal says so); positions left empty
        close with exit reason "closed_by_broker". Holdings the broker has beyond the books are only
        journaled by `reconcile`; contract keys in `skip` are left alone. Returns the ids of the
        positions changed."""
        changed: list[str] = []
        skipped = set(skip)
        for key, held in sorted(self._booked().items()):
            actual = broker_holdings.get(key, (None, 0))[1]
            broker_has_less = abs(actual) < abs(held) and (actual == 0 or (actual > 0) == (held > 0))
            if key in skipped or not broker_has_less:
                continue
            excess = held - actual  # signed quantity the books hold too much of
            for position in [p for p in self.positions.values() if key in p.holdings]:
                contract, quantity = position.holdings[key]
                taken = max(min(excess, quantity), 0) if excess > 0 else min(max(excess, quantity), 0)
                if taken == 0:
                    continue
                excess -= taken
                price = mark(contract)
                cash = taken * (price or 0.0) * contract_multiplier(contract)
                position.apply_fill((Leg(contract, 1),), -taken, cash, 0.0)
                record_trade(position, contract, -taken, cash)
                position.terms.exit_price = price or 0.0
                self.journal.record(now, "adjustment", f"the broker no longer holds {taken} of {key}: taken out of "
                                    f"{position.position_id} at " + (f"the mark {price:g}" if price is not None
                                                                    else "0 (no quote; P&L misses it)"),
                                    strategy=position.strategy, position_id=position.position_id, units=taken)
                changed.append(position.position_id)
                if not position.holdings and position.state != "closed":
                    self.step(position, PositionEvent.CLOSED_EXTERNALLY, now, "closed_by_broker")
                    self.close(position, now, ExitReason.CLOSED_BY_BROKER, on_closed)
        return sorted(set(changed))

    def _booked(self) -> dict[str, int]:
        booked: dict[str, int] = {}
        for position in self.positions.values():
            for key, (_, quantity) in position.holdings.items():
                booked[key] = booked.get(key, 0) + quantity
        return booked

    def to_dict(self) -> dict[str, Any]:
        return {"positions": [p.to_dict() for p in self.positions.values()], "trades": self.trades,
                "counter": self._counter, "lifecycles": {k: m.to_dict() for k, m in self.lifecycles.items()}}

    @classmethod
    def from_dict(cls, data: dict[str, Any], journal: Journal, store: Store, key_prefix: str,
                  shares_strategy: str) -> PositionBook:
        """Rebuild a book saved by `to_dict`."""
        book = cls(journal, store, key_prefix, shares_strategy)
        for item in data["positions"]:
            position = Position.from_dict(item)
            # ISO text keeps only the UTC offset: back to US/Eastern, so that date arithmetic across a
            # daylight-saving change (holding days) matches a run that never stopped
            position.opened = position.opened.astimezone(EASTERN)
            book.positions[position.position_id] = position
        book.trades = [ReadOnlyDocument(row) for row in data["trades"]]
        for key, machine in data.get("lifecycles", {}).items():
            book.lifecycles[key] = StateMachine.from_dict(machine, POSITION_TRANSITIONS)
        book._counter = int(data["counter"])
        return book


def _legs_of(position: Position) -> list[Leg]:
    return [Leg(c, q) for c, q in position.holdings.values()] or [Leg(Contract("CASH", ContractKind.EQUITY), 1)]



def _machine_for(position: Position, now: datetime) -> Lifecycle:
    """A lifecycle for a position that has none yet, in the state its Position.state says."""
    return StateMachine(POSITION_TRANSITIONS, PositionState(position.state.upper()), now, name=position.position_id)
