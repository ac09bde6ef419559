"""European option prices, Greeks and implied volatility: Black-Scholes-Merton and Black-76.

Conventions (the same everywhere in this module):

* `right` is "call" / "put" (also "c" / "p", any case), a scalar string or an array of
  strings (numpy array, list, pandas Series). Anything else raises ValueError.
* All numeric arguments are broadcast as numpy float64 arrays. Volatility is a fraction
  (0.20), rates and dividend yields are continuously compounded fractions, T is in years.
* Return type: when every input is a scalar the result is a numpy float64 scalar
  (`np.float64`, a subclass of Python float); otherwise a float64 ndarray of the broadcast
  shape. Greek functions return a dict with one such value per key.
* Units: delta per 1.00 of the underlying, gamma per 1.00 squared, vega per 1.00 of
  volatility (x 0.01 for one vol point), theta per YEAR (use `theta_per_day` for one
  calendar day = theta / 365), rho per 1.00 of rate (x 0.01 for one rate point).
  Theta is the change of value as calendar time passes (usually negative for a long option).
* Black-76 (options on futures): price = exp(-rT) [F N(d1) - K N(d2)] for a call;
  delta = dPrice/dF (discounted, exp(-rT) N(d1)); rho = dPrice/dr at fixed F = -T * price.
* Expiry (T == 0, also inside arrays): price = intrinsic value; delta = 1 / 0 for calls and
  -1 / 0 for puts in / out of the money and +/-0.5 exactly at the money (the T -> 0 limit);
  gamma = vega = theta = rho = 0 (an expired option has no time value left to change).
* Invalid input raises ValueError naming it: unknown right, T < 0, sigma <= 0, S / F <= 0,
  K <= 0, non-broadcastable shapes, unknown model. NaN inputs propagate to NaN outputs.

Only the standard library, numpy and scipy are imported (safe inside QuantConnect LEAN).
For speed, `bsm_price_and_greeks` / `black76_price_and_greeks` compute the price and all
Greeks in one pass sharing d1, d2, N(.) and the density.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import ndtr  # type: ignore[import-untyped]

from greeks.implied_volatility import normalised_black_vol

__all__ = [
    "DAYS_PER_YEAR",
    "GREEK_NAMES",
    "black76_greeks",
    "black76_price",
    "black76_price_and_greeks",
    "bsm_dividend_rho",
    "bsm_elasticity",
    "bsm_greeks",
    "bsm_price",
    "bsm_price_and_greeks",
    "implied_volatility",
    "parse_right",
    "theta_per_day",
]

DAYS_PER_YEAR = 365.0
GREEK_NAMES = ("delta", "gamma", "vega", "theta", "rho")
_INV_SQRT_2PI = float(1.0 / np.sqrt(2.0 * np.pi))
_CALL_WORDS = ("call", "c")
_PUT_WORDS = ("put", "p")
_MODELS = ("bsm", "black76")
_ROUNDING = 8.0 * float(np.finfo(float).eps)


# ----------------------------------------------------------------------------- inputs


def parse_right(right: Any) -> np.bool_ | np.ndarray:
    """Map option rights to booleans (True = call, False = put).

    Accepts "call"/"put"/"c"/"p" in any case, as a scalar string or an array-like of
    strings. Returns np.bool_ for a scalar, a bool ndarray otherwise.
    Raises ValueError naming `right` for any other value or type.
    """
    if isinstance(right, str):
        key = right.lower()
        if key in _CALL_WORDS:
            return np.bool_(True)
        if key in _PUT_WORDS:
            return np.bool_(False)
        raise ValueError(f"right must be 'call' or 'put' (or 'c'/'p'), got {right!r}")
    arr = np.asarray(right)
    if arr.dtype.kind in "OS":
        arr = arr.astype(str)
    if arr.dtype.kind != "U":
        raise ValueError(f"right must be a string or an array of strings, got dtype {arr.dtype}")
    is_call = arr == "call"
    if not (is_call | (arr == "put")).all():  # slower path only for other spellings
        lower = np.char.lower(arr)
        is_call = (lower == "call") | (lower == "c")
        unknown = ~(is_call | (lower == "put") | (lower == "p"))
        if unknown.any():
            bad = sorted({str(v) for v in arr[unknown].ravel()[:5]})
            raise ValueError(f"right must be 'call' or 'put' (or 'c'/'p'), got {bad}")
    return is_call


def _arrays(fn: str, right_shape: tuple[int, ...], **named: Any) -> dict[str, np.ndarray]:
    """Convert named inputs to float64 arrays and check they broadcast with `right`."""
    out = {}
    for name, value in named.items():
        try:
            out[name] = np.asarray(value, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{fn}: {name} must be numeric, got {value!r}") from exc
    try:
        np.broadcast_shapes(right_shape, *(a.shape for a in out.values()))
    except ValueError as exc:
        shapes = ", ".join([f"right{right_shape}"] + [f"{k}{v.shape}" for k, v in out.items()])
        raise ValueError(f"{fn}: inputs do not broadcast together: {shapes}") from exc
    return out


def _require(fn: str, name: str, bad: np.ndarray, rule: str, values: np.ndarray) -> None:
    if np.any(bad):
        example = float(values[bad].ravel()[0] if values.ndim else values)
        raise ValueError(f"{fn}: {name} must be {rule}, got {example!r}")


def _validate(fn: str, a: dict[str, np.ndarray], underlying: str) -> None:
    S, K, T = a[underlying], a["K"], a["T"]
    _require(fn, underlying, S <= 0.0, "> 0", S)
    _require(fn, "K", K <= 0.0, "> 0", K)
    _require(fn, "T", T < 0.0, ">= 0 (years to expiry)", T)
    if "sigma" in a:
        _require(fn, "sigma", a["sigma"] <= 0.0, "> 0 (a fraction, e.g. 0.20)", a["sigma"])


def _finish(x: np.ndarray) -> np.float64 | np.ndarray:
    """0-d results become np.float64 scalars; arrays are returned unchanged."""
    x = np.asarray(x, dtype=float)
    return x[()] if x.ndim == 0 else x


# ----------------------------------------------------------------------------- kernel


_CHUNK = 16384  # elements per block: keeps every temporary in the CPU cache
_PRICE_KEYS = ("price",)
_ALL_KEYS = ("price",) + GREEK_NAMES
_LEVERAGE_KEYS = ("price", "a")


def _kernel(is_call: Any, S: np.ndarray, K: np.ndarray, T: np.ndarray, r: np.ndarray,
            q: np.ndarray | None, sigma: np.ndarray, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Shared BSM / Black-76 kernel on validated arrays (q is None for Black-76).

    `keys` selects the outputs among price, delta, gamma, vega, theta, rho and "a"
    (= delta * S, used for dividend rho). Large inputs are processed in cache-sized blocks.
    """
    inputs: list[Any] = [is_call, S, K, T, r, q, sigma]
    shape = np.broadcast_shapes(*(np.shape(v) for v in inputs if v is not None))
    size = int(np.prod(shape))
    if size <= 2 * _CHUNK:
        # the block works in place on arrays of the full shape: widen any that only broadcast to it
        return _kernel_block([np.broadcast_to(v, shape) if np.ndim(v) and np.shape(v) != shape else v
                              for v in inputs], keys)
    flat: list[Any] = [np.broadcast_to(v, shape).reshape(-1) if np.ndim(v) else v for v in inputs]
    out = {k: np.empty(size) for k in keys}
    for start in range(0, size, _CHUNK):
        block = slice(start, start + _CHUNK)
        res = _kernel_block([v[block] if np.ndim(v) else v for v in flat], keys)
        for k in keys:
            out[k][block] = res[k]
    return {k: v.reshape(shape) for k, v in out.items()}


