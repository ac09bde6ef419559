"""The bid/ask spread model of the modelled option quotes and its two fitted parameter sets.

Full spread = max(tick, (base_ticks * tick + price_fraction * price) * (1 + time_widening * T) *
exp(delta_slope * (d - 0.25)) * (level / 0.20) ** vix_exponent); the chain model
(offline.market.chain_model) quotes bid and ask around its model price with it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from offline.market.parameter_checks import check_fields


@dataclass(frozen=True)
class SpreadParameters:
    """Bid/ask spread model (see offline.market.chain_model): full spread = (base_ticks x tick +
    price_fraction x option price) x (1 + time_widening x years to expiry) x exp(delta_slope x
    (d - 0.25)) x (level / 0.20) ** vix_exponent, at least one tick.

    Raises ValueError for a non-finite value, or a negative base_ticks, price_fraction or
    time_widening.
    """

    base_ticks: float = 1.92
    price_fraction: float = 0.00425
    time_widening: float = 2.04
    delta_slope: float = 0.0
    vix_exponent: float = 0.0

    def __post_init__(self) -> None:
        check_fields(self, (), ("base_ticks", "price_fraction", "time_widening"))


# Fitted by offline.market.chain_calibration.fit_spread_parameters (`python -m offline.market.chain_calibration
# --fit`) on the in-sample quotes: DEFAULT_SPREADS on the SPY quotes (used for every product
# without its own set; no real futures-option quotes were available to check them), INDEX_SPREADS
# on the SPX 2019 chains (SPX, SPXW, XSP).
DEFAULT_SPREADS = SpreadParameters(base_ticks=0.196, price_fraction=0.000261, time_widening=25.6, delta_slope=0.642,
                                   vix_exponent=2.05)
INDEX_SPREADS = SpreadParameters(base_ticks=3.4, price_fraction=0.00866, time_widening=0.775, delta_slope=-0.497,
                                 vix_exponent=0.741)
INDEX_SPREAD_ROOTS = frozenset({"SPX", "SPXW", "XSP"})


def spread_width(params: SpreadParameters, tick: float | np.ndarray, price: np.ndarray, years: np.ndarray,
                 abs_delta: np.ndarray | float = 0.25, level: np.ndarray | float = 0.20) -> np.ndarray:
    """Model bid/ask spread (price units, floored at one tick, before rounding) of options worth
    `price` with `years` to expiry and absolute delta `abs_delta`, at the 30-day volatility level
    `level` (fraction), on a product whose option tick is `tick`."""
    d = np.asarray(abs_delta, dtype=float)
    d = np.minimum(d, 1.0 - d)
    spread = ((params.base_ticks * np.asarray(tick) + params.price_fraction * np.asarray(price, dtype=float))
              * (1.0 + params.time_widening * np.asarray(years, dtype=float))
              * np.exp(params.delta_slope * (d - 0.25))
              * np.power(np.asarray(level, dtype=float) / 0.20, params.vix_exponent))
    return np.maximum(spread, tick)
