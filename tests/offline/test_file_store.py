"""The offline store writes every save, never leaves a half-written document, and finishes a save
that stopped between its two moves."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from offline.replay.file_store import FileStore


def _writes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every document the store moves into place (one per write)."""
    seen: list[str] = []
    real = os.rename

    def counting(source: str | Path, target: str | Path) -> None:
        if str(target).endswith(".json"):
            seen.append(str(target))
        real(source, target)

    monkeypatch.setattr(os, "rename", counting)
    return seen


def test_changed_document_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writes = _writes(monkeypatch)
    store = FileStore(tmp_path)
    store.save("k/system", {"sequence": 1})
    store.save("k/system", {"sequence": 2})
    store.save("k/other", {"sequence": 2})
    assert len(writes) == 3
    assert store.load("k/system") == {"sequence": 2}
    assert sorted(p.name for p in (tmp_path / "k").iterdir()) == ["other.json", "system.json"]  # nothing left aside


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


@pytest.mark.parametrize("stop_before", [1, 2, 3])
def test_a_save_stopped_at_any_step_leaves_a_whole_document(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             stop_before: int) -> None:
    """The process stops before the save's first move (the text written), its second move (the saved
    document moved aside) or the deletion of the old one: a load returns the old document in the
    first case and the new one in the others, and later saves go on as usual."""
    store = FileStore(tmp_path)
    store.save_text("k/system", '{"sequence": 1}')
    steps = {"rename": os.rename, "unlink": os.unlink}
    done = []

    def step(name: str):
        def stopping(*args: object) -> None:
            done.append(name)
            if len(done) == stop_before:
                raise KeyboardInterrupt  # the process stops here
            steps[name](*args)
        return stopping

    monkeypatch.setattr(os, "rename", step("rename"))
    monkeypatch.setattr(os, "unlink", step("unlink"))
    with pytest.raises(KeyboardInterrupt):
        store.save_text("k/system", '{"sequence": 2}')
    monkeypatch.undo()
    assert FileStore(tmp_path).load("k/system") == {"sequence": 1 if stop_before == 1 else 2}
    FileStore(tmp_path).save_text("k/system", '{"sequence": 3}')
    assert FileStore(tmp_path).load("k/system") == {"sequence": 3}
    assert sorted(p.name for p in (tmp_path / "k").iterdir()) == ["system.json"]
