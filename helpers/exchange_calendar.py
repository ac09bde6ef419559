"""NYSE sessions, nth-weekday rules and US/Eastern time helpers (CME hours: helpers.cme_calendar).

Everything is computed from rules; nothing reads the wall clock.

Supported range: 2003-01-01 .. 2035-12-31 (dates outside raise ValueError).
- 2003-2026 are history: sessions and early closes equal those of the exchange_calendars
  "XNYS" calendar (test oracle; 2005-2026: 5,534 sessions, 47 early closes), and the SPY daily bars in ../shared/data (2015-01-02 .. 2025-01-31, 2,536
  sessions) are reproduced exactly (see tests/helpers/test_exchange_calendar.py).
- 2003-2004 are there so that a backtest from 2005 gets its 400-day warm-up of daily history;
  the expiry and economic calendars start on 2005-01-01.
- 2027-2035 is a projection of the same rules: unscheduled closures cannot be known.

NYSE full-day holidays (Rule 7.2): New Year's Day, Martin Luther King Jr. Day (3rd Monday of
January), Washington's Birthday (3rd Monday of February), Good Friday, Memorial Day (last
Monday of May), Juneteenth (from 2022), Independence Day, Labor Day (1st Monday of
September), Thanksgiving (4th Thursday of November) and Christmas. A holiday on a Sunday is
observed on the Monday after, on a Saturday on the Friday before, except New Year's Day: the
NYSE does not close on Friday Dec 31 when Jan 1 is a Saturday (2021-12-31 and 2027-12-31 are
sessions; so is 2010-12-31). Special closures: 2004-06-11 (President Reagan), 2007-01-02 (President Ford,
national day of mourning), 2012-10-29 and 2012-10-30 (Hurricane Sandy), 2018-12-05 (President
G. H. W. Bush) and 2025-01-09 (President Carter), both national days of mourning.

Early closes (13:00 ET): the day after Thanksgiving; July 3 when July 4 falls on Tuesday to
Friday (so no early close when Independence Day is observed on a Friday or Monday);
December 24 when it is a Monday to Thursday. These rules hold unchanged since 2005 (e.g.
2005-11-25, 2006-07-03, 2007-12-24; no early close on 2009-07-02 or 2010-12-23, when the
holiday is observed on a Friday). One special early close: Friday 2003-12-26 (day after
Christmas). Examples: 2024-07-03, 2024-11-29, 2024-12-24.

Times are US/Eastern wall clock (zoneinfo "America/New_York"); datetimes are timezone-aware.
Weekdays follow datetime.date.weekday(): Monday=0 .. Sunday=6.
Errors: an argument of the wrong type (a datetime where a date is expected, a naive datetime
is a value error) raises TypeError; a value outside its range raises ValueError. Both name the
argument.
"""
from __future__ import annotations

import bisect
import calendar
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("America/New_York")
FIRST_YEAR = 2003
LAST_YEAR = 2035
FIRST_DATE = date(FIRST_YEAR, 1, 1)
LAST_DATE = date(LAST_YEAR, 12, 31)

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)

REGULAR_OPEN = time(9, 30)
REGULAR_CLOSE = time(16, 0)
EARLY_CLOSE = time(13, 0)

SPECIAL_CLOSURES: dict[date, str] = {
    date(2004, 6, 11): "National Day of Mourning for President Ronald Reagan",
    date(2007, 1, 2): "National Day of Mourning for President Gerald R. Ford",
    date(2012, 10, 29): "Hurricane Sandy",
    date(2012, 10, 30): "Hurricane Sandy",
    date(2018, 12, 5): "National Day of Mourning for President George H. W. Bush",
    date(2025, 1, 9): "National Day of Mourning for President Jimmy Carter",
}
SPECIAL_EARLY_CLOSES: dict[date, str] = {date(2003, 12, 26): "Day after Christmas"}


# ----------------------------------------------------------------------------- validation
def check_date(d: object, name: str = "d") -> date:
    """Return d if it is a datetime.date (not a datetime) inside the supported range."""
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"{name} must be a datetime.date (not a datetime), got {d!r}")
    if not FIRST_DATE <= d <= LAST_DATE:
        raise ValueError(f"{name}={d.isoformat()} is outside the supported range {FIRST_DATE}..{LAST_DATE}")
    return d


