"""Strategy lifecycle (SPEC section 7): states, events, transition table and auto-recovery.

Every strategy runs a `StrategyStateMachine` driven by `STRATEGY_TRANSITIONS`. Where the next state
depends on whether positions are still held (a failed entry, a finished exit, a recovery), the
table uses `REST`: IDLE when flat, MANAGING when holding. `RECOVERY_ACTIONS` names what
auto-recovery must do in ENTERING, EXITING and ERROR and the event that completes it.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from enum import Enum
from typing import Any

from config.framework_parameters import RiskParameters
from core.state_machine import ByPositions, StateMachine, Table


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
