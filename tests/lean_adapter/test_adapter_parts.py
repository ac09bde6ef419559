"""The adapter's smaller parts: subscription plan, schedule windows, ObjectStore keys,
notifications, charts and parameters."""
from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import brentq

from config.loader import load_config
from core.account import AccountSnapshot, OpenPositionSummary
from core.types import OrderStatus
from greeks.pricing import bsm_greeks
from helpers.exchange_calendar import EASTERN
from lean_adapter.charts import MAX_SERIES, ChartBook, plot_session, runtime_statistics
from lean_adapter.guard import run_guarded
from lean_adapter.notifications import JournalRelay, Notifier, format_record
from lean_adapter.object_store import ObjectStoreAdapter, mode_prefix
from lean_adapter.order_events import ComboTracker, stale_order_events
from lean_adapter.parameters import load_lean_config, read_notification_settings
from lean_adapter.scheduling import strategy_windows
from lean_adapter.subscription_count import contract_months, kept, read_lean_universe, read_vendor_chain
from lean_adapter.subscription_count import main as subscription_count_main
from lean_adapter.subscription_plan import EDGE_DELTA, ChainWindow, option_windows, plan_subscriptions
from reporting.journal import Journal
from strategies.registry import build_strategies
from tests.lean_standin import scripted as f
from tests.lean_standin.scripted_algorithm import equity_symbol, option_symbol

NOW = datetime(2024, 8, 2, 10, 30, tzinfo=EASTERN)
REPO = Path(__file__).resolve().parents[2]


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
    assert mode_prefix(True, 7) == "live/project-7"
    assert mode_prefix(False, 7) == "backtest/project-7"
    store = f.ObjectStore()
    backtest = ObjectStoreAdapter(store, "backtest/project-7", _no_report)
    with pytest.raises(ValueError, match="outside this run's prefix"):
        backtest.save("live/project-7/system", {"x": 1})
    with pytest.raises(ValueError, match="unsafe"):
        backtest.save("backtest/project-7/../live", {"x": 1})
    assert store.standin_data == {}


@pytest.mark.parametrize("key", ["backtest/project-7/position/P:1", "backtest/project-7/a.b.c",
                                 "backtest/project-7/v1.2/system", "backtest/project-7/P.1-S2"])
def test_keys_outside_leans_key_rule_are_refused_by_the_adapter(key: str) -> None:
    """LocalObjectStore throws ArgumentException for a key outside its rule (LocalObjectStore.cs:115,
    329-332); inside the trading core that would stop a backtest. The adapter refuses such keys
    itself, and every key it accepts matches LEAN's rule."""
    store = f.ObjectStore()
    adapter = ObjectStoreAdapter(store, "backtest/project-7", _no_report)
    with pytest.raises(ValueError, match="unsafe characters"):
        adapter.save(key, {"x": 1})
    for good in ("backtest/project-7/system", "backtest/project-7/position/P000012-S3"):
        adapter.save(good, {"x": 1})  # the fake store applies LEAN's rule to every key it saves
    assert sorted(store.standin_data) == ["backtest/project-7/position/P000012-S3", "backtest/project-7/system"]


def test_a_refused_save_is_reported_once_kept_and_written_when_room_is_made() -> None:
    """Over its file-count limit LocalObjectStore.save returns False (LocalObjectStore.cs:377-437):
    the adapter reports it, keeps trading, and writes the newest documents once the store has room."""
    store = f.ObjectStore(max_files=2)
    store.save("other/a", "{}")
    reports: list[str] = []
    adapter = ObjectStoreAdapter(store, "live/project-7", reports.append)
    adapter.save("live/project-7/system", {"v": 1})
    adapter.save("live/project-7/position/P1", {"v": 1})  # the third file: refused
    adapter.save("live/project-7/position/P1", {"v": 2})
    assert adapter.unsaved == ["live/project-7/position/P1"]
    assert len(reports) == 1 and "refused" in reports[0]
    store.delete("other/a")
    adapter.save("live/project-7/system", {"v": 3})
    assert adapter.unsaved == [] and reports[-1].startswith("the ObjectStore saves again")
    assert adapter.load("live/project-7/position/P1") == {"v": 2} and adapter.load("live/project-7/system") == {"v": 3}


