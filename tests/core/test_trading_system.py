"""The trading system drives a strategy round its whole cycle through the simulated broker."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from config.loader import load_config
from core.engine.trading_system import TradingSystem
from core.strategy_lifecycle import StrategyState
from offline.broker.faults import BrokerFaults
from offline.broker.fill_rules import BrokerSettings
from offline.broker.simulated_broker import SimulatedBroker
from offline.replay.file_store import FileStore
from reporting.journal import Journal
from strategies.friday_0dte import FridayZeroDte
from tests.strategies.kit import eastern, scripted_market


def run_friday(tmp_path, spy_path=None, bad_data_from=None, strategy=None, cash=30_000.0, settings=None,
               overrides=None):
    """One Friday (2024-08-09) at SPY 530 / VIX 23, minute by minute; returns the system. From
    minute `bad_data_from` on, SPY's market data is flagged bad (as the offline engine does)."""
    config = load_config(overrides)
    market = scripted_market(eastern(2024, 8, 9, 9, 30), spy=530.0, vix=23.0)  # ELEVATED: multiplier 1
    holder = {}
    broker = SimulatedBroker(cash, lambda c, now: market.quote(c), lambda r, now: market.price(r),
                             lambda event: holder["system"].on_order_event(event),
                             lambda event: holder["system"].on_assignment(event), settings)
    system = TradingSystem(config, [strategy or FridayZeroDte(config)], market, broker, FileStore(tmp_path),
                           Journal(), "backtest/test", cash)
    holder["system"] = system
    open_dt = eastern(2024, 8, 9, 9, 30)
    system.on_session_start(open_dt.date(), open_dt)
    for minute in range(390):
        now = open_dt + timedelta(minutes=minute)
        market.state.now = now
        market.state.vix_time = now
        if spy_path is not None:
            market.state.prices["SPY"] = spy_path(minute)
        if bad_data_from is not None and minute >= bad_data_from:
            system.bad_data_roots = {"SPY": "bad SPY data on 2024-08-09 (daily/SPY.csv line 9: test)"}
        broker.process(now)
        system.on_minute(now)
    close = open_dt + timedelta(minutes=390)
    broker.process(close)
    broker.settle_expiries(close.date(), close)
    broker.flush_events()
    system.on_session_end(close)
    return system, broker


def test_full_cycle_entry_fill_manage_exit(tmp_path):
    system, broker = run_friday(tmp_path)
    states = [t.to_state.value for t in system.machines["friday_0dte"].history]
    for state in ("ANALYZING", "ENTERING", "MANAGING", "EXITING", "IDLE"):
        assert state in states, states
    order = [states.index(s) for s in ("ANALYZING", "ENTERING", "MANAGING", "EXITING")]
    assert order == sorted(order)
    assert system.machines["friday_0dte"].state == StrategyState.IDLE
    assert len(system.book.trades) == 1
    trade = system.book.trades[0]
    assert trade["exit_reason"] in ("profit_target", "time_exit")
    assert trade["fees"] == 4.0  # four legs opened at $1.00, closed for $0
    assert broker.holdings() == {}
    assert system.reconcile(eastern(2024, 8, 9, 16, 1)) is None and system.book.reconcile({}, eastern(2024, 8, 9)) == []
    kinds = [r["kind"] for r in system.journal.records]
    assert kinds.count("entry") == 1 and kinds.count("exit") == 1


def test_stop_loss_when_the_market_runs_through_the_short_put(tmp_path):
    system, _ = run_friday(tmp_path, spy_path=lambda minute: 530.0 if minute < 70 else 515.0)
    assert [t["exit_reason"] for t in system.book.trades] == ["stop_loss"]
    assert system.book.trades[0]["pnl"] < 0


def test_a_bad_data_day_opens_nothing_on_that_root(tmp_path):
    system, broker = run_friday(tmp_path, bad_data_from=0)
    assert system.book.trades == [] and broker.holdings() == {}
    denials = [r for r in system.journal.records if r["kind"] == "denial"]
    assert denials and {r["reason"] for r in denials} == {"data:bad_day"}
    assert "daily/SPY.csv line 9" in denials[0]["detail"]


def test_a_position_open_when_the_data_turns_bad_is_still_managed_and_closed(tmp_path):
    system, broker = run_friday(tmp_path, bad_data_from=61)  # the condor opened at 10:30 (minute 60)
    assert len(system.book.trades) == 1
    assert system.book.trades[0]["exit_reason"] in ("profit_target", "time_exit")
    assert broker.holdings() == {}


def test_state_survives_a_restart(tmp_path):
    system, _ = run_friday(tmp_path)
    config = load_config()
    market = scripted_market(eastern(2024, 8, 12), spy=530.0, vix=25.0)
    fresh = TradingSystem(config, [FridayZeroDte(config)], market, system.broker, FileStore(tmp_path), Journal(),
                          "backtest/test", 30_000.0)
    assert fresh.restore()
    assert fresh.to_dict() == system.to_dict()


class PhaseThreeZeroDte(FridayZeroDte):
    """The 0DTE condor as if it were an advanced strategy unlocked from phase 3."""

    min_phase = 3


