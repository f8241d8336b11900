"""Raft's role diagram (follower, candidate, leader), lit by a real trace.

The paper's Figure 4 draws the roles a server moves between and what moves
it. :func:`role_transitions` reads those moves out of a trace (the ``state``
annotations a :class:`~ddia10.raft.RaftNode` publishes, and the timer or
message that triggered each one), so the diagram shows what *this* run did,
not what the algorithm is supposed to do. A transition the paper's figure
does not have (an implementation's extra rule, a bug) shows up as an edge of
its own, dashed.

Faces: :func:`state_graph` (a :mod:`networkx` graph with counts and the first
step of every edge), :func:`draw_state_diagram` (matplotlib),
:func:`state_diagram_svg` (each edge carries the steps that used it) and
:func:`state_diagram_html` (a self-contained stepper for the static site: no
kernel, no CDN).
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import networkx as nx

from ..sim import Trace
from ..validate import check_int
from . import style
from .spacetime import Boxes, text_width
from .stepper import data_block, inline, player_id, stepper
from .style import esc

START = "start"
"""The pseudo-state a server is in before it boots (or while it is crashed)."""

POSITIONS: dict[str, tuple[float, float]] = {
    START: (-1.35, 0.0),
    "follower": (-0.8, 0.0),
    "pre-candidate": (-0.3, 0.75),
    "candidate": (0.15, 0.0),
    "leader": (1.15, 0.0),
}

PAPER_EDGES: dict[tuple[str, str], str] = {
    (START, "follower"): "starts up",
    ("follower", "candidate"): "times out, starts election",
    ("candidate", "candidate"): "times out, new election",
    ("candidate", "leader"): "receives votes from a majority",
    ("candidate", "follower"): "discovers current leader or new term",
    ("leader", "follower"): "discovers server with higher term",
}
"""The transitions of the paper's Figure 4, with its captions."""

_CAUSE_TEXT = {
    "timeout": "election timeout",
    "majority": "votes from a majority",
    "refused": "refused by a majority",
    "leader": "hears from a leader of its term",
    "higher term": "sees a higher term",
    "restart": "restarts",
    "start": "starts up",
    "call": "told to campaign",
    "other": "other",
}


@dataclass(frozen=True)
class Transition:
    """One role change of one server: at trace event ``index`` (time ``time``),
    server ``pid`` went from ``src`` to ``dst`` in ``term``, because of ``cause``
    (``timeout``, ``majority``, ``refused``, ``leader``, ``higher term``,
    ``restart``, ``start``, ``call`` or ``other``)."""

    index: int
    time: float
    pid: Hashable
    src: str
    dst: str
    term: int
    cause: str

    def describe(self) -> str:
        return (f"t={self.time:.1f} ms  server {self.pid}: {self.src} → {self.dst} "
                f"(term {self.term}; {_CAUSE_TEXT.get(self.cause, self.cause)})")


def role_transitions(trace: Trace) -> list[Transition]:
    """Every role change in ``trace``, in order, with what caused it.

    A candidate that starts a new election (its term grows, its role stays)
    is a ``candidate → candidate`` transition. A crash sends a server back to
    :data:`START`; its restart is a transition out of it."""
    if not isinstance(trace, Trace):
        raise TypeError(f"role_transitions takes a Trace, got {type(trace).__name__}")
    role: dict[Hashable, str] = {}
    term: dict[Hashable, int] = {}
    trigger: dict[Hashable, Any] = {}
    out: list[Transition] = []
    for e in trace:
        kind, pid = e.kind, e.pid
        if kind in ("deliver", "timer"):
            trigger[pid] = e
        elif kind in ("start", "restart", "crash"):
            role[pid] = START
            trigger[pid] = e
        elif kind == "state":
            data = e.data
            old_role, old_term = role.get(pid, START), term.get(pid, 0)
            new_role = data.get("role", old_role)
            new_term = data.get("term", old_term)
            role[pid], term[pid] = new_role, new_term
            if "role" not in data and "term" not in data:
                continue
            repeat = new_role == old_role == "candidate" and new_term > old_term
            if new_role != old_role or repeat:
                cause = _cause(trigger.get(pid), old_role, new_role, old_term, new_term)
                out.append(Transition(e.index, e.time, pid, old_role, new_role, new_term, cause))
            trigger.pop(pid, None)
    return out


