"""Portfolio Greeks in dollars: per position, per underlying root and in total.

Input is a sequence of `OptionLeg` records (one per option position, quantity signed:
+ long, - short, in contracts). Each leg is priced with `greeks.pricing` (Black-Scholes-
Merton for spot underlyings, Black-76 for futures options), vectorised over all legs, and
scaled by the contract multiplier from the product table (`config.constants.product_spec`;
equity and index options 100, /ES 50, /MES 5, /NQ 20, /MNQ 2, /CL 1000, /MCL 100, /GC 100,
/MGC 10). Multipliers never come from anywhere else.

Dollar Greeks (USD, m = multiplier, n = signed contracts, S = underlying or futures price):

    value                       = price * m * n                 mark value of the position
    delta_units                 = delta * m * n                 underlying-equivalent units
                                                                (shares / futures points);
                                                                also USD per +1.00 move of S
    dollar_delta                = delta * m * n * S * 0.01      USD per +1% move of S
    dollar_gamma                = gamma * m * n * (0.01 S)**2   second-order term: a 1% move
                                  earns dollar_delta + 0.5 * dollar_gamma
    dollar_vega                 = vega * m * n * 0.01           USD per +1 volatility point
    dollar_theta                = theta / 365 * m * n           USD per calendar day
    beta_weighted_dollar_delta  = dollar_delta * beta           USD per +1% move of SPY

`beta` is the leg's beta of the underlying's percentage returns to SPY's (1.0 for SPY, SPX,
/ES, /MES; the caller supplies others). SPY-equivalent shares are
beta_weighted_dollar_delta / (0.01 * spy_price) (`PortfolioGreeks.spy_equivalent_shares`).
All fields are additive, so totals are plain sums.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields

import numpy as np

from config.constants import product_spec
from greeks.pricing import DAYS_PER_YEAR, black76_price_and_greeks, bsm_price_and_greeks, parse_right

__all__ = ["GreekExposure", "OptionLeg", "PortfolioGreeks", "PositionGreeks", "portfolio_greeks"]

_MODELS = ("bsm", "black76")


@dataclass(frozen=True)
class OptionLeg:
    """One option position.

    root: product root as in the product table ("SPY", "SPX", "ES" or "/ES", "MES", ...).
    right: "call"/"put" ("c"/"p"). strike and underlying_price in price units of the
    underlying (futures price for futures options). T: years to expiry (>= 0).
    quantity: signed number of contracts (+ long, - short). sigma: implied volatility as a
    fraction (> 0). r, q: continuous annual rate and dividend yield (q must be 0 for
    Black-76). model: "bsm", "black76" or None for the product table's option model.
    beta: beta of the underlying to SPY (percentage returns), default 1.0.
    Raises ValueError on construction for an unknown right or model, non-finite numbers,
    strike / underlying_price / sigma <= 0 or T < 0.
    """

    root: str
    right: str
    strike: float
    T: float
    quantity: float
    underlying_price: float
    sigma: float
    r: float = 0.0
    q: float = 0.0
    model: str | None = None
    beta: float = 1.0

    def __post_init__(self) -> None:
        parse_right(self.right)
        if not isinstance(self.root, str) or not self.root.strip("/ "):
            raise ValueError(f"OptionLeg.root must be a product root such as 'SPY', got {self.root!r}")
        for name in ("strike", "T", "quantity", "underlying_price", "sigma", "r", "q", "beta"):
            value = getattr(self, name)
            try:
                finite = bool(np.isfinite(float(value)))
            except (TypeError, ValueError):
                finite = False
            if not finite:
                raise ValueError(f"OptionLeg.{name} must be a finite number, got {value!r}")
        for name in ("strike", "underlying_price", "sigma"):
            if getattr(self, name) <= 0:
                raise ValueError(f"OptionLeg.{name} must be > 0, got {getattr(self, name)!r}")
        if self.T < 0:
            raise ValueError(f"OptionLeg.T must be >= 0 (years to expiry), got {self.T!r}")
        if self.model is not None and self.model not in _MODELS:
            raise ValueError(f"OptionLeg.model must be one of {_MODELS} or None, got {self.model!r}")
        if self.model == "black76" and self.q != 0.0:
            raise ValueError("OptionLeg.q must be 0 for model='black76' (the futures price carries it)")


@dataclass(frozen=True)
class GreekExposure:
    """Additive dollar Greeks (units in the module docstring)."""

    value: float = 0.0
    delta_units: float = 0.0
    dollar_delta: float = 0.0
    dollar_gamma: float = 0.0
    dollar_vega: float = 0.0
    dollar_theta: float = 0.0
    beta_weighted_dollar_delta: float = 0.0

    def __add__(self, other: GreekExposure) -> GreekExposure:
        return GreekExposure(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @staticmethod
    def total(items: Iterable[GreekExposure]) -> GreekExposure:
        """Sum of exposures (an empty iterable gives all zeros)."""
        out = GreekExposure()
        for item in items:
            out = out + item
        return out


@dataclass(frozen=True)
class PositionGreeks:
    """One leg's model values: per-unit price and Greeks (pricing units) and dollar exposure."""

    leg: OptionLeg
    model: str
    multiplier: float
    price: float  # per unit of underlying
    delta: float
    gamma: float
    vega: float  # per 1.00 volatility
    theta: float  # per year
    rho: float  # per 1.00 rate
    exposure: GreekExposure


