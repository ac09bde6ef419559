"""SPY option data for the replay: MODELLED, not real. There are no real SPY option quotes for
the replay's days in the data folder, so every listing and every bid/ask comes from this
project's offline chain model (`offline.market.chain_model.ChainModel`: its listed expiries and
strikes, its volatility surface driven by the VIX level, its American prices and its spreads).

* Listing: the contracts the model lists at the universe selection time, from the previous
  close of SPY and VIX (the universe file LEAN would read at that time).
* Quote bars: for the minute ending at T, each contract's bid and ask at SPY's open, high, low
  and close of that minute (the VIX at its close); the bar's open and close are the quotes at
  SPY's open and close, its high and low the extremes of the four.
Quotes are computed per expiry and minute, and only when something reads them (a chain row, a
security's bid/ask, a fill check): LEAN would read every subscribed contract's file each minute,
but the values are the same whichever is read first.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import numpy as np

from offline.market.chain_model import ChainModel

NEW_YORK = ZoneInfo("America/New_York")
SPY_DIVIDEND_YIELD = 0.013  # continuous yield assumed for SPY in 2024 (about 1.3%)

Contract = tuple[date, float, bool]  # expiry, strike, is_call


class ModelledOptions:
    def __init__(self, rate_of: Callable[[date], float], root: str = "SPY") -> None:
        self.model = ChainModel()
        self.root = root
        self.rate_of = rate_of
        self.dividend_yield = SPY_DIVIDEND_YIELD

    def listing(self, day: date, spot: float, vix: float) -> list[Contract]:
        """The contracts listed for trading day `day` (expiries of 0..730 days)."""
        opening = datetime.combine(day, time(9, 30), NEW_YORK)
        snapshot = self.model.snapshot(self.root, opening, spot, vix / 100.0, self.rate_of(day), self.dividend_yield,
                                       0, 730)
        return [(e.astype(object), float(k), bool(c))
                for e, k, c in zip(snapshot.expiries, snapshot.strikes, snapshot.is_call, strict=True)]

    def quote_bars(self, end: datetime, spy: tuple[float, float, float, float], vix: float,
                   contracts: list[Contract]) -> tuple[np.ndarray, np.ndarray]:
        """(bid, ask) arrays of shape (n, 4) = open, high, low, close of each contract's quote bar
        for the minute ending at `end` (naive New York), SPY's bar `spy` = (o, h, l, c)."""
        n = len(contracts)
        expiries = np.array([c[0] for c in contracts] * 4, dtype="datetime64[D]")
        strikes = np.array([c[1] for c in contracts] * 4)
        calls = np.array([c[2] for c in contracts] * 4)
        prices = np.repeat(np.array(spy, dtype=float), n)
        quotes = self.model.quote(self.root, end, prices, vix / 100.0, self.rate_of(end.date()), self.dividend_yield,
                                  expiries, strikes, calls)
        bid, ask = quotes.bid.reshape(4, n).T, quotes.ask.reshape(4, n).T
        return _bar(bid), _bar(ask)


def _bar(values: np.ndarray) -> np.ndarray:
    """Columns o, h, l, c from quotes at the underlying's o, h, l, c."""
    return np.column_stack([values[:, 0], values.max(axis=1), values.min(axis=1), values[:, 3]])
