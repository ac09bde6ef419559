"""State machines with explicit transition tables (SPEC section 7, DESIGN section 4).

A table maps `(state, event)` to the next state. `StateMachine.apply` is the one entry point; a pair
that is not in the table raises `IllegalTransition` and leaves the machine unchanged. Where the next
state depends on whether positions are still held (a failed entry, a finished exit, a recovery),
the table says so with `ByPositions(flat=..., holding=...)`: the caller passes `has_positions`, or
the machine uses its belief (the resting state it came from; see `StateMachine`).

`entered_at` is the time the current state was entered; a self-loop (an event that keeps the state)
is recorded in the history but does not restart the clock, so time-outs measure time in the state.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import Enum
from typing import Any, Generic, TypeVar

from config.strategy_parameters import RiskParameters

SCHEMA_VERSION = 1
HISTORY_LIMIT = 50

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
        return {"time": self.time.isoformat(), "from": self.from_state.value, "event": self.event.value,
                "to": self.to_state.value, "reason": self.reason}

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
                "holding": self.holding, "history": [transition.to_dict() for transition in self._history]}

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


# --- Strategy lifecycle ---------------------------------------------------------------------------


class StrategyState(str, Enum):
    """What a strategy is doing. MANAGING: it holds positions and has no order working."""

    IDLE = "IDLE"  # flat, waiting for a schedule window
    ANALYZING = "ANALYZING"  # checking entry conditions; the intent goes to the sizer and risk gate
    ENTERING = "ENTERING"  # an opening order is working
    MANAGING = "MANAGING"  # positions open, nothing working
    EXITING = "EXITING"  # a closing or adjusting order is working
    ERROR = "ERROR"  # something failed; waits for reconciliation
    SUSPENDED = "SUSPENDED"  # too many errors this session; waits for the next session


class StrategyEvent(str, Enum):
    """Events a strategy reacts to."""

    WINDOW_OPEN = "WINDOW_OPEN"
    CONDITIONS_MET = "CONDITIONS_MET"
    CONDITIONS_FAILED = "CONDITIONS_FAILED"
    RISK_DENIED = "RISK_DENIED"
    DATA_STALE = "DATA_STALE"
    ORDER_SUBMITTED = "ORDER_SUBMITTED"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"
    TIMEOUT = "TIMEOUT"
    TARGET_HIT = "TARGET_HIT"
    STOP_HIT = "STOP_HIT"
    TIME_EXIT = "TIME_EXIT"
    EXIT_SIGNAL = "EXIT_SIGNAL"  # any other exit: regime rule, defensive rule, drawdown liquidation
    REGIME_CHANGE = "REGIME_CHANGE"
    ADJUST = "ADJUST"
    POSITIONS_CLOSED = "POSITIONS_CLOSED"
    ERROR = "ERROR"
    ERROR_LIMIT = "ERROR_LIMIT"
    RECOVERED = "RECOVERED"
    SESSION_START = "SESSION_START"


_St, _Ev = StrategyState, StrategyEvent
REST = ByPositions(flat=_St.IDLE, holding=_St.MANAGING)  # back to rest: IDLE when flat, else MANAGING

STRATEGY_TRANSITIONS: dict[tuple[StrategyState, StrategyEvent], StrategyState | ByPositions[StrategyState]] = {
    # look for an entry (also while holding: ladder rungs, IPMCC short calls, several structures)
    (_St.IDLE, _Ev.WINDOW_OPEN): _St.ANALYZING,
    (_St.MANAGING, _Ev.WINDOW_OPEN): _St.ANALYZING,
    (_St.ANALYZING, _Ev.CONDITIONS_MET): _St.ANALYZING,  # intent proposed to the sizer and risk gate
    (_St.ANALYZING, _Ev.CONDITIONS_FAILED): REST,
    (_St.ANALYZING, _Ev.RISK_DENIED): REST,
    (_St.ANALYZING, _Ev.DATA_STALE): REST,
    (_St.ANALYZING, _Ev.REGIME_CHANGE): REST,  # re-evaluate under the new regime
    (_St.IDLE, _Ev.REGIME_CHANGE): _St.IDLE,  # recorded; the strategy decides whether it matters
    (_St.MANAGING, _Ev.REGIME_CHANGE): _St.MANAGING,  # an exit it forces comes as EXIT_SIGNAL
    (_St.ANALYZING, _Ev.ORDER_SUBMITTED): _St.ENTERING,
    # opening order working
    (_St.ENTERING, _Ev.ORDER_SUBMITTED): _St.ENTERING,
    (_St.ENTERING, _Ev.PARTIALLY_FILLED): _St.ENTERING,
    (_St.ENTERING, _Ev.FILLED): _St.MANAGING,
    **{(_St.ENTERING, event): REST for event in (_Ev.REJECTED, _Ev.CANCELLED, _Ev.TIMEOUT)},
    # holding: exits and adjustments
    **{(_St.MANAGING, event): _St.EXITING
       for event in (_Ev.TARGET_HIT, _Ev.STOP_HIT, _Ev.TIME_EXIT, _Ev.EXIT_SIGNAL, _Ev.ADJUST)},
    (_St.MANAGING, _Ev.POSITIONS_CLOSED): _St.IDLE,  # expiry, assignment or reconciliation
    # closing or adjusting order working
    (_St.EXITING, _Ev.ORDER_SUBMITTED): _St.EXITING,
    (_St.EXITING, _Ev.PARTIALLY_FILLED): _St.EXITING,
    (_St.EXITING, _Ev.POSITIONS_CLOSED): _St.IDLE,
    **{(_St.EXITING, event): REST for event in (_Ev.FILLED, _Ev.REJECTED, _Ev.CANCELLED, _Ev.TIMEOUT)},
    # errors, suspension and recovery (recovery never leads into ENTERING)
    **{(state, _Ev.ERROR): _St.ERROR for state in _St if state != _St.SUSPENDED},
    (_St.ERROR, _Ev.ERROR_LIMIT): _St.SUSPENDED,
    (_St.ERROR, _Ev.RECOVERED): REST,  # after reconciling with the broker's positions
    (_St.SUSPENDED, _Ev.ERROR): _St.SUSPENDED,
    (_St.SUSPENDED, _Ev.SESSION_START): REST,
}

# Recovery actions reported by `StrategyStateMachine.recovery_due` and the event that completes each.
CANCEL_AND_RECONCILE = "cancel_and_reconcile"
ERROR_RECOVERY = "error_recovery"
RECOVERY_ACTIONS: dict[StrategyState, tuple[str, StrategyEvent]] = {
    _St.ENTERING: (CANCEL_AND_RECONCILE, _Ev.TIMEOUT),
    _St.EXITING: (CANCEL_AND_RECONCILE, _Ev.TIMEOUT),
    _St.ERROR: (ERROR_RECOVERY, _Ev.RECOVERED),
}


class StrategyStateMachine(StateMachine[StrategyState, StrategyEvent]):
    """A strategy's state machine with the auto-recovery rules of SPEC section 7.

    - ENTERING or EXITING for longer than `risk.recovery_timeout_minutes`: `recovery_due` returns
      "cancel_and_reconcile"; the caller cancels working orders, reconciles, then calls `recover`
      (TIMEOUT -> IDLE or MANAGING).
    - ERROR for longer than the time-out: "error_recovery"; after reconciling with the broker's
      actual positions, `recover` applies RECOVERED (-> IDLE or MANAGING).
    - The `risk.max_errors_per_session`-th ERROR in one session moves on to SUSPENDED
      (ERROR_LIMIT); `on_session_start` of a later day resets the count and leaves SUSPENDED.
    Recovery only ever leads to IDLE or MANAGING, never to ENTERING. A partial fill while ENTERING
    sets the position belief to holding.
    """

    def __init__(self, name: str = "", risk: RiskParameters | None = None, now: datetime | None = None,
                 initial: StrategyState = StrategyState.IDLE) -> None:
        super().__init__(STRATEGY_TRANSITIONS, initial, now, name=name)
        risk = risk if risk is not None else RiskParameters()
        self.timeout = timedelta(minutes=risk.recovery_timeout_minutes)
        self.max_errors = risk.max_errors_per_session
        self.errors_in_session = 0
        self.session_day: date | None = None

    def apply(self, event: StrategyEvent, now: datetime, reason: str = "",
              has_positions: bool | None = None) -> StrategyState:
        """Apply `event` (see `StateMachine.apply`); an ERROR is counted and the session's
        `max_errors`-th error is followed at once by ERROR_LIMIT (-> SUSPENDED)."""
        before = self.state
        state = super().apply(event, now, reason, has_positions)
        if before == StrategyState.ENTERING and event == StrategyEvent.PARTIALLY_FILLED:
            self.holding = True
        if event == StrategyEvent.ERROR:
            self.errors_in_session += 1
            if self.errors_in_session >= self.max_errors and state == StrategyState.ERROR:
                state = super().apply(StrategyEvent.ERROR_LIMIT, now, f"{self.errors_in_session} errors this session")
        return state

    def recovery_due(self, now: datetime) -> str | None:
        """What auto-recovery must do now: "cancel_and_reconcile", "error_recovery" or None."""
        action = RECOVERY_ACTIONS.get(self.state)
        if action is None or not self.timed_out(now, self.timeout):
            return None
        return action[0]

    def recover(self, now: datetime, has_positions: bool | None = None,
                reason: str = "auto-recovery") -> StrategyState:
        """Finish a due recovery after the caller cancelled orders and reconciled positions.

        Raises:
            ValueError: no recovery is due at `now`.
        """
        if self.recovery_due(now) is None:
            raise ValueError(f"{self._label()}: no recovery due in state {self.state.value} at {now.isoformat()}")
        return self.apply(RECOVERY_ACTIONS[self.state][1], now, reason, has_positions)

    def on_session_start(self, day: date, now: datetime | None = None, has_positions: bool | None = None) -> bool:
        """Start session `day`: reset the error count and leave SUSPENDED (to IDLE or MANAGING).

        Returns True when the machine left SUSPENDED. `now` defaults to midnight of `day` (in the
        timezone of `entered_at`). Calling it again for the same day does nothing.

        Raises:
            ValueError: `day` is before the current session day.
        """
        if self.session_day is not None and day <= self.session_day:
            if day < self.session_day:
                raise ValueError(f"{self._label()}: session day {day} is before {self.session_day}")
            return False
        tzinfo = self.entered_at.tzinfo if self.entered_at else None
        when = now if now is not None else datetime.combine(day, time(0, 0), tzinfo=tzinfo)
        resumed = self.state == StrategyState.SUSPENDED
        if resumed:
            self.apply(StrategyEvent.SESSION_START, when, f"session {day}", has_positions)
        self.session_day = day
        self.errors_in_session = 0
        return resumed

    def to_dict(self) -> dict[str, Any]:
        document = super().to_dict()
        document["errors_in_session"] = self.errors_in_session
        document["session_day"] = self.session_day.isoformat() if self.session_day else None
        return document

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], table: Table = STRATEGY_TRANSITIONS,
                  risk: RiskParameters | None = None) -> StrategyStateMachine:
        """Rebuild a strategy machine saved by `to_dict` (time-out and error limit from `risk`).

        Raises:
            ValueError: a table other than STRATEGY_TRANSITIONS, unknown schema version or unknown
                state/event names.
        """
        if table is not STRATEGY_TRANSITIONS:
            raise ValueError("StrategyStateMachine.from_dict: table must be STRATEGY_TRANSITIONS")
        machine = cls(data.get("name", ""), risk)
        machine._restore(data)
        machine.errors_in_session = int(data.get("errors_in_session", 0))
        session_day = data.get("session_day")
        machine.session_day = date.fromisoformat(session_day) if session_day else None
        return machine


# --- Position lifecycle ---------------------------------------------------------------------------


class PositionState(str, Enum):
    """Lifecycle of one position (one structure)."""

    PENDING_ENTRY = "PENDING_ENTRY"
    OPEN = "OPEN"
    ADJUSTING = "ADJUSTING"
    PENDING_EXIT = "PENDING_EXIT"
    CLOSED = "CLOSED"


class PositionEvent(str, Enum):
    """Events of a position's lifecycle."""

    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"
    ADJUST_SUBMITTED = "ADJUST_SUBMITTED"
    EXIT_SUBMITTED = "EXIT_SUBMITTED"
    EXPIRED = "EXPIRED"
    ASSIGNED = "ASSIGNED"
    CLOSED_EXTERNALLY = "CLOSED_EXTERNALLY"


