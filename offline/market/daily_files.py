"""The daily files of the market data folder: OHLC bars (ETFs, the VIX, front-month futures) with
their repair of impossible values, the CBOE term-structure indices, the DGS3MO rate and the ETF
dividends (see offline.market.market_data for the format and the rules)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from config.constants import VIX_VALID_MAX, VIX_VALID_MIN
from core.types import DailyBars
from offline.market.data_files import (
    PRICE_COLUMNS,
    DataIssue,
    MarketDataError,
    frozen,
    parse_dates,
    parse_numbers,
    read_table,
    require_increasing,
    require_range,
)

RATE_PERCENT_RANGE = (-5.0, 30.0)


@dataclass(frozen=True)
class Dividends:
    """Cash dividends of one ticker: ex-dates (datetime64[D]) and amounts (USD per share)."""

    ex_dates: np.ndarray
    amounts: np.ndarray


def read_bars(path: Path, kind: str, lo: np.datetime64, hi: np.datetime64, notes: list[str] | None = None,
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
            require_range(path, frame["date"], column, values, kind, loaded)
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


def window_bars(bars: DailyBars, lo: np.datetime64, hi: np.datetime64) -> DailyBars:
    """The bars dated lo..hi, as read-only arrays."""
    keep = (bars.dates >= lo) & (bars.dates <= hi)
    return DailyBars(*(frozen(a[keep]) for a in (bars.dates, bars.open, bars.high, bars.low, bars.close)))


def require_sessions(path: Path, dates: np.ndarray, sessions: np.ndarray) -> None:
    """MarketDataError naming the first SPY session that `dates` (a file's rows) lacks."""
    missing = np.setdiff1d(sessions, dates)
    if len(missing):
        raise MarketDataError(path, None, f"no row for SPY session {missing[0]} ({len(missing)} session(s) missing)")


def load_term_closes(path: Path, sessions: np.ndarray, lo: np.datetime64, hi: np.datetime64,
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
    return DailyBars(*(frozen(a[keep]) for a in (dates, close, close, close, close)))


def load_vix(path: Path, sessions: np.ndarray, lo: np.datetime64, hi: np.datetime64, start: date,
             notes: list[str], issues: list[DataIssue] | None = None) -> tuple[DailyBars, tuple[date, ...]]:
    """The VIX's valid NYSE-session rows in lo..hi (a row with an impossible value is left out, as a
    missing day; so are stray rows marked nyse_session=1 without a SPY session), and the sessions
    from `start` without a VIX row."""
    bars, frame, repaired = read_bars(path, "vix", lo, hi, extra=("nyse_session",), issues=issues)
    flag = frame["nyse_session"].astype(str).str.strip()
    bad = np.flatnonzero(~flag.isin(["0", "1"]).to_numpy())
    if len(bad):
        i = int(bad[0])
        raise MarketDataError(path, i + 2, f"nyse_session {flag.iloc[i]!r} must be 0 or 1")
    on_session = (flag == "1").to_numpy() & ~repaired  # a bad VIX row is a missing VIX day
    vix = window_bars(DailyBars(*(a[on_session] for a in (bars.dates, bars.open, bars.high, bars.low, bars.close))),
                      lo, hi)
    stray = np.setdiff1d(vix.dates, sessions)
    if len(stray):
        notes.append(f"{path.name}: {len(stray)} row(s) marked nyse_session=1 on days without SPY, ignored")
    keep = np.isin(vix.dates, sessions)
    vix = DailyBars(*(frozen(a[keep]) for a in (vix.dates, vix.open, vix.high, vix.low, vix.close)))
    window = sessions[sessions >= np.datetime64(start, "D")]
    missing = tuple(d.astype(object) for d in np.setdiff1d(window, vix.dates))
    for day in missing:
        notes.append(f"VIX missing on session {day}: no new entries that day (SPEC section 2)")
    return vix, missing


def load_rates(path: Path, first_session: np.datetime64, hi: np.datetime64) -> tuple[np.ndarray, np.ndarray]:
    """(dates, continuous rates ln(1 + y/100)) of the DGS3MO file from the last observation on or
    before `first_session` to `hi`."""
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
    return frozen(dates[keep]), frozen(np.log1p(percent[keep] / 100.0))


def load_dividends(path: Path, notes: list[str]) -> dict[str, Dividends]:
    """The dividends by ticker, sorted by ex-date; none (and a note) when the file is absent."""
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
        result[ticker] = Dividends(frozen(ex_dates[order]), frozen(amounts[order]))
    return result

