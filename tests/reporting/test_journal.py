"""Journal: record layout, JSON-safe conversion, counters, sink and bounded memory."""
from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config.constants import Regime
from core.types import Contract, ContractKind
from reporting.journal import JOURNAL_KINDS, Journal, json_safe, readable_numbers, record_to_json

EASTERN = timezone(timedelta(hours=-4))
T0 = datetime(2024, 8, 5, 10, 30, tzinfo=EASTERN)


def test_record_layout_and_order() -> None:
    journal = Journal()
    entry = journal.record(T0, "entry", "opened iron condor", strategy="zero_dte", credit=1.25, units=1)
    assert list(entry) == ["time", "kind", "strategy", "message", "credit", "units"]
    assert entry == {"time": "2024-08-05T10:30:00-04:00", "kind": "entry", "strategy": "zero_dte",
                     "message": "opened iron condor", "credit": 1.25, "units": 1}
    assert journal.records == [entry]


def test_json_safe_converts_numpy_dates_enums_sets_and_objects() -> None:
    contract = Contract("SPY", ContractKind.OPTION, date(2024, 8, 16), 500.0, "p")
    value = {
        "f32": np.float32(0.5), "i64": np.int64(7), "flag": np.bool_(True), "array": np.array([1.5, 2.5]),
        "day": date(2024, 1, 2), "stamp": np.datetime64("2024-08-05"), "regime": Regime.HIGH,
        "tags": {"b", "a"}, "contract": contract, "nan": float("nan"), "inf": np.float64("inf"),
        date(2024, 3, 1): "date key", 3: "int key",
    }
    converted = json_safe(value)
    assert converted == {
        "f32": 0.5, "i64": 7, "flag": True, "array": [1.5, 2.5], "day": "2024-01-02",
        "stamp": "2024-08-05", "regime": "HIGH", "tags": ["a", "b"],
        "contract": {"root": "SPY", "kind": "option", "expiry": "2024-08-16", "strike": 500.0, "right": "put"},
        "nan": None, "inf": None, "2024-03-01": "date key", "3": "int key",
    }
    assert type(converted["i64"]) is int and type(converted["flag"]) is bool
    json.dumps(converted, allow_nan=False)


def test_json_safe_rejects_unknown_types_naming_the_field() -> None:
    with pytest.raises(ValueError, match="order.detail"):
        json_safe({"detail": object()}, "order")
    with pytest.raises(ValueError, match="legs"):
        Journal().record(T0, "order", "sent", legs=[object()])


def test_jsonl_round_trip() -> None:
    journal = Journal()
    journal.record(T0, "regime_change", "VIX 38.6", old=Regime.NORMAL, new=Regime.EXTREME, vix=np.float64(38.57))
    journal.record(T0 + timedelta(minutes=5), "denial", "blocked", strategy="lt112", reason="regime_extreme")
    lines = journal.to_jsonl_lines()
    assert len(lines) == 2 and all("\n" not in line for line in lines)
    assert [json.loads(line) for line in lines] == journal.records
    assert json.loads(lines[0])["new"] == "EXTREME"
    assert record_to_json(journal.records[1]) == lines[1]


