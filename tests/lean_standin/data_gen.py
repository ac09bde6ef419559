"""Builds the LEAN-format files of a replay from the real data in the data folder (at test time,
into a temporary directory; nothing generated is committed).

How each file is made:
* `equity/usa/minute/spy/<day>_trade.zip`: the real SPY 1-minute bars of
  `intraday/SPY_1min_rth_2024-03-26_2025-01-31.csv.gz` (bar start US/Eastern = SPY's data zone),
  prices x 10000, unchanged otherwise;
* `index/usa/minute/vix/<day>_trade.zip`: there is no real intraday VIX in the data folder. The
  minute path is MODELLED by `offline.market.intraday_path.vix_path`: it passes through the real daily
  VIX open, high, low and close of `daily/VIX_cboe.csv` and moves against the real SPY minute
  closes of the same day. One bar per NYSE minute (09:30-15:59 New York = 08:30-14:59 Chicago),
  open = the previous minute's level, close = this minute's; times written in the VIX's data zone,
  America/Chicago (`Index-usa-VIX`, market-hours database line 99090), as LEAN's own files are;
* `equity/usa/daily/spy.zip` and `index/usa/daily/vix.zip`: the real daily bars (raw SPY;
  CBOE's VIX on NYSE sessions only) up to the last replay session, for the warm-up and
  `history` (a bar is visible once it has ended).
Option chains are not files: they are modelled minute by minute (see `option_data.py`).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from offline.market.intraday_path import session_minutes, vix_path
from tests.lean_standin.lean_files import write_daily, write_minute
from tests.lean_standin.market_hours import entry_for

SPY_MINUTES = "intraday/SPY_1min_rth_2024-03-26_2025-01-31.csv.gz"
NEW_YORK = ZoneInfo("America/New_York")


def _spy_minutes(data: Path, days: list[date]) -> dict[date, pd.DataFrame]:
    frame = pd.read_csv(data / SPY_MINUTES, parse_dates=["ts_et"])
    frame["day"] = frame["ts_et"].dt.date
    found = {day: rows.reset_index(drop=True) for day, rows in frame[frame["day"].isin(days)].groupby("day")}
    missing = [d for d in days if d not in found]
    if missing:
        raise ValueError(f"no real SPY minute bars for {missing} in {data / SPY_MINUTES}")
    return found


def _daily(data: Path, name: str, last: date, sessions_only: bool) -> pd.DataFrame:
    frame = pd.read_csv(data / "daily" / name, parse_dates=["date"])
    if sessions_only:
        frame = frame[frame["nyse_session"] == 1]
    return frame[frame["date"].dt.date <= last]


def build(data: Path, out: Path, days: list[date]) -> Path:
    """Write the replay's files for `days` (NYSE sessions) under `out`; returns `out`."""
    minutes = _spy_minutes(data, days)
    spy_daily = _daily(data, "SPY.csv", max(days), False)
    vix_all = _daily(data, "VIX_cboe.csv", max(days), True)
    write_daily(out, "equity", "SPY", [(r.date.date(), r.open, r.high, r.low, r.close, r.volume)
                                       for r in spy_daily.itertuples()])
    write_daily(out, "index", "VIX", [(r.date.date(), r.open, r.high, r.low, r.close, 0)
                                      for r in vix_all.itertuples()])
    chicago = ZoneInfo(entry_for("Index", "usa", "VIX").data_time_zone)
    for day in days:
        bars = minutes[day]
        write_minute(out, "equity", "SPY", day, [(r.ts_et.to_pydatetime(), r.open, r.high, r.low, r.close, r.volume)
                                                 for r in bars.itertuples()])
        vix = vix_all[vix_all["date"].dt.date == day].iloc[0]
        closes = _session_closes(bars, day)
        path = vix_path(day, float(vix.open), float(vix.high), float(vix.low), float(vix.close), closes)
        opening = datetime.combine(day, datetime.min.time()) + timedelta(hours=9, minutes=30)
        rows = []
        for i, level in enumerate(path):
            start = (opening + timedelta(minutes=i)).replace(tzinfo=NEW_YORK).astimezone(chicago).replace(tzinfo=None)
            before = path[i - 1] if i else level
            rows.append((start, float(before), float(max(before, level)), float(min(before, level)), float(level), 0))
        write_minute(out, "index", "VIX", day, rows)
    return out


def _session_closes(bars: pd.DataFrame, day: date) -> np.ndarray:
    """SPY's close for every session minute 09:30 .. close - 1 minute (a minute without a bar
    carries the last close; a closing print stamped at the close itself is left out)."""
    opening = pd.Timestamp(datetime.combine(day, datetime.min.time()) + timedelta(hours=9, minutes=30))
    index = ((bars["ts_et"] - opening).dt.total_seconds() // 60).astype(int).to_numpy()
    count = session_minutes(day)
    inside = index < count
    closes = np.full(count, np.nan)
    closes[index[inside]] = bars["close"].to_numpy()[inside]
    if np.isnan(closes[0]):
        closes[0] = float(bars["open"].iloc[0])
    filled = np.maximum.accumulate(np.where(np.isnan(closes), 0, np.arange(count)))
    return closes[filled]
