"""Tests of core/vix_manager.py: the regime table, usability, spikes, spike budget, persistence."""
from __future__ import annotations

import json
import math
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config.constants import REGIME_TABLE, Regime
from config.framework_parameters import VixParameters
from core.vix_history import RegimeChange
from core.vix_manager import VixManager, regime_for, regime_rule, regime_table, spike_deployment_budget

ET = ZoneInfo("America/New_York")
PARAMS = VixParameters()
DAY = date(2024, 8, 5)


def at(hour: int, minute: int, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ET)


@pytest.mark.parametrize(("vix", "expected"), [
    (5.0, Regime.EXTREMELY_LOW), (11.99, Regime.EXTREMELY_LOW), (12.0, Regime.LOW), (15.99, Regime.LOW),
    (16.0, Regime.NORMAL), (19.99, Regime.NORMAL), (20.0, Regime.ELEVATED), (24.99, Regime.ELEVATED),
    (25.0, Regime.VOLATILE), (29.99, Regime.VOLATILE), (30.0, Regime.HIGH), (34.99, Regime.HIGH),
    (35.0, Regime.EXTREME), (82.69, Regime.EXTREME)])
def test_regime_boundaries_exclusive_below_inclusive_above(vix: float, expected: Regime) -> None:
    assert regime_for(vix, PARAMS) == expected


def test_high_and_extreme_bounds_come_from_the_parameters() -> None:
    params = VixParameters(high=28.0, extreme=40.0)
    assert regime_for(27.99, params) == Regime.VOLATILE
    assert regime_for(28.0, params) == Regime.HIGH
    assert regime_for(39.99, params) == Regime.HIGH
    assert regime_for(40.0, params) == Regime.EXTREME
    table = regime_table(params)
    assert [rule.lower_bound for rule in table][-2:] == [28.0, 40.0]
    assert [(r.max_buying_power, r.size_multiplier) for r in table] == \
        [(r.max_buying_power, r.size_multiplier) for r in REGIME_TABLE]
    assert regime_rule(Regime.HIGH, params).lower_bound == 28.0
    assert regime_rule(Regime.VOLATILE, params).size_multiplier == 0.75


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), None, "20", True])
def test_regime_for_rejects_non_numbers(bad: object) -> None:
    with pytest.raises(ValueError, match="vix must be a finite number"):
        regime_for(bad, PARAMS)  # type: ignore[arg-type]


@pytest.mark.parametrize(("net_liq", "budget"), [(10_000.0, 5_000.0), (30_000.0, 6_000.0),
                                                 (100_000.0, 20_000.0), (1_000_000.0, 50_000.0)])
def test_spike_deployment_budget_is_clamped(net_liq: float, budget: float) -> None:
    assert spike_deployment_budget(net_liq, PARAMS) == pytest.approx(budget)
    assert VixManager().spike_deployment_budget(net_liq) == pytest.approx(budget)


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), None])
def test_spike_deployment_budget_rejects_bad_net_liquidation(bad: object) -> None:
    with pytest.raises(ValueError, match="net_liquidation"):
        spike_deployment_budget(bad, PARAMS)  # type: ignore[arg-type]


def test_regime_changes_are_journal_ready_and_recorded() -> None:
    manager = VixManager()
    assert manager.regime is None and manager.size_multiplier() == 0.0 and manager.max_buying_power() == 0.0
    first = manager.update(at(9, 30), 18.0, at(9, 30))
    assert first is not None and first.to_dict() == {"time": at(9, 30).isoformat(), "from": None,
                                                     "to": "NORMAL", "vix": 18.0}
    assert manager.update(at(9, 31), 19.5, at(9, 31)) is None
    change = manager.update(at(9, 32), 26.0, at(9, 32))
    assert change == RegimeChange(at(9, 32), Regime.NORMAL, Regime.VOLATILE, 26.0)
    assert manager.max_buying_power() == 0.50 and manager.size_multiplier() == 0.75
    assert [c.new for c in manager.history] == [Regime.NORMAL, Regime.VOLATILE]


