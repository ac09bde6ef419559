"""Tests of helpers/economic_calendar.py: FOMC and CPI tables."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime

import pytest

from helpers import economic_calendar as ec
from helpers import exchange_calendar as xc

D = date.fromisoformat


@pytest.mark.parametrize("day", ["2024-07-31", "2024-09-18", "2023-03-22", "2015-12-16", "2018-11-08",
                                 "2022-06-15", "2025-12-10", "2026-01-28", "2020-03-03", "2020-03-15",
                                 "2005-06-30", "2008-01-22", "2008-10-08", "2008-12-16", "2012-09-13"])
def test_fomc_spot_checks(day: str) -> None:
    assert ec.is_fomc_day(D(day))


@pytest.mark.parametrize("day", ["2024-07-30", "2024-09-19", "2020-03-18", "2024-08-14", "2007-08-17",
                                 "2008-01-21", "2012-09-12"])
def test_not_fomc(day: str) -> None:
    assert not ec.is_fomc_day(D(day))


def test_unscheduled_can_be_excluded() -> None:
    assert not ec.is_fomc_day(D("2020-03-15"), include_unscheduled=False)
    assert ec.is_fomc_day(D("2020-03-15"))
    assert ec.fomc_days(2020, include_unscheduled=False)[:1] == [D("2020-01-29")]
    assert D("2020-03-03") in ec.fomc_days(2020)


def test_eight_scheduled_meetings_a_year() -> None:
    counts = Counter(d.year for d in ec.FOMC_SCHEDULED)
    assert counts == {y: (7 if y == 2020 else 8) for y in range(2005, 2027)}
    assert Counter(d.year for d in ec.FOMC_UNSCHEDULED) == {2008: 2, 2020: 2}


def test_scheduled_decisions_are_sessions_midweek() -> None:
    """Since 2013 every decision is a Wednesday or Thursday; before, one-day meetings were often
    Tuesdays (25 of them, the last 2012-03-13)."""
    for d in ec.FOMC_SCHEDULED:
        assert xc.is_nyse_session(d), d
        assert d.weekday() in (xc.TUESDAY, xc.WEDNESDAY, xc.THURSDAY), d
    tuesdays = [d for d in ec.FOMC_SCHEDULED if d.weekday() == xc.TUESDAY]
    assert len(tuesdays) == 25 and tuesdays[-1] == D("2012-03-13")
    thursdays = [d for d in ec.FOMC_SCHEDULED if d.weekday() == xc.THURSDAY and d.year >= 2013]
    assert thursdays == [D("2015-09-17"), D("2018-11-08"), D("2020-11-05"), D("2024-11-07")]


@pytest.mark.parametrize("day", ["2024-08-14", "2022-09-13", "2023-03-14", "2025-10-24",
                                 "2025-12-18", "2026-01-13", "2017-04-14", "2015-01-16",
                                 "2005-01-19", "2008-10-16", "2013-10-30", "2026-02-13", "2026-12-10"])
def test_cpi_spot_checks(day: str) -> None:
    assert ec.is_cpi_day(D(day))


@pytest.mark.parametrize("day", ["2024-08-13", "2025-10-15", "2025-11-13", "2025-12-10", "2013-10-16"])
def test_not_cpi(day: str) -> None:
    assert not ec.is_cpi_day(D(day))


def test_cpi_counts_and_one_release_a_month() -> None:
    counts = Counter(d.year for d in ec.CPI_RELEASES)
    assert counts == {**{y: 12 for y in range(2005, 2025)}, 2025: 11, 2026: 12}
    assert len(ec.CPI_RELEASES) == 263
    for year in (*range(2005, 2025), 2026):
        assert sorted(d.month for d in ec.cpi_days(year)) == list(range(1, 13))
    assert [d.month for d in ec.cpi_days(2025)] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12]


def test_cpi_days_are_sessions_except_two_good_fridays() -> None:
    assert [d for d in ec.CPI_RELEASES if not xc.is_nyse_session(d)] == [D("2017-04-14"), D("2020-04-10")]


def test_tables_are_sorted_and_unique() -> None:
    for table in (ec.FOMC_SCHEDULED, ec.CPI_RELEASES, ec.FOMC_UNSCHEDULED):
        assert list(table) == sorted(set(table))


def test_major_event_day() -> None:
    assert ec.is_major_event_day(D("2024-08-14"))
    assert ec.is_major_event_day(D("2024-09-18"))
    assert not ec.is_major_event_day(D("2024-08-15"))


def test_outside_coverage_and_bad_types_raise() -> None:
    with pytest.raises(ValueError, match="CPI table"):
        ec.is_cpi_day(D("2027-01-13"))
    with pytest.raises(ValueError, match="FOMC table"):
        ec.is_fomc_day(D("2027-01-27"))
    with pytest.raises(ValueError, match="FOMC and CPI"):
        ec.is_major_event_day(D("2004-12-15"))
    with pytest.raises(ValueError):
        ec.is_cpi_day(D("2004-12-31"))
    assert ec.is_major_event_day(D("2026-03-18")) and not ec.is_cpi_day(D("2026-12-09"))
    with pytest.raises(TypeError, match="datetime.date"):
        ec.is_fomc_day(datetime(2024, 7, 31, 14, 0))
