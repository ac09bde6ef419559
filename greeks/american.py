"""American option prices, Greeks and implied volatility (BSM, continuous dividend yield q).

Method (all vectorised over options; the only Python loops run over nodes and iterations):

* Shortcut: an option whose early-exercise premium is provably below NEGLIGIBLE_PREMIUM
  ($0.0005 a share; `_premium_bound`, from the boundary's ceiling K min(1, r/q)) is priced
  European: most out-of-the-money rows of a chain; a test checks the bound against the full scheme.
* Puts are priced directly, calls by put-call symmetry C(S, K, r, q, sigma) = P(K, S, q, r, sigma).
  A put with r <= 0 and a call with q <= 0 are never exercised early: the European BSM kernel
  of greeks.pricing prices them (the double-boundary case q < r < 0 is treated as European too).
* Exercise boundary B(tau) of the put: the QD+ approximation of Li (2010), solved by two
  Halley steps (from Barone-Adesi-Whaley's seed) at 4 Chebyshev nodes of sqrt(tau), then
  refined by the fixed-point equation "FP-B" of Andersen, Lake and Offengeim (2016): one
  Jacobi-Newton step, 4-point Gauss-Legendre integrals in sqrt(tau - u) (the idea of
  QuantLib's QdFpAmericanEngine, smaller; a plain fixed-point step more did not lower the
  worst error in the tests). The boundary is interpolated as H = ln(B / X)^2 on Chebyshev
  nodes in sqrt(tau), X = K min(1, r/q). Interpolation is a fixed
  linear map (a matrix product), since every quadrature point sits at the same place in the
  node variable for every option.
* Price = European price + early-exercise premium
  int_0^T [r K e^{-rt} N(-d-(t, S/B(T-t))) - q S e^{-qt} N(-d+(t, S/B(T-t)))] dt (10-point
  Gauss-Legendre in sqrt(t)). The boundary and premium use a fast normal CDF (absolute error
  < 8e-8); the European part is greeks.pricing's kernel. Delta and gamma differentiate the
  integral analytically (the boundary does not depend on S); theta follows from the Black-Scholes PDE (theta = rV - (r-q) S delta -
  sigma^2 S^2 gamma / 2 where the option is alive, 0 where it is exercised); vega and rho are
  central finite differences of the price (the boundary recomputed).

Floor rule: the premium is clipped at 0 (price >= European price), then the price is
max(price, intrinsic max(w(S - K), 0)). Where S is beyond the exercise boundary (deep
in-the-money puts: S <= B(T)), or the floor binds, the option is worth exactly its intrinsic
value with delta -1 (put) / +1 (call) and zero gamma, vega, theta, rho.

Accuracy against QuantLib 1.44 (measured; the tests require |ours - QuantLib| <= max(0.02,
0.005 price) per share): on the strategies' cases (spots 400-600, q 1.3 %, r 0-5 %, vol 12-35 %:
0-1 DTE 16-delta, 112-120 DTE OTM puts, 1-2 year 80-delta calls and 70-90 % puts, ITM puts,
calls with q > r) the worst error against FdBlackScholesVanillaEngine 800 x 800 is 0.033, at
most 7 % of the tolerance; on 2,000 random options of benchmarks.greeks_throughput.random_book
(strikes +/-30 %, 1 day - 2 years, vol 8 - 80 %) against QdFpAmericanEngine high precision:
max abs error 0.039, max relative error 5e-4 for prices above 0.05, none outside the tolerance
(`python -m benchmarks.american_throughput`). Speed: about 0.55 million prices a second on one
core (goal 1 million); american_price_and_greeks costs about 5 prices (vega, rho bumps).

Conventions, units, expiry limits and errors are those of greeks.pricing (right "call"/"put",
float64 broadcasting, np.float64 for scalar inputs, vega per 1.00 vol, theta per YEAR, rho per
1.00 rate). Only the standard library, numpy and scipy are imported (safe inside LEAN).
"""
from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import ndtr  # type: ignore[import-untyped]

from greeks.american_tables import N_FP, TABLES, fast_ncdf, matmul
from greeks.pricing import _arrays, _finish, _kernel, _validate, parse_right