def test_stale_missing_and_invalid_vix_block_entries_and_are_reported_once() -> None:
    manager = VixManager()
    manager.update(at(9, 30), None, None)
    assert manager.problem_opened is not None and manager.problem_opened.kind == "vix_missing"
    manager.update(at(9, 31), None, None)
    assert manager.problem_opened is None and len(manager.problems) == 1  # once per occurrence
    manager.update(at(9, 32), 21.0, at(9, 32))
    assert manager.usable(at(9, 37)) and not manager.usable(at(9, 37, ) + timedelta(seconds=1))
    manager.update(at(9, 40), 21.0, at(9, 32))  # the feed repeats an 8-minute-old value
    assert manager.problem_opened is not None and manager.problem_opened.kind == "vix_stale"
    manager.update(at(9, 41), None, None)
    assert manager.problem_opened is None and len(manager.problems) == 2
    manager.update(at(9, 42), 22.0, at(9, 42))
    assert manager.usable(at(9, 42)) and manager.problem_opened is None
    for minute, bad in enumerate([float("nan"), 4.99, 150.01, float("inf"), "abc"]):
        manager.update(at(9, 43 + minute), 22.0, at(9, 43 + minute))  # usable again
        assert manager.update(at(9, 43 + minute), bad, at(9, 43 + minute)) is None  # type: ignore[arg-type]
        assert not manager.usable(at(9, 43 + minute))
        assert manager.problem_opened is not None and manager.problem_opened.kind == "vix_invalid"
        assert manager.regime == Regime.ELEVATED  # the last regime stays for management
    manager.update(at(9, 50), 22.0, at(9, 51))
    assert manager.data_problem(at(9, 50))[0] == "vix_time_in_future"  # type: ignore[index]
    assert manager.update(at(9, 52), 22.0, at(9, 40)) is None  # an older observation is ignored
    assert manager.usable(at(9, 52)) and manager.value == 22.0


def test_intraday_spike_halves_sizes_for_the_day() -> None:
    manager = VixManager()
    manager.on_session_start(DAY, previous_close=20.0)
    manager.update(at(9, 30), 29.99, at(9, 30))
    assert not manager.intraday_spike and manager.size_multiplier() == 0.75
    manager.update(at(9, 31), 30.0, at(9, 31))  # +50.0% exactly: a spike, and HIGH
    assert manager.intraday_spike and manager.size_multiplier() == pytest.approx(0.5 * 0.5)
    manager.update(at(10, 0), 24.0, at(10, 0))  # falls back: still halved for the day
    assert manager.intraday_spike and manager.size_multiplier() == pytest.approx(0.5)
    next_day = DAY + timedelta(days=1)
    manager.on_session_start(next_day, previous_close=24.0)
    manager.update(at(9, 30, next_day), 24.5, at(9, 30, next_day))
    assert not manager.intraday_spike and manager.size_multiplier() == 1.0
    with pytest.raises(ValueError, match="went back"):
        manager.on_session_start(DAY, previous_close=20.0)


def test_spike_deployment_episode_budget() -> None:
    manager = VixManager()
    manager.on_session_start(DAY, previous_close=23.39)
    manager.update(at(9, 30), 29.0, at(9, 30))
    with pytest.raises(ValueError, match="not an EXTREME episode"):
        manager.open_spike_window(30_000.0)
    with pytest.raises(ValueError, match="no spike-deployment budget"):
        manager.spent(100.0)
    change = manager.update(at(9, 40), 41.0, at(9, 40))
    assert change is not None and change.new == Regime.EXTREME
    assert manager.spike_window_open and manager.spike_budget_remaining == 0.0  # budget not fixed yet
    assert manager.max_buying_power() == 0.0 and manager.size_multiplier() == 0.0  # ordinary entries: none
    assert manager.open_spike_window(30_000.0) == pytest.approx(6_000.0)
    assert manager.open_spike_window(80_000.0) == pytest.approx(6_000.0)  # fixed once per episode
    manager.spent(2_500.0)
    assert manager.spike_budget_remaining == pytest.approx(3_500.0)
    assert manager.max_buying_power(spike_deployment=True) == 1.0
    assert manager.size_multiplier(spike_deployment=True) == 1.0  # not halved by the spike that triggers it
    manager.update(at(10, 0), 33.0, at(10, 0))  # HIGH: no deployment, the episode stays
    assert not manager.spike_window_open and manager.spike_budget_remaining == 0.0
    assert manager.size_multiplier(spike_deployment=True) == pytest.approx(0.25)
    manager.update(at(10, 5), 36.0, at(10, 5))  # EXTREME again: no refill
    assert manager.spike_budget_remaining == pytest.approx(3_500.0)
    manager.spent(4_000.0)
    assert manager.spike_budget_remaining == 0.0
    manager.update(at(11, 0), 27.0, at(11, 0))  # below HIGH: episode over
    manager.update(at(11, 5), 35.0, at(11, 5))
    assert manager.spike_budget_remaining == 0.0
    assert manager.open_spike_window(30_000.0) == pytest.approx(6_000.0)
    assert manager.spike_budget_remaining == pytest.approx(6_000.0)  # a new episode, a new budget
    for bad in (0.0, -5.0, float("nan")):
        with pytest.raises(ValueError, match="spent amount"):
            manager.spent(bad)


