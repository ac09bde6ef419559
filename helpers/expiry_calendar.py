"""Option expiry calendars per product: which expiries existed, and which were listed on a day.

Dates returned are last trading days (US/Eastern), 2005-01-01 .. 2035-11-30 (2027 on is a
projection of the rules). Standard monthlies before February 2015 formally expired on the
Saturday after the third Friday (e.g. SPY 2015-01-17 in the 2015-01-05 chain); the last
trading day is the Friday before, which is what this module returns. For AM-settled SPX
monthlies (and the AM-settled SPX Weeklys of 2005-2010) the date is the settlement Friday
(trading stops the session before).

Business days: Cboe products use NYSE sessions; CME products use CME trading dates (NYSE rule
holidays closed, NYSE special closures open; see exchange_calendar).

Holiday rolls (Cboe/OCC short-term option rules): a Friday or Wednesday expiry on a holiday
moves to the previous business day (Good Friday 2024-03-29 -> Thursday 2024-03-28); a Monday
expiry moves to the next business day; Tuesday/Thursday holiday expiries are not listed (the
neighbouring daily expiry covers them). CME rolls are modelled the same way (an assumption).

Listing model: helpers.expiry_series (which series each product lists, since when, how far out).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

from helpers import exchange_calendar as xc
from helpers.cme_calendar import is_cme_trading_date
from helpers.expiry_series import (
    ALIASES,
    CME_ROOTS,
    FIRST_DATE,
    GENERATION_END,
    MAX_DTE,
    PRODUCTS,
    SERIES,
    Series,
    era,
)


# ----------------------------------------------------------------------------- helpers
def _root(product_root: object) -> str:
    if not isinstance(product_root, str):
        raise TypeError(f"product_root must be a string such as 'SPY', got {product_root!r}")
    root = product_root.strip().lstrip("/").upper()
    root = ALIASES.get(root, root)
    if root not in SERIES:
        raise ValueError(f"product_root={product_root!r} is not one of {', '.join(PRODUCTS)}")
    return root


def _check_date(d: object, name: str) -> date:
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"{name} must be a datetime.date (not a datetime), got {d!r}")
    if not FIRST_DATE <= d <= GENERATION_END:
        raise ValueError(f"{name}={d} is outside the supported range {FIRST_DATE}..{GENERATION_END}")
    return d


def _is_business(root: str, d: date) -> bool:
    return is_cme_trading_date(d) if root in CME_ROOTS else xc.is_nyse_session(d)


def _step(root: str, d: date, direction: int) -> date:
    d += timedelta(days=direction)
    while not _is_business(root, d):
        d += timedelta(days=direction)
    return d


def _previous_or_same(root: str, d: date) -> date:
    return d if _is_business(root, d) else _step(root, d, -1)


def third_friday(year: int, month: int) -> date:
    """The calendar third Friday of a month (no holiday adjustment). Raises ValueError on bad input."""
    return xc.nth_weekday(year, month, xc.FRIDAY, 3)


def _last_business_day(root: str, year: int, month: int) -> date:
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return _step(root, nxt, -1)


def _cl_futures_last_trade(root: str, year: int, month: int) -> date:
    prev_year, prev_month = (year - 1, 12) if month == 1 else (year, month - 1)
    d25 = date(prev_year, prev_month, 25)
    d = d25 if _is_business(root, d25) else _step(root, d25, -1)
    for _ in range(3):
        d = _step(root, d, -1)
    return d


def cl_futures_last_trade(year: int, month: int) -> date:
    """Last trading day of the CL (WTI crude) futures of a contract month.

    3 business days before the 25th of the month before the contract month; when the 25th is
    not a business day, 3 business days before the business day preceding it. Example: May 2020
    -> 2020-04-21. Raises ValueError for a bad month or a year outside the supported range.
    """
    if not 1 <= xc.require_int(month, "month") <= 12:
        raise ValueError(f"month must be 1..12, got {month}")
    if not FIRST_DATE.year <= xc.require_int(year, "year") <= GENERATION_END.year or (year, month) == (FIRST_DATE.year, 1):
        raise ValueError(f"year/month {year}-{month:02d} is outside the supported range")
    return _cl_futures_last_trade("CL", year, month)


def _cl_option_expiry(root: str, year: int, month: int) -> date:
    d = _cl_futures_last_trade(root, year, month)
    for _ in range(3):
        d = _step(root, d, -1)
    return d


def _gc_option_expiry(root: str, year: int, month: int) -> date:
    prev_year, prev_month = (year - 1, 12) if month == 1 else (year, month - 1)
    d = _last_business_day(root, prev_year, prev_month)
    for _ in range(3):
        d = _step(root, d, -1)
    if d.weekday() == xc.FRIDAY or not _is_business(root, d + timedelta(days=1)):
        d = _step(root, d, -1)  # a Friday, or the day before a holiday
    return d


def monthly_expiry(product_root: str, year: int, month: int) -> date:
    """The standard monthly expiry of a contract month, as a last trading day.

    Equity, index and CME equity-index products: the third Friday, or the business day before
    when it is a holiday (2019-04-19 Good Friday -> 2019-04-18). CL/MCL: the LO expiry of the
    option contract month (in the month before it); GC/MGC: the OG expiry of the option month.
    Raises ValueError for an unknown root or a bad year/month.
    """
    root = _root(product_root)
    if not 1 <= xc.require_int(month, "month") <= 12:
        raise ValueError(f"month must be 1..12, got {month}")
    if not FIRST_DATE.year <= xc.require_int(year, "year") <= GENERATION_END.year:
        raise ValueError(f"year={year} is outside {FIRST_DATE.year}..{GENERATION_END.year}")
    kind = SERIES[root][0].kind
    if kind == "cl":
        return _cl_option_expiry(root, year, month)
    if kind == "gc":
        return _gc_option_expiry(root, year, month)
    return _previous_or_same(root, third_friday(year, month))


def _roll(root: str, s: Series, d: date) -> date | None:
    try:
        if _is_business(root, d):
            return d
        if s.roll == "previous":
            return _step(root, d, -1)
        if s.roll == "next":
            return _step(root, d, 1)
    except ValueError:  # the roll left the supported range
        return None
    return None


def _month_expiry(root: str, s: Series, y: int, m: int) -> date | None:
    try:
        if s.kind == "third_friday":
            return _previous_or_same(root, third_friday(y, m))
        if s.kind == "month_end":
            return _last_business_day(root, y, m)
        if s.kind == "cl":
            return _cl_option_expiry(root, y, m)
        return _gc_option_expiry(root, y, m)
    except ValueError:  # needs dates outside the supported range
        return None


def _series_dates(root: str, s: Series, start: date, end: date) -> list[date]:
    """Expiries of one series within [start, end] that existed (>= first expiry), ascending."""
    lo = max(start, s.first_expiry or s.listed_from)
    end = min(end, s.last_expiry or end)
    out: set[date | None] = set()
    if s.kind == "weekday":
        d = lo - timedelta(days=7 + (lo.weekday() - s.weekday) % 7)
        while d <= end + timedelta(days=7):
            if FIRST_DATE <= d <= GENERATION_END and xc.weekday_occurrence(d) in s.weeks:
                out.add(_roll(root, s, d))
            d += timedelta(days=7)
    else:
        # month index y*12+(m-1); CL/GC option months expire in the month before, hence +1
        for idx in range(lo.year * 12 + lo.month - 2, end.year * 12 + end.month + 1):
            y, m = divmod(idx, 12)
            if m + 1 in s.months and date(y, m + 1, 1) <= GENERATION_END:
                out.add(_month_expiry(root, s, y, m + 1))
    return sorted(d for d in out if d is not None and lo <= d <= end)


def expiries_between(product_root: str, start: date, end: date) -> list[date]:
    """Every expiry of the product in [start, end] that existed historically (listing ignored).

    Raises ValueError for an unknown root or dates outside 2005-01-01..2035-11-30.
    """
    root = _root(product_root)
    _check_date(start, "start")
    _check_date(end, "end")
    out: set[date] = set()
    for s in SERIES[root]:
        out.update(_series_dates(root, s, start, end))
    return sorted(out)


def has_expiry(product_root: str, d: date) -> bool:
    """True when the product had (has, by its rules) an option expiry on d.

    Example: has_expiry('SPY', date(2024, 3, 28)) is True (Good Friday roll). Raises ValueError
    for an unknown root or a date outside the supported range.
    """
    return d in expiries_between(product_root, d, d)


@lru_cache(maxsize=8192)
def _listed(root: str, as_of: date, max_dte: int) -> tuple[date, ...]:
    end = min(as_of + timedelta(days=max_dte), GENERATION_END)
    out: set[date] = set()
    for s in SERIES[root]:
        if as_of < s.listed_from:
            continue
        horizon = era(s.horizon, as_of)
        if horizon is not None:
            out.update(_series_dates(root, s, as_of, min(end, as_of + timedelta(days=horizon))))
            continue
        n = era(s.count, as_of) or 0
        span = timedelta(days=31 * (12 // len(s.months)) * (n + 1))
        upcoming = _series_dates(root, s, as_of, min(GENERATION_END, as_of + span))[:n]
        out.update(d for d in upcoming if d <= end)
    return tuple(sorted(out))


def options_listed_from(product_root: str) -> date:
    """The first day the product's options were listed (its earliest series' listing date; 2005-01-01,
    the start of the history, for products listed before it). Examples: MES 2020-08-31, MCL
    2022-06-06, MGC 2023-10-02 (module notes). Raises ValueError for an unknown root."""
    return min(s.listed_from for s in SERIES[_root(product_root)])


def listed_expiries(product_root: str, as_of: date, max_dte: int) -> list[date]:
    """Expiries listed (tradable) on as_of with 0 <= days to expiry <= max_dte, ascending.

    Includes as_of itself when an expiry is that day (0 DTE). Follows the listing model in the
    module notes. Empty before a product's launch. Raises ValueError for an unknown root, a bad
    as_of, or max_dte outside 0..3650 (calendar days).
    """
    root = _root(product_root)
    _check_date(as_of, "as_of")
    if not 0 <= xc.require_int(max_dte, "max_dte") <= MAX_DTE:
        raise ValueError(f"max_dte must be 0..{MAX_DTE} calendar days, got {max_dte}")
    return list(_listed(root, as_of, max_dte))