__all__ = [
    "american_implied_volatility",
    "american_price",
    "american_price_and_delta",
    "american_price_and_greeks",
]

_N_HALLEY = 2  # Halley steps of the QD+ boundary equation
_N_NAIVE = 0  # plain fixed-point steps after the Jacobi-Newton step
_BLOCK = 1024  # options per block (keeps the temporaries in cache)
_H_SIGMA = 1e-4  # finite-difference bumps of vega and rho
_H_RATE = 1e-4
NEGLIGIBLE_PREMIUM = 5e-4  # USD a share: options whose premium bound is below it are priced European
_INV_SQRT_2PI = float(1.0 / np.sqrt(2.0 * np.pi))
_GREEKS = ("price", "delta", "gamma", "vega", "theta", "rho")


def _qd_plus(K: np.ndarray, T: np.ndarray, r: np.ndarray, q: np.ndarray, sig: np.ndarray,
             xmax: np.ndarray) -> np.ndarray:
    """QD+ put exercise boundary at the Chebyshev nodes, shape (n, m), by Halley steps."""
    tau = TABLES["a"] * T
    v = sig * np.sqrt(tau)
    s2 = sig * sig
    dr, dq = np.exp(-r * tau), np.exp(-q * tau)
    h = -np.expm1(-r * tau)
    om1 = 2.0 * (r - q) / s2 - 1.0
    root = np.sqrt(om1 * om1 + 8.0 * r / (s2 * h))
    lam = 0.5 * (-om1 - root)
    lam_p = 2.0 * r / (s2 * h * h * root)
    alpha = -2.0 * dr * r / (s2 * root)  # 2 dr r / (s2 (2 lam + omega - 1)), 2 lam + om1 = -root
    beta = alpha * (1.0 / h - lam_p / root) - lam
    c = alpha / (r * dr)
    # f(b) = k0 b - k1 + k2 N(-d-) - b (k3 N(-d+) + k4 n(d+)), Li's QD+ equation, and its
    # derivatives, with everything that does not depend on b folded into coefficients
    iv, g = 1.0 / v, _INV_SQRT_2PI * dq / v
    k0 = 1.0 + beta
    k1, k2 = beta * K, K * dr * (beta + c * r)
    k3, k4 = dq * (k0 + c * q), 0.5 * c * s2 * g
    j2, j3 = g * (1.0 - c * (r - q)), _INV_SQRT_2PI * c * dq / (2.0 * tau)
    l0, l1, l2 = k0 + c * q + c / (2.0 * tau), (c * (r - q) - 1.0) * iv, -c / (2.0 * tau)
    lkd = np.log(dq / (K * dr)) * iv + 0.5 * v
    # seed: Barone-Adesi-Whaley's boundary guess, from the perpetual boundary K q1 / (q1 - 1)
    q1 = 0.5 * (-om1 - np.sqrt(om1 * om1 + 8.0 * r / s2))
    s_inf = K * q1 / (q1 - 1.0)
    b_min = 1e-6 * xmax
    b = s_inf + (K - s_inf) * np.exp(((r - q) * tau - 2.0 * v) * K / (K - s_inf))
    b = np.minimum(np.maximum(b, b_min), xmax)
    buf = np.empty((2,) + b.shape)
    for _ in range(_N_HALLEY):
        dp = np.log(b) * iv + lkd
        dm = dp - v
        np.negative(dp, out=buf[0])
        np.negative(dm, out=buf[1])
        n_dp, n_dm = fast_ncdf(buf)  # one call for both: these arrays are small
        pdf = np.exp(-0.5 * dp * dp)
        f = k0 * b - k1 + k2 * n_dm - b * (k3 * n_dp + k4 * pdf)
        f1 = k0 - k3 * n_dp + pdf * (j2 + j3 * dm)
        f2 = (g * pdf / b) * (l0 + dp * (l1 + l2 * dm))
        step = f / f1
        step /= 1.0 - 0.5 * step * f2 / f1
        b = np.minimum(np.maximum(np.where(np.isfinite(step), b - step, b), b_min), xmax)
    return b


