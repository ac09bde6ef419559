"""The chain model: listed expiries and strikes, prices, spreads, deltas, futures options, errors."""
from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config.constants import product_spec
from core.types import Contract, ContractKind
from greeks.american import american_price
from greeks.pricing import black76_price_and_greeks, bsm_price
from helpers.exchange_calendar import EASTERN, is_nyse_session
from offline.market.chain_model import ChainModel
from offline.market.expiry_time import years_to_expiry
from offline.market.quote_spreads import DEFAULT_SPREADS, INDEX_SPREADS, spread_width
from offline.market.strike_grid import STRIKE_GRIDS
from offline.market.volatility_surface import implied_volatility_surface

MODEL = ChainModel()
SPY_2024 = {"root": "SPY", "as_of_datetime": datetime(2024, 8, 5, 10, 30, tzinfo=EASTERN), "underlying_price": 517.38,
            "vol_index": 0.3857, "rate": 0.0521, "dividend_yield": 0.0125}


@pytest.fixture(scope="module")
def spy():
    return MODEL.snapshot(**SPY_2024, min_dte=0, max_dte=730)


def test_spy_2021_has_no_tuesday_or_thursday_series() -> None:
    snap = MODEL.snapshot("SPY", datetime(2021, 6, 15, 10, 30, tzinfo=EASTERN), 424.48, 0.1702, 0.0004, 0.013,
                          0, 60)
    expiries = snap.listed_expiries()
    assert {d.weekday() for d in expiries} == {0, 1, 2, 4}
    # The one Tuesday is the Monday weekly of the Independence Day holiday, moved a day later.
    assert [d for d in expiries if d.weekday() == 1] == [date(2021, 7, 6)]
    assert not is_nyse_session(date(2021, 7, 5))
    assert sum(d.weekday() == 4 for d in expiries) >= 6 and sum(d.weekday() == 2 for d in expiries) >= 3


def test_spy_2024_has_daily_expiries(spy) -> None:
    expiries = set(spy.listed_expiries())
    week = {date(2024, 8, 5) + timedelta(days=i) for i in range(5)}
    assert week <= expiries  # every session of the week, the 0DTE included at 10:30
    assert max(expiries) > date(2026, 1, 1)  # LEAPs
    assert date(2024, 12, 20) in expiries and date(2025, 1, 17) in expiries  # monthlies


def test_expired_same_day_series_is_left_out_at_the_close() -> None:
    snap = MODEL.snapshot("SPY", datetime(2024, 8, 5, 16, 0, tzinfo=EASTERN), 517.38, 0.3857, 0.0521, 0.0125, 0, 10)
    assert date(2024, 8, 5) not in snap.listed_expiries()
    assert min(snap.listed_expiries()) == date(2024, 8, 6)


def test_min_and_max_dte_filter(spy) -> None:
    snap = MODEL.snapshot(**SPY_2024, min_dte=30, max_dte=60)
    dte = [(d - date(2024, 8, 5)).days for d in snap.listed_expiries()]
    assert dte and min(dte) >= 30 and max(dte) <= 60
    assert set(snap.listed_expiries()) < set(spy.listed_expiries())


def test_spy_strikes_are_on_the_listed_grid(spy) -> None:
    spot = SPY_2024["underlying_price"]
    for expiry in spy.listed_expiries():
        strikes = np.unique(spy.strikes[spy.expiries == np.datetime64(expiry)])
        dte = (expiry - date(2024, 8, 5)).days
        assert np.all(np.diff(strikes) > 0)
        if dte > STRIKE_GRIDS["SPY"].long_dated_dte:
            assert np.all(np.mod(strikes, 5.0) == 0.0), expiry
            continue
        near = np.abs(strikes - spot) <= 0.1 * spot
        assert np.all(np.diff(strikes[near]) == 1.0), expiry  # $1 near the money
        assert np.all(np.mod(strikes[np.abs(strikes - spot) > 0.16 * spot], 5.0) == 0.0), expiry


