"""Typed position terms: saved and restored whole; documents of the previous version (a "notes" dict) still load."""
from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from core.exit_reasons import ExitReason
from core.leg_ledger import leg_fills
from core.position import PendingClose, Position, PositionTerms, RollPlan, terms_from_notes
from core.position_book import PositionBook
from core.types import Contract, ContractKind, Leg
from reporting.journal import Journal
from strategies.leap_put_ladder import ladder_cost, left_to_expire, rung_count
from tests.strategies.kit import eastern

DATA = Path(__file__).parent / "data"  # documents written by the previous version's seed backtest
EXPIRY = date(2024, 9, 20)


def put(strike: float, expiry: date = EXPIRY) -> Contract:
    return Contract("SPY", ContractKind.OPTION, expiry, strike, "put")


def call(strike: float) -> Contract:
    return Contract("SPY", ContractKind.OPTION, EXPIRY, strike, "call")


def position(holdings: list[tuple[Contract, int]], terms: PositionTerms | None = None) -> Position:
    return Position("P1", "lt112", eastern(2024, 6, 5, 10, 5), {c.key: (c, q) for c, q in holdings}, 250.0, 500.0,
                    "ELEVATED", 1, terms=terms or PositionTerms())


def test_every_term_survives_a_save_and_restore():
    terms = PositionTerms(units=2, filled_units=2, margin=1234.5, credit_unit=500.0, entry_reason="LT112 1-1-2",
                          opening_legs=(Leg(put(500.0), 1), Leg(put(495.0), -1)), entry_price=-2.5, exit_price=0.4,
                          entry_marks={put(450.0).key: 3.25}, resend_close=PendingClose(ExitReason.ROLL, (put(450.0).key,)),
                          sold_extrinsic={call(520.0).key: 1.5}, adjusted_on="2024-06-07", rolled=True,
                          roll=RollPlan(put(450.0).key, put(460.0), 2, "2024-06-10"), left_to_expire=(put(400.0).key,))
    original = position([(put(500.0), 2), (put(495.0), -2)], terms)
    original.exit_reason = ExitReason.DISTANCE_STOP
    document = json.loads(json.dumps(original.to_dict()))  # through JSON, as the store keeps it
    assert "notes" not in document and document["exit_reason"] == "distance_stop"
    restored = Position.from_dict(document)
    assert restored == original
    assert isinstance(restored.exit_reason, ExitReason) and isinstance(restored.terms.roll, RollPlan)


def test_an_open_book_saved_by_the_previous_version_loads_with_typed_terms(tmp_path):
    document = json.loads((DATA / "book_previous_version.json").read_text())
    assert "notes" in document["positions"][0]  # the old shape
    book = PositionBook.from_dict(document, Journal(), None, "backtest/t", "ipmcc")  # type: ignore[arg-type]
    ladder = book.get("P000088")
    assert ladder is not None and ladder.strategy == "leap_put_ladder"
    terms = ladder.terms
    assert (terms.units, terms.filled_units, terms.margin, terms.credit_unit) == (1, 1, 602.5, 602.5)
    assert (terms.entry_price, terms.exit_price) == (6.05, -0.01)
    assert terms.entry_reason.startswith("LEAP put rung SPY 2025-03-21 P 330 (roll replacement)")
    assert terms.opening_legs == (Leg(put(330.0, date(2025, 3, 21)), 1),)
    assert terms.left_to_expire == ("SPY 2025-03-21 P 330",)
    assert [(e.contract.key, e.bought, e.paid, e.sold, e.order) for e in terms.ledger.values()] == [
        ("SPY 2025-03-21 P 330", 2, 1180.0, 2, 0), ("SPY 2026-01-16 P 415", 1, 613.0, 0, 1),
        ("SPY 2026-01-16 P 430", 1, 617.0, 0, 2)]
    fills = leg_fills(ladder)  # the trade log's per-leg prices from the typed ledger
    assert [(f.contract.key, f.quantity, f.entry_price) for f in fills] == [
        ("SPY 2025-03-21 P 330", 2, 5.9), ("SPY 2026-01-16 P 415", 1, 6.13), ("SPY 2026-01-16 P 430", 1, 6.17)]
    # the ladder's rules read the typed terms: the rung left to expire is gone, two rungs held at 613 + 617
    assert left_to_expire(ladder) == set() and rung_count(ladder) == 2 and ladder_cost(ladder) == pytest.approx(1230.0)
    saved = book.to_dict()
    assert "notes" not in saved["positions"][0] and saved["positions"][0]["terms"]["units"] == 1
    assert PositionBook.from_dict(json.loads(json.dumps(saved)), Journal(), None, "t", "ipmcc").get("P000088") == ladder  # type: ignore[arg-type]


