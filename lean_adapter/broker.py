"""core.ports.Broker on LEAN, obeying Tastytrade's order rules before they bite.

Tastytrade accepts Market, Limit, StopMarket, StopLimit and ComboLimit orders. So:

- a multi-leg intent becomes one `combo_limit_order` (at most 4 legs, leg ratios with greatest
  common divisor 1, `Leg.create(symbol, ratio)`), the quantity is the number of units and the
  limit is the net price of one unit: positive for a debit, negative for a credit;
- a one-leg intent becomes a `limit_order` for ratio x units contracts at the leg's price
  (the net price divided by the ratio, which must be positive);
- a limit of exactly zero (or not finite) is refused before anything is sent, as is any other
  malformed intent (ValueError, naming the intent);
- no combo market orders and no `OptionStrategies` orders are ever sent.

Price improvement moves the combo's limit through the first leg's ticket (LEAN keeps one limit
for the whole combo), and so does a cancel: one request cancels the whole group (LEAN's backtest
brokerage cancels every order of the group, Tastytrade the complex order by the first leg's id;
a request per leg would reach Tastytrade again for an order already cancelled).

An order LEAN refuses in its pre-order checks (price 0, no data yet, not tradable, an option on
its underlying's split day, too many orders, warm-up) creates no order and raises no order event:
the call returns a single ticket with status Invalid and order id -10 (for a combo, one such
ticket for all its legs). The core hears it as a REJECTED event of an order id of its own,
"refused-<intent id>", so the intent never stays working.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import reduce

from AlgorithmImports import Leg as LeanLeg
from AlgorithmImports import OrderStatus as LeanOrderStatus
from AlgorithmImports import OrderTicket, QCAlgorithm, Symbol, UpdateOrderFields

from core.types import Contract, OrderEvent, OrderIntent, OrderStatus, Purpose, contract_multiplier
from lean_adapter.cash_sweep import LeanCashSweep
from lean_adapter.clock import to_eastern
from lean_adapter.order_events import FINAL_LEAN_STATUSES, ComboTracker, EventRelay, refused_ticket
from lean_adapter.symbols import SymbolBook

MAX_LEGS = 4


def check_intent(intent: OrderIntent) -> None:
    """Refuse what Tastytrade (or common sense) would refuse.

    Raises:
        ValueError: no legs or more than 4, a contract twice, leg ratios whose greatest common
            divisor is not 1, a quantity that is not a positive integer, a limit that is zero or
            not finite, or a one-leg limit with the wrong sign for its side.
    """
    name = f"order intent {intent.intent_id} ({intent.strategy})"
    if not 1 <= len(intent.legs) <= MAX_LEGS:
        raise ValueError(f"{name}: {len(intent.legs)} legs; Tastytrade combo orders take 1 to {MAX_LEGS}")
    keys = [leg.contract.key for leg in intent.legs]
    if len(set(keys)) != len(keys):
        raise ValueError(f"{name}: a contract appears in more than one leg: {keys}")
    divisor = reduce(math.gcd, (abs(leg.ratio) for leg in intent.legs))
    if divisor != 1:
        raise ValueError(f"{name}: leg ratios {[leg.ratio for leg in intent.legs]} have common divisor {divisor}; "
                         "express them per unit and raise the quantity instead")
    if isinstance(intent.quantity, bool) or not isinstance(intent.quantity, int) or intent.quantity < 1:
        raise ValueError(f"{name}: quantity must be a positive integer, got {intent.quantity!r}")
    _check_limit(name, intent.limit_price)
    if len(intent.legs) == 1 and intent.limit_price / intent.legs[0].ratio <= 0:
        raise ValueError(f"{name}: a one-leg {'buy' if intent.legs[0].ratio > 0 else 'sell'} needs a "
                         f"{'positive' if intent.legs[0].ratio > 0 else 'negative'} net limit, got {intent.limit_price}")


def _check_limit(name: str, limit: float) -> None:
    if not isinstance(limit, (int, float)) or not math.isfinite(limit) or limit == 0:
        raise ValueError(f"{name}: limit price {limit!r} refused (it must be finite and not zero)")


def _refused(tickets: Sequence[OrderTicket], legs: int) -> bool:
    """True when LEAN's pre-order checks refused the order: fewer tickets than legs (a refused
    combo returns one ticket), or a refused ticket."""
    return len(tickets) != legs or any(refused_ticket(ticket) for ticket in tickets)


def entry_need(intent: OrderIntent) -> float:
    """USD an opening order needs: the estimated margin of its units plus a debit's cost."""
    margin = intent.margin_per_unit if math.isfinite(intent.margin_per_unit) else 0.0
    debit = max(intent.limit_price, 0.0) * contract_multiplier(intent.legs[0].contract)
    return (margin + debit) * intent.quantity


