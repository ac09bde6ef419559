"""Tests of core/position_lifecycle.py: the position table, its belief rule and persistence."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.position_lifecycle import POSITION_TRANSITIONS, PositionEvent, PositionState, position_machine
from core.state_machine import ByPositions, IllegalTransition, StateMachine, table_targets

ET = ZoneInfo("America/New_York")
T0 = datetime(2024, 8, 2, 10, 30, tzinfo=ET)


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def test_position_belief_is_required_where_there_is_none() -> None:
    position = position_machine(T0, "pos-0")
    with pytest.raises(ValueError, match="needs has_positions"):
        position.apply(PositionEvent.CANCELLED, minutes(1))
    assert position.state == PositionState.PENDING_ENTRY and position.history == ()


def test_position_lifecycle() -> None:
    position = position_machine(T0, "pos-1")
    assert position.state == PositionState.PENDING_ENTRY
    assert position.apply(PositionEvent.PARTIALLY_FILLED, minutes(1)) == PositionState.PENDING_ENTRY
    assert position.apply(PositionEvent.FILLED, minutes(2)) == PositionState.OPEN
    assert position.apply(PositionEvent.ADJUST_SUBMITTED, minutes(3)) == PositionState.ADJUSTING
    assert position.apply(PositionEvent.FILLED, minutes(4), has_positions=True) == PositionState.OPEN
    assert position.apply(PositionEvent.EXIT_SUBMITTED, minutes(5)) == PositionState.PENDING_EXIT
    assert position.apply(PositionEvent.FILLED, minutes(6), has_positions=True) == PositionState.OPEN  # one side
    position.apply(PositionEvent.EXIT_SUBMITTED, minutes(7))
    assert position.apply(PositionEvent.FILLED, minutes(8), has_positions=False) == PositionState.CLOSED
    for event in PositionEvent:  # CLOSED is terminal
        with pytest.raises(IllegalTransition):
            position.apply(event, minutes(9), has_positions=False)
    restored = StateMachine.from_dict(json.loads(json.dumps(position.to_dict())), POSITION_TRANSITIONS)
    assert restored.state == PositionState.CLOSED and restored.history == position.history
    cancelled = position_machine(T0, "pos-2")
    assert cancelled.apply(PositionEvent.CANCELLED, minutes(1), has_positions=False) == PositionState.CLOSED


def test_position_table_reaches_every_state() -> None:
    assert table_targets(POSITION_TRANSITIONS) == set(PositionState)


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(list(PositionEvent)), st.booleans()), max_size=30))
def test_random_position_events_follow_the_table(steps: list[tuple[PositionEvent, bool]]) -> None:
    machine = position_machine(T0, "p")
    for i, (event, holding) in enumerate(steps):
        before = machine.state
        target = POSITION_TRANSITIONS.get((before, event))
        if target is None:
            with pytest.raises(IllegalTransition):
                machine.apply(event, minutes(i), has_positions=holding)
            assert machine.state == before
        else:
            expected = target.resolve(holding) if isinstance(target, ByPositions) else target
            assert machine.apply(event, minutes(i), has_positions=holding) == expected
