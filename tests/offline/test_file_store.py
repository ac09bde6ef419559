"""The offline store writes every save atomically, a changed document and a file removed behind it alike."""
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
