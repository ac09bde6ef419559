"""Tests of core/strategy_lifecycle.py: the strategy table, auto-recovery, error limit, persistence."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config.framework_parameters import RiskParameters
from core.position_lifecycle import POSITION_TRANSITIONS
from core.state_machine import ByPositions, IllegalTransition, table_targets
from core.strategy_lifecycle import (
    RECOVERY_ACTIONS,
    STRATEGY_TRANSITIONS,
    StrategyEvent,
    StrategyState,
    StrategyStateMachine,
)

ET = ZoneInfo("America/New_York")
T0 = datetime(2024, 8, 2, 10, 30, tzinfo=ET)
Ev, St = StrategyEvent, StrategyState


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def test_full_cycle_goes_round_and_is_recorded() -> None:
    machine = StrategyStateMachine("zero_dte", now=T0)
    steps = [(Ev.WINDOW_OPEN, St.ANALYZING), (Ev.CONDITIONS_MET, St.ANALYZING),
             (Ev.ORDER_SUBMITTED, St.ENTERING), (Ev.PARTIALLY_FILLED, St.ENTERING),
             (Ev.FILLED, St.MANAGING), (Ev.TARGET_HIT, St.EXITING), (Ev.ORDER_SUBMITTED, St.EXITING),
             (Ev.POSITIONS_CLOSED, St.IDLE)]
    for i, (event, expected) in enumerate(steps):
        assert machine.apply(event, minutes(i), reason=f"step {i}") == expected
    assert machine.state == St.IDLE
    assert [t.to_state for t in machine.history] == [s for _, s in steps]
    assert machine.history[2].from_state == St.ANALYZING and machine.history[2].reason == "step 2"
    assert machine.entered_at == minutes(7)


def test_failed_entry_returns_to_idle_or_managing_by_positions() -> None:
    machine = StrategyStateMachine(now=T0)
    machine.apply(Ev.WINDOW_OPEN, T0)
    assert machine.apply(Ev.CONDITIONS_FAILED, minutes(1), has_positions=True) == St.MANAGING  # caller knows
    machine = StrategyStateMachine(now=T0, initial=St.MANAGING)
    assert machine.apply(Ev.WINDOW_OPEN, T0) == St.ANALYZING  # holding and looking for another entry
    assert machine.apply(Ev.RISK_DENIED, minutes(1), has_positions=False) == St.IDLE
    # without has_positions the machine returns to the resting state it came from
    machine.apply(Ev.WINDOW_OPEN, minutes(2))
    assert machine.apply(Ev.DATA_STALE, minutes(2)) == St.IDLE
    machine = StrategyStateMachine(now=T0, initial=St.MANAGING)
    machine.apply(Ev.WINDOW_OPEN, minutes(2))
    machine.apply(Ev.ORDER_SUBMITTED, minutes(2))
    assert machine.apply(Ev.REJECTED, minutes(3)) == St.MANAGING
    machine = StrategyStateMachine(now=T0)
    machine.apply(Ev.WINDOW_OPEN, T0)
    machine.apply(Ev.ORDER_SUBMITTED, T0)
    machine.apply(Ev.PARTIALLY_FILLED, minutes(1))
    assert machine.holding is True  # a partial entry fill means positions are held
    assert machine.apply(Ev.CANCELLED, minutes(2)) == St.MANAGING


def test_regime_change_is_recorded_and_never_forces_a_state() -> None:
    machine = StrategyStateMachine(now=T0, initial=St.MANAGING)
    assert machine.allows(Ev.REGIME_CHANGE)
    assert machine.apply(Ev.REGIME_CHANGE, minutes(1), "regime HIGH") == St.MANAGING
    assert machine.entered_at == T0 and machine.history[-1].reason == "regime HIGH"
    assert machine.apply(Ev.EXIT_SIGNAL, minutes(2), "HIGH: close futures strangles") == St.EXITING
    assert not machine.allows(Ev.REGIME_CHANGE)  # an exit order is working: the caller must not broadcast


def test_machine_without_a_start_time_has_no_timeout_until_it_moves() -> None:
    machine = StrategyStateMachine("ipmcc")
    assert machine.entered_at is None and machine.recovery_due(T0) is None
    machine.apply(Ev.WINDOW_OPEN, T0)
    machine.apply(Ev.ORDER_SUBMITTED, minutes(1))
    assert machine.recovery_due(minutes(32)) == "cancel_and_reconcile"


@pytest.mark.parametrize("working_state_event", [Ev.ORDER_SUBMITTED, Ev.TARGET_HIT])
def test_waiting_on_market_past_timeout_cancels_and_reconciles(working_state_event: StrategyEvent) -> None:
    if working_state_event == Ev.ORDER_SUBMITTED:
        machine = StrategyStateMachine(now=T0)
        machine.apply(Ev.WINDOW_OPEN, T0)
        expected_state, holding = St.ENTERING, False
    else:
        machine = StrategyStateMachine(now=T0, initial=St.MANAGING)
        expected_state, holding = St.EXITING, True
    machine.apply(working_state_event, T0)
    assert machine.state == expected_state
    assert machine.recovery_due(minutes(30)) is None
    assert machine.recovery_due(minutes(30.5)) == "cancel_and_reconcile"
    with pytest.raises(ValueError, match="no recovery due"):
        machine.recover(minutes(29), has_positions=holding)
    assert machine.recover(minutes(31), has_positions=holding) == (St.MANAGING if holding else St.IDLE)
    assert machine.history[-1].event == Ev.TIMEOUT


def test_error_recovers_after_timeout_and_three_errors_suspend_until_next_session() -> None:
    machine = StrategyStateMachine("lt112", now=T0)
    assert machine.apply(Ev.ERROR, T0, "chain missing") == St.ERROR
    assert machine.recovery_due(minutes(10)) is None
    assert machine.recovery_due(minutes(31)) == "error_recovery"
    assert machine.recover(minutes(31), has_positions=True) == St.MANAGING
    assert machine.apply(Ev.ERROR, minutes(40)) == St.ERROR
    assert machine.errors_in_session == 2
    assert machine.apply(Ev.ERROR, minutes(41)) == St.SUSPENDED  # third error in the session
    assert [t.event for t in machine.history[-2:]] == [Ev.ERROR, Ev.ERROR_LIMIT]
    assert machine.recovery_due(minutes(500)) is None  # suspension is not auto-recovered
    assert machine.apply(Ev.ERROR, minutes(42)) == St.SUSPENDED
    with pytest.raises(IllegalTransition):
        machine.apply(Ev.WINDOW_OPEN, minutes(43))
    assert machine.on_session_start(date(2024, 8, 5), has_positions=False) is True
    assert machine.state == St.IDLE
    assert machine.errors_in_session == 0 and machine.session_day == date(2024, 8, 5)
    assert machine.entered_at == datetime(2024, 8, 5, 0, 0, tzinfo=ET)
    machine.apply(Ev.ERROR, datetime(2024, 8, 5, 10, 0, tzinfo=ET))
    assert machine.on_session_start(date(2024, 8, 5)) is False  # same day again: nothing changes
    assert machine.state == St.ERROR
    assert machine.errors_in_session == 1
    with pytest.raises(ValueError, match="before"):
        machine.on_session_start(date(2024, 8, 2))


def test_error_limit_follows_risk_parameters() -> None:
    machine = StrategyStateMachine(now=T0, risk=RiskParameters(max_errors_per_session=1, recovery_timeout_minutes=5))
    assert machine.apply(Ev.ERROR, T0) == St.SUSPENDED
    machine = StrategyStateMachine(now=T0, risk=RiskParameters(recovery_timeout_minutes=5))
    machine.apply(Ev.ERROR, T0)
    assert machine.recovery_due(minutes(5.5)) == "error_recovery"


def test_strategy_machine_round_trips_through_json() -> None:
    machine = StrategyStateMachine("futures_strangle", now=T0)
    machine.on_session_start(date(2024, 8, 2), now=T0)
    machine.apply(Ev.ERROR, minutes(1), "broker timeout")
    document = json.loads(json.dumps(machine.to_dict()))
    assert document["schema"] == 1 and document["state"] == "ERROR"
    restored = StrategyStateMachine.from_dict(document)
    assert restored.state == St.ERROR and restored.entered_at == minutes(1)
    assert restored.errors_in_session == 1 and restored.session_day == date(2024, 8, 2)
    assert restored.history == machine.history and restored.name == "futures_strangle"
    assert restored.recovery_due(minutes(32)) == "error_recovery"
    with pytest.raises(ValueError, match="schema"):
        StrategyStateMachine.from_dict({**document, "schema": 2})
    with pytest.raises(ValueError, match="STRATEGY_TRANSITIONS"):
        StrategyStateMachine.from_dict(document, table=POSITION_TRANSITIONS)


def test_table_structure() -> None:
    # ERROR is reachable from every state except SUSPENDED (which records it and stays)
    for state in StrategyState:
        expected = St.SUSPENDED if state == St.SUSPENDED else St.ERROR
        assert STRATEGY_TRANSITIONS[(state, Ev.ERROR)] == expected
    # the only way into ENTERING from another state is submitting an order; recovery never leads there
    into_entering = {key for key, target in STRATEGY_TRANSITIONS.items()
                     if key[0] != St.ENTERING and St.ENTERING in table_targets({key: target})}
    assert into_entering == {(St.ANALYZING, Ev.ORDER_SUBMITTED)}
    recovery_events = {event for _, event in RECOVERY_ACTIONS.values()} | {Ev.SESSION_START, Ev.ERROR_LIMIT}
    for (state, event), target in STRATEGY_TRANSITIONS.items():
        if event in recovery_events:
            assert table_targets({(state, event): target}) <= {St.IDLE, St.MANAGING, St.SUSPENDED}
    # every strategy state is reachable
    assert table_targets(STRATEGY_TRANSITIONS) == set(StrategyState)
    assert isinstance(STRATEGY_TRANSITIONS[(St.ENTERING, Ev.CANCELLED)], ByPositions)


def _expected(state: StrategyState, event: StrategyEvent, holding: bool | None,
              belief: bool | None) -> StrategyState | None:
    target = STRATEGY_TRANSITIONS.get((state, event))
    if isinstance(target, ByPositions):
        return target.resolve(belief if holding is None else holding)  # type: ignore[arg-type]
    return target


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(list(StrategyEvent)), st.sampled_from([None, True, False]),
                          st.integers(0, 45), st.booleans()), max_size=30))
def test_random_event_sequences_follow_the_table(
        steps: list[tuple[StrategyEvent, bool | None, int, bool]]) -> None:
    machine = StrategyStateMachine(now=T0)
    now, errors, belief = T0, 0, False
    for event, holding, step_minutes, try_recovery in steps:
        now += timedelta(minutes=step_minutes)
        if try_recovery:
            due = machine.recovery_due(now)
            assert (due is not None) == (machine.state in RECOVERY_ACTIONS
                                         and now - machine.entered_at > timedelta(minutes=30))
            if due is not None:
                assert machine.recover(now, has_positions=holding) in (St.IDLE, St.MANAGING)
                assert machine.state != St.ENTERING
                belief = machine.state == St.MANAGING
        before_state, before_history = machine.state, machine.history
        expected = _expected(before_state, event, holding, belief)
        if expected is None:
            with pytest.raises(IllegalTransition):
                machine.apply(event, now, has_positions=holding)
            assert machine.state == before_state and machine.history == before_history
            continue
        result = machine.apply(event, now, has_positions=holding)
        errors = errors + 1 if event == Ev.ERROR else errors
        if event == Ev.ERROR and expected == St.ERROR and errors >= 3:
            expected = St.SUSPENDED
        assert result == expected == machine.state
        assert machine.history[-1].to_state == result
        assert machine.errors_in_session == errors
        if result in (St.IDLE, St.MANAGING) and result != before_state:
            belief = result == St.MANAGING
        if before_state == St.ENTERING and event == Ev.PARTIALLY_FILLED:
            belief = True
        assert machine.holding == belief
