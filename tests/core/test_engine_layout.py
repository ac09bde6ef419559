"""The trading system's modules (core/engine/) reach into no other object's private members (the layers,
the import circles and the sizes of every module are checked in tests/test_project_rules.py)."""
from __future__ import annotations

import ast

from tests.conftest import REPO_ROOT

ENGINE = REPO_ROOT / "core" / "engine"


def engine_modules() -> dict[str, ast.Module]:
    modules = {f"core.engine.{path.stem}": ast.parse(path.read_text()) for path in sorted(ENGINE.glob("*.py"))}
    assert "core.engine.trading_system" in modules and len(modules) > 5
    return modules


def test_no_engine_module_reaches_into_private_members_of_other_objects():
    reaches = [(name, node.lineno, node.attr) for name, tree in engine_modules().items() for node in ast.walk(tree)
               if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
               and not (isinstance(node.value, ast.Name) and node.value.id == "self")]
    assert reaches == []
