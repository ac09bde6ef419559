"""State machines with explicit transition tables (SPEC section 7, DESIGN section 4).

A table maps `(state, event)` to the next state. `StateMachine.apply` is the one entry point; a pair
that is not in the table raises `IllegalTransition` and leaves the machine unchanged. Where the next
state depends on whether positions are still held (a failed entry, a finished exit, a recovery),
the table says so with `ByPositions(flat=..., holding=...)`: the caller passes `has_positions`, or
the machine uses its belief (the resting state it came from; see `StateMachine`).

`entered_at` is the time the current state was entered; a self-loop (an event that keeps the state)
is recorded in the history but does not restart the clock, so time-outs measure time in the state.

The concrete lifecycles built on this machine live in `core.strategy_lifecycle` (a strategy's
states, events, table and auto-recovery) and `core.position_lifecycle` (one position's table).
"""
from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from functools import cached_property
from typing import Any, Generic, TypeVar

from core.document_text import ReadOnlyDocument

SCHEMA_VERSION = 1
HISTORY_LIMIT = 20  # most recent transitions kept (and saved); older ones are dropped

S = TypeVar("S", bound=Enum)
E = TypeVar("E", bound=Enum)


class IllegalTransition(ValueError):
    """An event that the transition table does not allow in the current state."""


@dataclass(frozen=True)
class ByPositions(Generic[S]):
    """A table target that depends on whether positions are held after the event."""

    flat: S
    holding: S

    def resolve(self, has_positions: bool) -> S:
        return self.holding if has_positions else self.flat

    def states(self) -> tuple[S, S]:
        return (self.flat, self.holding)


@dataclass(frozen=True)
class Transition:
    """One applied event: when, from which state, which event, to which state, and why."""

    time: datetime
    from_state: Enum
    event: Enum
    to_state: Enum
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.document)

    @cached_property
    def document(self) -> ReadOnlyDocument:
        """The JSON document, built once and shared, read-only (a transition never changes; machines
        are saved often and its text is kept)."""
        return ReadOnlyDocument({"time": self.time.isoformat(), "from": self.from_state.value, "event": self.event.value,
                "to": self.to_state.value, "reason": self.reason})

    @staticmethod
    def from_dict(data: Mapping[str, Any], state_type: type[Enum], event_type: type[Enum]) -> Transition:
        return Transition(datetime.fromisoformat(data["time"]), state_type(data["from"]),
                          event_type(data["event"]), state_type(data["to"]), data.get("reason", ""))


Table = Mapping[tuple[S, E], "S | ByPositions[S]"]


