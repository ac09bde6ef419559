"""`tomking sweep`: grid validation, parallel runs equal to direct backtests, resume, failures,
walk-forward windows and Dask distributed (real data, three-month windows)."""
from __future__ import annotations

import csv
import json
import shutil
import tempfile
from datetime import date
from pathlib import Path

import pytest

from offline.commands.cli import main
from offline.replay.restart import RunSettings, build_runner
from offline.report.outputs import build_summary
from offline.research.sweep import (
    ROW_FILE,
    RUNS,
    Task,
    combination_id,
    combinations,
    dask_executor,
    parse_grid,
    run_sweep,
    run_task,
)
from offline.research.sweep_spec import SweepSpec
from offline.research.walk_forward import parse_walk_forward, run_walk_forward, windows

START, END = "2024-01-02", "2024-04-01"
GRID = ("lt112_profit_target=0.5,0.9", "futures_strangle_iv_rank_min=0,30")


def serial(tasks: list[Task], workers: int):
    for task in tasks:
        yield run_task(task)


def spec_for(data: Path, grid=GRID, start=START, end=END) -> SweepSpec:
    return SweepSpec(str(data), start, end, "30000", parse_grid(grid))


@pytest.mark.parametrize(("items", "message"), [
    (["lt112_profit_target"], "expected NAME=v1,v2"),
    (["no_such_parameter=1,2"], "unknown parameter 'no_such_parameter'"),
    (["backtest_cash=1,2"], "--start, --end and --cash"),
    (["lt112_profit_target=0.5,,0.9"], "empty value"),
    (["lt112_profit_target=0.5,0.5"], "repeated"),
    (["lt112_profit_target=0.5", "lt112_profit_target=0.6"], "given twice"),
    ([], "at least one --grid"),
])
def test_a_malformed_grid_is_refused(items, message):
    with pytest.raises(ValueError, match=message):
        parse_grid(items)


def test_an_out_of_range_value_stops_before_any_run(tmp_path):
    spec = SweepSpec(str(tmp_path), START, END, "30000", parse_grid(["lt112_profit_target=0.5,7"]))
    with pytest.raises(ValueError, match=r"combination \{'lt112_profit_target': '7'\}.*lt112_profit_target"):
        combinations(spec)


def test_combinations_first_parameter_slowest(tmp_path):
    combos = combinations(SweepSpec(str(tmp_path), START, END, "30000", parse_grid(GRID)))
    assert combos == [{"lt112_profit_target": a, "futures_strangle_iv_rank_min": b}
                      for a in ("0.5", "0.9") for b in ("0", "30")]


@pytest.fixture(scope="module")
def swept(shared_data: Path, tmp_path_factory) -> tuple[Path, list[dict]]:
    out = tmp_path_factory.mktemp("sweep")
    code = main(["sweep", "--data", str(shared_data), "--start", START, "--end", END, "--grid", GRID[0],
                 "--grid", GRID[1], "--workers", "2", "--out", str(out), "--quiet"])
    assert code == 0
    with (out / "sweep.csv").open(encoding="ascii") as handle:
        return out, list(csv.DictReader(handle))


def test_a_2x2_sweep_over_three_months_gives_4_rows(swept):
    out, rows = swept
    assert len(rows) == 4
    assert {(r["lt112_profit_target"], r["futures_strangle_iv_rank_min"]) for r in rows} == {
        ("0.5", "0"), ("0.5", "30"), ("0.9", "0"), ("0.9", "30")}
    assert all(r["status"] == "ok" and r["error"] == "" for r in rows)
    assert all(int(r["trades"]) >= 1 for r in rows)
    page = (out / "sweep.html").read_text(encoding="utf-8")
    assert page.count("<tr") == 5 and 'class="best"' in page and "modelled" in page
    assert "http://" not in page and "https://" not in page


def test_each_row_equals_the_same_backtest_run_directly(swept, shared_data):
    _, rows = swept
    row = rows[-1]
    overrides = {"backtest_start": START, "backtest_end": END, "backtest_cash": "30000",
                 "lt112_profit_target": row["lt112_profit_target"],
                 "futures_strangle_iv_rank_min": row["futures_strangle_iv_rank_min"]}
    with tempfile.TemporaryDirectory() as state:
        summary = build_summary(build_runner(RunSettings(str(shared_data), overrides), Path(state)).run())
    assert float(row["total_return"]) == pytest.approx(summary["total_return"], abs=1e-12)
    assert float(row["sharpe"]) == pytest.approx(summary["sharpe"], abs=1e-12)
    assert int(row["trades"]) == summary["trades"]
    assert float(row["max_drawdown"]) == pytest.approx(summary["max_drawdown"], abs=1e-12)


