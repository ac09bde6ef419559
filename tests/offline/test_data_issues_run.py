"""A backtest over real data with one impossible value in its window: reported, not fatal (no new
entries on that day, everything else runs), and --strict-data stops at it with file and line."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from offline.commands.cli import main

# $33,600: about what the seed account holds by then, so the LEAP ladder's rung budget reaches a rung
WINDOW = ["--start", "2024-07-01", "--end", "2024-08-09", "--cash", "33600", "--quiet"]


@pytest.fixture(scope="module")
def bad_copy(shared_data: Path, tmp_path_factory) -> tuple[Path, int]:
    """The real data with SPY's 2024-07-08 high set below its close (the LEAP ladder buys its second
    rung that morning in the clean run, at 10:40 after a timed-out first order)."""
    root = tmp_path_factory.mktemp("bad") / "data"
    shutil.copytree(shared_data / "daily", root / "daily")
    shutil.copytree(shared_data / "rates", root / "rates")
    shutil.copytree(shared_data / "intraday", root / "intraday")
    lines = (root / "daily" / "SPY.csv").read_text().splitlines()
    line = next(i for i, text in enumerate(lines, start=1) if text.startswith("2024-07-08,"))
    fields = lines[line - 1].split(",")
    fields[2] = "500.0"  # high below open and close
    lines[line - 1] = ",".join(fields)
    (root / "daily" / "SPY.csv").write_text("\n".join(lines) + "\n")
    return root, line


def _journal(out: Path) -> list[dict]:
    return [json.loads(text) for text in (out / "journal.jsonl").read_text().splitlines()]


def test_the_run_goes_on_lists_the_issue_and_opens_nothing_on_spy_that_day(bad_copy, tmp_path, capsys):
    root, line = bad_copy
    assert main(["backtest", "--data", str(root), "--out", str(tmp_path), *WINDOW]) == 0
    assert "warning: 1 data issue(s), first daily/SPY.csv line" in capsys.readouterr().err
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["errors"] == 0
    [issue] = summary["data_issues"]
    assert issue["file"] == "daily/SPY.csv" and issue["line"] == line and issue["date"] == "2024-07-08"
    assert "inconsistent" in issue["problem"]
    records = _journal(tmp_path)
    denied = [r for r in records if r["kind"] == "denial" and r["reason"] == "data:bad_day"]
    assert denied and all(r["time"].startswith("2024-07-08") for r in denied)
    # SPY's ladder; nothing else denied (the IPMCC, asking again that day, cannot afford its LEAP: a skip)
    assert {r["strategy"] for r in denied} == {"leap_put_ladder"}
    assert not [r for r in records if r["kind"] == "fill" and r["time"].startswith("2024-07-08")]
    assert any(r["kind"] == "fill" and r["time"] > "2024-07-09" for r in records)  # later days trade again
    report = (tmp_path / "report.html").read_text()
    assert "Data issues (1)" in report and "daily/SPY.csv" in report


def test_strict_data_stops_at_the_first_problem(bad_copy, tmp_path, capsys):
    root, line = bad_copy
    assert main(["backtest", "--data", str(root), "--out", str(tmp_path), "--strict-data", *WINDOW]) == 2
    error = capsys.readouterr().err
    assert f"daily/SPY.csv line {line}: bar 2024-07-08 is inconsistent" in error
    assert not (tmp_path / "summary.json").exists()
