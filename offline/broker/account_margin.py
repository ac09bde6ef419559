"""The simulated broker's margin: the holdings' margin at the marks, root by root.

MARGIN. margin_used() sums risk.margin.estimate_margin per root over all of its options, shares and
futures (spreads, diagonals and covered calls offset as that module says). Futures options get the
Black-76 volatility of their mark, floored at MIN_MARGIN_VOLATILITY. Buying power = net liq - margin.
"""
from __future__ import annotations

import math
from datetime import datetime

from config.constants import product_spec
from core.types import Contract, ContractKind
from greeks.pricing import DAYS_PER_YEAR, implied_volatility
from risk.margin import estimate_margin

MIN_MARGIN_VOLATILITY = 0.01  # floor for the implied volatility of a mark with no time value


def account_margin(holdings: dict[str, tuple[Contract, int]], underlying_prices: dict[str, float],
                   marks: dict[str, float], now: datetime, rate: float) -> float:
    """Margin in USD of `holdings` (contract key -> (contract, signed quantity)) with options at `marks`
    (a missing mark is NaN) and each root at its last seen underlying price (ValueError when none)."""
    by_root: dict[str, list[tuple[Contract, int]]] = {}
    for contract, quantity in holdings.values():
        by_root.setdefault(contract.root, []).append((contract, quantity))
    total = 0.0
    for root, lines in sorted(by_root.items()):
        if root not in underlying_prices:
            raise ValueError(f"margin: no price of {root} has been seen yet")
        price = underlying_prices[root]
        options = [c for c, _ in lines if c.kind == ContractKind.OPTION]
        prices = {c.key: marks.get(c.key, math.nan) for c in options}
        vols = {c.key: margin_volatility(c, prices[c.key], price, now, rate) for c in options
                if product_spec(root).option_model == "black76"}
        total += estimate_margin(lines, price, prices, vols, now, rate=rate)
    return total


def margin_volatility(contract: Contract, price: float, underlying: float, now: datetime, rate: float) -> float:
    """Black-76 volatility of a mark at the T that risk.margin reprices with (whole days / 365),
    floored at MIN_MARGIN_VOLATILITY (a mark without time value gives NaN, hence the floor)."""
    assert contract.expiry is not None
    years = (contract.expiry - now.date()).days / DAYS_PER_YEAR
    vol = float(implied_volatility(price, contract.right, underlying, contract.strike, years, rate, model="black76"))
    return max(MIN_MARGIN_VOLATILITY, vol)
