"""A scenario is what a player plays: a fresh world, and the buttons a reader may press.

A run of a scenario is fully determined by the simulation's seed and the list
of ``(step, button)`` presses, so going back one step is a rebuild and a replay
to the step before (one seed, one history). A *step* advances the world until
something the reader can see has happened: a message sent, delivered or
dropped, a crash, a role change, a note. Timers alone do not count, so idle
stretches of the simulation never cost the reader a click.

Pressing a button records a ``note`` in the trace (``"▶ Kill leader"``), so the
press shows in every view of the run.

A chapter adds pictures of its own with ``panels``: each one is a function of
the :class:`~ddia10.viz.ClusterView` after the step (a Raft log grid, a role
diagram) returning an SVG/HTML fragment, drawn by every player under the
cluster picture.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..sim import Simulation
from ..sim.trace import KINDS
from ..validate import check_callable, check_int
from .timers import Countdown, TimerWatch
from .view import ClusterView, ordered

STEP_KINDS: frozenset[str] = KINDS - {"timer"}
"""Events that end a step by default: everything but a bare timer firing."""

PRESS_MARK = "▶ "
"""How a button press is written into the trace (a ``note``)."""

_ACTIVE = re.compile(r"<(script|style)\b", re.IGNORECASE)
"""Markup a panel may not carry: a script would run, a stylesheet would restyle the page."""


class ScenarioError(RuntimeError):
    """A scenario's build, button or step failed; the message says which and why."""