def _cause(ev: Any, src: str, dst: str, old_term: int, new_term: int) -> str:
    if src == START:
        return "restart" if ev is not None and ev.kind == "restart" else "start"
    if ev is None:
        return "call"
    if ev.kind == "timer":
        return "timeout"
    msg_type = type(ev.data["msg"]).__name__ if isinstance(ev.data, dict) else ""
    if dst == "leader":
        return "majority"
    if msg_type in ("AppendEntries", "InstallSnapshot") and dst == "follower":
        return "higher term" if new_term > old_term and src == "leader" else "leader"
    if new_term > old_term:
        return "higher term"
    if msg_type == "RequestVoteReply" and dst == "follower":
        return "refused"
    if msg_type == "RequestVoteReply" and dst == "candidate":
        return "majority"  # a pre-vote won: now the real election
    return "other"


def state_graph(transitions: list[Transition] | Trace | None = None,
                upto: int | None = None) -> nx.MultiDiGraph:
    """The role diagram as a graph: one edge per (source, target, cause), with
    ``count`` (how often the run took it), ``steps`` (which transitions, by
    number) and ``paper`` (is it one of Figure 4's arrows). The paper's arrows
    are always there, with count 0 when unused. ``upto`` keeps the first
    ``upto`` transitions only."""
    transitions = _transitions(transitions)
    if upto is not None:
        check_int("upto", upto, min=0)
        transitions = transitions[:upto]
    g = nx.MultiDiGraph()
    roles = {START, "follower", "candidate", "leader"}
    roles |= {t.src for t in transitions} | {t.dst for t in transitions}
    for r in sorted(roles):
        g.add_node(r, pos=POSITIONS.get(r, (0.0, 0.8)))
    for (a, b), caption in PAPER_EDGES.items():
        g.add_edge(a, b, key=caption, label=caption, count=0, steps=[], paper=True)
    for step, t in enumerate(transitions):
        key = _edge_key(t)
        if not g.has_edge(t.src, t.dst, key):
            g.add_edge(t.src, t.dst, key=key, label=_CAUSE_TEXT.get(t.cause, t.cause),
                       count=0, steps=[], paper=False)
        data = g.edges[t.src, t.dst, key]
        data["count"] += 1
        data["steps"].append(step)
    return g


def _edge_key(t: Transition) -> str:
    """Which of the paper's arrows a transition is, or a caption of its own."""
    pair = (t.src, t.dst)
    if pair == (START, "follower"):
        return PAPER_EDGES[pair]
    if pair == ("candidate", "follower") and t.cause == "refused":
        return _CAUSE_TEXT["refused"]
    if pair in PAPER_EDGES and t.cause != "call":
        return PAPER_EDGES[pair]
    return _CAUSE_TEXT.get(t.cause, t.cause)


def _transitions(source: list[Transition] | Trace | None) -> list[Transition]:
    if source is None:
        return []
    if isinstance(source, Trace):
        return role_transitions(source)
    items = list(source)
    if not all(isinstance(t, Transition) for t in items):
        raise TypeError("expected a Trace or a list of Transition")
    return items


# ---------------------------------------------------------------------- geometry
_W, _H, _SCALE, _R = 800, 330, 270, 40


def _xy(role: str) -> tuple[float, float]:
    x, y = POSITIONS.get(role, (0.0, 0.8))
    return _W * 0.52 + x * _SCALE, _H * 0.5 + y * _SCALE * 0.55


def _geometry(g: nx.MultiDiGraph) -> list[dict]:
    """Each edge as an SVG path (quadratic curve, parallel edges fanned out)."""
    out = []
    groups: dict[tuple[str, str], list] = {}
    for a, b, key, data in g.edges(keys=True, data=True):
        groups.setdefault((a, b), []).append((key, data))
    for (a, b), edges in groups.items():
        reverse = g.has_edge(b, a) and a != b
        over = _blocked(a, b, g.nodes)
        for j, (key, data) in enumerate(edges):
            bend = (22 if reverse else 0) + (70 if over else 0) + 24 * j
            out.append({"src": a, "dst": b, "key": key, **data,
                        **_curve(a, b, bend if a != b else j)})
    return _place_labels(out, g.nodes)


_COUNT = " ×999"
"""Room kept after every edge's label for the count a step may add to it."""


def _place_labels(edges: list[dict], nodes) -> list[dict]:
    """Move each edge's label to the first spot near its curve where it overlaps no role
    and no label placed before it, so no step's counts can run words together."""
    placed = Boxes((80.0, 20.0))
    for role in nodes:
        x, y = _xy(role)
        if role == START:
            placed.add((x - 30, y - 8, x + 30, y + 26))
        else:
            placed.add((x - _R, y - _R, x + _R, y + _R))
    for e in edges:
        half = text_width(e["label"] + _COUNT, 10.5) / 2
        spots = [(e["lx"] + dx, e["ly"] + dy) for dy in (0, 13, -13, 26, -26, 39, -39)
                 for dx in (0, 30, -30, 60, -60)]
        for x, y in spots:
            box = (x - half, y - 10, x + half, y + 3)
            if placed.free(box) and 0 <= box[0] and box[2] <= _W and 0 <= box[1] and box[3] <= _H:
                placed.add(box)
                e["lx"], e["ly"] = x, y
                break
    return edges


