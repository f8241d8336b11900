"""The cluster at one moment: processes as nodes, links, and messages in flight.

Nodes are coloured by role (see :mod:`ddia10.viz.style`), links a partition or
a disconnection has cut are drawn dashed in red with a cross, and each message
in flight sits on its link as a small labelled pill, nearer the sender when
just sent and nearer the receiver when about to arrive (its position is the
time since it was sent over the typical latency seen so far in the trace).

:func:`cluster_geometry` computes all of that once, as a
:class:`ClusterGeometry` of plain numbers and strings; :func:`cluster_svg`
draws it for the live player, the static player's script draws the same
geometry in the browser (``assets/cluster_player.js``), and
:func:`cluster_graph` draws the view with networkx and matplotlib.

=================  ============================================================
ClusterGeometry    what each part holds (pixels on the WIDTH x HEIGHT canvas)
=================  ============================================================
``nodes``          a :class:`NodeSpot` per process: ``pid`` (as text), centre
                   ``x, y``, ``role`` (its fill), ``caption`` (term or epoch),
                   ``cut`` (disconnected: a dashed outline), ``label_dx``,
                   ``label_dy`` (where the words about it sit, from its
                   centre: under it, above it or beside it) and ``labelled``
                   (False when they found no free spot)
``links``          a :class:`LinkLine` per pair of nodes: ``a, b`` (positions
                   in ``nodes``), ``broken`` (the network cannot carry it now)
``pills``          a :class:`Pill` per message in flight between two nodes:
                   centre ``x, y``, ``label`` (its type), ``duplicate`` (a
                   second copy: dashed), ``dx, dy`` (unit direction of travel)
``rings``          a :class:`Ring` per armed election, heartbeat or lease
                   timer: ``node`` (position in ``nodes``), ``level`` (0 the
                   innermost), ``left`` (fraction still to run, 1 to 0),
                   ``name``, ``ms`` (milliseconds to go); the deadlines come
                   from the simulator (:mod:`.timers`)
``time``           the view's simulated time, ms
=================  ============================================================

No two words of the picture overlap, by construction: each node's disc and
rings are reserved first, then the words under each node take the first free
line below it (or above it), then each message pill the first free spot along
its link, in lanes beside it, or anywhere on the canvas; a pill with no free
spot at all is left out (the events list still names it). Widths are
estimated generously (:func:`~ddia10.viz.spacetime.text_width`), so the same
picture is drawn whatever font the reader has.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from .spacetime import Boxes, text_width
from .style import DROP, FONT, INK, MUTED, esc, message_color, role_color, tag
from .timers import TIMER_COLORS, Countdown
from .view import ClusterView

WIDTH, HEIGHT, NODE_R = 420, 300, 26
_MARGIN = 58
RING_GAP = 4
"""Pixels between a node's outline and its first timer ring, and between rings."""
SUBTITLE_DY = NODE_R + 2 * RING_GAP + 16
"""Baseline of the words under a node, below its centre: clear of two rings."""
TRACK = "#e0e0e0"
MAX_RINGS = 2
"""Rings drawn per node at most (a leader's heartbeat and its election check)."""
_SUBTITLE_PX, _PILL_PX, _PILL_H = 11, 10, 16
_LINE = 14


@dataclass(frozen=True)
class NodeSpot:
    """A process where the picture draws it, and what it looks like there."""

    pid: str
    x: float
    y: float
    role: str
    caption: str
    cut: bool
    label_dx: float = 0.0
    label_dy: float = SUBTITLE_DY
    labelled: bool = True

    @property
    def anchor(self) -> str:
        """How the words line up on their spot: centred under or over the node, or
        starting (ending) just right (left) of it."""
        return "start" if self.label_dx > 0 else "end" if self.label_dx < 0 else "middle"


@dataclass(frozen=True)
class LinkLine:
    """The line between nodes ``a`` and ``b`` (positions in the node list)."""

    a: int
    b: int
    broken: bool


@dataclass(frozen=True)
class Pill:
    """A message in flight: a labelled pill on its link, pointing along ``(dx, dy)``."""

    x: float
    y: float
    label: str
    duplicate: bool
    dx: float
    dy: float


@dataclass(frozen=True)
class Ring:
    """What is left of a node's timer: an arc around node ``node`` (see the module table)."""

    node: int
    level: int
    left: float
    name: str
    ms: float


