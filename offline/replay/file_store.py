"""core.ports.Store on files: one JSON document per key under a folder (the offline ObjectStore).

Keys look like LEAN ObjectStore keys ("backtest/<id>/system"); each becomes a relative path with
".json" appended. Writes go to a temporary file first and are renamed, so a crash never leaves a
half-written document. A save whose text is what this store last wrote under the key, to a file
still as it left it (same size and modification time), writes nothing: the file already holds it.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

_KEY = re.compile(r"^[A-Za-z0-9_.:-]+(/[A-Za-z0-9_.:-]+)*$")


class FileStore:
    """Save and load JSON documents by key under `root`."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._written: dict[str, tuple[str, int, int]] = {}  # key -> (text, mtime_ns, size) of the last write

    def _path(self, key: str) -> Path:
        if not _KEY.match(key) or ".." in key.split("/"):
            raise ValueError(f"invalid store key {key!r}")
        return self.root / f"{key}.json"

    def save(self, key: str, document: dict[str, Any]) -> None:
        path = self._path(key)
        text = json.dumps(document, sort_keys=True, allow_nan=False)
        last = self._written.get(key)
        if last is not None and last[0] == text and _stamp(path) == last[1:]:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".json.tmp")
        temporary.write_text(text, encoding="ascii")
        os.replace(temporary, path)
        self._written[key] = (text, *_stamp(path))

    def load(self, key: str) -> dict[str, Any] | None:
        path = self._path(key)
        if not path.is_file():
            return None
        try:
            document = json.loads(path.read_text(encoding="ascii"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"stored document {path} is corrupted: {error}") from None
        if not isinstance(document, dict):
            raise TypeError(f"stored document {path} is not a JSON object")
        return document


def _stamp(path: Path) -> tuple[int, int]:
    """(modification time in ns, size) of a file; (-1, -1) when it does not exist."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return -1, -1
    return status.st_mtime_ns, status.st_size
