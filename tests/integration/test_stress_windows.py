"""Stress windows on real data: March 2020, the 2022 bear market and August 2024 run without errors,
detect the stress regimes and keep the phase-1 limits (option prices modelled)."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from config.loader import load_config
from offline.market.market_data import load_market_data
from offline.replay.runner import BacktestRunner
from offline.report.outputs import build_summary


def run_window(data_dir: Path, start: str, end: str) -> dict:
    config = load_config({"backtest_start": start, "backtest_end": end})
    market = load_market_data(data_dir, start, end)
    with tempfile.TemporaryDirectory() as state:
        return build_summary(BacktestRunner(config, market, Path(state)).run())


@pytest.mark.parametrize(("start", "end", "stress_regimes"), [
    ("2020-02-18", "2020-04-17", {"HIGH", "EXTREME"}),  # COVID crash: VIX 82.69 close on 2020-03-16
    ("2022-05-02", "2022-06-30", {"VOLATILE", "HIGH"}),  # 2022 bear market
    ("2024-07-29", "2024-08-16", {"HIGH", "EXTREME"}),  # 5 August 2024: VIX 65.73 intraday
])
def test_stress_window(shared_data: Path, start: str, end: str, stress_regimes: set[str]) -> None:
    summary = run_window(shared_data, start, end)
    assert summary["errors"] == 0
    assert stress_regimes <= {change["to"] for change in summary["regime_changes"]}
    assert summary["max_open_positions"] <= 3
    assert summary["max_drawdown"] > -0.15  # the user's bar, on these windows
