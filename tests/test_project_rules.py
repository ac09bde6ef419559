"""DESIGN.md section 3: what runs inside LEAN stays uploadable and Tastytrade-safe."""
from __future__ import annotations

import re
import subprocess

from tests.conftest import REPO_ROOT

LEAN_OUTSIDE = ("tests/", "offline/", "benchmarks/")


def tracked_python_files() -> list[str]:
    listing = subprocess.run(["git", "ls-files", "*.py"], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    files = [f for f in listing.stdout.split() if (REPO_ROOT / f).is_file()]
    assert len(files) > 50
    return files


def test_all_source_is_ascii():
    offenders = [f for f in tracked_python_files() if not (REPO_ROOT / f).read_bytes().isascii()]
    assert offenders == []


def test_lean_side_files_fit_quantconnect_cloud():
    lean_side = [f for f in tracked_python_files() if not f.startswith(LEAN_OUTSIDE)]
    too_big = [f for f in lean_side if len((REPO_ROOT / f).read_bytes()) > 32_000]
    assert too_big == []


def test_algorithm_imports_only_in_main_and_the_adapter():
    users = [f for f in tracked_python_files()
             if re.search(r"^\s*(from|import)\s+AlgorithmImports", (REPO_ROOT / f).read_text(), re.MULTILINE)]
    assert all(f == "main.py" or f.startswith("lean_adapter/") for f in users), users


def test_no_combo_market_orders_in_code_that_trades():
    """Tests may name the forbidden calls (to assert they are absent); no code that trades may."""
    pattern = re.compile(r"combo_market_order|self\.(buy|sell)\(\s*OptionStrateg")
    offenders = [f for f in tracked_python_files()
                 if not f.startswith("tests/") and pattern.search((REPO_ROOT / f).read_text())]
    assert offenders == []
