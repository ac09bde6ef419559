"""Backtests before the real data: the synthetic sample market over 2005, and the clear stop on real data.

The sample market is SYNTHETIC (offline/market/sample_market.py) and option prices are modelled; the run
checks that the 2005 calendars (sessions, expiries, FOMC/CPI) carry a backtest without errors.
"""
from __future__ import annotations

import re
import tempfile
from datetime import date
from pathlib import Path

import pytest

from config.loader import load_config
from helpers import exchange_calendar as xc
from helpers import expiry_calendar as ex
from offline.market.data_files import MarketDataError
from offline.market.market_data import load_market_data
from offline.market.sample_market import write_sample_market
from offline.replay.runner import BacktestRunner
from offline.report.outputs import build_summary

START, END = "2005-03-01", "2005-06-30"
_LEG = re.compile(r"([A-Z]+) (\d{4}-\d{2}-\d{2}) [PC] ")


@pytest.fixture(scope="module")
def run_2005(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, list]:
    config = load_config({"backtest_start": START, "backtest_end": END})
    data_dir = write_sample_market(tmp_path_factory.mktemp("sample2005"), START, END)
    market = load_market_data(data_dir, START, END)
    with tempfile.TemporaryDirectory() as state:
        result = BacktestRunner(config, market, Path(state)).run()
    return build_summary(result), result.system.book.trades


def test_the_2005_run_has_no_errors_and_uses_the_nyse_sessions(run_2005: tuple[dict, list]) -> None:
    summary, trades = run_2005
    assert summary["errors"] == 0
    assert summary["data"]["source"] == "synthetic"
    assert summary["sessions"] == len(xc.nyse_sessions(date.fromisoformat(START), date.fromisoformat(END))) == 86
    assert summary["trades"] == len(trades) >= 1


def test_every_option_traded_in_2005_is_an_expiry_that_existed(run_2005: tuple[dict, list]) -> None:
    _, trades = run_2005
    legs = [m.groups() for t in trades for m in _LEG.finditer(t["legs"] + " ")]
    assert legs
    for root, expiry in legs:
        day = date.fromisoformat(expiry)
        assert ex.has_expiry(root, day), (root, expiry)
        assert root != "SPY" or xc.is_nth_weekday_of_month(day, xc.FRIDAY, 3) or day.month in (3, 6, 9, 12), expiry


def test_real_data_from_2005_stops_naming_the_file_and_its_first_date(shared_data: Path) -> None:
    with pytest.raises(MarketDataError) as caught:
        load_market_data(shared_data, "2005-01-03", "2015-06-30")
    message = str(caught.value)
    assert "SPY.csv" in message and "first date 2015-01-02" in message and "\n" not in message
    with pytest.raises(MarketDataError, match="no session between 2005-01-03 and 2006-12-29; the file covers 2015-01-02"):
        load_market_data(shared_data, "2005-01-03", "2006-12-29")


def test_a_run_can_start_on_the_first_session_of_the_real_data(shared_data: Path) -> None:
    # 2015-01-02 is the first row of daily/SPY.csv: no close before it for the dividend yield
    config = load_config({"backtest_start": "2015-01-02", "backtest_end": "2015-01-09"})
    market = load_market_data(shared_data, config.backtest.start_date, config.backtest.end_date)
    with tempfile.TemporaryDirectory() as state:
        result = BacktestRunner(config, market, Path(state)).run()
    assert result.equity_dates[0] == date(2015, 1, 2) and len(result.equity_dates) == 6
    assert build_summary(result)["errors"] == 0
