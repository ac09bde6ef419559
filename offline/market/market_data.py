"""The project's market data format, its validation, and the in-memory `MarketData`.

Format (one folder, the layout of ../shared/data; files are found by pattern, other files are
ignored). Dates are exchange trading dates `YYYY-MM-DD`; prices are USD per unit.

====================================  =====================================================
daily/<SYMBOL>.csv                    `date,open,high,low,close[,volume]`, SYMBOL = 1-6
                                      capital letters. SPY.csv is required (it defines the
                                      NYSE sessions); raw (unadjusted) prices.
daily/VIX_cboe.csv                    required; columns as above plus `nyse_session` (1 on NYSE
                                      sessions, 0 on the CBOE-only rows such as holidays and
                                      2025-01-09). Only `nyse_session == 1` rows are used.
daily/<ROOT>_front_month.csv          continuous front-month futures (not back-adjusted),
                                      ROOT = 1-3 capital letters; roll jumps: offline.market.futures_roll
daily/<INDEX>_cboe.csv                optional; CBOE's VIX9D, VIX3M, VIX6M (columns as VIX_cboe):
                                      with the VIX, the ATM term structure of the chain model
                                      on the sessions where all four have a valid row
daily/ETF_dividends_derived.csv       optional; `ticker,ex_date,dividend` (USD per share)
intraday/SPY_1min*.csv.gz             optional; `ts_et,open,high,low,close[,volume]`, `ts_et` =
                                      bar start `YYYY-MM-DD HH:MM` US/Eastern
rates/DGS3MO_daily.csv                required; `date,DGS3MO` (3-month T-bill yield, percent;
                                      holidays omitted)
SYNTHETIC.txt                         present only in generated sample markets (source label)
====================================  =====================================================

Rules (each break raises `MarketDataError` naming the file, the line and the problem). The
structural rules hold for the whole file; the value rules only for the rows a run reads (the
window and its look-back), so a bad row years outside the run (CBOE's VIX of 2004-11-08 has
an open of 2.58) is never a reason to stop:

* structural: every required column present; every date parses; dates strictly increasing (no
  duplicate, no unsorted row);
* values: every price a finite number;
* ETF and VIX prices > 0 and low <= open, close <= high; VIX inside [VIX_VALID_MIN,
  VIX_VALID_MAX] of config.constants. Futures prices may be <= 0 (CL settled at -37.63 on
  2020-04-20); a futures bar whose open or close lies outside its high-low range (a few ZB/ZN
  rows) is widened to include them, and a note says so;
* every ETF file has a row on every SPY session of the loaded window;
* the rate is finite and inside [-5, 30] percent; dividends are > 0 with unique ex-dates.

Traps handled: intraday bars after the close of a half day (13:00) and the 16:00 bar (it holds
post-close prints) are dropped, so a session is 09:30..15:59 (390 bars) or 09:30..12:59 (210
bars) and the 15:59 close is the close proxy. A session with no VIX row is reported in
`vix_missing_days` and in the notes: SPEC section 2 allows no new entries that day.
"""
from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from core.types import DailyBars
from helpers.exchange_calendar import FIRST_DATE as CALENDAR_FIRST
from helpers.exchange_calendar import LAST_DATE as CALENDAR_LAST
from helpers.exchange_calendar import nyse_sessions
from offline.market.daily_files import (
    Dividends,
    load_dividends,
    load_rates,
    load_term_closes,
    load_vix,
    read_bars,
    require_sessions,
    window_bars,
)
from offline.market.data_files import DataIssue, MarketDataError
from offline.market.futures_roll import FuturesSeries, build_futures_series
from offline.market.minute_files import MinuteBars, load_minutes
from offline.market.volatility_surface import TERM_INDICES, VolatilityTerm

DIVIDEND_HISTORY_START = np.datetime64("2015-01-02")  # first day of the shared data's dividends
DEFAULT_HISTORY_DAYS = 400  # calendar days loaded before `start` for realised vol and IV rank
SYNTHETIC_MARKER = "SYNTHETIC.txt"
_SYMBOL_FILE = re.compile(r"^([A-Z]{1,6})\.csv$")
SPX_FILE = "SPX_index.csv.gz"
_FUTURES_FILE = re.compile(r"^([A-Z]{1,3})_front_month\.csv$")


