"""The decision journal (SPEC section 10): one JSON-serialisable record per decision that changes
something or is refused.

Runs inside LEAN, so it uses the standard library only (numpy values are recognised by duck typing,
without importing numpy). A record is a flat dict::

    {"time": "2024-08-05T10:30:00-04:00", "kind": "denial", "strategy": "zero_dte",
     "message": "buying power cap", "reason": "max_buying_power", ...}

Extra keyword data sits beside the four fixed keys. Records of kind "denial" must carry `reason`.
Numbers in the message are rounded for reading (`readable_numbers`: 21.405382663336113 -> 21.41);
the data fields keep their exact values.
An optional sink (LEAN: a wrapper around `self.log` or the notification API; offline: a JSON-lines
file writer) receives every record as it is made; with a sink, `max_records` bounds the records kept
in memory while the counters still count every record.
"""
from __future__ import annotations

import json
import math
import re
from collections import Counter, deque
from collections.abc import Callable, Mapping
from datetime import date, datetime
from datetime import time as time_of_day
from enum import Enum
from typing import Any

JOURNAL_KINDS: frozenset[str] = frozenset({
    "entry", "exit", "adjustment", "denial", "regime_change", "phase_change", "error", "recovery",
    "data_problem", "order", "fill", "assignment", "info",
})
RESERVED_KEYS = ("time", "kind", "strategy", "message")
_LONG_DECIMAL = re.compile(r"-?\d+\.\d{5,}")


def readable_numbers(text: str) -> str:
    """`text` with every number of five or more decimals rounded for reading: 2 decimals from 1 up
    (-185.99999999999997 -> -186.00), 4 significant digits below 1 (0.051234567 -> 0.05123)."""
    def rounded(match: re.Match[str]) -> str:
        value = float(match.group(0))
        return f"{value:.2f}" if abs(value) >= 1.0 else f"{value:.4g}"

    return _LONG_DECIMAL.sub(rounded, text)


