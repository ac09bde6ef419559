"""The VIX manager's history records: regime changes and data problems, each with its JSON document
built once (the manager is saved often and its history only grows)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from config.constants import Regime
from core.document_text import ReadOnlyDocument


@dataclass(frozen=True)
class RegimeChange:
    """A regime change, ready for the journal: {time, from, to, vix}."""

    time: datetime
    old: Regime | None  # None for the first regime seen
    new: Regime
    vix: float

    def to_dict(self) -> dict[str, Any]:
        return dict(self.document)

    @cached_property
    def document(self) -> ReadOnlyDocument:
        """The JSON document, built once and shared, read-only (a change never changes; the manager
        is saved often and its text is kept)."""
        return ReadOnlyDocument({"time": self.time.isoformat(), "from": self.old.value if self.old else None,
                                 "to": self.new.value, "vix": self.vix})

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> RegimeChange:
        previous = data.get("from")
        return RegimeChange(datetime.fromisoformat(data["time"]), Regime(previous) if previous else None,
                            Regime(data["to"]), float(data["vix"]))


@dataclass(frozen=True)
class DataProblem:
    """The VIX became unusable: kind is vix_missing, vix_invalid, vix_stale or vix_time_in_future."""

    time: datetime
    kind: str
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.document)

    @cached_property
    def document(self) -> ReadOnlyDocument:
        """The JSON document, built once and shared, read-only."""
        return ReadOnlyDocument({"time": self.time.isoformat(), "kind": self.kind, "detail": self.detail})

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> DataProblem:
        return DataProblem(datetime.fromisoformat(data["time"]), data["kind"], data["detail"])


def documents_of(entries: list[RegimeChange] | list[DataProblem], documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The documents of the append-only `entries`, as a new list: `documents` (the cache) keeps those
    already built and gains only the entries added since (rebuilt whole if `entries` was shortened)."""
    if len(documents) > len(entries):
        documents.clear()
    documents.extend(entry.document for entry in entries[len(documents):])
    return list(documents)
