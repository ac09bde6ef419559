"""Walk-forward: fit the grid on one window, report the chosen combination on the next.

Windows of `fit_months` then `test_months` calendar months, stepping by `test_months`, inside
[start, end] (end inclusive, like backtest_end); only complete test windows are used. For each,
the grid runs on the fit window (a normal sweep in OUT/walk_forward/NN-fit, resumable), the best
combination by `metric` is chosen, and it runs alone on the test window (OUT/walk_forward/NN-test).
walk_forward.csv holds one line per window: the fit window, chosen parameters and fit metric, the
test window and its return, Sharpe and max drawdown.
"""
from __future__ import annotations

import csv
import math
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from offline.research.sweep import Executor, process_pool, run_sweep
from offline.research.sweep_spec import SweepSpec

METRICS = ("sharpe", "total_return", "cagr")


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months (the day of month clipped to the month's length)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def parse_walk_forward(text: str) -> tuple[int, int]:
    """"FIT:TEST" in months -> (fit, test). Raises ValueError for anything else."""
    fit, sep, test = text.partition(":")
    if not sep or not fit.strip().isdigit() or not test.strip().isdigit() or int(fit) < 1 or int(test) < 1:
        raise ValueError(f"--walk-forward {text!r}: expected FIT_MONTHS:TEST_MONTHS, e.g. 6:3")
    return int(fit), int(test)


def windows(start: date, end: date, fit_months: int, test_months: int) -> list[tuple[date, date, date, date]]:
    """(fit start, fit end, test start, test end) per window, ends inclusive.

    Raises ValueError when not even one fit plus test window fits in [start, end]."""
    found = []
    fit_start = start
    while True:
        test_start = add_months(fit_start, fit_months)
        test_end = add_months(test_start, test_months) - timedelta(days=1)
        if test_end > end:
            break
        found.append((fit_start, test_start - timedelta(days=1), test_start, test_end))
        fit_start = add_months(fit_start, test_months)
    if not found:
        raise ValueError(f"{start}..{end} is shorter than one fit window of {fit_months} months plus a test window "
                         f"of {test_months}")
    return found


def _score(row: dict[str, Any], metric: str) -> float:
    value = row.get(metric)
    return float(value) if row["status"] == "ok" and isinstance(value, (int, float)) and math.isfinite(value) \
        else -math.inf


def run_walk_forward(spec: SweepSpec, out: Path, workers: int, fit_months: int, test_months: int,
                     metric: str = "sharpe", executor: Executor = process_pool,
                     report: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """Run the walk-forward (module docstring); returns the walk_forward.csv lines as dicts.
    Raises ValueError for an unknown metric, too short a period, or a bad grid."""
    if metric not in METRICS:
        raise ValueError(f"--metric {metric!r}: choose one of {', '.join(METRICS)}")
    lines = []
    for k, (fit_start, fit_end, test_start, test_end) in enumerate(
            windows(date.fromisoformat(spec.start), date.fromisoformat(spec.end), fit_months, test_months)):
        report(f"walk-forward window {k + 1}: fit {fit_start}..{fit_end}, test {test_start}..{test_end}")
        fit_spec = replace(spec, start=fit_start.isoformat(), end=fit_end.isoformat())
        fit_rows = run_sweep(fit_spec, out / "walk_forward" / f"{k + 1:02d}-fit", workers, executor, report)
        best = max(fit_rows, key=lambda row: _score(row, metric))
        if _score(best, metric) == -math.inf:
            raise ValueError(f"walk-forward window {k + 1}: no combination produced a {metric} on the fit window")
        test_spec = replace(spec, start=test_start.isoformat(), end=test_end.isoformat(),
                            grid={name: (value,) for name, value in best["params"].items()})
        test = run_sweep(test_spec, out / "walk_forward" / f"{k + 1:02d}-test", workers, executor, report)[0]
        lines.append({"window": k + 1, "fit_start": fit_start.isoformat(), "fit_end": fit_end.isoformat(),
                      "chosen": " ".join(f"{n}={v}" for n, v in best["params"].items()),
                      f"fit_{metric}": best[metric], "test_start": test_start.isoformat(),
                      "test_end": test_end.isoformat(), "test_total_return": test["total_return"],
                      "test_sharpe": test["sharpe"], "test_max_drawdown": test["max_drawdown"],
                      "test_status": test["status"]})
    with (out / "walk_forward.csv").open("w", newline="", encoding="ascii") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(lines[0]))
        writer.writeheader()
        writer.writerows(lines)
    return lines