@pytest.mark.parametrize(("root", "spot", "fine", "coarse"), [
    ("ES", 5217.5, 5.0, 25.0), ("CL", 73.0, 0.5, 1.0), ("GC", 2400.0, 5.0, 10.0), ("SPXW", 5186.3, 5.0, 25.0),
])
def test_other_products_use_their_grids(root: str, spot: float, fine: float, coarse: float) -> None:
    q = 0.0 if product_spec(root).option_model == "black76" else 0.013
    snap = MODEL.snapshot(root, datetime(2024, 8, 5, 10, 30, tzinfo=EASTERN), spot, 0.25, 0.052, q, 0, 120)
    assert len(snap) > 0
    assert np.all(np.abs(np.mod(snap.strikes + 1e-9, fine)) < 1e-6)
    far = np.abs(snap.strikes - spot) > (STRIKE_GRIDS[root].fine_range_fraction + 0.01) * spot
    assert far.any()
    assert np.all(np.abs(np.mod(snap.strikes[far] + 1e-9, coarse)) < 1e-6)


def test_chain_reaches_the_5_delta_wings(spy) -> None:
    for expiry in spy.listed_expiries():
        if expiry == date(2024, 8, 5):
            continue  # 0DTE: the 5% minimum range covers far more than its 5-delta strikes
        calls, puts = spy.side(expiry, "call"), spy.side(expiry, "put")
        assert calls.delta.min() < 0.05 and puts.delta.max() > -0.05, expiry


def test_deltas_are_monotone_in_strike(spy) -> None:
    for expiry in spy.listed_expiries():
        for right in ("call", "put"):
            side = spy.side(expiry, right)
            assert np.all(np.diff(side.delta) <= 1e-12), (expiry, right)
        assert np.all((spy.side(expiry, "call").delta >= 0) & (spy.side(expiry, "put").delta <= 0))


def test_quotes_are_valid_and_on_the_tick(spy) -> None:
    assert np.all(spy.bid >= 0.0)
    assert np.all(spy.ask >= spy.bid + 0.01 - 1e-9)
    for prices in (spy.bid, spy.ask):
        assert np.allclose(np.round(prices / 0.01), prices / 0.01, atol=1e-6)
    assert np.all(np.isfinite(spy.iv)) and np.all(spy.iv > 0)


def test_american_put_call_parity_bounds_of_mids_hold_within_the_spread(spy) -> None:
    # SPY options are American: S e^(-qT) - K <= C - P <= S - K e^(-rT), the bounds that replace
    # European parity once either side may be exercised early
    s, r, q = SPY_2024["underlying_price"], SPY_2024["rate"], SPY_2024["dividend_yield"]
    calls, puts = spy.subset(spy.is_call), spy.subset(~spy.is_call)
    assert np.array_equal(calls.strikes, puts.strikes) and np.array_equal(calls.expiries, puts.expiries)
    t = years_to_expiry(SPY_2024["as_of_datetime"], calls.expiries)
    difference = calls.mid - puts.mid
    allowed = 0.5 * ((calls.ask - calls.bid) + (puts.ask - puts.bid))
    # away from the deep in-the-money rows whose quotes the intrinsic floor lifts
    alive = np.ones(len(calls), dtype=bool)
    for side, right, intrinsic in ((calls, "call", s - calls.strikes), (puts, "put", calls.strikes - s)):
        value = american_price(right, s, side.strikes, t, r, q, side.iv)
        alive &= value >= np.maximum(intrinsic, 0.0) + 0.5 * (side.ask - side.bid)
    assert alive.sum() > 0.5 * len(calls)  # one side of every deep strike is in the money
    low, high = s * np.exp(-q * t) - calls.strikes, s - calls.strikes * np.exp(-r * t)
    assert np.all(difference[alive] >= low[alive] - allowed[alive] - 1e-9)
    assert np.all(difference[alive] <= high[alive] + allowed[alive] + 1e-9)
    # and the early-exercise premium is visible: the put side is worth more than European parity says
    european_gap = difference - (s * np.exp(-q * t) - calls.strikes * np.exp(-r * t))
    assert np.median(european_gap[alive & (t > 0.5)]) < 0.0


