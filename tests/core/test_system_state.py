"""The trading system's state owns its document: save, restore (or a clear refusal), and the trading
system's parts follow what a restore put back."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from config.loader import load_config
from core.document_text import ReadOnlyDocument
from core.engine.system_state import SCHEMA_VERSION, SystemState
from core.engine.trading_system import TradingSystem
from core.position_lifecycle import PositionEvent, position_machine
from core.strategy_lifecycle import StrategyEvent
from offline.replay.file_store import FileStore
from reporting.journal import Journal
from strategies.friday_0dte import FridayZeroDte
from tests.core.test_trading_system import run_friday
from tests.reliability.scripted_system import MemoryStore
from tests.strategies.kit import eastern, scripted_market

PREFIX = "backtest/state"


def fresh_state(store: MemoryStore) -> SystemState:
    config = load_config()
    return SystemState(config, {"friday_0dte": FridayZeroDte(config)}, Journal(), store, PREFIX, 30_000.0)


def test_saved_state_comes_back_whole():
    store = MemoryStore()
    state = fresh_state(store)
    assert state.restore() is False  # nothing saved yet
    assert [state.next_id("I"), state.next_id("P")] == ["I000001", "P000002"]
    state.strategies["friday_0dte"].memory["attempted"] = "2024-08-09"
    state.skips_journaled["friday_0dte"] = "outside the entry window"
    state.save()
    restored = fresh_state(store)
    assert restored.restore() is True
    assert restored.to_dict() == state.to_dict()
    assert restored.next_id("I") == "I000003"
    assert restored.strategies["friday_0dte"].memory == {"attempted": "2024-08-09"}


def test_another_schema_or_a_malformed_document_is_refused():
    store = MemoryStore()
    fresh_state(store).save()
    document = json.loads(store.documents[f"{PREFIX}/system"])
    store.documents[f"{PREFIX}/system"] = json.dumps({**document, "schema": SCHEMA_VERSION + 1})
    with pytest.raises(ValueError, match=f"has schema {SCHEMA_VERSION + 1}; this version reads schema 1"):
        fresh_state(store).restore()
    del document["book"]
    store.documents[f"{PREFIX}/system"] = json.dumps(document)
    with pytest.raises(ValueError, match="backtest/state/system is malformed: 'book'"):
        fresh_state(store).restore()


def test_the_system_parts_follow_a_restore(tmp_path):
    """A restore replaces the book, the VIX manager, the breakers and the phase: what the engines and
    reports read through the trading system is the restored state."""
    system, broker = run_friday(tmp_path)
    config = load_config()
    market = scripted_market(eastern(2024, 8, 12), spy=530.0, vix=25.0)
    fresh = TradingSystem(config, [FridayZeroDte(config)], market, broker, FileStore(tmp_path), Journal(),
                          "backtest/test", 30_000.0)
    assert fresh.book.trades == [] and fresh.vix.regime is None
    assert fresh.restore()
    assert fresh.book is fresh.state.book and len(fresh.book.trades) == 1
    assert fresh.book.trades == system.book.trades
    assert fresh.vix.regime == system.vix.regime is not None
    assert (fresh.breakers.high_water_mark, fresh.phases.phase) == (system.breakers.high_water_mark,
                                                                    system.phases.phase)


def test_the_broker_and_the_bad_data_roots_set_from_outside_reach_the_roles(tmp_path):
    """A resumed offline run rebuilds its broker and sets it on the trading system; the offline engine
    sets the day's bad-data roots: both reach the parts the roles share."""
    system, broker = run_friday(tmp_path)
    replacement = object()
    system.broker = replacement  # type: ignore[assignment]
    assert system.desk.broker is replacement and system.broker is replacement
    system.broker = broker
    system.bad_data_roots = {"SPY": "test"}
    assert system.desk.bad_data_roots == {"SPY": "test"}


