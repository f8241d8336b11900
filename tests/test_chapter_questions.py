"""Every chapter ends with questions a writer edits as prose: Markdown cells after a
``## Questions`` heading, each a labelled prompt and one answer in a ``<details>`` block
(collapsed in JupyterLab, Colab, GitHub and on the site until the reader opens it)."""

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

KINDS = ("Concept check", "Interview question", "Debug scenario", "Design question",
         "Frontier question")
"""The five kinds of question, as their labels read."""

LABEL = re.compile(r"\*\*(?P<kind>[A-Z][a-z]+ [a-z]+)\.\*\* \S")
ANSWER = re.compile(
    r"\n\n<details>\n<summary>Answer</summary>\n\n(?P<answer>.+?)\n\n</details>\s*$", re.DOTALL)


def questions(path: Path) -> list[str]:
    """The cells after the chapter's ``## Questions`` heading."""
    cells = nbformat.read(path, as_version=4).cells
    heading = [i for i, c in enumerate(cells)
               if c.cell_type == "markdown" and re.search(r"^## Questions$", c.source, re.M)]
    assert len(heading) == 1, f"{path.name}: expected one '## Questions' heading"
    after = cells[heading[0] + 1:]
    assert all(c.cell_type == "markdown" for c in after), f"{path.name}: code after the questions"
    return [c.source for c in after]


def kind_and_answer(source: str) -> tuple[str, str, str]:
    """A question cell's kind, prompt and answer (an AssertionError names what is off)."""
    label = LABEL.match(source)
    assert label, f"a question starts with a bold label such as **Concept check.**: {source[:60]!r}"
    answer = ANSWER.search(source)
    assert answer, f"a question ends with one <details><summary>Answer</summary> block: " \
                   f"{source[:60]!r}"
    prompt = source[label.end() - 1:answer.start()].strip()
    return label["kind"], prompt, answer["answer"].strip()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_a_chapter_asks_at_least_five_questions_of_all_five_kinds(path):
    found = [kind_and_answer(source) for source in questions(path)]
    assert len(found) >= 5, f"{path.name} asks {len(found)} questions"
    kinds = [kind for kind, _prompt, _answer in found]
    assert set(kinds) <= set(KINDS), f"{path.name}: unknown kinds {set(kinds) - set(KINDS)}"
    assert set(kinds) == set(KINDS), f"{path.name} lacks {sorted(set(KINDS) - set(kinds))}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_question_has_a_prompt_and_exactly_one_hidden_answer(path):
    for source in questions(path):
        _kind, prompt, answer = kind_and_answer(source)
        assert prompt and answer, f"{path.name}: an empty prompt or answer in {source[:60]!r}"
        assert source.count("<details") == source.count("</details>") == 1, source[:60]
        assert "<details open" not in source, "an answer must start collapsed"
        assert "<details" not in prompt, "the prompt stays visible, outside the answer"


@pytest.mark.parametrize("source, problem", [
    ("**Concept check** Why?\n\n<details>\n<summary>Answer</summary>\n\nBecause.\n\n</details>",
     "bold label"),
    ("**Concept check.** Why?\n\n<details>\n<summary>Answer</summary>\nBecause.\n</details>",
     "one <details>"),
    ("**Concept check.** Why? Because.", "one <details>"),
])
def test_a_malformed_question_is_named(source, problem):
    with pytest.raises(AssertionError, match=problem):
        kind_and_answer(source)
