"""The simulated broker's margin: the holdings' margin at the marks, root by root.

MARGIN. margin_used() sums risk.margin.estimate_margin per root over all of its options, shares and
futures (spreads, diagonals and covered calls offset as that module says). Futures options get the
Black-76 volatility of their mark, floored at MIN_MARGIN_VOLATILITY (computed only for the naked
shorts, the one place estimate_margin reads it). Buying power = net liq - margin.

Each root's margin is remembered for its exact inputs (the date, the rate, the underlying price and
each line's contract, quantity and mark, in order), so a margin check or account snapshot that
changes nothing on a root does not estimate that root again.
"""
from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from config.constants import product_spec
from core.types import Contract, ContractKind
from greeks.pricing import DAYS_PER_YEAR, implied_volatility
from risk.margin import estimate_margin

MIN_MARGIN_VOLATILITY = 0.01  # floor for the implied volatility of a mark with no time value
MEMO_SIZE = 256  # root margins remembered; cleared when full


class AccountMargin:
    """Margin in USD of a broker's holdings; see the module docstring."""

    def __init__(self) -> None:
        self._by_root: dict[tuple[Any, ...], float] = {}

    def __call__(self, holdings: dict[str, tuple[Contract, int]], underlying_prices: dict[str, float],
                 marks: dict[str, float], now: datetime, rate: float) -> float:
        """Margin of `holdings` (contract key -> (contract, signed quantity)) with options at `marks`
        (a missing mark is NaN) and each root at its last seen underlying price (ValueError when none)."""
        by_root: dict[str, list[tuple[Contract, int]]] = {}
        for contract, quantity in holdings.values():
            by_root.setdefault(contract.root, []).append((contract, quantity))
        total = 0.0
        today = now.date()
        for root, lines in sorted(by_root.items()):
            if root not in underlying_prices:
                raise ValueError(f"margin: no price of {root} has been seen yet")
            price = underlying_prices[root]
            prices = {c.key: marks.get(c.key, math.nan) for c, _ in lines if c.kind == ContractKind.OPTION}
            key = (root, today, rate, price, tuple(lines), tuple(prices.values()))
            margin = self._by_root.get(key)
            if margin is None:
                if len(self._by_root) >= MEMO_SIZE:
                    self._by_root.clear()
                vols = _MarginVolatilities(lines, prices, price, now, rate) \
                    if product_spec(root).option_model == "black76" else {}
                margin = self._by_root[key] = estimate_margin(lines, price, prices, vols, now, rate=rate)
            total += margin
        return total


class _MarginVolatilities(Mapping[str, float]):
    """margin_volatility of each option of `lines` by contract key, each computed when first read."""

    def __init__(self, lines: list[tuple[Contract, int]], prices: dict[str, float], underlying: float,
                 now: datetime, rate: float) -> None:
        self._contracts = {c.key: c for c, _ in lines if c.kind == ContractKind.OPTION}
        self._prices, self._underlying, self._now, self._rate = prices, underlying, now, rate
        self._vols: dict[str, float] = {}

    def __getitem__(self, key: str) -> float:
        if key not in self._vols:
            self._vols[key] = margin_volatility(self._contracts[key], self._prices[key], self._underlying,
                                                self._now, self._rate)
        return self._vols[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._contracts)

    def __len__(self) -> int:
        return len(self._contracts)

    def __contains__(self, key: object) -> bool:
        return key in self._contracts


def margin_volatility(contract: Contract, price: float, underlying: float, now: datetime, rate: float) -> float:
    """Black-76 volatility of a mark at the T that risk.margin reprices with (whole days / 365),
    floored at MIN_MARGIN_VOLATILITY (a mark without time value gives NaN, hence the floor)."""
    assert contract.expiry is not None
    years = (contract.expiry - now.date()).days / DAYS_PER_YEAR
    vol = float(implied_volatility(price, contract.right, underlying, contract.strike, years, rate, model="black76"))
    return max(MIN_MARGIN_VOLATILITY, vol)
