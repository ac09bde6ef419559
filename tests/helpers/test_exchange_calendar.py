"""Tests of helpers/exchange_calendar.py: NYSE sessions, half days, nth weekdays, DST, CME hours."""
from __future__ import annotations

import csv
import gzip
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import cme_calendar
from helpers import exchange_calendar as xc
from helpers.exchange_calendar import FRIDAY, MONDAY, TUESDAY, WEDNESDAY

D = date.fromisoformat
ET = xc.EASTERN


# ----------------------------------------------------------------------------- real data
def test_spy_daily_file_has_exactly_the_nyse_sessions(shared_data: Path) -> None:
    with (shared_data / "daily" / "SPY.csv").open() as f:
        dates = [D(row["date"]) for row in csv.DictReader(f)]
    assert len(dates) == 2536
    assert dates == xc.nyse_sessions(D("2015-01-02"), D("2025-01-31"))


def test_vix_cboe_nyse_session_flag_agrees(shared_data: Path) -> None:
    with (shared_data / "daily" / "VIX_cboe.csv").open() as f:
        rows = [(D(r["date"]), r["nyse_session"]) for r in csv.DictReader(f)]
    flagged_off = [d for d, flag in rows if flag == "0"]
    assert flagged_off, "the file has holiday rows since 2022"
    for d, flag in rows:
        assert xc.is_nyse_session(d) == (flag == "1"), d


def test_intraday_file_covers_the_sessions_and_three_half_days(shared_data: Path) -> None:
    path = shared_data / "intraday" / "SPY_1min_rth_2024-03-26_2025-01-31.csv.gz"
    with gzip.open(path, "rt") as f:
        days = sorted({D(r["ts_et"][:10]) for r in csv.DictReader(f)})
    sessions = xc.nyse_sessions(D("2024-03-26"), D("2025-01-31"))
    assert days == sessions and len(days) == 214
    assert [d for d in sessions if xc.is_half_day(d)] == [D("2024-07-03"), D("2024-11-29"), D("2024-12-24")]


# ----------------------------------------------------------------------------- holidays
def test_2024_holidays() -> None:
    assert list(xc.nyse_holidays(2024)) == [D(s) for s in (
        "2024-01-01", "2024-01-15", "2024-02-19", "2024-03-29", "2024-05-27", "2024-06-19",
        "2024-07-04", "2024-09-02", "2024-11-28", "2024-12-25")]


def test_2007_and_2012_holidays_include_the_special_closures() -> None:
    assert list(xc.nyse_holidays(2007)) == [D(s) for s in (
        "2007-01-01", "2007-01-02", "2007-01-15", "2007-02-19", "2007-04-06", "2007-05-28",
        "2007-07-04", "2007-09-03", "2007-11-22", "2007-12-25")]
    assert list(xc.nyse_holidays(2012)) == [D(s) for s in (
        "2012-01-02", "2012-01-16", "2012-02-20", "2012-04-06", "2012-05-28", "2012-07-04",
        "2012-09-03", "2012-10-29", "2012-10-30", "2012-11-22", "2012-12-25")]
    assert not any(name.startswith("Juneteenth") for y in range(2005, 2022) for name in xc.nyse_holidays(y).values())


def test_2025_holidays_include_the_carter_closure() -> None:
    assert list(xc.nyse_holidays(2025)) == [D(s) for s in (
        "2025-01-01", "2025-01-09", "2025-01-20", "2025-02-17", "2025-04-18", "2025-05-26",
        "2025-06-19", "2025-07-04", "2025-09-01", "2025-11-27", "2025-12-25")]


@pytest.mark.parametrize("day", [
    "2007-01-02", "2018-12-05", "2025-01-09",                # national days of mourning
    "2012-10-29", "2012-10-30",                              # Hurricane Sandy
    "2004-06-11",                                            # President Reagan
    "2005-01-17", "2008-03-21", "2010-12-24", "2011-01-17",  # rule holidays before 2015
    "2024-03-29", "2015-04-03", "2021-04-02",                # Good Friday
    "2022-06-20", "2023-06-19", "2024-06-19", "2026-06-19",  # Juneteenth from 2022
    "2017-01-02", "2023-01-02",                              # New Year on a Sunday
    "2015-07-03", "2020-07-03", "2021-07-05", "2026-07-03",  # Independence Day observed
    "2016-12-26", "2021-12-24", "2022-12-26", "2027-12-24",  # Christmas observed
    "2024-11-28", "2019-05-27", "2020-09-07", "2016-01-18", "2019-02-18",
])
def test_closed_weekdays(day: str) -> None:
    assert D(day).weekday() < 5
    assert not xc.is_nyse_session(D(day))


