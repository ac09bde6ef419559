"""No import circles in the offline engine and the test kits: every import counts, at module level,
inside functions (run-time imports) and under TYPE_CHECKING alike."""
from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("offline", "tests")


def _module(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """The modules of `known` that `path` (module `name`) imports, wherever the import statement is."""
    found = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
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


def import_graph(packages: tuple[str, ...] = PACKAGES) -> dict[str, set[str]]:
    """Module -> the modules of `packages` it imports."""
    files = {_module(path): path for package in packages for path in sorted((REPO / package).rglob("*.py"))}
    known = set(files)
    return {name: _imports(path, name, known) for name, path in files.items()}


def test_offline_and_the_test_kits_have_no_import_circle() -> None:
    graph = import_graph()
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as error:
        raise AssertionError(f"import circle: {' -> '.join(error.args[1])}") from None


def test_the_check_sees_run_time_imports_and_finds_a_circle() -> None:
    graph = import_graph()
    assert "offline.commands.backtest" in graph["offline.commands.cli"]  # imported inside a function
    assert "offline.research.sweep_report" in graph["offline.research.sweep"]
    assert "offline.research.sweep" not in graph["offline.research.sweep_report"]
    circular = {**graph, "offline.research.sweep_spec": {"offline.research.sweep"}}
    try:
        TopologicalSorter(circular).prepare()
    except CycleError:
        return
    raise AssertionError("a circle through sweep_spec was not found")
