"""The daily record behind the report's charts, on a real-data window with a LEAP put held
(2024-07-01..2024-08-09: the ladder buys a rung on 2024-07-15 and sells it on 2024-08-02)."""
from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import pytest

from config.loader import load_config
from offline.market.market_data import load_market_data
from offline.replay.daily_record import beta_to_spy
from offline.replay.runner import BacktestRunner


@pytest.fixture(scope="module")
def run(shared_data: Path):
    # $33,600: about what the seed account holds by then, so its rung budget buys the 2024-07-15 rung
    config = load_config({"backtest_start": "2024-07-01", "backtest_end": "2024-08-09", "backtest_cash": 33600})
    market = load_market_data(shared_data, config.backtest.start_date, config.backtest.end_date)
    with tempfile.TemporaryDirectory() as state:
        return BacktestRunner(config, market, Path(state)).run()


def test_one_row_per_session_with_the_account_figures(run):
    assert [row["date"] for row in run.daily] == [d.isoformat() for d in run.equity_dates]
    for row, equity in zip(run.daily, run.equity, strict=True):
        assert row["net_liquidation"] == pytest.approx(equity)
        assert row["phase"] == 1 and row["phase_cap"] == pytest.approx(0.5 * equity)
        assert row["regime_cap"] >= 0.0


def test_a_held_long_put_shows_negative_delta_positive_vega_and_margin_in_its_group(run):
    held = [row for row in run.daily if "2024-07-16" <= row["date"] <= "2024-07-31"]
    assert held
    for row in held:
        assert row["delta_spy"] < 0.0 and row["vega"] > 0.0 and row["theta"] < 0.0
        assert row["margin:A2"] > 0.0


def test_strategy_pnl_adds_up_to_the_account_pnl_at_the_end(run):
    last = run.daily[-1]
    strategies = sum(value for key, value in last.items() if key.startswith("pnl:"))
    account = last["net_liquidation"] - run.config.backtest.cash - run.cash_yield
    assert strategies == pytest.approx(account, abs=1.0)


def test_beta_of_spy_is_one_and_of_the_equity_index_future_close_to_one(shared_data: Path):
    market = load_market_data(shared_data, date(2024, 1, 2), date(2024, 3, 1))
    assert beta_to_spy(market, "SPY", date(2024, 3, 1)) == 1.0
    assert 0.85 < beta_to_spy(market, "MES", date(2024, 3, 1)) < 1.15
    assert abs(beta_to_spy(market, "MGC", date(2024, 3, 1))) < 0.6
