"""core.ports.Store on LEAN's ObjectStore: JSON documents under mode-prefixed keys.

Live state lives under "live/project-<project id>/..."; a backtest writes under
"backtest/<algorithm id>/..." (the backtest's own id, or its start time when LEAN gives none),
so a backtest never overwrites live state and never reads an earlier run's state. The adapter
refuses any key outside its own prefix.
"""
from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from AlgorithmImports import ObjectStore

_UNSAFE = re.compile(r"[^A-Za-z0-9_.:-]+")


def _clean(part: str) -> str:
    return _UNSAFE.sub("-", part).strip("-") or "unnamed"


def mode_prefix(live_mode: bool, project_id: int, algorithm_id: str, started: datetime | None = None) -> str:
    """The key prefix for this run: "live/project-<id>" or "backtest/<algorithm id>".

    `started` (UTC, default now) names a backtest when LEAN gives no algorithm id.
    """
    if live_mode:
        return f"live/project-{int(project_id)}"
    name = str(algorithm_id or "").strip()
    if not name:
        name = "start-" + (started or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    return f"backtest/{_clean(name)}"


class ObjectStoreAdapter:
    """Save and load JSON documents (strict JSON: no NaN) by key in the ObjectStore.

    Raises (from save/load):
        ValueError: a key outside the prefix or with unsafe characters, a document that holds
            NaN/infinity, or a stored document that is not a valid JSON object.
        TypeError: a document to save that is not a dict.
        RuntimeError: the ObjectStore refused to save (for example its size limit is reached).
    """

    def __init__(self, store: ObjectStore, prefix: str) -> None:
        if not prefix or prefix != prefix.strip("/"):
            raise ValueError(f"object store prefix {prefix!r} must be non-empty without leading/trailing '/'")
        self._store = store
        self.prefix = prefix

    def _checked(self, key: str) -> str:
        if not key.startswith(self.prefix + "/"):
            raise ValueError(f"object store key {key!r} is outside this run's prefix {self.prefix!r}")
        if any(part != _clean(part) or part in (".", "..") for part in key.split("/")):
            raise ValueError(f"object store key {key!r} has an empty part or unsafe characters")
        return key

    def save(self, key: str, document: dict[str, Any]) -> None:
        if not isinstance(document, dict):
            raise TypeError(f"object store document for {key!r} must be a dict (a JSON object)")
        text = json.dumps(document, sort_keys=True, allow_nan=False, ensure_ascii=True)
        if not self._store.save(self._checked(key), text):
            raise RuntimeError(f"the ObjectStore refused to save {key!r} ({len(text)} characters)")

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
