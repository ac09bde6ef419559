"""Tests of helpers/expiry_calendar.py: per-product expiry rules and listing windows."""
from __future__ import annotations

import csv
import gzip
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import cme_calendar
from helpers import exchange_calendar as xc
from helpers import expiry_calendar as ex
from helpers import expiry_series as series

D = date.fromisoformat


def _friday_of(d: date) -> date:
    """Pre-2015 contracts carry a Saturday expiration date; the last trading day is the Friday."""
    return d - timedelta(days=1) if d.weekday() == xc.SATURDAY else d


# ----------------------------------------------------------------------------- real chains
def test_full_spy_chain_of_2015_01_05_is_reproduced_exactly(shared_data: Path) -> None:
    path = shared_data / "options" / "SPY_chain_2015-01-05_eod.csv.gz"
    with gzip.open(path, "rt") as f:
        real = {_friday_of(D(r["expiration"])) for r in csv.DictReader(f)}
    real.discard(D("2015-01-02"))  # already expired, stale quotes (data README)
    assert len(real) == 23
    assert ex.listed_expiries("SPY", D("2015-01-05"), 1200) == sorted(real)


def test_lean_universe_expiries_are_listed(shared_data: Path) -> None:
    roots = {"SPY": "SPY", "SPX": "SPX", "SPXW": "SPXW", "ES_FOP": "ES"}
    seen: dict[tuple[str, date], set[date]] = defaultdict(set)
    with (shared_data / "options" / "lean_option_universes_daily.csv").open() as f:
        for r in csv.DictReader(f):
            seen[(roots[r["underlying"]], D(r["date"]))].add(D(r["expiry"]))
    assert len(seen) > 20
    for (root, as_of), expiries in seen.items():
        listed = set(ex.listed_expiries(root, as_of, 1200))
        assert expiries <= listed, (root, as_of, sorted(expiries - listed))
    # The SPX chain of 2015-12-23 is complete: the model reproduces it exactly.
    assert ex.listed_expiries("SPX", D("2015-12-23"), 1200) == sorted(seen[("SPX", D("2015-12-23"))])


def test_yahoo_2019_chain_expiries_are_listed(shared_data: Path) -> None:
    with gzip.open(shared_data / "options" / "SPY_chain_2019-09-06_yahoo.csv.gz", "rt") as f:
        real = {D(r["expiry"]) for r in csv.DictReader(f) if r["expiry"]}
    assert len(real) == 9
    assert real <= set(ex.listed_expiries("SPY", D("2019-09-06"), 800))


# ----------------------------------------------------------------------------- monthly rules
def test_third_friday_and_monthly_expiry() -> None:
    assert ex.third_friday(2023, 1) == D("2023-01-20")
    assert ex.monthly_expiry("SPY", 2023, 1) == D("2023-01-20")
    assert ex.monthly_expiry("SPY", 2019, 4) == D("2019-04-18")   # Good Friday
    assert ex.monthly_expiry("SPY", 2022, 4) == D("2022-04-14")
    assert ex.monthly_expiry("spx", 2025, 4) == D("2025-04-17")
    assert ex.monthly_expiry("/ES", 2024, 3) == D("2024-03-15")
    with pytest.raises(ValueError, match="month"):
        ex.monthly_expiry("SPY", 2024, 13)


@pytest.mark.parametrize("root, year, month, expected", [
    ("CL", 2020, 5, "2020-04-16"),    # May 2020 futures expired 2020-04-21
    ("CL", 2020, 1, "2019-12-16"),
    ("CL", 2025, 2, "2025-01-15"),    # Jan 25 a Saturday; MLK day inside the count
    ("MCL", 2023, 3, "2023-02-15"),    # Presidents Day inside the count
    ("LO", 2024, 1, "2023-12-14"),
    ("GC", 2024, 8, "2024-07-25"),    # 4th last business day is a Friday -> Thursday
    ("GC", 2024, 4, "2024-03-25"),    # Good Friday inside the month end
    ("GC", 2024, 12, "2024-11-25"),   # Thanksgiving inside the month end
    ("GC", 2024, 2, "2024-01-25"),
    ("MGC", 2024, 6, "2024-05-28"),
])
def test_commodity_option_expiries(root: str, year: int, month: int, expected: str) -> None:
    assert ex.monthly_expiry(root, year, month) == D(expected)


