"""The fakes cannot drift from LEAN's real API: every public member of every fake exists in
quantconnect-stubs on the class the fake stands for (or a base class), as the same kind of
member, and every fake method accepts a parameter list that one of the stub's overloads accepts.
Members only tests use start with `standin_` and are exempt.
"""
from __future__ import annotations

import ast
import inspect
from enum import IntEnum
from pathlib import Path

import pytest

from tests.lean_standin import lean_types, scripted, scripted_algorithm, stub_index
from tests.lean_standin.stub_index import Signature

CHECKED_DUNDERS = {"__getitem__", "__iter__", "__len__", "__contains__", "__call__"}
SIGNATURE_DUNDERS = {"__call__"}
REPO = Path(__file__).resolve().parents[2]
FAKE_SOURCES = [Path(scripted.__file__), Path(scripted_algorithm.__file__), Path(lean_types.__file__)]


def _instance_attributes() -> dict[str, set[str]]:
    """Class name -> attributes assigned as `self.<name>` anywhere in the fake's methods."""
    found: dict[str, set[str]] = {}
    for path in FAKE_SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ClassDef):
                continue
            names = found.setdefault(node.name, set())
            for item in ast.walk(node):
                targets = item.targets if isinstance(item, ast.Assign) else (
                    [item.target] if isinstance(item, ast.AnnAssign) else [])
                for target in targets:
                    for leaf in ast.walk(target):
                        if (isinstance(leaf, ast.Attribute) and isinstance(leaf.value, ast.Name)
                                and leaf.value.id == "self"):
                            names.add(leaf.attr)
    return found


INSTANCE_ATTRIBUTES = _instance_attributes()


def _fake_members(cls: type) -> dict[str, object]:
    """Members the fake defines itself (its own and its fake bases'), instance attributes too."""
    members: dict[str, object] = {}
    if issubclass(cls, IntEnum):
        return {name: "enum member" for name in cls.__members__}
    for klass in reversed(cls.__mro__):
        if klass.__module__ not in (scripted.__name__, scripted_algorithm.__name__, lean_types.__name__):
            continue
        for name in sorted(INSTANCE_ATTRIBUTES.get(klass.__name__, ())):
            members.setdefault(name, "instance attribute")
        for name, value in vars(klass).items():
            if name != "__annotations__":
                members[name] = value
    return members


def _public(name: str) -> bool:
    if name.startswith("standin_"):
        return False
    return name in CHECKED_DUNDERS or not name.startswith("_")


def _fake_signature(function: object) -> Signature:
    is_static = isinstance(function, staticmethod)
    target = function.__func__ if isinstance(function, staticmethod) else function
    parameters = list(inspect.signature(target).parameters.values())  # type: ignore[arg-type]
    if not is_static:
        parameters = parameters[1:]
    positional = [p for p in parameters if p.kind == p.POSITIONAL_OR_KEYWORD]
    return Signature(
        tuple(p.name for p in positional), sum(p.default is p.empty for p in positional),
        tuple(p.name for p in parameters if p.kind == p.KEYWORD_ONLY),
        any(p.kind == p.VAR_POSITIONAL for p in parameters), any(p.kind == p.VAR_KEYWORD for p in parameters),
        is_static)


def compatible(fake: Signature, stub: Signature) -> bool:
    """A call the fake accepts is one the stub overload accepts: the fake's parameters are the
    overload's first parameters by name and order, the fake requires at least what the overload
    requires, keyword-only names exist there, and the fake takes no *args/**kwargs the stub lacks."""
    if fake.names != stub.names[:len(fake.names)] or stub.required > fake.required:
        return False
    if any(name not in stub.names and name not in stub.keyword_only for name in fake.keyword_only):
        return False
    if (fake.var_args and not stub.var_args) or (fake.var_kwargs and not stub.var_kwargs):
        return False
    return fake.is_static == stub.is_static


# Sorted so that every pytest-xdist worker collects the same parametrisation.
CASES = [(cls, name, value) for cls in scripted.STUB_CLASSES for name, value in sorted(_fake_members(cls).items())
         if _public(name)]


def test_every_fake_class_names_an_existing_stub_class() -> None:
    for cls, qualified in scripted.STUB_CLASSES.items():
        assert stub_index.find_class(qualified).qualified_name == qualified, cls


def test_exported_names_are_algorithm_imports_names_of_the_same_class() -> None:
    exported = stub_index.algorithm_imports()
    classes = {cls.__name__: qualified for cls, qualified in scripted.STUB_CLASSES.items()}
    for name in scripted_algorithm.EXPORTED:
        assert name in exported, f"{name} is not provided by `from AlgorithmImports import *`"
        assert exported[name] == classes[name], f"{name}: fake stands for {classes[name]}, LEAN has {exported[name]}"


@pytest.mark.parametrize(("cls", "name", "value"), CASES, ids=[f"{c.__name__}.{n}" for c, n, _ in CASES])
def test_fake_member_exists_in_stubs_with_the_same_kind(cls: type, name: str, value: object) -> None:
    qualified = scripted.STUB_CLASSES[cls]
    kind = stub_index.member_kind(qualified, name)
    assert kind is not None, f"{cls.__name__}.{name} does not exist on {qualified} or its bases"
    is_method = inspect.isfunction(value) or isinstance(value, staticmethod)
    assert (kind == "method") == is_method, f"{cls.__name__}.{name}: the fake has a {'method' if is_method else 'value'}, " \
                                            f"the stub a {kind}"


METHOD_CASES = [(c, n, v) for c, n, v in CASES if (inspect.isfunction(v) or isinstance(v, staticmethod))
                and (not n.startswith("__") or n in SIGNATURE_DUNDERS)]


@pytest.mark.parametrize(("cls", "name", "value"), METHOD_CASES, ids=[f"{c.__name__}.{n}" for c, n, _ in METHOD_CASES])
def test_fake_method_parameters_match_a_stub_overload(cls: type, name: str, value: object) -> None:
    qualified = scripted.STUB_CLASSES[cls]
    fake = _fake_signature(value)
    overloads = stub_index.method_signatures(qualified, name)
    assert any(compatible(fake, stub) for stub in overloads), (
        f"{cls.__name__}.{name}{fake.names} (required {fake.required}) matches no overload of {qualified}.{name}: "
        f"{[(s.names, s.required) for s in overloads]}")


def test_the_check_itself_rejects_drift() -> None:
    """The rule catches a renamed parameter, a missing required one and a non-existent member."""
    stub = Signature(("symbol", "quantity", "limit_price"), 3)
    assert compatible(Signature(("symbol", "quantity", "limit_price", ), 3), stub)
    assert not compatible(Signature(("symbol", "qty", "limit_price"), 3), stub)
    assert not compatible(Signature(("symbol", "quantity"), 2), stub)
    assert stub_index.member_kind("QuantConnect.Orders.OrderTicket", "update_limit_price") == "method"
    assert stub_index.member_kind("QuantConnect.Orders.OrderTicket", "no_such_member") is None
    assert stub_index.member_kind("QuantConnect.Algorithm.QCAlgorithm", "is_warming_up") == "property"


def test_the_adapter_imports_only_names_the_fakes_provide() -> None:
    """Every name lean_adapter imports from AlgorithmImports exists in LEAN and in the fakes."""
    exported = stub_index.algorithm_imports()
    for path in sorted((REPO / "lean_adapter").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "AlgorithmImports":
                for alias in node.names:
                    assert alias.name in exported, f"{path.name}: {alias.name} is not in AlgorithmImports"
                    assert alias.name in scripted_algorithm.EXPORTED, f"{path.name}: {alias.name} has no fake"
