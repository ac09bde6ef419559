"""Both LEAN stand-ins speak LEAN's Python API only and cannot drift from it: every name a stand-in's
AlgorithmImports exports is the same class there (quantconnect-stubs), every public member of its
classes exists in the stubs on the class it stands for (or a base) as the same kind of member, every
method accepts a parameter list one of the stub's overloads accepts, and every name main.py and the
adapter import from AlgorithmImports is provided. Members only the stand-in uses start with
`standin_` and are exempt. The stand-ins: the scripted one the adapter tests drive
(scripted_algorithm.EXPORTED) and the engine the replay runs (algorithm.EXPORTED).
"""
from __future__ import annotations

import ast
import inspect
from enum import IntEnum
from pathlib import Path

import pytest

from tests.lean_standin import algorithm, api, lean_types, scripted, scripted_algorithm, stub_index
from tests.lean_standin.stub_index import Signature

CHECKED_DUNDERS = {"__getitem__", "__iter__", "__len__", "__contains__", "__call__"}
SIGNATURE_DUNDERS = {"__call__"}
REPO = Path(__file__).resolve().parents[2]
KIT_MODULES = (lean_types, scripted, scripted_algorithm, api, algorithm)
# stand-in -> {exported name: (class, the stub class it stands for)}
STAND_INS: dict[str, dict[str, tuple[type, str]]] = {
    "scripted": {cls.__name__: (cls, qualified) for cls, qualified in scripted.STUB_CLASSES.items()
                 if cls.__name__ in scripted_algorithm.EXPORTED},
    "engine": dict(algorithm.EXPORTED),
}
CLASSES = {cls: qualified for exported in STAND_INS.values() for cls, qualified in exported.values()}
CLASSES.update(scripted.STUB_CLASSES)


def _instance_attributes() -> dict[tuple[str, str], set[str]]:
    """(module, class name) -> attributes assigned as `self.<name>` anywhere in the class's methods."""
    found: dict[tuple[str, str], set[str]] = {}
    for module in KIT_MODULES:
        for node in ast.walk(ast.parse(Path(module.__file__ or "").read_text())):
            if not isinstance(node, ast.ClassDef):
                continue
            names = found.setdefault((module.__name__, node.name), set())
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


def _members(cls: type) -> dict[str, object]:
    """Members the stand-in class defines itself (its own and its stand-in bases'), instance attributes too."""
    members: dict[str, object] = {}
    if issubclass(cls, IntEnum):
        return {name: "enum member" for name in cls.__members__}
    for klass in reversed(cls.__mro__):
        if klass.__module__ not in {m.__name__ for m in KIT_MODULES}:
            continue
        for name in sorted(INSTANCE_ATTRIBUTES.get((klass.__module__, klass.__name__), ())):
            members.setdefault(name, "instance attribute")
        for name, value in vars(klass).items():
            if name != "__annotations__":
                members[name] = value
    return members


def _public(name: str) -> bool:
    return not name.startswith("standin_") and (name in CHECKED_DUNDERS or not name.startswith("_"))


def _signature(function: object) -> Signature:
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


def compatible(mine: Signature, stub: Signature) -> bool:
    """A call the stand-in accepts is one the stub overload accepts: its parameters are the
    overload's first parameters by name and order, it requires at least what the overload
    requires, keyword-only names exist there, and it takes no *args/**kwargs the stub lacks."""
    if mine.names != stub.names[:len(mine.names)] or stub.required > mine.required:
        return False
    if any(name not in stub.names and name not in stub.keyword_only for name in mine.keyword_only):
        return False
    if (mine.var_args and not stub.var_args) or (mine.var_kwargs and not stub.var_kwargs):
        return False
    return mine.is_static == stub.is_static


def _label(cls: type) -> str:
    return f"{cls.__module__.rsplit('.', 1)[-1]}.{cls.__name__}"


# Sorted so that every pytest-xdist worker collects the same parametrisation.
CASES = [(cls, name, value) for cls in sorted(CLASSES, key=_label) for name, value in sorted(_members(cls).items())
         if _public(name)]
METHOD_CASES = [(c, n, v) for c, n, v in CASES if (inspect.isfunction(v) or isinstance(v, staticmethod))
                and (not n.startswith("__") or n in SIGNATURE_DUNDERS)]


def test_every_class_names_an_existing_stub_class() -> None:
    for cls, qualified in CLASSES.items():
        assert stub_index.find_class(qualified).qualified_name == qualified, cls


@pytest.mark.parametrize("stand_in", sorted(STAND_INS))
def test_exported_names_are_algorithm_imports_names_of_the_same_class(stand_in: str) -> None:
    exported = stub_index.algorithm_imports()
    for name, (_, qualified) in STAND_INS[stand_in].items():
        assert exported.get(name) == qualified, f"{name}: the {stand_in} stand-in has {qualified}, LEAN {exported.get(name)}"
    assert set(scripted_algorithm.EXPORTED) == set(STAND_INS["scripted"])


@pytest.mark.parametrize(("cls", "name", "value"), CASES, ids=[f"{_label(c)}.{n}" for c, n, _ in CASES])
def test_member_exists_in_stubs_with_the_same_kind(cls: type, name: str, value: object) -> None:
    qualified = CLASSES[cls]
    kind = stub_index.member_kind(qualified, name)
    assert kind is not None, f"{cls.__name__}.{name} does not exist on {qualified} or its bases"
    is_method = inspect.isfunction(value) or isinstance(value, staticmethod)
    assert (kind == "method") == is_method, f"{cls.__name__}.{name}: the stand-in has a " \
                                            f"{'method' if is_method else 'value'}, the stub a {kind}"


@pytest.mark.parametrize(("cls", "name", "value"), METHOD_CASES, ids=[f"{_label(c)}.{n}" for c, n, _ in METHOD_CASES])
def test_method_parameters_match_a_stub_overload(cls: type, name: str, value: object) -> None:
    qualified = CLASSES[cls]
    mine = _signature(value)
    overloads = stub_index.method_signatures(qualified, name)
    assert any(compatible(mine, stub) for stub in overloads), (
        f"{cls.__name__}.{name}{mine.names} (required {mine.required}) matches no overload of {qualified}.{name}: "
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


@pytest.mark.parametrize("stand_in", sorted(STAND_INS))
def test_main_and_the_adapter_import_only_names_the_stand_in_provides(stand_in: str) -> None:
    exported = stub_index.algorithm_imports()
    for path in [REPO / "main.py", *sorted((REPO / "lean_adapter").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "AlgorithmImports":
                for alias in node.names:
                    assert alias.name == "*" or alias.name in exported, f"{path.name}: {alias.name} is not in LEAN"
                    assert alias.name == "*" or alias.name in STAND_INS[stand_in], f"{path.name}: {alias.name}"
