"""Account phases: raw table lookup, hysteresis at the daily close, futures size, persistence."""
from __future__ import annotations

import math
from datetime import date

import pytest

from risk.account_phases import (
    FULL_SIZE_FUTURES_ROOTS,
    PhaseTracker,
    futures_size_allowed,
    phase_for,
    phase_rule,
    root_size_allowed,
)


@pytest.mark.parametrize(("net_liq", "phase"), [
    (-5_000.0, 1), (0.0, 1), (30_000.0, 1), (38_099.99, 1), (38_100.0, 2), (50_799.0, 2),
    (50_800.0, 3), (76_199.0, 3), (76_200.0, 4), (5_000_000.0, 4),
])
def test_phase_for_is_the_raw_table_lookup(net_liq: float, phase: int) -> None:
    assert phase_for(net_liq) == phase


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_phase_for_rejects_non_finite(bad: float) -> None:
    with pytest.raises(ValueError, match="net_liq"):
        phase_for(bad)


def test_phase_rule_rows() -> None:
    assert (phase_rule(1).max_positions, phase_rule(1).max_buying_power) == (3, 0.50)
    assert (phase_rule(4).max_positions, phase_rule(4).max_buying_power) == (15, 0.80)
    with pytest.raises(ValueError, match="phase"):
        phase_rule(5)


def test_full_size_futures_from_75k() -> None:
    assert FULL_SIZE_FUTURES_ROOTS == {"ES", "NQ", "CL", "GC"}
    assert futures_size_allowed(74_999.99) == "micro"
    assert futures_size_allowed(75_000.0) == "full"
    assert not root_size_allowed("ES", 30_000.0)
    assert root_size_allowed("ES", 80_000.0)
    assert root_size_allowed("MES", 30_000.0)
    assert root_size_allowed("SPY", 30_000.0)


def test_tracker_needs_five_percent_past_the_boundary_going_up() -> None:
    tracker = PhaseTracker.start(30_000.0, 0.05)
    assert tracker.phase == 1
    # across 38,100 but not by 5% (38,100 * 1.05 = 40,005)
    assert tracker.on_daily_close(40_000.0, date(2024, 1, 2)) is None
    assert tracker.phase == 1
    change = tracker.on_daily_close(40_005.0, date(2024, 1, 3))
    assert change is not None
    assert (change.old_phase, change.new_phase, change.boundary) == (1, 2, 38_100.0)
    assert "1 -> 2 (up)" in change.reason
    assert tracker.phase == 2


def test_tracker_needs_five_percent_below_the_boundary_going_down() -> None:
    tracker = PhaseTracker(2, 0.05)
    # below 38,100 but not by 5% (38,100 * 0.95 = 36,195)
    assert tracker.on_daily_close(36_195.0, date(2024, 1, 2)) is None
    assert tracker.phase == 2
    change = tracker.on_daily_close(36_194.0, date(2024, 1, 3))
    assert change is not None and (change.old_phase, change.new_phase) == (2, 1)


def test_tracker_can_cross_several_phases_in_one_close() -> None:
    tracker = PhaseTracker(1, 0.05)
    # 80,000 is past 50,800 * 1.05 = 53,340 but not past 76,200 * 1.05 = 80,010
    change = tracker.on_daily_close(80_000.0, date(2024, 1, 2))
    assert change is not None and change.new_phase == 3
    change = tracker.on_daily_close(20_000.0, date(2024, 1, 3))
    assert change is not None and (change.old_phase, change.new_phase, change.boundary) == (3, 1, 38_100.0)


def test_tracker_rejects_days_going_backwards_and_bad_values() -> None:
    tracker = PhaseTracker(1, 0.05)
    tracker.on_daily_close(30_000.0, date(2024, 1, 5))
    with pytest.raises(ValueError, match="before the last processed close"):
        tracker.on_daily_close(30_000.0, date(2024, 1, 4))
    with pytest.raises(ValueError, match="net_liq"):
        tracker.on_daily_close(math.nan, date(2024, 1, 6))
    with pytest.raises(ValueError, match="hysteresis"):
        PhaseTracker(1, 1.5)
    with pytest.raises(ValueError, match="phase"):
        PhaseTracker(0, 0.05)


def test_tracker_round_trips_through_a_dict() -> None:
    tracker = PhaseTracker.start(30_000.0, 0.05)
    tracker.on_daily_close(41_000.0, date(2024, 2, 1))
    data = tracker.to_dict()
    assert data == {"schema": 1, "phase": 2, "last_close_day": "2024-02-01"}
    restored = PhaseTracker.from_dict(data, 0.05)
    assert (restored.phase, restored.last_close_day) == (2, date(2024, 2, 1))
    with pytest.raises(ValueError, match="schema"):
        PhaseTracker.from_dict({"schema": 99, "phase": 1}, 0.05)
