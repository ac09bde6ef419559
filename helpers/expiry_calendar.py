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

Listing model (`listed_expiries`): each product is a set of series. A series is listed on
as_of either within a horizon of calendar days (weeklies) or as its next N unexpired expiries
(monthlies, quarterlies, LEAPs), from the date the series started. Calibrated on the full SPY
chain of 2015-01-05 (reproduced exactly: weeklies 6 weeks out, the next 4 third-Friday months,
the next 8 Mar/Jun/Sep/Dec, the next 3 Januaries and Decembers, the next 4 quarter ends), the
LEAN SPX chains of 2015-12-22/23 and the LEAN SPY/SPXW/ES samples. Where real listings were
uncertain the horizons are conservative (fewer expiries rather than expiries that did not
exist). Not modelled: weeklies on CL/GC, CME PM quarterlies, non-standard/adjusted roots.
CME special days (cme_calendar.CME_SPECIAL_SESSIONS) are not business days, so an
expiry on 2018-12-05 or 2025-01-09 moves to the day before, as CME announced.

Series start dates (sources; "assumed" where only the month or year could be found):
- Before 2015 (history from 2005): ETF, SPX, ES/NQ quarterly and serial monthlies, LEAPs and
  CL/GC monthlies existed throughout and use the listing counts calibrated in 2015.
  SPXW Fridays: Cboe SPX Weeklys from October 2005 (listed Friday 2005-10-28, first expiry
  2005-11-04, assumed), one week ahead and not in the standard expiration week; ETF Weeklys on
  SPY, QQQ(Q) and IWM from Friday 2010-06-04 (Cboe release of 2010-06-03), first expiry
  2010-06-11, one week ahead. Both keep the one-week horizon until 2014 (assumed: when Cboe
  extended it is not verified; the 2015 chains show the 6-week horizon). ETF end-of-quarter
  options (Cboe Quarterlys) from July 2006 (day assumed 2006-07-03, first expiry 2006-09-29).
  SPX end-of-quarter (SPXQ, under SPXW from 2014-07-03) from 2007-02-21 (Cboe), first expiry
  2007-03-30; SPXW end-of-month from 2014-07-07 (Cboe), first expiry 2014-07-31.
  ES end-of-month options from 2006-05-22 (CME launch of Sunday 2006-05-21), first expiry
  2006-05-31; ES Friday weeklies from 2009-08-24 on the first and second Fridays of the month
  (CME release of 2009-07-15; first expiry assumed 2009-09-04); every Friday from 2015
  (calibrated; the earlier CME extension was not verified). NQ: quarterly and serial options
  throughout; weeklies and end-of-month options only from 2015 (conservative: their start,
  around 2010, was not verified).
- SPXW Wednesday: listed 2016-02-23, first expiry 2016-03-02 (Cboe). Monday: listed 2016-08-15,
  first 2016-08-22 (Cboe). Tuesday: listed 2022-04-18, first 2022-04-26; Thursday: listed
  2022-05-11, first 2022-05-19 (Cboe; the Thursday first expiry is assumed). SPXW PM third
  Fridays and end-of-month expiries are assumed available throughout 2015+.
- SPY Wednesday: listed from 2016-09-07 (MIAX alert; Cboe/ISE filings of 2016-08-24/26);
  first expiry assumed 2016-09-14. SPY Monday: listed from 2018-02-16 (Cboe); first expiry
  assumed 2018-02-26. SPY and QQQ Tuesday/Thursday: listed from 2022-11-14/2022-11-16 (exchange
  filings Sep-Nov 2022); first expiries assumed 8 days after listing as for the SPXW launches
  (Tuesday 2022-11-22; Thursday 2022-11-24 is Thanksgiving, so 2022-12-01). From then on SPY
  and QQQ have an expiry every session.
- QQQ Monday/Wednesday: listed from 2021-04-26 (assumed; Phlx approval 2021-04-20, ISE filing
  2021-04-21), first expiries assumed a week later. IWM Monday/Wednesday: listed from
  2021-10-04 (assumed; Nasdaq filing 2021-09-30), first expiries a week later. IWM
  Tuesday/Thursday expiries (added later, date not verified) are not modelled.
