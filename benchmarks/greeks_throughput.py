"""Throughput of vectorised BSM price + all Greeks (and implied volatility) on one core.

Run: .venv/bin/python -m benchmarks.greeks_throughput [--n 1000000] [--repeats 7]

Prints options per second (best of several repeats) for:
  * bsm_price_and_greeks with an array of mixed "call"/"put" strings (the full public path,
    including parsing the rights and validating inputs);
  * the same with a scalar right;
  * bsm_price alone; implied_volatility (fewer repeats, it iterates).
The goal for price + Greeks is >= 5,000,000 options per second. Figures only; nothing is
asserted (timings depend on the machine). BLAS threads play no part (elementwise code).
"""
from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from greeks.pricing import bsm_price, bsm_price_and_greeks, implied_volatility

GOAL_PER_SECOND = 5_000_000


def random_book(n: int, seed: int = 20240805) -> dict[str, np.ndarray]:
    """n random but realistic equity-index options: strikes +/-30%, 1 day to 2 years, vol 8-80%."""
    rng = np.random.default_rng(seed)
    S = rng.uniform(50.0, 600.0, n)
    return {
        "right": np.where(rng.random(n) < 0.5, "call", "put"),
        "S": S,
        "K": S * rng.uniform(0.7, 1.3, n),
        "T": rng.uniform(1.0 / 365.0, 2.0, n),
        "r": rng.uniform(0.0, 0.06, n),
        "q": rng.uniform(0.0, 0.03, n),
        "sigma": rng.uniform(0.08, 0.8, n),
    }


def best_time(fn: Callable[[], object], repeats: int) -> float:
    """Best wall time in seconds over `repeats` calls (after one warm-up call)."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


Case = tuple[str, Callable[[], object], int]  # label, call to time, timed repeats


def print_rates(title: str, n: int, repeats: int, cases: list[Case], width: int) -> float:
    """Time each case on `n` options, print one line each; returns the first case's options/s."""
    print(f"{title}: {n:,} options per call, best of {repeats} repeats, one core")
    headline = 0.0
    for label, fn, case_repeats in cases:
        seconds = best_time(fn, case_repeats)
        rate = n / seconds
        headline = headline or rate
        print(f"  {label:{width}s} {seconds * 1e3:9.1f} ms  {rate:>14,.0f} options/s")
    return headline


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="options per call (default 1,000,000)")
    parser.add_argument("--repeats", type=int, default=7, help="timed repeats; the best is reported")
    args = parser.parse_args(argv)
    n = args.n
    b = random_book(n)
    numeric = (b["S"], b["K"], b["T"], b["r"], b["q"], b["sigma"])
    prices = bsm_price(b["right"], *numeric)
    cases: list[Case] = [
        ("bsm_price_and_greeks, mixed right strings", lambda: bsm_price_and_greeks(b["right"], *numeric),
         args.repeats),
        ("bsm_price_and_greeks, scalar right", lambda: bsm_price_and_greeks("call", *numeric), args.repeats),
        ("bsm_price only, mixed right strings", lambda: bsm_price(b["right"], *numeric), args.repeats),
        ("implied_volatility, mixed right strings",
         lambda: implied_volatility(prices, b["right"], *numeric[:5]), max(1, args.repeats // 3)),
    ]
    headline = print_rates("greeks throughput", n, args.repeats, cases, 44)
    verdict = "meets" if headline >= GOAL_PER_SECOND else "MISSES"
    print(f"price + all Greeks: {headline:,.0f} options/s ({verdict} the goal of {GOAL_PER_SECOND:,}/s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
