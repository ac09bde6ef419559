"""Position lifecycle (SPEC section 7): one position (one structure) from entry to close.

`position_machine` starts a `StateMachine` on `POSITION_TRANSITIONS` in PENDING_ENTRY. Where the
next state depends on whether anything is still held after the event (a cancelled entry with a
partial fill, an expiry or assignment of some legs, a partial close), the table uses `HOLDING`:
CLOSED when nothing is left, else OPEN.
"""
from __future__ import annotations

from datetime import datetime
from enum import Enum

from core.state_machine import ByPositions, StateMachine


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