class StateMachine(Generic[S, E]):
    """A state machine driven by an explicit `{(state, event): next_state}` table.

    `table` values are a state or a `ByPositions` choice; `now` is the time the machine starts in
    `initial` (None when unknown: then no time-out runs until the first change of state); `name`
    appears in messages and persistence; the last `history_limit` transitions are kept.

    For a `ByPositions` target the caller passes `has_positions`; when it does not, the machine
    uses its own belief: the branch of the resting state it was last in (so a failed entry returns
    to IDLE or MANAGING, whichever it came from), and there is no default before any rest.

    Raises:
        TypeError: `now` is not a datetime (or None) or `initial` is not a state of the table.
    """

    def __init__(self, table: Table, initial: S, now: datetime | None = None, name: str = "",
                 history_limit: int = HISTORY_LIMIT) -> None:
        if not table:
            raise ValueError("transition table must not be empty")
        if now is not None and not isinstance(now, datetime):
            raise TypeError(f"state machine {name!r}: start time must be a datetime, got {now!r}")
        self._table = table
        self._state_type, self._event_type = _enum_types(table)
        if not isinstance(initial, self._state_type):
            raise TypeError(f"state machine {name!r}: initial state {initial!r} is not a "
                            f"{self._state_type.__name__}")
        branches = [t for t in table.values() if isinstance(t, ByPositions)]
        self._rest_belief: dict[Enum, bool] = {**{b.flat: False for b in branches},
                                               **{b.holding: True for b in branches}}
        self.name = name
        self._state: S = initial
        self._entered_at = now
        self.holding: bool | None = self._rest_belief.get(initial)
        self._history: deque[Transition] = deque(maxlen=history_limit)
        self._history_documents: list[dict[str, Any]] | None = None  # to_dict's, until the history changes

    @property
    def state(self) -> S:
        return self._state

    @property
    def entered_at(self) -> datetime | None:
        """Time the current state was entered (self-loops do not change it); None if unknown."""
        return self._entered_at

    @property
    def history(self) -> tuple[Transition, ...]:
        """The most recent transitions, oldest first."""
        return tuple(self._history)

    def allows(self, event: E) -> bool:
        """True when `(state, event)` is in the table."""
        return isinstance(event, self._event_type) and (self._state, event) in self._table

    def apply(self, event: E, now: datetime, reason: str = "", has_positions: bool | None = None) -> S:
        """Apply `event` at `now` and return the new state.

        Raises:
            IllegalTransition: `(state, event)` is not in the table (the state is unchanged).
            TypeError: `now` is not a datetime.
            ValueError: `now` is before the time the state was entered (or mixes naive and aware
                times), or the target depends on positions and neither `has_positions` nor a
                belief is available.
        """
        self._check_time(now)
        target = self._table.get((self._state, event)) if self.allows(event) else None
        if target is None:
            raise IllegalTransition(f"{self._label()}: event {_text(event)} is not allowed in state "
                                    f"{_text(self._state)}")
        if isinstance(target, ByPositions):
            holding = self.holding if has_positions is None else bool(has_positions)
            if holding is None:
                raise ValueError(f"{self._label()}: event {_text(event)} in state {_text(self._state)} needs "
                                 "has_positions (the next state depends on open positions)")
            target = target.resolve(holding)
        self._history.append(Transition(now, self._state, event, target, reason))
        self._history_documents = None
        if target != self._state:
            self._state = target
            self._entered_at = now
            self.holding = self._rest_belief.get(target, self.holding)
        return target

    def timed_out(self, now: datetime, timeout: timedelta) -> bool:
        """True when the machine has been in its current state for longer than `timeout`
        (False while the entry time is unknown).

        Raises:
            ValueError: `timeout` is not a non-negative timedelta, or `now` is before `entered_at`.
        """
        if not isinstance(timeout, timedelta) or timeout < timedelta(0):
            raise ValueError(f"{self._label()}: timeout must be a non-negative timedelta, got {timeout!r}")
        self._check_time(now)
        return self._entered_at is not None and now - self._entered_at > timeout

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready document of the state, its entry time and the recent history (schema 1)."""
        return {"schema": SCHEMA_VERSION, "name": self.name, "state": self._state.value,
                "entered_at": self._entered_at.isoformat() if self._entered_at else None,
                "holding": self.holding, "history": list(self._history_document())}

    def _history_document(self) -> list[dict[str, Any]]:
        """The history as JSON documents (shared with the transitions: read-only), rebuilt only after
        the history changed."""
        if self._history_documents is None:
            self._history_documents = [transition.document for transition in self._history]
        return self._history_documents

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], table: Table) -> StateMachine[Any, Any]:
        """Restore a machine saved by `to_dict`, driven by `table`.

        Raises:
            ValueError: unknown schema version, or a state/event not in the table's enums.
        """
        machine: StateMachine[Any, Any] = StateMachine(table, _enum_types(table)[0](data["state"]),
                                                       name=data.get("name", ""))
        machine._restore(data)
        return machine

    def _restore(self, data: Mapping[str, Any]) -> None:
        if data.get("schema") != SCHEMA_VERSION:
            raise ValueError(f"{self._label()}: unsupported state schema {data.get('schema')!r} "
                             f"(expected {SCHEMA_VERSION})")
        self._state = self._state_type(data["state"])  # type: ignore[assignment]  # a member of S
        entered_at = data.get("entered_at")
        self._entered_at = datetime.fromisoformat(entered_at) if entered_at else None
        self.holding = data.get("holding")
        self._history_documents = None
        self._history.clear()
        self._history.extend(Transition.from_dict(item, self._state_type, self._event_type)
                             for item in data.get("history", []))

    def _check_time(self, now: datetime) -> None:
        if not isinstance(now, datetime):
            raise TypeError(f"{self._label()}: now must be a datetime, got {now!r}")
        if self._entered_at is None:
            return
        if (now.tzinfo is None) != (self._entered_at.tzinfo is None):
            raise ValueError(f"{self._label()}: now={now.isoformat()} mixes naive and timezone-aware times "
                             f"with entered_at={self._entered_at.isoformat()}")
        if now < self._entered_at:
            raise ValueError(f"{self._label()}: now={now.isoformat()} is before the state was entered "
                             f"({self._entered_at.isoformat()})")

    def _label(self) -> str:
        return f"state machine {self.name!r}" if self.name else "state machine"


def _enum_types(table: Table) -> tuple[type[Enum], type[Enum]]:
    state, event = next(iter(table))
    return type(state), type(event)


def _text(member: object) -> str:
    return str(getattr(member, "value", member))


def table_targets(table: Table) -> set[Enum]:
    """Every state a table can lead to (both branches of `ByPositions`)."""
    targets: set[Enum] = set()
    for target in table.values():
        targets.update(target.states() if isinstance(target, ByPositions) else (target,))
    return targets
