"""The offline MarketView: current prices set by the runner (or a test script), chains from the model.

Option prices here are MODELLED (offline/market/chain_model.py on a surface from the VIX and the day's
CBOE term structure), never real quotes. Chains and quotes are cached by root or contract, time
and every pricing input (the term structure is fixed for the day, and the time is in every key),
so several strategies asking in the same minute share one computation.

Every change of the MarketState (setting a field, or changing one of its price, dividend yield or
volatility index dictionaries in place) gives it a new `version`; the view remembers each root's
pricing inputs and each contract's quote for the version it last saw, so the repeated asks of one
minute (the broker's marks, every strategy's checks) are one dictionary lookup.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, Self

import numpy as np

from config.constants import product_spec, underlying_of
from core.types import ChainSnapshot, Contract, ContractKind, DailyBars, Quote
from helpers.exchange_calendar import EASTERN
from offline.market.chain_model import ChainModel
from offline.market.volatility_surface import VolatilityTerm

DailyBarsSource = Callable[[str, int], DailyBars | None]
QUOTE_CACHE_SIZE = 16384  # quotes kept (every input in the key); cleared when full
_VERSIONS = itertools.count(1)  # versions of every MarketState: never the same number twice
_WATCHED = ("prices", "dividend_yields", "vol_index")  # the MarketState dictionaries changed in place
_MISSING = object()


@dataclass
class MarketState:
    """What the market looks like at the current simulated minute."""

    now: datetime
    prices: dict[str, float] = field(default_factory=dict)  # underlying root -> price
    session_open: dict[str, float] = field(default_factory=dict)
    vix: float | None = None
    vix_time: datetime | None = None
    vix_previous_close: float | None = None
    rate: float = 0.04  # continuous risk-free rate
    dividend_yields: dict[str, float] = field(default_factory=dict)
    vol_index: dict[str, float] = field(default_factory=dict)  # root -> 30-day vol (fraction) when not VIX
    term: VolatilityTerm | None = None  # the day's CBOE VIX9D/VIX/VIX3M/VIX6M closes; None: the model's
    version: int = field(default=0, init=False, repr=False, compare=False)  # new at every change

    def __setattr__(self, name: str, value: Any) -> None:
        """Set a field and take a new version; prices, dividend_yields and vol_index are kept as
        _WatchedDict copies of what is assigned, so a change inside them takes a new version too."""
        if name in _WATCHED and not (type(value) is _WatchedDict and value.state is self):
            value = _WatchedDict(self, value)
        object.__setattr__(self, name, value)
        object.__setattr__(self, "version", next(_VERSIONS))

    def changed(self) -> None:
        """Take a new version (one of the watched dictionaries changed)."""
        object.__setattr__(self, "version", next(_VERSIONS))


class _WatchedDict(dict[str, float]):
    """A MarketState dictionary whose every change gives its state a new version."""

    __slots__ = ("state",)

    def __init__(self, state: MarketState, items: dict[str, float]) -> None:
        super().__init__(items)
        self.state = state

    def __setitem__(self, key: str, value: float) -> None:
        super().__setitem__(key, value)
        self.state.changed()

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self.state.changed()

    def __ior__(self, other: Any) -> Self:  # type: ignore[override,misc]
        super().__ior__(other)
        self.state.changed()
        return self

    def update(self, *args: Any, **kwargs: float) -> None:
        super().update(*args, **kwargs)
        self.state.changed()

    def pop(self, *args: Any) -> Any:
        try:
            return super().pop(*args)
        finally:
            self.state.changed()

    def popitem(self) -> tuple[str, float]:
        try:
            return super().popitem()
        finally:
            self.state.changed()

    def setdefault(self, key: str, default: Any = None) -> Any:
        try:
            return super().setdefault(key, default)
        finally:
            self.state.changed()

    def clear(self) -> None:
        super().clear()
        self.state.changed()

    def __reduce__(self) -> Any:
        raise TypeError("a MarketState's dictionaries are not copied or pickled (copy the dict first)")


class ModelledMarketView:
    """core.ports.MarketView over a MarketState and the chain model."""

    def __init__(self, state: MarketState, chain_model: ChainModel | None = None,
                 daily_bars: DailyBarsSource | None = None) -> None:
        self.state = state
        self.model = chain_model or ChainModel()
        self._daily_bars = daily_bars
        self._cache: dict[tuple[Any, ...], ChainSnapshot] = {}
        self._quotes: dict[tuple[Any, ...], Quote | None] = {}
        self._deltas: dict[tuple[Any, ...], float] = {}  # same keys as _quotes, cleared with it
        self._seen = -1  # the state version the two dictionaries below are for
        self._now_inputs: dict[str, tuple[float, float, float] | None] = {}  # root -> _inputs_from
        self._now_quotes: dict[str, Quote | None] = {}  # contract key -> what `quote` returned

    # --- MarketView ---------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.state.now

    def price(self, root: str) -> float | None:
        return self.state.prices.get(_underlying(root))

    def vix(self) -> tuple[float, datetime] | None:
        if self.state.vix is None or self.state.vix_time is None:
            return None
        return self.state.vix, self.state.vix_time

    def vix_previous_close(self) -> float | None:
        return self.state.vix_previous_close

    def session_open_price(self, root: str) -> float | None:
        return self.state.session_open.get(_underlying(root))

    def daily_bars(self, root: str, count: int) -> DailyBars | None:
        return self._daily_bars(root, count) if self._daily_bars else None

    def chain(self, root: str, min_dte: int, max_dte: int, right: str | None = None) -> ChainSnapshot | None:
        inputs = self._inputs(root)
        if inputs is None:
            return None
        # only the requested expiries are modelled: each row is priced on its own, so a narrow
        # snapshot has exactly the rows and numbers of a wide one
        low, high = max(min_dte, 0), max(max_dte, min_dte, 0)
        key = (root, low, high, right, self.state.now, self.state.rate, *inputs)
        snapshot = self._cache.get(key)
        if snapshot is None:
            if len(self._cache) > 64:
                self._cache.clear()
            spot, vol, q = inputs
            snapshot = self.model.snapshot(root, self.state.now, spot, vol, self.state.rate, q, low, high, right,
                                           self.state.term)
            self._cache[key] = snapshot
        if (low, high) == (min_dte, max_dte):
            return snapshot
        dte = (snapshot.expiries - np.datetime64(self.state.now.date(), "D")).astype(np.int64)
        return snapshot.subset((dte >= min_dte) & (dte <= max_dte))

    def quote(self, contract: Contract) -> Quote | None:
        if self._seen != self.state.version:
            self._new_state()
        quote = self._now_quotes.get(contract.key, _MISSING)
        if quote is _MISSING:
            quote = self._now_quotes[contract.key] = self._quote(contract)
        return quote  # type: ignore[return-value]

    def _quote(self, contract: Contract) -> Quote | None:
        """`quote` when not yet asked in this state: the cache of every pricing input, else the model."""
        if contract.kind == ContractKind.EQUITY:
            price = self.price(contract.root)
            return None if price is None else Quote(price, price)
        if contract.kind != ContractKind.OPTION:
            return None
        inputs = self._inputs(contract.root)
        if inputs is None:
            return None
        key = self._quote_key(contract, inputs)
        quote = self._quotes.get(key)
        if quote is None:
            quote = self._price(contract, key, inputs)
        return quote

    def delta(self, contract: Contract) -> float | None:
        inputs = self._inputs(contract.root)
        if contract.kind != ContractKind.OPTION or inputs is None:
            return None
        key = self._quote_key(contract, inputs)
        if key not in self._deltas:
            self._price(contract, key, inputs)
        return self._deltas[key]

    def _price(self, contract: Contract, key: tuple[Any, ...], inputs: tuple[float, float, float]) -> Quote:
        """Model one option now and cache its quote and delta under `key`."""
        if len(self._quotes) > QUOTE_CACHE_SIZE:
            self._clear_quotes()
        spot, vol, q = inputs
        bid, ask, _, delta = self.model.price_contract(contract, self.state.now, spot, vol, self.state.rate, q,
                                                         self.state.term)
        quote = self._quotes[key] = Quote(bid, ask)
        self._deltas[key] = delta
        return quote

    def _clear_quotes(self) -> None:
        self._quotes.clear()
        self._deltas.clear()

    def contract_greek_inputs(self, contract: Contract) -> tuple[float, float, float, float, float] | None:
        """(underlying price, years to expiry, modelled IV, rate, dividend yield) of an option, for
        its Greeks; None when its underlying is not priced now."""
        inputs = self._inputs(contract.root)
        if inputs is None or contract.expiry is None or contract.strike is None:
            return None
        spot, vol, q = inputs
        years, _, iv = self.model.volatility(contract.root, self.state.now, spot, vol, self.state.rate, q,
                                             np.array([contract.expiry], dtype="datetime64[D]"),
                                             np.array([contract.strike]), self.state.term)
        return spot, max(float(years[0]), 0.0), float(iv[0]), self.state.rate, q

    def prefetch_quotes(self, contracts: list[Contract]) -> None:
        """Price every not-yet-cached option in `contracts` with one vectorised model call per root,
        so the per-contract `quote` calls of this minute are cache hits."""
        by_root: dict[str, list[Contract]] = {}
        for contract in contracts:
            if contract.kind == ContractKind.OPTION:
                by_root.setdefault(contract.root, []).append(contract)
        for root, items in by_root.items():
            inputs = self._inputs(root)
            if inputs is None:
                continue
            missing = [c for c in items if self._quote_key(c, inputs) not in self._quotes]
            if not missing:
                continue
            if len(self._quotes) + len(missing) > QUOTE_CACHE_SIZE:
                self._clear_quotes()
            spot, vol, q = inputs
            priced = self.model.quote(root, self.state.now, spot, vol, self.state.rate, q,
                                      np.array([c.expiry for c in missing], dtype="datetime64[D]"),
                                      np.array([c.strike for c in missing], dtype=float),
                                      np.array([c.right == "call" for c in missing]), self.state.term)
            for i, contract in enumerate(missing):
                key = self._quote_key(contract, inputs)
                self._quotes[key] = Quote(float(priced.bid[i]), float(priced.ask[i]))
                self._deltas[key] = float(priced.delta[i])

    def prefetch_ahead(self, contracts: list[Contract], steps: list[tuple[datetime, dict[str, float], float | None]]
                       ) -> None:
        """Price the options of `contracts` at each of `steps` (time, underlying prices by root, VIX)
        of the current day in one vectorised model call per root, into the quote cache: a held
        position re-priced every few minutes costs one call a session instead of one a step. The
        entries are keyed by every input, so a step whose inputs turn out different is a cache miss,
        priced as usual."""
        options = [c for c in contracts if c.kind == ContractKind.OPTION]
        if len(self._quotes) + len(options) * len(steps) > QUOTE_CACHE_SIZE:
            self._clear_quotes()
        by_root: dict[str, list[Contract]] = {}
        for contract in options:
            by_root.setdefault(contract.root, []).append(contract)
        for root, items in by_root.items():
            priced_steps = [(now, inputs) for now, prices, vix in steps
                            if (inputs := self._inputs_from(root, prices, vix)) is not None]
            if not priced_steps:
                continue
            per_step = len(items)  # rows: every contract at the first step, then at the next...
            q = priced_steps[0][1][2]
            priced = self.model.quote(
                root, np.repeat(np.array([_eastern_naive_text(now) for now, _ in priced_steps], dtype="datetime64[s]"),
                                per_step),
                np.repeat([i[0] for _, i in priced_steps], per_step), np.repeat([i[1] for _, i in priced_steps], per_step),
                self.state.rate, q, np.tile(np.array([c.expiry for c in items], dtype="datetime64[D]"), len(priced_steps)),
                np.tile(np.array([c.strike for c in items], dtype=float), len(priced_steps)),
                np.tile(np.array([c.right == "call" for c in items]), len(priced_steps)), self.state.term)
            bids, asks, deltas = priced.bid.tolist(), priced.ask.tolist(), priced.delta.tolist()
            row = 0
            for now, inputs in priced_steps:
                for contract in items:
                    key = (contract.key, now, self.state.rate, *inputs)
                    self._quotes[key] = Quote(bids[row], asks[row])
                    self._deltas[key] = deltas[row]
                    row += 1

    # --- helpers ------------------------------------------------------------------------------

    def _quote_key(self, contract: Contract, inputs: tuple[float, float, float]) -> tuple[Any, ...]:
        """Cache key of a quote: the contract, the time and every pricing input."""
        return (contract.key, self.state.now, self.state.rate, *inputs)

    def _inputs(self, root: str) -> tuple[float, float, float] | None:
        """(underlying price, 30-day vol as a fraction, dividend yield) or None when unknown."""
        if self._seen != self.state.version:
            self._new_state()
        inputs = self._now_inputs.get(root, _MISSING)
        if inputs is _MISSING:
            inputs = self._now_inputs[root] = self._inputs_from(root, self.state.prices, self.state.vix)
        return inputs  # type: ignore[return-value]

    def _new_state(self) -> None:
        """Forget the inputs and quotes remembered for the state's previous version."""
        self._now_inputs.clear()
        self._now_quotes.clear()
        self._seen = self.state.version

    def _inputs_from(self, root: str, prices: dict[str, float], vix: float | None) -> tuple[float, float, float] | None:
        """`_inputs` for the given underlying prices and VIX (the day's rate, yields and vol indexes)."""
        underlying = _underlying(root)
        spot = prices.get(underlying)
        if spot is None or not math.isfinite(spot) or spot <= 0:
            return None
        on_vix, black76 = _pricing_facts(root)
        vol = vix / 100.0 if on_vix and vix is not None else self.state.vol_index.get(underlying)
        if vol is None or not math.isfinite(vol) or vol <= 0:
            return None
        q = 0.0 if black76 else self.state.dividend_yields.get(root, 0.0)
        return spot, vol, q


def _eastern_naive_text(moment: datetime) -> str:
    """ISO text of a time as naive US/Eastern wall clock (what the chain model's clock uses)."""
    local = moment.astimezone(EASTERN).replace(tzinfo=None) if moment.tzinfo is not None else moment
    return local.isoformat()


_underlying = cache(underlying_of)  # config.constants.underlying_of, looked up once per root


@cache
def _pricing_facts(root: str) -> tuple[bool, bool]:
    """(volatility from the VIX, priced with Black-76) for options on `root` (config.constants.product_spec;
    KeyError for an unknown root), looked up once per root."""
    spec = product_spec(root)
    return spec.volatility_index == "VIX", spec.option_model == "black76"
