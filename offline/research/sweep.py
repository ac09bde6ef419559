"""Parameter sweeps: every combination of a grid as an independent offline backtest, in parallel.

`tomking sweep --data DIR --start D --end D --cash X --grid NAME=v1,v2 [--grid ...] --workers N
--out DIR` runs each combination once (a process pool on this machine, or Dask distributed with
`--engine dask`) and writes:

- `OUT/runs/<id>/row.json`: the combination's figures, written atomically when it finishes (the
  resume record) next to its `summary.json`; `<id>` is a digest of its parameters;
- `OUT/sweep.csv`: one row per combination (parameters, total return, CAGR, Sharpe, max drawdown,
  trades, win rate, status, error), in grid order; `OUT/sweep.html`: the same as a table.

Resume: rerunning the same command with the same `--out` runs only the combinations without a
`row.json`. A different sweep (data, window, cash or grid) in an existing `--out` is refused.
A combination that fails is recorded with its error (status "failed") and the sweep goes on.
The grid is validated before anything runs: an unknown parameter, an unparsable or out-of-range
value stops with a one-line message naming it. Option prices in every run are modelled.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config.loader import PARAMETERS, RENAMED, load_config, unknown_parameter_message
from offline.research.sweep_report import write_sweep_html
from offline.research.sweep_spec import FIGURES, SweepSpec

MANIFEST = "sweep.json"
RUNS = "runs"
ROW_FILE = "row.json"


@dataclass(frozen=True)
class Task:
    """One backtest of a sweep: the parameters of its combination and where it writes."""

    data_dir: str
    overrides: dict[str, str]
    params: dict[str, str]
    run_dir: str


def parse_grid(items: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """`NAME=v1,v2,...` items -> {name: values}, in the order given.

    Raises ValueError for a malformed item, an unknown or repeated name, an empty or repeated value,
    or a window/cash parameter (those have their own options).
    """
    grid: dict[str, tuple[str, ...]] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = RENAMED.get(name.strip(), name.strip())
        if not sep or not name:
            raise ValueError(f"--grid {item!r}: expected NAME=v1,v2,...")
        if name not in PARAMETERS:
            raise ValueError(f"--grid {item!r}: {unknown_parameter_message(name)}")
        if name in ("backtest_start", "backtest_end", "backtest_cash"):
            raise ValueError(f"--grid {item!r}: set the window and cash with --start, --end and --cash")
        if name in grid:
            raise ValueError(f"--grid {item!r}: parameter {name} given twice")
        values = tuple(v.strip() for v in text.split(","))
        if any(not v for v in values):
            raise ValueError(f"--grid {item!r}: empty value")
        if len(set(values)) != len(values):
            raise ValueError(f"--grid {item!r}: a value is repeated")
        grid[name] = values
    if not grid:
        raise ValueError("a sweep needs at least one --grid NAME=v1,v2,...")
    return grid


def combinations(spec: SweepSpec) -> list[dict[str, str]]:
    """Every combination of the grid, first parameter slowest; each is checked by load_config with
    the window and cash, so a bad value or an impossible combination stops before any run.

    Raises ValueError naming the parameter and the combination."""
    names = list(spec.grid)
    combos = [dict(zip(names, values, strict=True)) for values in itertools.product(*spec.grid.values())]
    for combo in combos:
        try:
            load_config({**window_overrides(spec), **combo})
        except ValueError as error:
            raise ValueError(f"combination {combo}: {error}") from None
    return combos


def window_overrides(spec: SweepSpec) -> dict[str, str]:
    return {"backtest_start": spec.start, "backtest_end": spec.end, "backtest_cash": spec.cash}


def combination_id(params: dict[str, str]) -> str:
    """Short stable name of a combination (a digest of its sorted parameters)."""
    text = json.dumps(params, sort_keys=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:12]


def _write_json_atomically(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp", encoding="ascii") as handle:
        json.dump(document, handle, indent=1, sort_keys=True, allow_nan=False)
        temporary = handle.name
    os.replace(temporary, path)


def run_task(task: Task) -> dict[str, Any]:
    """Run one combination's backtest and write its summary.json and row.json; returns the row.
    Never raises for a failing backtest: the row says "failed" with the error."""
    from offline.replay.restart import RunSettings, build_runner
    from offline.report.outputs import build_summary

    started = time.perf_counter()
    row: dict[str, Any] = {"id": Path(task.run_dir).name, "params": task.params}
    try:
        with tempfile.TemporaryDirectory() as state:
            runner = build_runner(RunSettings(task.data_dir, task.overrides), Path(state))
            summary = build_summary(runner.run())
        Path(task.run_dir).mkdir(parents=True, exist_ok=True)
        (Path(task.run_dir) / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n",
                                                         encoding="ascii")
        row.update({key: summary.get(key) for key in FIGURES}, status="ok", error="")
    except Exception as error:  # noqa: BLE001 - any failure of one combination is recorded, not fatal
        row.update({key: None for key in FIGURES}, status="failed", error=f"{type(error).__name__}: {error}")
    row["seconds"] = round(time.perf_counter() - started, 2)
    _write_json_atomically(Path(task.run_dir) / ROW_FILE, row)
    return row


def _check_manifest(out: Path, spec: SweepSpec) -> None:
    path = out / MANIFEST
    if path.is_file():
        saved = json.loads(path.read_text(encoding="ascii"))
        if saved != spec.to_dict():
            raise ValueError(f"{out} holds another sweep ({path}); use a new --out (or delete that folder)")
    else:
        _write_json_atomically(path, spec.to_dict())


Executor = Callable[[list[Task], int], Iterator[dict[str, Any]]]


def process_pool(tasks: list[Task], workers: int) -> Iterator[dict[str, Any]]:
    """Run tasks in a pool of `workers` processes; yields rows as they finish."""
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run_task, task) for task in tasks]
        for future in as_completed(futures):
            yield future.result()


def dask_executor(scheduler: str | None) -> Executor:
    """Run tasks on Dask distributed: the scheduler at `scheduler`, or a LocalCluster when None
    (the optional extra `distributed`). Raises ValueError when Dask is not installed."""
    def run(tasks: list[Task], workers: int) -> Iterator[dict[str, Any]]:
        try:
            from distributed import Client, LocalCluster
            from distributed import as_completed as dask_completed
        except ImportError:
            raise ValueError("--engine dask needs Dask distributed: pip install 'tomking[distributed]'") from None
        cluster = None if scheduler else LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                      dashboard_address=None)
        with Client(scheduler or cluster) as client:
            futures = client.map(run_task, tasks, pure=False)
            for future in dask_completed(futures):
                yield future.result()
        if cluster is not None:
            cluster.close()
    return run


def run_sweep(spec: SweepSpec, out: Path, workers: int, executor: Executor = process_pool,
              report: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """Run every combination not finished yet in `out`; write sweep.csv and sweep.html; return the
    rows in grid order. Raises ValueError for a bad grid or another sweep in `out`."""
    combos = combinations(spec)
    out.mkdir(parents=True, exist_ok=True)
    _check_manifest(out, spec)
    tasks = [Task(spec.data_dir, {**window_overrides(spec), **combo}, combo, str(out / RUNS / combination_id(combo)))
             for combo in combos]
    pending = [task for task in tasks if not (Path(task.run_dir) / ROW_FILE).is_file()]
    if len(pending) < len(tasks):
        report(f"resuming: {len(tasks) - len(pending)} of {len(tasks)} combinations already done in {out}")
    started = time.perf_counter()
    for done, row in enumerate(executor(pending, workers), start=1):
        report(f"[{done}/{len(pending)}] {_params_text(row['params'])}: {_row_text(row)} "
               f"({time.perf_counter() - started:.1f} s)")
    rows = [json.loads((Path(task.run_dir) / ROW_FILE).read_text(encoding="ascii")) for task in tasks]
    write_csv(out / "sweep.csv", list(spec.grid), rows)
    write_sweep_html(out / "sweep.html", spec, rows)
    return rows


def _params_text(params: dict[str, str]) -> str:
    return " ".join(f"{k}={v}" for k, v in params.items())


def _row_text(row: dict[str, Any]) -> str:
    if row["status"] != "ok":
        return f"FAILED {row['error']}"
    return f"return {row['total_return']:.2%}, Sharpe {_number(row['sharpe'])}, trades {row['trades']}"


def _number(value: Any) -> str:
    return "n/a" if value is None or (isinstance(value, float) and not math.isfinite(value)) else f"{value:.2f}"


def write_csv(path: Path, names: Iterable[str], rows: list[dict[str, Any]]) -> None:
    """sweep.csv: id, the parameters, the figures, status and error, one line per combination."""
    import csv

    names = list(names)
    with path.open("w", newline="", encoding="ascii") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", *names, *FIGURES, "status", "error"])
        for row in rows:
            writer.writerow([row["id"], *(row["params"][n] for n in names),
                             *("" if row[k] is None else row[k] for k in FIGURES), row["status"], row["error"]])