def test_spreads_widen_with_price_and_time(spy) -> None:
    def atm_spread(expiry: date) -> float:
        side = spy.side(expiry, "call")
        i = int(np.argmin(np.abs(side.delta - 0.5)))
        return float(side.ask[i] - side.bid[i])

    expiries = spy.listed_expiries()
    assert atm_spread(expiries[-1]) > 3 * atm_spread(expiries[1])
    calm = MODEL.snapshot(**{**SPY_2024, "vol_index": 0.12}, min_dte=0, max_dte=20)
    worthless = (calm.ask <= 0.02) & (calm.bid == 0.0)
    assert worthless.sum() > 50  # far out of the money: bid 0, ask one or two ticks


def test_model_price_sits_inside_the_quote(spy) -> None:
    row = int(np.flatnonzero((spy.expiries == np.datetime64("2024-09-20")) & (spy.strikes == 500.0) & ~spy.is_call)[0])
    t = float(years_to_expiry(SPY_2024["as_of_datetime"], spy.expiries[row:row + 1])[0])
    price = float(american_price("put", 517.38, 500.0, t, 0.0521, 0.0125, spy.iv[row]))
    assert spy.bid[row] <= price <= spy.ask[row]
    assert price > float(bsm_price("put", 517.38, 500.0, t, 0.0521, 0.0125, spy.iv[row]))  # early exercise
    forward = 517.38 * math.exp((0.0521 - 0.0125) * t)
    assert spy.iv[row] == pytest.approx(float(implied_volatility_surface(0.3857, forward, 500.0, t)), rel=1e-12)


def test_one_side_of_the_chain_has_exactly_the_rows_and_numbers_of_the_whole_chain(spy) -> None:
    for right, want_call in (("call", True), ("put", False)):
        side = MODEL.snapshot(**SPY_2024, min_dte=0, max_dte=730, right=right)
        whole = spy.subset(spy.is_call == want_call)
        assert np.all(side.is_call == want_call) and len(side) == len(whole)
        for name in ("expiries", "strikes", "bid", "ask", "iv", "delta"):
            np.testing.assert_array_equal(getattr(side, name), getattr(whole, name))


def test_es_options_are_priced_with_black76_on_the_futures_price() -> None:
    when = datetime(2024, 8, 5, 10, 30, tzinfo=EASTERN)
    snap = MODEL.snapshot("ES", when, 5217.5, 0.3857, 0.0521, 0.0, 30, 60)
    calls = snap.subset(snap.is_call)
    t = years_to_expiry(when, calls.expiries)
    expected = black76_price_and_greeks("call", 5217.5, calls.strikes, t, 0.0521, calls.iv)
    np.testing.assert_allclose(calls.delta, expected["delta"], rtol=1e-12)
    np.testing.assert_allclose(calls.iv, implied_volatility_surface(0.3857, 5217.5, calls.strikes, t), rtol=1e-12)
    above_intrinsic = expected["price"] >= np.maximum(5217.5 - calls.strikes, 0.0) + 0.5 * (calls.ask - calls.bid)
    assert above_intrinsic.sum() > 0.8 * len(calls)  # the rest are lifted to the intrinsic floor
    assert np.all(calls.bid[above_intrinsic] <= expected["price"][above_intrinsic] + 1e-9)
    assert np.all(expected["price"] <= calls.ask + 1e-9)
    # The futures price is the forward: spot-style BSM (carry r) would give a different price.
    spot_style = bsm_price("call", 5217.5, calls.strikes, t, 0.0521, 0.0, calls.iv)
    assert np.max(np.abs(spot_style - expected["price"])) > 5.0
    assert np.allclose(np.mod(snap.bid / 0.25, 1.0), 0.0) and np.allclose(np.mod(snap.ask / 0.25, 1.0), 0.0)


