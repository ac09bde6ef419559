"""Vectorised solver for the normalised Black implied total volatility.

This module holds the numerical core behind `greeks.pricing.implied_volatility` (the public
entry point, which validates inputs, handles rights, discounting and the BSM / Black-76
models). It works in normalised coordinates, where every European option price reduces to
the price of an out-of-the-money Black call:

    x    = ln(F / K) folded to x <= 0      (moneyness; the OTM side by put-call symmetry)
    s    = sigma * sqrt(T)                 (total volatility, the unknown)
    beta = (undiscounted OTM price) / sqrt(F * K)
    b(x, s) = exp(x/2) N(x/s + s/2) - exp(-x/2) N(x/s - s/2),   0 < b < exp(x/2)

b is increasing in s, convex for s < s_c = sqrt(-2x) and concave above it. The solver is a
safeguarded Newton method (rtsafe style) run on all options at once:

* lower branch (beta < b(x, s_c)): Newton on G(s) = |x| / sqrt(-2 ln b), which is nearly
  linear in s for small s; ln b is written with the scaled complementary error function,
  so neither b nor its derivative underflows for tiny prices;
* upper branch: Newton on b itself, starting from s_c (monotone convergence on a concave
  increasing function);
* every step is kept inside a bracket [lo, hi] that always contains the root; a step that
  leaves the bracket is replaced by bisection, so convergence is guaranteed.

No Python loop runs per option: each iteration is a handful of numpy operations on the
still-unconverged subset. Only numpy and scipy are used (safe inside LEAN).
"""
from __future__ import annotations

import numpy as np
from scipy.special import erfcx, ndtr  # type: ignore[import-untyped]

__all__ = ["normalised_black_call", "normalised_black_vol"]

_SQRT_2 = float(np.sqrt(2.0))
_INV_SQRT_2PI = float(1.0 / np.sqrt(2.0 * np.pi))
_SQRT_2_OVER_PI = float(np.sqrt(2.0 / np.pi))
_MAX_TOTAL_VOL = 64.0  # sigma*sqrt(T) above this is treated as "price at the upper bound"
_MAX_ITERATIONS = 100
_NEWTON_STEP_TOL = 1e-10
_REL_BRACKET_TOL = 4.0 * np.finfo(float).eps


