"""The event-driven replay against the replay of every minute, on real data: the minutes the runner
skips (BacktestRunner._next_minute) would have changed nothing, so both give the same journal,
trades, equity and daily record, line for line. Windows with regime changes, intraday spikes,
EXTREME spike deployments and every strategy (a $150,000 account trades all of them); option prices
are modelled."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from config.loader import load_config
from offline.market.market_data import load_market_data
from offline.replay.runner import BacktestRunner, RunResult


def _run(data_dir: Path, start: str, end: str, every_minute: bool) -> tuple[RunResult, int]:
    config = load_config({"backtest_start": start, "backtest_end": end, "backtest_cash": 150_000})
    market = load_market_data(data_dir, start, end)
    with tempfile.TemporaryDirectory() as state:
        runner = BacktestRunner(config, market, Path(state), every_minute=every_minute)
        calls = 0
        on_minute = runner.system.on_minute

        def counted(now):  # type: ignore[no-untyped-def]
            nonlocal calls
            calls += 1
            on_minute(now)

        runner.system.on_minute = counted  # type: ignore[method-assign]
        return runner.run(), calls


@pytest.mark.parametrize(("start", "end"), [
    ("2020-02-18", "2020-03-31"),  # COVID crash: EXTREME, spike deployments, stale-free VIX jumps
    ("2024-07-22", "2024-08-16"),  # 5 August 2024 (VIX 65.73 intraday) on real SPY minute bars
])
def test_skipped_minutes_change_nothing(shared_data: Path, start: str, end: str) -> None:
    skipping, woken = _run(shared_data, start, end, every_minute=False)
    stepping, every = _run(shared_data, start, end, every_minute=True)
    assert every == stepping.simulated_minutes
    assert woken < every / 3, f"{woken} of {every} minutes run: the replay skips too little"
    assert skipping.journal.records == stepping.journal.records
    assert skipping.equity == stepping.equity and skipping.regimes == stepping.regimes
    assert skipping.daily == stepping.daily
    assert skipping.max_open_positions == stepping.max_open_positions
    kinds = {record["kind"] for record in stepping.journal.records}
    assert {"regime_change", "order", "fill"} <= kinds, kinds


def test_every_minute_is_a_run_setting_kept_by_the_checkpoint() -> None:
    from offline.commands.cli import build_parser
    from offline.replay.restart import RunSettings

    args = build_parser().parse_args(["backtest", "--data", "d", "--every-minute"])
    assert args.every_minute is True
    assert build_parser().parse_args(["backtest", "--data", "d"]).every_minute is False
    settings = RunSettings("d", every_minute=True)
    assert RunSettings.from_dict(settings.to_dict()).every_minute is True
    earlier = {key: value for key, value in settings.to_dict().items() if key != "every_minute"}
    assert RunSettings.from_dict(earlier).every_minute is False  # a checkpoint from before the setting