def json_safe(value: Any, name: str = "value") -> Any:
    """Convert `value` into plain JSON types (dict, list, str, int, float, bool, None).

    Conversions: Enum -> its value; datetime/date/time -> ISO text; numpy scalars and arrays -> Python
    numbers and lists (numpy datetime64 -> ISO text); tuples -> lists; sets -> lists sorted by their
    JSON text; objects with a `to_dict()` method (the core's Contract, Leg, OrderIntent, Position) ->
    that dict; mapping keys -> text. Non-finite floats (NaN, +/-inf) become None, because JSON has no
    spelling for them.

    Raises:
        ValueError: a value (named by its path from `name`) has a type with no JSON meaning.
        TypeError: a mapping key is itself a list or a mapping.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, Enum):
        return json_safe(value.value, name)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (datetime, date, time_of_day)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {_json_key(key, name): json_safe(item, f"{name}.{key}") for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item, f"{name}[{index}]") for index, item in enumerate(value)]
    if isinstance(value, (set, frozenset)):
        items = [json_safe(item, f"{name}{{}}") for item in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    dtype = getattr(value, "dtype", None)
    if dtype is not None and hasattr(value, "tolist"):
        if getattr(dtype, "kind", "") == "M":  # numpy datetime64 scalar or array
            return json_safe(value.astype(str).tolist(), name)
        return json_safe(value.tolist(), name)
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return json_safe(to_dict(), name)
    raise ValueError(f"journal field {name} has type {type(value).__name__}, which has no JSON form")


def _json_key(key: Any, name: str) -> str:
    converted = json_safe(key, f"{name} key")
    if isinstance(converted, (dict, list)):
        raise TypeError(f"journal field {name} has a key of type {type(key).__name__}")
    return converted if isinstance(converted, str) else json.dumps(converted)


def record_to_json(record: Mapping[str, Any]) -> str:
    """One record as a single line of strict JSON (no NaN), keys in record order."""
    return json.dumps(record, separators=(",", ":"), allow_nan=False, ensure_ascii=True)


class Journal:
    """Append-only journal of decisions with running counts by kind and by denial reason.

    Args:
        sink: called with each new record (a JSON-safe dict) right after it is made; an exception
            raised by the sink propagates to the caller of `record`.
        max_records: keep only the last `max_records` records in memory (None keeps all). Needs a
            sink, because records dropped from memory would otherwise be lost.

    Raises:
        ValueError: `max_records` is not a positive integer, or is given without a sink.
    """

    def __init__(self, sink: Callable[[dict[str, Any]], None] | None = None,
                 max_records: int | None = None) -> None:
        if max_records is not None:
            if isinstance(max_records, bool) or not isinstance(max_records, int) or max_records < 1:
                raise ValueError(f"journal max_records must be a positive integer, got {max_records!r}")
            if sink is None:
                raise ValueError("journal max_records needs a sink that keeps every record")
        self._sink = sink
        self._records: deque[dict[str, Any]] = deque(maxlen=max_records)
        self._kind_counts: Counter[str] = Counter()
        self._denial_counts: Counter[str] = Counter()
        self._standing: dict[str | None, str] = {}  # strategy -> its last standing note (record_once)

    def record(self, time: datetime, kind: str, message: str, strategy: str | None = None,
               **data: Any) -> dict[str, Any]:
        """Append one record and pass it to the sink; returns the record.

        Args:
            time: when the decision was made (timezone-aware US/Eastern by convention).
            kind: one of JOURNAL_KINDS.
            message: one human-readable line.
            strategy: the strategy concerned, or None for account-wide events.
            **data: extra JSON-convertible fields (see `json_safe`); "denial" needs `reason`.

        Raises:
            TypeError: `time` is not a datetime, or `message` or `strategy` is not text.
            ValueError: `kind` is unknown, a denial has no non-empty text `reason`, or a data value
                has no JSON form.
        """
        if not isinstance(time, datetime):
            raise TypeError(f"journal time must be a datetime, got {type(time).__name__}")
        if kind not in JOURNAL_KINDS:
            raise ValueError(f"journal kind {kind!r} is not one of {', '.join(sorted(JOURNAL_KINDS))}")
        if not isinstance(message, str):
            raise TypeError(f"journal message must be text, got {type(message).__name__}")
        if strategy is not None and not isinstance(strategy, str):
            raise TypeError(f"journal strategy must be text or None, got {type(strategy).__name__}")
        denial_reason = data.get("reason") if kind == "denial" else None
        if kind == "denial" and (not isinstance(denial_reason, str) or not denial_reason):
            raise ValueError("journal denial records need a non-empty text reason=...")
        entry: dict[str, Any] = {"time": time.isoformat(), "kind": kind, "strategy": strategy,
                                 "message": readable_numbers(message)}
        for key, value in data.items():
            entry[key] = json_safe(value, key)
        if entry.get("standing") is True:
            self._standing[strategy] = entry["message"]
        self._records.append(entry)
        self._kind_counts[kind] += 1
        if isinstance(denial_reason, str):
            self._denial_counts[denial_reason] += 1
        if self._sink is not None:
            self._sink(entry)
        return entry

    def record_once(self, time: datetime, kind: str, message: str, strategy: str | None = None,
                    **data: Any) -> dict[str, Any] | None:
        """Record a standing note (one that holds until it changes, such as "the account's phase keeps
        this strategy out") unless the last standing note of `strategy` says the same; returns the
        record, or None when nothing was written. The record carries `standing: true`, so a journal
        rebuilt from its lines (an offline resume) knows its standing notes again."""
        if self._standing.get(strategy) == readable_numbers(message):
            return None
        return self.record(time, kind, message, strategy, standing=True, **data)

    @property
    def records(self) -> list[dict[str, Any]]:
        """The records held in memory, oldest first (all of them unless `max_records` is set)."""
        return list(self._records)

    @property
    def total_recorded(self) -> int:
        """Number of records made since creation, including any dropped from memory."""
        return sum(self._kind_counts.values())

    def count_by(self, kind: str) -> int:
        """Number of records of `kind` made since creation (dropped ones included).

        Raises:
            ValueError: `kind` is not one of JOURNAL_KINDS.
        """
        if kind not in JOURNAL_KINDS:
            raise ValueError(f"journal kind {kind!r} is not one of {', '.join(sorted(JOURNAL_KINDS))}")
        return self._kind_counts[kind]

    def counts(self) -> dict[str, int]:
        """Records made per kind (only kinds that occurred), sorted by kind."""
        return dict(sorted(self._kind_counts.items()))

    def denials_by_reason(self) -> dict[str, int]:
        """Denials per gate reason since creation, most frequent first (ties by reason)."""
        return dict(sorted(self._denial_counts.items(), key=lambda item: (-item[1], item[0])))

    def to_jsonl_lines(self) -> list[str]:
        """The in-memory records as JSON lines (no trailing newlines)."""
        return [record_to_json(entry) for entry in self._records]