class CountingStore(MemoryStore):
    """A memory store that counts the documents it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.saves = 0

    def save_text(self, key: str, text: str) -> None:
        self.saves += 1
        super().save_text(key, text)


def test_a_save_after_no_change_writes_nothing():
    store = CountingStore()
    state = fresh_state(store)
    state.save()
    state.save()
    state.save()
    assert store.saves == 1
    # another object (a restart) has not saved anything yet: its first save writes
    restarted = fresh_state(store)
    assert restarted.restore() is True
    restarted.save()
    assert store.saves == 2


def test_every_change_is_saved_even_in_place_and_of_type_only():
    """Changes made in place in the live containers the document reads (strategy memory, nested;
    skips; fill events), counters, the VIX manager and a value's type alone: each save writes, and
    what it wrote restores to the state as it is."""
    store = CountingStore()
    state = fresh_state(store)
    memory = state.strategies["friday_0dte"].memory
    memory["roll"] = {"legs": [1, 2]}
    state.save()
    changes = [
        lambda: memory["roll"]["legs"].append(3),  # nested, in place
        lambda: memory.__setitem__("count", 1),
        lambda: memory.__setitem__("count", 1.0),  # equal value, other type: other JSON
        lambda: state.skips_journaled.__setitem__("*", "daily loss limit"),
        lambda: state.fill_events.setdefault("O1", []).append("fill-1"),
        lambda: state.fill_events["O1"].append("fill-2"),  # a list already saved, in place
        lambda: state.next_id("I"),
        lambda: state.vix.update(eastern(2024, 8, 12, 9, 31), 25.0, eastern(2024, 8, 12, 9, 31)),
        lambda: state.vix.update(eastern(2024, 8, 12, 9, 32), 31.0, eastern(2024, 8, 12, 9, 32)),
    ]
    for number, change in enumerate(changes, start=2):
        change()
        state.save()
        assert store.saves == number
        restored = fresh_state(MemoryStore())
        restored.store.documents = dict(store.documents)
        assert restored.restore() is True
        assert json.dumps(restored.to_dict(), sort_keys=True) == json.dumps(state.to_dict(), sort_keys=True)
    assert json.loads(store.documents[f"{PREFIX}/system"])["memory"]["friday_0dte"] == {
        "roll": {"legs": [1, 2, 3]}, "count": 1.0}
    state.save()
    assert store.saves == len(changes) + 1


def _stored(store: MemoryStore) -> dict:
    return json.loads(store.documents[f"{PREFIX}/system"])


def test_every_change_of_a_growing_part_is_saved():
    """The parts whose records keep their text (VIX regime history, closed trades, strategy and
    position transitions) are saved when they grow, and a kept record refuses any change, so none
    can be lost unsaved."""
    store = CountingStore()
    state = fresh_state(store)
    state.save()
    now = eastern(2024, 8, 12, 9, 31)
    state.vix.update(now, 25.0, now)  # the first regime
    state.save()
    state.vix.update(now + timedelta(minutes=1), 12.0, now + timedelta(minutes=1))  # a regime change
    state.save()
    assert store.saves == 3 and [change["to"] for change in _stored(store)["vix"]["history"]] == ["VOLATILE", "LOW"]
    state.apply("friday_0dte", StrategyEvent.WINDOW_OPEN, now, "window")
    state.save()
    assert store.saves == 4
    assert _stored(store)["machines"]["friday_0dte"]["history"][-1] == {
        "event": "WINDOW_OPEN", "from": "IDLE", "reason": "window", "time": now.isoformat(), "to": "ANALYZING"}
    state.book.lifecycles["P1"] = position_machine(now, "P1")
    state.save()
    state.book.lifecycles["P1"].apply(PositionEvent.FILLED, now, "filled", has_positions=True)
    state.save()
    assert store.saves == 6 and _stored(store)["book"]["lifecycles"]["P1"]["history"][-1]["to"] == "OPEN"
    row = ReadOnlyDocument({"position_id": "P1", "pnl": 12.5, "quantity": 1})
    state.book.trades.append(row)
    state.save()
    assert store.saves == 7 and _stored(store)["book"]["trades"] == [row]
    with pytest.raises(TypeError, match="a read-only document cannot change"):
        row["pnl"] = 13.0
    state.save()
    assert store.saves == 7  # nothing changed
    restored = fresh_state(MemoryStore())
    restored.store.documents = dict(store.documents)
    assert restored.restore() is True
    assert json.dumps(restored.to_dict(), sort_keys=True) == json.dumps(state.to_dict(), sort_keys=True)
    assert restored.book.trades == [row] and all(type(t) is ReadOnlyDocument for t in restored.book.trades)


def test_after_every_save_of_a_trading_day_the_store_holds_the_state(tmp_path, monkeypatch):
    """A crash at any point loses nothing: after each save the stored text is exactly the state's
    document as json.dumps writes it (whether this save wrote it or an earlier one did)."""
    texts = []
    real_save = SystemState.save

    def checked_save(state: SystemState) -> None:
        real_save(state)
        stored = (tmp_path / f"{state.key_prefix}/system.json").read_text(encoding="ascii")
        assert stored == json.dumps(state.to_dict(), sort_keys=True, allow_nan=False)
        texts.append(stored)

    monkeypatch.setattr(SystemState, "save", checked_save)
    system, _ = run_friday(tmp_path)
    assert len(system.book.trades) == 1 and len(set(texts)) >= 5  # entry, fills, exit, session close
    assert json.loads(texts[-1])["book"]["trades"] == system.book.trades
