"""`tomking journal OUT`: one line per record, filtered by strategy and kind."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from offline.commands.cli import main

RECORDS = [
    {"time": "2024-08-05T09:31:00-04:00", "kind": "regime_change", "strategy": None, "message": "VIX regime HIGH -> EXTREME"},
    {"time": "2024-08-05T10:02:00-04:00", "kind": "fill", "strategy": "lt112", "message": "open fill: LT112 1-1-2"},
    {"time": "2024-08-06T12:33:00-04:00", "kind": "exit", "strategy": "lt112", "message": "stop_loss", "pnl": -512.5},
    {"time": "2024-08-06T12:40:00-04:00", "kind": "denial", "strategy": "ipmcc", "message": "open denied",
     "reason": "sizing:risk_budget"},
]


@pytest.fixture()
def run_folder(tmp_path: Path) -> Path:
    (tmp_path / "journal.jsonl").write_text("".join(json.dumps(r) + "\n" for r in RECORDS))
    return tmp_path


def test_filters_by_strategy_and_kind(run_folder: Path, capsys) -> None:
    assert main(["journal", str(run_folder), "--strategy", "lt112", "--kind", "exits"]) == 0
    captured = capsys.readouterr()
    assert captured.out == f"2024-08-06 12:33  {'lt112':<22} {'exit':<13} stop_loss (P&L -512.50 USD)\n"
    assert "1 record(s)" in captured.err
    assert main(["journal", str(run_folder), "--kind", "denials"]) == 0
    assert capsys.readouterr().out.splitlines() == [f"2024-08-06 12:40  {'ipmcc':<22} {'denial':<13} open denied"]
    assert main(["journal", str(run_folder)]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 4


def test_an_unknown_strategy_or_folder_is_named(run_folder: Path, tmp_path: Path, capsys) -> None:
    assert main(["journal", str(run_folder), "--strategy", "lt11"]) == 2
    assert "--strategy 'lt11' has no record in this journal; did you mean lt112?" in capsys.readouterr().err
    assert main(["journal", str(tmp_path / "nothing")]) == 2
    assert "no journal.jsonl in" in capsys.readouterr().err