def test_validation() -> None:
    journal = Journal()
    with pytest.raises(ValueError, match="kind"):
        journal.record(T0, "tweet", "x")
    with pytest.raises(ValueError, match="reason"):
        journal.record(T0, "denial", "no reason")
    with pytest.raises(ValueError, match="reason"):
        journal.record(T0, "denial", "empty reason", reason="")
    with pytest.raises(TypeError, match="datetime"):
        journal.record("2024-08-05", "info", "x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="message"):
        journal.record(T0, "info", 5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="kind"):
        journal.count_by("nope")
    assert journal.records == []


def test_counts_and_denials_by_reason() -> None:
    journal = Journal()
    for reason in ("max_positions", "buying_power", "max_positions", "regime_extreme", "buying_power",
                   "max_positions"):
        journal.record(T0, "denial", "denied", strategy="zero_dte", reason=reason)
    journal.record(T0, "entry", "opened", strategy="lt112")
    journal.record(T0, "exit", "closed", strategy="lt112")
    assert journal.count_by("denial") == 6
    assert journal.count_by("entry") == 1
    assert journal.count_by("error") == 0
    assert journal.counts() == {"denial": 6, "entry": 1, "exit": 1}
    assert journal.denials_by_reason() == {"max_positions": 3, "buying_power": 2, "regime_extreme": 1}
    assert list(journal.denials_by_reason()) == ["max_positions", "buying_power", "regime_extreme"]
    assert journal.total_recorded == 8


def test_sink_receives_every_record_and_its_errors_propagate() -> None:
    received: list[dict] = []
    journal = Journal(sink=received.append)
    first = journal.record(T0, "info", "start")
    assert received == [first]

    def failing_sink(record: dict) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        Journal(sink=failing_sink).record(T0, "info", "x")


def test_bounded_memory_keeps_last_records_but_counts_all() -> None:
    received: list[dict] = []
    journal = Journal(sink=received.append, max_records=2)
    for index in range(5):
        journal.record(T0 + timedelta(minutes=index), "denial", f"d{index}", reason="r" + str(index % 2))
    assert [r["message"] for r in journal.records] == ["d3", "d4"]
    assert len(received) == 5
    assert journal.count_by("denial") == 5 and journal.total_recorded == 5
    assert journal.denials_by_reason() == {"r0": 3, "r1": 2}
    assert len(journal.to_jsonl_lines()) == 2


def test_bounded_memory_needs_a_sink_and_a_positive_size() -> None:
    with pytest.raises(ValueError, match="sink"):
        Journal(max_records=10)
    with pytest.raises(ValueError, match="max_records"):
        Journal(sink=print, max_records=0)


def test_all_team_kinds_are_accepted() -> None:
    journal = Journal()
    for kind in sorted(JOURNAL_KINDS):
        extra = {"reason": "why"} if kind == "denial" else {}
        journal.record(T0, kind, kind, **extra)
    assert journal.total_recorded == 13
    assert set(journal.counts()) == {"entry", "exit", "adjustment", "denial", "regime_change", "phase_change",
                                     "error", "recovery", "data_problem", "order", "fill", "assignment", "info"}


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=8).filter(lambda k: k not in ("time", "kind", "message",
                                                                                    "strategy")),
                       st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(), st.text(),
                                 st.booleans(), st.none(), st.lists(st.floats(width=32), max_size=3)),
                       max_size=5))
def test_any_plain_data_gives_strict_json(data: dict) -> None:
    entry = Journal().record(T0, "info", "property", **data)
    decoded = json.loads(record_to_json(entry))
    for key, value in data.items():
        if isinstance(value, float) and not math.isfinite(value):
            assert decoded[key] is None
        elif isinstance(value, float):
            assert decoded[key] == value


def test_message_numbers_are_rounded_for_reading_and_data_kept_exact():
    assert readable_numbers("no entry: VIX 21.405382663336113 outside (22.0, 40.0)") == \
        "no entry: VIX 21.41 outside (22.0, 40.0)"
    assert readable_numbers("pnl -185.99999999999997, delta 0.051234567, strike 5425.5") == \
        "pnl -186.00, delta 0.05123, strike 5425.5"
    journal = Journal()
    entry = journal.record(datetime(2024, 8, 5, 10, 30, tzinfo=timezone(timedelta(hours=-4))), "info",
                           "VIX 14.426801923296692", vix=14.426801923296692)
    assert entry["message"] == "VIX 14.43" and entry["vix"] == 14.426801923296692


def test_a_standing_note_is_written_once_until_it_changes_and_a_replayed_journal_knows_it():
    eastern = timezone(timedelta(hours=-4))
    journal = Journal()
    lock = "no entry: account phase 1: jade_lizard opens positions from phase 2"
    first = journal.record_once(datetime(2024, 8, 5, 9, 30, tzinfo=eastern), "info", lock, "jade_lizard")
    assert first is not None and first["standing"] is True
    assert journal.record_once(datetime(2024, 8, 6, 9, 30, tzinfo=eastern), "info", lock, "jade_lizard") is None
    journal.record(datetime(2024, 8, 6, 9, 31, tzinfo=eastern), "info", "something else", "jade_lizard")
    assert journal.record_once(datetime(2024, 8, 7, 9, 30, tzinfo=eastern), "info", lock, "jade_lizard") is None
    changed = lock.replace("phase 1", "phase 2").replace("from phase 2", "from phase 3")
    assert journal.record_once(datetime(2024, 9, 2, 9, 30, tzinfo=eastern), "info", changed, "jade_lizard")
    replayed = Journal()  # as an offline resume rebuilds it: every saved line through record()
    for line in journal.to_jsonl_lines():
        saved = json.loads(line)
        data = {k: v for k, v in saved.items() if k not in ("time", "kind", "message", "strategy")}
        replayed.record(datetime.fromisoformat(saved["time"]), saved["kind"], saved["message"], saved["strategy"],
                        **data)
    assert replayed.record_once(datetime(2024, 9, 3, 9, 30, tzinfo=eastern), "info", changed, "jade_lizard") is None
    assert journal.count_by("info") == replayed.count_by("info") == 3
