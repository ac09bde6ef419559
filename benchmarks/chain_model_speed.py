"""Speed of the offline chain model: full modelled snapshots per second on one core.

Run: .venv/bin/python -m benchmarks.chain_model_speed [--repeats 200]

Prints, for a SPY chain with 0-730 DTE on 2024-08-05 10:30 (every listed expiry, about 15,000
rows), an ES chain with 0-400 DTE, and 1,000 single-contract marks (price_contract), the best
and median time per call and the rate. The goal is a full SPY snapshot in a few milliseconds.
Figures only; nothing is asserted (timings depend on the machine).
"""
from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import datetime

from helpers.exchange_calendar import EASTERN
from offline.market.chain_model import ChainModel

AS_OF = datetime(2024, 8, 5, 10, 30, tzinfo=EASTERN)


def timings(fn: Callable[[], object], repeats: int) -> list[float]:
    """Wall times in seconds of `repeats` calls (after one warm-up call)."""
    fn()
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200, help="timed calls per case (default 200)")
    args = parser.parse_args(argv)
    model = ChainModel()
    spy = model.snapshot("SPY", AS_OF, 517.38, 0.3857, 0.0521, 0.0125, 0, 730)
    es = model.snapshot("ES", AS_OF, 5217.5, 0.3857, 0.0521, 0.0, 0, 400)
    contracts = [spy.contract(i) for i in range(0, len(spy), max(1, len(spy) // 1000))][:1000]
    cases = {
        f"SPY snapshot 0-730 DTE ({len(spy):,} rows, {len(spy.listed_expiries())} expiries)":
            lambda: model.snapshot("SPY", AS_OF, 517.38, 0.3857, 0.0521, 0.0125, 0, 730),
        f"ES snapshot 0-400 DTE ({len(es):,} rows)":
            lambda: model.snapshot("ES", AS_OF, 5217.5, 0.3857, 0.0521, 0.0, 0, 400),
        f"{len(contracts)} x price_contract":
            lambda: [model.price_contract(c, AS_OF, 517.38, 0.3857, 0.0521, 0.0125) for c in contracts],
    }
    for name, fn in cases.items():
        times = timings(fn, args.repeats if "snapshot" in name else max(3, args.repeats // 50))
        best, median = min(times), statistics.median(times)
        print(f"{name}: best {best * 1e3:.2f} ms, median {median * 1e3:.2f} ms, {1.0 / median:,.0f} per second")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
