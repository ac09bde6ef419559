"""Option expiry series per product: which series each product lists, since when and how far out
(the data behind helpers.expiry_calendar).

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
from datetime import date

from config.constants import option_ticker_roots, product_spec
from helpers import exchange_calendar as xc

ALL_MONTHS = tuple(range(1, 13))
QUARTER_MONTHS = (3, 6, 9, 12)
FIRST_DATE = date(2005, 1, 1)  # first date of the expiry history
_EPOCH = date(2015, 1, 1)
GENERATION_END = date(xc.LAST_YEAR, 11, 30)  # generation stops here (rolls need room at the end)
MAX_DTE = 3650

ALIASES = option_ticker_roots()  # the exchange's option tickers ("LO", "OG") -> the product root


@dataclass(frozen=True)
class Series:
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


def era(value: tuple[tuple[date, int], ...], as_of: date) -> int | None:
    chosen = None
    for start, v in value:
        if as_of >= start:
            chosen = v
    return chosen


def _weekly(weekday: int, roll: str, listed_from: date = _EPOCH, first_expiry: date | None = None,
            horizon: tuple[tuple[date, int], ...] | None = None, *, last_expiry: date | None = None,
            weeks: tuple[int, ...] = (1, 2, 3, 4, 5)) -> Series:
    return Series("weekday", weekday, roll, listed_from=listed_from, first_expiry=first_expiry,
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
         tue: tuple[date, date] | None, thu: tuple[date, date] | None) -> tuple[Series, ...]:
    """ETF series; mon/wed/tue/thu are (listed_from, first_expiry) or None when not listed."""
    series = [
        _ETF_ONE_WEEK,
        _FRI,
        Series("third_friday", count=_cnt(4)),
        Series("third_friday", months=QUARTER_MONTHS, count=_cnt(8)),
        Series("third_friday", months=(1,), count=_cnt(3)),
        Series("third_friday", months=(12,), count=_cnt(3)),
        Series("month_end", months=QUARTER_MONTHS, listed_from=_ETF_QUARTERLY[0], first_expiry=_ETF_QUARTERLY[1],
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
                weekly: date | None = None) -> tuple[Series, ...]:
    """CME equity-index series. launch: quarterly and serial options; eom: (listed_from,
    first_expiry) of end-of-month options (default: launch); weekly: first listing of Friday
    weeklies on every Friday (default: launch)."""
    eom_from, eom_first = eom or (launch, None)
    weekly_from = weekly or launch
    series = [
        _weekly(xc.FRIDAY, "previous", weekly_from, horizon=((weekly_from, fri_horizon),)),
        Series("third_friday", months=QUARTER_MONTHS, listed_from=launch, count=_cnt(quarterlies, launch)),
        Series("third_friday", listed_from=launch, count=serial),
        Series("month_end", listed_from=eom_from, first_expiry=eom_first, count=_cnt(3, eom_from)),
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

SERIES: dict[str, tuple[Series, ...]] = {
    "SPY": _etf((_D(2018, 2, 16), _D(2018, 2, 26)), (_D(2016, 9, 7), _D(2016, 9, 14)), _ETF_TUE, _ETF_THU),
    "QQQ": _etf((_D(2021, 4, 26), _D(2021, 5, 3)), (_D(2021, 4, 26), _D(2021, 5, 5)), _ETF_TUE, _ETF_THU),
    "IWM": _etf((_D(2021, 10, 4), _D(2021, 10, 11)), (_D(2021, 10, 4), _D(2021, 10, 13)), None, None),
    "SPX": (
        Series("third_friday", count=_cnt(4)),
        Series("third_friday", months=QUARTER_MONTHS, count=_cnt(4)),
        Series("third_friday", months=(6, 12), count=_cnt(4)),
        Series("third_friday", months=(1,), count=_cnt(2)),
        Series("third_friday", months=(12,), count=_cnt(3)),
    ),
    "SPXW": (
        _SPXW_ONE_WEEK,
        _FRI,
        _weekly(xc.WEDNESDAY, "previous", _D(2016, 2, 23), _D(2016, 3, 2)),
        _weekly(xc.MONDAY, "next", _D(2016, 8, 15), _D(2016, 8, 22)),
        _weekly(xc.TUESDAY, "skip", _D(2022, 4, 18), _D(2022, 4, 26), ((_EPOCH, 21),)),
        _weekly(xc.THURSDAY, "skip", _D(2022, 5, 11), _D(2022, 5, 19), ((_EPOCH, 21),)),
        Series("month_end", listed_from=_D(2014, 7, 7), first_expiry=_D(2014, 7, 31), count=_cnt(3, _D(2014, 7, 7))),
        Series("month_end", months=QUARTER_MONTHS, listed_from=_D(2007, 2, 21), first_expiry=_D(2007, 3, 30),
                count=_cnt(4, _D(2007, 2, 21))),
    ),
    "ES": (_ES_EARLY_WEEKLY,
           *_cme_equity(FIRST_DATE, 4, _cnt(3), 35, (_D(2017, 4, 3), _D(2017, 4, 17)),
                        (_D(2016, 9, 26), _D(2016, 10, 5)), _D(2022, 4, 25),
                        eom=(_D(2006, 5, 22), _D(2006, 5, 31)), weekly=_EPOCH)),
    "NQ": _cme_equity(FIRST_DATE, 4, _cnt(3), 35, (_D(2021, 3, 1), None), (_D(2021, 3, 1), None),
                      _D(2022, 10, 3), eom=(_EPOCH, None), weekly=_EPOCH),
    "CL": (Series("cl", count=_cnt(36)),),
    "MCL": (Series("cl", listed_from=_D(2022, 6, 6), count=_cnt(12, _D(2022, 6, 6))),),
    "GC": (Series("gc", count=_cnt(20)),),
    "MGC": (Series("gc", listed_from=_D(2023, 10, 2), count=_cnt(20, _D(2023, 10, 2))),),
}
SERIES["MES"] = _cme_equity(_MICRO_LAUNCH, 2, ((_MICRO_LAUNCH, 2), (_MICRO_DAILY, 6)), 35,
                               (_MICRO_DAILY, None), (_MICRO_DAILY, None), _MICRO_DAILY)
SERIES["MNQ"] = _cme_equity(_MICRO_LAUNCH, 2, ((_MICRO_LAUNCH, 2), (_MICRO_DAILY, 3)), 35,
                               (_MICRO_DAILY, None), (_MICRO_DAILY, None), _MICRO_DAILY)

PRODUCTS = tuple(sorted(SERIES))
CME_ROOTS = frozenset(root for root in PRODUCTS if product_spec(root).calendar == "CME")
