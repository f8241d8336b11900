"""What a drill check says back: a verdict, the rule, the run that breaks it, the line.

A check never raises at the reader (a bad argument aside): it returns a
:class:`DrillReport` whose ``status`` is ``"passed"``, ``"failed"`` or
``"not yet"`` (the skeleton is still unfilled). A failed report names

- the **rule** broken, in the words of the chapter that teaches it
  ("one vote per term", "the clock condition");
- what happened, as an **explanation** in the reader's terms (the servers,
  terms, stamps and tokens of the run, not our internals);
- the **smallest run** the check found that breaks it, as a :class:`DrillRun`:
  a function that builds that world afresh, with the reader's code in it, so
  any of the book's players can step through it
  (:func:`ddia10.viz.show_drill`);
- the **line of the reader's code** that acted (:class:`CodeLine`): the
  statement that sent the vote, returned the wrong answer, or raised.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..sim import Simulation

PASSED, FAILED, NOT_YET = "passed", "failed", "not yet"


@dataclass(frozen=True)
class CodeLine:
    """One line of the reader's code: where it is and what it says."""

    file: str
    line: int
    function: str
    text: str

    def __str__(self) -> str:
        return f"line {self.line}, in your {self.function}: {self.text.strip()}"


@dataclass(frozen=True)
class DrillRun:
    """The world that shows a failure, built afresh on every call of ``build``
    (same seed, same schedule, the reader's code inside): what a player plays.
    ``steps`` is how many player steps show the whole story; ``step_kinds``
    the trace events a step ends on (``None``: the player's default)."""

    title: str
    build: Callable[[], Simulation]
    steps: int = 60
    step_kinds: frozenset[str] | None = None
    story: str = ""


@dataclass(frozen=True)
class DrillReport:
    """The verdict of one drill check (see the module docstring)."""

    drill: str
    status: str
    rule: str = ""
    explanation: str = ""
    run: DrillRun | None = None
    line: CodeLine | None = None
    checked: tuple[str, ...] = ()
    history: Any = None  # a linearizability History, for the drill that checks one

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    def lines(self) -> list[str]:
        """The report in words, one line per item."""
        if self.status == PASSED:
            out = [f"{self.drill}: passed."]
            out += [f"  ✓ {what}" for what in self.checked]
            return out
        if self.status == NOT_YET:
            return [f"{self.drill}: not yet. {self.explanation}"]
        out = [f"{self.drill}: failed. Rule broken: {self.rule}.", f"  {self.explanation}"]
        if self.line is not None:
            out.append(f"  The code that acted: {self.line}")
        if self.run is not None:
            out.append(f"  The smallest run that shows it: {self.run.title}"
                       + (f" ({self.run.story})" if self.run.story else ""))
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def _repr_markdown_(self) -> str:
        head, *rest = self.lines()
        mark = {PASSED: "✅", FAILED: "❌", NOT_YET: "⏳"}[self.status]
        return "\n".join([f"{mark} **{head}**", ""] + [f"- {line.strip()}" for line in rest])


def passed(drill: str, checked: list[str]) -> DrillReport:
    return DrillReport(drill, PASSED, checked=tuple(checked))


def not_yet(drill: str, why: str) -> DrillReport:
    return DrillReport(drill, NOT_YET, explanation=why)


def failed(drill: str, rule: str, explanation: str, *, run: DrillRun | None = None,
           line: CodeLine | None = None, history: Any = None) -> DrillReport:
    return DrillReport(drill, FAILED, rule, explanation, run, line, history=history)