@dataclass(frozen=True)
class Scenario:
    """A titled simulation with buttons, for a :class:`~ddia10.viz.Player`.

    ``build()`` returns a fresh :class:`~ddia10.sim.Simulation` at step 0 (same
    seed, same world, every time). ``buttons`` maps a label to a function of the
    simulation that injects a fault or a client request (``sim.crash("a")``,
    ``sim.partition(["a"], ["b", "c"])``, ``sim.call(...)``). ``table(view)``
    gives the state table (default: one row per process with its annotations).
    ``step_kinds`` are the event kinds that end a step; ``max_events`` bounds
    the simulator events one step may take. ``layout`` fixes node positions
    (pid -> (x, y) in [-1, 1]); by default processes sit on a circle.
    ``panels`` maps a name to a function of a ClusterView returning an SVG or
    HTML fragment: a picture of the world after each step that only the
    chapter knows how to draw.
    """

    title: str
    build: Callable[[], Simulation]
    buttons: Mapping[str, Callable[[Simulation], Any]] = field(default_factory=dict)
    table: Callable[[ClusterView], Any] | None = None
    description: str = ""
    step_kinds: frozenset[str] = STEP_KINDS
    max_events: int = 10_000
    layout: Mapping[Hashable, tuple[float, float]] | None = None
    panels: Mapping[str, Callable[[ClusterView], str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.title, str) or not self.title.strip():
            raise ValueError(f"a scenario needs a non-empty title, got {self.title!r}")
        check_callable("Scenario.build", self.build, what="a function returning a Simulation")
        if not isinstance(self.buttons, Mapping):
            raise ValueError(
                f"Scenario.buttons must be a dict of label -> function, got {self.buttons!r}"
            )
        for name, fn in self.buttons.items():
            if not isinstance(name, str) or not name:
                raise ValueError(f"button labels must be non-empty strings, got {name!r}")
            check_callable(f"button {name!r}", fn, what="a function of the simulation")
        if not isinstance(self.panels, Mapping):
            raise ValueError(
                f"Scenario.panels must be a dict of name -> function of a ClusterView, "
                f"got {self.panels!r}"
            )
        for name, fn in self.panels.items():
            if not isinstance(name, str) or not name.strip():
                raise ValueError(f"panel names must be non-empty strings, got {name!r}")
            check_callable(f"panel {name!r}", fn,
                           what="a function of a ClusterView returning SVG or HTML")
        check_callable("Scenario.table", self.table, what="a function of a ClusterView",
                       none=True)
        unknown = set(self.step_kinds) - KINDS
        if unknown or not self.step_kinds:
            raise ValueError(
                f"step_kinds must be a non-empty set of event kinds; unknown: {sorted(unknown)}"
            )
        check_int("max_events", self.max_events, min=1)

    def fresh(self) -> Simulation:
        """A new world at step 0, checked to be one a player can show."""
        try:
            sim = self.build()
        except Exception as exc:
            raise ScenarioError(f"building scenario {self.title!r} failed: {exc!r}") from exc
        if not isinstance(sim, Simulation):
            raise ScenarioError(
                f"Scenario.build must return a Simulation, got {type(sim).__name__}"
            )
        if not sim.tracing:
            raise ScenarioError("a scenario's simulation must record its trace (trace=True)")
        return sim

    def advance(self, sim: Simulation, watch: TimerWatch | None = None) -> bool:
        """One step: run simulator events until one of ``step_kinds`` is recorded.

        ``watch`` looks at the armed timers after every event. False when the
        world has nothing left to do.
        """
        trace = sim.trace
        kinds = self.step_kinds
        for _ in range(self.max_events):
            start = len(trace)
            if not sim.step():
                return False
            if watch is not None:
                watch.observe(sim)
            if any(ev.kind in kinds for ev in trace.events[start:]):
                return True
        return True

    def state_table(self, view: ClusterView):
        """The scenario's table for ``view``, or one row per process with its annotations."""
        import pandas as pd

        if self.table is not None:
            try:
                table = self.table(view)
            except Exception as exc:
                raise ScenarioError(
                    f"Scenario.table failed after {view.upto} events: {exc!r}"
                ) from exc
            if not isinstance(table, pd.DataFrame):
                raise ScenarioError(
                    f"Scenario.table must return a pandas DataFrame, got {type(table).__name__}"
                )
            return table
        rows = []
        for pid, p in view.processes.items():
            row = {"process": str(pid), "status": p.status}
            row.update({k: _cell(v) for k, v in ordered(p.annotations)})
            rows.append(row)
        return pd.DataFrame(rows).fillna("")

    def panel(self, name: str, view: ClusterView) -> str:
        """Panel ``name`` drawn for ``view``: the fragment, checked to be one a page can hold."""
        if name not in self.panels:
            raise ValueError(f"no panel {name!r}; panels: {list(self.panels)}")
        if not isinstance(view, ClusterView):
            raise TypeError(f"a panel draws a ClusterView, got {type(view).__name__}")
        try:
            fragment = self.panels[name](view)
        except Exception as exc:
            raise ScenarioError(
                f"panel {name!r} failed after {view.upto} events: {exc!r}"
            ) from exc
        if not isinstance(fragment, str):
            raise ScenarioError(
                f"panel {name!r} must return an SVG or HTML string, got {type(fragment).__name__}"
            )
        if _ACTIVE.search(fragment):
            raise ScenarioError(
                f"panel {name!r} returned a <script> or <style> element; a panel is a "
                "picture, and either would reach beyond it into the page"
            )
        return fragment

    def run(self, presses: Iterable[tuple[int, str]] = (), steps: int = 0) -> Run:
        """Replay: a fresh world driven to step ``steps`` with ``presses`` applied."""
        run = Run(self, presses)
        run.goto(steps)
        return run


def _cell(v: Any) -> Any:
    return v if isinstance(v, (str, int, float, bool)) or v is None else str(v)


class Run:
    """One run of a scenario: the world, the step it is at, and the presses that shaped it.

    ``marks[j]`` is the trace length once step ``j`` and its presses are done,
    so the picture at step ``j`` is the view of that trace prefix, and
    ``timers[j]`` the election, heartbeat and lease timers armed then.
    """

    def __init__(self, scenario: Scenario, presses: Iterable[tuple[int, str]] = ()) -> None:
        if not isinstance(scenario, Scenario):
            raise TypeError(f"a run needs a Scenario, got {type(scenario).__name__}")
        self.scenario = scenario
        self.presses: list[tuple[int, str]] = _check_presses(presses, scenario)
        self._restart()

    def _restart(self) -> None:
        self.sim = self.scenario.fresh()
        self.k = 0
        self.ended = False
        self.marks: list[int] = []
        self.timers: list[tuple[Countdown, ...]] = []
        self._watch = TimerWatch()
        self._apply_presses()

    def _apply_presses(self) -> None:
        for step, name in self.presses:
            if step == self.k:
                self._button(name)
        self._watch.observe(self.sim)
        self.marks.append(len(self.sim.trace))
        self.timers.append(self._watch.countdowns())

    def _button(self, name: str) -> None:
        self.sim.note(PRESS_MARK + name)
        self.scenario.buttons[name](self.sim)

    def step(self) -> bool:
        """Advance one step (and redo presses recorded at the new step); False at the end."""
        if self.ended:
            return False
        try:
            moved = self.scenario.advance(self.sim, self._watch)
        except Exception as exc:
            k = self.k
            self._restart()
            self.goto(k)
            raise ScenarioError(f"the simulation failed after step {k}: {exc!r}") from exc
        if not moved:
            self.ended = True
            return False
        self.k += 1
        self._apply_presses()
        return True

    def press(self, name: str) -> None:
        """Press a button now; presses after this step are forgotten (a new future).

        If the button fails, the run is replayed without it and a
        :class:`ScenarioError` says why.
        """
        if name not in self.scenario.buttons:
            raise ValueError(f"no button {name!r}; buttons: {list(self.scenario.buttons)}")
        before = self.presses
        self.presses = [p for p in before if p[0] <= self.k]
        try:
            self._button(name)
        except Exception as exc:
            k = self.k
            self.presses = before
            self._restart()
            self.goto(k)
            raise ScenarioError(f"{name!r} failed: {exc}") from exc
        self.presses.append((self.k, name))
        self._watch.observe(self.sim)
        self.marks[-1] = len(self.sim.trace)
        self.timers[-1] = self._watch.countdowns()
        self.ended = False

    def goto(self, k: int) -> None:
        """Go to step ``k``: forward by stepping, backward by replaying from step 0."""
        check_int("a step number", k, min=0)
        if k < self.k:
            self._restart()
        while self.k < k and self.step():
            pass


def _check_presses(presses: Iterable[tuple[int, str]], scenario: Scenario) -> list[tuple[int, str]]:
    out = []
    for p in presses:
        if not (isinstance(p, (tuple, list)) and len(p) == 2):
            raise ValueError(f"a press is a (step, button) pair, got {p!r}")
        step, name = p
        check_int(f"the step of press {p!r}", step, min=0)
        if name not in scenario.buttons:
            raise ValueError(
                f"no button {name!r} in {scenario.title!r}; buttons: {list(scenario.buttons)}"
            )
        out.append((step, name))
    return sorted(out, key=lambda p: p[0])
