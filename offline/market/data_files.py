"""Reading and validating the market data folder's CSV files: the error a broken file raises
(`MarketDataError`), the record of an impossible value the run went past (`DataIssue`), and the
column parsers and checks every file reader uses (see offline.market.market_data for the format
and the rules)."""
from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from config.constants import VIX_VALID_MAX, VIX_VALID_MIN

PRICE_COLUMNS = ("open", "high", "low", "close")


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


def require_range(path: Path, labels: pd.Series, column: str, values: np.ndarray, kind: str,
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


def frozen(array: np.ndarray) -> np.ndarray:
    """A contiguous, read-only copy (or view) of `array`."""
    array = np.ascontiguousarray(array)
    array.setflags(write=False)
    return array

