"""Builders shared by the reliability tests: short real-data runs, comparable outputs, stop points."""
from __future__ import annotations

import random
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from helpers.exchange_calendar import session_open_close
from offline.replay.restart import STATE_FOLDER, RunSettings, build_runner, save_checkpoint
from offline.replay.runner import BacktestRunner, RunResult
from reporting.trade_log import trades_csv_text

SHORT_WINDOW = {"backtest_start": "2024-07-15", "backtest_end": "2024-09-15"}  # holds the 2024-08-05 spike


def outputs(result: RunResult) -> dict[str, Any]:
    """Everything a run writes that must not depend on a stop and a resume (wall time excluded)."""
    return {"trades_csv": trades_csv_text(result.system.book.trades),
            "equity": [repr(v) for v in result.equity], "dates": list(result.equity_dates),
            "vix_close": [repr(v) for v in result.vix_close], "regimes": list(result.regimes),
            "journal": result.journal.to_jsonl_lines(), "journal_counts": result.journal.counts(),
            "max_open_positions": result.max_open_positions, "simulated_minutes": result.simulated_minutes,
            "final_equity": result.equity[-1]}


def run_minutes(runner: BacktestRunner) -> list[datetime]:
    """Every minute step of the run's sessions, plus each session's close, in order."""
    steps: list[datetime] = []
    for day in runner.sessions():
        open_dt, close_dt = session_open_close(day)
        steps.extend(open_dt + timedelta(minutes=m) for m in range(int((close_dt - open_dt).total_seconds() // 60)))
        steps.append(close_dt)
    return steps


def order_minutes(result: RunResult, purpose: str) -> list[datetime]:
    """Minutes at which the run submitted an order of `purpose` ("open" or "close")."""
    return [datetime.fromisoformat(r["time"]) for r in result.journal.records
            if r["kind"] == "order" and r["message"].startswith(f"{purpose} order")]


def stop_points(runner: BacktestRunner, reference: RunResult, seed: int, count: int) -> list[datetime]:
    """`count` deterministic stop points: entry orders working, exits in progress, a session close,
    a session open, and the rest minutes drawn with `seed`; sorted, distinct."""
    chosen: set[datetime] = set()
    for minute in order_minutes(reference, "open")[:3]:
        chosen.update({minute, minute + timedelta(minutes=1)})
    for minute in order_minutes(reference, "close")[:2]:
        chosen.update({minute, minute + timedelta(minutes=1)})
    days = runner.sessions()
    chosen.add(session_open_close(days[len(days) // 3])[1])  # right after a close
    chosen.add(session_open_close(days[len(days) // 2])[0])  # right after an open
    candidates = [t for t in run_minutes(runner)[:-1] if t not in chosen]
    chosen.update(random.Random(seed).sample(candidates, count - len(chosen)))
    return sorted(chosen)


def stop_at_each(settings: RunSettings, base: Path, points: list[datetime]) -> list[tuple[Path, dict[str, int]]]:
    """One runner stopped at each point in turn; a copy of the saved run per point, with what was
    in flight there (working orders at the broker, open positions, exits working)."""
    runner = build_runner(settings, base / "run" / STATE_FOLDER)
    saved = []
    for number, point in enumerate(points):
        runner.run(point)
        assert runner.stopped, point
        save_checkpoint(runner, base / "run", settings)
        copy = Path(shutil.copytree(base / "run", base / f"point{number:02d}"))
        in_flight = {"orders": len(runner.broker.open_order_ids()), "positions": len(runner.system.book.all_open()),
                     "exits": sum(o.intent.purpose.value == "close" for o in runner.system.orders.values())}
        saved.append((copy, in_flight))
    return saved