def test_cl_futures_last_trade() -> None:
    assert ex.cl_futures_last_trade(2020, 5) == D("2020-04-21")
    assert ex.cl_futures_last_trade(2020, 1) == D("2019-12-19")
    assert ex.cl_futures_last_trade(2023, 3) == D("2023-02-21")
    with pytest.raises(ValueError, match="outside"):
        ex.cl_futures_last_trade(2005, 1)


# ----------------------------------------------------------------------------- has_expiry
@pytest.mark.parametrize("root, day, expected", [
    ("SPY", "2024-03-28", True), ("SPY", "2024-03-29", False),   # Good Friday roll
    ("SPY", "2023-01-20", True), ("SPY", "2023-01-03", True),    # daily expiries in 2023
    ("SPY", "2022-11-22", True), ("SPY", "2022-11-15", False),   # first Tuesday (assumed)
    ("SPY", "2016-09-14", True), ("SPY", "2016-09-07", False),   # first Wednesday (assumed)
    ("SPY", "2018-02-26", True), ("SPY", "2017-02-27", False),
    ("SPY", "2018-12-04", True),                                 # Wed 2018-12-05 closed -> Tue
    ("SPY", "2024-06-18", True),                                 # Juneteenth Wed -> Tue
    ("SPY", "2021-09-07", True),                                 # Labor Day Monday -> Tue
    ("SPXW", "2016-03-02", True), ("SPXW", "2016-02-24", False),
    ("SPXW", "2016-08-22", True), ("SPXW", "2016-08-15", False),
    ("SPXW", "2022-04-26", True), ("SPXW", "2022-04-19", False),
    ("SPXW", "2022-05-19", True), ("SPXW", "2022-05-12", False),
    ("SPXW", "2019-01-31", True),                                # end of month, a Thursday
    ("SPX", "2024-01-19", True), ("SPX", "2024-01-26", False),
    ("QQQ", "2023-03-07", True), ("QQQ", "2020-03-04", False),
    ("IWM", "2022-03-02", True), ("IWM", "2023-03-07", False),
    ("ES", "2016-10-05", True), ("ES", "2016-09-28", False),
    ("ES", "2017-04-17", True), ("ES", "2017-04-10", False),
    ("ES", "2022-04-26", True), ("ES", "2022-04-19", False),
    ("ES", "2025-01-09", False), ("ES", "2025-01-08", True),     # CME moved the 01-09 expiry
    ("ES", "2018-12-05", False), ("ES", "2018-12-04", True),     # to the day before (halt 09:30)
    ("NQ", "2022-10-04", True), ("NQ", "2022-09-27", False),
    ("MES", "2020-09-04", True), ("MES", "2021-06-09", False), ("MES", "2021-06-30", True),
    ("MES", "2020-08-28", False), ("MES", "2023-03-07", True),
])
def test_has_expiry(root: str, day: str, expected: bool) -> None:
    assert ex.has_expiry(root, D(day)) is expected


def test_spy_tuesdays_in_2021_only_after_monday_holidays() -> None:
    tuesdays = [d for d in ex.expiries_between("SPY", D("2021-01-01"), D("2021-12-31")) if d.weekday() == 1]
    assert tuesdays == [D("2021-01-19"), D("2021-02-16"), D("2021-06-01"), D("2021-07-06"), D("2021-09-07")]


