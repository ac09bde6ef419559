"""Drawdown tiers, daily loss limit, losing streak and persistence of BreakerState."""
from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import pytest

from config.framework_parameters import RiskParameters
from risk.breakers import BreakerState

RISK = RiskParameters()
DAY = date(2024, 8, 1)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour)


def started(net_liq: float = 30_000.0) -> BreakerState:
    state = BreakerState(RISK)
    state.on_new_session(DAY, net_liq)
    return state


def test_fresh_session_allows_full_size() -> None:
    state = started()
    assert state.new_entries_allowed() == (True, "ok")
    assert state.size_multiplier() == 1.0
    assert state.drawdown == 0.0 and state.high_water_mark == 30_000.0


def test_drawdown_tiers_halve_then_stop() -> None:
    state = started(40_000.0)
    state.on_equity(at(DAY, 10), 36_400.0)  # -9%
    assert state.size_multiplier() == 1.0
    state.on_equity(at(DAY, 11), 36_000.0)  # exactly -10%
    assert state.size_multiplier() == 0.5
    assert state.new_entries_allowed() == (False, "daily_loss")  # -10% in one day is also a daily loss
    state.on_new_session(DAY + timedelta(days=1), 36_000.0)
    assert state.new_entries_allowed() == (True, "ok")
    state.on_equity(at(DAY + timedelta(days=1)), 34_000.0)  # -15% from 40,000, -5.6% today
    assert state.new_entries_allowed() == (False, "drawdown_stop")
    assert not state.liquidation_required()


def test_daily_loss_stops_entries_for_the_rest_of_the_day() -> None:
    state = started(30_000.0)
    state.on_equity(at(DAY, 10), 28_500.0)  # exactly -5%
    assert state.new_entries_allowed() == (False, "daily_loss")
    state.on_equity(at(DAY, 11), 29_900.0)  # recovers, still stopped today
    assert state.new_entries_allowed() == (False, "daily_loss")
    state.on_new_session(DAY + timedelta(days=1), 29_900.0)
    assert state.new_entries_allowed() == (True, "ok")


def test_three_losing_closes_in_a_row_stop_the_day() -> None:
    state = started()
    for pnl in (-100.0, -50.0, 20.0, -10.0, -10.0):
        state.on_position_closed(pnl)
    assert state.losing_streak == 2 and state.new_entries_allowed() == (True, "ok")
    state.on_position_closed(-1.0)
    assert state.new_entries_allowed() == (False, "losing_streak")
    state.on_position_closed(500.0)  # a later win does not lift the stop for the day
    assert state.new_entries_allowed() == (False, "losing_streak")
    state.on_new_session(DAY + timedelta(days=1), 30_000.0)
    assert state.losing_streak == 0 and state.new_entries_allowed() == (True, "ok")


def test_liquidation_fires_once_and_pauses_ten_sessions() -> None:
    state = started(50_000.0)
    state.on_equity(at(DAY, 10), 40_000.0)  # exactly -20%
    assert state.liquidation_pending
    assert state.liquidation_required() is True
    assert state.liquidation_required() is False
    state.on_equity(at(DAY, 11), 39_000.0)  # deeper: no second liquidation
    assert state.liquidation_required() is False
    assert state.new_entries_allowed() == (False, "entries_paused")
    day = DAY
    for session in range(1, 11):
        day += timedelta(days=1)
        state.on_new_session(day, 39_000.0)
        assert state.new_entries_allowed() == (False, "entries_paused"), session
    assert state.pause_sessions_remaining == 1
    day += timedelta(days=1)
    state.on_new_session(day, 39_000.0)
    # the pause is over and the high-water mark restarts, so the 15% tier does not block for ever
    assert state.new_entries_allowed() == (True, "ok")
    assert state.high_water_mark == 39_000.0
    state.on_equity(at(day), 31_200.0)  # -20% from the new mark re-arms the liquidation
    assert state.liquidation_required() is True


def test_validation_and_ordering() -> None:
    state = BreakerState(RISK)
    with pytest.raises(RuntimeError, match="on_new_session"):
        state.on_equity(at(DAY), 30_000.0)
    with pytest.raises(RuntimeError, match="on_new_session"):
        state.on_position_closed(-1.0)
    state.on_new_session(DAY, 30_000.0)
    with pytest.raises(ValueError, match="after the current session"):
        state.on_new_session(DAY, 30_000.0)
    with pytest.raises(ValueError, match="net_liq"):
        state.on_equity(at(DAY), math.nan)
    with pytest.raises(ValueError, match="pnl"):
        state.on_position_closed(math.inf)
    state.on_equity(at(DAY, 12), 30_000.0)
    with pytest.raises(ValueError, match="earlier"):
        state.on_equity(at(DAY, 11), 30_000.0)


def test_round_trip_through_a_dict() -> None:
    state = started(50_000.0)
    state.on_equity(at(DAY, 10), 39_000.0)
    state.on_position_closed(-10.0)
    data = state.to_dict()
    restored = BreakerState.from_dict(data, RISK)
    assert restored.to_dict() == data
    assert restored.liquidation_required() is True
    assert restored.new_entries_allowed() == (False, "entries_paused")
    with pytest.raises(ValueError, match="schema"):
        BreakerState.from_dict({**data, "schema": 7}, RISK)
    with pytest.raises(ValueError, match="losing_streak"):
        BreakerState.from_dict({k: v for k, v in data.items() if k != "losing_streak"}, RISK)
