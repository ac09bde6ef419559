"""Unit and property tests of greeks.pricing: parity, finite differences, IV, expiry, errors."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greeks.implied_volatility import normalised_black_call, normalised_black_vol
from greeks.pricing import (
    DAYS_PER_YEAR,
    black76_greeks,
    black76_price,
    black76_price_and_greeks,
    bsm_dividend_rho,
    bsm_elasticity,
    bsm_greeks,
    bsm_price,
    bsm_price_and_greeks,
    implied_volatility,
    parse_right,
    theta_per_day,
)

GREEKS = ("delta", "gamma", "vega", "theta", "rho")


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    """No numpy RuntimeWarning may leak out of the pricing code."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def _random_book(n: int, seed: int = 7) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    S = rng.uniform(20.0, 500.0, n)
    return {
        "right": np.where(rng.random(n) < 0.5, "call", "put"),
        "S": S,
        "K": S * np.exp(rng.normal(0.0, 0.15, n)),
        "T": rng.uniform(2.0 / 365.0, 2.0, n),
        "r": rng.uniform(-0.01, 0.08, n),
        "q": rng.uniform(0.0, 0.05, n),
        "sigma": rng.uniform(0.05, 1.2, n),
    }


# ----------------------------------------------------------------------------- parity


def test_bsm_put_call_parity_on_arrays():
    b = _random_book(5000)
    args = (b["S"], b["K"], b["T"], b["r"], b["q"], b["sigma"])
    call = bsm_price("call", *args)
    put = bsm_price("put", *args)
    forward_value = b["S"] * np.exp(-b["q"] * b["T"]) - b["K"] * np.exp(-b["r"] * b["T"])
    np.testing.assert_allclose(call - put, forward_value, rtol=0, atol=1e-10 * b["S"].max())
    gc, gp = bsm_greeks("c", *args), bsm_greeks("p", *args)
    np.testing.assert_allclose(gc["delta"] - gp["delta"], np.exp(-b["q"] * b["T"]), atol=1e-12)
    np.testing.assert_allclose(gc["gamma"], gp["gamma"], rtol=1e-10)
    np.testing.assert_allclose(gc["vega"], gp["vega"], rtol=1e-10)