- ES: Wednesday listed 2016-09-26 (first 2016-10-05); Monday
  listed 2017-04-03 (first 2017-04-17); Tuesday/Thursday from 2022-04-25 (CME). Monday and
  Wednesday listings were extended from 2 to 4 weeks on 2019-07-29.
- NQ: Monday/Wednesday from 2021-03-01 (assumed, CME launched
  them in 2021); Tuesday/Thursday from 2022-10-03 (CME).
- MES/MNQ options launched 2020-08-31 (quarterly, serial, Friday weekly, end of month);
  Monday-Thursday expiries from 2023-02-27 (assumed day; CME says February 2023).
- CL (LO): expires 3 business days before the CL futures last trade, which is 3 business days
  before the 25th of the month before the contract month (4 when the 25th is not a business
  day; `cl_futures_last_trade`). This is the rule of the CME spec for the 2015-2022 data
  window; CME may have changed LO expiry later (not verified). MCL monthly options (from
  2022-06-06) expire with LO.
- GC (OG): the 4th last business day of the month before the option month, moved to the
  previous business day when that is a Friday or the day before a holiday (CME spec).
  MGC options (from 2023-10-02) are assumed to follow the OG schedule.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from config.constants import option_ticker_roots, product_spec
from helpers import exchange_calendar as xc
from helpers.cme_calendar import is_cme_trading_date

ALL_MONTHS = tuple(range(1, 13))
QUARTER_MONTHS = (3, 6, 9, 12)
FIRST_DATE = date(2005, 1, 1)  # first date of the expiry history
_EPOCH = date(2015, 1, 1)
_GEN_END = date(xc.LAST_YEAR, 11, 30)  # generation stops here (rolls need room at the end)
_MAX_DTE = 3650

ALIASES = option_ticker_roots()  # the exchange's option tickers ("LO", "OG") -> the product root


@dataclass(frozen=True)
class _Series:
    """One expiry series. kind: weekday | third_friday | month_end | cl | gc.

    listed_from: first date the series was listed; first_expiry / last_expiry: earliest and
    latest expiry it had (None: no bound). weeks: for weekday series, which occurrences of the
    weekday in the month (before a holiday roll) the series has.
    horizon / count: ((from_date, value), ...) eras; listed when dte <= horizon, or when the
    expiry is among the next `count` unexpired expiries of the series.
    """

    kind: str
    weekday: int = 4
    roll: str = "previous"
    months: tuple[int, ...] = ALL_MONTHS
    listed_from: date = FIRST_DATE
    first_expiry: date | None = None
    horizon: tuple[tuple[date, int], ...] = ()
    count: tuple[tuple[date, int], ...] = ()
    last_expiry: date | None = None
    weeks: tuple[int, ...] = (1, 2, 3, 4, 5)


def _era(value: tuple[tuple[date, int], ...], as_of: date) -> int | None:
    chosen = None
    for start, v in value:
        if as_of >= start:
            chosen = v
    return chosen


def _weekly(weekday: int, roll: str, listed_from: date = _EPOCH, first_expiry: date | None = None,
            horizon: tuple[tuple[date, int], ...] | None = None, *, last_expiry: date | None = None,
            weeks: tuple[int, ...] = (1, 2, 3, 4, 5)) -> _Series:
    return _Series("weekday", weekday, roll, listed_from=listed_from, first_expiry=first_expiry,
                   horizon=((listed_from, 35),) if horizon is None else horizon, last_expiry=last_expiry,
                   weeks=weeks)


def _cnt(n: int, since: date = FIRST_DATE) -> tuple[tuple[date, int], ...]:
    return ((since, n),)


_D = date
_FRI = _weekly(xc.FRIDAY, "previous", horizon=((_EPOCH, 42),))
_ONE_WEEK_ERA_END = _D(2014, 12, 31)  # last expiry of the one-week era (assumed, see the notes)
# SPX Weeklys (Cboe, October 2005): listed on a Friday to expire the next Friday, not in the
# standard expiration week; AM-settled at first (the date is the settlement Friday, as for SPX).
_SPXW_ONE_WEEK = _weekly(xc.FRIDAY, "previous", _D(2005, 10, 28), _D(2005, 11, 4), ((_D(2005, 10, 28), 7),),
                         last_expiry=_ONE_WEEK_ERA_END, weeks=(1, 2, 4, 5))
