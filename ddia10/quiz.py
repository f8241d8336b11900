"""Chapter questions whose answers stay hidden until the reader asks for them.

Every chapter ends with questions of five kinds, each training a different
skill: a *concept check* tests that an idea landed, an *interview question*
asks for it out loud under time pressure, a *debug scenario* gives symptoms
and asks for the cause, a *design question* asks for a trade-off to be made
and defended, and a *frontier question* points past the chapter.

A :class:`Quiz` is the last expression of a notebook cell. It renders its
markdown to HTML with each answer inside ``<details>``, which JupyterLab,
Colab and the static site all collapse and open on click without any
JavaScript, and without a kernel. Styling is inline so the output looks the
same wherever the HTML lands.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass

from markdown_it import MarkdownIt

KINDS: dict[str, str] = {
    "concept": "Concept check",
    "interview": "Interview question",
    "debug": "Debug scenario",
    "design": "Design question",
    "frontier": "Frontier question",
}
"""The five question kinds, in the order a chapter asks them, with their labels."""

_markdown = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])

_QUIZ_STYLE = "margin:1em 0;font-size:0.95em"
_TITLE_STYLE = "font-weight:600;font-size:1.15em;margin:0 0 0.5em 0"
_QUESTION_STYLE = (
    "border:1px solid rgba(127,127,127,0.35);border-radius:6px;"
    "padding:0.6em 0.9em;margin:0 0 0.7em 0"
)
_LABEL_STYLE = (
    "font-size:0.8em;font-weight:600;letter-spacing:0.04em;text-transform:uppercase;"
    "opacity:0.75;margin:0 0 0.3em 0"
)
_SUMMARY_STYLE = "cursor:pointer;font-weight:600;margin:0.3em 0"
_ANSWER_STYLE = "border-left:3px solid rgba(127,127,127,0.45);padding:0.1em 0 0.1em 0.8em"


def _require_text(field: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"question {field} must be a markdown string, got {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"question {field} must not be empty")
    return value


@dataclass(frozen=True)
class Question:
    """One question: its kind (a key of :data:`KINDS`), a prompt and an answer, in markdown."""

    kind: str
    prompt: str
    answer: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(
                f"unknown question kind {self.kind!r}; the kinds are: {', '.join(KINDS)}"
            )
        _require_text("prompt", self.prompt)
        _require_text("answer", self.answer)

    @property
    def label(self) -> str:
        """The kind as a reader sees it, e.g. "Debug scenario"."""
        return KINDS[self.kind]


class Quiz:
    """A chapter's questions, displayed with answers collapsed.

    ``Quiz([Question("concept", "Why a majority?", "Two majorities overlap."), ...])``
    as the last expression of a cell shows the questions in JupyterLab, Colab and
    the static site alike.
    """

    def __init__(self, questions: Iterable[Question], title: str = "Check your understanding"):
        if isinstance(questions, Question):
            raise TypeError("Quiz takes a list of questions; wrap the single question in [...]")
        items = tuple(questions)
        if not items:
            raise ValueError("a quiz needs at least one question")
        for position, item in enumerate(items, start=1):
            if not isinstance(item, Question):
                raise TypeError(
                    f"quiz item {position} is a {type(item).__name__}, not a Question"
                )
        if not isinstance(title, str) or not title.strip():
            raise ValueError("quiz title must be a non-empty string")
        self.questions: tuple[Question, ...] = items
        self.title = title

    def __len__(self) -> int:
        return len(self.questions)

    def kinds(self) -> set[str]:
        """The kinds this quiz covers, so a chapter can assert it asks all five."""
        return {question.kind for question in self.questions}

    def _repr_html_(self) -> str:
        blocks = [
            f'<div class="ddia10-quiz" style="{_QUIZ_STYLE}">',
            f'<p class="ddia10-quiz-title" style="{_TITLE_STYLE}">{html.escape(self.title)}</p>',
        ]
        for number, question in enumerate(self.questions, start=1):
            blocks.append(
                f'<div class="ddia10-question" data-kind="{question.kind}" '
                f'style="{_QUESTION_STYLE}">'
                f'<p class="ddia10-question-label" style="{_LABEL_STYLE}">'
                f"Q{number} · {question.label}</p>"
                f'<div class="ddia10-prompt">{_markdown.render(question.prompt)}</div>'
                f'<details class="ddia10-answer">'
                f'<summary style="{_SUMMARY_STYLE}">Show answer</summary>'
                f'<div style="{_ANSWER_STYLE}">{_markdown.render(question.answer)}</div>'
                f"</details></div>"
            )
        blocks.append("</div>")
        return "\n".join(blocks)

    def _repr_markdown_(self) -> str:
        parts = [f"**{self.title}**"]
        for number, question in enumerate(self.questions, start=1):
            parts.append(
                f"**Q{number} · {question.label}.** {question.prompt.strip()}\n\n"
                f"<details><summary>Show answer</summary>\n\n{question.answer.strip()}\n\n"
                f"</details>"
            )
        return "\n\n".join(parts)

    def __str__(self) -> str:
        parts = [self.title]
        for number, question in enumerate(self.questions, start=1):
            parts.append(
                f"Q{number} ({question.label}) {question.prompt.strip()}\n"
                f"Answer: {question.answer.strip()}"
            )
        return "\n\n".join(parts)

    def __repr__(self) -> str:
        return f"Quiz({len(self.questions)} questions, title={self.title!r})"