@pytest.mark.parametrize("day", [
    "2021-12-31",  # New Year 2022 is a Saturday: NYSE does not close the Friday before
    "2021-06-18",  # Juneteenth not yet an NYSE holiday in 2021
    "2018-12-04", "2018-12-06", "2025-01-08", "2025-01-10", "2024-03-28", "2024-04-01",
    "2022-01-03", "2016-07-01", "2020-07-02",
])
def test_open_days(day: str) -> None:
    assert xc.is_nyse_session(D(day))


@pytest.mark.parametrize("day, expected", [
    ("2015-11-27", True), ("2015-12-24", True), ("2017-07-03", True), ("2018-07-03", True),
    ("2018-12-24", True), ("2019-07-03", True), ("2019-12-24", True), ("2020-11-27", True),
    ("2020-12-24", True), ("2023-07-03", True), ("2024-07-03", True), ("2024-11-29", True),
    ("2024-12-24", True), ("2025-07-03", True), ("2025-12-24", True), ("2026-11-27", True),
    ("2026-12-24", True),
    ("2005-11-25", True), ("2006-07-03", True), ("2007-07-03", True), ("2007-12-24", True),
    ("2008-07-03", True), ("2008-12-24", True), ("2009-12-24", True), ("2012-12-24", True),
    ("2013-07-03", True), ("2014-12-24", True),
    ("2005-12-23", False), ("2006-12-22", False), ("2009-07-02", False), ("2010-07-02", False),
    ("2010-12-23", False), ("2011-12-23", False),
    ("2015-07-02", False), ("2016-07-01", False), ("2020-07-02", False), ("2021-07-02", False),
    ("2022-07-01", False), ("2026-07-02", False), ("2016-12-23", False), ("2017-12-22", False),
    ("2021-12-23", False), ("2022-12-23", False), ("2023-12-22", False), ("2024-07-05", False),
])
def test_half_days(day: str, expected: bool) -> None:
    assert xc.is_half_day(D(day)) is expected


def test_easter() -> None:
    assert [xc.easter_sunday(y) for y in (2015, 2016, 2019, 2024, 2025, 2026)] == [
        D("2015-04-05"), D("2016-03-27"), D("2019-04-21"), D("2024-03-31"), D("2025-04-20"), D("2026-04-05")]


# ----------------------------------------------------------------------------- navigation
def test_next_and_previous_session() -> None:
    assert xc.next_session(D("2024-03-28")) == D("2024-04-01")
    assert xc.previous_session(D("2024-04-01")) == D("2024-03-28")
    assert xc.next_session(D("2018-12-04")) == D("2018-12-06")
    assert xc.next_session(D("2024-12-31")) == D("2025-01-02")
    assert xc.previous_session(D("2025-01-10")) == D("2025-01-08")
    assert xc.next_session(D("2024-03-30")) == D("2024-04-01")  # from a Saturday


def test_add_sessions_and_sessions_between() -> None:
    assert xc.add_sessions(D("2024-03-27"), 2) == D("2024-04-01")
    assert xc.add_sessions(D("2024-04-01"), -2) == D("2024-03-27")
    assert xc.add_sessions(D("2024-03-30"), 1) == D("2024-04-01")   # Saturday counts from its place
    assert xc.add_sessions(D("2024-03-30"), -1) == D("2024-03-28")
    assert xc.add_sessions(D("2024-04-01"), 0) == D("2024-04-01")
    with pytest.raises(ValueError, match="needs a session"):
        xc.add_sessions(D("2024-03-29"), 0)
    assert xc.sessions_between(D("2024-03-27"), D("2024-04-01")) == 2
    assert xc.sessions_between(D("2024-04-01"), D("2024-03-27")) == -2
    assert xc.sessions_between(D("2024-01-01"), D("2024-12-31")) == 252


def test_sessions_list_bounds() -> None:
    assert xc.nyse_sessions(D("2024-03-28"), D("2024-04-02")) == [D("2024-03-28"), D("2024-04-01"), D("2024-04-02")]
    assert xc.nyse_sessions(D("2024-04-02"), D("2024-03-28")) == []


@settings(max_examples=200, deadline=None)
@given(st.dates(D("2016-09-01"), D("2034-01-01")), st.integers(-400, 400))
def test_add_then_count_round_trips(d: date, n: int) -> None:
    s = d if xc.is_nyse_session(d) else xc.next_session(d)
    target = xc.add_sessions(s, n)
    assert xc.sessions_between(s, target) == n
    assert xc.is_nyse_session(target)


