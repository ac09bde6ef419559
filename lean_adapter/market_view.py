"""core.ports.MarketView on LEAN: the current slice, option chains, securities and daily bars.

Chains come from `algorithm.current_slice`: LEAN sets it before it fires the scheduled events of
a time step, and calls `on_data` only after them, so inside a scheduled event it is the slice of
that very minute (a slice stored by `on_data` would be a minute old, and at the session's first
minute the previous day's last one). All work happens when the core asks, a few times a minute
at most. Missing data is None, never an exception: an empty or missing
chain, a security without a price, a VIX that has not printed yet.

Chains: the engine's implied volatility and delta are used where LEAN has computed them; rows
where they are zero or missing (before prices arrive, or when the price model has no answer) get
our own (greeks.pricing: BSM for equity and index options with no dividend yield, Black-76 for
futures options) from the bid/ask mid, at LEAN's risk-free rate. Contracts the account holds
are added to a chain even when the universe filter no longer lists them, so a managed position
always finds its rows.
"""
from __future__ import annotations

import math
from datetime import date, datetime, time

import numpy as np
from AlgorithmImports import OptionChains, OptionRight, QCAlgorithm, SecurityType, Symbol

from config.constants import product_spec, underlying_of
from core.types import CALL, ChainSnapshot, Contract, ContractKind, DailyBars, Quote, normalize_right
from greeks.american import american_implied_volatility, american_price_and_greeks
from greeks.pricing import black76_greeks, bsm_greeks, implied_volatility
from helpers.exchange_calendar import EASTERN
from lean_adapter.clock import exchange_to_eastern, to_eastern
from lean_adapter.daily_bars import DailyBarBook
from lean_adapter.subscriptions import Subscriptions
from lean_adapter.symbols import SymbolBook, option_root

SECONDS_PER_YEAR = 365.0 * 86400.0
MIN_YEARS = 60.0 / SECONDS_PER_YEAR  # a contract in its last minute still has one minute of time
EXPIRY_TIME = time(16, 0)
Row = tuple[date, float, bool, float, float, float, float, float]  # expiry, K, call, bid, ask, iv, delta, F


def _usable(value: float) -> float:
    """An IV, delta or underlying price as a float, NaN when missing or zero (LEAN's 'not
    computed yet')."""
    number = float(value)
    return number if math.isfinite(number) and number != 0.0 else float("nan")


def _quote(bid: float, ask: float) -> tuple[float, float]:
    """Bid and ask, both NaN unless ask > 0 and 0 <= bid <= ask (a zero bid is a real quote:
    nobody bids for a far out-of-the-money option, yet it can be bought at the ask)."""
    bid, ask = float(bid), float(ask)
    if math.isfinite(bid) and math.isfinite(ask) and 0.0 <= bid <= ask and ask > 0.0:
        return bid, ask
    return float("nan"), float("nan")