def _blocked(a: str, b: str, nodes) -> bool:
    """Would a straight arrow from ``a`` to ``b`` cross another role's circle?"""
    if a == b:
        return False
    (x1, y1), (x2, y2) = _xy(a), _xy(b)
    dx, dy = x2 - x1, y2 - y1
    for other in nodes:
        if other in (a, b):
            continue
        x, y = _xy(other)
        u = max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)))
        if math.hypot(x1 + u * dx - x, y1 + u * dy - y) < _R + 12:
            return True
    return False


def _curve(a: str, b: str, bend: float) -> dict:
    (x1, y1), (x2, y2) = _xy(a), _xy(b)
    if a == b:  # a loop above the node
        lift = 95 + 30 * bend
        sx, sy, ex, ey = x1 - 16, y1 - _R + 4, x1 + 16, y1 - _R + 4
        path = f"M{sx:.1f},{sy:.1f} C{x1 - 55:.1f},{y1 - lift:.1f} {x1 + 55:.1f},{y1 - lift:.1f} " \
               f"{ex:.1f},{ey:.1f}"
        return {"path": path, "lx": x1, "ly": y1 - lift * 0.75 - 4, "tip": (ex, ey, 0.3, 1.0)}
    dx, dy = x2 - x1, y2 - y1
    d = math.hypot(dx, dy)
    ux, uy = dx / d, dy / d
    nx_, ny_ = uy, -ux  # to the left of the direction of travel
    sx, sy = x1 + ux * _R, y1 + uy * _R
    ex, ey = x2 - ux * (_R + 2), y2 - uy * (_R + 2)
    cx, cy = (sx + ex) / 2 + nx_ * bend * 2, (sy + ey) / 2 + ny_ * bend * 2
    tx, ty = ex - cx, ey - cy
    tn = math.hypot(tx, ty) or 1.0
    mx, my = (sx + ex) / 4 + cx / 2, (sy + ey) / 4 + cy / 2  # the curve's midpoint
    side = 1 if ny_ > 0 else -1  # labels go on the side the curve bends to
    return {"path": f"M{sx:.1f},{sy:.1f} Q{cx:.1f},{cy:.1f} {ex:.1f},{ey:.1f}",
            "lx": mx + nx_ * 6, "ly": my + (12 if side > 0 else -5),
            "tip": (ex, ey, tx / tn, ty / tn)}


def _arrowhead(x: float, y: float, ux: float, uy: float) -> str:
    bx, by = x - ux * 9, y - uy * 9
    px, py = -uy * 4.5, ux * 4.5
    return f"M{x:.1f},{y:.1f} L{bx + px:.1f},{by + py:.1f} L{bx - px:.1f},{by - py:.1f} Z"


