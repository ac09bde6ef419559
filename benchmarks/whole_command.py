"""Benchmark of the whole `tomking backtest` command, this code against an earlier commit, side by side.

Usage: python -m benchmarks.whole_command [--data ../shared/data] [--before c304b4c] [--runs seed,ten_years]

For each run (the seed run, $30,000 2023-01-01..2025-01-01; the ten-year run, $150,000
2015-01-02..2024-12-31) the command runs once on this tree and once on the `--before` commit
(extracted with `git archive` into a temporary folder, run by the same Python), one after the other,
each in its own process. Printed per run and code: wall time of the whole process (interpreter start
included) and where it went in the main process (loading: configuration and market data; replay;
baselines; outputs: summary, CSV files and journal; report: report.html and equity.png; other:
interpreter start and imports; work done meanwhile by the chart workers of offline/report/workers.py
counts where the main process waits for it), simulated minutes per second of the replay and of the
whole command, the minutes the trading system ran (its on_minute calls: the event-driven replay skips
the minutes where nothing can happen), peak memory (maximum resident set of the main process, and of
the largest worker), CPU time of all the processes, and the ratio before / now. The two runs'
trades.csv, journal.jsonl, daily.csv and equity.csv are compared byte for byte (a file that differs
is named with its count of differing lines). Prints figures; the goals are checked by reading them.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RUNS = {"seed": ("2023-01-01", "2025-01-01", "30000"), "ten_years": ("2015-01-02", "2024-12-31", "150000")}
GOALS = {"seed": 6.0, "ten_years": 60.0}  # seconds, whole command
MEMORY_GOAL_MB = 1024.0
COMPARED = ("trades.csv", "journal.jsonl", "daily.csv", "equity.csv")
PHASES = ("loading", "replay", "baselines", "outputs", "report", "other")


def _timed(owner: Any, name: str, phase: str, spent: dict[str, float], capture: dict[str, Any] | None = None) -> None:
    """Replace owner.name by a wrapper adding its wall time to spent[phase] (the result kept in capture)."""
    inner = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            value = inner(*args, **kwargs)
        finally:
            spent[phase] = spent.get(phase, 0.0) + time.perf_counter() - started
        if capture is not None:
            capture[phase] = value
        return value

    setattr(owner, name, wrapper)


def child(argv: list[str]) -> int:
    """Run `tomking backtest ARGV` in this process with its phases timed; print one JSON line."""
    from offline.commands import cli
    from offline.replay import restart
    from offline.replay.runner import BacktestRunner
    from offline.report import outputs

    system_class = sys.modules[BacktestRunner.__module__].TradingSystem  # where this tree's runner takes it from
    inner_minute = system_class.on_minute
    minutes_run = 0

    def counted(self: Any, now: Any) -> None:
        nonlocal minutes_run
        minutes_run += 1
        inner_minute(self, now)

    system_class.on_minute = counted
    spent: dict[str, float] = {}
    captured: dict[str, Any] = {}
    _timed(restart, "build_runner", "loading", spent)
    _timed(BacktestRunner, "run", "replay", spent, captured)
    _timed(outputs, "write_outputs", "outputs", spent)
    _timed(outputs, "baseline_series", "baselines", spent)
    _timed(outputs, "write_html_report", "report", spent)
    if hasattr(outputs, "write_equity_png"):  # equity.png drawn in this process (code before the chart workers)
        _timed(outputs, "write_equity_png", "report", spent)
    code = cli.main(["backtest", *argv])
    spent["outputs"] -= spent.get("baselines", 0.0) + spent.get("report", 0.0)
    result = captured["replay"]
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    tree = str(Path(cli.__file__).resolve().parents[2])
    print("BENCH " + json.dumps({"code": code, "tree": tree, "phases": spent, "minutes": result.simulated_minutes,
                                 "sessions": len(result.equity_dates), "minutes_run": minutes_run,
                                 "peak_mb": own.ru_maxrss / 1024.0,
                                 "worker_peak_mb": workers.ru_maxrss / 1024.0,
                                 "cpu": sum(u.ru_utime + u.ru_stime for u in (own, workers))}))
    return code


def _run(tree: Path, data: str, run: str, out: Path) -> dict[str, Any]:
    start, end, cash = RUNS[run]
    command = [sys.executable, str(Path(__file__).resolve()), "--child", "--data", data, "--start", start, "--end",
               end, "--cash", cash, "--out", str(out), "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    started = time.perf_counter()
    done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"the {run} run in {tree} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    figures: dict[str, Any] = json.loads(line.removeprefix("BENCH "))
    if Path(figures["tree"]) != tree.resolve():
        raise RuntimeError(f"the {run} run meant for {tree} ran the code in {figures['tree']}")
    figures["wall"] = wall
    figures["phases"]["other"] = wall - sum(figures["phases"].values())
    return figures


def _extract(commit: str, into: Path) -> Path:
    """The tree of `commit` of this repository, extracted into `into`."""
    archive = into / "tree.tar"
    with archive.open("wb") as handle:
        subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", commit], stdout=handle, check=True)
    tree = into / commit
    with tarfile.open(archive) as tar:
        tar.extractall(tree, filter="data")
    return tree


def _compare_outputs(a: Path, b: Path) -> str:
    """"yes" when the compared files are byte-identical, else "NO" naming each file that differs with the
    count of lines found in one run's file and not in the other's."""
    differ = []
    for name in COMPARED:
        ours, theirs = (a / name).read_bytes(), (b / name).read_bytes()
        if ours != theirs:
            mine, other = Counter(ours.splitlines()), Counter(theirs.splitlines())
            differ.append(f"{name} ({sum((mine - other).values()):,} of {sum(mine.values()):,} lines not in the "
                          f"other's, {sum((other - mine).values()):,} of {sum(other.values()):,} the other way)")
    return "yes" if not differ else "NO: " + ", ".join(differ)


def _print(run: str, before: str, figures: dict[str, dict[str, Any]], same: str) -> None:
    start, end, cash = RUNS[run]
    now, old = figures["now"], figures[before]
    print(f"{run}: tomking backtest --start {start} --end {end} --cash {cash} (real data, modelled option prices), "
          f"{now['sessions']} sessions, {now['minutes']:,} simulated minutes")
    print(f"  {'':22s}{'this tree':>12s}{before:>12s}{'ratio':>8s}")
    rows = [("wall time, whole (s)", "wall")] + [(f"  {p} (s)", p) for p in PHASES]
    for label, key in rows:
        a = now["wall"] if key == "wall" else now["phases"].get(key, 0.0)
        b = old["wall"] if key == "wall" else old["phases"].get(key, 0.0)
        print(f"  {label:22s}{a:12.2f}{b:12.2f}{(b / a if a > 0 else float('nan')):8.2f}")
    for label, value in (("minutes/s, replay", lambda f: f["minutes"] / f["phases"]["replay"]),
                         ("minutes/s, whole", lambda f: f["minutes"] / f["wall"]),
                         ("minutes run (on_minute)", lambda f: f["minutes_run"]),
                         ("peak memory (MB)", lambda f: f["peak_mb"]),
                         ("  of a worker (MB)", lambda f: f["worker_peak_mb"]),
                         ("CPU time, all (s)", lambda f: f["cpu"])):
        print(f"  {label:22s}{value(now):12,.0f}{value(old):12,.0f}")
    met = now["wall"] <= GOALS[run] and now["peak_mb"] < MEMORY_GOAL_MB
    print(f"  goal: whole command <= {GOALS[run]:.0f} s, peak memory < {MEMORY_GOAL_MB:,.0f} MB: "
          f"{'met' if met else 'NOT met'}; outputs byte-identical to {before}: {same}")


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] == ["--child"]:
        return child(arguments[1:])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--before", default="c304b4c", help="commit to compare with (default c304b4c)")
    parser.add_argument("--runs", default="seed,ten_years", help="comma-separated: seed, ten_years")
    args = parser.parse_args(arguments)
    runs = [r.strip() for r in args.runs.split(",") if r.strip()]
    unknown = [r for r in runs if r not in RUNS]
    if unknown:
        parser.error(f"unknown run(s) {', '.join(unknown)}; known: {', '.join(RUNS)}")
    data = str(Path(args.data).resolve())
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        trees = {"now": ROOT, args.before: _extract(args.before, work)}
        for run in runs:
            figures = {name: _run(tree, data, run, work / f"{run}-{name}") for name, tree in trees.items()}
            _print(run, args.before, figures, _compare_outputs(work / f"{run}-now", work / f"{run}-{args.before}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