def test_days_in_regime_counts_each_day_by_its_last_regime() -> None:
    manager = VixManager()
    for offset, (morning, close) in enumerate([(18.0, 21.0), (21.0, 31.0), (31.0, 14.0)]):
        day = DAY + timedelta(days=offset)
        manager.update(at(9, 30, day), morning, at(9, 30, day))
        manager.update(at(16, 0, day), close, at(16, 0, day))
    days = manager.days_in_regime()
    assert days["ELEVATED"] == 1 and days["HIGH"] == 1 and days["LOW"] == 1
    assert sum(days.values()) == 3


def test_manager_round_trips_through_json() -> None:
    manager = VixManager(VixParameters(stale_minutes=10))
    manager.on_session_start(DAY, previous_close=23.39)
    manager.update(at(9, 30), 38.0, at(9, 30))
    manager.open_spike_window(30_000.0)
    manager.spent(1_000.0)
    manager.update(at(9, 31), float("nan"), at(9, 31))
    document = json.loads(json.dumps(manager.to_dict(), allow_nan=False))
    assert document["schema"] == 1
    restored = VixManager.from_dict(document, VixParameters(stale_minutes=10))
    assert restored.regime == Regime.EXTREME and restored.intraday_spike
    assert restored.value is not None and math.isnan(restored.value) and not restored.usable(at(9, 32))
    assert restored.history == manager.history and restored.problems == manager.problems
    restored.update(at(9, 33), 37.0, at(9, 33))
    assert restored.spike_budget_remaining == pytest.approx(5_000.0)
    assert restored.problem_opened is None
    with pytest.raises(ValueError, match="schema"):
        VixManager.from_dict({**document, "schema": 0})


def test_real_vix_2023_2024_regimes(shared_data: Path) -> None:
    """Replay CBOE VIX daily bars (open, high, low, close as four updates a session) for 2023-2024."""
    frame = pd.read_csv(shared_data / "daily" / "VIX_cboe.csv", parse_dates=["date"])
    frame = frame[frame["nyse_session"] == 1].reset_index(drop=True)
    frame["previous_close"] = frame["close"].shift(1)
    frame = frame[(frame["date"] >= "2023-01-01") & (frame["date"] < "2025-01-01")]
    manager = VixManager(VixParameters(regime_band=0.0))  # the plain table, for the pandas cross-check
    extreme_days, spike_days = [], []
    for row in frame.itertuples():
        day = row.date.date()
        manager.on_session_start(day, row.previous_close)
        for moment, value in zip((time(9, 30), time(11, 0), time(13, 0), time(16, 0)),
                                 (row.open, row.high, row.low, row.close), strict=True):
            now = datetime.combine(day, moment, tzinfo=ET)
            manager.update(now, value, now)
            if manager.regime == Regime.EXTREME and day not in extreme_days:
                extreme_days.append(day)
        if manager.intraday_spike:
            spike_days.append(day)
    assert len(frame) == 502  # 250 sessions in 2023, 252 in 2024
    assert extreme_days == [date(2024, 8, 5)]
    # VIX high at least 50% over the previous close: 29.66 vs 18.59, 65.73 vs 23.39, 28.32 vs 15.87
    assert spike_days == [date(2024, 8, 2), date(2024, 8, 5), date(2024, 12, 18)]
    independent = frame[frame["high"] >= 1.5 * frame["previous_close"]]["date"].dt.date.tolist()
    assert spike_days == independent
    regimes_seen = {change.new for change in manager.history}
    assert {Regime.HIGH, Regime.EXTREME} <= regimes_seen
    assert date(2023, 3, 13) in {c.time.date() for c in manager.history if c.new == Regime.HIGH}
    assert manager.problems == []
    # days by closing regime: an independent classification with pandas
    bins = [-np.inf, 12, 16, 20, 25, 30, 35, np.inf]
    labels = [r.value for r in Regime]
    expected = pd.cut(frame["close"], bins=bins, labels=labels, right=False).value_counts()
    assert manager.days_in_regime() == {label: int(expected[label]) for label in labels}


def test_regime_band_damps_downward_flicker_only() -> None:
    manager = VixManager(VixParameters(regime_band=0.5))
    day = date(2024, 7, 5)
    manager.on_session_start(day, 12.5)
    values = [12.10, 11.99, 12.02, 11.70, 11.40, 12.00, 29.99, 30.00, 29.60, 29.40]
    seen = []
    for minute, value in enumerate(values):
        now = datetime.combine(day, time(10, minute), tzinfo=ET)
        manager.update(now, value, now)
        seen.append(manager.regime)
    assert seen == [Regime.LOW, Regime.LOW, Regime.LOW, Regime.LOW, Regime.EXTREMELY_LOW, Regime.LOW,
                    Regime.VOLATILE, Regime.HIGH, Regime.HIGH, Regime.VOLATILE]