def require_int(value: object, name: str) -> int:
    """Return `value` if it is an int (not a bool); TypeError naming `name` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {value!r}")
    return value


def _check_aware(dt: object, name: str = "dt") -> datetime:
    if not isinstance(dt, datetime):
        raise TypeError(f"{name} must be a datetime, got {dt!r}")
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {dt.isoformat()}")
    return dt


# ----------------------------------------------------------------------------- nth weekday
def _check_weekday_n(weekday: object, n: object) -> None:
    if not 0 <= require_int(weekday, "weekday") <= 6:
        raise ValueError(f"weekday must be 0 (Monday) .. 6 (Sunday), got {weekday}")
    count = require_int(n, "n")
    if count == 0 or not -5 <= count <= 5:
        raise ValueError(f"n must be 1..5 or -1..-5, got {n}")


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The nth `weekday` (Monday=0 .. Sunday=6) of a month; n=1..5, or -1..-5 from the end.

    Example: nth_weekday(2024, 5, WEDNESDAY, 1) == date(2024, 5, 1).
    Raises ValueError for a bad month, weekday or n, or when the month has no such day
    (e.g. a 5th Monday).
    """
    require_int(year, "year")
    if not 1 <= require_int(month, "month") <= 12:
        raise ValueError(f"month must be 1..12, got {month}")
    _check_weekday_n(weekday, n)
    days_in_month = calendar.monthrange(year, month)[1]
    if n > 0:
        first = date(year, month, 1)
        day = 1 + (weekday - first.weekday()) % 7 + 7 * (n - 1)
    else:
        last = date(year, month, days_in_month)
        day = days_in_month - (last.weekday() - weekday) % 7 - 7 * (-n - 1)
    if not 1 <= day <= days_in_month:
        raise ValueError(f"{year}-{month:02d} has no occurrence n={n} of weekday {weekday}")
    return date(year, month, day)


def weekday_occurrence(d: date) -> int:
    """Which occurrence of its weekday d is in its month: 1 for the first, up to 5.

    Example: weekday_occurrence(date(2024, 10, 8)) == 2 (the second Tuesday).
    """
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"d must be a datetime.date (not a datetime), got {d!r}")
    return (d.day - 1) // 7 + 1


def is_nth_weekday_of_month(d: date, weekday: int, n: int) -> bool:
    """True when d is the nth `weekday` of its month (n=-1 for the last, -2 second to last).

    Raises TypeError for a non-date d, ValueError for a bad weekday or n.
    """
    occurrence = weekday_occurrence(d)
    _check_weekday_n(weekday, n)
    if d.weekday() != weekday:
        return False
    if n > 0:
        return occurrence == n
    return (calendar.monthrange(d.year, d.month)[1] - d.day) // 7 + 1 == -n


def is_first_weekday_of_month(d: date, weekday: int) -> bool:
    """True when d is the first `weekday` of its month (e.g. the first Wednesday)."""
    return is_nth_weekday_of_month(d, weekday, 1)


def is_last_weekday_of_month(d: date, weekday: int) -> bool:
    """True when d is the last `weekday` of its month."""
    return is_nth_weekday_of_month(d, weekday, -1)


def nth_weekday_session(year: int, month: int, weekday: int, n: int) -> date:
    """The nth `weekday` of the month as a trading session.

    When that day is not an NYSE session (a holiday), the rule moves to the NEXT session, even if
    it is another weekday or in the next month: the first Wednesday of 2025-01 is New Year's Day,
    so this returns Thursday 2025-01-02. Raises ValueError like nth_weekday, or when the date is
    outside the supported range.
    """
    return _roll_forward(nth_weekday(year, month, weekday, n))


@lru_cache(maxsize=4096)  # asked every minute by the strategies' entry windows
def is_nth_weekday_session(d: date, weekday: int, n: int) -> bool:
    """True when d is nth_weekday_session(d's year, d's month, weekday, n).

    A holiday roll can cross a month end; d is compared with the rule of its own month and, when
    d falls in the first days of a month, with the previous month's rule too. Raises TypeError
    for a non-date d, ValueError for a bad weekday or n or a d outside the supported range.
    """
    check_date(d)
    _check_weekday_n(weekday, n)
    candidates = [(d.year, d.month)]
    if d.day <= 7 and (d.year, d.month) != (FIRST_YEAR, 1):
        prev = d.replace(day=1) - timedelta(days=1)
        candidates.append((prev.year, prev.month))
    for year, month in candidates:
        try:
            rule_day = nth_weekday(year, month, weekday, n)
        except ValueError:  # the month has no 5th such weekday
            continue
        if _roll_forward(rule_day) == d:
            return True
    return False


