"""Builders for scripted LEAN sessions: real daily and minute bars, and BSM-priced option chains.

Prices of SPY and VIX come from ../shared/data (real). Option quotes are MODELLED here (BSM at a
flat volatility, a fixed spread) because no real 2024 SPY chain exists in the data.
"""
from __future__ import annotations

import csv
import gzip
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np

from greeks.pricing import bsm_price_and_greeks
from tests.lean_standin import scripted as f
from tests.lean_standin.scripted_algorithm import option_symbol

RATE = 0.05


def daily_bars(shared_data: Path, file: str, symbol: f.Symbol, first: date, last: date) -> list[f.TradeBar]:
    """Real daily bars of one file in daily/ between two dates (VIX: NYSE sessions only)."""
    bars = []
    with open(shared_data / "daily" / file, newline="") as handle:
        for row in csv.DictReader(handle):
            day = date.fromisoformat(row["date"])
            if first <= day <= last and row.get("nyse_session", "1") == "1":
                start = datetime.combine(day, time())
                bars.append(f.TradeBar(symbol, start, start + timedelta(days=1), float(row["open"]),
                                       float(row["high"]), float(row["low"]), float(row["close"])))
    return bars


def spy_minutes(shared_data: Path, day: date) -> dict[datetime, tuple[float, float]]:
    """Real SPY minute bars of one session: bar start time -> (open, close)."""
    found = {}
    prefix = day.isoformat()
    with gzip.open(shared_data / "intraday" / "SPY_1min_rth_2024-03-26_2025-01-31.csv.gz", "rt") as handle:
        for row in csv.DictReader(handle):
            if row["ts_et"].startswith(prefix):
                found[datetime.fromisoformat(row["ts_et"])] = (float(row["open"]), float(row["close"]))
    return found


def bsm_chain(underlying: f.Symbol, root: str, expiry: date, spot: float, now: datetime, sigma: float,
              strikes: np.ndarray, engine_greeks: bool = True) -> list[f.OptionContract]:
    """Calls and puts at `strikes`, priced with BSM (flat `sigma`, rate 5%, no dividends) to 16:00
    of `expiry`; bid/ask 2% either side of the price (at least one cent, bid never negative).
    With `engine_greeks` the contracts carry IV and delta like LEAN's; without, zeros."""
    years = max((datetime.combine(expiry, time(16, 0)) - now).total_seconds(), 60.0) / (365.0 * 86400.0)
    contracts = []
    for right in ("call", "put"):
        values = bsm_price_and_greeks(np.full(strikes.shape, right), spot, strikes, years, RATE, 0.0, sigma)
        for strike, price, delta in zip(strikes, values["price"], values["delta"], strict=True):
            half = max(0.01, round(0.02 * float(price), 2))
            mid = round(float(price), 2)
            bid, ask = max(0.0, mid - half), mid + half
            greeks = f.Greeks(delta=float(delta)) if engine_greeks else f.Greeks()
            contracts.append(f.OptionContract(option_symbol(underlying, root, expiry, float(strike), right), bid, ask,
                                              sigma if engine_greeks else 0.0, greeks))
    return contracts
