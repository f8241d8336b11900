"""The player without a kernel: one self-contained HTML block per run.

For the static site, a scenario is run ahead of time (its seed plus a fixed
list of presses) and every step's picture is reduced to a compact
:class:`Frame`: each node's role and caption, the broken links, the messages
in flight with their positions, the state table rows, the latest events and
the scenario's panels. Strings are stored once in :class:`PlayerData` and
referred to by number. Each distinct panel fragment (they change far less
often than frames) is stored once, as the list of its tags, which are strings
like any other: two log grids that differ by one entry share all their other
cells. A small script (``assets/cluster_player.js``) draws a frame as SVG
(mirroring :func:`ddia10.viz.cluster.geometry_svg`) when the reader steps, so
the page carries one picture's worth of code and data, not one image per
step. Nothing is fetched: no CDN, no fonts, no kernel.

The data's keys are words, the same in this module and in the script; the
small fixed-shape records inside it (a node in a frame, a message pill, a
line of the event list, a node's place) are named tuples, which travel as
JSON arrays and which the script reads by the positions their tables give.

The buttons, the timer and the markup contract are those of every static
view (:mod:`.stepper`); the picture lives in ``.ddia10-frame`` and each
panel's fragment in its own ``.ddia10-panel-body``.

A panel fragment reaches the page only through the data block (where ``</``
and ``<!--`` are escaped, so it cannot end or hide the script) and then as the
``innerHTML`` of its own box, so a fragment's stray closing tag stays inside
the box; the box is CSS-contained and scrolls, and a fragment carrying a
script or stylesheet is refused when the page is built.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple, TypedDict

from ..validate import check_int
from . import style
from .cluster import (
    HEIGHT,
    NODE_R,
    RING_GAP,
    TRACK,
    WIDTH,
    ClusterGeometry,
    cluster_geometry,
    geometry_svg,
    node_positions,
)
from .scenario import PRESS_MARK, Run, Scenario
from .spacetime import spacetime_svg
from .stepper import data_block, inline, player_id, stepper
from .style import esc
from .timers import TIMER_COLORS
from .view import ClusterView, ViewFolder, describe

MAX_DIAGRAM_EVENTS = 3000
"""The longest run whose space-time diagram a static player embeds (~60 bytes an event)."""

_BETWEEN_TAGS = re.compile(r"(?<=>)(?=<)")
_TONE = {"note": 1, "drop": 2, "crash": 2}


class Place(NamedTuple):
    """Where a node is drawn, in pixels, and the name written on it."""

    x: float
    y: float
    name: str


class FrameNode(NamedTuple):
    """A node in one frame: its role and caption (string numbers), whether it is cut, and
    where the words about it sit (from its centre, pixels; ``labelled`` 0 when nowhere)."""

    role: int
    caption: int
    cut: int
    label_dx: float
    label_dy: float
    labelled: int


class FramePill(NamedTuple):
    """A message in flight (a :class:`~ddia10.viz.cluster.Pill` with its label by number)."""

    x: float
    y: float
    label: int
    duplicate: int
    dx: float
    dy: float


class FrameRing(NamedTuple):
    """A timer ring (a :class:`~ddia10.viz.cluster.Ring`, its name by number)."""

    node: int
    level: int
    left: float
    name: int
    ms: float


class FrameEvent(NamedTuple):
    """A line of the recent-events list: its text (string number) and its tone."""

    text: int
    tone: int


class _FrameFields(TypedDict):
    nodes: list[FrameNode | None]
    broken: list[list[int]]
    messages: list[FramePill]
    time: float
    upto: int
    rows: list[list[int]]
    recent: list[FrameEvent]
    rings: list[FrameRing]


class Frame(_FrameFields, total=False):
    """The picture after one step.

    ==========  ==============================================================
    key         value
    ==========  ==============================================================
    nodes       per place, ``[role, caption, cut, label_dx, label_dy,
                labelled]`` (:class:`FrameNode`): role and caption as string
                numbers, ``cut`` 1 if disconnected, where the words about
                the node sit (0 in ``labelled``: nowhere); ``null`` for a
                process that has not started yet
    broken      ``[i, j]`` for each link the network cannot carry now
                (positions in ``places``)
    messages    ``[x, y, label, duplicate, dx, dy]`` per message in flight
                (:class:`FramePill`): centre, type as a string number, 1 for
                a duplicate copy, unit direction of travel
    time        the simulated time, ms
    upto        how many trace events the frame shows (the space-time diagram
                shows the events before it)
    rows        the state table: per row, a string number per column
    recent      ``[text, tone]`` per recent event (:class:`FrameEvent`): tone
                0 plain, 1 a reader's press, 2 a crash or a dropped message
    rings       ``[node, level, left, name, ms]`` per armed timer
                (:class:`FrameRing`): node as a position in ``places``, ring
                level, fraction left, timer name as a string number, ms left
    panels      per panel, the number of its fragment (only when the scenario
                has panels)
    ==========  ==============================================================
    """

    panels: list[int]


class PlayerData(TypedDict):
    """Everything a static player's script needs: what the data block holds.

    ===============  =========================================================
    key              value
    ===============  =========================================================
    strings          every distinct string of the run; the other keys refer to
                     them by number
    fragments        each distinct panel fragment, as the string numbers of
                     its tags
    places           ``[x, y, name]`` per process (:class:`Place`), in the
                     order frames list nodes
    columns          the state table's column names
    role_colors      role -> fill of its nodes and legend swatch
    message_colors   message type -> fill of its pills
    frames           one :class:`Frame` per step, the first before any step
    ink              the colour of text and outlines
    muted            the colour of links that carry messages
    drop             the colour of cut links and crashed nodes
    timer_colors     timer name -> colour of its ring
    track            the colour of a ring's empty track
    width, height    the picture's size, pixels
    node_radius      a node's radius, pixels
    ring_gap         pixels between a node and its first ring, and between rings
    font             the picture's font family
    ===============  =========================================================
    """

    strings: list[str]
    fragments: list[list[int]]
    places: list[Place]
    columns: list[str]
    role_colors: dict[str, str]
    message_colors: dict[str, str]
    frames: list[Frame]
    ink: str
    muted: str
    drop: str
    timer_colors: dict[str, str]
    track: str
    width: int
    height: int
    node_radius: int
    ring_gap: int
    font: str


class _Strings:
    """Each distinct string stored once; frames refer to it by number."""

    def __init__(self) -> None:
        self.table: list[str] = []
        self._index: dict[str, int] = {}

    def __call__(self, s: object) -> int:
        s = str(s)
        if s not in self._index:
            self._index[s] = len(self.table)
            self.table.append(s)
        return self._index[s]


def static_player(
    scenario: Scenario,
    *,
    presses: Iterable[tuple[int, str]] = (),
    steps: int = 60,
    spacetime: bool = False,
    interval_ms: int = 700,
) -> str:
    """Self-contained HTML (markup, CSS, SVG, script) playing ``steps`` steps of ``scenario``.

    ``presses`` are the ``(step, button)`` pairs of the story to tell;
    ``spacetime=True`` adds the space-time diagram, revealed step by step.
    The scenario's panels are drawn under the picture; a panel that fails
    raises :class:`~ddia10.viz.ScenarioError` naming it.
    """
    if not isinstance(scenario, Scenario):
        raise TypeError(f"static_player plays a Scenario, got {type(scenario).__name__}")
    check_int("steps", steps, min=0, max=5000)
    run = scenario.run(presses, steps=steps)
    data, first_svg = _player_data(scenario, run)
    blob = data_block(data)
    pid = player_id("player", blob)
    diagram = ""
    if spacetime:
        if len(run.sim.trace) > MAX_DIAGRAM_EVENTS:
            raise ValueError(
                f"{steps} steps of {scenario.title!r} make {len(run.sim.trace)} events; a "
                f"space-time diagram of more than {MAX_DIAGRAM_EVENTS} is unreadable and too "
                "heavy for a page: show fewer steps, or pass spacetime=False"
            )
        svg = spacetime_svg(run.sim.trace, id_prefix=pid + "-st")
        diagram = f'<div class="ddia10-diagram">{inline(svg)}</div>'
    body = (
        f'<div class="ddia10-body"><div class="ddia10-frame">{first_svg}</div>'
        '<div class="ddia10-side"><div class="ddia10-scroll"><table class="ddia10-table">'
        '</table></div><div class="ddia10-timers"></div><div class="ddia10-events"></div>'
        "</div></div>"
        f'<div class="ddia10-legend">{_legend(data["role_colors"])}</div>'
        f"{_panel_boxes(scenario)}{diagram}"
    )
    return stepper(
        pid, blob, last=len(data["frames"]) - 1, draw="cluster_player.js", body=body,
        title=scenario.title,
        head=f'<div class="ddia10-desc">{esc(scenario.description)}</div>', css=_CSS,
        interval_ms=interval_ms,
    )


def _player_data(scenario: Scenario, run: Run) -> tuple[PlayerData, str]:
    """The data of ``run``'s static player, and its first picture as inline SVG."""
    trace = run.sim.trace
    strings, fragments = _Strings(), _Strings()
    pids = list(dict.fromkeys(e.pid for e in trace.events if e.kind == "start"))
    positions = node_positions(pids, scenario.layout)
    folder = ViewFolder()
    frames: list[Frame] = []
    tables: list[list[dict[str, object]]] = []
    columns: dict[str, None] = {}
    role_colors: dict[str, str] = {}
    message_colors: dict[str, str] = {}
    first_svg = ""
    for mark, timers in zip(run.marks, run.timers, strict=True):
        folder.feed(trace.events[folder.count : mark])
        view = folder.view()
        geo = cluster_geometry(view, {p: positions[p] for p in view.pids}, timers)
        if not frames:
            first_svg = inline(geometry_svg(geo))
        for n in geo.nodes:
            role_colors.setdefault(n.role, style.role_color(n.role))
        for m in geo.pills:
            message_colors.setdefault(m.label, style.message_color(m.label))
        frames.append(_frame(geo, view, pids, strings))
        table = scenario.state_table(view)
        columns.update(dict.fromkeys(map(str, table.columns)))
        tables.append([{str(c): v for c, v in zip(table.columns, r, strict=True)}
                       for r in table.itertuples(index=False)])
        if scenario.panels:
            frames[-1]["panels"] = [
                fragments(inline(scenario.panel(name, view))) for name in scenario.panels
            ]
    for frame, rows in zip(frames, tables, strict=True):
        frame["rows"] = [
            [strings("" if row.get(c) is None else row.get(c)) for c in columns] for row in rows
        ]
    data: PlayerData = {
        "strings": strings.table,
        "fragments": [[strings(t) for t in _BETWEEN_TAGS.split(f)] for f in fragments.table],
        "places": [Place(round(positions[p][0], 1), round(positions[p][1], 1), str(p))
                   for p in pids],
        "columns": list(columns),
        "role_colors": role_colors,
        "message_colors": message_colors,
        "frames": frames,
        "ink": style.INK,
        "muted": style.MUTED,
        "drop": style.DROP,
        "timer_colors": dict(TIMER_COLORS),
        "track": TRACK,
        "width": WIDTH,
        "height": HEIGHT,
        "node_radius": NODE_R,
        "ring_gap": RING_GAP,
        "font": style.FONT,
    }
    return data, first_svg