def test_price_contract_matches_the_snapshot_row(spy) -> None:
    for row in (5, 1234, len(spy) - 7):
        contract = spy.contract(row)
        bid, ask, iv, delta = MODEL.price_contract(contract, SPY_2024["as_of_datetime"], 517.38, 0.3857, 0.0521, 0.0125)
        assert (bid, ask, iv, delta) == (spy.bid[row], spy.ask[row], spy.iv[row], spy.delta[row])


def test_expired_contract_is_marked_at_intrinsic_value() -> None:
    contract = Contract("SPY", ContractKind.OPTION, date(2024, 8, 2), 510.0, "call")
    bid, ask, _, delta = MODEL.price_contract(contract, SPY_2024["as_of_datetime"], 517.38, 0.3857, 0.0521, 0.0125)
    assert bid <= 7.38 <= ask and delta == 1.0


def test_naive_and_aware_times_agree() -> None:
    aware = MODEL.snapshot(**SPY_2024, min_dte=0, max_dte=40)
    naive = MODEL.snapshot(**{**SPY_2024, "as_of_datetime": datetime(2024, 8, 5, 10, 30)}, min_dte=0, max_dte=40)
    np.testing.assert_array_equal(aware.bid, naive.bid)
    assert naive.time.tzinfo is not None


@pytest.mark.parametrize(("changes", "error"), [
    ({"vol_index": 38.57}, ValueError), ({"vol_index": 0.0}, ValueError), ({"underlying_price": -1.0}, ValueError),
    ({"rate": float("nan")}, ValueError), ({"root": "XYZ"}, KeyError),
    ({"root": "ES", "underlying_price": 5217.5}, ValueError),  # a dividend yield on a futures option
    ({"as_of_datetime": date(2024, 8, 5)}, TypeError),
])
def test_bad_snapshot_input_raises(changes: dict, error: type) -> None:
    with pytest.raises(error):
        MODEL.snapshot(**{**SPY_2024, **changes}, min_dte=0, max_dte=30)


def test_bad_dte_window_and_coverage_raise() -> None:
    with pytest.raises(ValueError, match="min_dte"):
        MODEL.snapshot(**SPY_2024, min_dte=40, max_dte=30)
    with pytest.raises(ValueError, match="put_range_sd"):
        ChainModel(put_range_sd=0.0)
    with pytest.raises(ValueError, match="option contract"):
        MODEL.price_contract(Contract("SPY", ContractKind.EQUITY), SPY_2024["as_of_datetime"], 517.38, 0.3857,
                             0.0521, 0.0125)


@settings(max_examples=25, deadline=None)
@given(spot=st.floats(100.0, 700.0), vix=st.floats(0.09, 0.85), day=st.integers(0, 700))
def test_any_spy_snapshot_is_internally_consistent(spot: float, vix: float, day: int) -> None:
    when = datetime(2023, 1, 3, 11, 0, tzinfo=EASTERN) + timedelta(days=day)
    snap = MODEL.snapshot("SPY", when, spot, vix, 0.04, 0.013, 0, 400)
    assert len(snap) > 0
    assert np.all(snap.bid >= 0) and np.all(snap.ask > snap.bid)
    assert np.all(np.isfinite(snap.delta)) and np.all(np.abs(snap.delta) <= 1.0)
    assert np.all(snap.strikes > 0)


