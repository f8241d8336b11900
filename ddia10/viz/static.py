"""The player without a kernel: one self-contained HTML block per run.

For the static site, a scenario is run ahead of time (its seed plus a fixed
list of presses) and every step's picture is reduced to a compact frame:
each node's role and caption, the broken links, the messages in flight with
their positions, the state table rows, the latest events and the
scenario's panels. Strings are stored once and referred to by number. Each
distinct panel fragment (they change far less often than frames) is stored
once, as the list of its tags, which are strings like any other: two log
grids that differ by one entry share all their other cells. A small script
draws a frame as SVG (mirroring :func:`ddia10.viz.cluster.geometry_svg`) when
the reader steps, so the page carries one picture's worth of code and data,
not one image per step. Nothing is fetched: no CDN, no fonts, no kernel.

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

from . import style
from .cluster import HEIGHT, NODE_R, WIDTH, cluster_geometry, geometry_svg, node_positions
from .scenario import PRESS_MARK, Scenario
from .spacetime import spacetime_svg
from .stepper import data_block, inline, player_id, stepper
from .style import esc
from .view import ViewFolder, describe

MAX_DIAGRAM_EVENTS = 3000
"""The longest run whose space-time diagram a static player embeds (~60 bytes an event)."""

_BETWEEN_TAGS = re.compile(r"(?<=>)(?=<)")
_EVENT_CLASS = {"note": 1, "drop": 2, "crash": 2}


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
    if isinstance(steps, bool) or not isinstance(steps, int) or not 0 <= steps <= 5000:
        raise ValueError(f"steps must be an int in [0, 5000], got {steps!r}")
    run = scenario.run(presses, steps=steps)
    data, first_svg = _frames(scenario, run)
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
        '<div class="ddia10-side"><table class="ddia10-table"></table>'
        '<div class="ddia10-events"></div></div></div>'
        f'<div class="ddia10-legend">{_legend(data["roles"])}</div>'
        f"{_panel_boxes(scenario)}{diagram}"
    )
    return stepper(
        pid, blob, last=len(data["frames"]) - 1, draw="cluster_player.js", body=body,
        title=scenario.title,
        head=f'<div class="ddia10-desc">{esc(scenario.description)}</div>', css=_CSS,
        interval_ms=interval_ms,
    )


def _frames(scenario: Scenario, run) -> tuple[dict, str]:
    trace = run.sim.trace
    strings = _Strings()
    pids = list(dict.fromkeys(e.pid for e in trace.events if e.kind == "start"))
    positions = node_positions(pids, scenario.layout)
    folder = ViewFolder()
    fragments = _Strings()
    frames, columns, roles, labels = [], {}, {}, {}
    first_svg = ""
    for j, mark in enumerate(run.marks):
        folder.feed(trace.events[folder.count : mark])
        view = folder.view()
        geo = cluster_geometry(view, {p: positions[p] for p in view.pids})
        if j == 0:
            first_svg = inline(geometry_svg(geo))
        node_of = {n["pid"]: n for n in geo["nodes"]}
        nodes = []
        for p in pids:
            n = node_of.get(str(p))
            if n is None:
                nodes.append(None)
                continue
            roles.setdefault(n["role"], style.role_color(n["role"]))
            nodes.append([strings(n["role"]), strings(n["caption"]), int(n["cut"])])
        index = {str(p): i for i, p in enumerate(pids)}
        broken = [
            [index[geo["nodes"][lk["a"]]["pid"]], index[geo["nodes"][lk["b"]]["pid"]]]
            for lk in geo["links"]
            if lk["broken"]
        ]
        msgs = []
        for m in geo["msgs"]:
            labels.setdefault(m["label"], style.message_color(m["label"]))
            msgs.append([m["x"], m["y"], strings(m["label"]), int(m["dup"]), m["dx"], m["dy"]])
        table = scenario.state_table(view)
        for c in table.columns:
            columns.setdefault(str(c), None)
        rows = [
            {str(c): v for c, v in zip(table.columns, r, strict=True)}
            for r in table.itertuples(index=False)
        ]
        events = [[strings(describe(ev)), _event_class(ev)] for ev in view.recent]
        frame = {"n": nodes, "b": broken, "m": msgs, "t": view.time, "k": mark, "r": rows,
                 "e": events}
        if scenario.panels:
            frame["p"] = [fragments(inline(scenario.panel(n, view))) for n in scenario.panels]
        frames.append(frame)
    cols = list(columns)
    for f in frames:
        f["r"] = [[strings("" if r.get(c) is None else r.get(c)) for c in cols] for r in f["r"]]
    pieces = [[strings(t) for t in _BETWEEN_TAGS.split(f)] for f in fragments.table]
    data = {
        "s": strings.table,
        "pf": pieces,
        "nodes": [[round(positions[p][0], 1), round(positions[p][1], 1), str(p)] for p in pids],
        "cols": cols,
        "roles": roles,
        "labels": labels,
        "frames": frames,
        "ended": run.ended,
        "ink": style.INK,
        "muted": style.MUTED,
        "drop": style.DROP,
        "w": WIDTH,
        "h": HEIGHT,
        "r": NODE_R,
        "font": style.FONT,
    }
    return data, first_svg


def _event_class(ev) -> int:
    if ev.kind == "note" and not str(ev.data.get("text", "")).startswith(PRESS_MARK):
        return 0
    return _EVENT_CLASS.get(ev.kind, 0)


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
.ddia10-player .ddia10-side{flex:1;min-width:240px}
.ddia10-player .ddia10-table{border-collapse:collapse;font-size:12px;margin-bottom:8px}
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
