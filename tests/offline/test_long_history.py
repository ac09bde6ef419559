"""Files as users download them reach far outside the exchange calendars (Yahoo's SPY history
starts 1993-01-29, CBOE's VIX 1990-01-02, FRED's rates 1981): they load, and a run reads only
its window and look-back, so it is the same as a run on the files cut to the window."""
from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from config.loader import load_config
from offline.market.chain_calibration import write_chain_csv
from offline.market.market_data import load_market_data
from offline.replay.runner import BacktestRunner
from offline.report.outputs import build_summary
from tests.offline.long_history import long_history_copy

START, END = date(2024, 7, 1), date(2024, 8, 9)


@pytest.fixture(scope="module")
def long_data(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return long_history_copy(shared_data, tmp_path_factory.mktemp("long") / "data")


def _run(data_dir: Path) -> dict:
    config = load_config()
    market = load_market_data(data_dir, START, END)
    with tempfile.TemporaryDirectory() as state:
        summary = build_summary(BacktestRunner(config, market, Path(state)).run())
    return {k: summary[k] for k in ("final_equity", "trades", "max_drawdown", "orders_denied")}


def test_the_copies_begin_before_the_calendars_and_end_after_them(long_data: Path) -> None:
    spy = pd.read_csv(long_data / "daily" / "SPY.csv")
    vix = pd.read_csv(long_data / "daily" / "VIX_cboe.csv")
    assert spy["date"].iloc[0] == "1993-01-29" and vix["date"].iloc[0] == "1990-01-02"
    assert spy["date"].iloc[-1] == "2036-01-03" and (long_data / "daily" / "VIX6M_cboe.csv").is_file()


def test_loading_a_window_reads_the_same_values_as_the_shared_files(shared_data: Path, long_data: Path) -> None:
    short, long = load_market_data(shared_data, START, END), load_market_data(long_data, START, END)
    assert np.array_equal(short.sessions, long.sessions)
    assert np.array_equal(short.vix.close, long.vix.close)
    assert np.array_equal(short.daily["SPY"].close, long.daily["SPY"].close)
    assert short.rate_on(date(2024, 8, 5)) == long.rate_on(date(2024, 8, 5))


def test_an_impossible_value_years_before_the_window_never_stops_a_run(long_data: Path, tmp_path: Path) -> None:
    spy = pd.read_csv(long_data / "daily" / "SPY.csv", dtype=str)
    spy.loc[spy["date"] == "1995-03-01", "close"] = "-1"
    broken = tmp_path / "data"
    broken.mkdir()
    for folder in ("rates", "intraday"):
        (broken / folder).symlink_to(long_data / folder)
    (broken / "daily").mkdir(parents=True)
    for path in (long_data / "daily").iterdir():
        (broken / "daily" / path.name).symlink_to(path)
    (broken / "daily" / "SPY.csv").unlink()
    spy.to_csv(broken / "daily" / "SPY.csv", index=False)
    market = load_market_data(broken, START, END, strict=True)
    assert market.sessions[0] == np.datetime64("2023-05-30")  # 400 days of look-back
    assert market.data_issues == ()


def test_a_backtest_on_the_long_files_equals_one_on_the_shared_files(shared_data: Path, long_data: Path) -> None:
    long = _run(long_data)
    assert long == _run(shared_data)
    assert long["trades"] >= 1  # the window trades: the comparison is not of two empty runs


def test_the_chain_command_on_the_long_files(shared_data: Path, long_data: Path, tmp_path: Path) -> None:
    short = pd.read_csv(write_chain_csv(shared_data, "2024-08-05", "SPY", tmp_path / "short.csv"))
    long = pd.read_csv(write_chain_csv(long_data, "2024-08-05", "SPY", tmp_path / "long.csv"))
    assert len(long) > 1000
    pd.testing.assert_frame_equal(short, long)