def test_spy_expires_every_session_once_daily_expiries_exist() -> None:
    sessions = xc.nyse_sessions(D("2022-12-01"), D("2025-12-31"))
    assert ex.expiries_between("SPY", D("2022-12-01"), D("2025-12-31")) == sessions


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(series.PRODUCTS), st.dates(D("2015-01-02"), D("2034-06-01")))
def test_expiries_fall_on_business_days(root: str, start: date) -> None:
    check = cme_calendar.is_cme_trading_date if root in series.CME_ROOTS else xc.is_nyse_session
    for d in ex.expiries_between(root, start, start + timedelta(days=200)):
        assert check(d), (root, d)


# ----------------------------------------------------------------------------- listings
@settings(max_examples=80, deadline=None)
@given(st.sampled_from(series.PRODUCTS), st.dates(D("2015-01-02"), D("2033-01-01")), st.integers(0, 800))
def test_listed_expiries_are_sorted_existing_and_in_range(root: str, as_of: date, max_dte: int) -> None:
    listed = ex.listed_expiries(root, as_of, max_dte)
    assert listed == sorted(set(listed))
    for d in listed:
        assert 0 <= (d - as_of).days <= max_dte
        assert ex.has_expiry(root, d)


def test_nothing_listed_before_a_launch() -> None:
    assert ex.listed_expiries("MES", D("2020-08-28"), 120) == []
    assert ex.listed_expiries("MES", D("2020-08-31"), 120) != []
    assert ex.listed_expiries("MCL", D("2022-06-03"), 120) == []
    assert ex.listed_expiries("MGC", D("2023-09-29"), 120) == []
    assert ex.listed_expiries("MGC", D("2023-10-02"), 120) != []


def test_zero_dte_and_leaps() -> None:
    assert ex.listed_expiries("SPY", D("2024-08-05"), 0) == [D("2024-08-05")]
    assert ex.listed_expiries("SPY", D("2021-08-03"), 0) == []           # a 2021 Tuesday
    leaps = ex.listed_expiries("SPY", D("2024-01-04"), 1100)
    assert D("2026-12-18") in leaps and D("2026-01-16") in leaps
    assert D("2027-01-15") not in leaps


def test_lt112_window_has_an_expiry() -> None:
    listed = ex.listed_expiries("SPY", D("2024-01-03"), 130)
    assert [d for d in listed if 105 <= (d - D("2024-01-03")).days] == [D("2024-04-19")]


