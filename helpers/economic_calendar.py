"""FOMC decision days and US CPI release days as literal tables (US/Eastern dates).

FOMC: the statement/decision day (the second day; one-day meetings such as 2005-03-22 count
that day) of each scheduled meeting, 2005-2026, as published on the Federal Reserve's meeting
calendars (federalreserve.gov/monetarypolicy/fomccalendars.htm and the fomchistoricalYYYY.htm
pages); 2005-2014 were cross-checked with two independent public lists, which agree on all 80
dates. 2020 has 7 scheduled decisions: the
scheduled March 17-18 meeting was replaced by the unscheduled Sunday 2020-03-15 decision.
Unscheduled rate decisions are kept apart: 2008-01-22 (75 bp intermeeting cut, announced
08:30 ET), 2008-10-08 (50 bp cut coordinated with other central banks, 07:00 ET), 2020-03-03
and 2020-03-15 (the only unscheduled federal funds target moves in the window; conference
calls without a rate decision, and the Board's discount-rate action of 2007-08-17, are not
listed). Scheduled 2026 dates are the Fed's published schedule; unscheduled 2026 decisions
cannot be known.

CPI: the BLS release day (08:30 ET) of the monthly CPI report, 2005-2026. 2005-2024 are the
BLS release dates (12 a year; bls.gov/bls/news-release/cpi.htm archive; 2007-2024 agree in
two independent public lists, one taken from the FRED release calendar, release_id 10;
2005-2006 are from the BLS archive list only). The government shutdown of October 2013
moved the September 2013 CPI to 2013-10-30. Two releases fell on Good Friday, an NYSE holiday (2017-04-14,
2020-04-10). 2025 has 11: the September 2025 CPI moved to 2025-10-24 during the government
shutdown (it was scheduled for 2025-10-15), the October 2025 CPI was cancelled, and the
November CPI came out on 2025-12-18. 2026: the BLS schedule, 12 dates (January CPI on
2026-02-13 after the shutdown delays); 2026-10-14, 11-10 and 12-10 come from one list only
(FRED release calendar) and are the documented best estimate.

Queries outside a table's coverage raise ValueError rather than answer "no event"
(2005-01-01..2026-12-31 for both): extend the tables first.
A non-date argument raises TypeError.
"""
from __future__ import annotations

from datetime import date, datetime

FOMC_COVERAGE = (date(2005, 1, 1), date(2026, 12, 31))
CPI_COVERAGE = (date(2005, 1, 1), date(2026, 12, 31))


def _table(text: str) -> tuple[date, ...]:
    return tuple(date.fromisoformat(s) for s in text.split())


FOMC_SCHEDULED: tuple[date, ...] = _table("""
    2005-02-02 2005-03-22 2005-05-03 2005-06-30 2005-08-09 2005-09-20 2005-11-01 2005-12-13
    2006-01-31 2006-03-28 2006-05-10 2006-06-29 2006-08-08 2006-09-20 2006-10-25 2006-12-12
    2007-01-31 2007-03-21 2007-05-09 2007-06-28 2007-08-07 2007-09-18 2007-10-31 2007-12-11
    2008-01-30 2008-03-18 2008-04-30 2008-06-25 2008-08-05 2008-09-16 2008-10-29 2008-12-16
    2009-01-28 2009-03-18 2009-04-29 2009-06-24 2009-08-12 2009-09-23 2009-11-04 2009-12-16
    2010-01-27 2010-03-16 2010-04-28 2010-06-23 2010-08-10 2010-09-21 2010-11-03 2010-12-14
    2011-01-26 2011-03-15 2011-04-27 2011-06-22 2011-08-09 2011-09-21 2011-11-02 2011-12-13
    2012-01-25 2012-03-13 2012-04-25 2012-06-20 2012-08-01 2012-09-13 2012-10-24 2012-12-12
    2013-01-30 2013-03-20 2013-05-01 2013-06-19 2013-07-31 2013-09-18 2013-10-30 2013-12-18
    2014-01-29 2014-03-19 2014-04-30 2014-06-18 2014-07-30 2014-09-17 2014-10-29 2014-12-17
    2015-01-28 2015-03-18 2015-04-29 2015-06-17 2015-07-29 2015-09-17 2015-10-28 2015-12-16
    2016-01-27 2016-03-16 2016-04-27 2016-06-15 2016-07-27 2016-09-21 2016-11-02 2016-12-14
    2017-02-01 2017-03-15 2017-05-03 2017-06-14 2017-07-26 2017-09-20 2017-11-01 2017-12-13
    2018-01-31 2018-03-21 2018-05-02 2018-06-13 2018-08-01 2018-09-26 2018-11-08 2018-12-19
    2019-01-30 2019-03-20 2019-05-01 2019-06-19 2019-07-31 2019-09-18 2019-10-30 2019-12-11
    2020-01-29            2020-04-29 2020-06-10 2020-07-29 2020-09-16 2020-11-05 2020-12-16
    2021-01-27 2021-03-17 2021-04-28 2021-06-16 2021-07-28 2021-09-22 2021-11-03 2021-12-15
    2022-01-26 2022-03-16 2022-05-04 2022-06-15 2022-07-27 2022-09-21 2022-11-02 2022-12-14
    2023-02-01 2023-03-22 2023-05-03 2023-06-14 2023-07-26 2023-09-20 2023-11-01 2023-12-13
    2024-01-31 2024-03-20 2024-05-01 2024-06-12 2024-07-31 2024-09-18 2024-11-07 2024-12-18
    2025-01-29 2025-03-19 2025-05-07 2025-06-18 2025-07-30 2025-09-17 2025-10-29 2025-12-10
    2026-01-28 2026-03-18 2026-04-29 2026-06-17 2026-07-29 2026-09-16 2026-10-28 2026-12-09
""")