@dataclass(frozen=True)
class ClusterGeometry:
    """Everything a picture of the cluster draws (see the table in the module docstring)."""

    nodes: tuple[NodeSpot, ...]
    links: tuple[LinkLine, ...]
    pills: tuple[Pill, ...]
    time: float
    rings: tuple[Ring, ...] = ()


def circle_layout(pids: Iterable[Hashable]) -> dict[Hashable, tuple[float, float]]:
    """Processes evenly on a circle, the first at the top (two side by side)."""
    pids = list(pids)
    n = len(pids)
    start = math.pi if n == 2 else -math.pi / 2
    return {
        p: (math.cos(start + 2 * math.pi * i / n), math.sin(start + 2 * math.pi * i / n))
        for i, p in enumerate(pids)
    }


def node_positions(
    pids: Iterable[Hashable], layout: Mapping[Hashable, tuple[float, float]] | None = None
) -> dict[Hashable, tuple[float, float]]:
    """Pixel centres of the nodes on the :data:`WIDTH` x :data:`HEIGHT` canvas."""
    pids = list(pids)
    unit = dict(circle_layout(pids))
    if layout is not None:
        missing = [p for p in pids if p not in layout]
        if missing:
            raise ValueError(f"layout has no position for process(es) {missing}")
        unit = {p: tuple(layout[p]) for p in pids}
    xs = [x for x, _ in unit.values()] or [0.0]
    ys = [y for _, y in unit.values()] or [0.0]
    bw, bh = max(xs) - min(xs), max(ys) - min(ys)
    scale = min(
        (WIDTH - 2 * _MARGIN) / bw if bw else math.inf,
        (HEIGHT - 2 * _MARGIN) / bh if bh else math.inf,
    )
    scale = 0.0 if scale == math.inf else scale
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    return {
        p: (WIDTH / 2 + (x - cx) * scale, HEIGHT / 2 - 8 + (y - cy) * scale)
        for p, (x, y) in unit.items()
    }


def node_caption(annotations: Mapping[str, Any]) -> str:
    """The short line under a node: its term or epoch if the protocol annotates one, or
    its Lamport clock (so a clock's every tick shows on the picture)."""
    for key in ("term", "epoch", "ballot", "view", "lamport"):
        if key in annotations:
            return f"{key} {annotations[key]}"
    return ""


def cluster_geometry(
    view: ClusterView,
    positions: Mapping[Hashable, tuple[float, float]] | None = None,
    timers: Iterable[Countdown] = (),
) -> ClusterGeometry:
    """Everything :func:`cluster_svg` draws, as plain numbers and strings.

    ``timers`` are the countdowns armed at the view's moment (a
    :class:`~ddia10.viz.Run`'s ``timers[k]``); each becomes a ring.
    """
    if not isinstance(view, ClusterView):
        raise TypeError(f"expected a ClusterView (from cluster_view), got {type(view).__name__}")
    pids = view.pids
    pos = dict(positions) if positions is not None else node_positions(pids)
    missing = [p for p in pids if p not in pos]
    if missing:
        raise ValueError(f"no position for process(es) {missing}")
    index = {p: i for i, p in enumerate(pids)}
    placed = Boxes((60.0, 20.0))
    for p in pids:
        x, y, reach = pos[p][0], pos[p][1], ring_radius(MAX_RINGS - 1) + 2
        placed.add((x - reach, y - reach, x + reach, y + reach))
    nodes = tuple(
        _node_spot(p, proc, pos[p], placed) for p, proc in view.processes.items()
    )
    links = tuple(
        LinkLine(index[a], index[b], not view.reachable(a, b))
        for i, a in enumerate(pids)
        for b in pids[i + 1 :]
    )
    return ClusterGeometry(nodes, links, _pills(view, pos, placed), view.time,
                           _rings(view, index, timers))


