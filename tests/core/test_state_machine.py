"""Tests of core/state_machine.py: illegal transitions, entry times and time-outs, time checks and
history, exercised through the strategy lifecycle's table."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.position_lifecycle import PositionEvent
from core.state_machine import IllegalTransition
from core.strategy_lifecycle import StrategyEvent, StrategyState, StrategyStateMachine

ET = ZoneInfo("America/New_York")
T0 = datetime(2024, 8, 2, 10, 30, tzinfo=ET)
Ev, St = StrategyEvent, StrategyState


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def test_illegal_transition_raises_and_keeps_state() -> None:
    machine = StrategyStateMachine(now=T0)
    assert issubclass(IllegalTransition, ValueError)
    with pytest.raises(IllegalTransition, match="FILLED is not allowed in state IDLE"):
        machine.apply(Ev.FILLED, minutes(1))
    assert machine.state == St.IDLE and machine.history == () and machine.entered_at == T0
    with pytest.raises(IllegalTransition):
        machine.apply("WINDOW_OPEN", minutes(1))  # type: ignore[arg-type]  # a string is not an event
    with pytest.raises(IllegalTransition):
        machine.apply(PositionEvent.FILLED, minutes(1))  # type: ignore[arg-type]  # another table's event


def test_self_loop_keeps_entry_time_and_timeout_boundary() -> None:
    machine = StrategyStateMachine(now=T0)
    machine.apply(Ev.WINDOW_OPEN, T0)
    machine.apply(Ev.ORDER_SUBMITTED, minutes(1))
    machine.apply(Ev.PARTIALLY_FILLED, minutes(20))
    assert machine.entered_at == minutes(1)
    assert not machine.timed_out(minutes(31), timedelta(minutes=30))  # exactly 30 minutes: not yet
    assert machine.timed_out(minutes(31) + timedelta(seconds=1), timedelta(minutes=30))
    with pytest.raises(ValueError, match="non-negative timedelta"):
        machine.timed_out(minutes(40), 30)  # type: ignore[arg-type]


def test_time_must_not_go_backwards_or_mix_timezones() -> None:
    machine = StrategyStateMachine(now=T0)
    machine.apply(Ev.WINDOW_OPEN, minutes(10))
    with pytest.raises(ValueError, match="before the state was entered"):
        machine.apply(Ev.CONDITIONS_FAILED, minutes(5), has_positions=False)
    with pytest.raises(ValueError, match="naive and timezone-aware"):
        machine.apply(Ev.CONDITIONS_FAILED, datetime(2024, 8, 2, 11, 0), has_positions=False)
    with pytest.raises(TypeError):
        machine.apply(Ev.CONDITIONS_FAILED, "2024-08-02T11:00", has_positions=False)  # type: ignore[arg-type]
    assert machine.state == St.ANALYZING


def test_history_is_bounded_to_the_last_20() -> None:
    machine = StrategyStateMachine(now=T0)
    machine.apply(Ev.WINDOW_OPEN, T0)
    for i in range(120):
        machine.apply(Ev.CONDITIONS_MET, minutes(i), reason=str(i))
    assert len(machine.history) == 20
    assert machine.history[-1].reason == "119" and machine.history[0].reason == "100"