class LeanMarketView:
    """The core's MarketView over a running QCAlgorithm."""

    def __init__(self, algorithm: QCAlgorithm, subscriptions: Subscriptions, symbols: SymbolBook,
                 bars: DailyBarBook) -> None:
        self._algorithm = algorithm
        self._subscriptions = subscriptions
        self._symbols = symbols
        self._bars = bars
        self._session_open: dict[str, float] = {}
        self._cache: dict[tuple[str, int, int], tuple[datetime, ChainSnapshot | None]] = {}
        self._held: tuple[datetime, list[Symbol]] | None = None

    # --- MarketView -----------------------------------------------------------------------------

    def now(self) -> datetime:
        return to_eastern(self._algorithm.time)

    def price(self, root: str) -> float | None:
        symbol = self._subscriptions.underlyings.get(underlying_of(root))
        return None if symbol is None else self._security_price(symbol)

    def vix(self) -> tuple[float, datetime] | None:
        symbol = self._subscriptions.vix
        if symbol is None or not self._algorithm.securities.contains_key(symbol):
            return None
        security = self._algorithm.securities[symbol]
        last = security.get_last_data()
        if last is None:
            return None
        # end_time is in the exchange's time zone (America/Chicago for VIX), not the algorithm's.
        return float(security.price), exchange_to_eastern(last.end_time, security.exchange.time_zone)

    def vix_previous_close(self) -> float | None:
        bars = self._bars.bars("VIX", 1, self.now().date())
        return None if bars is None else float(bars.close[-1])

    def daily_bars(self, root: str, count: int) -> DailyBars | None:
        return self._bars.bars(underlying_of(root), count, self.now().date())

    def session_open_price(self, root: str) -> float | None:
        return self._session_open.get(underlying_of(root))

    def quote(self, contract: Contract) -> Quote | None:
        if contract.kind == ContractKind.EQUITY:
            price = self.price(contract.root)
            return None if price is None else Quote(price, price)
        symbol = self._symbols.symbol_for(contract)
        if symbol is None or not self._algorithm.securities.contains_key(symbol):
            return None
        security = self._algorithm.securities[symbol]
        return Quote(float(security.bid_price), float(security.ask_price))

    def delta(self, contract: Contract) -> float | None:
        if contract.expiry is None or contract.strike is None:
            return None
        dte = max((contract.expiry - self.now().date()).days, 0)
        chain = self.chain(contract.root, dte, dte, contract.right)
        return None if chain is None else chain.delta_of(contract)

    def chain(self, root: str, min_dte: int, max_dte: int, right: str | None = None) -> ChainSnapshot | None:
        now = self.now()
        key = (root, min_dte, max_dte)
        cached = self._cache.get(key)
        if cached is not None and cached[0] == now:
            snapshot = cached[1]
        else:
            if len(self._cache) > 64:
                self._cache.clear()
            snapshot = self._build_chain(root, min_dte, max_dte, now)
            self._cache[key] = (now, snapshot)
        if snapshot is None or right is None:
            return snapshot
        return snapshot.subset(snapshot.is_call == (normalize_right(right) == CALL))

    # --- called by main.py ---------------------------------------------------------------------

    def record_session_open(self) -> None:
        """Remember each underlying's opening price (call in the first minute of the session: the
        current bar is the opening bar, and its open is the session's first trade)."""
        self._session_open.clear()
        for root, symbol in self._subscriptions.underlyings.items():
            if self._algorithm.securities.contains_key(symbol):
                opening = float(self._algorithm.securities[symbol].open)
                if math.isfinite(opening) and opening > 0:
                    self._session_open[root] = opening

    def has_chain(self, root: str) -> bool:
        """True when the current slice holds a non-empty option chain for `root`."""
        chains = self._chains()
        if chains is None:
            return False
        return any(option_root(symbol) == root and len(chain) > 0 for symbol, chain in chains.items())

    # --- helpers ---------------------------------------------------------------------------------

    def _chains(self) -> OptionChains | None:
        """The option chains of the current time step (None before the first slice)."""
        current = self._algorithm.current_slice
        return None if current is None else current.option_chains

    def _security_price(self, symbol: Symbol) -> float | None:
        if not self._algorithm.securities.contains_key(symbol):
            return None
        price = float(self._algorithm.securities[symbol].price)
        return price if math.isfinite(price) and price > 0 else None

    def _build_chain(self, root: str, min_dte: int, max_dte: int, now: datetime) -> ChainSnapshot | None:
        today = now.date()
        rows: dict[str, Row] = {}
        chains = self._chains()
        for symbol, chain in chains.items() if chains is not None else ():
            if option_root(symbol) != root:
                continue
            forward = _usable(chain.underlying.price) if chain.underlying is not None else float("nan")
            for item in chain:
                expiry = item.expiry.date()
                if not min_dte <= (expiry - today).days <= max_dte:
                    continue
                contract = self._symbols.remember(item.symbol)
                if contract is None:
                    continue
                rows[contract.key] = (expiry, float(item.strike), item.right == OptionRight.CALL,
                                      *_quote(item.bid_price, item.ask_price),
                                      _usable(item.implied_volatility), _usable(item.greeks.delta), forward)
        self._add_holdings(root, min_dte, max_dte, now, rows)
        if not rows:
            return None
        return self._snapshot(root, now, list(rows.values()))

    def _held_options(self, now: datetime) -> list[Symbol]:
        """The option contracts the account holds, read once a minute: LEAN's portfolio has a
        holding for every security, every subscribed option contract included."""
        if self._held is None or self._held[0] != now:
            held = [holding.symbol for holding in self._algorithm.portfolio.values()
                    if holding.quantity != 0 and holding.symbol.security_type in (
                        SecurityType.OPTION, SecurityType.INDEX_OPTION, SecurityType.FUTURE_OPTION)]
            self._held = (now, held)
        return self._held[1]

    def _add_holdings(self, root: str, min_dte: int, max_dte: int, now: datetime, rows: dict[str, Row]) -> None:
        """Held contracts of `root` in the DTE range that the chain did not list."""
        today = now.date()
        for symbol in self._held_options(now):
            contract = self._symbols.remember(symbol)
            if contract is None or contract.root != root or contract.key in rows:
                continue
            assert contract.expiry is not None and contract.strike is not None
            if not min_dte <= (contract.expiry - today).days <= max_dte:
                continue
            security = self._algorithm.securities[symbol]
            underlying = self._security_price(symbol.underlying) if symbol.has_underlying else None
            rows[contract.key] = (contract.expiry, contract.strike, contract.right == "call",
                                  *_quote(security.bid_price, security.ask_price), float("nan"),
                                  float("nan"), underlying if underlying is not None else float("nan"))

    def _snapshot(self, root: str, now: datetime, rows: list[Row]) -> ChainSnapshot | None:
        expiries = np.array([r[0] for r in rows], dtype="datetime64[D]")
        strikes, is_call = np.array([r[1] for r in rows]), np.array([r[2] for r in rows], dtype=bool)
        bid, ask = np.array([r[3] for r in rows]), np.array([r[4] for r in rows])
        iv, delta, forward = np.array([r[5] for r in rows]), np.array([r[6] for r in rows]), np.array([r[7] for r in rows])
        spot = self.price(root)
        if spot is None and not np.isfinite(forward).any():
            return None
        # The underlying of each row: its chain's (the specific future for futures options), else spot.
        underlying = np.where(np.isfinite(forward), forward, spot if spot is not None else np.nan)
        valid = np.isfinite(bid) & np.isfinite(ask)
        missing = ~(np.isfinite(iv) & np.isfinite(delta)) & valid & (np.nan_to_num(underlying) > 0)
        if missing.any():
            iv, delta = self._fill_greeks(root, now, expiries, strikes, is_call, bid, ask, underlying, iv, delta,
                                          missing)
        reference = spot if spot is not None else float(np.nanmedian(underlying))
        return ChainSnapshot(root, now, reference, expiries, strikes, is_call, bid, ask, iv, delta)

    def _fill_greeks(self, root: str, now: datetime, expiries: np.ndarray, strikes: np.ndarray,
                     is_call: np.ndarray, bid: np.ndarray, ask: np.ndarray, underlying: np.ndarray,
                     iv: np.ndarray, delta: np.ndarray, missing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Our IV and delta for the `missing` rows (NaN where no volatility reproduces the mid):
        Black-76 for futures options, the American model for American equity and ETF options
        (SPY, QQQ, IWM: a deep in-the-money put's mid is only reachable with early exercise),
        Black-Scholes for European index options. No dividend yield is known here (q = 0)."""
        spec = product_spec(root)
        model, american = spec.option_model, spec.american_on_spot
        closes = [datetime.combine(d.astype(object), EXPIRY_TIME, EASTERN) for d in expiries[missing]]
        years = np.maximum([(c - now).total_seconds() / SECONDS_PER_YEAR for c in closes], MIN_YEARS)
        rate = self._rate(now.date())
        rights = np.where(is_call[missing], "call", "put")
        mid = (bid[missing] + ask[missing]) / 2.0
        price_basis = underlying[missing]
        if american:
            sigma = np.asarray(american_implied_volatility(mid, rights, price_basis, strikes[missing], years, rate,
                                                           0.0), dtype=float)
        else:
            sigma = np.asarray(implied_volatility(mid, rights, price_basis, strikes[missing], years, rate, 0.0,
                                                  model), dtype=float)
        safe = np.where(np.isfinite(sigma), sigma, 0.2)
        if model == "black76":
            greeks = black76_greeks(rights, price_basis, strikes[missing], years, rate, safe)
        elif american:
            greeks = american_price_and_greeks(rights, price_basis, strikes[missing], years, rate, 0.0, safe)
        else:
            greeks = bsm_greeks(rights, price_basis, strikes[missing], years, rate, 0.0, safe)
        iv, delta = iv.copy(), delta.copy()
        iv[missing] = sigma
        delta[missing] = np.where(np.isfinite(sigma), np.asarray(greeks["delta"], dtype=float), np.nan)
        return iv, delta

    def _rate(self, day: date) -> float:
        """LEAN's risk-free rate (annual, simple) as a continuous rate."""
        model = self._algorithm.risk_free_interest_rate_model
        simple = float(model.get_interest_rate(datetime.combine(day, time(0, 0))))
        return math.log1p(simple) if math.isfinite(simple) and simple > -1 else 0.0