def _put_block(S: np.ndarray, K: np.ndarray, T: np.ndarray, r: np.ndarray, q: np.ndarray,
               sig: np.ndarray, want: int) -> tuple[np.ndarray, ...]:
    """Early-exercise premium of puts (r > 0, T > 0) and its S-derivatives (want = 1, 2, 3
    outputs), plus the mask S <= B(T) (exercise now)."""
    xmax = K * np.where(q > r, r / np.where(q > r, q, 1.0), 1.0)
    ln_xk = np.log(xmax / K)
    b = _qd_plus(K, T, r, q, sig, xmax)
    n, m = b.shape
    H = np.zeros((n + 1, m))
    H[1:] = np.log(b / xmax) ** 2
    b_min = 1e-6 * xmax
    sq_t, rq = np.sqrt(T), r - q
    # node-level terms d+-(tau_i, b_i / K); ln(b/K) = ln(X/K) - sqrt(H_i)
    v_node = TABLES["sqrt_a"] * (sig * sq_t)
    iv_node = 1.0 / v_node
    c_node = (ln_xk + TABLES["a"] * (rq * T)) * iv_node - 0.5 * v_node
    kfac = K * np.exp(TABLES["a"] * (-rq * T))
    # integration points of the fixed-point integrals (node i, point k flattened)
    v_pt = TABLES["fp_sqrt_s"] * (sig * sq_t)
    iv_pt = 1.0 / v_pt
    c_pt = TABLES["fp_s"] * (rq * T) * iv_pt - 0.5 * v_pt
    er = np.exp(TABLES["fp_u"] * (r * T)) * (TABLES["fp_w"] * (r * T))
    eq = np.exp(TABLES["fp_u"] * (q * T)) * (TABLES["fp_w"] * (q * T))
    for it in range(1 + _N_NAIVE):
        sqrt_h = np.sqrt(H[1:])
        h_pt = np.sqrt(np.maximum(matmul(TABLES["fp_L"], H), 0.0))
        h_pt -= np.repeat(sqrt_h, N_FP, axis=0)
        dm = h_pt * iv_pt + c_pt
        ni = matmul(TABLES["fp_G"], er * fast_ncdf(dm))
        dm += v_pt
        di = matmul(TABLES["fp_G"], eq * fast_ncdf(dm))
        dm0 = c_node - sqrt_h * iv_node
        dp0 = dm0 + v_node
        num = fast_ncdf(dm0) + ni
        den = fast_ncdf(dp0) + di
        fv = kfac * num / den
        if it == 0:  # Jacobi-Newton step
            bv = b * v_node
            nd = np.exp(-0.5 * dm0 * dm0) * _INV_SQRT_2PI / bv
            dd = np.exp(-0.5 * dp0 * dp0) * _INV_SQRT_2PI / bv
            fd = kfac * (nd - dd * num / den) / den
            new = b - (fv - b) / (fd - 1.0)
            fv = np.where((new > 0.0) & (new <= xmax), new, fv)  # else a plain step
        b = np.minimum(np.maximum(fv, b_min), xmax)
        H[1:] = np.log(b / xmax) ** 2
    exercise = S <= b[-1]
    # premium integral over t = T (1+y)^2/4, boundary at T - t
    h_pr = np.sqrt(np.maximum(matmul(TABLES["pr_L"], H), 0.0))
    v_pr = TABLES["pr_sqrt_t"] * (sig * sq_t)
    t = TABLES["pr_t"] * T
    dm = (np.log(S / xmax) + h_pr + rq * t) / v_pr - 0.5 * v_pr
    dp = dm + v_pr
    er_t = np.exp(-r * t)
    eq_t = np.exp(-q * t) * fast_ncdf(-dp)
    premium = T * matmul(TABLES["pr_w"], (r * K) * er_t * fast_ncdf(-dm) - (q * S) * eq_t)
    out: list[np.ndarray] = [premium]
    if want > 1:
        pdf = er_t * np.exp(-0.5 * dm * dm) * _INV_SQRT_2PI  # e^{-rt} n(d-)
        slope = q * (xmax * np.exp(-h_pr)) - r * K
        wv = TABLES["pr_w"] / TABLES["pr_sqrt_t"].ravel()  # weight / sqrt(t/T)
        sv = sq_t / sig
        out.append(-q * T * matmul(TABLES["pr_w"], eq_t) + sv / S * matmul(wv, pdf * slope))
        if want > 2:
            out.append(sv / (S * S) * matmul(wv, pdf * (r * K - slope * dm / v_pr)))
    return (*out, exercise)