def test_a_strategy_above_the_account_phase_opens_nothing_and_says_why(tmp_path):
    system, broker = run_friday(tmp_path, strategy=PhaseThreeZeroDte(load_config()))
    assert system.book.trades == [] and broker.open_order_ids() == []
    reasons = [r["message"] for r in system.journal.records if r.get("strategy") == "friday_0dte"]
    assert reasons == ["no entry: account phase 1: friday_0dte opens positions from phase 3"]
    next_friday = eastern(2024, 8, 16, 9, 30)  # the next session of the strategy: no second phase-lock line
    system.on_session_start(next_friday.date(), next_friday)
    for minute in (0, 60, 61):
        system.market.state.now = system.market.state.vix_time = next_friday + timedelta(minutes=minute)
        system.on_minute(next_friday + timedelta(minutes=minute))
    assert [r["message"] for r in system.journal.records if r.get("strategy") == "friday_0dte"] == reasons
    system, _ = run_friday(tmp_path / "phase3", strategy=PhaseThreeZeroDte(load_config()), cash=60_000.0)
    assert system.phases.phase == 3 and len(system.book.trades) == 1


class FailingZeroDte(FridayZeroDte):
    """A strategy whose entry analysis raises, as a bug or corrupt data would."""

    def propose_entry(self, ctx, positions):
        raise ValueError("corrupt chain row")


def test_a_failing_strategy_goes_to_error_recovers_and_is_suspended_after_three(tmp_path):
    config = load_config({"zero_dte_entry_deadline": "14:00", "zero_dte_exit_time": "15:00"})
    market = scripted_market(eastern(2024, 8, 9, 9, 30), spy=530.0, vix=23.0)
    broker = SimulatedBroker(30_000.0, lambda c, now: market.quote(c), lambda r, now: market.price(r),
                             lambda event: None, lambda event: None)
    strategy = FailingZeroDte(config)
    system = TradingSystem(config, [strategy], market, broker, FileStore(tmp_path), Journal(), "backtest/t", 30_000.0)
    open_dt = eastern(2024, 8, 9, 9, 30)
    system.on_session_start(open_dt.date(), open_dt)
    states = []
    for minute in range(390):
        now = open_dt + timedelta(minutes=minute)
        market.state.now = market.state.vix_time = now
        strategy.memory.clear()  # let the window reopen every minute: each try fails
        system.on_minute(now)
        states.append((now.strftime("%H:%M"), system.machines["friday_0dte"].state.value))
    errors = [r for r in system.journal.records if r["kind"] == "error"]
    recoveries = [r for r in system.journal.records if r["kind"] == "recovery"]
    assert len(errors) == 3 and "corrupt chain row" in errors[0]["message"]
    # ERROR -> IDLE after the 30-minute time-out, then the window's next try fails again
    error_times = [datetime.fromisoformat(r["time"]) for r in errors]
    recovery_times = [datetime.fromisoformat(r["time"]) for r in recoveries]
    assert error_times[0].strftime("%H:%M") == "10:30"
    for failed, recovered, failed_again in zip(error_times[:-1], recovery_times, error_times[1:], strict=True):
        assert recovered - failed >= timedelta(minutes=30) and failed_again >= recovered
    assert dict(states)["10:45"] == "ERROR"
    assert states[-1][1] == "SUSPENDED"  # the third error of the session
    assert broker.open_order_ids() == [] and system.book.positions == {}


def test_group_limits_gate_a_position_but_never_size_it(tmp_path):
    # $150,000 (phase 4): the correlation group A2 admits 3 positions, the condor's budgets 10 units
    # (risk 3,000 / stop 2 x 0.46 credit x 100 = 32; the contract cap 10); the group's free slots
    # (3) once capped the contracts
    system, _ = run_friday(tmp_path, cash=150_000.0)
    orders = [r for r in system.journal.records if r["kind"] == "order"]
    assert [o["quantity"] for o in orders] == [10, 10]
    assert [t["quantity"] for t in system.book.trades] == [10]


@pytest.mark.parametrize(("retries", "orders"), [(0, 1), (1, 2), (2, 3)])
def test_an_entry_order_that_times_out_is_retried_in_its_window(tmp_path, retries, orders):
    # the broker never fills: the 10:30 condor times out after 3 minutes and is cancelled; the strategy
    # asks again in its window (10:30-11:00) with a new proposal from fresh quotes, order_entry_retries times
    never = BrokerSettings(faults=BrokerFaults(no_fill=True))
    system, _ = run_friday(tmp_path, strategy=None, settings=never, overrides={"order_entry_retries": str(retries)})
    entries = [r for r in system.journal.records if r["kind"] == "order" and r["message"].startswith("open order")]
    assert len(entries) == orders
    assert [r["time"][11:16] for r in entries] == ["10:30", "10:34", "10:38"][:orders]
    notes = [r["message"] for r in system.journal.records if r["message"].startswith("entry order timed out")]
    retried = [f"entry order timed out unfilled: retry {k} of {retries} in the window, re-priced from fresh quotes"
               for k in range(1, retries + 1)]
    assert notes == [*retried, f"entry order timed out unfilled: no retry left ({retries} a day)"]
    assert system.book.trades == []
