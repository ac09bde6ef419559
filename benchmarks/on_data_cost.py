"""Cost of main.py's `on_data` when nothing is scheduled, on the test fakes of LEAN.

Run: .venv/bin/python -m benchmarks.on_data_cost [--calls 200000] [--repeats 9]

LEAN calls `on_data` for every minute of every subscription with data, so it must stay cheap:
outside the warm-up it does nothing (the market view reads `current_slice`, which LEAN sets
before the scheduled events fire). The algorithm is initialized on the fakes
(tests/lean_adapter), warm-up finished, and fed a slice holding a 132-contract option chain; the
median cost per call over the repeats is printed against the goal of 20 microseconds. This
measures the Python side only (the fakes' attribute access is cheaper than pythonnet's).
"""
from __future__ import annotations

import argparse
import statistics
import time
from datetime import date, datetime
from typing import Any

import numpy as np

GOAL_MICROSECONDS = 20.0


def prepared_algorithm() -> tuple[Any, Any]:
    """An initialized main.TomKingFramework on the fakes and a realistic slice (fake types)."""
    from tests.lean_standin.scripted_algorithm import FakeLean, install

    install()
    import main
    from tests.lean_adapter.scenario import bsm_chain

    lean = FakeLean(start=datetime(2024, 8, 2, 10, 0))
    algorithm = lean.attach(main.TomKingFramework())
    algorithm.initialize()
    found = {(s.kind, s.symbol.value): s.symbol for s in lean.subscriptions}
    spy, options = found[("equity", "SPY")], found[("option", "?SPY")]
    lean.set_price(spy, 535.0)
    lean.set_chain(options, 535.0, bsm_chain(spy, "SPY", date(2024, 8, 2), 535.0, lean.time, 0.2,
                                              np.arange(500.0, 566.0)))
    return algorithm, lean.current_slice()


def median_cost(calls: int, repeats: int) -> tuple[float, list[float]]:
    """Median and all per-call costs (microseconds) of `repeats` timed runs of `calls` calls."""
    algorithm, data = prepared_algorithm()
    on_data = algorithm.on_data
    for _ in range(1000):
        on_data(data)
    costs = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            on_data(data)
        costs.append((time.perf_counter() - start) / calls * 1e6)
    return statistics.median(costs), costs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200_000, help="on_data calls per timed run")
    parser.add_argument("--repeats", type=int, default=9, help="timed runs; the median is reported")
    args = parser.parse_args(argv)
    median, costs = median_cost(args.calls, args.repeats)
    verdict = "meets" if median < GOAL_MICROSECONDS else "MISSES"
    print(f"on_data with nothing scheduled: median {median:.3f} microseconds per call "
          f"(runs: {', '.join(f'{c:.3f}' for c in costs)}); {verdict} the goal of {GOAL_MICROSECONDS:g}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