# ----------------------------------------------------------------------------- nth weekday
def test_nth_weekday_examples() -> None:
    assert xc.nth_weekday(2024, 5, WEDNESDAY, 1) == D("2024-05-01")
    assert xc.nth_weekday(2024, 10, TUESDAY, 2) == D("2024-10-08")
    assert xc.nth_weekday(2024, 5, MONDAY, -1) == D("2024-05-27")
    assert xc.nth_weekday(2024, 3, FRIDAY, -1) == D("2024-03-29")
    assert xc.nth_weekday(2024, 1, FRIDAY, 3) == D("2024-01-19")
    with pytest.raises(ValueError, match="no occurrence"):
        xc.nth_weekday(2024, 2, MONDAY, 5)
    for bad in ((2024, 13, 0, 1), (2024, 1, 7, 1), (2024, 1, 0, 0), (2024, 1, 0, 6)):
        with pytest.raises(ValueError):
            xc.nth_weekday(*bad)


def test_occurrence_predicates() -> None:
    assert xc.weekday_occurrence(D("2024-10-08")) == 2
    assert xc.is_first_weekday_of_month(D("2024-05-01"), WEDNESDAY)
    assert not xc.is_first_weekday_of_month(D("2024-05-08"), WEDNESDAY)
    assert not xc.is_first_weekday_of_month(D("2024-05-02"), WEDNESDAY)
    assert xc.is_nth_weekday_of_month(D("2024-10-08"), TUESDAY, 2)
    assert xc.is_last_weekday_of_month(D("2024-05-27"), MONDAY)
    assert xc.is_nth_weekday_of_month(D("2024-05-20"), MONDAY, -2)
    assert not xc.is_nth_weekday_of_month(D("2024-02-26"), MONDAY, 5)


@settings(max_examples=300, deadline=None)
@given(st.integers(2015, 2035), st.integers(1, 12), st.integers(0, 6), st.integers(1, 4))
def test_nth_weekday_properties(year: int, month: int, weekday: int, n: int) -> None:
    d = xc.nth_weekday(year, month, weekday, n)
    assert (d.year, d.month, d.weekday()) == (year, month, weekday)
    assert xc.weekday_occurrence(d) == n
    assert xc.is_nth_weekday_of_month(d, weekday, n)
    last = xc.nth_weekday(year, month, weekday, -1)
    assert (last + timedelta(days=7)).month != month


def test_nth_weekday_session_moves_to_the_next_session() -> None:
    assert xc.nth_weekday_session(2025, 1, WEDNESDAY, 1) == D("2025-01-02")   # New Year's Day
    assert xc.nth_weekday_session(2024, 5, WEDNESDAY, 1) == D("2024-05-01")
    assert xc.nth_weekday_session(2024, 12, WEDNESDAY, 4) == D("2024-12-26")  # Christmas
    assert xc.nth_weekday_session(2024, 10, TUESDAY, 2) == D("2024-10-08")
    assert xc.is_nth_weekday_session(D("2025-01-02"), WEDNESDAY, 1)
    assert not xc.is_nth_weekday_session(D("2025-01-01"), WEDNESDAY, 1)
    assert not xc.is_nth_weekday_session(D("2025-01-08"), WEDNESDAY, 1)
    assert not xc.is_nth_weekday_session(D("2024-02-29"), MONDAY, 5)
    assert not xc.is_nth_weekday_session(D("2015-01-02"), WEDNESDAY, 1)   # first day of the range


@settings(max_examples=200, deadline=None)
@given(st.integers(2015, 2034), st.integers(1, 12), st.integers(0, 4), st.integers(1, 4))
def test_nth_weekday_session_round_trip(year: int, month: int, weekday: int, n: int) -> None:
    d = xc.nth_weekday_session(year, month, weekday, n)
    assert xc.is_nyse_session(d)
    assert xc.is_nth_weekday_session(d, weekday, n)
    assert 0 <= (d - xc.nth_weekday(year, month, weekday, n)).days <= 4


# ----------------------------------------------------------------------------- times and DST
def test_session_open_close() -> None:
    open_, close = xc.session_open_close(D("2024-08-05"))
    assert (open_.hour, open_.minute, close.hour) == (9, 30, 16) and open_.tzinfo is ET
    assert xc.session_open_close(D("2024-11-29"))[1].hour == 13
    with pytest.raises(ValueError, match="not an NYSE session"):
        xc.session_open_close(D("2024-11-28"))


@pytest.mark.parametrize("day, utc_hour", [
    ("2024-03-08", 14), ("2024-03-11", 13),   # spring change on Sunday 2024-03-10
    ("2024-11-01", 13), ("2024-11-04", 14),   # autumn change on Sunday 2024-11-03
])
def test_open_in_utc_across_dst(day: str, utc_hour: int) -> None:
    open_utc = xc.to_utc(xc.session_open_close(D(day))[0])
    assert (open_utc.hour, open_utc.minute, open_utc.utcoffset()) == (utc_hour, 30, timedelta(0))


