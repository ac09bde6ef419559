"""The outputs' worker processes: charts drawn in them are the bytes drawn in one process, their errors
reach the caller, they ignore Ctrl-C, and the short put baseline computed in them is used only for the
sessions that ran."""
from __future__ import annotations

import json
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from config.loader import load_config
from offline.market.market_data import load_market_data
from offline.report.equity_chart import drawdown_png, equity_png, vix_regime_png
from offline.report.outputs import baseline_series
from offline.report.workers import PendingBaseline, later, output_pool, start_short_put

DAYS = [date(2024, 3, 1) + timedelta(days=i) for i in range(40)]
EQUITY = [30_000.0 + 40.0 * i - 3.0 * i * i % 250 for i in range(40)]
JOBS = [(equity_png, (DAYS, EQUITY, {"SPY buy and hold": [30_000.0 + 25.0 * i for i in range(40)]})),
        (drawdown_png, (DAYS, [-0.001 * (i % 7) for i in range(40)])),
        (vix_regime_png, (DAYS, [14.0 + i % 9 for i in range(40)], ["LOW"] * 20 + ["ELEVATED"] * 20))]


def render_all(jobs: list, pool: ProcessPoolExecutor | None) -> list[bytes]:
    return [value() for value in [later(pool, function, args) for function, args in jobs]]


def test_charts_drawn_by_the_workers_are_the_bytes_drawn_here_and_their_errors_reach_the_caller() -> None:
    here = render_all(JOBS, None)
    with output_pool() as pool:
        assert render_all(JOBS, pool) == here
        with pytest.raises(ValueError, match=r"equity\[2\] = nan is not finite"):
            render_all([(equity_png, (DAYS[:3], [1.0, 2.0, float("nan")]))], pool)
    assert all(png.startswith(b"\x89PNG\r\n\x1a\n") for png in here) and len(set(here)) == 3


def test_workers_ignore_ctrl_c_and_leaving_the_pool_ends_them() -> None:
    with output_pool() as pool:
        render_all(JOBS[:1], pool)  # the workers have started
        workers = multiprocessing.active_children()
        assert len(workers) == 2
        for worker in workers:
            assert worker.pid is not None
            os.kill(worker.pid, signal.SIGINT)
        time.sleep(0.2)
        assert all(worker.is_alive() for worker in workers)
        assert render_all(JOBS[1:], pool) == render_all(JOBS[1:], None)
    assert not any(worker.is_alive() for worker in workers)


def test_the_short_put_from_the_workers_is_used_only_over_the_sessions_that_ran(shared_data: Path) -> None:
    market = load_market_data(shared_data, date(2024, 1, 2), date(2024, 2, 29))
    sessions = [d.astype(object) for d in market.sessions if d >= np.datetime64(market.start)]
    config = load_config({"backtest_cash": "30000"})
    result = SimpleNamespace(market=market, equity_dates=sessions, config=config)
    here = baseline_series(result)[0]["spy_short_put_45dte"]  # type: ignore[arg-type]
    with output_pool() as pool:
        pending = start_short_put(pool, market, sessions, 30_000.0, config.risk.buying_power_reserve)
        assert pending.value().tobytes() == here.tobytes()
    marker = np.full(len(sessions), -1.0)
    taken = baseline_series(result, PendingBaseline(tuple(sessions), lambda: marker))[0]  # type: ignore[arg-type]
    assert taken["spy_short_put_45dte"] is marker
    # asked for over other sessions (a run that ended early): computed again over the sessions that ran
    other = baseline_series(result, PendingBaseline(tuple(sessions[:-1]), lambda: marker))[0]  # type: ignore[arg-type]
    assert other["spy_short_put_45dte"].tobytes() == here.tobytes()


def test_the_report_drawn_by_the_workers_is_the_page_drawn_here() -> None:
    from offline.report.html import render_html_report, start_html_report
    from tests.reporting.test_html_report import _inputs

    with output_pool() as pool:
        assert start_html_report(**_inputs(), pool=pool)() == render_html_report(**_inputs())


def _run_command(data: Path, out: Path, *options: str) -> str:
    """`tomking backtest` over a week in a fresh interpreter: its exit code and whether it imported matplotlib."""
    argv = ["backtest", "--data", str(data), "--start", "2024-08-01", "--end", "2024-08-09", "--out", str(out),
            "--quiet", *options]
    code = f"import sys\nfrom offline.commands.cli import main\nprint(main({argv!r}), 'matplotlib' in sys.modules)\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=300)
    assert done.stdout.strip(), done.stderr[-2000:]
    return done.stdout.splitlines()[-1]


def _images(out: Path) -> list[str]:
    return re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', (out / "report.html").read_text(encoding="ascii"))


def test_the_backtest_command_draws_its_charts_in_the_workers_or_with_none_in_its_own_process(
        shared_data: Path, tmp_path: Path) -> None:
    # the command's own process never imports matplotlib, yet writes every chart
    assert _run_command(shared_data, tmp_path / "workers") == "0 False"
    assert len(_images(tmp_path / "workers")) == 9
    assert (tmp_path / "workers" / "equity.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    # --chart-workers 0: everything in the command's process, the same outputs
    assert _run_command(shared_data, tmp_path / "alone", "--chart-workers", "0") == "0 True"
    assert _images(tmp_path / "alone") == _images(tmp_path / "workers")
    for name in ("equity.png", "trades.csv", "journal.jsonl", "daily.csv", "equity.csv"):
        assert (tmp_path / "alone" / name).read_bytes() == (tmp_path / "workers" / name).read_bytes(), name
    summaries = [json.loads((tmp_path / run / "summary.json").read_text()) for run in ("alone", "workers")]
    for summary in summaries:
        del summary["run"]["command"], summary["wall_seconds"]
    assert summaries[0] == summaries[1]
    assert _run_command(shared_data, tmp_path / "bad", "--chart-workers", "-1") == "2 False"


def test_a_worker_killed_in_a_job_is_an_error_not_a_wait_for_ever() -> None:
    with output_pool(1) as pool:
        pid = later(pool, os.getpid, ())()
        waiting = later(pool, time.sleep, (30,))
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(RuntimeError, match="an output worker died computing sleep"):
            waiting()