def test_commodity_listings() -> None:
    assert ex.listed_expiries("CL", D("2020-04-01"), 100) == [D("2020-04-16"), D("2020-05-14"), D("2020-06-17")]
    assert len(ex.listed_expiries("GC", D("2024-01-02"), 3650)) == 20
    assert len(ex.listed_expiries("MCL", D("2024-01-02"), 3650)) == 12


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="product_root"):
        ex.listed_expiries("XYZ", D("2024-01-02"), 30)
    with pytest.raises(TypeError, match="product_root"):
        ex.has_expiry(5, D("2024-01-02"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_dte"):
        ex.listed_expiries("SPY", D("2024-01-02"), -1)
    with pytest.raises(ValueError, match="outside"):
        ex.listed_expiries("SPY", D("2004-06-02"), 30)


# ----------------------------------------------------------------------------- history 2005-2014
@pytest.mark.parametrize("root, day, expected", [
    ("SPY", "2005-01-21", True), ("SPY", "2005-01-28", False),     # monthlies only before weeklies
    ("SPY", "2008-03-20", True), ("SPY", "2008-03-21", False),     # Good Friday third Friday -> Thu
    ("SPY", "2006-06-30", False), ("SPY", "2006-09-29", True),     # ETF quarterlies from July 2006
    ("SPY", "2010-06-04", False), ("SPY", "2010-06-11", True),     # ETF weeklys from 2010-06-04
    ("QQQ", "2010-06-11", True), ("IWM", "2010-06-25", True), ("IWM", "2009-12-31", True),
    ("SPY", "2015-03-04", False), ("SPY", "2017-03-01", True),     # no Wednesday in 2015, one in 2017
    ("SPX", "2005-02-18", True), ("SPXW", "2005-10-21", False),    # SPXW weeklys from Oct 2005
    ("SPXW", "2005-11-04", True), ("SPXW", "2005-11-18", False),   # not in the standard expiry week
    ("SPXW", "2006-04-13", True),                                  # Good Friday 2006-04-14 -> Thu
    ("SPXW", "2006-10-31", False), ("SPXW", "2007-12-31", True),   # SPX quarterlies from 2007
    ("SPXW", "2008-04-30", False), ("SPXW", "2008-03-31", True),
    ("SPXW", "2014-06-30", True), ("SPXW", "2014-05-30", True),    # a quarter end; a Friday weekly
    ("SPXW", "2014-04-30", False), ("SPXW", "2014-07-31", True),   # EOM from July 2014
    ("ES", "2005-03-18", True), ("ES", "2005-04-15", True),        # quarterly and serial
    ("ES", "2006-04-28", False), ("ES", "2006-05-31", True),       # EOM from May 2006
    ("ES", "2009-08-28", False), ("ES", "2009-09-04", True), ("ES", "2009-09-11", True),
    ("ES", "2009-09-25", False),                                   # weeks 1 and 2 only before 2015
    ("ES", "2012-10-31", True), ("ES", "2007-01-02", False),
    ("CL", "2005-02-16", True), ("CL", "2005-02-15", False),       # LO H05: 3 days before CL H05
    ("GC", "2005-01-26", True), ("GC", "2005-01-25", False),       # OG G05: 4th last day of Jan
])
def test_historical_expiries(root: str, day: str, expected: bool) -> None:
    assert ex.has_expiry(root, D(day)) is expected


def test_no_expiry_on_the_special_closures() -> None:
    for root in ("SPY", "SPX", "SPXW", "QQQ", "IWM", "ES", "NQ", "MES"):
        days = set(ex.expiries_between(root, D("2005-01-01"), D("2025-12-31")))
        assert not days & set(xc.SPECIAL_CLOSURES), root


def test_early_weeklys_are_listed_one_week_ahead() -> None:
    assert ex.listed_expiries("SPXW", D("2006-01-09"), 30) == [D("2006-01-13")]
    assert ex.listed_expiries("SPY", D("2010-06-07"), 30) == [D("2010-06-11"), D("2010-06-18"), D("2010-06-30")]
    assert ex.listed_expiries("SPY", D("2005-03-01"), 120) == [
        D("2005-03-18"), D("2005-04-15"), D("2005-05-20"), D("2005-06-17")]


def test_expiry_counts_per_year() -> None:
    """SPY: 12 monthlies and 4 quarter ends before the June 2010 weeklys, then every Friday
    (2011: 51 Fridays, Good Friday rolled to Thursday 04-21); SPXW 2006: the 40 Fridays outside
    the standard expiration weeks, one of them rolled (Good Friday 04-14 -> 04-13)."""
    def count(root: str, year: int) -> int:
        return len(ex.expiries_between(root, D(f"{year}-01-01"), D(f"{year}-12-31")))
    assert count("SPY", 2009) == 12 + 4
    assert count("SPY", 2011) == 52 + 2
    assert count("SPXW", 2006) == 40
    assert count("SPY", 2024) == 252  # every session


@pytest.mark.parametrize(("root", "first"), [("MES", date(2020, 8, 31)), ("/mnq", date(2020, 8, 31)),
                                             ("MCL", date(2022, 6, 6)), ("MGC", date(2023, 10, 2)),
                                             ("ES", series.FIRST_DATE), ("SPY", series.FIRST_DATE), ("CL", series.FIRST_DATE)])
def test_options_listing_dates(root: str, first: date) -> None:
    assert ex.options_listed_from(root) == first
    # nothing is listed before that day, something on it
    if first > series.FIRST_DATE:
        assert ex.listed_expiries(root, first - timedelta(days=1), 400) == []
        assert ex.listed_expiries(root, first, 400) != []