def _frame(geo: ClusterGeometry, view: ClusterView, pids: list, strings: _Strings) -> Frame:
    """One step's picture, its strings by number; ``rows`` (and ``panels``) come later."""
    spot = {n.pid: n for n in geo.nodes}
    place = {str(p): i for i, p in enumerate(pids)}
    nodes: list[FrameNode | None] = []
    for p in pids:
        n = spot.get(str(p))
        nodes.append(None if n is None else
                     FrameNode(strings(n.role), strings(n.caption), int(n.cut), n.label_dx,
                               n.label_dy, int(n.labelled)))
    return {
        "nodes": nodes,
        "broken": [[place[geo.nodes[lk.a].pid], place[geo.nodes[lk.b].pid]]
                   for lk in geo.links if lk.broken],
        "messages": [FramePill(m.x, m.y, strings(m.label), int(m.duplicate), m.dx, m.dy)
                     for m in geo.pills],
        "time": view.time,
        "upto": view.upto,
        "rows": [],
        "recent": [FrameEvent(strings(describe(ev)), _tone(ev)) for ev in view.recent],
        "rings": [FrameRing(place[geo.nodes[r.node].pid], r.level, r.left, strings(r.name), r.ms)
                  for r in geo.rings],
    }


def _tone(ev) -> int:
    """How the event list shows ``ev``: 0 plain, 1 a reader's press, 2 a crash or a drop."""
    if ev.kind == "note" and not str(ev.data.get("text", "")).startswith(PRESS_MARK):
        return 0
    return _TONE.get(ev.kind, 0)