def _premium_bound(S: np.ndarray, K: np.ndarray, T: np.ndarray, r: np.ndarray, q: np.ndarray,
                   sigma: np.ndarray) -> np.ndarray:
    """An upper bound of a put's early-exercise premium (put coordinates), cheap to compute.

    The premium is at most int_0^T r K N(-d-(t, S/B)) dt, and the boundary B never exceeds
    X = K min(1, r/q), so for S > X it is at most r K T max_t N((a - b t) / (sigma sqrt t)) with
    a = ln(X/S) < 0, b = r - q - sigma^2/2; that maximum is at t = min(T, -a/b) (at T if b <= 0).
    Elsewhere (S <= X) the bound is infinite: no shortcut."""
    x = K * np.minimum(1.0, np.where(q > 0.0, r / np.where(q > 0.0, q, 1.0), np.inf))
    a = np.log(x / S)
    b = r - q - 0.5 * sigma * sigma
    t = np.minimum(T, np.where(b > 0.0, -a / np.where(b > 0.0, b, 1.0), np.inf))
    t = np.where(t > 0.0, t, T)
    g = (a - b * t) / (sigma * np.sqrt(t))
    return np.where(a < 0.0, r * K * T * ndtr(g), np.inf)


def _american(is_call: Any, S: np.ndarray, K: np.ndarray, T: np.ndarray, r: np.ndarray,
              q: np.ndarray, sigma: np.ndarray, want: int) -> dict[str, np.ndarray]:
    """price (want 1), delta (2), gamma (3) on validated arrays, any broadcastable shapes."""
    shape = np.broadcast_shapes(*(np.shape(v) for v in (is_call, S, K, T, r, q, sigma)))
    c, S, K, T, r, q, sigma = (np.broadcast_to(v, shape).ravel() for v in (is_call, S, K, T, r, q, sigma))
    # put coordinates: a call is the put with S <-> K and r <-> q
    Sp, Kp = np.where(c, K, S), np.where(c, S, K)
    rp, qp = np.where(c, q, r), np.where(c, r, q)
    keys = ("price", "delta", "gamma")[:want]
    w = np.where(c, 1.0, -1.0)
    with np.errstate(all="ignore"):
        eu = _kernel(c, S, K, T, r, q, sigma, keys)  # European part, in the option's own terms
        out = {k: np.array(eu[k], dtype=float) for k in keys}
        idx = np.flatnonzero((rp > 0.0) & (T > 0.0) & (sigma > 0.0) & np.isfinite(Sp + Kp + qp)
                             & (_premium_bound(Sp, Kp, T, rp, qp, sigma) >= NEGLIGIBLE_PREMIUM))
        for start in range(0, idx.size, _BLOCK):
            j = idx[start:start + _BLOCK]
            res = list(_put_block(Sp[j], Kp[j], T[j], rp[j], qp[j], sigma[j], want))
            cj = c[j]
            if want > 1:  # a call's premium is the put's with S <-> K: by homogeneity
                res[1] = np.where(cj, (res[0] - Sp[j] * res[1]) / Kp[j], res[1])  # dP/dK = (P - S P_S)/K
            if want > 2:
                res[2] = np.where(cj, res[2] * (Sp[j] / Kp[j]) ** 2, res[2])
            intrinsic = w[j] * (S[j] - K[j])
            euro = out["price"][j]  # exercise now never gives less than the European price
            exercise = (res[-1] & (intrinsic >= euro)) | (euro + np.maximum(res[0], 0.0) <= intrinsic)
            alive = ~exercise & (res[0] > 0.0)  # premium clipped at 0: keep the European values
            for k, v in zip(keys, res[:-1], strict=False):
                out[k][j] = np.where(alive, out[k][j] + v, out[k][j])
            out["price"][j] = np.where(exercise, intrinsic, out["price"][j])
            if want > 1:
                out["delta"][j] = np.where(exercise, w[j], out["delta"][j])
            if want > 2:
                out["gamma"][j] = np.where(exercise, 0.0, out["gamma"][j])
        floored = out["price"] < w * (S - K)  # e.g. a European-path put deep in the money
        if floored.any():
            out["price"] = np.where(floored, w * (S - K), out["price"])
            if want > 1:
                out["delta"] = np.where(floored, w, out["delta"])
            if want > 2:
                out["gamma"] = np.where(floored, 0.0, out["gamma"])
        out["price"] = np.maximum(out["price"], 0.0)
    return {k: v.reshape(shape) for k, v in out.items()}


