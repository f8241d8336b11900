"""The book as a book: what the intro says it holds, citations, the glossary's terms."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
TERM = re.compile(r"\{term\}`([^`<]+?)(?:\s*<([^>]+)>)?`", re.S)
CITE = re.compile(r"\{cite(?::[pt])?\}`([^`]+)`")


def toc_chapters() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return [c["file"] for part in toc["parts"] for c in part["chapters"]
            if c["file"].startswith("notebooks/")]


def chapter_text(entry: str) -> str:
    nb = nbformat.read(ROOT / f"{entry}.ipynb", as_version=4)
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def numbers(words: str) -> set[int]:
    """``"0 to 5, 9 and 10"`` as {0, 1, 2, 3, 4, 5, 9, 10}."""
    found: set[int] = set()
    for part in re.split(r",\s*|\s+and\s+", words):
        span = re.fullmatch(r"(\d+) to (\d+)", part.strip())
        if span:
            found |= set(range(int(span[1]), int(span[2]) + 1))
        elif part.strip():
            found.add(int(part))
    return found


def test_the_intro_says_exactly_which_chapters_this_edition_holds():
    intro = (ROOT / "book" / "intro.md").read_text(encoding="utf-8")
    said = re.search(r"This edition holds chapters (.+?);", intro.replace("\n", " "))
    assert said, "the intro should say 'This edition holds chapters ...;'"
    held = {int(Path(entry).name[:2]) for entry in toc_chapters()}
    assert numbers(said[1]) == held, f"the intro says {said[1]!r}; the book holds {sorted(held)}"


def test_the_chapter_list_reader_reads_ranges_and_lists():
    assert numbers("0 to 5, 9 and 10") == {0, 1, 2, 3, 4, 5, 9, 10}


def bib_keys() -> set[str]:
    return set(re.findall(r"^@\w+\{([^,]+),", (ROOT / "book" / "references.bib").read_text(
        encoding="utf-8"), re.M))


def test_every_chapter_cites_the_bibliography_and_only_what_is_in_it():
    keys = bib_keys()
    for entry in toc_chapters():
        cited = {k.strip() for group in CITE.findall(chapter_text(entry)) for k in group.split(",")}
        assert cited, f"{entry} cites nothing from the bibliography"
        assert cited <= keys, f"{entry} cites {sorted(cited - keys)}, not in references.bib"


def glossary_terms() -> set[str]:
    text = (ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
    body = text.split("```{glossary}", 1)[1].rsplit("```", 1)[0]
    return {line.strip().lower() for line in body.splitlines()
            if line and not line.startswith(" ")}


def test_every_glossary_term_used_is_defined():
    defined = glossary_terms()
    sources = [chapter_text(entry) for entry in toc_chapters()]
    sources += [p.read_text(encoding="utf-8") for p in (ROOT / "book").glob("*.md")]
    used = {" ".join((target or shown).split()).lower() for text in sources
            for shown, target in TERM.findall(text)}
    assert used, "no chapter links a glossary term"
    assert used <= defined, f"terms used but not in the glossary: {sorted(used - defined)}"


FIGURE_CALLS = ("show(", "show_history(", "show_figure(", "log_player(", "state_diagram_html(",
                "HTML(state_diagram_html(")
CAPTION = re.compile(r"^\*\*Figure (\d+)\.(\d+)\.\*\* \S")
SHOWN = re.compile(r'show_figure\(\s*\w+,\s*"(\d+)\.(\d+)",.*?alt=\(?\s*[\'"](.+?)[\'"]', re.S)


def figure_numbers(entry: str) -> list[tuple[int, int]]:
    """The figure numbers of a chapter in order, each checked to be described:
    a view followed by a caption cell, or a picture shown with its caption and alt."""
    cells = nbformat.read(ROOT / f"{entry}.ipynb", as_version=4).cells
    found = []
    for i, cell in enumerate(cells):
        if cell.cell_type != "code" or not any(
                line.startswith(FIGURE_CALLS) for line in cell.source.splitlines()):
            continue
        shown = SHOWN.search(cell.source)
        if shown:
            assert len(shown[3]) > 20, f"{entry}: figure {shown[1]}.{shown[2]} needs alt text"
            found.append((int(shown[1]), int(shown[2])))
            continue
        after = cells[i + 1] if i + 1 < len(cells) else None
        caption = CAPTION.match(after.source) if after and after.cell_type == "markdown" else None
        assert caption, f"{entry}: the view in {cell.id} needs a '**Figure N.k.**' caption after it"
        found.append((int(caption[1]), int(caption[2])))
    return found


def test_figures_are_numbered_in_order_and_described():
    for entry in toc_chapters():
        numbers_seen = figure_numbers(entry)
        chapter = int(Path(entry).name[:2])
        assert numbers_seen == [(chapter, k) for k in range(1, len(numbers_seen) + 1)], (
            f"{entry}: figures numbered {numbers_seen}")
