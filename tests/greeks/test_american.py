"""Tests of greeks.american against QuantLib (finite-difference engine 800 x 800 as the oracle).

Tolerance on prices: |ours - QuantLib| <= max(0.02, 0.005 * price) per share ($2 a contract or
0.5 % of the price), on the strategies' real cases.
"""
from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
import QuantLib as ql
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import ndtri

from greeks.american import (
    american_implied_volatility,
    american_price,
    american_price_and_delta,
    american_price_and_greeks,
)
from greeks.pricing import bsm_price, bsm_price_and_greeks

KEYS = ("price", "delta", "gamma", "vega", "theta", "rho")
Q = 0.013


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    """No numpy RuntimeWarning may leak out of the pricing code."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def ql_american(right: str, S: float, K: float, T: float, r: float, q: float, sigma: float,
                greeks: bool = False) -> float | tuple[float, float, float, float]:
    """QuantLib FD (800 time steps x 800 space points) American price, optionally with delta,
    gamma, theta. A T that is not a whole number of days is priced as an option of whole
    days with rates and variance rescaled (Black-Scholes is invariant under that change)."""
    days = max(1, round(T * 365.0))
    scale = T / (days / 365.0)
    today = ql.Date(3, 1, 2024)
    ql.Settings.instance().evaluationDate = today
    dc = ql.Actual365Fixed()
    rts = ql.YieldTermStructureHandle(ql.FlatForward(today, r * scale, dc))
    qts = ql.YieldTermStructureHandle(ql.FlatForward(today, q * scale, dc))
    vts = ql.BlackVolTermStructureHandle(
        ql.BlackConstantVol(today, ql.NullCalendar(), sigma * np.sqrt(scale), dc))
    process = ql.BlackScholesMertonProcess(ql.QuoteHandle(ql.SimpleQuote(S)), qts, rts, vts)
    kind = ql.Option.Call if right == "call" else ql.Option.Put
    option = ql.VanillaOption(ql.PlainVanillaPayoff(kind, K), ql.AmericanExercise(today, today + days))
    option.setPricingEngine(ql.FdBlackScholesVanillaEngine(process, 800, 800))
    if greeks:
        return option.NPV(), option.delta(), option.gamma(), option.theta() / scale
    return option.NPV()


def strike_for_delta(right: str, S: float, T: float, r: float, sigma: float, delta: float) -> float:
    """Strike whose European BSM delta is `delta` (calls) / -`delta` (puts)."""
    d1 = ndtri(delta * np.exp(Q * T))
    d1 = d1 if right == "call" else -d1
    return S * np.exp((r - Q + 0.5 * sigma * sigma) * T - d1 * sigma * np.sqrt(T))


def check_against_quantlib(cases: list[tuple]) -> None:
    rights = np.array([c[0] for c in cases])
    num = np.array([c[1:] for c in cases], dtype=float).T
    ours = american_price(rights, *num)
    ref = np.array([ql_american(*c) for c in cases])
    tol = np.maximum(0.02, 0.005 * ref)
    err = np.abs(ours - ref)
    worst = int(np.argmax(err / tol))
    assert (err <= tol).all(), f"{int((err > tol).sum())} of {len(cases)} off; worst {cases[worst]}: " \
                               f"ours {ours[worst]:.4f} QuantLib {ref[worst]:.4f}"


GRID = list(itertools.product((0.0, 0.02, 0.05), (0.12, 0.20, 0.35)))
SPOTS = (400.0, 470.0, 530.0, 600.0)


def spot(i: int) -> float:
    return SPOTS[i % len(SPOTS)]


# ----------------------------------------------------------------------------- known values


def test_known_data_points():
    assert abs(float(american_price("put", 500.0, 450.0, 1.5, 0.05, Q, 0.20)) - 18.20) <= 0.02
    assert abs(float(american_price("put", 500.0, 465.0, 117 / 365, 0.05, Q, 0.15)) - 3.500) <= 0.02


def test_deep_in_the_money_put_is_intrinsic():
    g = american_price_and_greeks("put", 500.0, 550.0, 21 / 365, 0.05, Q, 0.15)
    assert g["price"] >= 50.0
    assert g["price"] == 50.0 and g["delta"] == -1.0
    assert g["gamma"] == g["vega"] == g["theta"] == g["rho"] == 0.0


# ----------------------------------------------------------------------------- QuantLib cases


def test_zero_and_one_dte_16_delta_calls_and_puts():
    cases = []
    for i, ((r, vol), dte, right) in enumerate(itertools.product(GRID, (0.25, 1.0), ("call", "put"))):
        S, T = spot(i), dte / 365
        cases.append((right, S, strike_for_delta(right, S, T, r, vol, 0.16), T, r, Q, vol))
    check_against_quantlib(cases)


def test_112_to_120_dte_out_of_the_money_puts():
    cases = [("put", spot(i), spot(i) * (1 - otm), dte / 365, r, Q, vol)
             for i, ((r, vol), dte, otm) in enumerate(itertools.product(GRID, (112, 117, 120), (0.07, 0.12)))]
    check_against_quantlib(cases)


def test_long_dated_80_delta_calls():
    cases = []
    for i, ((r, vol), dte) in enumerate(itertools.product(GRID, (365, 548, 730))):
        S, T = spot(i), dte / 365
        cases.append(("call", S, strike_for_delta("call", S, T, r, vol, 0.80), T, r, Q, vol))
    check_against_quantlib(cases)


def test_long_dated_puts_70_to_90_percent_strikes():
    cases = [("put", spot(i), spot(i) * m, dte / 365, r, Q, vol)
             for i, ((r, vol), dte, m) in enumerate(itertools.product(GRID, (365, 730), (0.7, 0.8, 0.9)))]
    check_against_quantlib(cases)


def test_in_the_money_puts_and_calls_with_q_above_r():
    cases = [("put", 500.0, K, dte / 365, 0.05, Q, vol)
             for K, dte, vol in itertools.product((520.0, 550.0, 600.0), (21, 90, 365), (0.15, 0.30))]
    cases += [("call", 500.0, K, dte / 365, r, q, vol)
              for K, dte, (r, q), vol in itertools.product((400.0, 480.0, 520.0), (30, 365, 730),
                                                           ((0.0, Q), (0.005, Q), (0.02, 0.04)), (0.15, 0.30))]
    check_against_quantlib(cases)


# ----------------------------------------------------------------------------- properties


def _book(n: int, seed: int = 5) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    S = rng.uniform(50.0, 600.0, n)
    return (np.where(rng.random(n) < 0.5, "call", "put"), S, S * np.exp(rng.normal(0.0, 0.2, n)),
            rng.uniform(0.0, 2.0, n), rng.uniform(-0.01, 0.08, n), rng.uniform(-0.01, 0.05, n),
            rng.uniform(0.05, 1.0, n))


@settings(max_examples=300, deadline=None)
@given(call=st.booleans(), S=st.floats(1.0, 2000.0), k=st.floats(0.2, 5.0), T=st.floats(0.0, 5.0),
       r=st.floats(-0.05, 0.2), q=st.floats(-0.05, 0.2), sigma=st.floats(0.01, 2.0))
def test_never_below_intrinsic_nor_european(call, S, k, T, r, q, sigma):
    right, K = ("call" if call else "put"), S * k
    price = american_price(right, S, K, T, r, q, sigma)
    intrinsic = max(S - K, 0.0) if call else max(K - S, 0.0)
    assert np.isfinite(price)
    assert price >= intrinsic
    assert price >= bsm_price(right, S, K, T, r, q, sigma)
    assert price <= (S * max(1.0, np.exp(-q * T)) if call else K * max(1.0, np.exp(-r * T))) * (1 + 1e-12)


def test_american_at_least_european_on_a_book():
    book = _book(20000)
    assert (american_price(*book) >= bsm_price(*book)).all()


def test_put_call_symmetry():
    _, S, K, T, r, q, sigma = _book(5000, seed=8)
    call = american_price("call", S, K, T, r, q, sigma)
    put = american_price("put", K, S, T, q, r, sigma)
    np.testing.assert_allclose(call, put, rtol=1e-12, atol=1e-12)


def test_european_fast_paths():
    _, S, K, T, r, q, sigma = _book(2000, seed=9)
    """Calls with q <= 0 and puts with r <= 0 are European, floored at intrinsic value."""
    np.testing.assert_array_equal(american_price("call", S, K, T, r, -np.abs(q), sigma),
                                  np.maximum(bsm_price("call", S, K, T, r, -np.abs(q), sigma), S - K))
    np.testing.assert_array_equal(american_price("put", S, K, T, -np.abs(r), q, sigma),
                                  np.maximum(bsm_price("put", S, K, T, -np.abs(r), q, sigma), K - S))


def test_hot_path_matches_public_function():
    right, S, K, T, r, q, sigma = _book(3000, seed=10)
    price, delta = american_price_and_delta(right == "call", S, K, T, r, q, sigma)
    g = american_price_and_greeks(right, S, K, T, r, q, sigma)
    np.testing.assert_array_equal(price, g["price"])
    np.testing.assert_array_equal(delta, g["delta"])
    np.testing.assert_array_equal(price, american_price(right, S, K, T, r, q, sigma))


def test_greeks_are_finite_and_consistent():
    right, S, K, T, r, q, sigma = _book(20000, seed=11)
    g = american_price_and_greeks(right, S, K, T, r, q, sigma)
    assert all(np.isfinite(g[k]).all() for k in KEYS)
    put = right == "put"
    bound = np.maximum(1.0, np.exp(-q * T))  # a European delta exceeds 1 when q < 0
    assert (g["delta"][put] >= -bound[put]).all() and (g["delta"][put] <= 0.0).all()
    assert (g["delta"][~put] >= 0.0).all() and (g["delta"][~put] <= bound[~put]).all()
    ordinary = q >= 0.0
    assert (g["delta"][put & ordinary] >= -1.0).all() and (g["delta"][~put & ordinary] <= 1.0).all()
    assert (g["gamma"] >= -1e-10).all() and (g["vega"] >= -1e-6).all()


# ----------------------------------------------------------------------------- Greeks vs QuantLib


GREEK_CASES = [
    ("put", 500.0, 480.0, 1.0, 0.05, Q, 0.20),
    ("put", 500.0, 465.0, 117 / 365, 0.05, Q, 0.15),
    ("put", 450.0, 400.0, 2.0, 0.02, Q, 0.35),
    ("put", 520.0, 540.0, 60 / 365, 0.05, Q, 0.25),
    ("call", 500.0, 420.0, 1.5, 0.0, Q, 0.20),
    ("call", 580.0, 560.0, 2.0, 0.02, 0.04, 0.30),
]


@pytest.mark.parametrize("case", GREEK_CASES)
def test_greeks_against_quantlib(case):
    right, S, K, T, r, q, sigma = case
    g = american_price_and_greeks(*case)
    price, delta, gamma, theta = ql_american(*case, greeks=True)
    hv, hr = 0.005, 0.002
    vega = (ql_american(right, S, K, T, r, q, sigma + hv) - ql_american(right, S, K, T, r, q, sigma - hv)) / (2 * hv)
    rho = (ql_american(right, S, K, T, r + hr, q, sigma) - ql_american(right, S, K, T, r - hr, q, sigma)) / (2 * hr)
    assert abs(g["price"] - price) <= max(0.02, 0.005 * price)
    assert abs(g["delta"] - delta) <= 0.01
    assert abs(g["gamma"] - gamma) <= max(2e-4, 0.03 * gamma)
    assert abs(g["vega"] - vega) <= max(0.5, 0.02 * abs(vega))
    assert abs(g["theta"] - theta) <= max(0.5, 0.03 * abs(theta))
    assert abs(g["rho"] - rho) <= max(0.5, 0.03 * abs(rho))


# ----------------------------------------------------------------------------- implied vol


def test_implied_volatility_round_trip():
    right, S, K, T, r, q, sigma = _book(3000, seed=12)
    T = np.maximum(T, 7 / 365)
    price = american_price(right, S, K, T, r, q, sigma)
    intrinsic = np.maximum(np.where(right == "call", S - K, K - S), 0.0)
    iv = american_implied_volatility(price, right, S, K, T, r, q)
    ok = price - intrinsic > 1e-6 * K  # time value large enough to identify sigma
    assert np.isfinite(iv[ok]).mean() > 0.999
    good = ok & np.isfinite(iv)
    np.testing.assert_allclose(american_price(right[good], S[good], K[good], T[good], r[good], q[good], iv[good]),
                               price[good], atol=1e-7 * 600)
    vega = american_price_and_greeks(right, S, K, T, r, q, sigma)["vega"]
    sharp = good & (vega > 1.0)
    np.testing.assert_allclose(iv[sharp], sigma[sharp], atol=1e-6)


def test_implied_volatility_unreachable_prices_are_nan():
    iv = american_implied_volatility([49.9, 50.0, 550.0, 10.0, 10.0], "put", 500.0, 550.0,
                                     [0.1, 0.1, 0.1, 0.0, 0.5], 0.05, Q)
    assert np.isnan(iv).all()
    scalar = american_implied_volatility(american_price("call", 500.0, 510.0, 0.3, 0.03, Q, 0.22),
                                         "call", 500.0, 510.0, 0.3, 0.03, Q)
    assert isinstance(scalar, np.float64) and abs(scalar - 0.22) < 1e-8


# ----------------------------------------------------------------------------- API


def test_scalars_and_shapes():
    p = american_price("put", 500.0, 480.0, 0.5, 0.05, Q, 0.2)
    assert isinstance(p, np.float64)
    g = american_price_and_greeks("p", 500.0, 480.0, 0.5, 0.05, Q, 0.2)
    assert set(g) == set(bsm_price_and_greeks("p", 500.0, 480.0, 0.5, 0.05, Q, 0.2))
    assert all(isinstance(v, np.float64) for v in g.values())
    K = np.array([[450.0, 500.0, 550.0]])
    T = np.array([[0.1], [1.0]])
    out = american_price_and_greeks(["call", "put", "PUT"], 500.0, K, T, 0.05, Q, 0.2)
    assert all(v.shape == (2, 3) for v in out.values())
    single = american_price("put", 500.0, 550.0, 1.0, 0.05, Q, 0.2)
    assert out["price"][1, 2] == pytest.approx(single, rel=1e-12)


def test_expiry_limits_match_european():
    S = np.array([450.0, 500.0, 550.0])
    for right in ("call", "put"):
        ours = american_price_and_greeks(right, S, 500.0, 0.0, 0.05, Q, 0.2)
        ref = bsm_price_and_greeks(right, S, 500.0, 0.0, 0.05, Q, 0.2)
        for k in KEYS:
            np.testing.assert_array_equal(ours[k], ref[k])


@pytest.mark.parametrize("kwargs, word", [
    ({"right": "straddle"}, "right"), ({"S": -1.0}, "S"), ({"K": 0.0}, "K"), ({"T": -0.1}, "T"),
    ({"sigma": 0.0}, "sigma"), ({"K": np.ones(3), "T": np.ones(2)}, "broadcast"), ({"r": "x"}, "r"),
])
def test_bad_input_raises_value_error_naming_it(kwargs, word):
    args = {"right": "put", "S": 500.0, "K": 480.0, "T": 0.5, "r": 0.05, "q": Q, "sigma": 0.2} | kwargs
    for fn in (american_price, american_price_and_greeks):
        with pytest.raises(ValueError, match=word):
            fn(**args)
    iv_args = {k: v for k, v in args.items() if k != "sigma"}
    if word != "sigma":
        with pytest.raises(ValueError, match=word):
            american_implied_volatility(10.0, **iv_args)


def test_the_european_shortcut_changes_no_price_by_more_than_its_bound(monkeypatch):
    """Options whose premium bound is below NEGLIGIBLE_PREMIUM are priced European: against the
    full computation (shortcut off) no price moves by more than that bound."""
    from greeks import american

    rng = np.random.default_rng(5)
    n = 4000
    S = rng.uniform(400.0, 600.0, n)
    args = (np.where(rng.random(n) < 0.5, "call", "put"), S, S * rng.uniform(0.6, 1.4, n),
            rng.uniform(0.0, 2.0, n), rng.uniform(0.0, 0.06, n), rng.uniform(0.0, 0.03, n),
            rng.uniform(0.08, 0.6, n))
    fast, bound = american.american_price(*args), american.NEGLIGIBLE_PREMIUM
    monkeypatch.setattr(american, "NEGLIGIBLE_PREMIUM", 0.0)
    full = american.american_price(*args)
    assert np.max(np.abs(fast - full)) <= bound
    assert np.mean(fast == full) < 1.0  # the shortcut was taken somewhere