def american_price_and_delta(is_call: Any, S: Any, K: Any, T: Any, r: Any, q: Any, sigma: Any
                             ) -> tuple[np.ndarray, np.ndarray]:
    """(price, delta) of American options on inputs the caller has already checked (S, K,
    sigma > 0, T >= 0; is_call a bool array or scalar): the chain model's hot path, skipping
    validation and the other Greeks. Same numbers as american_price_and_greeks."""
    S, K, T, r, q, sigma = (np.asarray(v, dtype=float) for v in (S, K, T, r, q, sigma))
    res = _american(is_call, S, K, T, r, q, sigma, want=2)
    return res["price"], res["delta"]


def _inputs(fn: str, right: Any, S: Any, K: Any, T: Any, r: Any, q: Any, sigma: Any
            ) -> tuple[Any, dict[str, np.ndarray]]:
    is_call = parse_right(right)
    a = _arrays(fn, np.shape(is_call), S=S, K=K, T=T, r=r, q=q, sigma=sigma)
    _validate(fn, a, "S")
    return is_call, a


def american_price(right: Any, S: Any, K: Any, T: Any, r: Any, q: Any, sigma: Any) -> Any:
    """Price of an American option (per unit of underlying) with continuous dividend yield q.

    Arguments, units and errors as greeks.pricing.bsm_price; T == 0 gives intrinsic value.
    Never below the European price nor below intrinsic value max(w(S - K), 0).
    """
    is_call, a = _inputs("american_price", right, S, K, T, r, q, sigma)
    return _finish(_american(is_call, a["S"], a["K"], a["T"], a["r"], a["q"], a["sigma"], 1)["price"])


def american_price_and_greeks(right: Any, S: Any, K: Any, T: Any, r: Any, q: Any, sigma: Any
                              ) -> dict[str, Any]:
    """Price and Greeks of American options: keys price, delta, gamma, vega, theta, rho.

    Units as greeks.pricing.bsm_price_and_greeks (vega per 1.00 vol, theta per YEAR as
    calendar time passes, rho per 1.00 rate); expiry limits likewise. Options exercised now
    (beyond the boundary) have delta +/-1 and zero gamma, vega, theta, rho. Errors as
    american_price.
    """
    is_call, a = _inputs("american_price_and_greeks", right, S, K, T, r, q, sigma)
    S_, K_, T_, r_, q_, sig = a["S"], a["K"], a["T"], a["r"], a["q"], a["sigma"]
    res = _american(is_call, S_, K_, T_, r_, q_, sig, 3)
    shape = res["price"].shape
    c, S_b, K_b, T_b, r_b, q_b, sig_b = (np.broadcast_to(v, shape) for v in (is_call, S_, K_, T_, r_, q_, sig))
    eu = _kernel(c, S_b, K_b, T_b, r_b, q_b, sig_b, _GREEKS)
    european = np.where(c, q_b <= 0.0, r_b <= 0.0) | (T_b == 0.0)
    intrinsic = np.maximum(np.where(c, S_b - K_b, K_b - S_b), 0.0)
    dead = (res["price"] <= intrinsic) & (intrinsic > 0.0) & (T_b > 0.0)  # exercised now
    sig_dn = np.maximum(sig_b - _H_SIGMA, 0.5 * sig_b)
    up = _american(c, S_b, K_b, T_b, r_b, q_b, sig_b + _H_SIGMA, 1)["price"]
    dn = _american(c, S_b, K_b, T_b, r_b, q_b, sig_dn, 1)["price"]
    vega = (up - dn) / (sig_b + _H_SIGMA - sig_dn)
    up = _american(c, S_b, K_b, T_b, r_b + _H_RATE, q_b, sig_b, 1)["price"]
    dn = _american(c, S_b, K_b, T_b, r_b - _H_RATE, q_b, sig_b, 1)["price"]
    rho = (up - dn) / (2.0 * _H_RATE)
    with np.errstate(all="ignore"):
        theta = r_b * res["price"] - (r_b - q_b) * S_b * res["delta"] - 0.5 * (sig_b * S_b) ** 2 * res["gamma"]
    out = dict(res, vega=vega, theta=theta, rho=rho)
    for k in ("vega", "theta", "rho"):
        out[k] = np.where(dead, 0.0, np.where(european, eu[k], out[k]))
    return {k: _finish(out[k]) for k in _GREEKS}