# ----------------------------------------------------------------------------- NYSE rules
def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm). Good Friday is two days before."""
    require_int(year, "year")
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _add_observed(holidays: dict[date, str], actual: date, name: str) -> None:
    if actual.weekday() == SATURDAY:
        holidays[actual - timedelta(days=1)] = f"{name} (observed)"
    elif actual.weekday() == SUNDAY:
        holidays[actual + timedelta(days=1)] = f"{name} (observed)"
    else:
        holidays[actual] = name


@cache
def rule_holidays(year: int) -> dict[date, str]:
    """NYSE full-day holidays of a year from the rules (special closures excluded)."""
    holidays: dict[date, str] = {}
    new_year = date(year, 1, 1)
    if new_year.weekday() == SUNDAY:
        holidays[date(year, 1, 2)] = "New Year's Day (observed)"
    elif new_year.weekday() != SATURDAY:  # Saturday: not observed on the Friday (year end)
        holidays[new_year] = "New Year's Day"
    holidays[nth_weekday(year, 1, MONDAY, 3)] = "Martin Luther King Jr. Day"
    holidays[nth_weekday(year, 2, MONDAY, 3)] = "Washington's Birthday"
    holidays[easter_sunday(year) - timedelta(days=2)] = "Good Friday"
    holidays[nth_weekday(year, 5, MONDAY, -1)] = "Memorial Day"
    if year >= 2022:
        _add_observed(holidays, date(year, 6, 19), "Juneteenth")
    _add_observed(holidays, date(year, 7, 4), "Independence Day")
    holidays[nth_weekday(year, 9, MONDAY, 1)] = "Labor Day"
    holidays[nth_weekday(year, 11, THURSDAY, 4)] = "Thanksgiving Day"
    _add_observed(holidays, date(year, 12, 25), "Christmas Day")
    return holidays


@cache
def early_closes(year: int) -> frozenset[date]:
    closes = {nth_weekday(year, 11, THURSDAY, 4) + timedelta(days=1)}
    closes.update(d for d in SPECIAL_EARLY_CLOSES if d.year == year)
    july3 = date(year, 7, 3)
    if july3.weekday() <= THURSDAY:  # July 4 is Tuesday..Friday
        closes.add(july3)
    christmas_eve = date(year, 12, 24)
    if christmas_eve.weekday() <= THURSDAY:
        closes.add(christmas_eve)
    return frozenset(closes)


def nyse_holidays(year: int) -> dict[date, str]:
    """All weekday NYSE closures of a year (rule holidays and special closures), date -> name.

    Raises ValueError when the year is outside 2003..2035.
    """
    if not FIRST_YEAR <= require_int(year, "year") <= LAST_YEAR:
        raise ValueError(f"year={year} is outside the supported range {FIRST_YEAR}..{LAST_YEAR}")
    result = dict(rule_holidays(year))
    result.update({d: name for d, name in SPECIAL_CLOSURES.items() if d.year == year})
    return dict(sorted(result.items()))


def _is_session_unchecked(d: date) -> bool:
    return d.weekday() < SATURDAY and d not in rule_holidays(d.year) and d not in SPECIAL_CLOSURES


@lru_cache(maxsize=1)
def _all_sessions() -> tuple[date, ...]:
    days = (FIRST_DATE + timedelta(days=i) for i in range((LAST_DATE - FIRST_DATE).days + 1))
    return tuple(d for d in days if _is_session_unchecked(d))


def is_nyse_session(d: date) -> bool:
    """True when the NYSE holds a regular or early-close session on d. Raises ValueError on bad d."""
    return _is_session_unchecked(check_date(d))


def is_half_day(d: date) -> bool:
    """True when d is an NYSE early-close (13:00 ET) session. Raises ValueError on bad d."""
    check_date(d)
    return d in early_closes(d.year) and _is_session_unchecked(d)


def nyse_sessions(start: date, end: date) -> list[date]:
    """NYSE sessions from start to end, both inclusive, ascending (empty when end < start)."""
    check_date(start, "start")
    check_date(end, "end")
    sessions = _all_sessions()
    return list(sessions[bisect.bisect_left(sessions, start): bisect.bisect_right(sessions, end)])


def next_session(d: date) -> date:
    """The first NYSE session strictly after d. Raises ValueError past the supported range."""
    sessions = _all_sessions()
    i = bisect.bisect_right(sessions, check_date(d))
    if i >= len(sessions):
        raise ValueError(f"no session after d={d} inside the supported range")
    return sessions[i]


def previous_session(d: date) -> date:
    """The last NYSE session strictly before d. Raises ValueError before the supported range."""
    sessions = _all_sessions()
    i = bisect.bisect_left(sessions, check_date(d))
    if i == 0:
        raise ValueError(f"no session before d={d} inside the supported range")
    return sessions[i - 1]


def _roll_forward(d: date) -> date:
    return d if is_nyse_session(d) else next_session(d)


def add_sessions(d: date, n: int) -> date:
    """The session n sessions after d (n < 0: before). n=0 returns d, which must be a session.

    A non-session d counts from its position: add_sessions(saturday, 1) is the next Monday session.
    Raises ValueError for n=0 on a non-session, or when the result leaves the supported range.
    """
    check_date(d)
    require_int(n, "n")
    sessions = _all_sessions()
    if n == 0:
        if not _is_session_unchecked(d):
            raise ValueError(f"add_sessions(d, 0) needs a session, d={d} is not one")
        return d
    i = bisect.bisect_right(sessions, d) - 1 + n if n > 0 else bisect.bisect_left(sessions, d) + n
    if not 0 <= i < len(sessions):
        raise ValueError(f"add_sessions(d={d}, n={n}) leaves the supported range")
    return sessions[i]


def sessions_between(a: date, b: date) -> int:
    """Number of sessions s with a < s <= b (negative when b < a).

    sessions_between(d, add_sessions(d, n)) == n for a session d.
    """
    sessions = _all_sessions()
    ia = bisect.bisect_right(sessions, check_date(a, "a"))
    ib = bisect.bisect_right(sessions, check_date(b, "b"))
    return ib - ia


# ----------------------------------------------------------------------------- time helpers
def eastern_datetime(d: date, hour: int, minute: int = 0) -> datetime:
    """A timezone-aware US/Eastern datetime for a wall-clock time on d.

    Across DST changes the wall-clock time is kept (09:30 ET is 14:30 UTC in winter, 13:30 UTC
    in summer). A wall time skipped by the spring change (02:30 on 2024-03-10) does not exist;
    zoneinfo maps it with fold=0 (the pre-change offset). Raises ValueError on bad inputs.
    """
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"d must be a datetime.date (not a datetime), got {d!r}")
    if not 0 <= require_int(hour, "hour") <= 23 or not 0 <= require_int(minute, "minute") <= 59:
        raise ValueError(f"hour/minute out of range: {hour}:{minute}")
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=EASTERN)


def to_utc(dt: datetime) -> datetime:
    """Convert an aware datetime to UTC. Raises ValueError for a naive datetime."""
    return _check_aware(dt).astimezone(UTC)


def to_eastern(dt: datetime) -> datetime:
    """Convert an aware datetime to US/Eastern. Raises ValueError for a naive datetime."""
    return _check_aware(dt).astimezone(EASTERN)


def session_open_close(d: date) -> tuple[datetime, datetime]:
    """(open, close) of the NYSE session on d as aware US/Eastern datetimes.

    09:30-16:00 ET, or 09:30-13:00 ET on half days. Raises ValueError when d is not a session.
    """
    if not is_nyse_session(d):
        raise ValueError(f"d={d} is not an NYSE session")
    close = EARLY_CLOSE if is_half_day(d) else REGULAR_CLOSE
    return (eastern_datetime(d, REGULAR_OPEN.hour, REGULAR_OPEN.minute),
            eastern_datetime(d, close.hour, close.minute))


def is_nyse_open(dt: datetime) -> bool:
    """True when dt (aware) is inside an NYSE regular session [open, close)."""
    et = to_eastern(dt)
    d = et.date()
    if not FIRST_DATE <= d <= LAST_DATE or not _is_session_unchecked(d):
        return False
    open_dt, close_dt = session_open_close(d)
    return open_dt <= et < close_dt
