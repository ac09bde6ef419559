"""`tomking backtest --stop-at` then `--resume` writes the same files as one uninterrupted run; the
full seed run survives a chain of stops and resumes across both daylight-saving changes."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from helpers.exchange_calendar import EASTERN
from offline.commands.cli import main
from offline.replay.restart import (
    CHECKPOINT_FILE,
    STATE_FOLDER,
    RunSettings,
    build_runner,
    resume_runner,
    save_checkpoint,
)
from tests.reliability.runs import order_minutes, outputs

CLI_WINDOW = ["--start", "2024-08-01", "--end", "2024-08-16"]
SAME_FILES = ("trades.csv", "equity.csv", "journal.jsonl")


def _summary_without_wall_time(folder: Path) -> dict:
    summary = json.loads((folder / "summary.json").read_text())
    summary.pop("wall_seconds")
    summary["run"].pop("command")  # the command that started the run: with --stop-at or without
    return summary


def test_cli_stop_and_resume_write_the_same_files(shared_data: Path, tmp_path: Path, capsys) -> None:
    data = ["--data", str(shared_data), "--quiet"]
    assert main(["backtest", *data, *CLI_WINDOW, "--out", str(tmp_path / "whole")]) == 0
    stopped = tmp_path / "stopped"
    assert main(["backtest", *data, *CLI_WINDOW, "--out", str(stopped), "--stop-at", "2024-08-05 10:01"]) == 0
    assert "stopped before 2024-08-05 10:02" in capsys.readouterr().out
    assert (stopped / CHECKPOINT_FILE).is_file() and not (stopped / "trades.csv").exists()
    assert main(["backtest", "--resume", str(stopped), "--stop-at", "2024-08-09 16:00", "--quiet"]) == 0
    assert main(["backtest", "--resume", str(stopped), "--quiet"]) == 0
    for name in SAME_FILES:
        assert (stopped / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name
    assert _summary_without_wall_time(stopped) == _summary_without_wall_time(tmp_path / "whole")
    assert not (stopped / CHECKPOINT_FILE).exists()  # a finished run has nothing left to resume
    assert main(["backtest", "--resume", str(stopped)]) == 2
    assert "nothing to resume" in capsys.readouterr().err


def test_cli_refuses_mixed_or_bad_options(shared_data: Path, tmp_path: Path, capsys) -> None:
    assert main(["backtest", "--resume", str(tmp_path), "--data", str(shared_data)]) == 2
    assert "drop --data" in capsys.readouterr().err
    assert main(["backtest", "--data", str(shared_data), *CLI_WINDOW, "--out", str(tmp_path),
                 "--stop-at", "2024-08-05T10:01"]) == 2
    assert "is not \"YYYY-MM-DD HH:MM\"" in capsys.readouterr().err
    assert main(["backtest", "--data", str(shared_data), *CLI_WINDOW, "--out", str(tmp_path),
                 "--fault", "explode=1"]) == 2
    assert "unknown broker fault 'explode'" in capsys.readouterr().err


def test_seed_run_survives_a_chain_of_stops(shared_data: Path, tmp_path: Path) -> None:
    """The seed run 2023-01-01..2025-01-01 stopped four times (before both DST changes, with an
    order working, at a drawn minute), each time resumed from the files by a fresh runner."""
    settings = RunSettings(str(shared_data), {})
    reference_runner = build_runner(settings, tmp_path / "reference" / STATE_FOLDER)
    reference = reference_runner.run()
    working = order_minutes(reference, "open")[len(order_minutes(reference, "open")) // 2]
    points = sorted([datetime(2023, 3, 10, 15, 59, tzinfo=EASTERN),  # DST starts 2023-03-12
                     working, datetime(2024, 6, 12, 11, 17, tzinfo=EASTERN),
                     datetime(2024, 11, 1, 16, 0, tzinfo=EASTERN)])  # DST ends 2024-11-03
    folder = tmp_path / "chain"
    runner = build_runner(settings, folder / STATE_FOLDER)
    for point in points:
        runner.run(point)
        assert runner.stopped
        save_checkpoint(runner, folder, settings)
        runner, _ = resume_runner(folder)
    result = runner.run()
    assert not runner.stopped
    expected, actual = outputs(reference), outputs(result)
    assert len(reference.system.book.trades) >= 10
    for key in expected:
        assert actual[key] == expected[key], key
