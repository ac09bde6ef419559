"""Benchmark of the seed run on real data: wall time, sessions and simulated minutes per second,
peak memory. Prints figures; asserts nothing (the goals are checked by reading them).

Usage: python -m benchmarks.seed_run [--data ../shared/data]
"""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from config.loader import load_config
from offline.market.market_data import load_market_data
from offline.replay.runner import BacktestRunner


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    args = parser.parse_args(argv)
    config = load_config()
    started = time.perf_counter()
    market = load_market_data(args.data, config.backtest.start_date, config.backtest.end_date)
    loaded = time.perf_counter()
    with tempfile.TemporaryDirectory() as state:
        result = BacktestRunner(config, market, Path(state)).run()
    finished = time.perf_counter()
    sessions = len(result.equity_dates)
    minutes = result.simulated_minutes
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    replay = finished - loaded
    print(f"seed run {config.backtest.start}..{config.backtest.end}, ${config.backtest.cash:,.0f}, real data")
    print(f"  data load          {loaded - started:8.2f} s")
    print(f"  replay             {replay:8.2f} s   (goal <= 60 s, target 15 s)")
    print(f"  sessions           {sessions:8d}     ({sessions / replay:,.1f} per second)")
    print(f"  simulated minutes  {minutes:8d}     ({minutes / replay:,.0f} per second)")
    print(f"  peak memory        {peak_mb:8.1f} MB (goal < 1,536 MB)")
    print(f"  trades             {len(result.system.book.trades):8d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
