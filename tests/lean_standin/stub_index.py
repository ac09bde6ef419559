"""Read-only index of the `quantconnect-stubs` package (the reference for LEAN's Python API).

Parses the stub files with `ast` (they are never imported) and answers: which class a name exported
by `AlgorithmImports` is, which members a class has (its own and inherited), and the parameter
lists of every overload of a method. Used by test_matches_stubs.py.
"""
from __future__ import annotations

import ast
import importlib.util
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path


@dataclass(frozen=True)
class Signature:
    """One stub overload: positional-or-keyword parameter names (without self), how many of them
    are required, keyword-only names, and whether *args / **kwargs are accepted."""

    names: tuple[str, ...]
    required: int
    keyword_only: tuple[str, ...] = ()
    var_args: bool = False
    var_kwargs: bool = False
    is_static: bool = False


@dataclass
class StubClass:
    """A class in the stubs: its qualified name, base class names and own members."""

    qualified_name: str
    bases: list[str]
    methods: dict[str, list[Signature]] = field(default_factory=dict)
    properties: set[str] = field(default_factory=set)
    attributes: set[str] = field(default_factory=set)
    nested: dict[str, str] = field(default_factory=dict)


def stubs_root() -> Path:
    """Directory that holds the QuantConnect and AlgorithmImports stub packages.

    Raises:
        RuntimeError: quantconnect-stubs is not installed.
    """
    spec = importlib.util.find_spec("QuantConnect")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("quantconnect-stubs is not installed in this environment")
    return Path(next(iter(spec.submodule_search_locations))).parent


def _module_file(module: str) -> Path:
    return stubs_root().joinpath(*module.split("."), "__init__.pyi")


def _signature(node: ast.FunctionDef) -> Signature:
    args = node.args
    positional = [a.arg for a in args.posonlyargs + args.args]
    is_static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in node.decorator_list)
    if positional and not is_static and positional[0] in ("self", "cls"):
        positional = positional[1:]
    required = len(positional) - len(args.defaults)
    return Signature(tuple(positional), required, tuple(a.arg for a in args.kwonlyargs),
                     args.vararg is not None, args.kwarg is not None, is_static)


def _decorator_names(node: ast.FunctionDef) -> set[str]:
    names = set()
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Name):
            names.add(decorator.id)
        elif isinstance(decorator, ast.Attribute):
            names.add(decorator.attr)
    return names


def _parse_class(node: ast.ClassDef, qualified: str, into: dict[str, StubClass]) -> StubClass:
    bases = []
    for base in node.bases:
        target = base.value if isinstance(base, ast.Subscript) else base
        bases.append(ast.unparse(target))
    stub = StubClass(qualified, bases)
    for item in node.body:
        if isinstance(item, ast.FunctionDef):
            decorators = _decorator_names(item)
            if "property" in decorators or "setter" in decorators:
                stub.properties.add(item.name)
            else:
                stub.methods.setdefault(item.name, []).append(_signature(item))
        elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            stub.attributes.add(item.target.id)
        elif isinstance(item, ast.Assign):
            stub.attributes.update(t.id for t in item.targets if isinstance(t, ast.Name))
        elif isinstance(item, ast.ClassDef):
            nested = f"{qualified}.{item.name}"
            into[nested] = _parse_class(item, nested, into)
            stub.nested[item.name] = nested
    return stub


@cache
def module_classes(module: str) -> dict[str, StubClass]:
    """Every class (nested ones too) of one stub module, by qualified name."""
    path = _module_file(module)
    if not path.is_file():
        return {}
    tree = ast.parse(path.read_text(encoding="utf-8"))
    classes: dict[str, StubClass] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            qualified = f"{module}.{node.name}"
            classes[qualified] = _parse_class(node, qualified, classes)
    return classes


@cache
def module_names(module: str) -> frozenset[str]:
    """Top-level names a stub module defines (classes, functions, assignments)."""
    path = _module_file(module)
    if not path.is_file():
        return frozenset()
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return frozenset(names)


@cache
def algorithm_imports() -> dict[str, str]:
    """Name -> qualified class/function name, for every stubbed name (QuantConnect, System) that
    `from AlgorithmImports import *` provides (later star imports win, as in Python)."""
    text = (stubs_root() / "AlgorithmImports" / "__init__.pyi").read_text(encoding="utf-8")
    exported: dict[str, str] = {}
    for node in ast.parse(text).body:
        if (isinstance(node, ast.ImportFrom) and node.module and _module_file(node.module).is_file()
                and any(alias.name == "*" for alias in node.names)):
            for name in module_names(node.module):
                exported[name] = f"{node.module}.{name}"
    return exported


def find_class(qualified: str) -> StubClass:
    """The stub class with this qualified name, e.g. "QuantConnect.Orders.OrderTicket".

    Raises:
        KeyError: no such class in the stubs.
    """
    parts = qualified.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module = ".".join(parts[:cut])
        classes = module_classes(module)
        if qualified in classes:
            return classes[qualified]
    raise KeyError(f"class {qualified} is not in quantconnect-stubs")


def lineage(qualified: str) -> list[StubClass]:
    """The class and all its stub base classes (depth first, each once)."""
    seen: dict[str, StubClass] = {}
    pending = [qualified]
    while pending:
        name = pending.pop(0)
        if name in seen:
            continue
        try:
            stub = find_class(name)
        except KeyError:
            continue  # typing.Generic, System.Object without stub content, ...
        seen[name] = stub
        pending.extend(stub.bases)
    return list(seen.values())


def member_kind(qualified: str, member: str) -> str | None:
    """"method", "property", "attribute" or "class" when `member` exists on the class or a base."""
    for stub in lineage(qualified):
        if member in stub.methods:
            return "method"
        if member in stub.properties:
            return "property"
        if member in stub.attributes:
            return "attribute"
        if member in stub.nested:
            return "class"
    return None


def method_signatures(qualified: str, member: str) -> list[Signature]:
    """Every overload of a method on the class and its bases (empty when it is not a method)."""
    found: list[Signature] = []
    for stub in lineage(qualified):
        found.extend(stub.methods.get(member, []))
    return found
