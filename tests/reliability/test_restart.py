"""Stopping a backtest at any minute and resuming it gives exactly the uninterrupted run's results.

Twenty stop points on a real-data window with trades, working orders and exits (2024-07-15 ..
2024-09-15, the 2024-08-05 spike inside): each point is saved as `--stop-at` saves it, resumed by
a fresh runner from the files alone and run to the end; trades.csv, the equity series, the
journal and the counters must equal the uninterrupted run's. Then corrupted, edited, mismatched
and older-schema state must be refused with a clear error.
"""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from core.engine.system_state import SCHEMA_VERSION
from helpers.exchange_calendar import EASTERN
from offline.broker.faults import BrokerFaults
from offline.replay.restart import (
    CHECKPOINT_FILE,
    CHECKPOINT_SCHEMA,
    STATE_FOLDER,
    RunSettings,
    build_runner,
    load_checkpoint,
    resume_runner,
    save_checkpoint,
)
from tests.reliability.runs import SHORT_WINDOW, outputs, stop_at_each, stop_points

SEED = 20240805
POINT_COUNT = 20  # 12 chosen (entries working, exits working, a close, an open) and 8 drawn with SEED


@pytest.fixture(scope="module")
def settings(shared_data: Path) -> RunSettings:
    return RunSettings(str(shared_data), dict(SHORT_WINDOW))


@pytest.fixture(scope="module")
def reference(settings: RunSettings, tmp_path_factory: pytest.TempPathFactory):
    runner = build_runner(settings, tmp_path_factory.mktemp("reference") / STATE_FOLDER)
    result = runner.run()
    assert not runner.stopped and result.equity
    return runner, result


@pytest.fixture(scope="module")
def saved_points(settings: RunSettings, reference, tmp_path_factory: pytest.TempPathFactory):
    runner, result = reference
    points = stop_points(runner, result, SEED, POINT_COUNT)
    assert len(points) == POINT_COUNT
    return list(zip(points, stop_at_each(settings, tmp_path_factory.mktemp("stops"), points), strict=True))


def test_the_window_has_trades_working_orders_and_exits(reference, saved_points) -> None:
    _, result = reference
    assert len(result.system.book.trades) >= 3
    in_flight = [facts for _, (_, facts) in saved_points]
    assert sum(f["orders"] > 0 for f in in_flight) >= 4  # stopped with an order working at the broker
    assert sum(f["exits"] > 0 for f in in_flight) >= 2  # stopped while a position was exiting
    assert sum(f["positions"] > 0 for f in in_flight) >= 6  # stopped with positions open


@pytest.mark.parametrize("number", range(POINT_COUNT))
def test_resume_from_each_point_matches_the_uninterrupted_run(number: int, reference, saved_points) -> None:
    point, (folder, _) = saved_points[number]
    runner, _ = resume_runner(folder)
    assert runner.next_step_time() > point
    result = runner.run()
    assert not runner.stopped
    expected, actual = outputs(reference[1]), outputs(result)
    for key in expected:
        assert actual[key] == expected[key], f"{key} differs after a stop at {point:%Y-%m-%d %H:%M}"


def test_the_system_document_is_the_lean_adapter_schema(saved_points) -> None:
    folder = saved_points[0][1][0]
    checkpoint = load_checkpoint(folder)
    document = json.loads((folder / STATE_FOLDER / f"{checkpoint['key_prefix']}/system.json").read_text())
    assert document["schema"] == SCHEMA_VERSION
    assert {"sequence", "vix", "breakers", "phases", "machines", "statistics", "memory", "book",
            "orders"} <= set(document)


def test_stop_times_outside_the_run_are_refused(settings: RunSettings, tmp_path: Path) -> None:
    runner = build_runner(settings, tmp_path / STATE_FOLDER)
    with pytest.raises(ValueError, match="before the run's next step"):
        runner.run(datetime(2024, 7, 12, 10, 0, tzinfo=EASTERN))
    with pytest.raises(ValueError, match="not before the run's last close"):
        runner.run(datetime(2024, 9, 13, 16, 0, tzinfo=EASTERN))
    with pytest.raises(ValueError, match="timezone-aware"):
        runner.run(datetime(2024, 8, 1, 10, 0))
    with pytest.raises(ValueError, match="only a stopped run"):
        save_checkpoint(runner, tmp_path, settings)