_ETF_WEEKLY_LAUNCH = (_D(2010, 6, 4), _D(2010, 6, 11))  # Cboe ETF Weeklys on SPY, QQQ(Q), DIA, IWM
_ETF_ONE_WEEK = _weekly(xc.FRIDAY, "previous", *_ETF_WEEKLY_LAUNCH, ((_ETF_WEEKLY_LAUNCH[0], 7),),
                        last_expiry=_ONE_WEEK_ERA_END)
_ETF_QUARTERLY = (_D(2006, 7, 3), _D(2006, 9, 29))  # Cboe Quarterlys on ETFs, July 2006


def _etf(mon: tuple[date, date] | None, wed: tuple[date, date] | None,
         tue: tuple[date, date] | None, thu: tuple[date, date] | None) -> tuple[_Series, ...]:
    """ETF series; mon/wed/tue/thu are (listed_from, first_expiry) or None when not listed."""
    series = [
        _ETF_ONE_WEEK,
        _FRI,
        _Series("third_friday", count=_cnt(4)),
        _Series("third_friday", months=QUARTER_MONTHS, count=_cnt(8)),
        _Series("third_friday", months=(1,), count=_cnt(3)),
        _Series("third_friday", months=(12,), count=_cnt(3)),
        _Series("month_end", months=QUARTER_MONTHS, listed_from=_ETF_QUARTERLY[0], first_expiry=_ETF_QUARTERLY[1],
                count=_cnt(4, _ETF_QUARTERLY[0])),
    ]
    if mon is not None:
        series.append(_weekly(xc.MONDAY, "next", *mon))
    if wed is not None:
        series.append(_weekly(xc.WEDNESDAY, "previous", *wed))
    for weekday, start in ((xc.TUESDAY, tue), (xc.THURSDAY, thu)):
        if start is not None:
            series.append(_weekly(weekday, "skip", *start, horizon=((_EPOCH, 14),)))
    return tuple(series)


_ETF_TUE = (_D(2022, 11, 14), _D(2022, 11, 22))
_ETF_THU = (_D(2022, 11, 16), _D(2022, 11, 24))

_MON_WED_HORIZON = ((_EPOCH, 14), (_D(2019, 7, 29), 28))


def _cme_equity(launch: date, quarterlies: int, serial: tuple[tuple[date, int], ...], fri_horizon: int,
                mon: tuple[date, date | None] | None, wed: tuple[date, date | None] | None,
                tue_thu: date | None, eom: tuple[date, date | None] | None = None,
                weekly: date | None = None) -> tuple[_Series, ...]:
    """CME equity-index series. launch: quarterly and serial options; eom: (listed_from,
    first_expiry) of end-of-month options (default: launch); weekly: first listing of Friday
    weeklies on every Friday (default: launch)."""
    eom_from, eom_first = eom or (launch, None)
    weekly_from = weekly or launch
    series = [
        _weekly(xc.FRIDAY, "previous", weekly_from, horizon=((weekly_from, fri_horizon),)),
        _Series("third_friday", months=QUARTER_MONTHS, listed_from=launch, count=_cnt(quarterlies, launch)),
        _Series("third_friday", listed_from=launch, count=serial),
        _Series("month_end", listed_from=eom_from, first_expiry=eom_first, count=_cnt(3, eom_from)),
    ]
    if mon is not None:
        series.append(_weekly(xc.MONDAY, "next", mon[0], mon[1], _MON_WED_HORIZON))
    if wed is not None:
        series.append(_weekly(xc.WEDNESDAY, "previous", wed[0], wed[1], _MON_WED_HORIZON))
    if tue_thu is not None:
        series.append(_weekly(xc.TUESDAY, "skip", tue_thu, horizon=((tue_thu, 14),)))
        series.append(_weekly(xc.THURSDAY, "skip", tue_thu, horizon=((tue_thu, 14),)))
    return tuple(series)


_MICRO_LAUNCH = _D(2020, 8, 31)
_MICRO_DAILY = _D(2023, 2, 27)
# ES/SP weeklies (CME, trading from 2009-08-24): first and second Fridays of the month only;
# first expiry assumed 2009-09-04. Every Friday from 2015 (calibrated; the earlier date of the
# week-3/4 listings was not verified).
_ES_EARLY_WEEKLY = _weekly(xc.FRIDAY, "previous", _D(2009, 8, 24), _D(2009, 9, 4), ((_D(2009, 8, 24), 35),),
                           last_expiry=_ONE_WEEK_ERA_END, weeks=(1, 2))

