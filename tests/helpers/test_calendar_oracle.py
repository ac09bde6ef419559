"""helpers/exchange_calendar.py against the exchange_calendars package (test-only oracle), 2003-2026.

The NYSE sessions and early closes agree exactly, including the special closures 2004-06-11, 2007-01-02,
2012-10-29/30, 2018-12-05 and 2025-01-09. Its CMES calendar lists 2004-06-11, 2018-12-05 and 2025-01-09 as closed, while CME equity
Globex traded an overnight session that halted at 08:00 CT (2004) or 08:30 CT on those days (CME Group notices; see
CME_SPECIAL_SESSIONS). Those are the only differences allowed below.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import exchange_calendars as xcals
import pytest

from helpers import cme_calendar
from helpers import exchange_calendar as xc

D = date.fromisoformat
START, END = D("2003-01-01"), D("2026-12-31")
CMES_MISSING_SESSIONS = {D("2004-06-11"), D("2018-12-05"), D("2025-01-09")}


@pytest.fixture(scope="module")
def xnys() -> xcals.ExchangeCalendar:
    return xcals.get_calendar("XNYS", start=START.isoformat(), end=END.isoformat())


@pytest.fixture(scope="module")
def cmes() -> xcals.ExchangeCalendar:
    return xcals.get_calendar("CMES", start=START.isoformat(), end=END.isoformat())


def _weekdays() -> list[date]:
    days = (START + timedelta(days=i) for i in range((END - START).days + 1))
    return [d for d in days if d.weekday() < 5]


def test_nyse_sessions_equal_the_oracle(xnys: xcals.ExchangeCalendar) -> None:
    theirs = {ts.date() for ts in xnys.sessions}
    ours = xc.nyse_sessions(START, END)
    assert len([d for d in ours if d.year >= 2005]) == 5534
    assert set(ours) == theirs
    assert set(xc.SPECIAL_CLOSURES) <= {d for d in _weekdays()} - theirs


def test_nyse_early_closes_equal_the_oracle(xnys: xcals.ExchangeCalendar) -> None:
    theirs = sorted(ts.date() for ts in xnys.early_closes)
    ours = [d for d in xc.nyse_sessions(START, END) if xc.is_half_day(d)]
    assert ours == theirs
    assert len([d for d in ours if d.year >= 2005]) == 47 and D("2003-12-26") in ours
    closes = xnys.closes[xnys.early_closes].dt.tz_convert("America/New_York")
    assert {t.strftime("%H:%M") for t in closes} == {xc.EARLY_CLOSE.strftime("%H:%M")}


def test_cme_sessions_equal_the_oracle(cmes: xcals.ExchangeCalendar) -> None:
    """A CMES session on a weekday <=> CME equity Globex trades at 08:00 ET that day."""
    theirs = {ts.date() for ts in cmes.sessions}
    at_eight = {d for d in _weekdays() if cme_calendar.cme_is_open(datetime(d.year, d.month, d.day, 8, tzinfo=xc.EASTERN))}
    assert at_eight - theirs == CMES_MISSING_SESSIONS
    assert theirs - at_eight == set()


def test_cme_early_closes_match_the_oracle(cmes: xcals.ExchangeCalendar) -> None:
    """Every CMES early close is one of ours; ours has more, each for a stated reason.

    CMES omits the 13:15 ET equity close on July 3 half days and on 2003-12-26 and the abbreviated Juneteenth
    sessions (the holiday is in its list only as a session), and has the special days as full
    sessions or closures (see the module notes).
    """
    theirs = {ts.date() for ts in cmes.early_closes}
    ours = {d for d in _weekdays()
            if cme_calendar.cme_is_open(datetime(d.year, d.month, d.day, 8, tzinfo=xc.EASTERN))
            and not cme_calendar.cme_is_open(datetime(d.year, d.month, d.day, 16, 30, tzinfo=xc.EASTERN))}
    assert theirs - ours == set()
    extra = ours - theirs
    july3 = {d for d in extra if (d.month, d.day) == (7, 3) and xc.is_half_day(d)}
    juneteenth = {d for d in extra if xc.nyse_holidays(d.year).get(d, "").startswith("Juneteenth")}
    assert len(july3) == 13 and len(juneteenth) == 5
    special = set(cme_calendar.CME_SPECIAL_SESSIONS) - {D("2007-01-02")} | set(xc.SPECIAL_EARLY_CLOSES)
    assert extra - july3 - juneteenth == special
