"""A session's per-minute prices of one symbol: the real SPY minute bars where the market data has
them, a modelled path (offline/market/intraday_path.py) from the day's daily bar elsewhere."""
from __future__ import annotations

from datetime import date

import numpy as np

from offline.market.intraday_path import IntradayPath, minute_path, session_minutes, vix_path
from offline.market.market_data import MarketData


def session_path(market: MarketData, symbol: str, day: date) -> IntradayPath:
    """Per-minute prices of `symbol` ("SPY", another ETF, "SPX", "VIX" or a futures root) on `day`.

    SPY uses the real minute bars when the market has them (bar closes, a missing minute
    carrying the last price); every other case is modelled from the daily bar. VIX moves
    against SPY's path of the same day; SPX is SPY's path scaled to end at SPX's daily close. Raises ValueError when the day has no daily bar for
    `symbol` (for VIX: SPEC section 2, no new entries that day) or is not an NYSE session.
    """
    if symbol == "SPY" and day in market.minute_bars:
        bars = market.minute_bars[day]
        prices = np.full(session_minutes(day), np.nan)
        prices[bars.minute] = bars.close
        if np.isnan(prices[0]):
            prices[0] = bars.open[0]
        filled_index = np.maximum.accumulate(np.where(np.isnan(prices), 0, np.arange(len(prices))))
        return IntradayPath(day, prices[filled_index], True)
    bar = _daily_bar(market, symbol, day)
    if symbol == "SPX":  # the index moves with SPY minute by minute, scaled to close at its own close
        spy = session_path(market, "SPY", day).prices
        return IntradayPath(day, spy * (bar[3] / float(spy[-1])), False)
    if symbol == "VIX":
        underlying = session_path(market, "SPY", day).prices
        return IntradayPath(day, vix_path(day, *bar, underlying), False)
    return IntradayPath(day, minute_path(day, *bar, seed_key=symbol), False)


def _daily_bar(market: MarketData, symbol: str, day: date) -> tuple[float, float, float, float]:
    bars = market.bars(symbol)
    index = int(np.searchsorted(bars.dates, np.datetime64(day, "D")))
    if index >= len(bars.dates) or bars.dates[index] != np.datetime64(day, "D"):
        raise ValueError(f"no daily {symbol} bar on {day}")
    return (float(bars.open[index]), float(bars.high[index]), float(bars.low[index]),
            float(bars.close[index]))
