"""Throughput and accuracy of the vectorised American pricer (greeks.american) on one core.

Run: .venv/bin/python -m benchmarks.american_throughput [--n 1000000] [--repeats 5]

Prints options per second (best of several repeats) on benchmarks.greeks_throughput.random_book
for american_price, american_price_and_greeks, american_price_and_delta (the chain model's hot
path) and, next to them, greeks.pricing.bsm_price_and_greeks on the same book; then the max
absolute / max relative error of american_price against QuantLib on a 2,000-option sample of
that book (QdFpAmericanEngine high-precision scheme; --fd uses FdBlackScholesVanillaEngine
800 x 800 instead, slower). Goal: 1,000,000 American options a second on one core. Figures
only; nothing is asserted (timings depend on the machine).
"""
from __future__ import annotations

import argparse

import numpy as np

from benchmarks.greeks_throughput import print_rates, random_book
from greeks.american import american_price, american_price_and_delta, american_price_and_greeks
from greeks.pricing import bsm_price_and_greeks

GOAL_PER_SECOND = 1_000_000
SAMPLE = 2_000


def quantlib_prices(book: dict[str, np.ndarray], fd: bool) -> np.ndarray:
    """QuantLib American prices of the book (T rounded to whole days by the caller)."""
    import QuantLib as ql  # benchmark-only dependency

    today = ql.Date(3, 1, 2024)
    ql.Settings.instance().evaluationDate = today
    dc = ql.Actual365Fixed()
    out = np.empty(len(book["S"]))
    for i in range(len(out)):
        rts = ql.YieldTermStructureHandle(ql.FlatForward(today, float(book["r"][i]), dc))
        qts = ql.YieldTermStructureHandle(ql.FlatForward(today, float(book["q"][i]), dc))
        vts = ql.BlackVolTermStructureHandle(
            ql.BlackConstantVol(today, ql.NullCalendar(), float(book["sigma"][i]), dc))
        spot = ql.QuoteHandle(ql.SimpleQuote(float(book["S"][i])))
        process = ql.BlackScholesMertonProcess(spot, qts, rts, vts)
        kind = ql.Option.Call if book["right"][i] == "call" else ql.Option.Put
        maturity = today + round(float(book["T"][i]) * 365.0)
        option = ql.VanillaOption(ql.PlainVanillaPayoff(kind, float(book["K"][i])),
                                  ql.AmericanExercise(today, maturity))
        engine = (ql.FdBlackScholesVanillaEngine(process, 800, 800) if fd else
                  ql.QdFpAmericanEngine(process, ql.QdFpAmericanEngine.highPrecisionScheme()))
        option.setPricingEngine(engine)
        out[i] = option.NPV()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="options per call (default 1,000,000)")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats; the best is reported")
    parser.add_argument("--fd", action="store_true", help="QuantLib FD 800 x 800 as the reference")
    args = parser.parse_args(argv)
    n = args.n
    b = random_book(n)
    numeric = (b["S"], b["K"], b["T"], b["r"], b["q"], b["sigma"])
    is_call = b["right"] == "call"
    greek_repeats = max(1, args.repeats // 2)
    cases = [
        ("american_price", lambda: american_price(b["right"], *numeric), args.repeats),
        ("american_price_and_greeks", lambda: american_price_and_greeks(b["right"], *numeric), greek_repeats),
        ("american_price_and_delta (hot path)", lambda: american_price_and_delta(is_call, *numeric),
         args.repeats),
        ("bsm_price_and_greeks (European)", lambda: bsm_price_and_greeks(b["right"], *numeric), args.repeats),
    ]
    headline = print_rates("american throughput", n, args.repeats, cases, 40)
    verdict = "meets" if headline >= GOAL_PER_SECOND else "misses"
    print(f"american_price: {headline:,.0f} options/s ({verdict} the goal of {GOAL_PER_SECOND:,}/s)")

    m = min(SAMPLE, n)
    sample = {k: v[:m].copy() for k, v in b.items()}
    sample["T"] = np.maximum(np.round(sample["T"] * 365.0), 1.0) / 365.0  # whole days for QuantLib
    ours = american_price(sample["right"], *(sample[k] for k in ("S", "K", "T", "r", "q", "sigma")))
    ref = quantlib_prices(sample, args.fd)
    err = np.abs(ours - ref)
    rel = err / np.maximum(ref, 1e-12)
    tol = np.maximum(0.02, 0.005 * ref)
    engine = "FdBlackScholesVanillaEngine 800x800" if args.fd else "QdFpAmericanEngine high precision"
    print(f"accuracy vs QuantLib {engine} on {m:,} options of the book:")
    print(f"  max abs error {err.max():.4f}, max relative error {rel.max():.2e} "
          f"(relative where price > 0.05: {rel[ref > 0.05].max():.2e}), "
          f"outside max(0.02, 0.5 %): {int((err > tol).sum())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