def test_a_closed_position_saved_by_the_previous_version_loads():
    restored = Position.from_dict(json.loads((DATA / "closed_position_previous_version.json").read_text()))
    assert restored.exit_reason is ExitReason.PROFIT_TARGET and restored.state == "closed"
    assert restored.strategy == "vix_spike" and restored.terms.units >= 1 and len(restored.terms.ledger) == 2


def test_the_strategies_notes_of_the_previous_version_map_to_their_typed_terms():
    naked, short, long_put = put(450.0), put(495.0), put(500.0)
    held = [(long_put, 1), (short, -1), (naked, -2)]
    roll = {"close": short.key, "open": put(497.0).to_dict(), "units": 1, "proposed_on": "2024-06-12"}
    terms = terms_from_notes({"naked_credit": 3.2, "rung_credit": {put(350.0).key: 9.07},
                              "short_call_extrinsic": {call(520.0).key: 1.1}, "short_call_proposed_on": "2024-06-07",
                              "rolled": True, "roll_pending": roll,
                              "close_resend": {"reason": "time_exit", "contracts": [short.key]}}, held)
    # the LT112's bare naked credit belongs to its lowest-strike short put
    assert terms.entry_marks == {put(350.0).key: 9.07, naked.key: 3.2}
    assert terms.sold_extrinsic == {call(520.0).key: 1.1} and terms.adjusted_on == "2024-06-07"
    assert terms.rolled and terms.roll == RollPlan(short.key, put(497.0), 1, "2024-06-12")
    assert terms.resend_close == PendingClose(ExitReason.TIME_EXIT, (short.key,))
    # a diagonal's bare short entry mid belongs to its one short
    diagonal = terms_from_notes({"short_entry_mid": 1.03}, [(call(500.0), 1), (call(505.0), -1)])
    assert diagonal.entry_marks == {call(505.0).key: 1.03}


def test_an_unknown_note_is_refused_not_dropped():
    with pytest.raises(ValueError, match=r"unknown keys \['stop_price'\]"):
        terms_from_notes({"units": 1, "stop_price": 2.0}, [])
    with pytest.raises(ValueError, match="is not a valid ExitReason"):
        Position.from_dict({**position([]).to_dict(), "exit_reason": "stop"})


def test_entry_marks_are_kept_for_the_contracts_first_opened():
    held = position([])
    held.apply_fill((Leg(put(500.0), 1), Leg(put(450.0), -2)), 1, 100.0, 1.0, (5.0, 3.0))
    held.apply_fill((Leg(put(450.0), -1),), 1, 50.0, 1.0, (9.0,))  # adding to a marked contract keeps its mark
    assert held.terms.entry_marks == {put(500.0).key: 5.0, put(450.0).key: 3.0}
    with pytest.raises(ValueError, match="2 leg marks for 1 legs"):
        held.apply_fill((Leg(put(400.0), 1),), 1, -10.0, 0.0, (1.0, 2.0))  # a mark per leg or none
    assert put(400.0).key not in held.holdings and put(400.0).key not in held.terms.entry_marks
    assert held.opened == datetime.fromisoformat("2024-06-05T10:05:00-04:00")