def test_dst_days_themselves() -> None:
    assert xc.to_utc(xc.eastern_datetime(D("2024-03-09"), 12)).hour == 17
    assert xc.to_utc(xc.eastern_datetime(D("2024-03-10"), 12)).hour == 16
    assert xc.to_utc(xc.eastern_datetime(D("2024-11-03"), 12)).hour == 17
    assert xc.to_utc(xc.eastern_datetime(D("2024-11-03"), 1, 30)).hour == 5   # ambiguous: fold=0, EDT
    back = xc.to_eastern(datetime(2024, 3, 11, 13, 30, tzinfo=UTC))
    assert (back.hour, back.minute, back.date()) == (9, 30, D("2024-03-11"))


def test_naive_and_wrong_types_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        xc.to_utc(datetime(2024, 1, 2, 9, 30))
    with pytest.raises(TypeError, match="datetime.date"):
        xc.is_nyse_session(datetime(2024, 1, 2, 9, 30))
    with pytest.raises(ValueError, match="outside the supported range"):
        xc.is_nyse_session(D("2002-12-31"))
    with pytest.raises(TypeError, match="n must be an int"):
        xc.add_sessions(D("2024-01-02"), 1.0)  # type: ignore[arg-type]


def test_is_nyse_open() -> None:
    assert xc.is_nyse_open(datetime(2024, 7, 3, 12, 59, tzinfo=ET))
    assert not xc.is_nyse_open(datetime(2024, 7, 3, 13, 0, tzinfo=ET))
    assert xc.is_nyse_open(datetime(2024, 7, 5, 15, 59, tzinfo=ET))
    assert not xc.is_nyse_open(datetime(2024, 7, 4, 12, 0, tzinfo=ET))
    assert xc.is_nyse_open(datetime(2024, 3, 11, 13, 30, tzinfo=UTC))   # 09:30 EDT


# ----------------------------------------------------------------------------- CME
@pytest.mark.parametrize("day, expected", [
    ("2025-01-09", False), ("2018-12-05", False), ("2007-01-02", False), ("2012-10-29", False),
    ("2012-10-30", False), ("2012-10-31", True), ("2025-01-08", True), ("2024-11-28", False), ("2024-03-29", False),
    ("2024-06-19", False), ("2024-03-30", False), ("2024-03-28", True),
])
def test_cme_trading_dates(day: str, expected: bool) -> None:
    assert cme_calendar.is_cme_trading_date(D(day)) is expected


@pytest.mark.parametrize("stamp, expected", [
    ("2024-03-10 17:59", False), ("2024-03-10 18:00", True),    # Sunday open on the DST day
    ("2024-03-11 16:59", True), ("2024-03-11 17:30", False), ("2024-03-11 18:00", True),
    ("2024-03-15 16:59", True), ("2024-03-15 17:00", False), ("2024-03-16 12:00", False),
    ("2024-11-27 18:30", True), ("2024-11-28 12:59", True), ("2024-11-28 13:00", False),
    ("2024-11-28 18:30", True), ("2024-11-29 13:14", True), ("2024-11-29 13:16", False),
    ("2024-12-24 13:20", False), ("2024-12-25 10:00", False), ("2024-12-25 18:30", True),
    ("2024-03-28 18:30", False), ("2024-03-29 10:00", False), ("2024-03-31 18:00", True),
    ("2024-12-31 18:30", False), ("2025-01-01 10:00", False), ("2025-01-01 18:00", True),
    ("2025-01-09 09:29", True), ("2025-01-09 09:30", False), ("2025-01-09 18:00", True),
    ("2018-12-05 09:29", True), ("2018-12-05 10:00", False), ("2018-12-05 18:00", True),
    ("2012-10-28 18:00", True), ("2012-10-29 09:14", True), ("2012-10-29 09:15", False),
    ("2012-10-29 18:00", True), ("2012-10-30 09:15", False), ("2012-10-30 18:00", True),
    ("2007-01-01 18:00", False), ("2007-01-02 10:00", False), ("2007-01-02 18:00", True),
    ("2024-01-15 12:00", True), ("2024-01-15 14:00", False),
])
def test_cme_is_open(stamp: str, expected: bool) -> None:
    dt = datetime.fromisoformat(stamp).replace(tzinfo=ET)
    assert cme_calendar.cme_is_open(dt) is expected
    assert cme_calendar.cme_is_open(dt.astimezone(UTC)) is expected