_PRODUCTS: dict[str, tuple[_Series, ...]] = {
    "SPY": _etf((_D(2018, 2, 16), _D(2018, 2, 26)), (_D(2016, 9, 7), _D(2016, 9, 14)), _ETF_TUE, _ETF_THU),
    "QQQ": _etf((_D(2021, 4, 26), _D(2021, 5, 3)), (_D(2021, 4, 26), _D(2021, 5, 5)), _ETF_TUE, _ETF_THU),
    "IWM": _etf((_D(2021, 10, 4), _D(2021, 10, 11)), (_D(2021, 10, 4), _D(2021, 10, 13)), None, None),
    "SPX": (
        _Series("third_friday", count=_cnt(4)),
        _Series("third_friday", months=QUARTER_MONTHS, count=_cnt(4)),
        _Series("third_friday", months=(6, 12), count=_cnt(4)),
        _Series("third_friday", months=(1,), count=_cnt(2)),
        _Series("third_friday", months=(12,), count=_cnt(3)),
    ),
    "SPXW": (
        _SPXW_ONE_WEEK,
        _FRI,
        _weekly(xc.WEDNESDAY, "previous", _D(2016, 2, 23), _D(2016, 3, 2)),
        _weekly(xc.MONDAY, "next", _D(2016, 8, 15), _D(2016, 8, 22)),
        _weekly(xc.TUESDAY, "skip", _D(2022, 4, 18), _D(2022, 4, 26), ((_EPOCH, 21),)),
        _weekly(xc.THURSDAY, "skip", _D(2022, 5, 11), _D(2022, 5, 19), ((_EPOCH, 21),)),
        _Series("month_end", listed_from=_D(2014, 7, 7), first_expiry=_D(2014, 7, 31), count=_cnt(3, _D(2014, 7, 7))),
        _Series("month_end", months=QUARTER_MONTHS, listed_from=_D(2007, 2, 21), first_expiry=_D(2007, 3, 30),
                count=_cnt(4, _D(2007, 2, 21))),
    ),
    "ES": (_ES_EARLY_WEEKLY,
           *_cme_equity(FIRST_DATE, 4, _cnt(3), 35, (_D(2017, 4, 3), _D(2017, 4, 17)),
                        (_D(2016, 9, 26), _D(2016, 10, 5)), _D(2022, 4, 25),
                        eom=(_D(2006, 5, 22), _D(2006, 5, 31)), weekly=_EPOCH)),
    "NQ": _cme_equity(FIRST_DATE, 4, _cnt(3), 35, (_D(2021, 3, 1), None), (_D(2021, 3, 1), None),
                      _D(2022, 10, 3), eom=(_EPOCH, None), weekly=_EPOCH),
    "CL": (_Series("cl", count=_cnt(36)),),
    "MCL": (_Series("cl", listed_from=_D(2022, 6, 6), count=_cnt(12, _D(2022, 6, 6))),),
    "GC": (_Series("gc", count=_cnt(20)),),
    "MGC": (_Series("gc", listed_from=_D(2023, 10, 2), count=_cnt(20, _D(2023, 10, 2))),),
}
_PRODUCTS["MES"] = _cme_equity(_MICRO_LAUNCH, 2, ((_MICRO_LAUNCH, 2), (_MICRO_DAILY, 6)), 35,
                               (_MICRO_DAILY, None), (_MICRO_DAILY, None), _MICRO_DAILY)
_PRODUCTS["MNQ"] = _cme_equity(_MICRO_LAUNCH, 2, ((_MICRO_LAUNCH, 2), (_MICRO_DAILY, 3)), 35,
                               (_MICRO_DAILY, None), (_MICRO_DAILY, None), _MICRO_DAILY)

PRODUCTS = tuple(sorted(_PRODUCTS))
CME_ROOTS = frozenset(root for root in PRODUCTS if product_spec(root).calendar == "CME")