def state_diagram_svg(source: list[Transition] | Trace | None = None) -> str:
    """The diagram as SVG. Every edge is a ``<g class="edge">`` whose
    ``data-steps`` lists the transitions (by number) that took it, so a page
    can light edges step by step; edges the run used are drawn lit."""
    g = state_graph(source)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {_H}" '
             f'width="{_W}" height="{_H}" font-family="{esc(style.FONT)}" '
             f'class="ddia10-roles">']
    for e in _geometry(g):
        lit = e["count"] > 0
        color = style.INK if lit else style.MUTED
        dash = "" if e["paper"] else ' stroke-dasharray="5 4"'
        label = f"{e['label']}" + (f" ×{e['count']}" if lit else "")
        parts.append(
            f'<g class="edge{" lit" if lit else ""}" data-src="{esc(e["src"])}" '
            f'data-dst="{esc(e["dst"])}" data-steps="{",".join(map(str, e["steps"]))}" '
            f'data-paper="{int(e["paper"])}" data-label="{esc(e["label"])}">'
            f'<path d="{e["path"]}" fill="none" stroke="{color}" '
            f'stroke-width="{2.4 if lit else 1.4}"{dash}/>'
            f'<path class="tip" d="{_arrowhead(*e["tip"])}" fill="{color}"/>'
            f'<text x="{e["lx"]:.1f}" y="{e["ly"]:.1f}" font-size="10.5" text-anchor="middle" '
            f'fill="{color}">{esc(label)}</text></g>')
    for role in g.nodes:
        x, y = _xy(role)
        if role == START:
            parts.append(f'<g class="node" data-role="{START}"><circle cx="{x:.1f}" '
                         f'cy="{y:.1f}" r="7" fill="{style.INK}"/><text x="{x:.1f}" '
                         f'y="{y + 22:.1f}" font-size="11" text-anchor="middle">(re)start'
                         f'</text></g>')
            continue
        parts.append(f'<g class="node" data-role="{esc(role)}"><circle cx="{x:.1f}" '
                     f'cy="{y:.1f}" r="{_R}" fill="{style.role_color(role)}" '
                     f'stroke="{style.INK}" stroke-width="1.5"/><text x="{x:.1f}" '
                     f'y="{y + 4:.1f}" font-size="13" font-weight="600" '
                     f'text-anchor="middle">{esc(role)}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def draw_state_diagram(source: list[Transition] | Trace | None = None, *,
                       upto: int | None = None, ax=None):
    """The diagram with matplotlib: the edges the run used are dark and
    labelled with their counts; unused arrows of the paper are grey; arrows
    the paper does not have are dashed. Returns the figure."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Circle, FancyArrowPatch
    from matplotlib.path import Path

    g = state_graph(source, upto=upto)
    if ax is None:
        fig, ax = plt.subplots(figsize=(11, 4.6))
    fig = ax.figure
    for e in _geometry(g):
        lit = e["count"] > 0
        color = style.INK if lit else style.MUTED
        verts, codes = _svg_path(e["path"])
        ax.add_patch(FancyArrowPatch(path=Path(verts, codes), arrowstyle="-|>",
                                     mutation_scale=14, color=color,
                                     lw=2.2 if lit else 1.2,
                                     linestyle="-" if e["paper"] else (0, (4, 3))))
        label = e["label"] + (f" ×{e['count']}" if lit else "")
        ax.text(e["lx"], e["ly"], label, fontsize=8, ha="center", va="bottom", color=color)
    for role in g.nodes:
        x, y = _xy(role)
        if role == START:
            ax.add_patch(Circle((x, y), 7, color=style.INK, zorder=3))
            ax.text(x, y + 22, "(re)start", ha="center", va="center", fontsize=9)
            continue
        ax.add_patch(Circle((x, y), _R, facecolor=style.role_color(role), edgecolor=style.INK,
                            lw=1.5, zorder=3))
        ax.text(x, y, role, ha="center", va="center", fontsize=10, fontweight="bold", zorder=4)
    ax.set_xlim(0, _W)
    ax.set_ylim(_H, 0)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig


def _svg_path(d: str) -> tuple[list, list]:
    """Our own M/Q/C path strings as matplotlib vertices and codes."""
    from matplotlib.path import Path

    verts, codes = [], []
    code = {"M": Path.MOVETO, "Q": Path.CURVE3, "C": Path.CURVE4}
    current = Path.MOVETO
    for token in d.replace("M", " M ").replace("Q", " Q ").replace("C", " C ").split():
        if token in code:
            current = code[token]
            continue
        x, y = token.split(",")
        verts.append((float(x), float(y)))
        codes.append(current)
    return verts, codes


# ---------------------------------------------------------------------- stepper
_STEPPER_CSS = """
#ROOT{max-width:680px}
.ddia10-player .ddia10-now{font-family:ui-monospace,Menlo,monospace;font-size:12px;min-height:1.4em}
#ROOT svg{max-width:100%;height:auto}
#ROOT g.edge path{stroke:#cfd8dc}
#ROOT g.edge path.tip{fill:#cfd8dc;stroke:none}
#ROOT g.edge text{fill:#b0bec5}
#ROOT g.edge.on path{stroke:#263238}
#ROOT g.edge.on path.tip{fill:#263238;stroke:none}
#ROOT g.edge.on text{fill:#263238}
#ROOT g.edge.now path{stroke:#e65100;stroke-width:3.2}
#ROOT g.edge.now path.tip{fill:#e65100;stroke:none}
#ROOT g.edge.now text{fill:#e65100;font-weight:700}
"""


def state_diagram_html(source: list[Transition] | Trace, *, title: str = "") -> str:
    """A self-contained stepper: step through the run's role changes and watch
    each edge light up as a server takes it (no kernel, nothing fetched)."""
    transitions = _transitions(source)
    blob = data_block([t.describe() for t in transitions])
    svg = inline(state_diagram_svg(transitions))
    body = f'<div class="ddia10-now"></div><div class="ddia10-frame">{svg}</div>'
    return stepper(player_id("roles", blob), blob, last=len(transitions),
                   draw="role_diagram.js", body=body, title=title, css=_STEPPER_CSS,
                   unit="transition")
