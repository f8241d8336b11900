"""Chapter notebooks are stored clean (CONTRIBUTING.md) and all of them are in the book."""

import re
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

sys.path.insert(0, str(ROOT / "tools"))
import nbclean  # noqa: E402  (tools/ is not a package)
import release  # noqa: E402

TARGET = nbclean.install_target()


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [chapter["file"] for chapter in part["chapters"]]
    return files


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_stored_clean(path):
    found = nbclean.problems(path, TARGET)
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
    found = "\n".join(nbclean.problems(path, TARGET))
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


def test_colab_cell_is_hidden_installs_its_target_and_is_inert_elsewhere():
    nb = nbclean.clean(dirty_notebook(), "git+https://github.com/ddia10/ddia10@v9.8.7")
    colab = nb.cells[0]
    assert colab.metadata == {"tags": ["remove-cell"]}
    assert '"git+https://github.com/ddia10/ddia10@v9.8.7"' in colab.source
    assert "%pip" not in colab.source and "sys.executable" in colab.source
    namespace: dict = {}
    exec(compile(colab.source, "colab-cell", "exec"), namespace)  # no google.colab: no install
    refreshed = nbclean.clean(nb, "git+https://github.com/someone/fork@main")
    assert sum("google.colab" in cell.source for cell in refreshed.cells) == 1
    assert '"git+https://github.com/someone/fork@main"' in refreshed.cells[0].source


def test_check_fails_on_a_stale_colab_cell(tmp_path):
    path = tmp_path / "00_old.ipynb"
    old, new = "git+https://github.com/ddia10/ddia10@v0.0.1", "git+https://github.com/ddia10/ddia10@v0.0.2"
    nbformat.write(nbclean.clean(dirty_notebook(), old), path)
    assert nbclean.problems(path, old) == []
    assert any("Colab" in p for p in nbclean.problems(path, new))


def test_the_colab_cells_install_the_repository_and_ref_the_book_config_names():
    url, ref = nbclean.book_repository()
    assert nbclean.install_target() == f"git+{url}@{ref}"
    for path in NOTEBOOKS:
        first = nbformat.read(path, as_version=4).cells[0]
        assert f'"git+{url}@{ref}"' in first.source, f"{path.name}: run tools/nbclean.py"


def test_a_release_ref_is_the_tag_of_the_package_version():
    """The buttons open, and the cells install, the tag of the version the package says it is."""
    _, ref = nbclean.book_repository()
    if re.fullmatch(r"v\d.*", ref):
        assert ref == release.release_tag(release.package_version()), (
            f"_config.yml names {ref}, the package is {release.package_version()}: "
            "run make release VERSION=x.y.z"
        )


@pytest.mark.parametrize("repository, words", [
    ({"url": "https://gitlab.com/a/b", "branch": "main"}, "repository.url must be"),
    ({"url": "https://github.com/a/b"}, "repository.branch must name a tag or branch"),
    ({"url": "https://github.com/a/b", "branch": "two words"}, "got 'two words'"),
])
def test_a_bad_repository_in_the_config_is_named(tmp_path, repository, words):
    (tmp_path / "_config.yml").write_text(yaml.safe_dump({"repository": repository}))
    with pytest.raises(ValueError, match=words):
        nbclean.book_repository(tmp_path)
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