def normalised_black_call(x: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Normalised undiscounted Black call price b(x, s) for total volatility s > 0.

    Parameters are float arrays (broadcast): x = ln(F/K), s = sigma*sqrt(T). The result is
    C / (discount * sqrt(F*K)). Raises nothing; s == 0 gives NaN for x == 0.
    """
    x = np.asarray(x, dtype=float)
    s = np.asarray(s, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        h = x / s
        t = 0.5 * s
        return np.exp(0.5 * x) * ndtr(h + t) - np.exp(-0.5 * x) * ndtr(h - t)


def _lower_objective(x: np.ndarray, s: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """G(s) - target and G'(s) on the lower branch s <= sqrt(-2x), where x/s + s/2 <= 0.

    G(s) = |x| / sqrt(-2 ln b(x, s)) is close to s itself for small s (ln b ~ -x^2 / 2s^2),
    so Newton on G converges in a few steps. ln b uses the scaled complementary error
    function, so nothing underflows even for prices far below 1e-300.
    """
    h = x / s
    t = 0.5 * s
    a = -(h + t) / _SQRT_2  # >= 0 on the lower branch
    e = erfcx(a) - erfcx(a + _SQRT_2 * t)
    minus_2ln_b = (h * h + t * t) - 2.0 * np.log(0.5 * e)
    g = -x / np.sqrt(minus_2ln_b)
    dln_b = _SQRT_2_OVER_PI / e
    return g - target, g / minus_2ln_b * dln_b


def _upper_objective(x: np.ndarray, s: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """b(x, s) - beta and its s-derivative (the normalised vega)."""
    h = x / s
    t = 0.5 * s
    b = np.exp(0.5 * x) * ndtr(h + t) - np.exp(-0.5 * x) * ndtr(h - t)
    fp = _INV_SQRT_2PI * np.exp(-0.5 * (h * h + t * t))
    return b - beta, fp


def _upper_bracket(x: np.ndarray, beta: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Smallest s = start * 2**k (capped at _MAX_TOTAL_VOL) with b(x, s) >= beta; NaN if none."""
    hi = np.maximum(start, 1.0)
    todo = np.flatnonzero(normalised_black_call(x, hi) < beta)
    while todo.size:
        hi[todo] = np.minimum(2.0 * hi[todo], _MAX_TOTAL_VOL)
        still = normalised_black_call(x[todo], hi[todo]) < beta[todo]
        capped = still & (hi[todo] >= _MAX_TOTAL_VOL)
        hi[todo[capped]] = np.nan
        todo = todo[still & ~capped]
    return hi


def normalised_black_vol(beta: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Total implied volatility s = sigma*sqrt(T) solving b(x, s) = beta, vectorised.

    Parameters:
        beta: normalised undiscounted out-of-the-money price, OTM price / sqrt(F*K).
        x: folded log-moneyness, -|ln(F/K)| (must be <= 0).
    Returns a float array of the broadcast shape; NaN wherever no finite positive s exists,
    i.e. beta <= 0, beta >= exp(x/2) (at or above the upper bound), or either input is NaN.
    Raises ValueError if any x > 0.
    """
    beta, x = np.broadcast_arrays(np.asarray(beta, dtype=float), np.asarray(x, dtype=float))
    shape = beta.shape
    beta = beta.ravel()
    x = x.ravel()
    if np.any(x > 0.0):
        raise ValueError("normalised_black_vol: x must be <= 0 (fold to the out-of-the-money side)")
    out = np.full(beta.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        ok = (beta > 0.0) & (beta < np.exp(0.5 * x))
        idx = np.flatnonzero(ok)
        if idx.size == 0:
            return out.reshape(shape)
        b = beta[idx]
        xx = x[idx]
        s_c = np.sqrt(-2.0 * xx)
        b_c = normalised_black_call(xx, s_c)
        lower = (b < b_c) & (s_c > 0.0)
        # Brackets: lower branch [0, s_c]; upper branch [s_c, first s with b(s) >= beta].
        lo = np.where(lower, 0.0, s_c)
        hi = np.where(lower, s_c, np.nan)
        up = np.flatnonzero(~lower)
        if up.size:
            hi[up] = _upper_bracket(xx[up], b[up], 2.0 * s_c[up])
        # Starting points: G(target) (G(s) ~ s) below; s_c above (mid-bracket when x == 0).
        g_target = np.where(lower, -xx / np.sqrt(-2.0 * np.log(np.where(lower, b, 0.5))), np.nan)
        s = np.where(lower, np.minimum(g_target, s_c), np.where(s_c > 0.0, s_c, 0.5 * (lo + hi)))
        active = np.flatnonzero(np.isfinite(hi))
        result = np.full(b.shape, np.nan)
        for _ in range(_MAX_ITERATIONS):
            if active.size == 0:
                break
            sa, la, ha, xa, low = s[active], lo[active], hi[active], xx[active], lower[active]
            f = np.empty_like(sa)
            fp = np.empty_like(sa)
            il = np.flatnonzero(low)
            iu = np.flatnonzero(~low)
            if il.size:
                f[il], fp[il] = _lower_objective(xa[il], sa[il], g_target[active[il]])
            if iu.size:
                f[iu], fp[iu] = _upper_objective(xa[iu], sa[iu], b[active[iu]])
            la = np.where(f < 0.0, sa, la)
            ha = np.where(f > 0.0, sa, ha)
            step = f / fp
            newton = sa - step
            inside = (newton > la) & (newton < ha) & np.isfinite(newton)
            s_new = np.where(inside, newton, 0.5 * (la + ha))
            # A Newton step of relative size <= 1e-10 leaves an error ~1e-20 (quadratic
            # convergence); bisection steps stop only on a bracket at machine precision.
            done = (
                (f == 0.0)
                | (inside & (np.abs(step) <= _NEWTON_STEP_TOL * sa))
                | (ha - la <= _REL_BRACKET_TOL * ha)
            )
            s_new = np.where(f == 0.0, sa, s_new)
            s[active], lo[active], hi[active] = s_new, la, ha
            result[active[done]] = s_new[done]
            active = active[~done]
        if active.size:  # bracket is tight after _MAX_ITERATIONS; accept the midpoint
            result[active] = 0.5 * (lo[active] + hi[active])
        out[idx] = result
    return out.reshape(shape)
