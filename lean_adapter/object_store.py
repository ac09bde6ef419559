"""core.ports.Store on LEAN's ObjectStore: JSON documents under mode-prefixed keys.

Live state lives under "live/project-<project id>/..."; a backtest writes under
"backtest/project-<project id>/...", which it empties when it starts: a backtest never reads an
earlier run's state, and however many backtests run, the store holds the documents of one. The
adapter refuses any key outside its own prefix.

Keys: LEAN's local ObjectStore accepts only keys matching KEY_RULE and throws ArgumentException
otherwise; the adapter allows letters, digits, "_" and "-" in each "/"-separated part, which
always matches it.

A save the ObjectStore refuses (it returns False over its file-count or size limit) is reported
once and kept: every later save tries it again, so the newest state is written as soon as room
is made, and the algorithm goes on trading meanwhile.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from AlgorithmImports import ObjectStore

from core.document_text import canonical

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
# LocalObjectStore's path rule (Lean Engine/Storage/LocalObjectStore.cs:115 at 24863901).
KEY_RULE = re.compile(r"^\.?[a-zA-Z0-9\\/_#\-\$= ]+\.?[a-zA-Z0-9]*$")


def _clean(part: str) -> str:
    return _UNSAFE.sub("-", part).strip("-") or "unnamed"


def mode_prefix(live_mode: bool, project_id: int) -> str:
    """The key prefix for this run: "live/project-<id>" or "backtest/project-<id>"."""
    return f"{'live' if live_mode else 'backtest'}/project-{int(project_id)}"


class ObjectStoreAdapter:
    """Save and load JSON documents (strict JSON: no NaN) by key in the ObjectStore.

    Args:
        store: LEAN's ObjectStore.
        prefix: every key starts with it (see mode_prefix).
        report: called with a message when a save is refused, and when it succeeds again.

    Raises (from save/load):
        ValueError: a key outside the prefix or with unsafe characters, a document that holds
            NaN/infinity, or a stored document that is not a valid JSON object.
        TypeError: a document to save that is not a dict.
    """

    def __init__(self, store: ObjectStore, prefix: str, report: Callable[[str], None]) -> None:
        if not prefix or prefix != prefix.strip("/"):
            raise ValueError(f"object store prefix {prefix!r} must be non-empty without leading/trailing '/'")
        self._store = store
        self._report = report
        self.prefix = prefix
        self._unsaved: dict[str, str] = {}  # refused saves, retried on the next save
        self._refusing = False

    def _checked(self, key: str) -> str:
        if not key.startswith(self.prefix + "/"):
            raise ValueError(f"object store key {key!r} is outside this run's prefix {self.prefix!r}")
        if any(part != _clean(part) for part in key.split("/")) or not KEY_RULE.match(key):
            raise ValueError(f"object store key {key!r} has an empty part or unsafe characters")
        return key

    def save(self, key: str, document: dict[str, Any]) -> None:
        if not isinstance(document, dict):
            raise TypeError(f"object store document for {key!r} must be a dict (a JSON object)")
        self.save_text(key, canonical(document))

    def save_text(self, key: str, text: str) -> None:
        """Save a document given as its canonical text (core/document_text.py)."""
        self._unsaved[self._checked(key)] = text
        for pending, content in list(self._unsaved.items()):
            if self._store.save(pending, content):
                del self._unsaved[pending]
        if self._unsaved and not self._refusing:
            self._report(f"the ObjectStore refused to save {self.unsaved} (file-count or size limit); the "
                         "documents are kept and retried on every save")
        elif self._refusing and not self._unsaved:
            self._report("the ObjectStore saves again: every refused document is written")
        self._refusing = bool(self._unsaved)

    def load(self, key: str) -> dict[str, Any] | None:
        checked = self._checked(key)
        if not self._store.contains_key(checked):
            return None
        text = self._store.read(checked)
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"stored document {key!r} is not valid JSON: {error}") from None
        if not isinstance(document, dict):
            raise ValueError(f"stored document {key!r} is not a JSON object")  # noqa: TRY004 - bad data, not a bad argument
        return document

    def keys(self) -> list[str]:
        """Every key stored under this run's prefix, sorted."""
        return sorted(str(k) for k in self._store.keys if str(k).startswith(self.prefix + "/"))

    def clear(self) -> int:
        """Delete every document under this run's prefix (a backtest's start); returns how many."""
        keys = self.keys()
        for key in keys:
            self._store.delete(key)
        return len(keys)

    @property
    def unsaved(self) -> list[str]:
        """Keys whose newest document the ObjectStore has refused so far."""
        return sorted(self._unsaved)
