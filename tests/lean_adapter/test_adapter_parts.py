"""The adapter's smaller parts: subscription plan, schedule windows, ObjectStore keys,
notifications, charts and parameters."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from config.loader import load_config
from core.types import AccountSnapshot, OpenPositionSummary, OrderStatus
from helpers.exchange_calendar import EASTERN
from lean_adapter.charts import MAX_SERIES, ChartBook, plot_session, runtime_statistics
from lean_adapter.guard import run_guarded
from lean_adapter.notifications import JournalRelay, Notifier, format_record
from lean_adapter.object_store import ObjectStoreAdapter, mode_prefix
from lean_adapter.order_events import ComboTracker, stale_order_events
from lean_adapter.parameters import load_lean_config, read_notification_settings
from lean_adapter.scheduling import strategy_windows
from lean_adapter.subscriptions import ChainWindow, option_windows, plan_subscriptions
from reporting.journal import Journal
from strategies.registry import build_strategies
from tests.lean_adapter import fakes as f

NOW = datetime(2024, 8, 2, 10, 30, tzinfo=EASTERN)


def test_seed_plan_subscribes_spy_vix_and_both_equity_index_futures() -> None:
    plan = plan_subscriptions(load_config())
    # the advanced strategies are subscribed from the start: the account may reach their phase in the run
    # ... and the strangle's products with their full-size roots (they trade from phase 2 and $75,000)
    assert plan.equities == ("BIL", "SPY") and plan.indices == ("SPX", "VIX")
    assert plan.futures == ("CL", "ES", "GC", "MCL", "MES", "MGC")
    assert set(plan.option_windows) == {"SPY", "MES", "ES", "MCL", "CL", "MGC", "GC", "SPX", "SPXW"}
    assert [(w.min_dte, w.max_dte) for w in plan.option_windows["SPX"]] == [(30, 730)]  # the box spread
    assert [(w.min_dte, w.max_dte) for w in plan.option_windows["SPXW"]] == [(0, 9)]  # the weekly butterfly
    spy = plan.option_windows["SPY"]
    for dte in (0, 1, 105, 112, 130, 365, 730):
        assert any(w.min_dte <= dte <= w.max_dte for w in spy), dte
    assert plan.option_windows["ES"] == plan.option_windows["MES"]  # full size mirrors micro
    assert plan.strategy_products["futures_strangle"] == "MES" and plan.strategy_products["friday_0dte"] == "SPY"
    assert plan.warmup_calendar_days == 380  # 257 sessions of daily history
    assert set(plan.daily_roots) == {"SPY", "VIX", "MES", "ES", "SPX", "MCL", "CL", "MGC", "GC"}


def test_selected_products_add_their_subscriptions() -> None:
    config = load_config({"lt112_products": "QQQ", "zero_dte_product": "SPXW", "futures_strangle_products": "MGC",
                          "ipmcc_product": "QQQ", "leap_ladder_product": "IWM"})
    plan = plan_subscriptions(config)
    assert plan.equities == ("BIL", "IWM", "QQQ", "SPY") and plan.indices == ("SPX", "VIX")
    assert plan.futures == ("ES", "GC", "MES", "MGC")
    assert {"QQQ", "IWM", "SPXW", "MGC", "GC"} <= set(plan.option_windows)
    disabled = load_config({"futures_strangle_enabled": "false", "vix_spike_use_futures": "false",
                            "lt112_products": "SPY", "lt112_buying_power_cap": "0.40"})
    assert "MES" not in option_windows(disabled)
    assert plan_subscriptions(disabled).futures == ("ES", "MES")  # the futures themselves stay


def test_strategy_keys_match_the_registry() -> None:
    keys = {s.key for s in build_strategies(load_config())}
    assert set(plan_subscriptions(load_config()).strategy_products) == keys
    assert {w.strategy for w in strategy_windows(load_config())} == keys - {"vix_spike"}


def test_chain_window_bounds_are_validated() -> None:
    window = ChainWindow(105, 130, 0.65, 1.10)
    assert window.holds(112, 400.0, 535.0) and not window.holds(112, 340.0, 535.0) and not window.holds(131, 535, 535)
    with pytest.raises(ValueError, match="DTE range"):
        ChainWindow(10, 5, 0.9, 1.1)
    with pytest.raises(ValueError, match="strike band"):
        ChainWindow(0, 5, 1.0, 1.1)


def test_windows_follow_the_parameters() -> None:
    windows = {(w.strategy, w.weekday): (w.hour, w.minute) for w in strategy_windows(load_config())}
    assert windows == {("friday_0dte", "friday"): (10, 30), ("lt112", "wednesday"): (10, 0),
                       ("futures_strangle", "tuesday"): (9, 45), ("leap_put_ladder", "monday"): (10, 30),
                       ("ipmcc", None): (10, 30), ("ipmcc", "friday"): (9, 45),
                       ("put_ratio_spread", "tuesday"): (10, 15), ("jade_lizard", "thursday"): (10, 15),
                       ("broken_wing_butterfly", "wednesday"): (10, 45), ("short_leap_put", "monday"): (10, 45),
                       ("weekly_butterfly", "friday"): (10, 35), ("diagonal_calendar", "tuesday"): (11, 0),
                       ("box_spread", "monday"): (11, 0), ("bear_trap_11x", "thursday"): (11, 0)}
    moved = strategy_windows(load_config({"zero_dte_entry_time": "10:45", "zero_dte_entry_deadline": "11:00"}))
    assert (moved[0].hour, moved[0].minute) == (10, 45)


def test_mode_prefixes_keep_backtests_away_from_live_state() -> None:
    assert mode_prefix(True, 7, "L-123") == "live/project-7"
    assert mode_prefix(False, 7, "9f3a/b c") == "backtest/9f3a-b-c"
    assert mode_prefix(False, 7, "", datetime(2024, 1, 2, 3, 4, 5)) == "backtest/start-20240102T030405000000Z"
    store = f.ObjectStore()
    backtest = ObjectStoreAdapter(store, "backtest/abc")
    with pytest.raises(ValueError, match="outside this run's prefix"):
        backtest.save("live/project-7/system", {"x": 1})
    with pytest.raises(ValueError, match="unsafe"):
        backtest.save("backtest/abc/../live", {"x": 1})
    assert store.fake_data == {}


def test_store_round_trips_strict_json_and_rejects_nan() -> None:
    store = f.ObjectStore()
    live = ObjectStoreAdapter(store, "live/project-7")
    live.save("live/project-7/system", {"schema": 1, "value": 2.5, "items": [1, "a"]})
    assert json.loads(store.fake_data["live/project-7/system"]) == {"schema": 1, "value": 2.5, "items": [1, "a"]}
    assert live.load("live/project-7/system") == {"schema": 1, "value": 2.5, "items": [1, "a"]}
    assert live.load("live/project-7/missing") is None
    with pytest.raises(ValueError):
        live.save("live/project-7/bad", {"value": float("nan")})
    store.fake_data["live/project-7/broken"] = "{not json"
    with pytest.raises(ValueError, match="not valid JSON"):
        live.load("live/project-7/broken")
    assert live.keys() == ["live/project-7/broken", "live/project-7/system"]


def test_notifier_keeps_to_its_hourly_budget_and_reports_what_it_held_back() -> None:
    sent: list[tuple[str, str]] = []
    notifier = Notifier(lambda subject, body: sent.append((subject, body)), 2)
    for minute in range(5):
        notifier.notify(NOW + timedelta(minutes=minute), "s", f"m{minute}")
    assert [body for _, body in sent] == ["m0", "m1"] and notifier.suppressed == 3
    notifier.notify(NOW + timedelta(minutes=61), "s", "later")
    assert sent[-1][1] == "later\n(3 earlier notifications were held back by the rate limit)"
    with pytest.raises(ValueError):
        Notifier(lambda s, b: None, 0)


def test_journal_relay_logs_each_message_once_a_day_and_notifies_what_matters() -> None:
    logs: list[str] = []
    sent: list[tuple[str, str]] = []
    journal = Journal(sink=JournalRelay(logs.append, Notifier(lambda s, b: sent.append((s, b)), 10)))
    for minute in range(3):
        journal.record(NOW + timedelta(minutes=minute), "denial", "open denied: max_positions", strategy="lt112",
                       reason="max_positions")
    journal.record(NOW, "entry", "0DTE iron condor", strategy="friday_0dte", units=1)
    journal.record(NOW + timedelta(days=1), "denial", "open denied: max_positions", strategy="lt112",
                   reason="max_positions")
    assert logs == ["denial [lt112]: open denied: max_positions | reason=max_positions",
                    "entry [friday_0dte]: 0DTE iron condor | units=1",
                    "denial [lt112]: open denied: max_positions | reason=max_positions"]
    assert [subject for subject, _ in sent] == ["Tom King framework: entry friday_0dte"]
    assert format_record({"time": "t", "kind": "info", "strategy": None, "message": "m"}) == "info: m"


def _account(**changes: object) -> AccountSnapshot:
    base = AccountSnapshot(NOW, 27_000.0, 5_400.0, 30_000.0, 27_500.0, 0, 1, "ELEVATED", True, False,
                           (OpenPositionSummary("P1", "lt112", frozenset({"SPY"}), frozenset(), 1, 3000.0),))
    return replace(base, **changes)  # type: ignore[arg-type]


def test_session_charts_stay_within_thirty_series() -> None:
    points: list[tuple[str, str, float]] = []
    book = ChartBook(lambda chart, series, value: points.append((chart, series, value)))
    keys = [s.key for s in build_strategies(load_config())]
    plot_session(book, _account(), 21.5, keys)
    values = {(chart, series): value for chart, series, value in points}
    assert values[("Risk", "Drawdown %")] == pytest.approx(10.0)
    assert values[("Risk", "Buying power used %")] == pytest.approx(20.0)
    assert values[("VIX", "Regime level")] == 3 and values[("Positions", "lt112")] == 1
    assert values[("Positions", "total")] == 1 and book.series_count == 7 + len(keys)
    for index in range(MAX_SERIES - book.series_count):
        book.plot("Extra", f"s{index}", 1.0)
    with pytest.raises(ValueError, match="limit of 30"):
        book.plot("Extra", "one too many", 1.0)
    assert book.plot("Risk", "Drawdown %", float("nan")) is False
    assert runtime_statistics(_account(), 4) == {"Regime": "ELEVATED", "Phase": "1", "Open positions": "1",
                                                 "Drawdown": "10.0%", "Denials": "4"}


def test_bad_parameters_raise_naming_the_parameter() -> None:
    with pytest.raises(ValueError, match="invalid LEAN parameter: parameter zero_dte_short_delta=.*above"):
        load_lean_config({"zero_dte_short_delta": "0.9"}.get)
    with pytest.raises(ValueError, match="zero_dte_vix_min.*not a number"):
        load_lean_config({"zero_dte_vix_min": "high"}.get)
    assert load_lean_config({"lt112_products": "QQQ", "zero_dte_vix_min": ""}.get).lt112.product == "QQQ"
    with pytest.raises(ValueError, match="notify_max_per_hour"):
        read_notification_settings({"notify_max_per_hour": "0"}.get)


def test_live_keeps_going_after_a_core_error_and_a_backtest_stops() -> None:
    reports: list[str] = []

    def broken() -> None:
        raise KeyError("missing")

    assert run_guarded(broken, True, reports.append) is False
    assert reports == ["KeyError in the trading core: 'missing'"]
    with pytest.raises(KeyError):
        run_guarded(broken, False, reports.append)
    assert run_guarded(lambda: None, False, reports.append) is True


def test_restored_orders_this_run_never_sent_are_reported_cancelled() -> None:
    tracker = ComboTracker()
    events = stale_order_events({"17": "I000003"}, tracker, NOW)
    assert [(e.order_id, e.intent_id, e.status, e.fill_quantity) for e in events] == [
        ("17", "I000003", OrderStatus.CANCELLED, 0)]
    assert not tracker.owns(17)
    tracker.collecting = True
    assert tracker.owns(17)  # while an order call runs, its events may come before its tickets
