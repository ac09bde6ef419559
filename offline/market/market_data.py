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
import zlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from config.constants import VIX_VALID_MAX, VIX_VALID_MIN
from core.types import DailyBars
from helpers.exchange_calendar import FIRST_DATE as CALENDAR_FIRST
from helpers.exchange_calendar import LAST_DATE as CALENDAR_LAST
from helpers.exchange_calendar import nyse_sessions
from offline.market.futures_roll import FuturesSeries, build_futures_series
from offline.market.intraday_path import SESSION_OPEN_MINUTE, session_minutes
from offline.market.volatility_surface import TERM_INDICES, VolatilityTerm

PRICE_COLUMNS = ("open", "high", "low", "close")
RATE_PERCENT_RANGE = (-5.0, 30.0)
DIVIDEND_HISTORY_START = np.datetime64("2015-01-02")  # first day of the shared data's dividends
DEFAULT_HISTORY_DAYS = 400  # calendar days loaded before `start` for realised vol and IV rank
SYNTHETIC_MARKER = "SYNTHETIC.txt"
_SYMBOL_FILE = re.compile(r"^([A-Z]{1,6})\.csv$")
SPX_FILE = "SPX_index.csv.gz"
_FUTURES_FILE = re.compile(r"^([A-Z]{1,3})_front_month\.csv$")


class MarketDataError(Exception):
    """A market data file is missing or broken; str() is one line naming file, line and problem.

    Attributes: file (path), row (line number in the file, the header being line 1; None when
    the problem is not one line), problem (what is wrong).
    """

    def __init__(self, file: str | Path, row: int | None, problem: str) -> None:
        self.file = str(file)
        self.row = row
        self.problem = problem
        where = self.file if row is None else f"{self.file} line {row}"
        super().__init__(f"market data error: {where}: {problem}")


@dataclass(frozen=True)
class DataIssue:
    """An impossible value the run went past: the file (relative to the data folder once loaded),
    its line (the header is line 1), the row's date and the problem. The day is bad for that
    series: no new entries on it, positions marked at the last good value."""

    file: str
    line: int
    date: str
    problem: str

    @property
    def series(self) -> str:
        """The series of the file: "SPY", "VIX", "VIX6M", a futures root ("ES")..."""
        return Path(self.file).name.removesuffix(".csv").removesuffix("_front_month").removesuffix("_cboe")

    def to_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "date": self.date, "problem": self.problem}


@dataclass(frozen=True)
class MinuteBars:
    """Real 1-minute bars of one session; `minute` counts minutes since 09:30 (0 .. n-1)."""

    day: date
    minute: np.ndarray  # int64
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray


@dataclass(frozen=True)
class Dividends:
    """Cash dividends of one ticker: ex-dates (datetime64[D]) and amounts (USD per share)."""

    ex_dates: np.ndarray
    amounts: np.ndarray


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
    spy_file = _read_bars(daily_dir / "SPY.csv", "etf", lo, hi, issues=issues)[0]
    spy = _window(spy_file, lo, hi)
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
            daily[symbol] = _window(_read_bars(path, "etf", lo, hi, issues=issues)[0], lo, hi)
            _require_sessions(path, daily[symbol].dates, spy.dates)
    spx_file = daily_dir / SPX_FILE
    if spx_file.is_file():  # the S&P 500 index: SPX/SPXW options (the box spread, the weekly butterfly)
        daily["SPX"] = _window(_read_bars(spx_file, "etf", lo, hi, issues=issues)[0], lo, hi)
        _require_sessions(spx_file, daily["SPX"].dates, spy.dates)
    vix, vix_missing = _load_vix(daily_dir / "VIX_cboe.csv", spy.dates, lo, hi, start_day, notes, issues)
    term_indices = {name: _load_term_closes(daily_dir / f"{name}_cboe.csv", spy.dates, lo, hi, issues)
                    for name in TERM_INDICES if name != "VIX" and (daily_dir / f"{name}_cboe.csv").is_file()}
    futures = {}
    for path in _matching(daily_dir, _FUTURES_FILE):
        futures_root = _FUTURES_FILE.match(path.name).group(1)  # type: ignore[union-attr]
        bars = _window(_read_bars(path, "futures", lo, hi, notes, issues=issues)[0], lo, hi)
        futures[futures_root] = build_futures_series(futures_root, bars, notes)
    rate_dates, rates = _load_rates(root / "rates" / "DGS3MO_daily.csv", spy.dates[0], hi)
    dividends = _load_dividends(daily_dir / "ETF_dividends_derived.csv", notes)
    minute_bars = _load_minutes(root / "intraday", spy.dates, start_day, end_day, notes)
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