def _node_spot(pid: Hashable, proc, at: tuple[float, float], placed: Boxes) -> NodeSpot:
    """The node, with the words about it on the first free spot: below it, above it,
    beside it; nowhere if every spot is taken (its colour still tells its role)."""
    spot = NodeSpot(pid=str(pid), x=round(at[0], 1), y=round(at[1], 1), role=proc.role,
                    caption=node_caption(proc.annotations), cut=proc.disconnected)
    width = text_width(_subtitle(spot), _SUBTITLE_PX) + 4
    above, side = -(ring_radius(MAX_RINGS - 1) + 6), ring_radius(MAX_RINGS - 1) + 4
    for dx, dy in ((0, SUBTITLE_DY), (0, SUBTITLE_DY + _LINE), (0, SUBTITLE_DY + 2 * _LINE),
                   (0, above), (0, above - _LINE), (side, 4), (-side, 4)):
        left = spot.x + dx - (width / 2 if dx == 0 else 0 if dx > 0 else width)
        box = (left, spot.y + dy - _SUBTITLE_PX, left + width, spot.y + dy + 3)
        inside = 0 <= box[0] and box[2] <= WIDTH and 0 <= box[1] and box[3] <= HEIGHT
        if inside and placed.free(box):
            placed.add(box)
            return replace(spot, label_dx=dx, label_dy=dy)
    return replace(spot, labelled=False)


def _rings(view: ClusterView, index: Mapping[Hashable, int],
           timers: Iterable[Countdown]) -> tuple[Ring, ...]:
    """A ring per countdown of a drawn node, its levels counted per node."""
    rings, levels = [], {}
    for c in timers:
        if not isinstance(c, Countdown):
            raise TypeError(f"timers must be Countdown values, got {type(c).__name__}")
        if c.pid not in index or levels.get(c.pid, -1) + 1 >= MAX_RINGS:
            continue
        level = levels[c.pid] = levels.get(c.pid, -1) + 1
        rings.append(Ring(index[c.pid], level, round(c.fraction(view.time), 3), str(c.name),
                          round(c.left(view.time), 1)))
    return tuple(rings)


def ring_radius(level: int) -> float:
    """The radius of a node's ``level``-th timer ring."""
    return NODE_R + RING_GAP * (level + 1)


def arc_path(x: float, y: float, r: float, left: float) -> str:
    """The arc of a ring with ``left`` of it still to run, clockwise from the top
    (the static player's script mirrors this)."""
    if left >= 0.999:
        return (f"M{x:.1f},{y - r:.1f}a{r:.1f},{r:.1f} 0 1,1 0,{2 * r:.1f}"
                f"a{r:.1f},{r:.1f} 0 1,1 0,{-2 * r:.1f}")
    angle = 2 * math.pi * left
    ex, ey = x + r * math.sin(angle), y - r * math.cos(angle)
    large = 1 if left > 0.5 else 0
    return f"M{x:.1f},{y - r:.1f}A{r:.1f},{r:.1f} 0 {large},1 {ex:.1f},{ey:.1f}"


def _pills(view: ClusterView, pos: Mapping[Hashable, tuple[float, float]],
           placed: Boxes) -> tuple[Pill, ...]:
    """Each message in flight between two drawn nodes, on its link where it is free."""
    pills = []
    for m in view.in_flight:
        if m.src not in pos or m.dst not in pos or m.src == m.dst:
            continue
        (x1, y1), (x2, y2) = pos[m.src], pos[m.dst]
        dx, dy = x2 - x1, y2 - y1
        norm = math.hypot(dx, dy) or 1.0
        ux, uy = dx / norm, dy / norm
        w = pill_width(m.type)
        half_w = max(w, text_width(m.type, _PILL_PX)) / 2 + 1
        # slide from just outside the sender to just outside the receiver as time passes
        clear = min(NODE_R + pill_reach(w, ux, uy) + 8 + 24 * abs(uy), norm / 2)
        progress = min(1.0, max(0.0, (view.time - m.sent) / view.latency))
        want = clear + progress * (norm - 2 * clear)
        for x, y in _pill_spots(x1, y1, ux, uy, want, clear, norm, half_w):
            box = (x - half_w, y - _PILL_H / 2 - 1, x + half_w, y + _PILL_H / 2 + 1)
            if placed.free(box):
                placed.add(box)
                pills.append(Pill(x=round(x, 1), y=round(y, 1), label=m.type,
                                  duplicate=m.duplicate, dx=round(ux, 2), dy=round(uy, 2)))
                break
    return tuple(pills)


