"""The position book drives each position through its lifecycle table (SPEC section 7)."""
from __future__ import annotations

from datetime import date, timedelta

from config.constants import Regime
from core.position_book import PositionBook
from core.position_lifecycle import PositionEvent, PositionState
from core.types import Contract, ContractKind, Leg, OrderEvent, OrderIntent, OrderStatus, Purpose
from offline.replay.file_store import FileStore
from reporting.journal import Journal
from tests.strategies.kit import eastern

NOW = eastern(2024, 8, 9, 10, 30)
EXPIRY = date(2024, 9, 20)
SPREAD = (Leg(Contract("SPY", ContractKind.OPTION, EXPIRY, 500.0, "put"), -1),
          Leg(Contract("SPY", ContractKind.OPTION, EXPIRY, 495.0, "put"), 1))


def intent(purpose: Purpose, legs=SPREAD, position_id=None, price=-1.0) -> OrderIntent:
    return OrderIntent("I1", "vix_spike", purpose, legs, 1, price, NOW, "test", position_id, 400.0, 500.0)


def fill(price: float, minutes: int) -> OrderEvent:
    return OrderEvent("O1", "I1", OrderStatus.FILLED, NOW + timedelta(minutes=minutes), 1, price, 2.0)


def test_lifecycle_from_pending_entry_to_closed(tmp_path):
    journal = Journal()
    book = PositionBook(journal, FileStore(tmp_path), "backtest/t", "ipmcc")
    position = book.open_pending("P1", intent(Purpose.OPEN), NOW, Regime.ELEVATED, 1, None)
    assert book.lifecycles["P1"].state == PositionState.PENDING_ENTRY and position.state == "pending_entry"
    book.book_fill(intent(Purpose.OPEN, position_id="P1"), fill(-1.0, 1))
    book.finish_order(intent(Purpose.OPEN, position_id="P1"), 1, NOW, lambda p, pnl: None, OrderStatus.FILLED)
    assert position.state == "open" and book.all_open() == [position]
    book.step(position, PositionEvent.EXIT_SUBMITTED, NOW, "profit_target")
    assert position.state == "pending_exit" and book.all_open() == [position]  # still managed
    closing = tuple(Leg(leg.contract, -leg.ratio) for leg in SPREAD)
    book.book_fill(intent(Purpose.CLOSE, closing, "P1", 0.5), fill(0.5, 30))
    closed = []
    assert book.finish_order(intent(Purpose.CLOSE, closing, "P1", 0.5), 1, NOW, lambda p, pnl: closed.append(pnl))
    assert position.state == "closed" and "P1" not in book.lifecycles
    assert closed == [100.0 - 50.0 - 2.0 - 2.0] and book.trades[0]["exit_reason"] == "test"


def test_cancelled_exit_returns_to_open_and_an_illegal_pair_is_journaled(tmp_path):
    journal = Journal()
    book = PositionBook(journal, FileStore(tmp_path), "backtest/t", "ipmcc")
    position = book.open_pending("P1", intent(Purpose.OPEN), NOW, Regime.ELEVATED, 1, None)
    book.book_fill(intent(Purpose.OPEN, position_id="P1"), fill(-1.0, 1))
    book.finish_order(intent(Purpose.OPEN, position_id="P1"), 1, NOW, lambda p, pnl: None, OrderStatus.FILLED)
    book.step(position, PositionEvent.EXIT_SUBMITTED, NOW, "stop_loss")
    book.finish_order(intent(Purpose.CLOSE, position_id="P1"), 0, NOW, lambda p, pnl: None, OrderStatus.CANCELLED)
    assert position.state == "open"
    book.step(position, PositionEvent.PARTIALLY_FILLED, NOW, "no order working")  # OPEN has no such event
    assert position.state == "open"
    errors = [r["message"] for r in journal.records if r["kind"] == "error"]
    assert len(errors) == 1 and errors[0].startswith("position lifecycle:")


def test_lifecycles_survive_persistence(tmp_path):
    book = PositionBook(Journal(), FileStore(tmp_path), "backtest/t", "ipmcc")
    position = book.open_pending("P1", intent(Purpose.OPEN), NOW, Regime.ELEVATED, 1, None)
    book.book_fill(intent(Purpose.OPEN, position_id="P1"), fill(-1.0, 1))
    book.finish_order(intent(Purpose.OPEN, position_id="P1"), 1, NOW, lambda p, pnl: None, OrderStatus.FILLED)
    restored = PositionBook.from_dict(book.to_dict(), Journal(), FileStore(tmp_path), "backtest/t", "ipmcc")
    assert restored.lifecycles["P1"].state == PositionState.OPEN
    assert restored.to_dict() == book.to_dict() and position.state == "open"
