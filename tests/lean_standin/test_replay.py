"""The end-to-end replay of main.py through the stand-in (`make lean-replay`), run once in a
process of its own (main.py must import the stand-in's AlgorithmImports, not the adapter tests'
fakes).

test_replay_trades needs a LEAN-side fix still missing: the minute event fires at 09:30 (LEAN's
`TimeRules.Every` starts at midnight, `Lean:Common/Scheduling/TimeRules.cs:396-409`), before the
session-start event at 09:31, and on the first session the core's minute cycle then raises
("call on_new_session before any other update"), which stops a backtest. (Before the adapter
read the VIX bar's end time in its exchange zone, every reading was also stale: 0/1945.)
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LINE = re.compile(r"^lean replay: (\d+) sessions, (\d+)/(\d+) VIX readings fresh, (\d+) chains, (\d+) orders, "
                  r"(\d+) fills, (\d+) errors$")
SESSIONS = 5  # 2024-08-05 .. 2024-08-09
MINUTES_PER_SESSION = 389  # regular-hours minutes 09:31 .. 15:59 (16:00 is the close)


@pytest.fixture(scope="module")
def replay(shared_data: Path) -> tuple[dict[str, int], str]:
    done = subprocess.run([sys.executable, "-m", "tests.lean_standin.replay", "--data", str(shared_data)],
                          cwd=REPO, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    last = done.stdout.strip().splitlines()[-1]
    match = LINE.match(last)
    assert match is not None, f"unexpected last line: {last!r}"
    names = ("sessions", "fresh", "readings", "chains", "orders", "fills", "errors")
    return dict(zip(names, (int(g) for g in match.groups()), strict=True)), done.stdout


def test_replay_counts_are_consistent(replay: tuple[dict[str, int], str]) -> None:
    counts, _ = replay
    assert counts["sessions"] <= SESSIONS
    assert counts["readings"] == MINUTES_PER_SESSION * counts["sessions"] or counts["errors"] > 0
    assert counts["fresh"] <= counts["readings"] and counts["fills"] <= counts["orders"]


def test_replay_trades(replay: tuple[dict[str, int], str]) -> None:
    """Needs a minute cycle that waits for the session start (see the module docstring)."""
    counts, output = replay
    assert counts["sessions"] == SESSIONS and counts["errors"] == 0, output[-2000:]
    assert counts["readings"] == counts["fresh"] == SESSIONS * MINUTES_PER_SESSION
    assert counts["chains"] > 0 and counts["orders"] > 0 and counts["fills"] > 0
    assert "summary:" in output  # on_end_of_algorithm ran
    stored = re.search(r"object store keys: (\d+)", output)
    assert stored is not None and int(stored.group(1)) >= 1  # the core's state was saved
