"""The American pricer's numerical tables: a fast normal CDF, Chebyshev interpolation and the
Gauss-Legendre quadrature of the boundary's fixed-point integrals and of the premium integral
(greeks.american describes the method). Option-independent: computed once at import.
"""
from __future__ import annotations

import numpy as np

N_NODES = 4  # Chebyshev nodes of the boundary in sqrt(tau) (plus the node tau = 0)
N_FP = 4  # Gauss-Legendre points of each fixed-point integral
N_PRICE = 10  # Gauss-Legendre points of the premium integral
MM_COLS = 512  # matrix products in column chunks this small stay single-threaded in OpenBLAS


# Normal CDF, Abramowitz-Stegun 26.2.17 (absolute error < 8e-8), scaled so that N(0) = 1/2
# exactly (continuous and symmetric): about 3x faster than scipy's ndtr in numpy. Used only
# for the boundary and the premium; the European part uses greeks.pricing (scipy ndtr).
_AS_P = 0.2316419
_AS_B = np.array([0.319381530, -0.356563782, 1.781477937, -1.821255978, 1.330274429])
_AS_B = (_AS_B * (0.5 / _AS_B.sum())).tolist()


def fast_ncdf(x: np.ndarray) -> np.ndarray:
    a = np.abs(x)
    t = a * _AS_P
    t += 1.0
    np.reciprocal(t, out=t)
    p = t * _AS_B[4]
    for c in _AS_B[3::-1]:
        p += c
        p *= t
    np.square(a, out=a)
    a *= -0.5
    np.exp(a, out=a)
    p *= a  # upper tail at |x|
    np.subtract(0.5, p, out=p)
    np.copysign(p, x, out=p)
    p += 0.5
    return p


def lagrange_matrix(z_nodes: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Matrix (len(z), len(z_nodes)) interpolating on Chebyshev points of the second kind."""
    w = (-1.0) ** np.arange(len(z_nodes))
    w[0] *= 0.5
    w[-1] *= 0.5
    diff = z[:, None] - z_nodes[None, :]
    hit = np.isclose(diff, 0.0, atol=1e-14)
    diff[hit] = 1.0
    m = w / diff
    m /= m.sum(axis=1, keepdims=True)
    rows = hit.any(axis=1)
    m[rows] = hit[rows].astype(float)
    return m


def quadrature_tables() -> dict[str, np.ndarray]:
    """Option-independent quadrature and interpolation tables (in units of T)."""
    zc = -np.cos(np.pi * np.arange(N_NODES + 1) / N_NODES)  # ascending, zc[0] = -1 (tau = 0)
    a = (0.5 * (1.0 + zc[1:])) ** 2  # tau_i / T at the nodes used
    y, w = np.polynomial.legendre.leggauss(N_FP)
    s = a[:, None] * (0.25 * (1.0 + y) ** 2)  # (tau_i - u) / T: s = tau (1+y)^2 / 4
    u = a[:, None] - s
    fp_w = a[:, None] * 0.5 * (1.0 + y) * w  # ds = tau (1+y)/2 dy, / T
    yp, wp = np.polynomial.legendre.leggauss(N_PRICE)
    t = 0.25 * (1.0 + yp) ** 2  # t / T
    col = (lambda x: np.ascontiguousarray(np.ravel(x)[:, None]))
    return {
        "a": col(a), "sqrt_a": col(np.sqrt(a)),
        "fp_s": col(s), "fp_sqrt_s": col(np.sqrt(s)), "fp_u": col(u), "fp_w": col(fp_w),
        "fp_G": np.kron(np.eye(N_NODES), np.ones((1, N_FP))),  # sums each node's points
        "fp_L": lagrange_matrix(zc, 2.0 * np.sqrt(np.maximum(u.ravel(), 0.0)) - 1.0),
        "pr_t": col(t), "pr_sqrt_t": col(np.sqrt(t)), "pr_w": 0.5 * (1.0 + yp) * wp,
        "pr_L": lagrange_matrix(zc, 2.0 * np.sqrt(1.0 - t) - 1.0),
    }


TABLES = quadrature_tables()


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b by chunks of columns, so that BLAS never starts threads (one core, no spin-waits)."""
    if b.shape[-1] <= MM_COLS:
        return a @ b
    out = np.empty(a.shape[:-1] + b.shape[-1:])
    for i in range(0, b.shape[-1], MM_COLS):
        out[..., i:i + MM_COLS] = a @ b[:, i:i + MM_COLS]
    return out
