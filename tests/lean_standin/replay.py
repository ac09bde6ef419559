"""End-to-end replay: main.py driven through the LEAN stand-in, session by session.

    python -m tests.lean_standin.replay [--data DIR] [--keep DIR]

Builds LEAN-format files for the replay week (`data_gen.py`: real SPY minutes, a MODELLED VIX
minute path through the real daily VIX, real daily bars for the warm-up) into a temporary
directory, runs `main.TomKingFramework` with the project's own parameters (config.json; only
the backtest dates are set to the replay week) from initialize through the warm-up, the
scheduled windows, MODELLED SPY option chains (`option_data.py`), the risk gate, combo limit
orders, their fills by LEAN's rule, persistence and the end-of-algorithm summary, and prints
what happened, ending with

    lean replay: <sessions> sessions, <fresh>/<readings> VIX readings fresh, <chains> chains, <orders> orders, <fills> fills, <errors> errors

A "VIX reading" is a regular-hours minute after the warm-up: the core has read the VIX in its
minute cycle, and the reading is fresh when the core's own VIX manager finds it usable
(`TradingSystem.vix.usable`); chains = option chains the algorithm read; orders = orders
submitted (a combo once; refused ones are listed apart); fills = orders completely filled;
errors = journal error records plus an exception that stopped the run. Only the QCAlgorithm API
is used to drive the algorithm; the counts read the core (`_system`, `_journal`) of main.py.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time as wall
import traceback
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from helpers.exchange_calendar import EASTERN, is_nyse_open, nyse_sessions
from tests.lean_standin import algorithm as standin
from tests.lean_standin import data_gen
from tests.lean_standin.engine import Engine
from tests.lean_standin.option_data import ModelledOptions

REPO = Path(__file__).resolve().parents[2]
# Mon 2024-07-29 .. Fri 2024-08-02: a Friday 0DTE window on a day the VIX closed 23.39 (above the
# 22 minimum), a Monday LEAP-ladder window (VIX near 16.6) and an FOMC Wednesday.
REPLAY_DAYS = nyse_sessions(date(2024, 8, 5), date(2024, 8, 9))


@dataclass
class ReplayResult:
    sessions: int
    fresh: int
    readings: int
    chains: int
    orders: int
    refused: int
    cancels: int
    fills: int
    leg_fills: int
    errors: int
    logs: list[str]
    store_keys: list[str]
    seconds: float
    stopped: str | None  # the runtime error that stopped the run, if one did

    def line(self) -> str:
        return (f"lean replay: {self.sessions} sessions, {self.fresh}/{self.readings} VIX readings fresh, "
                f"{self.chains} chains, {self.orders} orders, {self.fills} fills, {self.errors} errors")


def rate_source(data: Path) -> Any:
    """The 3-month Treasury yield of each day (FRED DGS3MO, percent -> fraction), the stand-in's
    risk-free rate (LEAN's own provider reads the Fed's primary credit rate file instead)."""
    frame = pd.read_csv(data / "rates" / "DGS3MO_daily.csv", parse_dates=["date"]).dropna()
    series = frame.set_index("date")["DGS3MO"].astype(float) / 100.0

    def rate(day: date) -> float:
        known = series[series.index <= pd.Timestamp(day)]
        return float(known.iloc[-1])

    return rate


def project_parameters(days: list[date]) -> dict[str, str]:
    """The parameters LEAN passes: config.json's, with the backtest dates of the replay."""
    parameters = dict(json.loads((REPO / "config.json").read_text())["parameters"])
    parameters.update(backtest_start=days[0].isoformat(), backtest_end=days[-1].isoformat())
    return parameters


def run_replay(data: Path, work: Path, days: list[date] = REPLAY_DAYS) -> ReplayResult:
    started = wall.perf_counter()
    data_gen.build(data, work, days)
    standin.install()
    import main  # after the stand-in AlgorithmImports is installed

    engine = Engine(work, ModelledOptions(rate_source(data)), project_parameters(days))
    engine.rate_of = rate_source(data)
    algorithm = main.TomKingFramework()
    readings = fresh = sessions = 0
    stopped = None

    def observe(moment: datetime) -> None:
        nonlocal readings, fresh
        now = moment.replace(tzinfo=EASTERN)
        if engine.warming_up or not is_nyse_open(now) or moment.second or moment.microsecond:
            return
        readings += 1
        fresh += bool(algorithm._system.vix.usable(now))

    engine.after_step = observe
    try:
        engine.run(algorithm, days)
        sessions = len(days)
    except Exception as error:  # noqa: BLE001 - LEAN stops the algorithm on a runtime error; counted, shown
        traceback.print_exc()
        stopped = f"{type(error).__name__} at {engine.time:%Y-%m-%d %H:%M}: {error}"
        sessions = sum(1 for d in days if d < engine.time.date())
    filled = sum(1 for g in engine.groups if all(t.quantity_filled == t.quantity for t in g.tickets))
    errors = (algorithm._journal.count_by("error") if hasattr(algorithm, "_journal") else 0) + (stopped is not None)
    return ReplayResult(sessions, fresh, readings, engine.counts.chains, engine.counts.orders, engine.counts.invalid,
                        engine.counts.cancels,
                        filled, engine.counts.fills, errors, engine.logs, engine.store.keys,
                        wall.perf_counter() - started, stopped)


def main_cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--keep", type=Path, help="write the LEAN-format files here (kept)")
    args = parser.parse_args(argv)
    if not (args.data / "daily" / "SPY.csv").is_file():
        print(f"real market data not found at {args.data}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as temporary:
        work = args.keep or Path(temporary)
        result = run_replay(args.data, work)
    for line in result.logs:
        if "summary" in line or "refused" in line or " entry" in line or " exit" in line or "error" in line.lower():
            print(line)
    if result.stopped is not None:
        print(f"the algorithm stopped: {result.stopped}")
    print(f"orders refused before submission: {result.refused}; cancelled: {result.cancels}; leg fills: {result.leg_fills}; "
          f"object store keys: {len(result.store_keys)}; option prices MODELLED; {result.seconds:.1f} s")
    print(result.line())
    return 0


if __name__ == "__main__":
    raise SystemExit(main_cli())