# --- damaged state is refused ------------------------------------------------------------------


@pytest.fixture
def stopped(saved_points, tmp_path: Path) -> Path:
    import shutil

    return Path(shutil.copytree(saved_points[5][1][0], tmp_path / "stopped"))


def _system_path(folder: Path) -> Path:
    return folder / STATE_FOLDER / f"{load_checkpoint(folder)['key_prefix']}/system.json"


def _edit_json(path: Path, change) -> None:
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document, sort_keys=True))


def test_no_checkpoint(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no checkpoint in .*nothing to resume"):
        resume_runner(tmp_path)


def test_truncated_checkpoint(stopped: Path) -> None:
    path = stopped / CHECKPOINT_FILE
    path.write_text(path.read_text()[:-200])
    with pytest.raises(ValueError, match="checkpoint .* is corrupted"):
        resume_runner(stopped)


def test_edited_checkpoint_value(stopped: Path) -> None:
    _edit_json(stopped / CHECKPOINT_FILE, lambda d: d["broker"].update(cash=d["broker"]["cash"] + 1.0))
    with pytest.raises(ValueError, match="does not match its digest"):
        resume_runner(stopped)


def test_older_checkpoint_schema(stopped: Path) -> None:
    _edit_json(stopped / CHECKPOINT_FILE, lambda d: d.update(schema=0))
    with pytest.raises(ValueError, match=f"has schema 0; this version reads schema {CHECKPOINT_SCHEMA}"):
        resume_runner(stopped)


def test_edited_system_document(stopped: Path) -> None:
    _edit_json(_system_path(stopped), lambda d: d.update(sequence=d["sequence"] + 1))
    with pytest.raises(ValueError, match="not the one saved with the checkpoint"):
        resume_runner(stopped)


def test_older_system_schema(stopped: Path) -> None:
    _edit_json(_system_path(stopped), lambda d: d.update(schema=SCHEMA_VERSION - 1))
    with pytest.raises(ValueError, match=f"has schema {SCHEMA_VERSION - 1}; this version reads schema"):
        resume_runner(stopped)


def test_malformed_system_document(stopped: Path) -> None:
    _edit_json(_system_path(stopped), lambda d: d.pop("book"))
    with pytest.raises(ValueError, match="is malformed"):
        resume_runner(stopped)


def test_missing_system_document(stopped: Path) -> None:
    _system_path(stopped).unlink()
    with pytest.raises(ValueError, match="system is missing"):
        resume_runner(stopped)


def test_unreadable_system_document(stopped: Path) -> None:
    _system_path(stopped).write_text("{\"schema\": 1, ")
    with pytest.raises(ValueError, match="is corrupted"):
        resume_runner(stopped)


def test_resume_keeps_the_broker_fault_dice(shared_data: Path, tmp_path: Path) -> None:
    """Random broker faults continue from the same generator state after a resume."""
    faults = BrokerFaults(reject_probability=0.2, cancel_probability=0.1, partial_fill=True, seed=5)
    settings = RunSettings(str(shared_data), {**SHORT_WINDOW, "risk_phase1_max_contracts": "3"}, faults)
    reference = build_runner(settings, tmp_path / "whole" / STATE_FOLDER).run()
    assert sum("fault: random rejection" in r["message"] for r in reference.journal.records) >= 2
    folder = tmp_path / "chain"
    runner = build_runner(settings, folder / STATE_FOLDER)
    for point in (datetime(2024, 7, 15, 10, 31, tzinfo=EASTERN), datetime(2024, 8, 5, 10, 3, tzinfo=EASTERN),
                  datetime(2024, 8, 7, 10, 1, tzinfo=EASTERN)):
        runner.run(point)
        save_checkpoint(runner, folder, settings)
        runner, resumed_settings = resume_runner(folder)
        assert resumed_settings == settings
    assert outputs(runner.run()) == outputs(reference)
