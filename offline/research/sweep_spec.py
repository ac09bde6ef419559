"""What a parameter sweep runs (SweepSpec) and the figures each of its rows reports."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FIGURES = ("total_return", "cagr", "sharpe", "max_drawdown", "trades", "win_rate")


@dataclass(frozen=True)
class SweepSpec:
    """What a sweep runs: the data, the window, the starting cash and the grid (name -> values)."""

    data_dir: str
    start: str
    end: str
    cash: str
    grid: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"data_dir": self.data_dir, "start": self.start, "end": self.end, "cash": self.cash,
                "grid": {name: list(values) for name, values in self.grid.items()}}