def test_clear_deletes_only_this_runs_prefix() -> None:
    store = f.ObjectStore()
    store.save("live/project-7/system", "{}")
    store.save("backtest/project-70/system", "{}")
    adapter = ObjectStoreAdapter(store, "backtest/project-7", _no_report)
    adapter.save("backtest/project-7/system", {})
    adapter.save("backtest/project-7/position/P1", {})
    assert adapter.clear() == 2
    assert sorted(store.standin_data) == ["backtest/project-70/system", "live/project-7/system"]


def _no_report(message: str) -> None:
    raise AssertionError(f"unexpected report: {message}")


def test_store_round_trips_strict_json_and_rejects_nan() -> None:
    store = f.ObjectStore()
    live = ObjectStoreAdapter(store, "live/project-7", _no_report)
    live.save("live/project-7/system", {"schema": 1, "value": 2.5, "items": [1, "a"]})
    assert json.loads(store.standin_data["live/project-7/system"]) == {"schema": 1, "value": 2.5, "items": [1, "a"]}
    assert live.load("live/project-7/system") == {"schema": 1, "value": 2.5, "items": [1, "a"]}
    assert live.load("live/project-7/missing") is None
    with pytest.raises(ValueError):
        live.save("live/project-7/bad", {"value": float("nan")})
    store.standin_data["live/project-7/broken"] = "{not json"
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
    with pytest.raises(ValueError, match="invalid LEAN parameter: parameter friday_0dte_short_delta=.*above"):
        load_lean_config({"friday_0dte_short_delta": "0.9"}.get)
    with pytest.raises(ValueError, match="friday_0dte_vix_min.*not a number"):
        load_lean_config({"friday_0dte_vix_min": "high"}.get)
    assert load_lean_config({"lt112_products": "QQQ", "friday_0dte_vix_min": ""}.get).lt112.product == "QQQ"
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
    spy = equity_symbol("SPY")
    sent, other = option_symbol(spy, "SPY", date(2024, 8, 9), 520.0, "put"), option_symbol(spy, "SPY", date(2024, 8, 9),
                                                                                          500.0, "put")
    assert not tracker.owns(17, sent)
    tracker.sending = [sent]
    assert tracker.owns(17, sent)  # while an order call runs, its events may come before its tickets
    # an unknown order on another symbol (an exercise or assignment arriving on another thread)
    # is never claimed, so main.py books it instead of it being parked and dropped
    assert not tracker.owns(18, other)


def _edge_volatility(right: str, strike: float, years: float) -> float:
    """The volatility at which a `right` option at `strike` (spot 1, no rate) has delta EDGE_DELTA."""
    target = EDGE_DELTA if right == "call" else -EDGE_DELTA
    return brentq(lambda sigma: float(bsm_greeks(right, 1.0, strike, years, 0.0, 0.0, sigma)["delta"]) - target,
                  1e-3, 1.6448 / math.sqrt(years) if right == "put" else 5.0)


