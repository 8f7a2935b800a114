"""The package's folders are its layers (docs/ARCHITECTURE.md): every import points down, none loops,
and no module reaches into another's underscore names. Function-level imports count."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sample_paths import ROOT

PACKAGE = ROOT / "zxforensics"
# Lower rank = lower layer. A module may import its own layer's package and any lower rank; two
# different packages of one rank (the faces; sample and report) never import each other.
RANKS = {
    "errors": 0,
    "output": 3,
    "version": 0,
    "format": 1,
    "runtime": 2,
    "evidence": 3,
    "parse": 4,
    "store": 5,
    "investigate": 6,
    "sample": 7,
    "report": 7,
    "cli": 8,
    "widgets": 8,
    "": 9,  # zxforensics/__init__.py: the public API
}
PARSE_MAY_IMPORT = {"errors", "format", "parse"}  # a parser does no I/O and knows no store


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every zxforensics module `name` imports, at any depth of its code."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "zxforensics":
                continue
            for alias in node.names:
                full = f"{target}.{alias.name}"
                found.add(full if full in known else target)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "zxforensics"}
    return found - {name}


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports(name, path, set(found)) for name, path in found.items()}


def test_every_module_is_in_a_layer():
    assert {layer(m) for m in modules()} <= set(RANKS), "a new top-level module or package needs a rank"


def test_every_import_points_down():
    upward = []
    for module, targets in graph().items():
        for target in targets:
            source, dest = layer(module), layer(target)
            if source == dest or (dest == "" and target == "zxforensics" and source == ""):
                continue
            if RANKS[dest] >= RANKS[source] and not (dest == "" and module.endswith("__init__")):
                upward.append(f"{module} -> {target}")
            if source == "parse" and dest not in PARSE_MAY_IMPORT:
                upward.append(f"{module} -> {target} (a parser imports only errors and format)")
    assert not upward, "imports that do not point down:\n" + "\n".join(sorted(upward))


def test_no_import_cycle():
    edges = graph()
    cycles, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join([*stack[stack.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def private_reaches(path: Path) -> list[str]:
    """`other._name` (an underscore attribute of anything but self, cls or a library module, such as
    `zlib._Decompress` in a type hint) and `from .x import _name`."""
    tree = ast.parse(path.read_text(), str(path))
    libraries = {(a.asname or a.name).split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
                 for a in n.names if not a.name.startswith("zxforensics")}  # fmt: skip
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            owner = node.value
            if not (isinstance(owner, ast.Name) and owner.id in ("self", "cls", *libraries)):
                found.append(f"{path.name}:{node.lineno} .{node.attr}")
        elif isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("zxforensics")):
            found += [f"{path.name}:{node.lineno} import {a.name}" for a in node.names if _private(a.name)]
    return found


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_reaches_into_another_modules_private_names(path):
    assert private_reaches(path) == []


def test_the_check_sees_what_it_forbids(tmp_path):
    """The checks are not vacuous: an upward import, a cycle and a private reach are caught."""
    bad = tmp_path / "m.py"
    bad.write_text("def f(store):\n    from ..investigate import audit\n    return store._accounts\n")
    assert private_reaches(bad) == ["m.py:3 ._accounts"]
    assert "zxforensics.investigate" in imports("zxforensics.store.m", bad, set())
    assert len(graph()) > 50
