"""DESIGN.md section 3: what runs inside LEAN stays uploadable and Tastytrade-safe."""
from __future__ import annotations

import ast
import inspect
import re
import subprocess
from graphlib import CycleError, TopologicalSorter
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


# Strategy keys still written outside their strategy's module: the parameter sets in config/ (each names its
# section = key in its range checks; the loader sits in the bottom layer, below the strategies).
KEY_LITERALS_ELSEWHERE = ("config/strategy_parameters.py", "config/advanced_parameters.py")


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
# The layers, bottom to top (README "Architecture"): a module imports only from its own layer or a lower
# one. A module belongs to the layer of the longest prefix that names it.
LAYERS = (
    ("helpers", "greeks", "config"),                 # pure functions, parameters, product facts
    ("core", "reporting"),                           # values, ports, ledgers, books, state machines, sizer
    ("risk",),                                       # the risk checks and the margin model
    ("strategies",),                                 # the strategies' interface and the strategies
    ("core.engine",),                                # the trading system
    ("lean_adapter", "offline", "main"),             # the two hosts: LEAN and the offline engine
)
PRODUCT = ("helpers", "greeks", "config", "core", "reporting", "risk", "strategies", "lean_adapter", "offline")
MODULE_BYTES_LIMIT = 24_000   # QuantConnect's per-file limit is 32,000: room to grow on the LEAN side
MODULE_LINES_LIMIT = 400


def module_files(packages: tuple[str, ...]) -> dict[str, Path]:
    files = {"main": REPO_ROOT / "main.py"} if "main" in packages else {}
    for package in packages:
        for path in sorted((REPO_ROOT / package).rglob("*.py")) if package != "main" else ():
            parts = path.relative_to(REPO_ROOT).with_suffix("").parts
            files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return files


def imported_modules(path: Path, name: str, known: set[str]) -> set[str]:
    """The modules of `known` that `path` (module `name`) imports, wherever the import statement stands:
    module level, inside functions (run-time imports) or under TYPE_CHECKING; relative imports resolved."""
    found = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph(packages: tuple[str, ...]) -> dict[str, set[str]]:
    """Module -> the modules of `packages` it imports."""
    files = module_files(packages)
    return {name: imported_modules(path, name, set(files)) for name, path in files.items()}


def import_circle(graph: dict[str, set[str]]) -> list[str]:
    """One import circle of `graph` as a path back to its start, or [] when there is none."""
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as error:
        return list(error.args[1])
    return []


def layer_of(module: str) -> int:
    prefixes = [(len(prefix), index) for index, layer in enumerate(LAYERS) for prefix in layer
                if module == prefix or module.startswith(prefix + ".")]
    assert prefixes, f"{module} is in no layer"
    return max(prefixes)[1]


def test_no_module_imports_from_a_higher_layer():
    graph = import_graph((*PRODUCT, "main"))
    assert len(graph) > 140 and "core.engine.trading_system" in graph["main"]
    upward = sorted(f"{module} -> {target}" for module, targets in graph.items() for target in targets
                    if layer_of(target) > layer_of(module))
    assert upward == []


def test_the_layer_check_sees_an_upward_import():
    assert layer_of("core.engine.order_routing") > layer_of("strategies.base") > layer_of("core.types")
    assert layer_of("core.position_book") < layer_of("risk.risk_gate") < layer_of("offline.replay.runner")


def test_no_import_circles_in_the_product_and_the_tests():
    assert import_circle(import_graph((*PRODUCT, "main", "tests", "benchmarks"))) == []


def test_the_circle_check_sees_run_time_imports_and_finds_a_circle():
    graph = import_graph(("offline",))
    assert "offline.commands.backtest" in graph["offline.commands.cli"]  # imported inside a function
    assert "offline.research.sweep_report" in graph["offline.research.sweep"]
    assert import_circle({**graph, "offline.research.sweep_spec": {"offline.research.sweep"}}) != []


def test_modules_are_small():
    """No module over 400 lines; every LEAN-side file at most 24,000 bytes."""
    too_long = [f for f in tracked_python_files() if not f.startswith("tests/")
                and len((REPO_ROOT / f).read_text().splitlines()) > MODULE_LINES_LIMIT]
    too_big = [f for f in tracked_python_files() if not f.startswith(LEAN_OUTSIDE)
               and len((REPO_ROOT / f).read_bytes()) > MODULE_BYTES_LIMIT]
    assert (too_long, too_big) == ([], [])
