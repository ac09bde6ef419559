"""The stand-in speaks LEAN's Python API only: every name its AlgorithmImports exports is the same
class in quantconnect-stubs, every public member of its classes exists there (on the class or a
base), and every name main.py and the adapter import from AlgorithmImports is provided. Members
only the stand-in uses start with `standin_` and are exempt."""
from __future__ import annotations

import ast
from enum import IntEnum
from pathlib import Path

import pytest

from tests.lean_standin import algorithm, api, lean_types, stub_index

REPO = Path(__file__).resolve().parents[2]
SOURCES = [Path(api.__file__), Path(algorithm.__file__), Path(lean_types.__file__)]
CHECKED_DUNDERS = {"__getitem__", "__iter__", "__len__", "__contains__", "__call__"}
STANDIN_MODULES = {api.__name__, algorithm.__name__, lean_types.__name__}


def _self_attributes() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                names = found.setdefault(node.name, set())
                for item in ast.walk(node):
                    if isinstance(item, ast.Attribute) and isinstance(item.ctx, ast.Store) \
                            and isinstance(item.value, ast.Name) and item.value.id == "self":
                        names.add(item.attr)
    return found


ATTRIBUTES = _self_attributes()


def _members(cls: type) -> list[str]:
    if issubclass(cls, IntEnum):
        return sorted(cls.__members__)
    names: set[str] = set()
    for klass in cls.__mro__:
        if klass.__module__ in STANDIN_MODULES:
            names |= ATTRIBUTES.get(klass.__name__, set()) | set(vars(klass))
    return sorted(n for n in names if not n.startswith("standin_") and (n in CHECKED_DUNDERS or not n.startswith("_")))


CASES = [(name, member) for name, (cls, _) in sorted(algorithm.EXPORTED.items()) for member in _members(cls)]


def test_every_exported_name_is_the_same_class_in_algorithm_imports() -> None:
    exported = stub_index.algorithm_imports()
    for name, (_, qualified) in algorithm.EXPORTED.items():
        assert exported.get(name) == qualified, f"{name}: the stand-in has {qualified}, LEAN {exported.get(name)}"


@pytest.mark.parametrize(("name", "member"), CASES, ids=[f"{n}.{m}" for n, m in CASES])
def test_member_exists_in_the_stubs(name: str, member: str) -> None:
    qualified = algorithm.EXPORTED[name][1]
    assert stub_index.member_kind(qualified, member) is not None, f"{qualified} has no {member}"


def test_main_and_the_adapter_import_only_names_the_stand_in_provides() -> None:
    for path in [REPO / "main.py", *sorted((REPO / "lean_adapter").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "AlgorithmImports":
                for alias in node.names:
                    assert alias.name == "*" or alias.name in algorithm.EXPORTED, f"{path.name}: {alias.name}"
