"""The trading system's modules (core/engine/) stay small, import no one in a circle (imports for
typing only included) and reach into no other object's private members."""
from __future__ import annotations

import ast

from tests.conftest import REPO_ROOT

ENGINE = REPO_ROOT / "core" / "engine"
MAX_LINES = 400
MAX_BYTES = 24_000  # room to grow under QuantConnect's 32,000 bytes per file


def engine_modules() -> dict[str, ast.Module]:
    modules = {f"core.engine.{path.stem}": ast.parse(path.read_text()) for path in sorted(ENGINE.glob("*.py"))}
    assert "core.engine.trading_system" in modules and len(modules) > 5
    return modules


def imported(tree: ast.Module) -> set[str]:
    """Every module an import statement names, wherever it stands (inside `if TYPE_CHECKING` too)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles of `graph` (module -> modules it imports), each as a path back to its start."""
    found = []
    for start in graph:
        stack = [(start, [start])]
        while stack:
            module, path = stack.pop()
            for target in graph.get(module, set()):
                if target == start:
                    found.append(path + [start])
                elif target not in path:
                    stack.append((target, path + [target]))
    return found


def test_circles_finds_a_circle_through_three_modules():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    assert ["a", "b", "c", "a"] in circles(graph)
    assert circles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_engine_modules_import_no_circle():
    modules = engine_modules()
    graph = {name: imported(tree) & modules.keys() for name, tree in modules.items()}
    assert circles(graph) == []
    assert "core.engine.trading_system" not in set().union(*graph.values())  # the top: nobody imports it


def test_the_engine_imports_nothing_above_it_and_nothing_below_imports_it():
    """The engine is below the LEAN adapter, the offline engine and main.py; below it, nothing in
    core (outside core/engine), risk, strategies, helpers, greeks, config or reporting imports it."""
    for tree in engine_modules().values():
        assert not {m for m in imported(tree) if m.split(".")[0] in ("lean_adapter", "offline", "main")}
    below = [p for folder in ("core", "risk", "strategies", "helpers", "greeks", "config", "reporting")
             for p in (REPO_ROOT / folder).rglob("*.py") if ENGINE not in p.parents]
    assert len(below) > 30
    assert [str(p) for p in below if any(m.startswith("core.engine") for m in imported(ast.parse(p.read_text())))] == []


def test_engine_modules_are_small():
    sizes = {path.name: (len(path.read_text().splitlines()), len(path.read_bytes())) for path in ENGINE.glob("*.py")}
    assert {name: size for name, size in sizes.items() if size[0] > MAX_LINES or size[1] > MAX_BYTES} == {}


def test_no_engine_module_reaches_into_private_members_of_other_objects():
    reaches = [(name, node.lineno, node.attr) for name, tree in engine_modules().items() for node in ast.walk(tree)
               if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
               and not (isinstance(node.value, ast.Name) and node.value.id == "self")]
    assert reaches == []
