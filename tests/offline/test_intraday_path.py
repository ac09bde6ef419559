"""Intraday paths: modelled paths reproduce the day's OHLC exactly; VIX moves against SPY."""
from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import beta

from helpers.exchange_calendar import nyse_sessions
from offline.market.intraday_path import (
    FIRST_EXTREME_BETA,
    LOW_FIRST_PROBABILITY,
    SECOND_EXTREME_BETA,
    VOLATILITY_PROFILE,
    minute_path,
    session_minutes,
    vix_path,
)
from offline.market.market_data import MarketData, load_market_data
from offline.market.session_prices import session_path

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


# --- the modelled path against the real SPY minute bars (2024-03-26..2025-01-31) ----------------

TEN_THIRTY, FIFTEEN = 60, 330  # minutes after 09:30


def _full_real_days(market: MarketData) -> list[tuple[date, np.ndarray, tuple[float, float, float, float]]]:
    """(day, the real per-minute closes, the day's OHLC from the bars) of every full session."""
    days = []
    for day, bars in market.minute_bars.items():
        if len(bars.close) == 390:
            days.append((day, bars.close, (bars.open[0], bars.high.max(), bars.low.min(), bars.close[-1])))
    return days


def _statistics(paths: list[np.ndarray]) -> dict[str, np.ndarray]:
    """Per path: the figures the 0DTE strategies feel (one value per day, to average)."""
    out: dict[str, list[float]] = {}
    for p in paths:
        high, low, ref = int(np.argmax(p)), int(np.argmin(p)), p[TEN_THIRTY]
        after = p[TEN_THIRTY:FIFTEEN + 1]
        row = {"high before 10:30": high < TEN_THIRTY, "low before 10:30": low < TEN_THIRTY,
               "both extremes after 10:30": high >= TEN_THIRTY and low >= TEN_THIRTY,
               "share of the range by 10:30": np.ptp(p[:TEN_THIRTY + 1]) / np.ptp(p)}
        for move in (0.0025, 0.005, 0.01):
            up, down = after.max() >= ref * (1 + move), after.min() <= ref * (1 - move)
            row[f"+{move:.2%} touched by 15:00"], row[f"-{move:.2%} touched by 15:00"] = up, down
            row[f"+/-{move:.2%} both touched"] = up and down
        for key, value in row.items():
            out.setdefault(key, []).append(float(value))
    return {k: np.array(v) for k, v in out.items()}


@pytest.fixture(scope="module")
def minute_days(shared_data: Path) -> list[tuple[date, np.ndarray, tuple[float, float, float, float]]]:
    market = load_market_data(shared_data, "2024-03-26", "2025-01-31", history_days=0)
    days = _full_real_days(market)
    assert len(days) == 211
    return days


def test_modelled_paths_match_the_real_minute_statistics(minute_days) -> None:
    """Each statistic of the modelled paths through the real days' OHLC lies within 3 standard
    errors of the difference of two 211-day means of the real one (the worst, the -0.25% touch,
    is 2.7; the paths before this fit had both extremes after 10:30 on 56% of days against 28%)."""
    real = _statistics([closes for _, closes, _ in minute_days])
    model = _statistics([minute_path(day, *ohlc) for day, _, ohlc in minute_days])
    n = len(minute_days)
    for key in real:
        error = math.sqrt((real[key].var() + model[key].var()) / n)
        gap = abs(model[key].mean() - real[key].mean())
        assert gap <= 3.0 * max(error, 1.0 / n), (key, real[key].mean(), model[key].mean(), error)
    assert real["both extremes after 10:30"].mean() == pytest.approx(0.28, abs=0.005)
    assert model["both extremes after 10:30"].mean() < 0.35


def test_stored_timing_figures_are_those_of_the_real_bars(minute_days) -> None:
    first, second, low_first, up = [], [], [], []
    profile = []
    for _, closes, (o, _h, _l, c) in minute_days:
        high, low = int(np.argmax(closes)), int(np.argmin(closes))
        first.append(min(high, low) / 389)
        second.append(max(high, low) / 389)
        low_first.append(low < high)
        up.append(c >= o)
        moves = np.abs(np.diff(np.log(np.concatenate([[o], closes]))))
        profile.append(moves / moves.mean())
    first, second, low_first, up = map(np.array, (first, second, low_first, up))
    a, b = FIRST_EXTREME_BETA
    assert first.mean() == pytest.approx(a / (a + b), abs=0.01)
    assert np.mean(first < TEN_THIRTY / 389) == pytest.approx(beta.cdf(TEN_THIRTY / 389, a, b), abs=0.03)
    mean, var = second.mean(), second.var(ddof=1)
    k = mean * (1 - mean) / var - 1
    assert (mean * k, (1 - mean) * k) == pytest.approx(SECOND_EXTREME_BETA, abs=0.1)
    assert (low_first[up].mean(), low_first[~up].mean()) == pytest.approx(LOW_FIRST_PROBABILITY, abs=0.03)
    blocks = np.mean(profile, axis=0).reshape(13, 30).mean(axis=1)
    assert tuple(blocks / blocks.mean()) == pytest.approx(VOLATILITY_PROFILE, abs=0.02)