@dataclass(frozen=True)
class MarketData:
    """Validated market data for [history_start, end] (daily) and [start, end] (minute bars).

    `sessions` are the SPY sessions (datetime64[D]). `daily` holds the ETFs by symbol, `vix`
    the NYSE-session VIX bars, `futures` the front-month series by root, `rate_dates` and
    `rates` the DGS3MO observations as continuous rates r = ln(1 + y/100), `minute_bars` the
    real SPY minute bars by session. `source` is "synthetic" for a generated sample market and
    "real" otherwise; `notes` lists what the loader adjusted or found missing.
    """

    source: str
    data_dir: Path
    start: date
    end: date
    history_start: date
    sessions: np.ndarray
    daily: dict[str, DailyBars]
    vix: DailyBars
    vix_missing_days: tuple[date, ...]
    futures: dict[str, FuturesSeries]
    rate_dates: np.ndarray
    rates: np.ndarray
    dividends: dict[str, Dividends]
    minute_bars: dict[date, MinuteBars]
    notes: tuple[str, ...] = field(default=())
    data_issues: tuple[DataIssue, ...] = field(default=())
    term_indices: dict[str, DailyBars] = field(default_factory=dict)  # "VIX9D", "VIX3M", "VIX6M"

    def bad_days(self, series: str) -> frozenset[date]:
        """Sessions whose row of `series` ("SPY", "VIX", a futures root...) had an impossible value."""
        return frozenset(date.fromisoformat(i.date) for i in self.data_issues if i.series == series)

    def bars(self, symbol: str) -> DailyBars:
        """Daily bars of an ETF, "VIX", or a futures root (raw prices); KeyError names it."""
        if symbol == "VIX":
            return self.vix
        if symbol in self.daily:
            return self.daily[symbol]
        if symbol in self.futures:
            return self.futures[symbol].bars
        raise KeyError(f"no daily data for {symbol!r}; have {sorted(self.daily) + ['VIX'] + sorted(self.futures)}")

    def rate_on(self, day: date) -> float:
        """Continuous risk-free rate (fraction per year) on `day`, forward-filled over holidays.

        Raises ValueError when no rate is known on or before `day`.
        """
        index = int(np.searchsorted(self.rate_dates, np.datetime64(day, "D"), side="right")) - 1
        if index < 0:
            raise ValueError(f"no DGS3MO rate on or before {day}")
        return float(self.rates[index])

    def volatility_term(self, day: date) -> VolatilityTerm | None:
        """The closes of VIX9D, VIX, VIX3M and VIX6M on `day` (the market's ATM term structure), or
        None when one of them has no valid row that day (the chain model then uses its own)."""
        closes = []
        for name in TERM_INDICES:
            bars = self.vix if name == "VIX" else self.term_indices.get(name)
            if bars is None:
                return None
            index = int(np.searchsorted(bars.dates, np.datetime64(day, "D")))
            if index >= len(bars.dates) or bars.dates[index] != np.datetime64(day, "D"):
                return None
            closes.append(float(bars.close[index]) / 100.0)
        return VolatilityTerm((closes[0], closes[1], closes[2], closes[3]))

    def vix_available(self, day: date) -> bool:
        """True when the VIX file has an NYSE-session row for `day`."""
        index = int(np.searchsorted(self.vix.dates, np.datetime64(day, "D")))
        return index < len(self.vix.dates) and self.vix.dates[index] == np.datetime64(day, "D")


