"""Futures delivered by a futures-option exercise or assignment, closed at once.

LEAN settles a futures option by physical delivery: FutureOption keeps the Option base's
`ExerciseSettlement = PhysicalDelivery`, one future per option contract, and the exercise order's
second fill is on the future itself, at the strike. The core has no futures positions: it books
the option's exercise at the delivered future's price (its intrinsic value, see
order_events.assignment_from_event), and this desk closes the delivered future with a marketable
limit order (sell at the bid, buy at the ask), journaled, sending again on later minutes while the
position is not flat (no quote yet, an order refused, a day order expired unfilled). At a live
restart it takes over any future the account holds (the core never holds futures). The gap
between that fill and the price the core booked is the closing cost, seen in net liquidation.
"""
from __future__ import annotations

from collections.abc import Callable

from AlgorithmImports import OrderEvent, OrderTicket, QCAlgorithm, SecurityType, Symbol

from lean_adapter.order_events import FINAL_LEAN_STATUSES, refused_ticket

TAG = "close delivered future"


class DeliveredFutures:
    """Watches delivered futures and closes them.

    Args:
        algorithm: the running algorithm (portfolio, securities, orders).
        note: journals what the desk does (a message).
        report: journals a problem (a message).
    """

    def __init__(self, algorithm: QCAlgorithm, note: Callable[[str], None], report: Callable[[str], None]) -> None:
        self._algorithm = algorithm
        self._note = note
        self._report = report
        self._watched: list[Symbol] = []
        self._tickets: dict[int, OrderTicket] = {}  # closing orders by LEAN order id

    def owns(self, lean_order_id: int) -> bool:
        """True for an event of one of the desk's closing orders."""
        return int(lean_order_id) in self._tickets

    def is_delivery(self, event: OrderEvent) -> bool:
        """A fill on a future that is not one of the desk's orders: the core never trades futures,
        so it is the delivery leg of a futures-option exercise."""
        return (event.symbol.security_type == SecurityType.FUTURE and float(event.fill_quantity) != 0
                and not self.owns(event.order_id))

    def receive(self, event: OrderEvent) -> None:
        """A delivery fill: watch its future and try to close it now."""
        symbol = event.symbol
        self._note(f"futures-option delivery: {float(event.fill_quantity):+g} {symbol.value} at "
                   f"{float(event.fill_price):g}; closing it")
        if not any(symbol == watched for watched in self._watched):
            self._watched.append(symbol)
        self.close_all()

    def adopt_held(self) -> None:
        """Watch every future the account holds (at a live restart: a delivered future an earlier
        run had not closed yet)."""
        for holding in self._algorithm.portfolio.values():
            symbol = holding.symbol
            if (symbol.security_type == SecurityType.FUTURE and int(holding.quantity) != 0
                    and not any(symbol == watched for watched in self._watched)):
                self._note(f"future {symbol.value} x{int(holding.quantity)} held at the start; closing it")
                self._watched.append(symbol)
        self.close_all()

    def on_event(self, event: OrderEvent) -> None:
        """An event of a closing order: journal its fills, forget it when final."""
        if float(event.fill_quantity):
            self._note(f"delivered future {event.symbol.value}: closing fill {float(event.fill_quantity):+g} at "
                       f"{float(event.fill_price):g}")
        if event.status in FINAL_LEAN_STATUSES:
            self._tickets.pop(int(event.order_id), None)

    def close_all(self) -> None:
        """Send a closing order for each watched future that is still held and has none working."""
        for symbol in list(self._watched):
            held = int(self._algorithm.portfolio[symbol].quantity)
            if held == 0:
                self._watched = [s for s in self._watched if s != symbol]
                self._note(f"delivered future {symbol.value} is closed")
            elif not any(ticket.symbol == symbol for ticket in self._tickets.values()):
                self._send(symbol, held)

    def _send(self, symbol: Symbol, held: int) -> None:
        security = self._algorithm.securities[symbol]
        price = float(security.bid_price if held > 0 else security.ask_price)
        if not price > 0:
            return  # no quote yet: the next minute tries again
        ticket = self._algorithm.limit_order(symbol, -held, price, tag=TAG)
        if refused_ticket(ticket):
            self._report(f"closing order for delivered future {symbol.value} refused: "
                         f"{ticket.get_most_recent_order_response().error_message}")
            return
        if ticket.status not in FINAL_LEAN_STATUSES:
            self._tickets[int(ticket.order_id)] = ticket
        self._note(f"closing order for delivered future {symbol.value}: {-held:+d} at {price:g}")