def test_strike_bands_narrow_with_days_to_expiry_but_hold_the_same_deltas() -> None:
    """Each window's band is its configured one at its longest DTE; nearer, each edge is the strike
    of the same 5-delta put or call at the same volatility (checked with greeks.pricing's
    Black-Scholes delta), so a strategy's delta targets stay inside while the far strikes go."""
    for root, windows in option_windows(load_config({})).items():
        for window in windows:
            assert window.band(window.max_dte) == pytest.approx((window.low, window.high)), root
            longest = max(window.max_dte, 7) / 365.0
            put_sigma = _edge_volatility("put", window.low, longest)
            call_sigma = _edge_volatility("call", window.high, longest)
            for dte in sorted({window.min_dte, (window.min_dte + window.max_dte) // 2, window.max_dte}):
                low, high = window.band(dte)
                years = max(dte, 7) / 365.0
                put = float(bsm_greeks("put", 1.0, low, years, 0.0, 0.0, put_sigma)["delta"])
                call = float(bsm_greeks("call", 1.0, high, years, 0.0, 0.0, call_sigma)["delta"])
                assert (put, call) == pytest.approx((-EDGE_DELTA, EDGE_DELTA), abs=1e-6), (root, window, dte)
                assert window.low <= low <= 1 <= high <= window.high
    lt112 = ChainWindow(21, 130, 0.65, 1.10)  # the LT112's: a 5-delta put at 35% volatility 112 days out
    assert lt112.band(112)[0] <= float(np.exp(-1.6449 * 0.35 * np.sqrt(112 / 365) + 0.35 ** 2 * 112 / 730))


def test_the_subscription_count_reads_real_chains_as_lean_selects_them(shared_data: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """The count command on real chains: LEAN's ES futures-option universe of Monday 2020-01-06
    (used at 2020-01-07 00:00) and the full SPY chain of 2015-01-05 (2,764 standard contracts not
    yet expired; SPY closed at 201.72)."""
    es_file = shared_data / "lean/futureoption/cme/universes/es/202003/20200106.csv"
    root, today, spot, contracts = read_lean_universe(es_file, None)
    assert (root, today, spot, len(contracts)) == ("ES", date(2020, 1, 7), 3233.0, 104)
    friday = read_lean_universe(shared_data / "lean/futureoption/cme/universes/es/202003/20200103.csv", None)
    assert friday[1] == date(2020, 1, 6)  # Friday's file serves Monday's selection (at Saturday 00:00)
    plan = plan_subscriptions(load_config({}))
    count = kept(plan, (root, today, spot, contracts))
    windows = plan.option_windows["ES"]
    by_hand = sum(any(w.min_dte <= (expiry - today).days <= w.max_dte
                      and w.band((expiry - today).days)[0] * spot <= strike <= w.band((expiry - today).days)[1] * spot
                      for w in windows) for expiry, strike, _ in contracts)
    assert count == by_hand and 0 < count < len(contracts)
    with pytest.raises(ValueError, match="no underlying row"):
        read_lean_universe(shared_data / "lean/indexoption/usa/universes/spx/20151222.csv", None)
    spy_chain = shared_data / "options/SPY_chain_2015-01-05_eod.csv.gz"
    with pytest.raises(ValueError, match="--spot"):
        read_vendor_chain(spy_chain, None)
    (spy,) = read_vendor_chain(spy_chain, 201.72)
    assert (spy[0], spy[1], len(set(spy[3]))) == ("SPY", date(2015, 1, 5), 2764)
    assert subscription_count_main(["--config", str(REPO / "config.json"), "--spot", "201.72", str(spy_chain),
                                    str(es_file)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split()[:4] == ["SPY", "2015-01-05", "201.72", "2764"]
    assert lines[2].split() == ["ES", "2020-01-07", "3233.00", "104", str(count)]
    assert "future ES: universe 225 days ahead" in "\n".join(lines)


def test_futures_universes_look_ahead_as_far_as_the_futures_options_need() -> None:
    """A future's universe lists contracts up to its own longest option window plus one quarterly
    cycle (each listed contract gets an options universe), not the SPY LEAP horizon of 730 days."""
    plan = plan_subscriptions(load_config({}))
    assert {root: plan.future_horizon(root) for root in plan.futures} == {
        "CL": 195, "ES": 225, "GC": 195, "MCL": 195, "MES": 225, "MGC": 195}
    # from 2024-01-02, 225 days reach 2024-08-14: March and June; 195 days reach July: Jan..Jul
    assert contract_months("ES", date(2024, 1, 2), 225) == 2 and contract_months("CL", date(2024, 1, 2), 195) == 7
