"""The daily market inputs of one product on one date, from loaded data: the underlying's close,
the 30-day volatility level, the rate and the dividend yield (what the chain model prices a
calibration day with)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from config.constants import product_spec
from offline.market.market_data import MarketData, dividend_yield, index_on
from offline.market.volatility_surface import DEFAULT_SURFACE, SurfaceParameters, realised_volatility_level


@dataclass(frozen=True)
class MarketInputs:
    """Daily market inputs of one product on one date: close of the underlying (futures price for
    futures options), 30-day volatility level (VIX / 100 or realised vol x premium), continuous
    rate ln(1 + DGS3MO / 100) and continuous dividend yield (0 for futures)."""

    root: str
    as_of: date
    underlying_price: float
    vol_level: float
    rate: float
    dividend_yield: float


def _spx_close(data_dir: Path, as_of: date) -> float:
    frame = pd.read_csv(Path(data_dir) / "daily" / "SPX_index.csv.gz", usecols=["date", "close"])
    rows = frame.loc[frame["date"] == as_of.isoformat(), "close"]
    if rows.empty:
        raise ValueError(f"no SPX close on {as_of} in daily/SPX_index.csv.gz")
    return float(rows.iloc[0])


def market_inputs(market: MarketData, as_of: date, root: str,
                  surface: SurfaceParameters = DEFAULT_SURFACE) -> MarketInputs:
    """Close, 30-day vol level, rate and dividend yield of `root` on `as_of` from loaded data.

    The underlying close must exist on that date, and the VIX too for products whose volatility
    index is the VIX; the others use the 20-session realised vol (roll-free returns for
    futures) x premium. Raises ValueError for missing data, KeyError for an unknown root.
    """
    spec = product_spec(root)
    base, scale = spec.price_series, spec.price_scale
    if base == "SPX":
        spot = _spx_close(market.data_dir, as_of) * scale
    else:
        bars = market.bars(base)
        index = index_on(bars.dates, as_of, base)
        spot = float(bars.close[index]) * scale
    if spec.volatility_index == "VIX":
        level = float(market.vix.close[index_on(market.vix.dates, as_of, "VIX")]) / 100.0
    elif base in market.futures:
        level = realised_volatility_level(market.futures[base].returns[:index + 1], 20, surface)
    else:
        closes = bars.close[:index + 1]
        level = realised_volatility_level(closes[1:] / closes[:-1] - 1.0, 20, surface)
    ticker = spec.dividend_source
    q = 0.0 if ticker is None else dividend_yield(market, ticker, as_of)
    return MarketInputs(spec.root, as_of, spot, level, market.rate_on(as_of), q)