def _pill_spots(x1: float, y1: float, ux: float, uy: float, want: float, clear: float,
                norm: float, half_w: float):
    """Where a pill may go, best first: on its link near where its progress puts it, to
    the right of its direction of travel (so a->b and b->a stay apart), in lanes further
    out; then anywhere on the canvas, row by row."""
    for lane in (9, 27, 45):
        for shift in (0, 12, -12, 24, -24, 36, -36, 48, -48):
            along = want + shift
            if clear - 1e-9 <= along <= norm - clear + 1e-9:
                yield x1 + along * ux - uy * lane, y1 + along * uy + ux * lane
    for y in range(12, HEIGHT - 8, 18):
        for x in range(math.ceil(half_w) + 2, math.floor(WIDTH - half_w - 2), 8):
            yield float(x), float(y)


def cluster_svg(
    view: ClusterView,
    positions: Mapping[Hashable, tuple[float, float]] | None = None,
    timers: Iterable[Countdown] = (),
) -> str:
    """The cluster as an inline SVG string: cheap enough to redraw on every step."""
    return geometry_svg(cluster_geometry(view, positions, timers))


def geometry_svg(geo: ClusterGeometry) -> str:
    """Draw :func:`cluster_geometry` output (the static player's script mirrors this)."""
    nodes = geo.nodes
    out = []
    for link in geo.links:
        a, b = nodes[link.a], nodes[link.b]
        broken = link.broken  # a cut link is drawn dashed and crossed out at its middle
        out.append(
            tag("line", x1=a.x, y1=a.y, x2=b.x, y2=b.y,
                stroke=DROP if broken else MUTED, stroke_width=1.5,
                stroke_dasharray="6 5" if broken else None, opacity=0.7 if broken else 0.6)
        )
        if broken:
            mx, my = (a.x + b.x) / 2, (a.y + b.y) / 2
            out.append(
                tag("path", d=f"M{mx - 6:.1f},{my - 6:.1f}l12,12m0,-12l-12,12", stroke=DROP,
                    stroke_width=2.5)
            )
    for n in nodes:
        crashed = n.role == "crashed"
        out.append(
            tag(
                "circle",
                cx=n.x,
                cy=n.y,
                r=NODE_R,
                fill=role_color(n.role),
                stroke=DROP if crashed else INK,
                stroke_width=2 if crashed else 1.2,
                stroke_dasharray="5 3" if crashed or n.cut else None,
            )
        )
        out.extend(_ring_svg(n, ring) for ring in geo.rings if nodes[ring.node] is n)
        out.append(
            tag(
                "text",
                esc(n.pid),
                x=n.x,
                y=n.y + 5,
                text_anchor="middle",
                font_size=15,
                font_weight="bold",
                fill=MUTED if crashed else INK,
            )
        )
        if n.labelled:
            out.append(
                tag(
                    "text",
                    esc(_subtitle(n)),
                    x=n.x + n.label_dx,
                    y=n.y + n.label_dy,
                    text_anchor=n.anchor,
                    font_size=11,
                    fill=DROP if crashed else INK,
                )
            )
    for m in geo.pills:
        w = pill_width(m.label)
        out.append(
            tag(
                "rect",
                x=m.x - w / 2,
                y=m.y - 8,
                width=w,
                height=16,
                rx=8,
                fill=message_color(m.label),
                stroke=INK,
                stroke_width=0.8,
                stroke_dasharray="3 2" if m.duplicate else None,
            )
        )
        out.append(
            tag(
                "text",
                esc(m.label),
                x=m.x,
                y=m.y + 4,
                text_anchor="middle",
                font_size=10,
                fill=INK,
            )
        )
        reach = pill_reach(w, m.dx, m.dy) + 2
        ax, ay = m.x + m.dx * reach, m.y + m.dy * reach
        out.append(tag("path", d=_arrowhead(ax, ay, m.dx, m.dy), fill=INK))
    body = "".join(out)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" font-family="{esc(FONT)}" role="img">{body}</svg>'
    )


def _ring_svg(n: NodeSpot, ring: Ring) -> str:
    """A timer ring: a pale full track, and the arc still to run in the timer's colour."""
    r = ring_radius(ring.level)
    track = tag("circle", cx=n.x, cy=n.y, r=r, fill="none", stroke=TRACK, stroke_width=2.5)
    arc = tag("path", d=arc_path(n.x, n.y, r, ring.left), fill="none",
              stroke=TIMER_COLORS.get(ring.name, MUTED), stroke_width=2.5,
              class_="ddia10-ring", data_timer=ring.name)
    return track + arc


