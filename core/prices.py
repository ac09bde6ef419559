"""Prices on a product's tick grid."""
from __future__ import annotations

import math


def round_to_tick(price: float, tick: float) -> float:
    """Round a price to the product tick, avoiding float noise."""
    return round(round(price / tick) * tick, 10)


def floor_to_tick(price: float, tick: float) -> float:
    """The tick price at or below `price` (a bound rounded to the safe side: more credit, less debit)."""
    return round(math.floor(price / tick + 1e-9) * tick, 10)
