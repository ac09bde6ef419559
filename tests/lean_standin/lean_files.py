"""LEAN's on-disk trade-bar format: writing and reading minute and daily zips.

Layout (`/work/shared/data/lean/readme.md`, LEAN's Data/ readme): minute files are
`<type>/usa/minute/<ticker>/<yyyyMMdd>_trade.zip` holding `<yyyyMMdd>_<ticker>_minute_trade.csv`;
daily files are `<type>/usa/daily/<ticker>.zip` holding `<ticker>.csv`.

Rows (`Lean:Common/Data/Market/TradeBar.cs`):
* minute: `milliseconds since midnight of the file date in the DATA time zone,open,high,low,close,volume`
  (`:644`, the bar start; EndTime = start + 1 minute);
* daily: `yyyyMMdd HH:mm,open,high,low,close,volume` (`:639`);
* equity prices are integers in deci-cents, price x 10000 (`:36`, scaled in `:700-703`); index
  prices are written as they are (`ParseIndex`, `:617-621` -> `LineParseNoScale`).
Read times are converted from the data zone to the exchange zone (`:639,644`).
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from tests.lean_standin.market_hours import MarketHoursEntry, data_to_exchange

SCALE = 10_000  # TradeBar.cs:36, _scaleFactor = 1 / 10000
FOLDER = {"equity": "equity", "index": "index"}


@dataclass(frozen=True)
class TradeBarRow:
    """A bar as LEAN hands it to the algorithm: `time`/`end_time` naive in the exchange zone."""

    time: datetime
    end_time: datetime
    open: float
    high: float
    low: float
    close: float
    volume: float


def minute_path(root: Path, kind: str, ticker: str, day: date) -> Path:
    return root / FOLDER[kind] / "usa" / "minute" / ticker.lower() / f"{day:%Y%m%d}_trade.zip"


def daily_path(root: Path, kind: str, ticker: str) -> Path:
    return root / FOLDER[kind] / "usa" / "daily" / f"{ticker.lower()}.zip"


def _price(kind: str, value: float) -> str:
    return str(round(value * SCALE)) if kind == "equity" else f"{value:.2f}"


def _write_zip(path: Path, inner: str, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(inner, "\n".join(lines) + "\n")


def write_minute(root: Path, kind: str, ticker: str, day: date,
                 bars: list[tuple[datetime, float, float, float, float, float]]) -> Path:
    """Write one day's minute bars; each is (start naive in the DATA zone, o, h, l, c, volume)."""
    midnight = datetime.combine(day, datetime.min.time())
    lines = []
    for start, o, h, low, c, volume in bars:
        millis = round((start - midnight).total_seconds() * 1000)
        lines.append(",".join([str(millis), *(_price(kind, v) for v in (o, h, low, c)), str(int(volume))]))
    path = minute_path(root, kind, ticker, day)
    _write_zip(path, f"{day:%Y%m%d}_{ticker.lower()}_minute_trade.csv", lines)
    return path


def write_daily(root: Path, kind: str, ticker: str,
                bars: list[tuple[date, float, float, float, float, float]]) -> Path:
    """Write daily bars; each is (date, o, h, l, c, volume)."""
    lines = [",".join([f"{d:%Y%m%d} 00:00", *(_price(kind, v) for v in (o, h, low, c)), str(int(volume))])
             for d, o, h, low, c, volume in bars]
    path = daily_path(root, kind, ticker)
    _write_zip(path, f"{ticker.lower()}.csv", lines)
    return path


def _rows(path: Path) -> list[list[str]]:
    with zipfile.ZipFile(path) as archive:
        text = io.TextIOWrapper(archive.open(archive.namelist()[0]), encoding="ascii").read()
    return [line.split(",") for line in text.splitlines() if line.strip()]


def _value(kind: str, text: str) -> float:
    return int(text) / SCALE if kind == "equity" else float(text)


def read_minute(root: Path, kind: str, ticker: str, day: date, entry: MarketHoursEntry) -> list[TradeBarRow]:
    """One day's minute bars in exchange time; [] when the file does not exist (LEAN: no data)."""
    path = minute_path(root, kind, ticker, day)
    if not path.is_file():
        return []
    midnight = datetime.combine(day, datetime.min.time())
    bars = []
    for fields in _rows(path):
        start = data_to_exchange(midnight + timedelta(milliseconds=int(fields[0])), entry)
        o, h, low, c = (_value(kind, f) for f in fields[1:5])
        bars.append(TradeBarRow(start, start + timedelta(minutes=1), o, h, low, c, float(fields[5])))
    return bars


def read_daily(root: Path, kind: str, ticker: str, entry: MarketHoursEntry) -> list[TradeBarRow]:
    """Every daily bar of the file in exchange time (EndTime = Time + 1 day, the bar's period)."""
    path = daily_path(root, kind, ticker)
    if not path.is_file():
        return []
    bars = []
    for fields in _rows(path):
        start = data_to_exchange(datetime.strptime(fields[0], "%Y%m%d %H:%M"), entry)
        o, h, low, c = (_value(kind, f) for f in fields[1:5])
        bars.append(TradeBarRow(start, start + timedelta(days=1), o, h, low, c, float(fields[5])))
    return bars