FOMC_UNSCHEDULED: tuple[date, ...] = _table("2008-01-22 2008-10-08 2020-03-03 2020-03-15")

CPI_RELEASES: tuple[date, ...] = _table("""
    2005-01-19 2005-02-23 2005-03-23 2005-04-20 2005-05-18 2005-06-15
    2005-07-14 2005-08-16 2005-09-15 2005-10-14 2005-11-16 2005-12-15
    2006-01-18 2006-02-22 2006-03-16 2006-04-19 2006-05-17 2006-06-14
    2006-07-19 2006-08-16 2006-09-15 2006-10-18 2006-11-16 2006-12-15
    2007-01-18 2007-02-21 2007-03-16 2007-04-17 2007-05-15 2007-06-15
    2007-07-18 2007-08-15 2007-09-19 2007-10-17 2007-11-15 2007-12-14
    2008-01-16 2008-02-20 2008-03-14 2008-04-16 2008-05-14 2008-06-13
    2008-07-16 2008-08-14 2008-09-16 2008-10-16 2008-11-19 2008-12-16
    2009-01-16 2009-02-20 2009-03-18 2009-04-15 2009-05-15 2009-06-17
    2009-07-15 2009-08-14 2009-09-16 2009-10-15 2009-11-18 2009-12-16
    2010-01-15 2010-02-19 2010-03-18 2010-04-14 2010-05-19 2010-06-17
    2010-07-16 2010-08-13 2010-09-17 2010-10-15 2010-11-17 2010-12-15
    2011-01-14 2011-02-17 2011-03-17 2011-04-15 2011-05-13 2011-06-15
    2011-07-15 2011-08-18 2011-09-15 2011-10-19 2011-11-16 2011-12-16
    2012-01-19 2012-02-17 2012-03-16 2012-04-13 2012-05-15 2012-06-14
    2012-07-17 2012-08-15 2012-09-14 2012-10-16 2012-11-15 2012-12-14
    2013-01-16 2013-02-21 2013-03-15 2013-04-16 2013-05-16 2013-06-18
    2013-07-16 2013-08-15 2013-09-17 2013-10-30 2013-11-20 2013-12-17
    2014-01-16 2014-02-20 2014-03-18 2014-04-15 2014-05-15 2014-06-17
    2014-07-22 2014-08-19 2014-09-17 2014-10-22 2014-11-20 2014-12-17
    2015-01-16 2015-02-26 2015-03-24 2015-04-17 2015-05-22 2015-06-18
    2015-07-17 2015-08-19 2015-09-16 2015-10-15 2015-11-17 2015-12-15
    2016-01-20 2016-02-19 2016-03-16 2016-04-14 2016-05-17 2016-06-16
    2016-07-15 2016-08-16 2016-09-16 2016-10-18 2016-11-17 2016-12-15
    2017-01-18 2017-02-15 2017-03-15 2017-04-14 2017-05-12 2017-06-14
    2017-07-14 2017-08-11 2017-09-14 2017-10-13 2017-11-15 2017-12-13
    2018-01-12 2018-02-14 2018-03-13 2018-04-11 2018-05-10 2018-06-12
    2018-07-12 2018-08-10 2018-09-13 2018-10-11 2018-11-14 2018-12-12
    2019-01-11 2019-02-13 2019-03-12 2019-04-10 2019-05-10 2019-06-12
    2019-07-11 2019-08-13 2019-09-12 2019-10-10 2019-11-13 2019-12-11
    2020-01-14 2020-02-13 2020-03-11 2020-04-10 2020-05-12 2020-06-10
    2020-07-14 2020-08-12 2020-09-11 2020-10-13 2020-11-12 2020-12-10
    2021-01-13 2021-02-10 2021-03-10 2021-04-13 2021-05-12 2021-06-10
    2021-07-13 2021-08-11 2021-09-14 2021-10-13 2021-11-10 2021-12-10
    2022-01-12 2022-02-10 2022-03-10 2022-04-12 2022-05-11 2022-06-10
    2022-07-13 2022-08-10 2022-09-13 2022-10-13 2022-11-10 2022-12-13
    2023-01-12 2023-02-14 2023-03-14 2023-04-12 2023-05-10 2023-06-13
    2023-07-12 2023-08-10 2023-09-13 2023-10-12 2023-11-14 2023-12-12
    2024-01-11 2024-02-13 2024-03-12 2024-04-10 2024-05-15 2024-06-12
    2024-07-11 2024-08-14 2024-09-11 2024-10-10 2024-11-13 2024-12-11
    2025-01-15 2025-02-12 2025-03-12 2025-04-10 2025-05-13 2025-06-11
    2025-07-15 2025-08-12 2025-09-11 2025-10-24            2025-12-18
    2026-01-13 2026-02-13 2026-03-11 2026-04-10 2026-05-12 2026-06-10
    2026-07-14 2026-08-12 2026-09-11 2026-10-14 2026-11-10 2026-12-10
""")