def _kernel_block(inputs: list[Any], keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    """One block of the kernel on [is_call, S, K, T, r, q, sigma]. Black-76 is BSM with
    q = r (q is None), rho taken at fixed F."""
    is_call, S, K, T, r, q, sigma = inputs
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        sqrt_t = np.sqrt(T)
        vs = sigma * sqrt_t
        expired = vs == 0.0
        any_expired = bool(np.any(expired))
        disc_r = np.exp(-r * T)
        d1 = np.log(S / K)
        if q is None:
            disc_q = disc_r
        else:
            disc_q = np.exp(-q * T)
            d1 += (r - q) * T
        d1 += 0.5 * vs * vs
        d1 /= vs
        if any_expired:
            ln_sk = np.log(S / K)
            at_expiry = np.where(ln_sk > 0.0, np.inf, np.where(ln_sk < 0.0, -np.inf, 0.0))
            d1 = np.where(expired, at_expiry, d1)
        w = np.where(is_call, 1.0, -1.0)
        wn1 = ndtr(w * d1)
        wn1 *= w  # w N(w d1)
        wn2 = ndtr(w * (d1 - vs))
        wn2 *= w  # w N(w d2)
        a = S * disc_q
        a *= wn1  # a = delta * S
        kb = K * disc_r
        kb *= wn2  # kb = w K e^{-rT} N(w d2)
        price = a - kb
        res = {"price": price, "a": a}
        if not set(keys) - {"price", "a"}:
            return res
        if not set(keys) - {"price", "a", "delta"}:
            res["delta"] = wn1 * disc_q
            return res
        pdf_dq = np.exp(-0.5 * d1 * d1)
        pdf_dq *= disc_q
        pdf_dq *= _INV_SQRT_2PI  # e^{-qT} n(d1)
        vega = S * pdf_dq
        vega *= sqrt_t
        gamma = pdf_dq / (S * vs)
        wn1 *= disc_q  # delta
        theta = vega * sigma
        theta /= T
        theta *= -0.5
        if q is None:
            theta += r * price
            rho = -T * price
        else:
            theta += q * a
            theta -= r * kb
            rho = T * kb
        if any_expired:
            gamma = np.where(expired, 0.0, gamma)
            theta = np.where(expired, 0.0, theta)
            vega = np.where(expired, 0.0, vega)
            rho = np.where(expired, 0.0, rho)
        res.update(delta=wn1, gamma=gamma, vega=vega, theta=theta, rho=rho)
    return res


def _bsm(fn: str, right: Any, S: Any, K: Any, T: Any, r: Any, q: Any, sigma: Any,
         keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    is_call = parse_right(right)
    a = _arrays(fn, np.shape(is_call), S=S, K=K, T=T, r=r, q=q, sigma=sigma)
    _validate(fn, a, "S")
    return _kernel(is_call, a["S"], a["K"], a["T"], a["r"], a["q"], a["sigma"], keys)


def _black76(fn: str, right: Any, F: Any, K: Any, T: Any, r: Any, sigma: Any,
             keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    is_call = parse_right(right)
    a = _arrays(fn, np.shape(is_call), F=F, K=K, T=T, r=r, sigma=sigma)
    _validate(fn, a, "F")
    return _kernel(is_call, a["F"], a["K"], a["T"], a["r"], None, a["sigma"], keys)


def price_and_delta(is_call: np.ndarray, S: float, K: np.ndarray, T: np.ndarray, r: float, q: float | None,
                    sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(price, delta) of BSM options, or Black-76 ones with q None (S the futures price), on inputs
    the caller has already checked (S, K, sigma > 0, T >= 0; arrays of one shape): the chain
    model's hot path, skipping the public functions' validation and the other Greeks. Same
    numbers as bsm_price_and_greeks / black76_price_and_greeks."""
    res = _kernel(is_call, np.asarray(S, dtype=float), K, T, np.asarray(r, dtype=float),
                  None if q is None else np.asarray(q, dtype=float), sigma, ("price", "delta"))
    return res["price"], res["delta"]


def _pick(res: dict[str, np.ndarray], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: _finish(res[k]) for k in keys}


# ----------------------------------------------------------------------------- BSM


def bsm_price(right: Any, S: Any, K: Any, T: Any, r: Any, q: Any, sigma: Any) -> Any:
    """Black-Scholes-Merton price of a European option with continuous dividend yield q.

    S spot, K strike (same currency, > 0), T years (>= 0; T == 0 gives intrinsic value),
    r and q continuous annual rates, sigma annual volatility (> 0). Price in the currency of
    S per unit of underlying (multiply by the contract multiplier for dollars).
    Raises ValueError for an unknown right, S <= 0, K <= 0, T < 0, sigma <= 0.
    """
    return _finish(_bsm("bsm_price", right, S, K, T, r, q, sigma, _PRICE_KEYS)["price"])


def bsm_greeks(right: Any, S: Any, K: Any, T: Any, r: Any, q: Any, sigma: Any) -> dict[str, Any]:
    """Black-Scholes-Merton Greeks: dict with keys delta, gamma, vega, theta, rho.

    Units: delta per 1.00 of S; gamma per 1.00 of S squared; vega per 1.00 of volatility;
    theta per YEAR (theta_per_day(theta) for one calendar day); rho per 1.00 of rate.
    At T == 0: delta 1/0 (-1/0 for puts), +/-0.5 at the money; other Greeks 0.
    Raises ValueError like bsm_price.
    """
    return _pick(_bsm("bsm_greeks", right, S, K, T, r, q, sigma, _ALL_KEYS), GREEK_NAMES)


def bsm_price_and_greeks(right: Any, S: Any, K: Any, T: Any, r: Any, q: Any, sigma: Any
                         ) -> dict[str, Any]:
    """Price and all Greeks in one pass (fastest): keys price, delta, gamma, vega, theta, rho.

    Same units and errors as bsm_price and bsm_greeks.
    """
    return _pick(_bsm("bsm_price_and_greeks", right, S, K, T, r, q, sigma, _ALL_KEYS),
                 ("price",) + GREEK_NAMES)


def bsm_dividend_rho(right: Any, S: Any, K: Any, T: Any, r: Any, q: Any, sigma: Any) -> Any:
    """d price / d q per 1.00 of dividend yield: -T S exp(-qT) N(d1) for a call (put: +N(-d1)).

    Raises ValueError like bsm_price.
    """
    res = _bsm("bsm_dividend_rho", right, S, K, T, r, q, sigma, _LEVERAGE_KEYS)
    return _finish(-np.asarray(T, dtype=float) * res["a"])


def bsm_elasticity(right: Any, S: Any, K: Any, T: Any, r: Any, q: Any, sigma: Any) -> Any:
    """Elasticity (leverage, lambda) = delta * S / price; NaN where the price is 0.

    Raises ValueError like bsm_price.
    """
    res = _bsm("bsm_elasticity", right, S, K, T, r, q, sigma, _LEVERAGE_KEYS)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _finish(np.where(res["price"] > 0.0, res["a"] / res["price"], np.nan))


# ----------------------------------------------------------------------------- Black-76


def black76_price(right: Any, F: Any, K: Any, T: Any, r: Any, sigma: Any) -> Any:
    """Black-76 price of a European option on a futures price F, discounted by exp(-rT).

    F futures price (> 0), K strike (> 0), T years (>= 0), r continuous rate, sigma (> 0).
    For the undiscounted price pass r=0. Raises ValueError for an unknown right, F <= 0,
    K <= 0, T < 0, sigma <= 0.
    """
    return _finish(_black76("black76_price", right, F, K, T, r, sigma, _PRICE_KEYS)["price"])


def black76_greeks(right: Any, F: Any, K: Any, T: Any, r: Any, sigma: Any) -> dict[str, Any]:
    """Black-76 Greeks: dict with keys delta, gamma, vega, theta, rho.

    delta = dPrice/dF = exp(-rT) N(d1) (call); gamma per 1.00 of F squared; vega per 1.00
    of volatility; theta per YEAR; rho = dPrice/dr at fixed F = -T * price, per 1.00.
    Raises ValueError like black76_price.
    """
    return _pick(_black76("black76_greeks", right, F, K, T, r, sigma, _ALL_KEYS), GREEK_NAMES)


def black76_price_and_greeks(right: Any, F: Any, K: Any, T: Any, r: Any, sigma: Any
                             ) -> dict[str, Any]:
    """Black-76 price and all Greeks in one pass: keys price, delta, gamma, vega, theta, rho.

    Same units and errors as black76_price and black76_greeks.
    """
    return _pick(_black76("black76_price_and_greeks", right, F, K, T, r, sigma, _ALL_KEYS),
                 ("price",) + GREEK_NAMES)


def theta_per_day(theta: Any) -> Any:
    """Convert theta per year (as returned here) to theta per calendar day: theta / 365."""
    return _finish(np.asarray(theta, dtype=float) / DAYS_PER_YEAR)


# ----------------------------------------------------------------------------- implied vol


def implied_volatility(price: Any, right: Any, underlying: Any, K: Any, T: Any, r: Any,
                       q: Any = 0.0, model: str = "bsm") -> Any:
    """Implied volatility (annual fraction) that reproduces a European option price.

    price: option price per unit of underlying (discounted, as bsm_price / black76_price
    return). underlying: spot S for model="bsm" (with dividend yield q) or futures price F
    for model="black76" (q must be 0 there). Vectorised over arrays, including mixed rights;
    no Python loop per option (safeguarded Newton / bisection, see
    greeks.implied_volatility).

    Returns NaN where no positive volatility reproduces the price: price at or below the
    discounted intrinsic value max(S e^{-qT} - K e^{-rT}, 0) (calls; puts mirrored; "at"
    includes a time value within floating-point rounding of an in-the-money intrinsic), price
    at or above the upper bound S e^{-qT} (call) / K e^{-rT} (put), T == 0 (volatility not
    identifiable), or NaN inputs. Accuracy: the price is reproduced to about 1e-12 relative
    to the time value; for extremely small time values sigma is as ill-determined as the
    price rounding allows. Raises ValueError for an unknown right or model, underlying <= 0,
    K <= 0, T < 0, or q != 0 with black76.
    """
    fn = "implied_volatility"
    if model not in _MODELS:
        raise ValueError(f"{fn}: model must be one of {_MODELS}, got {model!r}")
    is_call = parse_right(right)
    a = _arrays(fn, np.shape(is_call), price=price, underlying=underlying, K=K, T=T, r=r, q=q)
    _validate(fn, a, "underlying")
    if model == "black76" and np.any(a["q"] != 0.0):
        raise ValueError(f"{fn}: q must be 0 for model='black76' (F already includes carry)")
    S, K_, T_, r_ = a["underlying"], a["K"], a["T"], a["r"]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        disc = np.exp(-r_ * T_)
        fwd = S if model == "black76" else S * np.exp((r_ - a["q"]) * T_)
        undiscounted = a["price"] / disc
        intrinsic = np.where(is_call, np.maximum(fwd - K_, 0.0), np.maximum(K_ - fwd, 0.0))
        time_value = undiscounted - intrinsic  # = price of the out-of-the-money option
        # In the money, a time value within rounding of F - K carries no information.
        noise = np.where(intrinsic > 0.0, _ROUNDING * (fwd + K_), 0.0)
        time_value = np.where(time_value > noise, time_value, 0.0)
        sqrt_fk = np.sqrt(fwd * K_)
        x = -np.abs(np.log(fwd / K_))
        total_vol = normalised_black_vol(time_value / sqrt_fk, x)
        sigma = np.where(T_ > 0.0, total_vol / np.sqrt(T_), np.nan)
    return _finish(sigma)
