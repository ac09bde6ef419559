"""What ran: the record every output carries so a run can be told apart from another and repeated.

`run_record` gives summary.json's "run" section: the project version, the command line, every
parameter that differs from its default, the window asked for and the sessions that ran, coverage
warnings (a window the data covers only in part), strategies run without their data
(`--allow-missing`), and the data folder's files with their first and last dates.
"""
from __future__ import annotations

import gzip
from collections.abc import Sequence
from datetime import date
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from config.loader import FrameworkConfig, changed_parameters
from helpers.exchange_calendar import nyse_sessions
from offline.market.data_requirements import FUTURES_FOR_OPTIONS, INDEX_FILE, product_file, strategy_products
from offline.market.market_data import MarketData

DATA_FOLDERS = ("daily", "rates", "intraday")
DATE_COLUMNS = ("date", "ex_date", "ts_et", "ts_utc")


def project_version() -> str:
    """The installed version of this project (pyproject.toml's version)."""
    return version("tomking")


def file_dates(path: Path) -> dict[str, Any]:
    """{file, first, last}: the earliest and latest dates of a CSV (optionally gzipped) data file,
    from its date column (date, ex_date, ts_et or ts_utc); None when it has none."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="ascii", errors="replace") as handle:  # type: ignore[operator]
        header = handle.readline().strip().split(",")
        column = next((header.index(name) for name in DATE_COLUMNS if name in header), None)
        days = [] if column is None else [line.split(",")[column][:10] for line in handle if line.strip()]
    return {"file": path.name, "first": min(days) if days else None, "last": max(days) if days else None}


def data_files(data_dir: str | Path) -> list[dict[str, Any]]:
    """The data folder's CSV files (daily/, rates/, intraday/) with their first and last dates."""
    root = Path(data_dir)
    found = []
    for folder in DATA_FOLDERS:
        for path in sorted((root / folder).glob("*.csv*")) if (root / folder).is_dir() else []:
            found.append({**file_dates(path), "file": f"{folder}/{path.name}"})
    return found


def _series_ends(config: FrameworkConfig, market: MarketData) -> dict[str, np.datetime64]:
    """Required file -> the last date of its series loaded for the run (within the window)."""
    ends = {"daily/VIX_cboe.csv": market.vix.dates[-1], "rates/DGS3MO_daily.csv": market.rate_dates[-1]}
    for products in strategy_products(config).values():
        for product in products:
            path = product_file(product)
            root = product.strip().upper().lstrip("/")
            series = (market.daily.get("SPX") if path == INDEX_FILE else
                      market.futures[FUTURES_FOR_OPTIONS.get(root, root)].bars
                      if FUTURES_FOR_OPTIONS.get(root, root) in market.futures else market.daily.get(root))
            if series is not None and len(series.dates):
                ends[path] = series.dates[-1]
    return ends


def coverage_warnings(config: FrameworkConfig, market: MarketData, sessions: Sequence[date]) -> list[str]:
    """What the data does not cover of the window asked for: sessions cut at the end, and series a
    strategy needs that end before the last session that ran. Empty when all is covered."""
    if not sessions:
        return [f"no session ran in {config.backtest.start}..{config.backtest.end}"]
    warnings = []
    asked = nyse_sessions(config.backtest.start_date, config.backtest.end_date)
    if asked and asked[-1] > sessions[-1]:
        missing = sum(day > sessions[-1] for day in asked)
        warnings.append(f"the window {config.backtest.start}..{config.backtest.end} ends after the data: "
                        f"daily/SPY.csv ends {sessions[-1]}, so the run covers {sessions[0]}..{sessions[-1]} "
                        f"({len(sessions)} sessions; {missing} asked-for sessions have no data)")
    last = np.datetime64(sessions[-1], "D")
    for path, end in _series_ends(config, market).items():
        if end < last:
            warnings.append(f"{path} ends {end}, before the last session {sessions[-1]}: what needs it "
                            "has no fresh data after that date")
    return warnings


def run_record(config: FrameworkConfig, market: MarketData, sessions: Sequence[date], command: str = "",
               strategies_off: Sequence[str] = ()) -> dict[str, Any]:
    """summary.json's "run" section (see the module docstring)."""
    return {
        "version": project_version(),
        "command": command,
        "parameters_changed": changed_parameters(config),
        "window_requested": {"start": config.backtest.start, "end": config.backtest.end},
        "window_ran": {"first_session": sessions[0].isoformat() if sessions else None,
                       "last_session": sessions[-1].isoformat() if sessions else None,
                       "sessions": len(sessions)},
        "coverage_warnings": coverage_warnings(config, market, sessions),
        "strategies_without_data": list(strategies_off),
        "data_files": data_files(market.data_dir),
    }