def test_no_quote_is_ever_below_intrinsic_value() -> None:
    as_of = datetime(2024, 8, 5, 10, 30, tzinfo=EASTERN)
    expiry = np.array([np.datetime64("2024-08-26")] * 2)  # 21 DTE
    # the independent check's case: a 550 put with SPY at 500 was quoted 48.66/48.92
    put = MODEL.quote("SPY", as_of, 500.0, 0.20, 0.05, 0.013, expiry[:1], np.array([550.0]), np.array([False]))
    assert put.bid[0] >= 50.0 and put.price[0] >= 50.0 and put.ask[0] > put.bid[0]
    strikes = np.arange(300.0, 751.0, 5.0)
    for is_call in (True, False):
        many = MODEL.quote("SPY", as_of, 517.38, 0.3857, 0.0521, 0.0125,
                           np.repeat(np.datetime64("2025-06-20"), len(strikes)), strikes,
                           np.full(len(strikes), is_call))
        intrinsic = np.maximum((517.38 - strikes) if is_call else (strikes - 517.38), 0.0)
        assert np.all(many.bid >= intrinsic - 1e-9) and np.all(many.price >= intrinsic)
    futures = MODEL.quote("ES", as_of, 5200.0, 0.25, 0.05, 0.0, np.array([np.datetime64("2025-03-21")]),
                          np.array([6000.0]), np.array([False]))
    assert futures.bid[0] >= 800.0


@pytest.mark.parametrize("vix", [0.11, 0.15, 0.25])
def test_european_spx_quotes_keep_their_discount_so_a_box_prices_at_the_rate(vix) -> None:
    when = datetime(2024, 8, 5, 10, 30, tzinfo=EASTERN)
    snap = MODEL.snapshot("SPX", when, 5000.0, vix, 0.045, 0.013, 365, 600)
    expiry = snap.listed_expiries()[0]

    def mid(strike: float, call: bool) -> float:
        row = np.flatnonzero((snap.expiries == np.datetime64(expiry, "D")) & (snap.strikes == strike)
                             & (snap.is_call == call))[0]
        return float(snap.mid[row])

    box = mid(5000.0, True) - mid(5500.0, True) + mid(5500.0, False) - mid(5000.0, False)
    years = (expiry - when.date()).days / 365.0
    # with the American intrinsic floor on the deep in-the-money put this was 510 at VIX 15 (r < 0)
    assert (500.0 / box) ** (1.0 / years) - 1.0 == pytest.approx(0.046, abs=0.003)


def test_spreads_widen_with_the_vix_and_index_options_use_their_own_set() -> None:
    """The quoted spread follows spread_width (DEFAULT_SPREADS for SPY, INDEX_SPREADS for SPX),
    widening with the VIX (vix_exponent > 0) and with time to expiry."""
    model = ChainModel()
    when = datetime(2024, 8, 5, 12, 0, tzinfo=EASTERN)
    expiry = np.array(["2024-09-20"], dtype="datetime64[D]")
    calm, stressed = (model.quote("SPY", when, 517.38, v, 0.052, 0.0125, expiry, np.array([490.0]),
                                  np.array([False])) for v in (0.15, 0.40))
    assert stressed.ask[0] - stressed.bid[0] > calm.ask[0] - calm.bid[0]
    q = model.quote("SPX", when, 5186.33, 0.3857, 0.052, 0.0125, expiry, np.array([4900.0]), np.array([False]))
    half = 0.5 * spread_width(INDEX_SPREADS, 0.05, q.price, q.years, np.abs(q.delta), 0.3857)
    assert q.bid[0] == pytest.approx(math.floor((q.price[0] - half[0]) / 0.05 + 1e-9) * 0.05)
    assert q.ask[0] == pytest.approx(math.ceil((q.price[0] + half[0]) / 0.05 - 1e-9) * 0.05)
    width = spread_width(DEFAULT_SPREADS, 0.01, np.array([5.0, 5.0]), np.array([0.1, 1.0]))
    assert width[1] > width[0]
    # the out-of-the-money-equivalent delta: a 0.9-delta option is spread like a 0.1-delta one
    assert spread_width(DEFAULT_SPREADS, 0.01, 5.0, 0.5, 0.9) == pytest.approx(
        spread_width(DEFAULT_SPREADS, 0.01, 5.0, 0.5, 0.1))