def load_market_data(data_dir: str | Path, start: date | str, end: date | str,
                     history_days: int = DEFAULT_HISTORY_DAYS, strict: bool = False) -> MarketData:
    """Load and validate the market data folder for sessions start..end (both inclusive).

    Daily series also keep `history_days` calendar days before `start`. File structure is
    validated over the whole file, values over the loaded rows only. An impossible value in a
    daily row (not a finite number, a price <= 0, a VIX outside its range, open or close outside
    high-low) is a `data_issues` entry and the row is repaired (a VIX row is dropped, so the day
    counts as a missing VIX day), unless `strict`: then it raises MarketDataError like a broken
    file. Raises MarketDataError (missing or broken file, no SPY session in the window) and
    ValueError (start after end, bad date text).
    """
    root = Path(data_dir)
    start_day, end_day = _as_date(start, "start"), _as_date(end, "end")
    if start_day > end_day:
        raise ValueError(f"start {start_day} is after end {end_day}")
    history_start = date.fromordinal(start_day.toordinal() - int(history_days))
    lo, hi = np.datetime64(history_start, "D"), np.datetime64(end_day, "D")
    notes: list[str] = []
    issues: list[DataIssue] | None = None if strict else []
    daily_dir = root / "daily"
    spy_file = read_bars(daily_dir / "SPY.csv", "etf", lo, hi, issues=issues)[0]
    spy = window_bars(spy_file, lo, hi)
    window_sessions = spy.dates[spy.dates >= np.datetime64(start_day, "D")]
    if len(window_sessions) == 0 or _sessions_before_file(start_day, end_day, spy_file.dates[0]):
        raise MarketDataError(daily_dir / "SPY.csv", None, f"the window {start_day}..{end_day} starts before the "
                              f"file's first date {spy_file.dates[0]} (it covers {spy_file.dates[0]}..{spy_file.dates[-1]})"
                              if len(window_sessions) else f"no session between {start_day} and {end_day}; "
                              f"the file covers {spy_file.dates[0]}..{spy_file.dates[-1]}")
    daily = {"SPY": spy}
    for path in _matching(daily_dir, _SYMBOL_FILE):
        symbol = _SYMBOL_FILE.match(path.name).group(1)  # type: ignore[union-attr]
        if symbol != "SPY":
            daily[symbol] = window_bars(read_bars(path, "etf", lo, hi, issues=issues)[0], lo, hi)
            require_sessions(path, daily[symbol].dates, spy.dates)
    spx_file = daily_dir / SPX_FILE
    if spx_file.is_file():  # the S&P 500 index: SPX/SPXW options (the box spread, the weekly butterfly)
        daily["SPX"] = window_bars(read_bars(spx_file, "etf", lo, hi, issues=issues)[0], lo, hi)
        require_sessions(spx_file, daily["SPX"].dates, spy.dates)
    vix, vix_missing = load_vix(daily_dir / "VIX_cboe.csv", spy.dates, lo, hi, start_day, notes, issues)
    term_indices = {name: load_term_closes(daily_dir / f"{name}_cboe.csv", spy.dates, lo, hi, issues)
                    for name in TERM_INDICES if name != "VIX" and (daily_dir / f"{name}_cboe.csv").is_file()}
    futures = {}
    for path in _matching(daily_dir, _FUTURES_FILE):
        futures_root = _FUTURES_FILE.match(path.name).group(1)  # type: ignore[union-attr]
        bars = window_bars(read_bars(path, "futures", lo, hi, notes, issues=issues)[0], lo, hi)
        futures[futures_root] = build_futures_series(futures_root, bars, notes)
    rate_dates, rates = load_rates(root / "rates" / "DGS3MO_daily.csv", spy.dates[0], hi)
    dividends = load_dividends(daily_dir / "ETF_dividends_derived.csv", notes)
    minute_bars = load_minutes(root / "intraday", spy.dates, start_day, end_day, notes)
    source = "synthetic" if (root / SYNTHETIC_MARKER).is_file() else "real"
    found = tuple(DataIssue(os.path.relpath(i.file, root), i.line, i.date, i.problem) for i in issues or [])
    return MarketData(source, root, start_day, end_day, history_start, spy.dates, daily, vix,
                      vix_missing, futures, rate_dates, rates, dividends, minute_bars, tuple(notes), found,
                      term_indices)


def _sessions_before_file(start: date, end: date, first_row: np.datetime64) -> bool:
    """True when an NYSE session of start..end falls before the file's first row. Only days the
    calendar knows are asked (a file may begin years before it, as Yahoo's SPY history does)."""
    last = min(end, date.fromisoformat(str(first_row - np.timedelta64(1, "D"))), CALENDAR_LAST)
    first = max(start, CALENDAR_FIRST)
    return first <= last and bool(nyse_sessions(first, last))


def _as_date(value: date | str, name: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{name} {value!r} is not a date YYYY-MM-DD") from None


def _matching(folder: Path, pattern: re.Pattern[str]) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and pattern.match(p.name))


def index_on(dates: np.ndarray, as_of: date, what: str) -> int:
    """Index of `as_of` in the sorted datetime64[D] `dates`; ValueError naming `what` if absent."""
    index = int(np.searchsorted(dates, np.datetime64(as_of, "D")))
    if index >= len(dates) or dates[index] != np.datetime64(as_of, "D"):
        raise ValueError(f"no {what} close on {as_of} in the market data")
    return index


def dividend_yield(market: MarketData, ticker: str, as_of: date) -> float:
    """ln(1 + D / close) of an ETF on as_of, D its trailing 12 months of dividends; with less than
    a year of dividend history before as_of (the shared data start 2015-01-02), the next 12 months
    instead (dividends are announced and well forecast, so this is close to what the market
    priced). 0.0 for a ticker without dividend data. Raises ValueError if the ETF has no close on
    as_of."""
    divs = market.dividends.get(ticker)
    if divs is None:
        return 0.0
    bars = market.bars(ticker)
    price = float(bars.close[index_on(bars.dates, as_of, ticker)])
    day, year = np.datetime64(as_of, "D"), np.timedelta64(365, "D")
    if day - year >= DIVIDEND_HISTORY_START:
        paid = divs.amounts[(divs.ex_dates > day - year) & (divs.ex_dates <= day)].sum()
    else:
        paid = divs.amounts[(divs.ex_dates > day) & (divs.ex_dates <= day + year)].sum()
    return math.log(1.0 + float(paid) / price)

