"""core.ports.Store on files: one JSON document per key under a folder (the offline ObjectStore).

Keys look like LEAN ObjectStore keys ("backtest/<id>/system"); each becomes a relative path with
".json" appended, holding the document's canonical text (core/document_text.py). Every save writes;
the trading system itself skips a save whose document did not change (core/engine/system_state.py).

A save never leaves a half-written document, whenever the process stops: the text is written whole
to "<path>.tmp", then the saved document is moved aside to "<path>.old", the new one moved in, and
the old one deleted. (Renaming over the saved document instead makes Linux's ext4 write the new
file's data out at once, 0.3 ms a save on a quiet disk and several ms on a busy one; nothing here
syncs to disk, so a power cut may still lose the latest save.) A load that finds no document but an
".old" one finishes the save that stopped between its two moves: its text is whole in ".tmp".
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from core.document_text import canonical

_KEY = re.compile(r"^[A-Za-z0-9_.:-]+(/[A-Za-z0-9_.:-]+)*$")


class FileStore:
    """Save and load JSON documents by key under `root`."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if not _KEY.match(key) or ".." in key.split("/"):
            raise ValueError(f"invalid store key {key!r}")
        return self.root / f"{key}.json"

    def save(self, key: str, document: dict[str, Any]) -> None:
        self.save_text(key, canonical(document))

    def save_text(self, key: str, text: str) -> None:
        path = self._path(key)
        new, old = f"{path}.tmp", f"{path}.old"
        try:
            Path(new).write_text(text, encoding="ascii")
        except FileNotFoundError:  # the first document in its folder
            path.parent.mkdir(parents=True, exist_ok=True)
            Path(new).write_text(text, encoding="ascii")
        try:
            os.rename(path, old)
        except FileNotFoundError:  # the first save under this key
            os.rename(new, path)
            return
        os.rename(new, path)
        os.unlink(old)

    def load(self, key: str) -> dict[str, Any] | None:
        path = self._path(key)
        if not path.is_file() and os.path.isfile(f"{path}.old"):  # a save stopped between its moves
            os.rename(f"{path}.tmp", path)
            os.unlink(f"{path}.old")
        if not path.is_file():
            return None
        try:
            document = json.loads(path.read_text(encoding="ascii"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"stored document {path} is corrupted: {error}") from None
        if not isinstance(document, dict):
            raise TypeError(f"stored document {path} is not a JSON object")
        return document
