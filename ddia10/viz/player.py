"""The live player: step a scenario forward and back, press its fault buttons.

The player holds a :class:`~ddia10.viz.scenario.Run` (seed plus presses) and
draws, after every step, the cluster picture, the state table, the latest
events and the scenario's own panels, all computed from the trace. Going back
replays the run from step 0 to the step before, so what the reader sees at
step ``k`` is always what a fresh run of the same presses shows at step ``k``.

Pictures are SVG strings put into ``ipywidgets.HTML``: no matplotlib figure
is built per step, so stepping stays fast. Nothing a reader clicks raises:
a failing button or protocol shows its error inside the player.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

from .. import sim as _sim
from ..sim.trace import Trace
from ..validate import check_int
from .cluster import cluster_geometry, geometry_svg, legend_html, node_positions, timers_html
from .scenario import PRESS_MARK, Run, Scenario, ScenarioError
from .spacetime import spacetime_svg
from .style import DROP, INK, MUTED, esc
from .view import ClusterView, ViewFolder, describe

TABLE_CSS = (
    "<style>.ddia10-table{border-collapse:collapse;font-size:12px}"
    ".ddia10-table th,.ddia10-table td{padding:2px 8px;border-bottom:1px solid #e0e0e0;"
    "text-align:left}.ddia10-table th{font-weight:600}</style>"
)
TIMER_CSS = (
    "<style>.ddia10-timers{font-size:12px;margin:6px 0 0 16px}.ddia10-timers i{display:"
    "inline-block;width:9px;height:9px;border-radius:50%;border:2.5px solid;margin-right:5px}"
    "</style>"
)


class Player:
    """An ipywidgets player for ``scenario``; display it as a cell's last expression.

    Programmatic use (tests, notebooks): :meth:`step`, :meth:`back`,
    :meth:`goto`, :meth:`reset`, :meth:`press`, and :attr:`sim`, :attr:`k`,
    :attr:`presses`, :attr:`view`, :attr:`message`. With ``spacetime=True``
    the player also draws the space-time diagram of the last few message
    latencies of the run. Each of the scenario's ``panels`` is redrawn after
    every step, under the cluster picture.
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        presses: Iterable[tuple[int, str]] = (),
        spacetime: bool = False,
    ) -> None:
        if not isinstance(scenario, Scenario):
            raise TypeError(f"Player plays a Scenario, got {type(scenario).__name__}")
        self.scenario = scenario
        self.spacetime = bool(spacetime)
        self.run = Run(scenario, presses)
        self.message = ""
        self._horizon = 0
        self._folder = ViewFolder()
        self._folded_sim: _sim.Simulation | None = None
        self._positions = node_positions(self.run.sim.pids, scenario.layout)
        self._roles: dict[str, None] = {}
        self._syncing = False
        self._build_widgets()
        self._refresh()

    # ------------------------------------------------------------ programmatic API
    @property
    def sim(self) -> _sim.Simulation:
        return self.run.sim

    @property
    def k(self) -> int:
        """The step the player shows."""
        return self.run.k

    @property
    def presses(self) -> list[tuple[int, str]]:
        """The ``(step, button)`` presses that, with the seed, determine this run."""
        return list(self.run.presses)

    @property
    def view(self) -> ClusterView:
        return self._view

    def step(self) -> bool:
        """One step forward; False (with a message) when nothing more happens."""
        return self._guard(self._step)

    def back(self) -> bool:
        """One step back (a replay from step 0); False at step 0."""
        if self.k == 0:
            self.message = "Already at the first step."
            self._refresh(keep_message=True)
            return False
        return self._guard(self.run.goto, self.k - 1)

    def goto(self, k: int) -> bool:
        """Go to step ``k`` (forward by stepping, backward by replaying)."""
        check_int("a step number", k, min=0)
        return self._guard(self.run.goto, k)

    def reset(self) -> bool:
        """Back to step 0 of a fresh world, forgetting every press."""

        def fresh() -> None:
            self.run = Run(self.scenario)
            self._horizon = 0

        return self._guard(fresh)

    def press(self, name: str) -> bool:
        """Press button ``name`` now; its failure shows in the player, not as an exception."""
        if name not in self.scenario.buttons:
            raise ValueError(f"no button {name!r}; buttons: {list(self.scenario.buttons)}")
        return self._guard(self.run.press, name)

    # ------------------------------------------------------------ internals
    def _step(self) -> None:
        if not self.run.step():
            raise ScenarioError("Nothing more happens in this run: no message or timer is pending.")

    def _guard(self, action, *args) -> bool:
        try:
            action(*args)
        except Exception as exc:  # a reader's click must never end in a traceback
            self.message = (
                str(exc) if isinstance(exc, ScenarioError) else f"{type(exc).__name__}: {exc}"
            )
            ok = False
        else:
            self.message = ""
            ok = True
        self._refresh(keep_message=True)
        return ok

    def _current_view(self) -> ClusterView:
        sim = self.run.sim
        if self._folded_sim is not sim or self._folder.count > len(sim.trace):
            self._folder = ViewFolder()
            self._folded_sim = sim
        self._folder.feed(sim.trace.events[self._folder.count :])
        return self._folder.view()

    def _refresh(self, keep_message: bool = False) -> None:
        if not keep_message:
            self.message = ""
        self._view = view = self._current_view()
        self._horizon = max(self._horizon, self.k)
        if any(p not in self._positions for p in view.pids):
            self._positions = node_positions(view.pids, self.scenario.layout)
        for p in view.processes.values():
            self._roles.setdefault(p.role, None)
        geo = cluster_geometry(view, self._positions, self.run.timers[-1])
        self._graph.value = self._draw(
            "picture", lambda: geometry_svg(geo) + legend_html(self._roles)
        )
        self._timers.value = TIMER_CSS + timers_html(geo)
        self._table.value = TABLE_CSS + self._draw(
            "state table",
            lambda: self.scenario.state_table(view).to_html(
                index=False, border=0, classes="ddia10-table"
            ),
        )
        self._events.value = events_html(view)
        for name, box in self._panels.items():
            box.value = self._draw(
                f"panel {name!r}", lambda name=name: self.scenario.panel(name, view)
            )
        if self.spacetime:
            self._diagram.value = self._draw(
                "space-time diagram",
                lambda: recent_spacetime(self.run.sim.trace, view, f"ddia10-live-{id(self)}"),
            )
        self._status.value = (
            f"<b>step {self.k}</b> &nbsp; t = {view.time:.1f} ms"
            f"{' &nbsp; (end)' if self.run.ended else ''}"
        )
        self._alert.value = (
            f"<div style='color:{DROP};font-size:13px'>⚠ {esc(self.message)}</div>"
            if self.message
            else ""
        )
        self._syncing = True
        try:
            self._slider.max = max(self._horizon, 1)
            self._slider.value = self.k
        finally:
            self._syncing = False

    @staticmethod
    def _draw(what: str, render) -> str:
        """A view's HTML, or a note in its place if drawing it failed."""
        try:
            return render()
        except Exception as exc:
            return f"<i style='color:{DROP}'>the {what} failed: {esc(exc)}</i>"

    def _build_widgets(self) -> None:
        import ipywidgets as w

        self._play = w.Play(
            value=0, min=0, max=10**9, interval=600, show_repeat=False, description="play"
        )
        self._play.observe(self._on_play, names="value")
        self._slider = w.IntSlider(
            value=0,
            min=0,
            max=1,
            description="step",
            continuous_update=False,
            layout=w.Layout(width="320px"),
        )
        self._slider.observe(self._on_slider, names="value")
        nav = []
        for label, icon, action in (
            ("Back", "step-backward", self.back),
            ("Step", "step-forward", self.step),
            ("Reset", "refresh", self.reset),
        ):
            b = w.Button(description=label, icon=icon, layout=w.Layout(width="90px"))
            b.on_click(lambda _b, act=action: act())
            nav.append(b)
        faults = []
        for name in self.scenario.buttons:
            b = w.Button(
                description=name,
                button_style="warning",
                tooltip=name,
                layout=w.Layout(width="auto"),
            )
            b.on_click(lambda _b, n=name: self.press(n))
            faults.append(b)
        self._status = w.HTML()
        self._alert = w.HTML()
        self._graph = w.HTML()
        self._table = w.HTML(layout=w.Layout(margin="0 0 0 16px", overflow="auto"))
        self._events = w.HTML()
        self._timers = w.HTML()
        self._diagram = w.HTML()
        self._panels = {
            name: w.HTML(layout=w.Layout(overflow="auto")) for name in self.scenario.panels
        }
        title = w.HTML(
            f"<div style='font-weight:600;font-size:15px;color:{INK}'>"
            f"{esc(self.scenario.title)}</div>"
            f"<div style='font-size:12px;color:{MUTED}'>{esc(self.scenario.description)}</div>"
        )
        self.widget = w.VBox(
            [
                title,
                w.HBox([self._play, *nav, self._slider, self._status]),
                w.HBox(faults, layout=w.Layout(flex_flow="row wrap")),
                self._alert,
                # side by side when there is room, the table under the picture when not
                w.HBox([self._graph, w.VBox([self._table, self._timers, self._events],
                                            layout=w.Layout(min_width="0", flex="1 1 260px"))],
                       layout=w.Layout(flex_flow="row wrap")),
                *(
                    w.VBox([w.HTML(f"<b style='font-size:13px;color:{INK}'>{esc(name)}</b>"), box])
                    for name, box in self._panels.items()
                ),
                *([self._diagram] if self.spacetime else []),
            ]
        )

    def _on_play(self, change) -> None:
        if change["new"] > change["old"] and not self.step():
            self._play.playing = False

    def _on_slider(self, change) -> None:
        if not self._syncing:
            self.goto(int(change["new"]))

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def events_html(view: ClusterView) -> str:
    """The latest events, newest last, with button presses in bold."""
    lines = []
    for ev in view.recent:
        text = esc(describe(ev))
        if ev.kind == "note" and str(ev.data.get("text", "")).startswith(PRESS_MARK):
            text = f"<b>{text}</b>"
        elif ev.kind in ("drop", "crash"):
            text = f"<span style='color:{DROP}'>{text}</span>"
        lines.append(f"<div>{text}</div>")
    return (
        f"<div style='font-family:ui-monospace,monospace;font-size:11.5px;color:{INK};"
        f"margin-top:8px;line-height:1.45'>{''.join(lines)}</div>"
    )


_SHAPING = frozenset("start crash restart pause resume partition heal disconnect reconnect".split())


def recent_spacetime(trace: Trace, view: ClusterView, svg_id: str, latencies: float = 14) -> str:
    """The space-time diagram of the last ``latencies`` typical message delays.

    Only the window's events are drawn (plus the earlier faults that still
    shape it), so the cost per step stays flat however long the run grows.
    """
    t1 = view.time
    t0 = max(0.0, t1 - latencies * view.latency)
    if t1 <= t0:
        t1 = t0 + latencies * view.latency
    events = trace.events[: view.upto]
    j = bisect.bisect_left(events, t0 - 4 * view.latency, key=lambda e: e.time)
    window = Trace([e for e in events[:j] if e.kind in _SHAPING] + events[j:])
    return spacetime_svg(window, pids=view.pids, since=t0, until=t1, width=760, id_prefix=svg_id)