def _panel_boxes(scenario: Scenario) -> str:
    """One named, empty box per panel; the script fills it (see the module docstring)."""
    return "".join(
        f'<div class="ddia10-panel"><div class="ddia10-panel-name">{esc(name)}</div>'
        '<div class="ddia10-panel-body"></div></div>'
        for name in scenario.panels
    )


def _legend(roles: dict[str, str]) -> str:
    return "".join(f'<span><i style="background:{c}"></i>{esc(r)}</span>' for r, c in roles.items())


_CSS = """
.ddia10-player .ddia10-desc{font-size:12px;color:#607d8b;margin-bottom:6px}
.ddia10-player .ddia10-body{display:flex;gap:14px;flex-wrap:wrap;align-items:flex-start}
.ddia10-player .ddia10-body svg{display:block;max-width:100%;height:auto}
.ddia10-player .ddia10-frame{max-width:100%}
.ddia10-player .ddia10-side{flex:1 1 240px;min-width:0;max-width:100%}
.ddia10-player .ddia10-scroll{overflow-x:auto;max-width:100%}
.ddia10-player .ddia10-table{border-collapse:collapse;font-size:12px;margin-bottom:8px}
.ddia10-player .ddia10-timers{font-size:12px;margin-bottom:6px}
.ddia10-player .ddia10-timers i{display:inline-block;width:9px;height:9px;border-radius:50%;
 border:2.5px solid;margin-right:5px;vertical-align:-1px}
.ddia10-player .ddia10-table th,.ddia10-player .ddia10-table td{padding:2px 8px;
 border-bottom:1px solid #e0e0e0;text-align:left}
.ddia10-player .ddia10-table th{font-weight:600}
.ddia10-player .ddia10-events{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;
 font-size:11px;line-height:1.45;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.ddia10-player .ddia10-events div{overflow:hidden;text-overflow:ellipsis}
.ddia10-player .ddia10-events .e1{font-weight:700;color:#e65100}
.ddia10-player .ddia10-events .e2{color:#c62828}
.ddia10-player .ddia10-events div:last-child{background:#fff8e1}
.ddia10-player .ddia10-legend{font-size:12px;margin-top:4px}
.ddia10-player .ddia10-legend span{margin-right:12px;white-space:nowrap}
.ddia10-player .ddia10-legend i{display:inline-block;width:10px;height:10px;border-radius:50%;
 border:1px solid #263238;margin-right:4px;vertical-align:-1px}
.ddia10-player .ddia10-panel{margin-top:8px;border-top:1px solid #eceff1;padding-top:6px}
.ddia10-player .ddia10-panel-name{font-weight:600;font-size:13px;margin-bottom:4px}
.ddia10-player .ddia10-panel-body{overflow:auto;contain:content}
.ddia10-player .ddia10-diagram{overflow-x:auto;margin-top:8px;border-top:1px solid #eceff1;
 padding-top:6px}
"""
"""What only this view has (the classes are its own, so the rules need no id)."""