_FOMC_SCHEDULED_SET = frozenset(FOMC_SCHEDULED)
_FOMC_ALL_SET = _FOMC_SCHEDULED_SET | frozenset(FOMC_UNSCHEDULED)
_CPI_SET = frozenset(CPI_RELEASES)


def _check(d: object, coverage: tuple[date, date], what: str) -> date:
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"d must be a datetime.date (not a datetime), got {d!r}")
    if not coverage[0] <= d <= coverage[1]:
        raise ValueError(f"d={d} is outside the {what} table ({coverage[0]}..{coverage[1]})")
    return d


def is_fomc_day(d: date, include_unscheduled: bool = True) -> bool:
    """True when an FOMC rate decision is announced on d (14:00 ET for scheduled meetings).

    include_unscheduled=False counts only scheduled meetings. Raises ValueError outside
    2005..2026 and TypeError for a non-date.
    """
    _check(d, FOMC_COVERAGE, "FOMC")
    return d in (_FOMC_ALL_SET if include_unscheduled else _FOMC_SCHEDULED_SET)


def is_cpi_day(d: date) -> bool:
    """True when the BLS publishes the monthly CPI on d (08:30 ET).

    Raises ValueError outside 2005-01-01..2026-12-31 and TypeError for a non-date.
    """
    return _check(d, CPI_COVERAGE, "CPI") in _CPI_SET


def is_major_event_day(d: date) -> bool:
    """True on an FOMC decision day (scheduled or not) or a CPI release day.

    Raises ValueError when d is outside the tables' coverage (2005-01-01..2026-12-31) and TypeError for a non-date.
    """
    _check(d, (FOMC_COVERAGE[0], min(FOMC_COVERAGE[1], CPI_COVERAGE[1])), "FOMC and CPI")
    return is_fomc_day(d) or is_cpi_day(d)


def fomc_days(year: int | None = None, include_unscheduled: bool = True) -> list[date]:
    """FOMC decision days, ascending; for one year when year is given."""
    days = sorted(_FOMC_ALL_SET if include_unscheduled else _FOMC_SCHEDULED_SET)
    return [d for d in days if year is None or d.year == year]


def cpi_days(year: int | None = None) -> list[date]:
    """CPI release days, ascending; for one year when year is given."""
    return [d for d in CPI_RELEASES if year is None or d.year == year]
