"""Intraday paths: modelled paths reproduce the day's OHLC exactly; VIX moves against SPY."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.exchange_calendar import nyse_sessions
from offline.intraday_path import minute_path, session_minutes, session_path, vix_path
from offline.market_data import MarketData, load_market_data

SESSIONS = nyse_sessions(date(2023, 1, 1), date(2024, 12, 31))


@pytest.fixture(scope="module")
def real(shared_data: Path) -> MarketData:
    return load_market_data(shared_data, "2023-01-01", "2025-01-01")


def _assert_ohlc(path: np.ndarray, o: float, h: float, low: float, c: float) -> None:
    assert path[0] == o and path[-1] == c
    assert path.max() == h and path.min() == low
    assert np.all(np.isfinite(path))


def test_session_minutes() -> None:
    assert session_minutes(date(2024, 8, 5)) == 390
    assert session_minutes(date(2024, 11, 29)) == 210
    assert session_minutes(date(2024, 12, 24)) == 210
    with pytest.raises(ValueError, match="not an NYSE session"):
        session_minutes(date(2024, 7, 4))


@settings(max_examples=300, deadline=None)
@given(day=st.sampled_from(SESSIONS), base=st.floats(-50.0, 6000.0), spread=st.floats(0.0, 0.2),
       shape=st.tuples(st.floats(0, 1), st.floats(0, 1)), key=st.sampled_from(["SPY", "ES", "CL"]))
def test_minute_path_passes_through_ohlc(day: date, base: float, spread: float, shape: tuple[float, float],
                                         key: str) -> None:
    low = round(base, 2)
    high = round(low + spread * max(abs(base), 1.0), 2)
    o = round(low + shape[0] * (high - low), 2)
    c = round(low + shape[1] * (high - low), 2)
    path = minute_path(day, o, high, low, c, seed_key=key)
    assert len(path) == session_minutes(day)
    _assert_ohlc(path, o, high, low, c)


def test_minute_path_reproduces_every_real_spy_day_2023_2024(real: MarketData) -> None:
    spy = real.daily["SPY"]
    window = np.flatnonzero(spy.dates >= np.datetime64("2023-01-01"))
    for i in window:
        day = spy.dates[i].astype(object)
        bar = (float(spy.open[i]), float(spy.high[i]), float(spy.low[i]), float(spy.close[i]))
        path = minute_path(day, *bar)
        assert len(path) == (210 if day in {date(2023, 7, 3), date(2023, 11, 24), date(2024, 7, 3),
                                              date(2024, 11, 29), date(2024, 12, 24)} else 390)
        _assert_ohlc(path, *bar)
    assert len(window) == 502


def test_minute_path_is_deterministic_and_seeded_by_date() -> None:
    bar = (500.0, 505.0, 497.5, 503.25)
    first = minute_path(date(2024, 5, 1), *bar)
    assert np.array_equal(first, minute_path(date(2024, 5, 1), *bar))
    assert not np.array_equal(first, minute_path(date(2024, 5, 2), *bar))
    assert not np.array_equal(first, minute_path(date(2024, 5, 1), *bar, seed_key="QQQ"))
    # the path wanders: it is not a few straight lines between the anchors
    assert np.count_nonzero(np.diff(np.sign(np.diff(first)))) > 100


def test_minute_path_edge_cases() -> None:
    flat = minute_path(date(2024, 5, 1), 2030.1, 2030.1, 2030.1, 2030.1)
    assert np.all(flat == 2030.1)
    opens_at_high = minute_path(date(2024, 5, 1), 10.0, 10.0, 9.0, 9.5)
    _assert_ohlc(opens_at_high, 10.0, 10.0, 9.0, 9.5)
    crude = minute_path(date(2024, 5, 1), -10.0, 1.5, -40.32, -37.63)
    _assert_ohlc(crude, -10.0, 1.5, -40.32, -37.63)
    assert len(minute_path(date(2024, 5, 1), 1.0, 2.0, 0.5, 1.5, minutes=4)) == 4
    with pytest.raises(ValueError, match="need low <= open"):
        minute_path(date(2024, 5, 1), 10.0, 9.0, 8.0, 8.5)
    with pytest.raises(ValueError, match="finite"):
        minute_path(date(2024, 5, 1), float("nan"), 9.0, 8.0, 8.5)
    with pytest.raises(ValueError, match="not an NYSE session"):
        minute_path(date(2024, 5, 4), 10.0, 11.0, 9.0, 10.5)


@settings(max_examples=200, deadline=None)
@given(day=st.sampled_from(SESSIONS), vix=st.tuples(st.floats(9, 80), st.floats(0, 0.8), st.floats(0, 1),
                                                     st.floats(0, 1)))
def test_vix_path_passes_through_its_ohlc_against_the_underlying(day: date, vix: tuple) -> None:
    level, spread, a, b = vix
    low, high = round(level, 2), round(level * (1 + spread), 2)
    o, c = round(low + a * (high - low), 2), round(low + b * (high - low), 2)
    underlying = minute_path(day, 500.0, 506.0, 494.0, 501.0)
    path = vix_path(day, o, high, low, c, underlying)
    assert len(path) == len(underlying)
    _assert_ohlc(path, o, high, low, c)
    lowest, highest = int(np.argmin(underlying)), int(np.argmax(underlying))
    if 0 < lowest < len(path) - 1:
        assert path[lowest] == high
    if 0 < highest < len(path) - 1:
        assert path[highest] == low


def test_vix_moves_against_spy_on_real_days(real: MarketData) -> None:
    correlations = []
    for day in [d.astype(object) for d in real.sessions[real.sessions >= np.datetime64("2024-01-02")][:120]]:
        spy = session_path(real, "SPY", day).prices
        vix = session_path(real, "VIX", day).prices
        if np.ptp(vix) > 0:
            correlations.append(np.corrcoef(np.diff(spy), np.diff(vix))[0, 1])
    assert np.median(correlations) < -0.5


def test_session_path_uses_real_minute_bars_where_they_exist(real: MarketData) -> None:
    crash = session_path(real, "SPY", date(2024, 8, 5))
    assert crash.real and len(crash.prices) == 390
    assert crash.prices[-1] == real.minute_bars[date(2024, 8, 5)].close[-1] == 517.41
    half = session_path(real, "SPY", date(2024, 11, 29))
    assert half.real and len(half.prices) == 210
    vix = session_path(real, "VIX", date(2024, 8, 5))
    assert not vix.real and vix.prices.max() == 65.73 and vix.prices[-1] == 38.57
    assert vix.prices[0] == 23.39 and vix.prices.min() == 23.39
    # SPY's lowest minute is the first (09:30), where the VIX open differs from its high, so the
    # VIX high moves one minute inward (09:31)
    assert int(np.argmin(crash.prices)) == 0 and int(np.argmax(vix.prices)) == 1
    modelled = session_path(real, "SPY", date(2023, 3, 13))
    spy = real.daily["SPY"]
    i = int(np.searchsorted(spy.dates, np.datetime64("2023-03-13")))
    assert not modelled.real
    _assert_ohlc(modelled.prices, spy.open[i], spy.high[i], spy.low[i], spy.close[i])
    es = session_path(real, "ES", date(2024, 8, 5))
    assert es.prices.min() == 5120.0 and es.prices[-1] == 5217.5


def test_session_path_without_a_daily_bar(real: MarketData) -> None:
    with pytest.raises(ValueError, match="no daily VIX bar on 2024-07-04"):
        session_path(real, "VIX", date(2024, 7, 4))
    with pytest.raises(KeyError, match="XYZ"):
        session_path(real, "XYZ", date(2024, 7, 5))


def test_spx_moves_with_spy_and_closes_at_its_own_close(real: MarketData) -> None:
    day = date(2024, 8, 5)
    spx, spy = session_path(real, "SPX", day).prices, session_path(real, "SPY", day).prices
    assert spx[-1] == pytest.approx(5186.33)
    np.testing.assert_allclose(spx / spy, 5186.33 / spy[-1])  # SPY's real minute path, scaled