def read_table(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    """Read a CSV (or .csv.gz); MarketDataError if missing, unreadable, short of a column or empty."""
    if not path.is_file():
        raise MarketDataError(path, None, "required file is missing")
    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise MarketDataError(path, None, "file is empty") from None
    except pd.errors.ParserError as exc:
        found = re.search(r"line (\d+)", str(exc))
        raise MarketDataError(path, int(found.group(1)) if found else None,
                              f"malformed CSV ({str(exc).splitlines()[-1].strip()})") from None
    except (UnicodeDecodeError, OSError, EOFError, zlib.error) as exc:
        raise MarketDataError(path, None, f"cannot be read ({type(exc).__name__}: {exc})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise MarketDataError(path, 1, f"missing column {', '.join(missing)} (header: {','.join(frame.columns)})")
    if frame.empty:
        raise MarketDataError(path, None, "has a header but no data rows")
    return frame


def _raw_text(path: Path, column: str, index: int) -> str:
    """The field as written in the file (read again as text; only used to word an error)."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, usecols=[column])
    return str(raw[column].iloc[index])


def parse_numbers(path: Path, frame: pd.DataFrame, column: str, checked: np.ndarray | None = None) -> np.ndarray:
    """A column as float64; MarketDataError on the first value that is not a finite number
    (among the rows where the boolean mask `checked` is True; all rows by default)."""
    values = frame[column]
    if not pd.api.types.is_numeric_dtype(values):
        values = pd.to_numeric(values, errors="coerce")
    numbers = values.to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(numbers) & (True if checked is None else checked))
    if len(bad):
        i = int(bad[0])
        raise MarketDataError(path, i + 2, f"{column} value {_raw_text(path, column, i)!r} is not a finite number")
    return numbers


def parse_dates(path: Path, frame: pd.DataFrame, column: str, fmt: str = "%Y-%m-%d") -> np.ndarray:
    """A column of dates (or times with `fmt`) as datetime64; MarketDataError on a bad one."""
    parsed = pd.to_datetime(frame[column].astype(str), format=fmt, errors="coerce")
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if len(bad):
        i = int(bad[0])
        raise MarketDataError(path, i + 2, f"{column} {_raw_text(path, column, i)!r} does not match {fmt}")
    unit = "D" if fmt == "%Y-%m-%d" else "m"
    return parsed.to_numpy().astype(f"datetime64[{unit}]")


def require_increasing(path: Path, stamps: np.ndarray, what: str = "date") -> None:
    """MarketDataError at the first duplicate or out-of-order stamp."""
    steps = np.diff(stamps)
    bad = np.flatnonzero(steps <= np.timedelta64(0))
    if len(bad):
        i = int(bad[0]) + 1
        problem = "duplicate" if stamps[i] == stamps[i - 1] else "unsorted (earlier than the row before)"
        raise MarketDataError(path, i + 2, f"{what} {stamps[i]} is {problem}; {what}s must increase strictly")


def _read_bars(path: Path, kind: str, lo: np.datetime64, hi: np.datetime64, notes: list[str] | None = None,
               extra: tuple[str, ...] = (), issues: list[DataIssue] | None = None
               ) -> tuple[DailyBars, pd.DataFrame, np.ndarray]:
    """Read one daily OHLC file; kind is "etf", "vix" or "futures". The structure is validated over
    the whole file, the prices over the rows dated lo..hi (the rows a run reads).

    With `issues` None (strict) the first impossible value raises MarketDataError. Otherwise each
    row with one is recorded in `issues` (file, line, date, problem), left out of the checks, and
    repaired: a flat bar at the last good close (the next good open when none precedes it).
    Returns (bars, frame, bad) where `bad` flags the repaired rows."""
    frame = read_table(path, ("date",) + PRICE_COLUMNS + extra)
    dates = parse_dates(path, frame, "date")
    require_increasing(path, dates)
    checked = (dates >= lo) & (dates <= hi)
    bad = np.zeros(len(dates), dtype=bool)
    while True:
        try:
            bars = _checked_bars(path, frame, dates, kind, checked & ~bad, notes)
            break
        except MarketDataError as error:
            if issues is None or error.row is None:
                raise
            bad[error.row - 2] = True
            issues.append(DataIssue(str(path), error.row, str(dates[error.row - 2]), error.problem))
    return (_repaired(bars, bad) if bad.any() else bars), frame, bad


def _checked_bars(path: Path, frame: pd.DataFrame, dates: np.ndarray, kind: str, loaded: np.ndarray,
                  notes: list[str] | None) -> DailyBars:
    o, h, low, c = (parse_numbers(path, frame, col, loaded) for col in PRICE_COLUMNS)
    if kind != "futures":
        for column, values in zip(PRICE_COLUMNS, (o, h, low, c)):
            _require_range(path, frame["date"], column, values, kind, loaded)
    with np.errstate(invalid="ignore"):
        outside = np.flatnonzero(loaded & ((h < np.maximum(o, c)) | (low > np.minimum(o, c)) | (h < low)))
    if len(outside) and (kind != "futures" or notes is None):
        i = int(outside[0])
        raise MarketDataError(path, i + 2, f"bar {dates[i]} is inconsistent: open {o[i]}, high {h[i]}, "
                              f"low {low[i]}, close {c[i]} (need low <= open, close <= high)")
    if len(outside) and notes is not None:
        h, low = np.maximum.reduce([h, o, c]), np.minimum.reduce([low, o, c])
        days = ", ".join(str(dates[i]) for i in outside[:5])
        notes.append(f"{path.name}: {len(outside)} bar(s) with open/close outside high-low widened ({days})")
    return DailyBars(dates, o, h, low, c)


def _repaired(bars: DailyBars, bad: np.ndarray) -> DailyBars:
    """The bars with each bad row replaced by a flat bar at the last good close (or the next good
    open when no good row precedes it)."""
    o, h, low, c = (a.copy() for a in (bars.open, bars.high, bars.low, bars.close))
    good = np.flatnonzero(~bad & np.isfinite(c) & np.isfinite(o))
    for i in np.flatnonzero(bad):
        before = good[good < i]
        value = c[before[-1]] if len(before) else o[good[good > i][0]]
        o[i] = h[i] = low[i] = c[i] = value
    return DailyBars(bars.dates, o, h, low, c)


def _require_range(path: Path, labels: pd.Series, column: str, values: np.ndarray, kind: str,
                   checked: np.ndarray) -> None:
    """ETF prices must be > 0; VIX values inside [VIX_VALID_MIN, VIX_VALID_MAX] (rows where
    `checked` is True)."""
    if kind == "vix":
        bad = np.flatnonzero(checked & ((values < VIX_VALID_MIN) | (values > VIX_VALID_MAX)))
        rule = f"VIX must lie in [{VIX_VALID_MIN:g}, {VIX_VALID_MAX:g}]"
    else:
        bad = np.flatnonzero(checked & (values <= 0.0))
        rule = "ETF prices must be > 0 (only futures may be <= 0)"
    if len(bad):
        i = int(bad[0])
        raise MarketDataError(path, i + 2, f"{column} {values[i]:g} on {labels.iloc[i]} is out of range: {rule}")


def _window(bars: DailyBars, lo: np.datetime64, hi: np.datetime64) -> DailyBars:
    keep = (bars.dates >= lo) & (bars.dates <= hi)
    return DailyBars(*(_frozen(a[keep]) for a in (bars.dates, bars.open, bars.high, bars.low, bars.close)))


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array)
    array.setflags(write=False)
    return array


def _require_sessions(path: Path, dates: np.ndarray, sessions: np.ndarray) -> None:
    missing = np.setdiff1d(sessions, dates)
    if len(missing):
        raise MarketDataError(path, None, f"no row for SPY session {missing[0]} ({len(missing)} session(s) missing)")


def _load_term_closes(path: Path, sessions: np.ndarray, lo: np.datetime64, hi: np.datetime64,
                      issues: list[DataIssue] | None) -> DailyBars:
    """The closes of a CBOE term-structure index (VIX9D, VIX3M, VIX6M) on the NYSE sessions of
    lo..hi, as flat bars: only the close is used, so CBOE's occasional open/high/low outside each
    other (VIX6M on 2019-07-05) does not matter. A close that is not a number inside the VIX range
    is a data issue (raised when strict) and the day uses the model's term structure."""
    frame = read_table(path, ("date", "close", "nyse_session"))
    dates = parse_dates(path, frame, "date")
    require_increasing(path, dates)
    loaded = (dates >= lo) & (dates <= hi) & (frame["nyse_session"].astype(str).str.strip() == "1").to_numpy()
    close = pd.to_numeric(frame["close"], errors="coerce").to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore"):
        bad = loaded & ~((close >= VIX_VALID_MIN) & (close <= VIX_VALID_MAX))
    for i in np.flatnonzero(bad):
        problem = (f"close {frame['close'].iloc[i]!r} on {dates[i]} is not a number in "
                   f"[{VIX_VALID_MIN:g}, {VIX_VALID_MAX:g}]")
        if issues is None:
            raise MarketDataError(path, int(i) + 2, problem)
        issues.append(DataIssue(str(path), int(i) + 2, str(dates[i]), problem))
    keep = loaded & ~bad & np.isin(dates, sessions)
    return DailyBars(*(_frozen(a[keep]) for a in (dates, close, close, close, close)))


def _load_vix(path: Path, sessions: np.ndarray, lo: np.datetime64, hi: np.datetime64, start: date,
              notes: list[str], issues: list[DataIssue] | None = None) -> tuple[DailyBars, tuple[date, ...]]:
    """The VIX's valid NYSE-session rows in lo..hi (a row with an impossible value is left out, as a
    missing day; so are stray rows marked nyse_session=1 without a SPY session), and the sessions
    from `start` without a VIX row."""
    bars, frame, repaired = _read_bars(path, "vix", lo, hi, extra=("nyse_session",), issues=issues)
    flag = frame["nyse_session"].astype(str).str.strip()
    bad = np.flatnonzero(~flag.isin(["0", "1"]).to_numpy())
    if len(bad):
        i = int(bad[0])
        raise MarketDataError(path, i + 2, f"nyse_session {flag.iloc[i]!r} must be 0 or 1")
    on_session = (flag == "1").to_numpy() & ~repaired  # a bad VIX row is a missing VIX day
    vix = _window(DailyBars(*(a[on_session] for a in (bars.dates, bars.open, bars.high, bars.low, bars.close))),
                  lo, hi)
    stray = np.setdiff1d(vix.dates, sessions)
    if len(stray):
        notes.append(f"{path.name}: {len(stray)} row(s) marked nyse_session=1 on days without SPY, ignored")
    keep = np.isin(vix.dates, sessions)
    vix = DailyBars(*(_frozen(a[keep]) for a in (vix.dates, vix.open, vix.high, vix.low, vix.close)))
    window = sessions[sessions >= np.datetime64(start, "D")]
    missing = tuple(d.astype(object) for d in np.setdiff1d(window, vix.dates))
    for day in missing:
        notes.append(f"VIX missing on session {day}: no new entries that day (SPEC section 2)")
    return vix, missing


def _load_rates(path: Path, first_session: np.datetime64, hi: np.datetime64) -> tuple[np.ndarray, np.ndarray]:
    frame = read_table(path, ("date", "DGS3MO"))
    dates = parse_dates(path, frame, "date")
    require_increasing(path, dates)
    if dates[0] > first_session:
        raise MarketDataError(path, 2, f"first rate {dates[0]} is after the first loaded session {first_session}")
    keep = dates <= hi
    lo_index = max(int(np.searchsorted(dates, first_session, side="right")) - 1, 0)
    keep[:lo_index] = False
    percent = parse_numbers(path, frame, "DGS3MO", keep)
    bad = np.flatnonzero(keep & ((percent < RATE_PERCENT_RANGE[0]) | (percent > RATE_PERCENT_RANGE[1])))
    if len(bad):
        i = int(bad[0])
        raise MarketDataError(path, i + 2, f"DGS3MO {percent[i]:g} is outside {list(RATE_PERCENT_RANGE)} percent")
    return _frozen(dates[keep]), _frozen(np.log1p(percent[keep] / 100.0))


def _load_dividends(path: Path, notes: list[str]) -> dict[str, Dividends]:
    if not path.is_file():
        notes.append(f"no {path.name}: every dividend is taken as zero")
        return {}
    frame = read_table(path, ("ticker", "ex_date", "dividend"))
    ex_dates = parse_dates(path, frame, "ex_date")
    amounts = parse_numbers(path, frame, "dividend")
    tickers = frame["ticker"].astype(str).str.strip().to_numpy()
    result: dict[str, Dividends] = {}
    for ticker in sorted(set(tickers)):
        rows = np.flatnonzero(tickers == ticker)
        bad = rows[amounts[rows] <= 0]
        if len(bad):
            raise MarketDataError(path, int(bad[0]) + 2, f"dividend {amounts[bad[0]]:g} of {ticker} must be > 0")
        order = rows[np.argsort(ex_dates[rows], kind="stable")]
        repeated = order[1:][np.diff(ex_dates[order]) == np.timedelta64(0)]
        if len(repeated):
            raise MarketDataError(path, int(repeated[0]) + 2, f"{ticker} ex_date {ex_dates[repeated[0]]} is duplicate")
        result[ticker] = Dividends(_frozen(ex_dates[order]), _frozen(amounts[order]))
    return result


def _load_minutes(folder: Path, sessions: np.ndarray, start: date, end: date,
                  notes: list[str]) -> dict[date, MinuteBars]:
    paths = sorted(folder.glob("SPY_1min*.csv.gz")) if folder.is_dir() else []
    if not paths:
        notes.append("no intraday/SPY_1min*.csv.gz: every intraday path is modelled")
        return {}
    result: dict[date, MinuteBars] = {}
    for path in paths:
        result.update(_read_minute_file(path, sessions, start, end, notes))
    return dict(sorted(result.items()))


def _read_minute_file(path: Path, sessions: np.ndarray, start: date, end: date,
                      notes: list[str]) -> dict[date, MinuteBars]:
    frame = read_table(path, ("ts_et",) + PRICE_COLUMNS)
    stamps = parse_dates(path, frame, "ts_et", "%Y-%m-%d %H:%M")
    require_increasing(path, stamps, "ts_et")
    days = stamps.astype("datetime64[D]")
    loaded = (days >= np.datetime64(start, "D")) & (days <= np.datetime64(end, "D"))
    prices = [parse_numbers(path, frame, col, loaded) for col in PRICE_COLUMNS]
    for column, values in zip(PRICE_COLUMNS, prices):
        _require_range(path, frame["ts_et"], column, values, "etf", loaded)
    unknown = np.flatnonzero(~np.isin(days, sessions) & (days >= sessions[0]) & (days <= sessions[-1]))
    if len(unknown):
        i = int(unknown[0])
        raise MarketDataError(path, i + 2, f"bar {stamps[i]} is on {days[i]}, which is not a SPY session")
    in_window = (days >= np.datetime64(start, "D")) & (days <= np.datetime64(end, "D")) & np.isin(days, sessions)
    minute = (stamps - days).astype(np.int64) - SESSION_OPEN_MINUTE
    window_days = np.unique(days[in_window])
    lengths = np.array([session_minutes(d.astype(object)) for d in window_days], dtype=np.int64)
    session_length = lengths[np.searchsorted(window_days, days[in_window])] if len(window_days) else 0
    keep = np.flatnonzero(in_window)[(minute[in_window] >= 0) & (minute[in_window] < session_length)]
    dropped = int(in_window.sum()) - len(keep)
    if dropped:
        notes.append(f"{path.name}: {dropped} bar(s) outside 09:30..close-1min dropped (16:00 and post-close bars)")
    result: dict[date, MinuteBars] = {}
    kept_days = days[keep]
    bounds = np.flatnonzero(np.diff(kept_days.astype(np.int64))) + 1
    for chunk in np.split(keep, bounds) if len(keep) else []:
        day = days[chunk[0]].astype(object)
        result[day] = MinuteBars(day, _frozen(minute[chunk]), *(_frozen(p[chunk]) for p in prices))
    return result


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
