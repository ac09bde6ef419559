"""Each position's trades per contract, for the trade log's per-leg prices (SPEC section 10).

Every trade that changes a position's holdings - an order fill (with the broker's price per leg), an
assignment, exercise or expiry, shares received, a holding the broker took away - is recorded per
contract in the position's terms.ledger (so it is saved and restored with the position): the
contracts bought and the USD paid, the contracts sold and the USD received, and whether every trade
had a price. `leg_fills` turns it into one LegFill per contract the position ever held: its signed
quantity opened (+ bought first, - sold first), the average entry and exit price per contract, so
that sum(quantity x (exit - entry) x multiplier) is the position's gross P&L.
"""
from __future__ import annotations

from core.position import LedgerEntry, Position
from core.types import Contract, Leg, OrderEvent, contract_multiplier
from reporting.trade_log import LegFill


def record_trade(position: Position, contract: Contract, change: int, cash: float | None) -> None:
    """Record a trade of `change` contracts (+ bought, - sold) of `contract` for `cash` USD (+ received,
    - paid; None when the trade's price is unknown)."""
    if change == 0:
        return
    ledger = position.terms.ledger
    entry = ledger.setdefault(contract.key, LedgerEntry(contract, 1 if change > 0 else -1, len(ledger)))
    if change > 0:
        entry.bought += change
        entry.paid += -(cash or 0.0)
    else:
        entry.sold += -change
        entry.received += cash or 0.0
    entry.priced = entry.priced and cash is not None


def record_fill(position: Position, legs: tuple[Leg, ...], event: OrderEvent) -> None:
    """Record an order fill leg by leg, at the broker's leg prices; a single leg's price is the fill
    price itself; a combo fill reported without leg prices leaves its legs unpriced."""
    units = event.fill_quantity
    if event.leg_prices and len(event.leg_prices) != len(legs):
        raise ValueError(f"{len(event.leg_prices)} leg prices for {len(legs)} legs on order {event.order_id}")
    prices: tuple[float | None, ...]
    if event.leg_prices:
        prices = event.leg_prices
    elif len(legs) == 1:
        prices = (event.fill_price / legs[0].ratio,)
    else:
        prices = (None,) * len(legs)
    for leg, price in zip(legs, prices):
        change = leg.ratio * units
        cash = None if price is None else -change * price * contract_multiplier(leg.contract)
        record_trade(position, leg.contract, change, cash)


def leg_fills(position: Position) -> list[LegFill]:
    """One LegFill per contract in the ledger, in the order first traded (kept as `order`: a saved and
    restored ledger may come back in another key order); empty without a ledger."""
    fills = []
    for entry in sorted(position.terms.ledger.values(), key=lambda item: item.order):
        multiplier = contract_multiplier(entry.contract)
        bought = entry.paid / (entry.bought * multiplier) if entry.bought else None
        sold = entry.received / (entry.sold * multiplier) if entry.sold else None
        long = entry.first > 0
        quantity = entry.bought if long else -entry.sold
        entry_price, exit_price = (bought, sold) if long else (sold, bought)
        if not entry.priced:
            entry_price = exit_price = None
        fills.append(LegFill(entry.contract, quantity, entry_price, exit_price))
    return fills
