"""Store chapter notebooks clean, so diffs show prose and code, never outputs.

The convention (CONTRIBUTING.md): no outputs, ``execution_count: null``,
notebook metadata reduced to the kernelspec and the language name, cell
metadata reduced to ``tags``, cell ids numbered by position, and first of all
the standard hidden cell that installs ``ddia10`` when the notebook runs on
Colab, from the repository and at the ref that ``_config.yml`` names under
``repository:`` (``url`` and ``branch``, the ref the launch buttons open too).
Files are written exactly as nbformat writes them (one-space JSON indent).

    python tools/nbclean.py notebooks/*.ipynb            # rewrite in place
    python tools/nbclean.py --check notebooks/*.ipynb    # report, change nothing
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
COLAB_CELL_ID = "colab-install"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python"}


def book_repository(root: Path = ROOT) -> tuple[str, str]:
    """The repository URL and the ref (a release tag or a branch) that ``_config.yml``
    names: the launch buttons open the notebooks there, the Colab cell installs from there."""
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    repository = config.get("repository") or {}
    url, ref = repository.get("url"), repository.get("branch")
    if not isinstance(url, str) or not re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url):
        raise ValueError(
            f"_config.yml repository.url must be https://github.com/owner/name, got {url!r}"
        )
    if not isinstance(ref, str) or not re.fullmatch(r"[\w.][\w./-]*", ref):
        raise ValueError(f"_config.yml repository.branch must name a tag or branch, got {ref!r}")
    return url, ref


def install_target(root: Path = ROOT) -> str:
    """What the Colab cell installs: ``git+<url>@<ref>`` from ``_config.yml``."""
    url, ref = book_repository(root)
    return f"git+{url}@{ref}"


def colab_source(target: str) -> str:
    """The hidden first cell: on Colab only, install ``target`` (see :func:`install_target`)."""
    return (
        "# On Colab, install the ddia10 package this book was written against.\n"
        "# Elsewhere (JupyterLab, Binder, the site build) it is already installed.\n"
        "import subprocess\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        "    subprocess.run(\n"
        f'        [sys.executable, "-m", "pip", "install", "--quiet", "{target}"],\n'
        "        check=True,\n"
        "    )"
    )


def _is_colab_cell(cell) -> bool:
    """The install cell, by its id or (if an editor renamed it) by what it does."""
    return cell.get("id") == COLAB_CELL_ID or (
        cell.cell_type == "code" and "google.colab" in cell.source and '"git+' in cell.source
    )


def clean(nb: nbformat.NotebookNode, target: str) -> nbformat.NotebookNode:
    """A clean copy of ``nb`` following the storage convention."""
    nb = nbformat.from_dict(nb)
    nb.nbformat, nb.nbformat_minor = 4, 5
    nb.metadata = nbformat.from_dict(
        {"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)}
    )
    colab = nbformat.v4.new_code_cell(colab_source(target))
    colab.metadata = nbformat.from_dict({"tags": ["remove-cell"]})
    cells = [colab] + [cell for cell in nb.cells if not _is_colab_cell(cell)]
    for position, cell in enumerate(cells):
        tags = list(cell.get("metadata", {}).get("tags", []))
        cell.metadata = nbformat.from_dict({"tags": tags} if tags else {})
        cell.id = COLAB_CELL_ID if position == 0 else f"cell-{position:02d}"
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.cells = cells
    return nb


def _cell_differences(stored: list, wanted: list) -> list[str]:
    problems = []
    colab_cells = [position for position, cell in enumerate(stored) if _is_colab_cell(cell)]
    if colab_cells[:1] != [0]:
        problems.append("the first cell is not the standard Colab install cell")
    elif stored[0].source != wanted[0].source or stored[0].metadata != wanted[0].metadata:
        problems.append("cell 0 differs from the current standard Colab install cell")
    if len(colab_cells) > 1:
        problems.append(f"cells {colab_cells} are all Colab install cells; keep one, first")
    for position, cell in enumerate(stored):
        where = f"cell {position}"
        if cell.get("outputs"):
            problems.append(f"{where} has stored outputs")
        if cell.get("execution_count") is not None:
            problems.append(f"{where} has execution_count {cell['execution_count']}")
        extra = sorted(set(cell.get("metadata", {})) - {"tags"})
        if extra or cell.get("metadata", {}).get("tags") == []:
            problems.append(f"{where} metadata has more than tags: {extra or 'empty tags'}")
    if len(stored) == len(wanted):
        for position, (have, want) in enumerate(zip(stored, wanted, strict=True)):
            if have.get("id") != want.id:
                problems.append(f"cell {position} id is {have.get('id')!r}, expected {want.id!r}")
    return problems


def serialize(nb: nbformat.NotebookNode) -> str:
    """The file text, byte for byte as ``nbformat.write`` produces it."""
    return nbformat.writes(nb) + "\n"


def problems(path: Path, target: str) -> list[str]:
    """What keeps the stored file at ``path`` from being clean (empty when it is)."""
    text = path.read_text(encoding="utf-8")
    stored = nbformat.reads(text, as_version=4)
    wanted = clean(stored, target)
    if serialize(wanted) == text:
        return []
    found = []
    if dict(stored.metadata) != dict(wanted.metadata):
        extra = sorted(set(stored.metadata) - set(wanted.metadata))
        found.append(f"notebook metadata is not just kernelspec + language_info {extra or ''}")
    found += _cell_differences(stored.cells, wanted.cells)
    return found or ["JSON layout differs from what nbformat writes (run tools/nbclean.py)"]


def clean_file(path: Path, target: str) -> bool:
    """Rewrite the notebook at ``path`` in clean form; whether that changed the file."""
    text = path.read_text(encoding="utf-8")
    cleaned = serialize(clean(nbformat.reads(text, as_version=4), target))
    if cleaned != text:
        path.write_text(cleaned, encoding="utf-8")
    return cleaned != text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report only, change nothing")
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    target = install_target()
    dirty = 0
    for path in args.notebooks:
        if args.check:
            found = problems(path, target)
            dirty += bool(found)
            for problem in found:
                print(f"{path}: {problem}")
        elif clean_file(path, target):
            print(f"cleaned {path}")
    if dirty:
        print(f"{dirty} notebook(s) not clean: run  python tools/nbclean.py <notebook>")
    return 1 if dirty else 0


if __name__ == "__main__":
    sys.exit(main())
