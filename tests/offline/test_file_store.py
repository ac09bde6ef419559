"""The offline store writes a document only when its text changed or its file is not as it left it."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from offline.replay.file_store import FileStore


def _writes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every rename the store makes (one per write)."""
    seen: list[str] = []
    real = os.replace

    def counting(source: str | Path, target: str | Path) -> None:
        seen.append(str(target))
        real(source, target)

    monkeypatch.setattr(os, "replace", counting)
    return seen


def test_same_document_is_written_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writes = _writes(monkeypatch)
    store = FileStore(tmp_path)
    store.save("backtest/run/system", {"b": [1, 2.5], "a": {"x": None}})
    store.save("backtest/run/system", {"a": {"x": None}, "b": [1, 2.5]})  # same text (keys sorted)
    assert len(writes) == 1
    assert store.load("backtest/run/system") == {"a": {"x": None}, "b": [1, 2.5]}


def test_changed_document_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writes = _writes(monkeypatch)
    store = FileStore(tmp_path)
    store.save("k/system", {"sequence": 1})
    store.save("k/system", {"sequence": 2})
    store.save("k/other", {"sequence": 2})
    assert len(writes) == 3
    assert store.load("k/system") == {"sequence": 2}


def test_file_changed_or_removed_behind_the_store_is_written_again(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    writes = _writes(monkeypatch)
    store = FileStore(tmp_path)
    document = {"sequence": 7}
    store.save("k/system", document)
    path = tmp_path / "k" / "system.json"
    path.write_text(json.dumps({"sequence": 70}), encoding="ascii")  # another size: another file
    store.save("k/system", document)
    assert store.load("k/system") == document
    path.unlink()
    store.save("k/system", document)
    assert store.load("k/system") == document
    assert len(writes) == 3
