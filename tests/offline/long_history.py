"""Copies of the shared data folder whose files reach far outside the exchange calendars, as
files downloaded from Yahoo, CBOE and FRED do (SPY history from 1993-01-29, VIX from 1990-01-02,
rows after 2035-12-31): rows are prepended and appended to copies of the real files."""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from helpers.exchange_calendar import FIRST_DATE as CALENDAR_FIRST
from helpers.exchange_calendar import nyse_sessions

SPY_FIRST, VIX_FIRST, RATE_FIRST = "1993-01-29", "1990-01-02", "1981-09-01"
LATE_DAYS = ("2036-01-02", "2036-01-03")  # rows past the calendars' last day (2035-12-31)


def _extended(frame: pd.DataFrame, first: str, date_column: str = "date") -> pd.DataFrame:
    """The frame with a flat copy of its first row on every weekday from `first` to 2002-12-31 and
    every NYSE session from 2003 to the day before its first date, and of its last row on LATE_DAYS."""
    begin = pd.Timestamp(frame[date_column].iloc[0])
    known = pd.Timestamp(CALENDAR_FIRST)
    early = [*pd.bdate_range(first, min(begin, known) - pd.Timedelta(days=1)).strftime("%Y-%m-%d"),
             *(d.isoformat() for d in nyse_sessions(CALENDAR_FIRST, (begin - pd.Timedelta(days=1)).date()))]
    head = pd.DataFrame([frame.iloc[0].to_dict()] * len(early)).assign(**{date_column: early})
    tail = pd.DataFrame([frame.iloc[-1].to_dict()] * len(LATE_DAYS)).assign(**{date_column: list(LATE_DAYS)})
    return pd.concat([head, frame, tail], ignore_index=True)[frame.columns]


def long_history_copy(shared: Path, target: Path) -> Path:
    """A copy of `shared` (daily/, rates/, intraday/) with every daily and rate file extended
    before 2003 and after 2035; returns `target`."""
    for folder in ("daily", "rates"):
        (target / folder).mkdir(parents=True)
        for path in sorted((shared / folder).iterdir()):
            if path.name == "ETF_dividends_derived.csv":
                shutil.copy(path, target / folder / path.name)
                continue
            frame = pd.read_csv(path)
            first = VIX_FIRST if path.name.startswith(("VIX", "VVIX", "SKEW", "CBOE")) else SPY_FIRST
            if folder == "rates":
                first = RATE_FIRST
            frame = _extended(frame, first)
            frame.to_csv(target / folder / path.name, index=False)
    (target / "intraday").symlink_to((shared / "intraday").resolve())
    return target