def test_the_saved_history_keeps_each_entry_and_gains_only_new_ones() -> None:
    """The document's regime history and data problems follow the lists as they grow, also after a
    restore, and a document handed out is the caller's (changing it changes nothing saved later)."""
    manager = VixManager(VixParameters(stale_minutes=10))
    manager.on_session_start(DAY, previous_close=20.0)
    manager.update(at(9, 30), 16.0, at(9, 30))
    first = manager.to_dict()
    first["history"].append({"to": "nothing"})
    manager.update(at(9, 31), 31.0, at(9, 31))
    manager.update(at(9, 45), None, None)  # stale: a data problem
    document = manager.to_dict()
    assert document["history"] == [change.to_dict() for change in manager.history]
    assert [item["to"] for item in document["history"]] == ["NORMAL", "HIGH"]
    assert document["problems"] == [problem.to_dict() for problem in manager.problems]
    assert [item["kind"] for item in document["problems"]] == ["vix_stale"]
    restored = VixManager.from_dict(json.loads(json.dumps(document)), VixParameters(stale_minutes=10))
    restored.update(at(9, 46), 36.0, at(9, 46))
    assert [item["to"] for item in restored.to_dict()["history"]] == ["NORMAL", "HIGH", "EXTREME"]
    manager.history.clear()
    assert manager.to_dict()["history"] == []


def test_a_long_random_walk_follows_the_table_and_the_band() -> None:
    """Minute by minute over a random VIX path crossing every bound: the regime is the table's row,
    except that a regime is left downward only `regime_band` points below its lower bound."""
    params = VixParameters(stale_minutes=10)
    manager = VixManager(params)
    bounds = {rule.regime: rule.lower_bound for rule in regime_table(params)}
    order = list(bounds)
    swings = 27.0 - 17.0 * np.cos(np.linspace(0.0, 6.0 * np.pi, 3_000))  # 10 to 44 and back, three times
    path = swings + np.random.default_rng(7).normal(0.0, 0.6, swings.size)
    expected: Regime | None = None
    start = datetime(2024, 8, 5, 9, 30, tzinfo=ET)
    for minute, value in enumerate(path):
        now = start + timedelta(minutes=minute)
        manager.update(now, float(value), now)
        table = regime_for(float(value), params)
        held = expected is not None and order.index(table) < order.index(expected) \
            and value >= bounds[expected] - params.regime_band
        expected = expected if held else table
        assert manager.regime == expected, (minute, value)
    assert len({change.new for change in manager.history}) == len(Regime)


def _without_latest_value(document: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in document.items() if key not in ("value", "value_valid", "value_time")}


@settings(max_examples=300, deadline=None)
@given(previous_close=st.one_of(st.none(), st.floats(9.0, 60.0)),
       setup=st.lists(st.one_of(st.floats(4.0, 90.0), st.just(float("nan"))), min_size=0, max_size=6),
       reading=st.one_of(st.floats(0.0, 200.0), st.just(float("nan")), st.just(float("inf"))))
def test_a_steady_reading_changes_nothing_but_the_latest_value(previous_close: float | None, setup: list[float],
                                                              reading: float) -> None:
    """VixManager.steady_count says which readings an engine may skip: taking a steady one through
    `update` changes no regime, problem, spike, episode or count, only the latest value held."""
    manager = VixManager(PARAMS)
    manager.on_session_start(DAY, previous_close=previous_close)
    for minute, value in enumerate(setup):
        manager.update(at(10, minute), value, at(10, minute))
    steady = manager.steady_count([reading]) == 1
    before = _without_latest_value(manager.to_dict())
    change = manager.update(at(11, 0), reading, at(11, 0))
    if steady:
        assert change is None and manager.problem_opened is None
        assert _without_latest_value(manager.to_dict()) == before


def test_steady_readings_stop_at_the_band_the_spike_and_bad_values() -> None:
    manager = VixManager(PARAMS)  # regime band 0.5 points, intraday spike +50%
    manager.on_session_start(DAY, previous_close=16.5)  # the spike level is 24.75

    def steady(*readings: float) -> list[bool]:
        return [manager.steady_count([value]) == 1 for value in readings]

    readings = (21.0, 19.6, 19.5, 24.7, 24.75, 25.0, 19.49, float("nan"), 4.0)
    assert steady(*readings) == [False] * 9  # no regime yet
    manager.update(at(9, 30), 21.0, at(9, 30))
    assert manager.regime == Regime.ELEVATED  # [20, 25), left downward below 19.5
    assert steady(*readings) == [True, True, True, True, False, False, False, False, False]
    assert manager.steady_count([21.0, 22.0, 25.0, 21.0]) == 2  # counted from the first on
    assert manager.update(at(9, 31), 24.9, at(9, 31)) is None and manager.intraday_spike
    assert steady(24.9, 25.0) == [True, False]  # the day's spike is taken
    manager.update(at(9, 32), float("nan"), at(9, 32))  # unusable: the next valid reading changes that
    assert steady(21.0) == [False]
