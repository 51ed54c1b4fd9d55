"""src/pygdx/_core.pyi must describe the compiled module: the same public names, class
members and argument names. A failure lists exactly which stub entries are missing or stale."""

from __future__ import annotations

import ast
import re
from importlib import resources

import pytest

from pygdx import _core


def stub_tree() -> ast.Module:
    return ast.parse(resources.files("pygdx").joinpath("_core.pyi").read_text())


def public(names) -> set[str]:
    return {n for n in names if not n.startswith("_")}


def stub_members(body) -> dict[str, ast.AST]:
    members: dict[str, ast.AST] = {}
    for node in body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            members[node.name] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            members[node.target.id] = node
    return members


STUB = stub_members(stub_tree().body)


def declared_members(class_node: ast.ClassDef) -> dict[str, ast.AST]:
    """The members a stub class declares, with those of its stub base classes."""
    members: dict[str, ast.AST] = {}
    for base in class_node.bases:
        if isinstance(base, ast.Subscript):  # a generic base, Base[T]
            base = base.value
        if isinstance(base, ast.Name) and isinstance(STUB.get(base.id), ast.ClassDef):
            members.update(declared_members(STUB[base.id]))
    members.update(stub_members(class_node.body))
    return members


def test_stub_has_every_public_name_of_the_module():
    missing = sorted(public(dir(_core)) - set(STUB))
    assert not missing, f"_core.pyi lacks entries for: {', '.join(missing)}"


def test_stub_has_no_names_the_module_lacks():
    stale = sorted(public(STUB) - public(dir(_core)))
    assert not stale, f"_core.pyi declares names the module does not have: {', '.join(stale)}"


CLASSES = sorted(name for name, node in STUB.items() if isinstance(node, ast.ClassDef) and hasattr(_core, name))


@pytest.mark.parametrize("name", CLASSES)
def test_stub_class_members_match(name):
    runtime = public(dir(getattr(_core, name)))
    declared = public(declared_members(STUB[name]))
    assert sorted(runtime - declared) == [], f"_core.pyi {name} lacks these members"
    assert sorted(declared - runtime) == [], f"_core.pyi {name} declares members the module lacks"


def runtime_arg_names(func) -> list[str]:
    """Argument names from pybind11's signature line, e.g. 'f(a: int, b: float = 0) -> None'."""
    first_line = func.__doc__.strip().splitlines()[0]
    inside = re.search(r"\((.*)\) ->", first_line).group(1)
    names = [part.split(":")[0].strip() for part in inside.split(", ") if part]
    return [n for n in names if n not in ("self", "/", "*")]


def stub_arg_names(node: ast.FunctionDef) -> list[str]:
    return [a.arg for a in node.args.args if a.arg != "self"]


def callables():
    for name, node in STUB.items():
        if isinstance(node, ast.FunctionDef) and hasattr(_core, name):
            yield name, getattr(_core, name), node
        if isinstance(node, ast.ClassDef) and hasattr(_core, name):
            for member, sub in declared_members(node).items():
                if isinstance(sub, ast.FunctionDef) and (member == "__init__" or not member.startswith("_")):
                    attr = getattr(getattr(_core, name), member, None)
                    if not isinstance(attr, property) and attr is not None and getattr(attr, "__doc__", None) and "(" in attr.__doc__:
                        yield f"{name}.{member}", attr, sub


CALLABLES = list(callables())


@pytest.mark.parametrize(("name", "func", "node"), CALLABLES, ids=[c[0] for c in CALLABLES])
def test_stub_argument_names_match(name, func, node):
    assert stub_arg_names(node) == runtime_arg_names(func)


def test_callables_were_found():
    """Guards the two tests above against silently checking nothing."""
    names = {c[0] for c in CALLABLES}
    assert {"schedule_lr", "state_buffer_count", "OptimizerKernelF64.__init__", "OptimizerKernelF64.step"} <= names