_Ps, _Pe = PositionState, PositionEvent
HOLDING = ByPositions(flat=_Ps.CLOSED, holding=_Ps.OPEN)  # CLOSED when nothing is left, else OPEN

POSITION_TRANSITIONS: dict[tuple[PositionState, PositionEvent], PositionState | ByPositions[PositionState]] = {
    (_Ps.PENDING_ENTRY, _Pe.PARTIALLY_FILLED): _Ps.PENDING_ENTRY,
    (_Ps.PENDING_ENTRY, _Pe.FILLED): _Ps.OPEN,
    # a partial fill before a cancel or reject leaves an open position
    **{(_Ps.PENDING_ENTRY, event): HOLDING for event in (_Pe.REJECTED, _Pe.CANCELLED)},
    (_Ps.OPEN, _Pe.ADJUST_SUBMITTED): _Ps.ADJUSTING,
    (_Ps.OPEN, _Pe.EXIT_SUBMITTED): _Ps.PENDING_EXIT,
    # some legs may expire before others; an assignment may leave shares or futures
    **{(_Ps.OPEN, event): HOLDING for event in (_Pe.EXPIRED, _Pe.ASSIGNED)},
    (_Ps.ADJUSTING, _Pe.PARTIALLY_FILLED): _Ps.ADJUSTING,
    **{(_Ps.ADJUSTING, event): HOLDING for event in (_Pe.FILLED, _Pe.REJECTED, _Pe.CANCELLED, _Pe.ASSIGNED)},
    (_Ps.PENDING_EXIT, _Pe.PARTIALLY_FILLED): _Ps.PENDING_EXIT,
    # closing one side of a structure leaves the rest open
    **{(_Ps.PENDING_EXIT, event): HOLDING
       for event in (_Pe.FILLED, _Pe.REJECTED, _Pe.CANCELLED, _Pe.EXPIRED, _Pe.ASSIGNED)},
    # reconciliation found the position gone
    **{(state, _Pe.CLOSED_EXTERNALLY): _Ps.CLOSED for state in (_Ps.OPEN, _Ps.ADJUSTING, _Ps.PENDING_EXIT)},
}


def position_machine(now: datetime | None, position_id: str) -> StateMachine[PositionState, PositionEvent]:
    """A new position lifecycle in PENDING_ENTRY, started at `now`."""
    return StateMachine(POSITION_TRANSITIONS, PositionState.PENDING_ENTRY, now, name=position_id)
