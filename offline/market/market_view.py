"""The offline MarketView: current prices set by the runner (or a test script), chains from the model.

Option prices here are MODELLED (offline/market/chain_model.py on a surface from the VIX and the day's
CBOE term structure), never real quotes. Chains and quotes are cached by root or contract, time
and every pricing input (the term structure is fixed for the day, and the time is in every key),
so several strategies asking in the same minute share one computation.

The view also remembers each root's pricing inputs and each contract's quote for the market it
last saw: the same state object with the same time, VIX, rate and term, and no change since in the
contents of any MarketState's price, dividend yield or volatility index dictionaries (they count
their changes). The repeated asks of one minute (the broker's marks, every strategy's checks) are
then one dictionary lookup.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import numpy as np

from config.constants import product_spec, underlying_of
from core.types import ChainSnapshot, Contract, ContractKind, DailyBars, Quote
from helpers.exchange_calendar import EASTERN
from offline.market import market_state
from offline.market.chain_model import ChainModel
from offline.market.market_state import MarketState

DailyBarsSource = Callable[[str, int], DailyBars | None]
QUOTE_CACHE_SIZE = 16384  # quotes kept (every input in the key); cleared when full
_MISSING = object()


@dataclass(frozen=True)
class _PricedAhead:
    """The rows of one root at one step of `prefetch_ahead`: the contract keyed `k` is row
    first_row + columns[k] of the lists, priced at `rate` and `inputs`."""

    rate: float
    inputs: tuple[float, float, float]
    columns: dict[str, int]
    first_row: int
    bids: list[float]
    asks: list[float]
    deltas: list[float]


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
        self._seen: tuple[Any, ...] = ()  # (state, time, VIX, rate, term, changes) of the two below
        self._now_inputs: dict[str, tuple[float, float, float] | None] = {}  # root -> _inputs_from
        self._now_quotes: dict[str, Quote | None] = {}  # contract key -> what `quote` returned
        self._ahead: dict[datetime, list[_PricedAhead]] = {}  # step time -> rows of prefetch_ahead

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
        self._follow_state()
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
        quote = self._cached(contract, key, inputs)
        return self._price(contract, key, inputs) if quote is None else quote

    def delta(self, contract: Contract) -> float | None:
        inputs = self._inputs(contract.root)
        if contract.kind != ContractKind.OPTION or inputs is None:
            return None
        key = self._quote_key(contract, inputs)
        if key not in self._deltas and self._cached(contract, key, inputs) is None:
            self._price(contract, key, inputs)
        return self._deltas[key]

    def _cached(self, contract: Contract, key: tuple[Any, ...], inputs: tuple[float, float, float]) -> Quote | None:
        """The quote cached under `key` (quote_key of `contract` and `inputs`), or priced ahead for
        now at the same inputs (then cached under `key` with its delta), else None."""
        quote = self._quotes.get(key)
        if quote is not None:
            return quote
        for ahead in self._ahead.get(self.state.now, ()):
            column = ahead.columns.get(contract.key)
            if column is not None and ahead.rate == self.state.rate and ahead.inputs == inputs:
                if len(self._quotes) > QUOTE_CACHE_SIZE:
                    self._clear_quotes()
                row = ahead.first_row + column
                quote = self._quotes[key] = Quote(ahead.bids[row], ahead.asks[row])
                self._deltas[key] = ahead.deltas[row]
                return quote
        return None

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

    def contract_greek_inputs(self, contracts: list[Contract]) -> list[tuple[float, float, float, float, float] | None]:
        """(underlying price, years to expiry, modelled IV, rate, dividend yield) of each option of
        `contracts`, for its Greeks, with one vectorised model call per root; None for a contract
        that is not an option or whose underlying is not priced now."""
        found: list[tuple[float, float, float, float, float] | None] = [None] * len(contracts)
        by_root: dict[str, list[int]] = {}
        for i, contract in enumerate(contracts):
            if contract.expiry is not None and contract.strike is not None:
                by_root.setdefault(contract.root, []).append(i)
        for root, rows in by_root.items():
            inputs = self._inputs(root)
            if inputs is None:
                continue
            spot, vol, q = inputs
            years, _, iv = self.model.volatility(root, self.state.now, spot, vol, self.state.rate, q,
                                                 np.array([contracts[i].expiry for i in rows], dtype="datetime64[D]"),
                                                 np.array([contracts[i].strike for i in rows]), self.state.term)
            for j, i in enumerate(rows):
                found[i] = (spot, max(float(years[j]), 0.0), float(iv[j]), self.state.rate, q)
        return found

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
            missing = []
            for contract in items:
                if contract.key not in self._now_quotes:
                    quote = self._cached(contract, self._quote_key(contract, inputs), inputs)
                    if quote is None:
                        missing.append(contract)
                    else:
                        self._now_quotes[contract.key] = quote
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
                self._quotes[key] = self._now_quotes[contract.key] = Quote(float(priced.bid[i]), float(priced.ask[i]))
                self._deltas[key] = float(priced.delta[i])

    def prefetch_ahead(self, contracts: list[Contract], steps: list[tuple[datetime, dict[str, float], float | None]]
                       ) -> None:
        """Price the options of `contracts` at each of `steps` (time, underlying prices by root, VIX)
        of the current day in one vectorised model call per root: a held position re-priced every few
        minutes costs one call a session instead of one a step. A contract that earlier calls already
        priced at every step, at the same rate and inputs, is not priced again; rows before the first
        step are forgotten. A row is read (into the quote cache) only when its contract is asked at
        its step's time with the same rate and inputs, so a step whose inputs turn out different is
        priced as usual."""
        options = [c for c in contracts if c.kind == ContractKind.OPTION]
        if steps:
            self._ahead = {now: rows for now, rows in self._ahead.items() if now >= steps[0][0]}
        by_root: dict[str, list[Contract]] = {}
        for contract in options:
            by_root.setdefault(contract.root, []).append(contract)
        for root, items in by_root.items():
            priced_steps = [(now, inputs) for now, prices, vix in steps
                            if (inputs := self._inputs_from(root, prices, vix)) is not None]
            items = [c for c in items if not self._priced_ahead(c, priced_steps)]
            if not priced_steps or not items:
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
            columns = {contract.key: column for column, contract in enumerate(items)}
            for step, (now, inputs) in enumerate(priced_steps):
                self._ahead.setdefault(now, []).append(
                    _PricedAhead(self.state.rate, inputs, columns, step * per_step, bids, asks, deltas))

    def _priced_ahead(self, contract: Contract, steps: list[tuple[datetime, tuple[float, float, float]]]) -> bool:
        """Whether the rows of prefetch_ahead hold `contract` at every step (time, inputs) at the
        current rate."""
        rate = self.state.rate
        return all(any(contract.key in rows.columns and rows.rate == rate and rows.inputs == inputs
                       for rows in self._ahead.get(now, ())) for now, inputs in steps)

    # --- helpers ------------------------------------------------------------------------------

    def _quote_key(self, contract: Contract, inputs: tuple[float, float, float]) -> tuple[Any, ...]:
        """Cache key of a quote: the contract, the time and every pricing input."""
        return (contract.key, self.state.now, self.state.rate, *inputs)

    def _inputs(self, root: str) -> tuple[float, float, float] | None:
        """(underlying price, 30-day vol as a fraction, dividend yield) or None when unknown."""
        self._follow_state()
        inputs = self._now_inputs.get(root, _MISSING)
        if inputs is _MISSING:
            inputs = self._now_inputs[root] = self._inputs_from(root, self.state.prices, self.state.vix)
        return inputs  # type: ignore[return-value]

    def _follow_state(self) -> None:
        """Forget the inputs and quotes remembered when the market is no longer the one they are for."""
        state = self.state
        seen = (state, state.now, state.vix, state.rate, state.term, market_state.changes)
        if seen != self._seen:
            self._now_inputs.clear()
            self._now_quotes.clear()
            self._seen = seen

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
