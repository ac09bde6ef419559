"""DESIGN.md section 3: what runs inside LEAN stays uploadable and Tastytrade-safe."""
from __future__ import annotations

import ast
import inspect
import re
import subprocess
from pathlib import Path

from strategies.registry import SPECS, STRATEGY_CLASSES
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


# Strategy keys still written outside their strategy's module: the parameter sets (config/, named by
# their section = key) and the offline rule audit, which names strategies.
KEY_LITERALS_ELSEWHERE = ("config/strategy_parameters.py", "config/advanced_parameters.py", "offline/report/rule_audit.py")


def key_literals(path: str, keys: set[str]) -> set[str]:
    """The strategy keys written as a whole string literal in `path` (docstrings and longer texts
    that mention a key do not count)."""
    tree = ast.parse((REPO_ROOT / path).read_text())
    return {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and node.value in keys}


def test_each_strategy_key_is_written_only_in_its_module_and_the_registry():
    """A strategy declares itself once (its module's SPEC, listed by strategies/registry.py): the
    schedule, subscriptions, risk checks and configuration read the declarations, not the key."""
    own_module = {cls.key: inspect.getfile(cls) for cls in STRATEGY_CLASSES}
    assert sorted(own_module) == sorted(spec.key for spec in SPECS) and len(own_module) == 14
    keys = set(own_module)
    found = {}
    for path in tracked_python_files():
        if path.startswith("tests/") or path == "strategies/registry.py" or path in KEY_LITERALS_ELSEWHERE:
            continue
        literals = {key for key in key_literals(path, keys) if Path(own_module[key]) != REPO_ROOT / path}
        if literals:
            found[path] = sorted(literals)
    assert found == {}
    # the allowance is not stale: each file listed still writes a key
    assert [path for path in KEY_LITERALS_ELSEWHERE if not key_literals(path, keys)] == []
