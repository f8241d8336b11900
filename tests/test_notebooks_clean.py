"""Chapter notebooks are stored clean (CONTRIBUTING.md) and all of them are in the book."""

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

_spec = importlib.util.spec_from_file_location("nbclean", ROOT / "tools" / "nbclean.py")
nbclean = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nbclean)
VERSION = nbclean.package_version()


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [chapter["file"] for chapter in part["chapters"]]
    return files


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_stored_clean(path):
    found = nbclean.problems(path, VERSION)
    assert not found, f"{path.name} is not clean:\n  " + "\n  ".join(found)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_a_numbered_chapter_listed_in_the_toc(path):
    assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", path.name), f"{path.name}: want NN_name.ipynb"
    assert f"notebooks/{path.stem}" in toc_files(), f"{path.name} is missing from _toc.yml"


def test_every_toc_entry_exists():
    for entry in toc_files():
        candidates = [ROOT / f"{entry}{suffix}" for suffix in (".md", ".ipynb")]
        assert any(c.exists() for c in candidates), f"_toc.yml lists {entry}, which does not exist"


def dirty_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3"},
                   "widgets": {"state": {}}, "colab": {"provenance": []}}
    code = nbformat.v4.new_code_cell("1 + 1", execution_count=7)
    code.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"},
                                           execution_count=7)]
    code.metadata = {"tags": ["hide-input"], "scrolled": True}
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), code]
    return nb


def test_check_names_every_deviation(tmp_path):
    path = tmp_path / "00_dirty.ipynb"
    nbformat.write(dirty_notebook(), path)
    found = "\n".join(nbclean.problems(path, VERSION))
    for expected in ("notebook metadata", "'colab'", "'widgets'", "Colab install cell",
                     "has stored outputs", "execution_count 7", "more than tags: ['scrolled']"):
        assert expected in found


def test_clean_is_idempotent_and_keeps_sources_and_tags(tmp_path):
    path = tmp_path / "00_dirty.ipynb"
    nbformat.write(dirty_notebook(), path)
    assert nbclean.main([str(path)]) == 0
    first = path.read_text(encoding="utf-8")
    assert nbclean.main([str(path)]) == 0
    assert path.read_text(encoding="utf-8") == first
    assert nbclean.main(["--check", str(path)]) == 0
    nb = nbformat.reads(first, as_version=4)
    assert [cell.source for cell in nb.cells[1:]] == ["# Title", "1 + 1"]
    assert nb.cells[2].metadata == {"tags": ["hide-input"]}
    assert [cell.id for cell in nb.cells] == ["colab-install", "cell-01", "cell-02"]
    assert first.startswith('{\n "cells": [\n  {\n')


def test_colab_cell_is_hidden_pinned_to_the_package_version_and_inert_elsewhere():
    nb = nbclean.clean(dirty_notebook(), "9.8.7")
    colab = nb.cells[0]
    assert colab.metadata == {"tags": ["remove-cell"]}
    assert "git+https://github.com/ddia10/ddia10@v9.8.7" in colab.source
    assert "%pip" not in colab.source and "sys.executable" in colab.source
    namespace: dict = {}
    exec(compile(colab.source, "colab-cell", "exec"), namespace)  # no google.colab: no install
    refreshed = nbclean.clean(nb, "9.8.8")
    assert sum("google.colab" in cell.source for cell in refreshed.cells) == 1
    assert "@v9.8.8" in refreshed.cells[0].source


def test_check_fails_on_a_stale_colab_cell(tmp_path):
    path = tmp_path / "00_old.ipynb"
    nbformat.write(nbclean.clean(dirty_notebook(), "0.0.1"), path)
    assert nbclean.problems(path, "0.0.1") == []
    assert any("Colab" in p for p in nbclean.problems(path, "0.0.2"))
MAX_CODE_LINES = 30
SKELETON_TAG = "drill-skeleton"
"""A drill's skeleton: the reader's own code to fill in, exempt from the limit."""


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_no_code_cell_is_longer_than_30_lines(path):
    """A longer cell is staging that belongs in the chapter's scenario module; a
    drill's skeleton (tagged ``drill-skeleton``) is the reader's, and may be longer."""
    long = long_cells(nbformat.read(path, as_version=4))
    assert not long, f"{path.name}: code cells over {MAX_CODE_LINES} lines (id, lines): {long}"


def long_cells(nb: nbformat.NotebookNode) -> list[tuple[str, int]]:
    """(id, lines) of every code cell over the limit that is not a drill's skeleton."""
    return [(cell.id, len(cell.source.splitlines())) for cell in nb.cells
            if cell.cell_type == "code" and len(cell.source.splitlines()) > MAX_CODE_LINES
            and SKELETON_TAG not in cell.metadata.get("tags", [])]


def test_only_a_drill_skeleton_may_pass_the_limit():
    nb = nbformat.v4.new_notebook()
    body = "\n".join(f"x{i} = {i}" for i in range(MAX_CODE_LINES + 1))
    staging, skeleton = nbformat.v4.new_code_cell(body), nbformat.v4.new_code_cell(body)
    staging.id, skeleton.id = "staging", "skeleton"
    skeleton.metadata["tags"] = [SKELETON_TAG]
    nb.cells = [staging, skeleton]
    assert long_cells(nb) == [("staging", MAX_CODE_LINES + 1)]
