"""The implied-volatility surface: term structure, skew shape, bounds, realised vol, bad input."""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greeks.pricing import black76_price_and_greeks
from offline.market.volatility_surface import (
    DEFAULT_SURFACE,
    REFERENCE_TENOR_YEARS,
    atm_volatility,
    implied_volatility_surface,
    realised_volatility,
    realised_volatility_level,
)

P = DEFAULT_SURFACE


def _strike_at_z(forward: float, level: float, years: float, z: float) -> float:
    """Strike at standardised moneyness z (the surface's own definition)."""
    sigma = float(atm_volatility(level, years))
    return forward * math.exp(z * sigma * years ** P.skew_time_exponent)


def test_atm_30_day_vol_is_the_ratio_times_the_level() -> None:
    for level in (0.12, 0.2, 0.45):
        assert float(atm_volatility(level, REFERENCE_TENOR_YEARS)) == pytest.approx(P.atm_ratio * level, rel=1e-12)
        iv = implied_volatility_surface(level, 100.0, 100.0, REFERENCE_TENOR_YEARS)
        assert float(iv) == pytest.approx(P.atm_ratio * level, rel=1e-12)


def test_term_structure_rises_in_calm_markets_and_inverts_when_the_vix_is_high() -> None:
    years = np.array([7, 30, 90, 180, 365, 730]) / 365.0
    calm = atm_volatility(0.12, years)
    stressed = atm_volatility(0.45, years)
    assert np.all(np.diff(calm) > 0), calm
    assert np.all(np.diff(stressed) < 0), stressed
    # Both revert toward the long-run vol: the gap shrinks with T and is gone at very long T.
    for level in (0.12, 0.45):
        gaps = np.abs(atm_volatility(level, np.array([1.0, 10.0, 100.0])) - P.long_run_vol)
        assert gaps[1] < gaps[0] / 3 and gaps[2] < 0.003
    # A level whose ATM vol equals the long-run vol gives a flat term structure.
    flat = atm_volatility(P.long_run_vol / P.atm_ratio, years)
    np.testing.assert_allclose(flat, P.long_run_vol, rtol=1e-12)


def test_puts_are_dearer_than_calls_and_the_put_wing_rises_monotonically() -> None:
    forward, level, years = 500.0, 0.18, 45 / 365.0
    lowest = _strike_at_z(forward, level, years, -0.999 * P.max_put_z)
    strikes = np.linspace(lowest, forward, 201)
    iv = implied_volatility_surface(level, forward, strikes, years)
    assert np.all(np.diff(iv) < 0), "put-side IV must fall as the strike rises toward the forward"
    assert iv[0] > 1.8 * iv[-1]  # about 1.9 x ATM at z = -4 on the real SPY chains
    for distance in (0.5, 1.0, 2.0):
        put = implied_volatility_surface(level, forward, _strike_at_z(forward, level, years, -distance), years)
        call = implied_volatility_surface(level, forward, _strike_at_z(forward, level, years, distance), years)
        assert float(put) > float(call) + 0.01


def test_call_wing_has_a_minimum_and_turns_up() -> None:
    forward, level, years = 500.0, 0.15, 60 / 365.0
    z = np.linspace(0.0, P.max_call_z, 401)
    strikes = np.array([_strike_at_z(forward, level, years, v) for v in z])
    iv = implied_volatility_surface(level, forward, strikes, years)
    lowest = int(np.argmin(iv))
    assert 0 < lowest < len(z) - 1
    assert z[lowest] == pytest.approx(-P.skew_slope / (2.0 * P.call_curvature), abs=0.02)
    assert iv[-1] > 1.03 * iv[lowest]
    # Real SPY chains: the call IV bottoms out near 0.7 x ATM.
    atm = float(atm_volatility(level, years))
    assert 0.6 < iv[lowest] / atm < 0.8


def test_wings_are_flat_beyond_the_clips() -> None:
    forward, level, years = 100.0, 0.2, 0.5
    for edge in (-P.max_put_z, P.max_call_z):
        far = [_strike_at_z(forward, level, years, edge * factor) for factor in (1.2, 2.0)]
        iv = implied_volatility_surface(level, forward, np.array(far), years)
        assert iv[0] == pytest.approx(iv[1], rel=1e-12)


