"""Tests of helpers/strike_selection.py: nearest strike, delta and percent-OTM picks, expiries."""
from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import expiry_calendar as ex
from helpers import strike_selection as ss

D = date.fromisoformat
NAN = float("nan")


# ----------------------------------------------------------------------------- nearest_strike
def test_nearest_strike_basic_and_ties() -> None:
    strikes = np.array([95.0, 100.0, 105.0, 110.0])
    assert ss.nearest_strike(strikes, 101.2) == 100.0
    assert ss.nearest_strike(strikes, 102.5) == 100.0                  # tie -> lower
    assert ss.nearest_strike(strikes, 102.5, tie="higher") == 105.0
    assert ss.nearest_strike(strikes, 1e6) == 110.0
    assert ss.nearest_strike([100.0, NAN, 105.0], 104.0) == 105.0        # NaN ignored


def test_nearest_strike_empty_and_bad_inputs() -> None:
    assert ss.nearest_strike(np.array([]), 100.0) is None
    assert ss.nearest_strike(np.array([NAN, NAN]), 100.0) is None
    with pytest.raises(ValueError, match="1-D"):
        ss.nearest_strike(np.ones((2, 2)), 1.0)
    with pytest.raises(ValueError, match="target"):
        ss.nearest_strike([100.0], NAN)
    with pytest.raises(TypeError, match="target"):
        ss.nearest_strike([100.0], "100")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="tie"):
        ss.nearest_strike([100.0], 100.0, tie="middle")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(1.0, 1000.0), min_size=1, max_size=40), st.floats(0.0, 1100.0))
def test_nearest_strike_is_a_closest_listed_strike(strikes: list[float], target: float) -> None:
    k = ss.nearest_strike(strikes, target)
    assert k in strikes
    assert abs(k - target) <= min(abs(s - target) for s in strikes) + 1e-9


# ----------------------------------------------------------------------------- by delta
PUT_STRIKES = np.array([380.0, 385.0, 390.0, 395.0, 400.0, 405.0])
PUT_DELTAS = np.array([-0.08, -0.12, -0.17, -0.24, -0.31, -0.45])


def test_put_by_delta() -> None:
    assert ss.strike_by_delta(PUT_STRIKES, PUT_DELTAS, 0.16, "P") == 390.0
    assert ss.strike_by_delta(PUT_STRIKES, PUT_DELTAS, -0.16, "put") == 390.0
    assert ss.index_by_delta(PUT_STRIKES, PUT_DELTAS, 0.16, "P") == 2


def test_never_thirty_delta_or_more() -> None:
    assert ss.strike_by_delta(PUT_STRIKES, PUT_DELTAS, 0.33, "P") == 400.0
    assert ss.strike_by_delta(PUT_STRIKES, PUT_DELTAS, 0.33, "P", max_abs_delta=0.30) == 395.0
    exactly = np.array([-0.30, -0.20])
    assert ss.strike_by_delta([400.0, 395.0], exactly, 0.29, "P", max_abs_delta=0.30) == 395.0
    assert ss.strike_by_delta([400.0], [-0.35], 0.16, "P", max_abs_delta=0.30) is None


def test_nan_zero_and_wrong_side_deltas_are_ignored() -> None:
    strikes = np.array([390.0, 395.0, 400.0, 410.0, 420.0])
    deltas = np.array([NAN, 0.0, -0.15, 0.16, 0.40])
    assert ss.strike_by_delta(strikes, deltas, 0.16, "P") == 400.0   # the call at 0.16 is not a put
    assert ss.strike_by_delta(strikes, deltas, 0.16, "C") == 410.0
    assert ss.strike_by_delta(strikes, np.array([NAN, 0.0, NAN, 0.0, NAN]), 0.16, "C") is None
    assert ss.strike_by_delta(np.array([]), np.array([]), 0.16, "C") is None
    assert ss.strike_by_delta([NAN, 400.0], [-0.16, -0.30], 0.16, "P") == 400.0


def test_delta_ties_go_further_out_of_the_money() -> None:
    assert ss.strike_by_delta([395.0, 400.0], [-0.14, -0.18], 0.16, "P") == 395.0
    assert ss.strike_by_delta([410.0, 405.0], [0.14, 0.18], 0.16, "C") == 410.0


def test_delta_bad_inputs() -> None:
    with pytest.raises(ValueError, match="shape"):
        ss.strike_by_delta([1.0, 2.0], [0.1], 0.16, "C")
    with pytest.raises(ValueError, match="target_delta"):
        ss.strike_by_delta([1.0], [0.1], 0.0, "C")
    with pytest.raises(ValueError, match="target_delta"):
        ss.strike_by_delta([1.0], [0.1], 1.2, "C")
    with pytest.raises(ValueError, match="max_abs_delta"):
        ss.strike_by_delta([1.0], [0.1], 0.16, "C", max_abs_delta=0.0)
    with pytest.raises(ValueError, match="right"):
        ss.strike_by_delta([1.0], [0.1], 0.16, "X")
    with pytest.raises(TypeError, match="right"):
        ss.strike_by_delta([1.0], [0.1], 0.16, 1)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- percent OTM