# ----------------------------------------------------------------------------- helpers
def _root(product_root: object) -> str:
    if not isinstance(product_root, str):
        raise TypeError(f"product_root must be a string such as 'SPY', got {product_root!r}")
    root = product_root.strip().lstrip("/").upper()
    root = ALIASES.get(root, root)
    if root not in _PRODUCTS:
        raise ValueError(f"product_root={product_root!r} is not one of {', '.join(PRODUCTS)}")
    return root


def _check_date(d: object, name: str) -> date:
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"{name} must be a datetime.date (not a datetime), got {d!r}")
    if not FIRST_DATE <= d <= _GEN_END:
        raise ValueError(f"{name}={d} is outside the supported range {FIRST_DATE}..{_GEN_END}")
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
    if not FIRST_DATE.year <= xc.require_int(year, "year") <= _GEN_END.year or (year, month) == (FIRST_DATE.year, 1):
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
    if not FIRST_DATE.year <= xc.require_int(year, "year") <= _GEN_END.year:
        raise ValueError(f"year={year} is outside {FIRST_DATE.year}..{_GEN_END.year}")
    kind = _PRODUCTS[root][0].kind
    if kind == "cl":
        return _cl_option_expiry(root, year, month)
    if kind == "gc":
        return _gc_option_expiry(root, year, month)
    return _previous_or_same(root, third_friday(year, month))


def _roll(root: str, s: _Series, d: date) -> date | None:
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


def _month_expiry(root: str, s: _Series, y: int, m: int) -> date | None:
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


def _series_dates(root: str, s: _Series, start: date, end: date) -> list[date]:
    """Expiries of one series within [start, end] that existed (>= first expiry), ascending."""
    lo = max(start, s.first_expiry or s.listed_from)
    end = min(end, s.last_expiry or end)
    out: set[date | None] = set()
    if s.kind == "weekday":
        d = lo - timedelta(days=7 + (lo.weekday() - s.weekday) % 7)
        while d <= end + timedelta(days=7):
            if FIRST_DATE <= d <= _GEN_END and xc.weekday_occurrence(d) in s.weeks:
                out.add(_roll(root, s, d))
            d += timedelta(days=7)
    else:
        # month index y*12+(m-1); CL/GC option months expire in the month before, hence +1
        for idx in range(lo.year * 12 + lo.month - 2, end.year * 12 + end.month + 1):
            y, m = divmod(idx, 12)
            if m + 1 in s.months and date(y, m + 1, 1) <= _GEN_END:
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
    for s in _PRODUCTS[root]:
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
    end = min(as_of + timedelta(days=max_dte), _GEN_END)
    out: set[date] = set()
    for s in _PRODUCTS[root]:
        if as_of < s.listed_from:
            continue
        horizon = _era(s.horizon, as_of)
        if horizon is not None:
            out.update(_series_dates(root, s, as_of, min(end, as_of + timedelta(days=horizon))))
            continue
        n = _era(s.count, as_of) or 0
        span = timedelta(days=31 * (12 // len(s.months)) * (n + 1))
        upcoming = _series_dates(root, s, as_of, min(_GEN_END, as_of + span))[:n]
        out.update(d for d in upcoming if d <= end)
    return tuple(sorted(out))


def options_listed_from(product_root: str) -> date:
    """The first day the product's options were listed (its earliest series' listing date; 2005-01-01,
    the start of the history, for products listed before it). Examples: MES 2020-08-31, MCL
    2022-06-06, MGC 2023-10-02 (module notes). Raises ValueError for an unknown root."""
    return min(s.listed_from for s in _PRODUCTS[_root(product_root)])


def listed_expiries(product_root: str, as_of: date, max_dte: int) -> list[date]:
    """Expiries listed (tradable) on as_of with 0 <= days to expiry <= max_dte, ascending.

    Includes as_of itself when an expiry is that day (0 DTE). Follows the listing model in the
    module notes. Empty before a product's launch. Raises ValueError for an unknown root, a bad
    as_of, or max_dte outside 0..3650 (calendar days).
    """
    root = _root(product_root)
    _check_date(as_of, "as_of")
    if not 0 <= xc.require_int(max_dte, "max_dte") <= _MAX_DTE:
        raise ValueError(f"max_dte must be 0..{_MAX_DTE} calendar days, got {max_dte}")
    return list(_listed(root, as_of, max_dte))