def test_call_prices_and_deltas_fall_with_the_strike_across_the_wing() -> None:
    forward, level, years, rate = 100.0, 0.25, 1.5, 0.0
    strikes = np.linspace(100.0, 400.0, 3001)
    iv = implied_volatility_surface(level, forward, strikes, years)
    greeks = black76_price_and_greeks("call", forward, strikes, years, rate, iv)
    assert np.all(np.diff(greeks["price"]) < 0)
    assert np.all(np.diff(greeks["delta"]) < 0)


def test_skew_in_vol_points_widens_with_the_level() -> None:
    forward, years = 100.0, 30 / 365.0
    spreads = []
    for level in (0.12, 0.3):
        put = implied_volatility_surface(level, forward, _strike_at_z(forward, level, years, -1.0), years)
        call = implied_volatility_surface(level, forward, _strike_at_z(forward, level, years, 1.0), years)
        spreads.append(float(put - call))
    assert spreads[1] == pytest.approx(spreads[0] * 0.3 / 0.12, rel=1e-9)


def test_zero_time_returns_the_short_end_atm_vol() -> None:
    iv = implied_volatility_surface(0.2, 100.0, 100.0, 0.0)
    assert float(iv) == pytest.approx(float(atm_volatility(0.2, 0.0)))
    assert P.min_vol <= float(iv) < P.atm_ratio * 0.2


@settings(max_examples=200, deadline=None)
@given(level=st.floats(0.08, 0.9), years=st.floats(1.0 / 365.0, 3.0), log_k=st.floats(-1.5, 1.0))
def test_surface_stays_finite_and_inside_its_bounds(level: float, years: float, log_k: float) -> None:
    iv = float(implied_volatility_surface(level, 100.0, 100.0 * math.exp(log_k), years))
    assert math.isfinite(iv)
    assert P.min_vol <= iv <= P.max_vol


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"atm_ratio": float("nan")}, "atm_ratio"),
    ({"long_run_vol": 0.0}, "long_run_vol"),
    ({"mean_reversion": -1.0}, "mean_reversion"),
    ({"skew_time_exponent": 1.5}, "skew_time_exponent"),
    ({"min_vol": 0.5, "max_vol": 0.4}, "min_vol"),
    ({"put_curvature": -0.09}, "put wing"),
    ({"skew_slope": -0.9, "call_curvature": 0.0}, "call wing"),
    ({"max_call_z": 4.0}, "elasticity"),
])
def test_bad_surface_parameters_are_rejected(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        replace(DEFAULT_SURFACE, **kwargs)


@pytest.mark.parametrize(("level", "forward", "strike", "years"), [
    (0.0, 100.0, 100.0, 0.1), (19.5, 100.0, 100.0, 0.1), (float("nan"), 100.0, 100.0, 0.1),
    (0.2, 0.0, 100.0, 0.1), (0.2, 100.0, -5.0, 0.1), (0.2, 100.0, 100.0, -0.1), (0.2, 100.0, 100.0, float("nan")),
])
def test_bad_surface_inputs_raise(level: float, forward: float, strike: float, years: float) -> None:
    with pytest.raises(ValueError):
        implied_volatility_surface(level, forward, strike, years)


def test_realised_volatility_of_known_returns() -> None:
    returns = np.tile([0.01, -0.01], 15)  # 30 returns
    expected = float(np.std(np.log1p(returns[-20:]), ddof=1) * math.sqrt(252.0))
    assert realised_volatility(returns, 20) == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(0.01 * math.sqrt(20 / 19) * math.sqrt(252.0), rel=2e-3)
    assert realised_volatility_level(returns, 20) == pytest.approx(expected * P.realised_vol_premium, rel=1e-12)


def test_realised_level_is_clipped_to_the_vol_floor() -> None:
    assert realised_volatility_level(np.zeros(25)) == P.min_vol


@pytest.mark.parametrize(("returns", "window"), [
    (np.full(10, 0.01), 20), (np.append(np.full(25, 0.01), np.nan), 20),
    (np.append(np.full(25, 0.01), -1.5), 20), (np.full(25, 0.01), 1),
])
def test_bad_realised_volatility_input_raises(returns: np.ndarray, window: int) -> None:
    with pytest.raises(ValueError):
        realised_volatility(returns, window)
