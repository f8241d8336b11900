"""The tree explains itself: protocols speak protocol, chapters stage in ddia10.scenarios.

A protocol module or package (everything in ``ddia10/`` outside ``viz/`` and
``scenarios/``) imports no pandas, matplotlib or ipywidgets and never
``ddia10.viz``: tables, figures and players are views, and a chapter's runs,
tables and figures live in its scenario module. A package's ``__main__.py``
(a command line) may import views. No protocol package hides a
``scenarios`` module, and every chapter notebook has its scenario module,
named after it, which it imports.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "ddia10"
VIEW_LIBRARIES = ("pandas", "matplotlib", "ipywidgets")
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def protocol_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py")
                  if p.relative_to(PACKAGE).parts[0] not in ("viz", "scenarios")
                  and p.name != "__main__.py")


def package_of(path: Path) -> str:
    """The package a module file's relative imports start from."""
    dotted = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return dotted.removesuffix(".__init__") if path.name == "__init__.py" \
        else dotted.rpartition(".")[0]


def imported_modules(source: str, package: str) -> set[str]:
    """Every module ``source`` imports, anywhere in it (functions included), as
    absolute names (``from . import x`` in ``package`` gives ``package.x``)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            base = parts[: len(parts) - node.level + 1] if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def forbidden(modules: set[str]) -> list[str]:
    return sorted(m for m in modules
                  if m.split(".")[0] in VIEW_LIBRARIES or m == "ddia10.viz"
                  or m.startswith("ddia10.viz."))


@pytest.mark.parametrize("path", protocol_files(),
                         ids=[str(p.relative_to(PACKAGE)) for p in protocol_files()])
def test_a_protocol_module_imports_no_views(path):
    bad = forbidden(imported_modules(path.read_text(encoding="utf-8"), package_of(path)))
    assert not bad, (f"{path.relative_to(ROOT)} imports {bad}: a table, figure or player "
                     "belongs in ddia10/viz or the chapter's ddia10/scenarios module")


def test_the_import_reader_sees_relative_and_nested_imports():
    source = ("def table():\n    import pandas as pd\n    from ..viz import show\n"
              "    from . import kv\n")
    found = imported_modules(source, "ddia10.raft")
    assert package_of(PACKAGE / "raft" / "kv.py") == "ddia10.raft"
    assert package_of(PACKAGE / "raft" / "__init__.py") == "ddia10.raft"
    assert {"pandas", "ddia10.viz", "ddia10.viz.show", "ddia10.raft.kv"} <= found
    assert forbidden(found) == ["ddia10.viz", "ddia10.viz.show", "pandas"]


def test_no_protocol_package_holds_scenarios():
    strays = [p.relative_to(ROOT) for p in PACKAGE.rglob("scenarios*")
              if p.parent != PACKAGE and ".pyc" not in p.name and p.name != "__pycache__"]
    assert not strays, f"scenarios belong in ddia10/scenarios/<chapter>: {strays}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_chapter_has_its_scenario_module_and_imports_it(path):
    chapter = path.stem.split("_", 1)[1]
    module = PACKAGE / "scenarios" / f"{chapter}.py"
    package = PACKAGE / "scenarios" / chapter / "__init__.py"
    assert module.exists() or package.exists(), f"{path.name} has no ddia10/scenarios/{chapter}"
    assert f"from ddia10.scenarios import {chapter} as " in path.read_text(encoding="utf-8"), (
        f"{path.name} should import its scenario module: from ddia10.scenarios import {chapter}")


# ---------------------------------------------------------------------- one name, one meaning
def public_definitions(source: str) -> list[tuple[str, int]]:
    """The public classes and functions a module defines at its top level (not
    methods, not nested functions, not what it imports), with their lines."""
    return [(node.name, node.lineno) for node in ast.parse(source).body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and not node.name.startswith("_")]


def defined_twice() -> dict[str, list[str]]:
    """Every public name that more than one module of ddia10 defines, with where.
    A re-export is an import, not a definition, so it never counts; a command
    line's ``__main__.py`` is not part of the API."""
    where: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "__main__.py":
            continue
        for name, line in public_definitions(path.read_text(encoding="utf-8")):
            where.setdefault(name, []).append(f"{path.relative_to(ROOT)}:{line}")
    return {name: places for name, places in where.items() if len(places) > 1}


def test_no_two_public_classes_or_functions_share_a_name():
    twins = defined_twice()
    assert not twins, (
        "one name, one meaning: each of these names is defined in more than one module "
        f"(give one a name of its own, or re-export the other's object): {twins}")


def test_the_definition_reader_sees_top_level_names_only():
    source = ("import os\nfrom .x import shared\nclass Monitor:\n    def check(self): ...\n"
              "def check():\n    def inner(): ...\n_private = 1\ndef _hidden(): ...\n")
    assert public_definitions(source) == [("Monitor", 3), ("check", 5)]


def test_every_protocol_raises_the_one_invariant_violation():
    from ddia10 import failover, invariants, raft

    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef) and path != PACKAGE / "invariants.py":
                bases = {ast.unparse(b).rpartition(".")[2] for b in node.bases}
                assert not bases & {"AssertionError", "InvariantViolation"}, (
                    f"{path.relative_to(ROOT)} defines {node.name}, a safety violation of "
                    "its own: raise ddia10.invariants.InvariantViolation")
    assert raft.InvariantViolation is failover.InvariantViolation is invariants.InvariantViolation
