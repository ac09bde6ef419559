"""CME equity-index Globex hours and trading dates, on top of the NYSE rules of helpers.exchange_calendar.

CME (simplified, equity-index Globex hours): a CME trading date is a weekday that is not an
NYSE rule holiday and not a CME special day (`CME_SPECIAL_SESSIONS`: the days of the NYSE
special closures, on which CME equity products were shut or halted early, see the table for
the sources). Trading on a holiday such as Thanksgiving or MLK day, or on a special day,
belongs to the next trading date (no settlement on that day), so those are not trading dates,
and an option expiry on such a day moves to the trading date before (as CME did for the
2018-12-05 and 2025-01-09 expiries). The modern hours are used for the whole range (before
2012 the daily halt was 16:15-16:30 ET; not modelled). The
session of trading date D runs 18:00 ET on D-1 to 17:00 ET on D (13:15 ET on NYSE half days),
which gives Sunday 18:00 to Friday 17:00 with a daily 17:00-18:00 halt. On NYSE holidays other
than New Year's Day, Good Friday and Christmas there is an abbreviated session 18:00 ET the
evening before to 13:00 ET on the holiday; on those three the market is shut all day.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from helpers.exchange_calendar import (
    FIRST_DATE,
    LAST_DATE,
    SATURDAY,
    check_date,
    early_closes,
    rule_holidays,
    to_eastern,
)

CME_CLOSE = time(17, 0)
CME_EARLY_CLOSE = time(13, 15)
CME_HOLIDAY_CLOSE = time(13, 0)
CME_REOPEN = time(18, 0)

# CME equity-index Globex on the NYSE special closure days: the time the session ending that day
# closed (ET; None: no session that day). The market reopened at its usual evening time for the
# next trading date in every case.
# - 2004-06-11: trading floors closed, "GLOBEX markets will close for trading at 8 a.m." CT
#   (CME notice, mondovisione.com, June 2004).
# - 2007-01-02: "The CME's commodity and equity markets will be closed" (CNBC, 2006-12-29,
#   https://www.cnbc.com/id/16384249; Washington Post/AP 2006-12-30).
# - 2012-10-29 and 10-30: equity index futures and options open until 08:15 CT (09:15 ET) each
#   morning, reopened 17:00 CT on 10-29 and closed again 08:15 CT on 10-30 (CME Group notice of
#   2012-10-29, prnewswire.com "CME Group to Reopen U.S. Equity Index and Interest Rate Complexes
#   Tonight"; Reuters 2012-10-29 "close it back down at 9:15 ET").
# - 2018-12-05: "abbreviated session, closing after overnight trading at 8:30 a.m. Central Time";
#   options expiring 12-05 moved to 12-04 (CME Group press release, 2018-12-02).
# - 2025-01-09: "U.S. equity markets will be open until 8:30 a.m. CT"; equity options expiring
#   01-09 moved to 01-08 (CME Group announcement, mondovisione.com 2024-12-30).
CME_SPECIAL_SESSIONS: dict[date, time | None] = {
    date(2004, 6, 11): time(9, 0),
    date(2007, 1, 2): None,
    date(2012, 10, 29): time(9, 15),
    date(2012, 10, 30): time(9, 15),
    date(2018, 12, 5): time(9, 30),
    date(2025, 1, 9): time(9, 30),
}
_CME_FULL_CLOSURE_NAMES = ("New Year's Day", "Good Friday", "Christmas Day")


def is_cme_trading_date(d: date) -> bool:
    """True when d is a CME trading (settlement) date: a weekday that is neither an NYSE rule
    holiday nor a CME special day (2004-06-11, 2007-01-02, 2012-10-29/30, 2018-12-05, 2025-01-09).

    Raises ValueError on bad d.
    """
    check_date(d)
    return d.weekday() < SATURDAY and d not in rule_holidays(d.year) and d not in CME_SPECIAL_SESSIONS


def _cme_close(d: date) -> time | None:
    """Close time of CME on calendar day d (None when no session ends on d)."""
    if d.weekday() >= SATURDAY:
        return None
    if d in CME_SPECIAL_SESSIONS:
        return CME_SPECIAL_SESSIONS[d]
    name = rule_holidays(d.year).get(d)
    if name is None:
        return CME_EARLY_CLOSE if d in early_closes(d.year) else CME_CLOSE
    if name.startswith(_CME_FULL_CLOSURE_NAMES):
        return None
    return CME_HOLIDAY_CLOSE


def cme_is_open(dt: datetime) -> bool:
    """True when CME Globex equity-index futures trade at dt (aware; see the module notes).

    Sunday-Friday 18:00 ET (previous day) to 17:00 ET with a daily 17:00-18:00 halt, early
    halts on NYSE half days (13:15) and holidays (13:00), shut on New Year's Day, Good Friday and
    Christmas; `CME_SPECIAL_SESSIONS` on the special closure days. Raises ValueError for a naive datetime.
    """
    et = to_eastern(dt)
    d, t = et.date(), et.time()
    if not FIRST_DATE <= d <= LAST_DATE - timedelta(days=1):
        return False
    if t >= CME_REOPEN:
        return _cme_close(d + timedelta(days=1)) is not None
    close = _cme_close(d)
    return close is not None and t < close