def timers_html(geo: ClusterGeometry) -> str:
    """The rings in words, for beside the picture: who waits for what, and how long."""
    lines = "".join(
        f'<div><i style="border-color:{TIMER_COLORS.get(r.name, MUTED)}"></i>'
        f"{esc(geo.nodes[r.node].pid)} {esc(r.name)}: {r.ms:g} ms left</div>"
        for r in geo.rings
    )
    return f'<div class="ddia10-timers">{lines}</div>'


def _subtitle(n: NodeSpot) -> str:
    """The words under a node: its role, then its caption if it has one."""
    return n.role + (f" · {n.caption}" if n.caption else "")


def pill_width(label: str) -> float:
    """Width in pixels of a message pill labelled ``label``."""
    return 5.8 * len(label) + 10


def pill_reach(width: float, ux: float, uy: float) -> float:
    """How far a pill extends from its centre along the unit direction (ux, uy)."""
    return min(width / 2 / (abs(ux) or 1e-9), 8 / (abs(uy) or 1e-9))


def _arrowhead(x: float, y: float, dx: float, dy: float) -> str:
    """A small triangle at (x, y) pointing along (dx, dy)."""
    px, py = -dy, dx
    return (
        f"M{x + dx * 6:.1f},{y + dy * 6:.1f}L{x + px * 4:.1f},{y + py * 4:.1f}"
        f"L{x - px * 4:.1f},{y - py * 4:.1f}Z"
    )


def legend_html(roles: Iterable[str]) -> str:
    """Colour swatches for ``roles``, for under a cluster picture."""
    items = []
    for r in roles:
        swatch = (
            f'<span style="display:inline-block;width:10px;height:10px;border-radius:50%;'
            f'background:{role_color(r)};border:1px solid {INK};margin-right:4px"></span>'
        )
        items.append(f'<span style="margin-right:12px">{swatch}{esc(r)}</span>')
    return f'<div style="font-size:12px;color:{INK}">{"".join(items)}</div>'


def cluster_graph(view: ClusterView, *, ax=None, positions=None):
    """The cluster drawn with networkx on a matplotlib axes; returns the Figure.

    For printed figures and notebooks; the players draw :func:`cluster_svg` instead.
    """
    import matplotlib.pyplot as plt
    import networkx as nx

    geo = cluster_geometry(view, positions)
    if ax is None:
        fig, ax = plt.subplots(figsize=(WIDTH / 80, HEIGHT / 80))
    else:
        fig = ax.figure
    g = nx.Graph()
    pos = {}
    for i, n in enumerate(geo.nodes):
        g.add_node(i)
        pos[i] = (n.x, -n.y)
    ok = [(lk.a, lk.b) for lk in geo.links if not lk.broken]
    cut = [(lk.a, lk.b) for lk in geo.links if lk.broken]
    nx.draw_networkx_edges(g, pos, edgelist=ok, ax=ax, edge_color=MUTED, width=1.5, alpha=0.6)
    nx.draw_networkx_edges(g, pos, edgelist=cut, ax=ax, edge_color=DROP, width=1.5, style="dashed")
    for a, b in cut:
        (x1, y1), (x2, y2) = pos[a], pos[b]
        ax.plot([(x1 + x2) / 2], [(y1 + y2) / 2], marker="x", color=DROP, markersize=10, mew=2.5)
    nodes = geo.nodes
    nx.draw_networkx_nodes(
        g,
        pos,
        ax=ax,
        node_size=1500,
        node_color=[role_color(n.role) for n in nodes],
        edgecolors=[DROP if n.role == "crashed" else INK for n in nodes],
        linewidths=1.5,
    )
    nx.draw_networkx_labels(
        g, pos, {i: n.pid for i, n in enumerate(nodes)}, ax=ax, font_weight="bold"
    )
    for i, n in enumerate(nodes):
        ax.annotate(
            _subtitle(n),
            pos[i],
            xytext=(0, -30),
            textcoords="offset points",
            ha="center",
            fontsize=9,
            color=DROP if n.role == "crashed" else INK,
        )
    for m in geo.pills:
        ax.annotate(
            m.label,
            (m.x, -m.y),
            ha="center",
            va="center",
            fontsize=7,
            bbox={
                "boxstyle": "round,pad=0.3",
                "fc": message_color(m.label),
                "ec": INK,
                "ls": "--" if m.duplicate else "-",
            },
        )
    ax.set_xlim(0, WIDTH)
    ax.set_ylim(-HEIGHT, 0)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(f"t = {view.time:.1f} ms", fontsize=10)
    return fig