def american_implied_volatility(price: Any, right: Any, S: Any, K: Any, T: Any, r: Any, q: Any) -> Any:
    """Volatility (annual fraction) at which american_price reproduces `price`.

    Vectorised safeguarded secant / bisection (Illinois) in sigma on [1e-4, 10], run on all
    options at once. Returns NaN where no volatility reproduces the price: price at or below
    intrinsic value max(w(S - K), 0) (within floating-point rounding), price at or above the
    upper bound S (call) / K (put), price outside the range of volatilities searched, T == 0
    or NaN inputs. Accuracy: the price is reproduced to about 1e-10 of the strike. Raises
    ValueError for an unknown right, S <= 0, K <= 0, T < 0.
    """
    fn = "american_implied_volatility"
    is_call = parse_right(right)
    a = _arrays(fn, np.shape(is_call), price=price, S=S, K=K, T=T, r=r, q=q)
    _validate(fn, a, "S")
    shape = np.broadcast_shapes(np.shape(is_call), *(v.shape for v in a.values()))
    c = np.broadcast_to(is_call, shape).ravel()
    p, S_, K_, T_, r_, q_ = (np.broadcast_to(a[k], shape).ravel() for k in ("price", "S", "K", "T", "r", "q"))
    intrinsic = np.maximum(np.where(c, S_ - K_, K_ - S_), 0.0)
    upper = np.where(c, S_, K_)
    noise = 8.0 * np.finfo(float).eps * (S_ + K_)
    lo, hi = np.full(p.size, 1e-4), np.full(p.size, 10.0)

    def excess(sig: np.ndarray, j: np.ndarray) -> np.ndarray:
        return _american(c[j], S_[j], K_[j], T_[j], r_[j], q_[j], sig, 1)["price"] - p[j]

    j = np.flatnonzero((p > intrinsic + noise) & (p < upper) & (T_ > 0.0))
    f_lo, f_hi = excess(lo[j], j), excess(hi[j], j)
    ok = (f_lo <= 0.0) & (f_hi >= 0.0)
    sigma = np.full(p.size, np.nan)
    j, f_lo, f_hi, lo, hi = j[ok], f_lo[ok], f_hi[ok], lo[j[ok]], hi[j[ok]]
    tol = 1e-10 * K_[j]
    side = np.zeros(j.size)
    for _ in range(100):
        if j.size == 0:
            break
        with np.errstate(all="ignore"):
            x = hi - f_hi * (hi - lo) / (f_hi - f_lo)
        x = np.where(np.isfinite(x) & (x > lo) & (x < hi), x, 0.5 * (lo + hi))
        f = excess(x, j)
        done = (np.abs(f) <= tol) | (hi - lo <= 1e-12 * hi)
        sigma[j[done]] = x[done]
        low = f < 0.0  # root above x
        # Illinois: halve the value kept at the end that stayed twice in a row
        f_hi = np.where(low & (side < 0), 0.5 * f_hi, f_hi)
        f_lo = np.where(~low & (side > 0), 0.5 * f_lo, f_lo)
        lo, f_lo = np.where(low, x, lo), np.where(low, f, f_lo)
        hi, f_hi = np.where(low, hi, x), np.where(low, f_hi, f)
        side = np.where(low, -1.0, 1.0)
        keep = ~done
        j, lo, hi, f_lo, f_hi, side, tol = (v[keep] for v in (j, lo, hi, f_lo, f_hi, side, tol))
    return _finish(sigma.reshape(shape))