def test_black76_put_call_parity_and_relation_to_bsm():
    b = _random_book(2000, seed=3)
    F, K, T, r, sigma = b["S"], b["K"], b["T"], b["r"], b["sigma"]
    diff = black76_price("call", F, K, T, r, sigma) - black76_price("put", F, K, T, r, sigma)
    np.testing.assert_allclose(diff, np.exp(-r * T) * (F - K), atol=1e-9)
    # Black-76 on F is BSM with S = F and q = r.
    np.testing.assert_allclose(black76_price(b["right"], F, K, T, r, sigma),
                               bsm_price(b["right"], F, K, T, r, r, sigma), rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------- finite differences


def _central(f, x: float, h: float) -> float:
    return (f(x + h) - f(x - h)) / (2.0 * h)


@pytest.mark.parametrize("right", ["call", "put"])
@pytest.mark.parametrize(("S", "K", "T", "r", "q", "sigma"), [
    (100.0, 100.0, 0.5, 0.05, 0.02, 0.25),
    (450.0, 400.0, 45 / 365, 0.045, 0.013, 0.18),
    (50.0, 65.0, 2.0, 0.01, 0.0, 0.6),
    (4000.0, 3500.0, 10 / 365, 0.05, 0.015, 0.35),
])
def test_bsm_greeks_match_finite_differences(right, S, K, T, r, q, sigma):
    g = bsm_greeks(right, S, K, T, r, q, sigma)
    base = {"S": S, "K": K, "T": T, "r": r, "q": q, "sigma": sigma}

    def price(**bumped: float) -> float:
        return float(bsm_price(right, **(base | bumped)))

    hs = 1e-4 * S
    assert g["delta"] == pytest.approx(_central(lambda x: price(S=x), S, hs), rel=1e-5, abs=1e-8)
    second = (price(S=S + hs) - 2 * price() + price(S=S - hs)) / hs**2
    assert g["gamma"] == pytest.approx(second, rel=1e-4, abs=1e-8)
    assert g["vega"] == pytest.approx(_central(lambda x: price(sigma=x), sigma, 1e-5), rel=1e-6, abs=1e-8)
    assert g["rho"] == pytest.approx(_central(lambda x: price(r=x), r, 1e-5), rel=1e-6, abs=1e-8)
    # theta is the value change as calendar time passes: -dV/dT, per year
    assert g["theta"] == pytest.approx(-_central(lambda x: price(T=x), T, 1e-6), rel=1e-5, abs=1e-7)
    dq = bsm_dividend_rho(right, S, K, T, r, q, sigma)
    assert dq == pytest.approx(_central(lambda x: price(q=x), q, 1e-5), rel=1e-6, abs=1e-8)
    assert bsm_elasticity(right, S, K, T, r, q, sigma) == pytest.approx(g["delta"] * S / price(), rel=1e-12)


@pytest.mark.parametrize("right", ["call", "put"])
def test_black76_greeks_match_finite_differences(right):
    F, K, T, r, sigma = 5000.0, 4800.0, 30 / 365, 0.05, 0.2
    g = black76_greeks(right, F, K, T, r, sigma)
    base = {"F": F, "K": K, "T": T, "r": r, "sigma": sigma}

    def price(**bumped: float) -> float:
        return float(black76_price(right, **(base | bumped)))

    h = 0.01
    assert g["delta"] == pytest.approx(_central(lambda x: price(F=x), F, h), rel=1e-6)
    assert g["gamma"] == pytest.approx((price(F=F + h) - 2 * price() + price(F=F - h)) / h**2, rel=1e-3)
    assert g["vega"] == pytest.approx(_central(lambda x: price(sigma=x), sigma, 1e-5), rel=1e-6)
    assert g["rho"] == pytest.approx(_central(lambda x: price(r=x), r, 1e-5), rel=1e-6)
    assert g["rho"] == pytest.approx(-T * price(), rel=1e-12)
    assert g["theta"] == pytest.approx(-_central(lambda x: price(T=x), T, 1e-7), rel=1e-5)


def test_price_and_greeks_agree_with_separate_functions():
    b = _random_book(3000, seed=11)
    args = (b["right"], b["S"], b["K"], b["T"], b["r"], b["q"], b["sigma"])
    both = bsm_price_and_greeks(*args)
    assert set(both) == {"price", *GREEKS}
    np.testing.assert_array_equal(both["price"], bsm_price(*args))
    greeks = bsm_greeks(*args)
    assert set(greeks) == set(GREEKS)
    for k in GREEKS:
        np.testing.assert_array_equal(both[k], greeks[k])
    b76 = black76_price_and_greeks(b["right"], b["S"], b["K"], b["T"], b["r"], b["sigma"])
    b76_price = black76_price(b["right"], b["S"], b["K"], b["T"], b["r"], b["sigma"])
    np.testing.assert_array_equal(b76["price"], b76_price)


def test_blocked_large_arrays_match_elementwise_and_broadcast():
    """Inputs above the block size (and 2-D broadcasts) give the same numbers as small calls."""
    S = np.linspace(50.0, 150.0, 181)[:, None]
    K = np.linspace(60.0, 140.0, 201)[None, :]
    right = np.where(np.arange(201) % 2 == 0, "call", "put")[None, :]
    big = bsm_price_and_greeks(right, S, K, 0.3, 0.04, 0.01, 0.3)
    assert big["price"].shape == (181, 201)
    for i in (0, 77, 180):
        row = bsm_price_and_greeks(right[0], S[i, 0], K[0], 0.3, 0.04, 0.01, 0.3)
        for k in ("price", *GREEKS):
            np.testing.assert_allclose(big[k][i], row[k], rtol=1e-14, atol=0)


def test_known_value_and_units():
    # Hull, 20-week call: S=49, K=50, r=5%, sigma=20%
    g = bsm_greeks("call", 49.0, 50.0, 20 / 52, 0.05, 0.0, 0.2)
    assert bsm_price("call", 49.0, 50.0, 20 / 52, 0.05, 0.0, 0.2) == pytest.approx(2.4005, abs=1e-4)
    assert g["delta"] == pytest.approx(0.5216, abs=1e-4)
    assert g["vega"] == pytest.approx(12.105, abs=1e-3)  # per 1.00 of volatility
    assert g["theta"] == pytest.approx(-4.3054, abs=1e-4)  # per year
    assert theta_per_day(g["theta"]) == pytest.approx(g["theta"] / 365.0)
    assert DAYS_PER_YEAR == 365.0


# ----------------------------------------------------------------------------- types and rights


def test_scalar_inputs_return_numpy_float_scalars():
    p = bsm_price("call", 100, 100, 0.5, 0.05, 0.0, 0.2)
    assert isinstance(p, np.float64) and isinstance(p, float)
    g = bsm_greeks("put", 100, 100, 0.5, 0.05, 0.0, 0.2)
    assert all(isinstance(v, np.float64) for v in g.values())
    assert isinstance(implied_volatility(p, "call", 100, 100, 0.5, 0.05), np.float64)
    arr = bsm_price("call", [100.0], 100, 0.5, 0.05, 0.0, 0.2)
    assert isinstance(arr, np.ndarray) and arr.shape == (1,)


@pytest.mark.parametrize("spelling", ["call", "CALL", "Call", "c", "C"])
def test_call_spellings(spelling):
    assert bool(parse_right(spelling)) is True
    assert bsm_price(spelling, 100, 90, 1, 0, 0, 0.2) == bsm_price("call", 100, 90, 1, 0, 0, 0.2)


def test_mixed_right_arrays_lists_and_series():
    rights = ["call", "P", "c", "Put"]
    expected = np.array([True, False, True, False])
    np.testing.assert_array_equal(parse_right(rights), expected)
    np.testing.assert_array_equal(parse_right(pd.Series(rights)), expected)
    np.testing.assert_array_equal(parse_right(np.array(rights, dtype=object)), expected)
    prices = bsm_price(pd.Series(rights), 100.0, 100.0, 0.25, 0.03, 0.0, 0.3)
    assert prices[0] == pytest.approx(bsm_price("call", 100.0, 100.0, 0.25, 0.03, 0.0, 0.3))
    assert prices[1] == pytest.approx(bsm_price("put", 100.0, 100.0, 0.25, 0.03, 0.0, 0.3))


@pytest.mark.parametrize("bad", ["straddle", "", "calls", ["call", "x"], [1, 0], None])
def test_unknown_right_raises(bad):
    with pytest.raises(ValueError, match="right"):
        bsm_price(bad, 100, 100, 1, 0, 0, 0.2)


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(("name", "kwargs"), [
    ("S", {"S": 0.0}),
    ("S", {"S": [100.0, -1.0]}),
    ("K", {"K": -5.0}),
    ("T", {"T": -0.01}),
    ("sigma", {"sigma": 0.0}),
    ("sigma", {"sigma": [0.2, -0.1]}),
])
def test_bsm_invalid_inputs_name_the_input(name, kwargs):
    args = {"right": "call", "S": 100.0, "K": 100.0, "T": 1.0, "r": 0.01, "q": 0.0, "sigma": 0.2} | kwargs
    for fn in (bsm_price, bsm_greeks, bsm_price_and_greeks):
        with pytest.raises(ValueError, match=rf"{fn.__name__}: {name} must be"):
            fn(**args)


def test_black76_invalid_inputs_name_the_input():
    with pytest.raises(ValueError, match="black76_price: F must be > 0"):
        black76_price("call", -1.0, 100.0, 1.0, 0.0, 0.2)
    with pytest.raises(ValueError, match="black76_greeks: sigma must be > 0"):
        black76_greeks("put", 100.0, 100.0, 1.0, 0.0, -0.2)
    with pytest.raises(ValueError, match="K must be > 0"):
        black76_price("put", 100.0, 0.0, 1.0, 0.0, 0.2)


def test_shape_mismatch_and_non_numeric_raise_value_error():
    with pytest.raises(ValueError, match="do not broadcast"):
        bsm_price("call", [100.0, 101.0, 102.0], [100.0, 101.0], 1.0, 0.0, 0.0, 0.2)
    with pytest.raises(ValueError, match="do not broadcast"):
        bsm_price(["call", "put"], [100.0, 101.0, 102.0], 100.0, 1.0, 0.0, 0.0, 0.2)
    with pytest.raises(ValueError, match="S must be numeric"):
        bsm_price("call", "abc", 100.0, 1.0, 0.0, 0.0, 0.2)


def test_implied_volatility_invalid_inputs():
    with pytest.raises(ValueError, match="model"):
        implied_volatility(5.0, "call", 100, 100, 1, 0, model="heston")
    with pytest.raises(ValueError, match="q must be 0"):
        implied_volatility(5.0, "call", 100, 100, 1, 0, q=0.02, model="black76")
    with pytest.raises(ValueError, match="underlying must be > 0"):
        implied_volatility(5.0, "call", 0.0, 100, 1, 0)
    with pytest.raises(ValueError, match="T must be >= 0"):
        implied_volatility(5.0, "put", 100, 100, -1, 0)


# ----------------------------------------------------------------------------- expiry


def test_expiry_gives_intrinsic_value_and_sensible_greeks():
    S = np.array([90.0, 100.0, 110.0])
    call = bsm_price_and_greeks("call", S, 100.0, 0.0, 0.05, 0.02, 0.3)
    put = bsm_price_and_greeks("put", S, 100.0, 0.0, 0.05, 0.02, 0.3)
    np.testing.assert_array_equal(call["price"], [0.0, 0.0, 10.0])
    np.testing.assert_array_equal(put["price"], [10.0, 0.0, 0.0])
    np.testing.assert_array_equal(call["delta"], [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(put["delta"], [-1.0, -0.5, 0.0])
    for res in (call, put):
        for k in ("gamma", "vega", "theta", "rho"):
            np.testing.assert_array_equal(res[k], 0.0)
    fut = black76_price_and_greeks(["call", "put"], 105.0, 100.0, 0.0, 0.05, 0.3)
    np.testing.assert_array_equal(fut["price"], [5.0, 0.0])
    np.testing.assert_array_equal(fut["delta"], [1.0, 0.0])


def test_expired_elements_mixed_into_arrays():
    b = _random_book(40000, seed=5)  # above the block size, so blocks mix expired and live options
    T = np.where(np.arange(40000) % 3 == 0, 0.0, b["T"])
    res = bsm_price_and_greeks(b["right"], b["S"], b["K"], T, b["r"], b["q"], b["sigma"])
    for k, v in res.items():
        assert np.isfinite(v).all(), k
    expired = T == 0
    is_call = b["right"] == "call"
    intrinsic = np.where(is_call, np.maximum(b["S"] - b["K"], 0), np.maximum(b["K"] - b["S"], 0))
    np.testing.assert_array_equal(res["price"][expired], intrinsic[expired])
    live = ~expired
    single = bsm_price_and_greeks(b["right"][live], b["S"][live], b["K"][live], T[live], b["r"][live],
                                  b["q"][live], b["sigma"][live])
    np.testing.assert_allclose(res["theta"][live], single["theta"], rtol=1e-14)


def test_extreme_inputs_stay_finite_without_warnings():
    S = np.array([1.0, 1e6, 100.0, 100.0, 100.0])
    K = np.array([1e6, 1.0, 100.0, 100.0, 100.0])
    T = np.array([1e-8, 1e-8, 1e-12, 50.0, 1.0])
    sigma = np.array([0.01, 0.01, 5.0, 3.0, 1e-6])
    for right in ("call", "put"):
        res = bsm_price_and_greeks(right, S, K, T, 0.05, 0.01, sigma)
        for k, v in res.items():
            assert np.isfinite(v).all(), (right, k, v)
    assert np.isnan(bsm_elasticity("call", 100.0, 200.0, 0.0, 0.0, 0.0, 0.2))  # worthless: no elasticity


def test_empty_arrays_give_empty_results():
    empty, no_rights = np.array([]), np.array([], dtype=str)
    res = bsm_price_and_greeks(no_rights, empty, empty, empty, 0.0, 0.0, empty)
    assert all(v.shape == (0,) for v in res.values())
    assert implied_volatility(empty, no_rights, empty, empty, empty, 0.05, model="black76").shape == (0,)


# ----------------------------------------------------------------------------- implied volatility


def test_iv_round_trip_on_random_arrays_with_mixed_rights():
    b = _random_book(20000, seed=21)
    args = (b["S"], b["K"], b["T"], b["r"], b["q"])
    price = bsm_price(b["right"], *args, b["sigma"])
    iv = implied_volatility(price, b["right"], *args)
    vega = bsm_greeks(b["right"], *args, b["sigma"])["vega"]
    identifiable = vega > 1e-4 * b["S"]  # price carries information about sigma
    assert identifiable.mean() > 0.9
    np.testing.assert_allclose(iv[identifiable], b["sigma"][identifiable], rtol=1e-8)
    solved = ~np.isnan(iv)
    back = bsm_price(b["right"][solved], *(a[solved] for a in args), iv[solved])
    np.testing.assert_allclose(back, price[solved], rtol=1e-9, atol=1e-12 * b["S"].max())


def test_iv_round_trip_black76():
    b = _random_book(5000, seed=8)
    price = black76_price(b["right"], b["S"], b["K"], b["T"], b["r"], b["sigma"])
    iv = implied_volatility(price, b["right"], b["S"], b["K"], b["T"], b["r"], model="black76")
    vega = black76_greeks(b["right"], b["S"], b["K"], b["T"], b["r"], b["sigma"])["vega"]
    ok = vega > 1e-4 * b["S"]
    np.testing.assert_allclose(iv[ok], b["sigma"][ok], rtol=1e-8)


def test_iv_is_nan_where_no_volatility_reproduces_the_price():
    S, K, T, r, q = 100.0, 90.0, 0.5, 0.05, 0.01
    lower_call = S * np.exp(-q * T) - K * np.exp(-r * T)
    prices = np.array([lower_call - 0.01, lower_call, S * np.exp(-q * T), S * 2, -1.0, np.nan, 12.0])
    iv = implied_volatility(prices, "call", S, K, T, r, q)
    assert np.isnan(iv[:6]).all()
    assert 0.0 < iv[6] < 1.0
    put_upper = K * np.exp(-r * T)
    iv_put = implied_volatility([put_upper, put_upper * 1.01, 0.0, 1.0], "put", S, K, T, r, q)
    assert np.isnan(iv_put[:3]).all() and np.isfinite(iv_put[3])
    assert np.isnan(implied_volatility(10.0, "call", 100.0, 90.0, 0.0, 0.0))  # expired: not identifiable


def test_iv_handles_extreme_but_valid_prices():
    # deep OTM prices far below 1e-100 and vols from 1% to 500%
    S, K, T = 100.0, np.array([200.0, 300.0, 100.0, 100.0, 101.0]), 0.25
    sigma = np.array([0.05, 0.08, 0.01, 5.0, 3.0])
    price = bsm_price("call", S, K, T, 0.0, 0.0, sigma)
    assert price[0] < 1e-100
    np.testing.assert_allclose(implied_volatility(price, "call", S, K, T, 0.0), sigma, rtol=1e-9)


@settings(max_examples=200, deadline=None)
@given(
    right=st.sampled_from(["call", "put"]),
    S=st.floats(10.0, 5000.0),
    log_moneyness=st.floats(-0.5, 0.5),
    T=st.floats(1.0 / 365.0, 3.0),
    r=st.floats(-0.02, 0.1),
    q=st.floats(0.0, 0.06),
    sigma=st.floats(0.03, 2.0),
)
def test_property_iv_recovers_sigma(right, S, log_moneyness, T, r, q, sigma):
    K = S * np.exp(log_moneyness)
    price = bsm_price(right, S, K, T, r, q, sigma)
    vega = bsm_greeks(right, S, K, T, r, q, sigma)["vega"]
    iv = implied_volatility(price, right, S, K, T, r, q)
    if vega > 1e-6 * S:
        assert iv == pytest.approx(sigma, rel=1e-7)
    if np.isfinite(iv):
        assert bsm_price(right, S, K, T, r, q, iv) == pytest.approx(price, rel=1e-9, abs=1e-12 * S)


@settings(max_examples=200, deadline=None)
@given(x=st.floats(-8.0, 0.0), s=st.floats(1e-3, 8.0))
def test_property_normalised_solver_inverts_normalised_price(x, s):
    beta = normalised_black_call(x, s)
    if not 1e-300 < beta < np.exp(0.5 * x) * (1 - 1e-12):
        return  # underflow or indistinguishable from the upper bound: no unique answer in floats
    got = normalised_black_vol(beta, x)
    assert normalised_black_call(x, got) == pytest.approx(beta, rel=1e-10)


def test_normalised_solver_rejects_positive_x():
    with pytest.raises(ValueError, match="x must be <= 0"):
        normalised_black_vol(0.1, 0.5)


def test_the_chain_models_price_and_delta_path_gives_the_public_functions_numbers_exactly():
    from greeks.pricing import black76_price_and_greeks, bsm_price_and_greeks, price_and_delta

    rng = np.random.default_rng(3)
    n = 500
    is_call = rng.random(n) < 0.5
    K = rng.uniform(300.0, 700.0, n)
    T = np.where(rng.random(n) < 0.05, 0.0, rng.uniform(0.0, 2.0, n))
    sigma = rng.uniform(0.08, 0.9, n)
    right = np.where(is_call, "call", "put")
    price, delta = price_and_delta(is_call, 500.0, K, T, 0.045, 0.013, sigma)
    full = bsm_price_and_greeks(right, 500.0, K, T, 0.045, 0.013, sigma)
    assert np.array_equal(price, full["price"]) and np.array_equal(delta, full["delta"])
    price, delta = price_and_delta(is_call, 5000.0, K * 10, T, 0.045, None, sigma)
    full = black76_price_and_greeks(right, 5000.0, K * 10, T, 0.045, sigma)
    assert np.array_equal(price, full["price"]) and np.array_equal(delta, full["delta"])


def test_inputs_that_only_broadcast_together_give_the_full_shape():
    strikes, years = np.array([[450.0, 500.0, 550.0]]), np.array([[0.1], [0.5]])
    price = bsm_price("put", 500.0, strikes, years, 0.05, 0.01, 0.2)
    greeks = bsm_price_and_greeks("put", 500.0, strikes, years, 0.05, 0.01, 0.2)
    assert price.shape == greeks["delta"].shape == (2, 3)
    assert price[1, 2] == bsm_price("put", 500.0, 550.0, 0.5, 0.05, 0.01, 0.2)
