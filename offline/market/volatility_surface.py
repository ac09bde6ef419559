"""Implied-volatility surface of the offline chain model, driven by one 30-day volatility level.

The surface answers "what implied volatility would the market quote for strike K and expiry T",
given the 30-day volatility level of the underlying: the VIX (as a fraction, 0.20) for products
with a volatility index, or for the others the realised volatility times a premium factor
(`realised_volatility_level`). It has three parts, all in `SurfaceParameters`:

1. ATM level and term structure. The at-the-money 30-day IV is `atm_ratio * level` (the VIX is a
   variance-swap rate that includes the skew, so it sits above the ATM IV). Across expiries the
   ATM variance mean-reverts toward `long_run_vol**2` at speed `mean_reversion` (per year), as
   in Heston's expected average variance:

       w(T) = theta + (v0 - theta) * (1 - exp(-kappa T)) / (kappa T),   sigma_atm(T) = sqrt(w(T))

   with v0 chosen so that w(30 days) equals the ATM 30-day variance. A low level gives an
   upward-sloping term structure, a level above the long-run vol an inverted one.
2. Skew, in standardised moneyness z = ln(K/F) / (sigma_atm(T) * T**skew_time_exponent):

       iv = sigma_atm(T) * (1 + skew_slope * z + curvature * z**2)

   with `put_curvature` for z < 0 and `call_curvature` for z > 0. On the real SPY chains the
   put side is close to linear in z (slightly concave: about 1.3 x ATM at z = -1, 1.6 at -2,
   1.9 at -4) and the call side falls to about 0.7 x ATM near z = 1.3 and turns up beyond it;
   this quadratic captures both. z is clipped to [-max_put_z, max_call_z], so the far wings
   are flat. The call clip keeps the rising call wing slow enough that call prices fall and
   call deltas fall as the strike rises (the IV's elasticity to ln K, about
   z (skew_slope + 2 c z) / (1 + skew_slope z + c z**2), stays below 0.8; beyond that point a
   quadratic wing would make far call deltas rise with the strike). The skew in volatility
   points at a fixed delta scales with the ATM level (risk reversals widen when the VIX rises).
3. Bounds: the result is kept in [min_vol, max_vol].

Market term structure. Where CBOE's volatility indices are known for the day (`VolatilityTerm`:
the closes of VIX9D, VIX, VIX3M and VIX6M), part 1 is replaced by them: each index i (tenor T_i
of 9, 30, 93 and 182 calendar days) gives the ATM variance (term_atm_ratio x I_i)**2 at T_i; the
ATM total variance w(T) = sigma_atm(T)**2 T is interpolated linearly in T between the tenors
(kept non-decreasing: no calendar arbitrage), the 9-day volatility is used below 9 days, and
past 182 days the forward variance, starting from that of 93..182 days (v_f), reverts toward
long_run_vol**2 = theta at speed mean_reversion = kappa:

    w(T) = w_6m + theta (T - T_6m) + (v_f - theta) (1 - exp(-kappa (T - T_6m))) / kappa.

Intraday each index moves with the VIX path: I_i(t) = close_i (VIX(t) / VIX close)**b_i, with
the elasticities b_i (VIX9D 1.28, VIX3M 0.52, VIX6M 0.37, the VIX itself 1) fitted on the daily
highs and lows of the indices against the VIX's (chain_calibration.term_elasticities). On
2024-08-05 (VIX close 38.57, high 65.73) this puts VIX6M at 36.9 at the VIX's high, against a
published high of 37.69.

Units: volatility, rates and levels are annual fractions; T in years (calendar, 365 days);
strikes and forwards in the underlying's price units. Everything is vectorised with numpy.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

__all__ = [
    "DEFAULT_SURFACE",
    "REFERENCE_TENOR_YEARS",
    "TERM_ELASTICITIES",
    "TERM_INDICES",
    "TERM_TENOR_DAYS",
    "SurfaceParameters",
    "VolatilityTerm",
    "atm_volatility",
    "implied_volatility_surface",
    "realised_volatility",
    "realised_volatility_level",
]

REFERENCE_TENOR_YEARS = 30.0 / 365.0  # the VIX horizon
TRADING_DAYS_PER_YEAR = 252.0
MAX_SKEW_ELASTICITY = 0.8  # d ln(iv) / d ln(K) bound inside the clips (monotone deltas, with margin)
TERM_INDICES = ("VIX9D", "VIX", "VIX3M", "VIX6M")  # CBOE's constant-maturity volatility indices
TERM_TENOR_DAYS = (9.0, 30.0, 93.0, 182.0)  # their horizons in calendar days (CBOE methodology)
# d ln(index) / d ln(VIX) within a day, fitted on 2015-2025 daily highs and lows (see module docstring)
TERM_ELASTICITIES = (1.28, 1.0, 0.52, 0.37)


@dataclass(frozen=True)
class SurfaceParameters:
    """Parameters of the implied-volatility surface (see the module docstring for the formulas).

    atm_ratio: ATM 30-day IV divided by the 30-day level (VIX or realised-vol level).
    term_atm_ratio: ATM IV divided by the CBOE index of the same tenor (market term structure).
    long_run_vol: ATM volatility that long expiries revert to (fraction).
    mean_reversion: speed of the ATM variance's reversion (per year).
    skew_slope: d(iv / sigma_atm) / dz at the money (negative: puts dearer than calls).
    put_curvature / call_curvature: coefficient of z**2 on the put side (z < 0) / call side.
    skew_time_exponent: z = ln(K/F) / (sigma_atm * T**skew_time_exponent); 0.5 is the diffusive
        scaling, below 0.5 makes short-dated skew flatter in log-moneyness.
    realised_vol_premium: implied over realised volatility for products without a volatility
        index (used by realised_volatility_level, not by the surface itself).
    max_put_z, max_call_z: clipping of z below / above the money (the wings are flat beyond).
    min_vol, max_vol: bounds of the result.

    Raises ValueError (naming the field) for a non-finite value, a value out of its range, or a
    skew shape that within the clips is not decreasing on the put side, not positive, or rises
    so fast (elasticity above 0.8) that deltas would not fall with the strike.
    """

    atm_ratio: float = 0.8005
    term_atm_ratio: float = 0.7758
    long_run_vol: float = 0.1787
    mean_reversion: float = 1.957
    skew_slope: float = -0.344
    put_curvature: float = -0.01921
    call_curvature: float = 0.1396
    skew_time_exponent: float = 0.5068
    realised_vol_premium: float = 1.15
    max_put_z: float = 4.0
    max_call_z: float = 2.4
    min_vol: float = 0.03
    max_vol: float = 3.0

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"SurfaceParameters.{item.name} must be a finite number, got {value!r}")
        checks = {
            "atm_ratio": 0.2 <= self.atm_ratio <= 2.0,
            "term_atm_ratio": 0.2 <= self.term_atm_ratio <= 2.0,
            "long_run_vol": 0.01 <= self.long_run_vol <= 2.0,
            "mean_reversion": 0.01 <= self.mean_reversion <= 50.0,
            "skew_slope": -2.0 <= self.skew_slope <= 2.0,
            "put_curvature": -0.5 <= self.put_curvature <= 1.0,
            "call_curvature": -0.5 <= self.call_curvature <= 1.0,
            "skew_time_exponent": 0.0 <= self.skew_time_exponent <= 1.0,
            "realised_vol_premium": 0.5 <= self.realised_vol_premium <= 3.0,
            "max_put_z": 0.5 <= self.max_put_z <= 10.0,
            "max_call_z": 0.5 <= self.max_call_z <= 10.0,
            "min_vol": 0.0 < self.min_vol < self.max_vol,
            "max_vol": self.max_vol <= 10.0,
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"SurfaceParameters.{name} is out of range: {getattr(self, name)!r}")
        z = np.linspace(-self.max_put_z, self.max_call_z, 401)
        ratio = _skew_ratio(z, self)
        if np.any(np.diff(ratio[z <= 0.0]) > 0.0):
            raise ValueError("SurfaceParameters: put_curvature makes the put wing fall before max_put_z "
                             f"(need put_curvature >= skew_slope / (2 max_put_z)), got {self.put_curvature!r}")
        if ratio.min() < 0.05:
            raise ValueError("SurfaceParameters: skew_slope and call_curvature drive the call wing IV to "
                             f"{ratio.min():.3f} x ATM (need > 0.05)")
        curvature = np.where(z < 0.0, self.put_curvature, self.call_curvature)
        elasticity = z * (self.skew_slope + 2.0 * curvature * z) / ratio
        if elasticity.max() > MAX_SKEW_ELASTICITY:
            raise ValueError(f"SurfaceParameters: the wing rises too fast for deltas to fall with the strike "
                             f"(elasticity {elasticity.max():.2f} > {MAX_SKEW_ELASTICITY}); lower max_call_z "
                             f"({self.max_call_z!r}) or call_curvature ({self.call_curvature!r})")


def _skew_ratio(z: np.ndarray, params: SurfaceParameters) -> np.ndarray:
    """iv / sigma_atm as a function of the (already clipped) standardised moneyness z."""
    curvature = np.where(z < 0.0, params.put_curvature, params.call_curvature)
    return 1.0 + z * (params.skew_slope + curvature * z)


# Calibrated defaults: offline.market.chain_calibration.fit_surface_parameters (scipy least squares,
# soft-L1 loss) of the FITTED_SURFACE_FIELDS on the in-sample days of the real quotes (SPX 2019 up
# to 2019-06-07, SPY 2021 up to 2021-06-30; 5-50 delta, each day weighted equally), with the CBOE
# term structure (term_atm_ratio) and without it (atm_ratio), from a neutral start
# (chain_calibration.FIT_START). Reproduce (prints the values stored here, to 4 significant
# digits) with  python -m offline.market.chain_calibration --data ../shared/data --fit
# Out of sample, 10-50 delta: 0.70 volatility points mean absolute error (README, per bucket).
# realised_vol_premium is not fitted (no real chain of a product without a volatility index);
# 1.15 is a typical implied/realised ratio for index-like products. The clips (max_put_z,
# max_call_z) and the bounds are fixed, not fitted.
DEFAULT_SURFACE = SurfaceParameters()


@dataclass(frozen=True)
class VolatilityTerm:
    """Closes of CBOE's VIX9D, VIX, VIX3M and VIX6M (fractions, TERM_INDICES order, last axis):
    the market's ATM term structure (see the module docstring). One day: a tuple of four; one per
    row (calibration over many days): an (n, 4) array. Raises ValueError for a value that is not
    a volatility fraction in (0, 5] or a last axis that is not 4 long."""

    closes: Any

    def __post_init__(self) -> None:
        values = np.asarray(self.closes, dtype=float)
        if values.ndim == 0 or values.shape[-1] != len(TERM_INDICES):
            raise ValueError(f"VolatilityTerm needs {len(TERM_INDICES)} closes {TERM_INDICES}, got {self.closes!r}")
        _check_level(values, "VolatilityTerm.closes")

    def indices(self, vix: np.ndarray) -> np.ndarray:
        """The four index levels (last axis) when the VIX is at `vix` (fraction, rows broadcasting
        with the closes' rows)."""
        closes = np.asarray(self.closes, dtype=float)
        move = np.asarray(vix, dtype=float)[..., None] / closes[..., 1:2]
        return closes * np.power(move, np.asarray(TERM_ELASTICITIES))


def _check_level(level: float | np.ndarray, name: str) -> Any:
    """The level as a float (or a float array, one level per row)."""
    value = np.asarray(level, dtype=float) if np.ndim(level) else float(level)
    if not np.all(np.isfinite(value) & (value > 0.0) & (value <= 5.0)):
        raise ValueError(f"{name} must be a volatility fraction in (0, 5], e.g. 0.20 for VIX 20, got {level!r}")
    return value


def atm_volatility(level: float | np.ndarray, T: np.ndarray | float,
                   params: SurfaceParameters = DEFAULT_SURFACE, term: VolatilityTerm | None = None) -> np.ndarray:
    """ATM implied volatility (fraction) for expiries T (years, >= 0) given the 30-day level (one
    value, or one per row broadcasting with T): from the market's `term` structure when given
    (the level is then the VIX now), from the model's mean reversion otherwise.

    Raises ValueError if level is not in (0, 5] or any T is negative or NaN.
    """
    level = _check_level(level, "level")
    t = np.asarray(T, dtype=float)
    if np.any(~(t >= 0.0)):
        raise ValueError("T must be >= 0 years (time to expiry) and not NaN")
    if term is not None:
        return _market_atm(level, t, params, term)
    kappa = params.mean_reversion
    theta = params.long_run_vol ** 2
    v30 = (params.atm_ratio * level) ** 2
    v0 = theta + (v30 - theta) / _reversion_weight(kappa * REFERENCE_TENOR_YEARS)
    w = theta + (v0 - theta) * _reversion_weight(kappa * t)
    floor = params.min_vol ** 2
    return np.sqrt(np.maximum(w, floor))


def _market_atm(level: float | np.ndarray, t: np.ndarray, params: SurfaceParameters,
                term: VolatilityTerm) -> np.ndarray:
    """ATM volatility from the CBOE indices: total variance linear in T between their tenors."""
    level, t = np.broadcast_arrays(np.asarray(level, dtype=float), t)
    tenors = np.asarray(TERM_TENOR_DAYS) / 365.0
    variance = (params.term_atm_ratio * term.indices(level)) ** 2  # (..., 4)
    knots = np.maximum.accumulate(variance * tenors, axis=-1)  # total variance, non-decreasing
    position = np.clip(np.searchsorted(tenors, t, side="right") - 1, 0, len(tenors) - 2)
    lower = np.take(tenors, position)
    upper = np.take(tenors, position + 1)
    w_low = np.take_along_axis(knots, position[..., None], axis=-1)[..., 0]
    w_high = np.take_along_axis(knots, position[..., None] + 1, axis=-1)[..., 0]
    w = w_low + (w_high - w_low) * (t - lower) / (upper - lower)
    w = np.where(t < tenors[0], knots[..., 0] * t / tenors[0], w)
    beyond = np.maximum(t - tenors[-1], 0.0)
    last_variance = (knots[..., -1] - knots[..., -2]) / (tenors[-1] - tenors[-2])  # forward variance 3M-6M
    theta, kappa = params.long_run_vol ** 2, params.mean_reversion
    tail = knots[..., -1] + theta * beyond + (last_variance - theta) * beyond * _reversion_weight(kappa * beyond)
    w = np.where(t > tenors[-1], tail, w)
    safe_t = np.maximum(t, 1e-9)
    return np.sqrt(np.maximum(np.where(t > 0, w / safe_t, knots[..., 0] / tenors[0]), params.min_vol ** 2))


def _reversion_weight(x: np.ndarray | float) -> np.ndarray:
    """(1 - exp(-x)) / x, equal to 1 at x = 0 (vectorised, stable for small x)."""
    x = np.asarray(x, dtype=float)
    small = x < 1e-8
    safe = np.where(small, 1.0, x)
    return np.where(small, 1.0 - 0.5 * x, -np.expm1(-safe) / safe)


def implied_volatility_surface(level: float | np.ndarray, forward: np.ndarray | float, strike: np.ndarray | float,
                               T: np.ndarray | float, params: SurfaceParameters = DEFAULT_SURFACE,
                               term: VolatilityTerm | None = None) -> np.ndarray:
    """Model implied volatility (fraction) for each (strike, T) with the given forward(s).

    level: 30-day volatility level (VIX / 100, or realised_volatility_level). forward: forward
    or futures price per row (or one value). strike > 0. T: years to expiry (>= 0); at T == 0 the
    ATM volatility of the shortest horizon is returned (the price is intrinsic anyway). term: the
    day's CBOE index closes (market ATM term structure), or None for the model's.
    Inputs broadcast together; returns a float array of the broadcast shape.
    Raises ValueError for a bad level, non-positive forward or strike, negative or NaN T.
    """
    f = np.asarray(forward, dtype=float)
    k = np.asarray(strike, dtype=float)
    t = np.asarray(T, dtype=float)
    if np.any(~(f > 0.0)):
        raise ValueError("forward must be > 0")
    if np.any(~(k > 0.0)):
        raise ValueError("strike must be > 0")
    sigma_atm = atm_volatility(level, t, params, term)
    scale = sigma_atm * np.power(np.maximum(t, 1e-6), params.skew_time_exponent)
    z = np.clip(np.log(k / f) / scale, -params.max_put_z, params.max_call_z)
    return np.clip(sigma_atm * _skew_ratio(z, params), params.min_vol, params.max_vol)


def realised_volatility(returns: np.ndarray | list[float], window: int = 20) -> float:
    """Annualised close-to-close volatility (fraction) of the last `window` daily returns.

    returns: simple daily returns (close / previous close - 1), oldest first, roll gaps already
    removed for futures (offline.market.futures_roll). Log returns of the last `window` are used,
    annualised with 252 sessions a year. Raises ValueError for window < 2, fewer than `window`
    returns, or a non-finite return or one <= -1 among the last `window`.
    """
    if window < 2:
        raise ValueError(f"window must be at least 2 returns, got {window}")
    values = np.asarray(returns, dtype=float)
    if values.ndim != 1 or len(values) < window:
        raise ValueError(f"returns needs at least {window} daily returns, got {values.size}")
    tail = values[-window:]
    if np.any(~(tail > -1.0)) or not np.all(np.isfinite(tail)):
        raise ValueError("returns: the last window holds a NaN, infinite or <= -100% return "
                         "(e.g. a non-positive futures price)")
    return float(np.std(np.log1p(tail), ddof=1) * math.sqrt(TRADING_DAYS_PER_YEAR))


def realised_volatility_level(returns: np.ndarray | list[float], window: int = 20,
                              params: SurfaceParameters = DEFAULT_SURFACE) -> float:
    """30-day volatility level for a product without a volatility index: realised vol x premium.

    Same inputs and errors as realised_volatility; the result is clipped to [min_vol, max_vol].
    """
    level = realised_volatility(returns, window) * params.realised_vol_premium
    return float(min(max(level, params.min_vol), params.max_vol))