def test_an_interrupted_sweep_resumes_with_only_the_missing_combination(swept, tmp_path):
    out = tmp_path / "resumed"
    shutil.copytree(swept[0], out)
    missing = out / RUNS / combination_id({"lt112_profit_target": "0.9", "futures_strangle_iv_rank_min": "0"})
    (missing / ROW_FILE).unlink()
    ran: list[dict] = []
    lines: list[str] = []

    def counting(tasks, workers):
        ran.extend(task.params for task in tasks)
        yield from serial(tasks, workers)

    data = json.loads((out / "sweep.json").read_text())["data_dir"]
    rows = run_sweep(spec_for(Path(data)), out, 1, counting, lines.append)
    assert ran == [{"lt112_profit_target": "0.9", "futures_strangle_iv_rank_min": "0"}]
    assert lines[0].startswith("resuming: 3 of 4 combinations already done")
    with (swept[0] / "sweep.csv").open(encoding="ascii") as handle:
        before = list(csv.DictReader(handle))
    with (out / "sweep.csv").open(encoding="ascii") as handle:
        assert list(csv.DictReader(handle)) == before
    assert len(rows) == 4


def test_another_sweep_in_the_same_folder_is_refused(swept):
    out, _ = swept
    data = json.loads((out / "sweep.json").read_text())["data_dir"]
    with pytest.raises(ValueError, match="holds another sweep"):
        run_sweep(spec_for(Path(data), grid=("lt112_profit_target=0.5,0.6",)), out, 1, serial, lambda _: None)


def test_a_failing_combination_is_recorded_and_the_sweep_goes_on(tmp_path):
    row = run_task(Task(str(tmp_path / "no_data"), {"backtest_start": START, "backtest_end": END},
                        {"lt112_profit_target": "0.5"}, str(tmp_path / "runs" / "x")))
    assert row["status"] == "failed" and "no_data" in row["error"]
    assert json.loads((tmp_path / "runs" / "x" / ROW_FILE).read_text())["status"] == "failed"


def test_walk_forward_windows_step_by_the_test_length():
    assert windows(date(2023, 1, 1), date(2023, 12, 31), 6, 3) == [
        (date(2023, 1, 1), date(2023, 6, 30), date(2023, 7, 1), date(2023, 9, 30)),
        (date(2023, 4, 1), date(2023, 9, 30), date(2023, 10, 1), date(2023, 12, 31)),
    ]
    with pytest.raises(ValueError, match="shorter than one fit window"):
        windows(date(2023, 1, 1), date(2023, 3, 31), 6, 3)
    assert parse_walk_forward("6:3") == (6, 3)
    with pytest.raises(ValueError, match="FIT_MONTHS:TEST_MONTHS"):
        parse_walk_forward("6")


def test_walk_forward_runs_the_fit_winner_on_the_next_window(shared_data, tmp_path):
    spec = spec_for(shared_data, grid=("lt112_profit_target=0.5,0.9",), start="2024-01-02", end="2024-03-01")
    lines = run_walk_forward(spec, tmp_path, 1, 1, 1, "total_return", serial, lambda _: None)
    assert len(lines) == 1 and lines[0]["test_status"] == "ok"
    fit = json.loads(next((tmp_path / "walk_forward" / "01-fit" / RUNS).glob(f"*/{ROW_FILE}")).read_text())
    assert lines[0]["fit_start"] == "2024-01-02" and lines[0]["test_start"] == "2024-02-02"
    with (tmp_path / "walk_forward" / "01-fit" / "sweep.csv").open(encoding="ascii") as handle:
        fit_rows = list(csv.DictReader(handle))
    best = max(fit_rows, key=lambda r: float(r["total_return"]))
    assert lines[0]["chosen"] == f"lt112_profit_target={best['lt112_profit_target']}"
    assert fit["status"] == "ok"
    assert (tmp_path / "walk_forward.csv").is_file()


def test_dask_local_cluster_gives_the_same_rows(shared_data, tmp_path):
    spec = spec_for(shared_data, grid=("lt112_profit_target=0.5,0.9",), start="2024-01-02", end="2024-02-01")
    local = run_sweep(spec, tmp_path / "local", 1, serial, lambda _: None)
    dask = run_sweep(spec, tmp_path / "dask", 1, dask_executor(None), lambda _: None)
    strip = [{k: v for k, v in row.items() if k != "seconds"} for row in local]
    assert [{k: v for k, v in row.items() if k != "seconds"} for row in dask] == strip