def test_percent_otm() -> None:
    strikes = np.arange(400.0, 601.0, 1.0)
    assert ss.strike_by_percent_otm(strikes, 500.0, 0.07, "P") == 465.0
    assert ss.strike_by_percent_otm(strikes, 500.0, 0.07, "C") == 535.0
    assert ss.strike_by_percent_otm(strikes, 500.0, 0.12, "put") == 440.0
    assert ss.strike_by_percent_otm([464.0, 466.0], 500.0, 0.07, "P") == 464.0   # tie -> further OTM
    assert ss.strike_by_percent_otm([534.0, 536.0], 500.0, 0.07, "C") == 536.0
    assert ss.strike_by_percent_otm([], 500.0, 0.07, "P") is None
    with pytest.raises(ValueError, match="pct"):
        ss.strike_by_percent_otm(strikes, 500.0, 7, "P")
    with pytest.raises(ValueError, match="spot"):
        ss.strike_by_percent_otm(strikes, 0.0, 0.07, "P")


# ----------------------------------------------------------------------------- offsets
def test_strike_offset() -> None:
    strikes = np.array([100.0, 100.0, 105.0, 110.0, 110.0, 115.0])
    assert ss.strike_offset(strikes, 105.0, 1) == 110.0
    assert ss.strike_offset(strikes, 105.0, -1) == 100.0
    assert ss.strike_offset(strikes, 110.0, -2) == 100.0
    assert ss.strike_offset(strikes, 105.0, 0) == 105.0
    assert ss.strike_offset(strikes, 105.0, 3) is None
    assert ss.strike_offset([], 105.0, 1) is None
    with pytest.raises(ValueError, match="not a listed strike"):
        ss.strike_offset(strikes, 107.0, 1)
    with pytest.raises(TypeError, match="n_steps"):
        ss.strike_offset(strikes, 105.0, 1.0)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- expiries
EXPIRIES = [D("2024-04-12"), D("2024-04-19"), D("2024-04-26"), D("2024-05-17"), D("2024-06-21")]


def test_nearest_expiry_dates_and_datetime64() -> None:
    as_of = D("2024-01-03")
    assert ss.nearest_expiry(EXPIRIES, as_of, 116, 105, 130) == D("2024-04-26")   # 114 DTE
    arr = np.array([e.isoformat() for e in EXPIRIES], dtype="datetime64[D]")
    assert ss.nearest_expiry(arr, as_of, 116, 105, 130) == D("2024-04-26")
    assert ss.nearest_expiry(arr.astype("datetime64[ns]"), as_of, 116, 105, 130) == D("2024-04-26")
    assert ss.nearest_expiry(np.array(EXPIRIES, dtype=object), as_of, 116, 105, 130) == D("2024-04-26")


def test_nearest_expiry_ties_none_and_bounds() -> None:
    as_of = D("2024-01-03")
    assert ss.nearest_expiry([D("2024-01-10"), D("2024-01-24")], as_of, 14, 0, 30) == D("2024-01-10")
    assert ss.nearest_expiry(EXPIRIES, as_of, 365, 300, 400) is None
    assert ss.nearest_expiry([], as_of, 7, 0, 10) is None
    assert ss.nearest_expiry(np.array([], dtype="datetime64[D]"), as_of, 7, 0, 10) is None
    assert ss.nearest_expiry([as_of], as_of, 0, 0, 0) == as_of
    assert ss.nearest_expiry([D("2024-01-02")], as_of, 0, 0, 5) is None           # expired
    with pytest.raises(ValueError, match="min_dte"):
        ss.nearest_expiry(EXPIRIES, as_of, 10, 20, 5)
    with pytest.raises(ValueError, match="min_dte"):
        ss.nearest_expiry(EXPIRIES, as_of, 10, -1, 5)
    with pytest.raises(TypeError, match="expiries"):
        ss.nearest_expiry([datetime(2024, 4, 26)], as_of, 116, 105, 130)
    with pytest.raises(TypeError, match="as_of"):
        ss.nearest_expiry(EXPIRIES, datetime(2024, 1, 3), 116, 105, 130)


def test_lt112_with_the_expiry_calendar() -> None:
    as_of = D("2024-05-01")
    listed = ex.listed_expiries("SPY", as_of, 130)
    assert ss.nearest_expiry(listed, as_of, 116, 105, 130) == D("2024-08-16")