class LeanBroker:
    """The core's Broker port on a QCAlgorithm.

    Args:
        algorithm: the running algorithm (orders, portfolio).
        symbols: the LEAN Symbol of every contract the market view has shown to the core.
        tracker: order bookkeeping and event translation (shared with main.on_order_event).
        relay: delivers core events (early ones from a synchronous rejection) after the core runs.
        report: called with a message when LEAN refuses an update or a cancel.
        sweep: the cash sweep (lean_adapter/cash_sweep.py) or None: its ETF is not one of the core's
            holdings, its margin is not buying power in use, and it is sold first for an entry.
    """

    def __init__(self, algorithm: QCAlgorithm, symbols: SymbolBook, tracker: ComboTracker, relay: EventRelay,
                 report: Callable[[str], None], sweep: LeanCashSweep | None = None) -> None:
        self._algorithm = algorithm
        self._symbols = symbols
        self._tracker = tracker
        self._relay = relay
        self._report = report
        self._sweep = sweep

    def submit(self, intent: OrderIntent) -> str:
        """Send an intent as a combo limit order (one leg: a limit order); returns the order id.

        Raises:
            ValueError: the intent breaks an order rule (see check_intent), or a contract has no
                known LEAN symbol (it never appeared in a chain or the portfolio).
        """
        check_intent(intent)
        symbols = [self._symbol(leg.contract, intent) for leg in intent.legs]
        if self._sweep is not None and intent.purpose == Purpose.OPEN:
            self._sweep.make_room(entry_need(intent))
        ratios = [leg.ratio for leg in intent.legs]
        tag = f"{intent.strategy} {intent.purpose.value} {intent.intent_id}"
        self._tracker.sending = list(symbols)
        try:
            tickets = self._send(intent, symbols, ratios, tag)
        finally:
            self._tracker.sending = []
        if _refused(tickets, len(ratios)):
            refusal = f"refused-{intent.intent_id}"
            reason = tickets[0].get_most_recent_order_response().error_message if tickets else "no ticket"
            self._relay.push([OrderEvent(refusal, intent.intent_id, OrderStatus.REJECTED, self._now(),
                                         message=f"LEAN refused the order before sending it: {reason}")])
            return refusal
        order_id, early = self._tracker.register(intent, tickets, ratios, self._now())
        self._relay.push(early)
        return order_id

    def _send(self, intent: OrderIntent, symbols: Sequence[Symbol], ratios: Sequence[int],
              tag: str) -> Sequence[OrderTicket]:
        if len(symbols) == 1:
            price = intent.limit_price / ratios[0]
            return [self._algorithm.limit_order(symbols[0], ratios[0] * intent.quantity, price, tag=tag)]
        legs = [LeanLeg.create(symbol, ratio) for symbol, ratio in zip(symbols, ratios, strict=True)]
        return self._algorithm.combo_limit_order(legs, intent.quantity, intent.limit_price, tag=tag)

    def update_limit(self, order_id: str, limit_price: float) -> None:
        """Move a working order's net limit (same sign convention as the intent).

        Raises:
            ValueError: the new limit is zero or not finite, or has the wrong sign for a one-leg order.
        """
        tracked = self._tracker.orders.get(order_id)
        if tracked is None:
            return  # finished at LEAN; its final event is on its way to the core
        name = f"order {order_id} ({tracked.intent.strategy})"
        _check_limit(name, limit_price)
        ticket = tracked.tickets[0]
        price = limit_price
        if len(tracked.tickets) == 1:
            price = limit_price / tracked.intent.legs[0].ratio
            if price <= 0:
                raise ValueError(f"{name}: limit {limit_price} has the wrong sign for a one-leg order")
        fields = UpdateOrderFields()
        fields.limit_price = price
        fields.tag = f"improve to {limit_price:g}"
        response = ticket.update(fields)
        if not response.is_success:
            self._report(f"limit update of {name} to {limit_price:g} refused: {response.error_message}")

    def cancel(self, order_id: str) -> None:
        """Cancel a working order through its first leg's ticket, once (cancel events follow)."""
        tracked = self._tracker.orders.get(order_id)
        if tracked is None:
            return
        ticket = tracked.tickets[0]
        if ticket.status in FINAL_LEAN_STATUSES or ticket.status == LeanOrderStatus.CANCEL_PENDING:
            return
        response = ticket.cancel("cancel requested by the trading core")
        if not response.is_success:
            self._report(f"cancel of order {order_id} refused: {response.error_message}")

    def open_order_ids(self) -> list[str]:
        return self._tracker.open_order_ids()

    def holdings(self) -> dict[str, tuple[Contract, int]]:
        """Every non-zero position in the LEAN portfolio: contract key -> (contract, signed quantity)."""
        held: dict[str, tuple[Contract, int]] = {}
        for holding in self._algorithm.portfolio.values():
            quantity = int(holding.quantity)
            if quantity == 0:
                continue
            if self._sweep is not None and self._sweep.is_sweep(holding.symbol):
                continue  # the swept cash, not a position of the core
            contract = self._symbols.remember(holding.symbol)
            if contract is not None:
                held[contract.key] = (contract, quantity)
        return held

    def net_liquidation(self) -> float:
        return float(self._algorithm.portfolio.total_portfolio_value)

    def margin_used(self) -> float:
        used = float(self._algorithm.portfolio.total_margin_used)
        return used - self._sweep.etf_margin() if self._sweep is not None else used

    def _symbol(self, contract: Contract, intent: OrderIntent) -> Symbol:
        symbol = self._symbols.symbol_for(contract)
        if symbol is None:
            raise ValueError(f"order intent {intent.intent_id} ({intent.strategy}): no LEAN symbol known for "
                             f"{contract.key}; it never appeared in a chain or the portfolio")
        return symbol

    def _now(self) -> datetime:
        return to_eastern(self._algorithm.time)
