"""The intraday files of the market data folder: real SPY 1-minute bars by session, cut to
09:30..close-1min (the 16:00 bar and the bars after a half day's 13:00 close are dropped)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from offline.market.data_files import (
    PRICE_COLUMNS,
    MarketDataError,
    frozen,
    parse_dates,
    parse_numbers,
    read_table,
    require_increasing,
    require_range,
)
from offline.market.intraday_path import SESSION_OPEN_MINUTE, session_minutes


@dataclass(frozen=True)
class MinuteBars:
    """Real 1-minute bars of one session; `minute` counts minutes since 09:30 (0 .. n-1)."""

    day: date
    minute: np.ndarray  # int64
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray


def load_minutes(folder: Path, sessions: np.ndarray, start: date, end: date,
                 notes: list[str]) -> dict[date, MinuteBars]:
    """The minute bars of the sessions start..end from every intraday/SPY_1min*.csv.gz, by day."""
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
        require_range(path, frame["ts_et"], column, values, "etf", loaded)
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
        result[day] = MinuteBars(day, frozen(minute[chunk]), *(frozen(p[chunk]) for p in prices))
    return result