@dataclass(frozen=True)
class PortfolioGreeks:
    """Per-position Greeks and the portfolio total."""

    positions: tuple[PositionGreeks, ...]
    total: GreekExposure

    def by_root(self) -> dict[str, GreekExposure]:
        """Totals per product root (roots upper-cased, leading '/' removed)."""
        out: dict[str, GreekExposure] = {}
        for pos in self.positions:
            key = _root_key(pos.leg.root)
            out[key] = out.get(key, GreekExposure()) + pos.exposure
        return out

    def spy_equivalent_shares(self, spy_price: float) -> float:
        """Beta-weighted delta in SPY shares: beta_weighted_dollar_delta / (0.01 * spy_price).

        Raises ValueError if spy_price is not a positive finite number.
        """
        if not np.isfinite(spy_price) or spy_price <= 0:
            raise ValueError(f"spy_price must be > 0, got {spy_price!r}")
        return self.total.beta_weighted_dollar_delta / (0.01 * spy_price)


def _root_key(root: str) -> str:
    return root.strip().lstrip("/").upper()


def _leg_spec(index: int, leg: OptionLeg) -> tuple[float, str]:
    """Multiplier and pricing model of a leg from the product table."""
    try:
        spec = product_spec(_root_key(leg.root))
    except KeyError as exc:
        raise ValueError(f"leg {index}: {exc.args[0] if exc.args else exc}") from None
    model = leg.model if leg.model is not None else getattr(spec, "option_model", None)
    if model not in _MODELS:
        raise ValueError(f"leg {index}: no pricing model for root {leg.root!r}; set OptionLeg.model")
    if model == "black76" and leg.q != 0.0:
        raise ValueError(f"leg {index}: q must be 0 for a Black-76 (futures option) leg")
    return float(spec.multiplier), model


def portfolio_greeks(legs: Sequence[OptionLeg]) -> PortfolioGreeks:
    """Price every leg (vectorised per model) and return per-position and total dollar Greeks.

    legs: OptionLeg records; an empty sequence gives an empty portfolio with zero totals.
    Units: see the module docstring (USD; per 1% move, per vol point, per calendar day).
    Raises ValueError for an unknown product root, a leg whose model cannot be determined,
    or invalid leg values (also raised by OptionLeg itself); TypeError for a non-OptionLeg.
    """
    legs = list(legs)
    for i, leg in enumerate(legs):
        if not isinstance(leg, OptionLeg):
            raise TypeError(f"leg {i}: expected an OptionLeg, got {type(leg).__name__}")
    specs = [_leg_spec(i, leg) for i, leg in enumerate(legs)]
    n = len(legs)
    cols = {name: np.array([getattr(leg, name) for leg in legs], dtype=float)
            for name in ("strike", "T", "quantity", "underlying_price", "sigma", "r", "q", "beta")}
    rights = np.array([leg.right for leg in legs], dtype=str) if n else np.array([], dtype=str)
    mult = np.array([m for m, _ in specs], dtype=float)
    models = np.array([model for _, model in specs], dtype=object)
    res = {k: np.zeros(n) for k in ("price", "delta", "gamma", "vega", "theta", "rho")}
    for model in _MODELS:
        sel = np.flatnonzero(models == model)
        if sel.size == 0:
            continue
        args = (rights[sel], cols["underlying_price"][sel], cols["strike"][sel], cols["T"][sel],
                cols["r"][sel])
        if model == "bsm":
            out = bsm_price_and_greeks(*args, cols["q"][sel], cols["sigma"][sel])
        else:
            out = black76_price_and_greeks(*args, cols["sigma"][sel])
        for key, column in res.items():
            column[sel] = out[key]
    scale = mult * cols["quantity"]
    pct_move = 0.01 * cols["underlying_price"]
    delta_units = res["delta"] * scale
    dollar_delta = delta_units * pct_move
    exposures = {
        "value": res["price"] * scale,
        "delta_units": delta_units,
        "dollar_delta": dollar_delta,
        "dollar_gamma": res["gamma"] * scale * pct_move * pct_move,
        "dollar_vega": res["vega"] * scale * 0.01,
        "dollar_theta": res["theta"] * scale / DAYS_PER_YEAR,
        "beta_weighted_dollar_delta": dollar_delta * cols["beta"],
    }
    positions = tuple(
        PositionGreeks(
            leg=leg, model=specs[i][1], multiplier=float(mult[i]),
            price=float(res["price"][i]), delta=float(res["delta"][i]), gamma=float(res["gamma"][i]),
            vega=float(res["vega"][i]), theta=float(res["theta"][i]), rho=float(res["rho"][i]),
            exposure=GreekExposure(**{k: float(v[i]) for k, v in exposures.items()}),
        )
        for i, leg in enumerate(legs)
    )
    total = GreekExposure(**{k: float(np.sum(v)) for k, v in exposures.items()})
    return PortfolioGreeks(positions=positions, total=total)
