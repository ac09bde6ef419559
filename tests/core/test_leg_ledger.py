"""The per-leg ledger behind trades.csv: a position built from several orders (ladder rungs, a rolled
strangle side, an assignment) gets one row listing every contract it held with its average entry and
exit price, and the row alone gives its gross P&L."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from core.leg_ledger import leg_fills, record_fill, record_trade
from core.position import Position
from core.types import Contract, ContractKind, Leg, OrderEvent, OrderStatus, contract_multiplier
from reporting.trade_log import LegFill, trade_row

ET = timezone(timedelta(hours=-4))
T0 = datetime(2024, 6, 3, 10, 30, tzinfo=ET)


def put(strike: float, expiry: date = date(2025, 6, 20), root: str = "SPY") -> Contract:
    return Contract(root, ContractKind.OPTION, expiry, strike, "put")


def fill(legs: tuple[Leg, ...], units: int, net: float, leg_prices: tuple[float, ...] = ()) -> OrderEvent:
    return OrderEvent("O1", "I1", OrderStatus.FILLED, T0, units, net, 0.0, "", leg_prices)


def book(position: Position, legs: tuple[Leg, ...], units: int, net: float, leg_prices: tuple[float, ...] = ()):
    """Apply a fill as the position book does: holdings and cash, then the ledger."""
    cash = -net * units * contract_multiplier(legs[0].contract)
    position.apply_fill(legs, units, cash, 0.0)
    record_fill(position, legs, fill(legs, units, net, leg_prices))


def row_gross(fills: list[LegFill]) -> float:
    return sum(f.quantity * (f.exit_price - f.entry_price) * contract_multiplier(f.contract) for f in fills)


def test_a_ladder_of_rungs_bought_sold_and_expired_reproduces_its_gross_pnl():
    ladder = Position("P1", "leap_put_ladder", T0, {}, 0.0, 0.0, "LOW", 1)
    book(ladder, (Leg(put(400), 1),), 1, 6.00)  # rung 1
    book(ladder, (Leg(put(410), 1),), 1, 7.00)  # rung 2, a later order
    book(ladder, (Leg(put(400), 1),), 1, 5.00)  # rung 1 bought again: average 5.50
    book(ladder, (Leg(put(400), -1),), 2, -9.00)  # both sold at 9.00 (a single-leg close: its own price)
    ladder.holdings.pop(put(410).key)  # rung 2 left to expire worthless
    record_trade(ladder, put(410), -1, 0.0)
    fills = leg_fills(ladder)
    assert fills == [LegFill(put(400), 2, pytest.approx(5.50), pytest.approx(9.00)),
                     LegFill(put(410), 1, pytest.approx(7.00), 0.0)]
    assert row_gross(fills) == pytest.approx(ladder.realized_cash) == pytest.approx(-600 - 700 - 500 + 1800 + 0)


def test_a_combo_at_the_brokers_leg_prices_and_a_short_first_leg():
    spread = (Leg(put(500, date(2024, 9, 20)), -1), Leg(put(495, date(2024, 9, 20)), 1))
    position = Position("P2", "vix_spike", T0, {}, 0.0, 0.0, "EXTREME", 1)
    book(position, spread, 2, -1.10, (3.00, 1.90))  # sold 500 at 3.00, bought 495 at 1.90
    closing = tuple(Leg(leg.contract, -leg.ratio) for leg in spread)
    book(position, closing, 2, 0.50, (1.20, 0.70))
    fills = leg_fills(position)
    assert [(f.quantity, f.entry_price, f.exit_price) for f in fills] == [(-2, 3.00, 1.20), (2, 1.90, 0.70)]
    assert row_gross(fills) == pytest.approx(position.realized_cash) == pytest.approx(120.0)
    row = trade_row(strategy="vix_spike", position_id="P2", legs=fills, quantity=2, entry_time=T0,
                    exit_time=T0 + timedelta(days=3), entry_price=-1.10, exit_price=0.50,
                    gross_pnl=position.realized_cash, fees=4.0, regime="EXTREME", phase=1, exit_reason="profit_target")
    assert row["legs"] == "-2 SPY 2024-09-20 P 500 | +2 SPY 2024-09-20 P 495"
    assert (row["leg_entry_prices"], row["leg_exit_prices"], row["strike_widths"]) == ("3 | 1.9", "1.2 | 0.7", "P 5")


def test_a_combo_fill_without_leg_prices_leaves_its_legs_unpriced_and_says_so():
    spread = (Leg(put(500), -1), Leg(put(495), 1))
    position = Position("P3", "lt112", T0, {}, 0.0, 0.0, "LOW", 1)
    book(position, spread, 1, -1.10)
    assert [(f.entry_price, f.exit_price) for f in leg_fills(position)] == [(None, None), (None, None)]
    row = trade_row(strategy="lt112", position_id="P3", legs=leg_fills(position), quantity=1, entry_time=T0,
                    exit_time=T0, entry_price=-1.10, exit_price=0.0, gross_pnl=110.0, fees=0.0, regime="LOW",
                    phase=1, exit_reason="time_exit")
    assert row["leg_entry_prices"] == "? | ?"
    with pytest.raises(ValueError, match="1 leg prices for 2 legs"):
        record_fill(position, spread, fill(spread, 1, -1.10, (3.0,)))
