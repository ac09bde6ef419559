"""The seed run: $30,000, 2023-01-01 .. 2025-01-01, minute resolution, SPY primary."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from config.parameter_fields import check_ranges, param


def parse_date(text: str, name: str) -> date:
    """Parse YYYY-MM-DD or raise ValueError naming the parameter."""
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValueError(f"parameter {name}={text!r} is not a date YYYY-MM-DD") from None


@dataclass(frozen=True)
class BacktestParameters:
    """Period, capital and resolution of a backtest (LEAN and offline)."""

    start: str = param("2023-01-01", doc="first day of the backtest")
    end: str = param("2025-01-01", doc="last day of the backtest (inclusive)")
    cash: float = param(30_000.0, 1_000.0, 1e9, "starting capital (USD)")
    resolution: str = param("minute", doc="data resolution", choices=("minute",))
    primary_symbol: str = param("SPY", doc="primary underlying", choices=("SPY",))

    def __post_init__(self) -> None:
        check_ranges(self, "backtest")
        if parse_date(self.start, "backtest_start") > parse_date(self.end, "backtest_end"):
            raise ValueError(f"the first day {self.start} (backtest_start, --start) is after the last day "
                             f"{self.end} (backtest_end, --end)")

    @property
    def start_date(self) -> date:
        return parse_date(self.start, "backtest_start")

    @property
    def end_date(self) -> date:
        return parse_date(self.end, "backtest_end")
