"""The log grid: Raft's logs side by side, one row per server, one cell per index.

Chapter 5 reads Raft through its logs. Each cell is one entry, coloured by
its term, so a divergent suffix, a log that is behind, and the moment a
leader overwrites a follower all show as colours. Committed cells are solid,
uncommitted ones pale, and a bar after each row's commit index marks how far
that server knows the log is safe; a configuration entry reads ``C`` before
its term. Under each follower the current leader's
view of it is drawn: a green bar up to ``matchIndex`` (the prefix known to
match) and a pointer at ``nextIndex`` (the entry it will send next), so
the back-off of §5.3 can be watched step by step.

Everything is computed from the trace's ``state`` annotations
(:meth:`ddia10.raft.RaftNode.view`), never from node objects: a live run, a
trace loaded from JSON and the static page show the same grid.

- :func:`log_grid` — the grid after the first ``upto`` events, as plain values;
- :func:`log_grid_svg` and :func:`log_grid_figure` — its SVG and matplotlib faces;
- :func:`log_table` — the grid as text, a :class:`~ddia10.viz.Scenario` ``table``
  so the cluster players show it too;
- :func:`log_panel` — the grid as a :class:`~ddia10.viz.Scenario` panel, drawn
  by the cluster players under the cluster after every step;
- :func:`log_player` — the grid stepped through a run: self-contained HTML
  and script (``assets/log_player.js``, reading a :class:`LogPlayerData`),
  the same in JupyterLab and in the static site;
- :func:`next_index_history` and :func:`leaders` — what the annotations say
  over time, for the chapter's assertions.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import NamedTuple, TypedDict

from ..sim.trace import Trace
from ..validate import check_int
from .scenario import Scenario
from .spacetime import text_width
from .stepper import data_block, inline, player_id, stepper
from .style import DROP, FONT, INK, MUTED, esc, tag
from .view import ClusterView, ViewFolder, cluster_view, describe

TERM_COLORS = ("#90caf9", "#a5d6a7", "#ffcc80", "#ce93d8", "#80cbc4", "#f48fb1", "#e6ee9c",
               "#bcaaa4")
"""Cell fill by term (term 1 is the first colour; the palette repeats after eight terms)."""

MATCH_COLOR = "#43a047"
STEP_KINDS = frozenset({"state", "note", "crash", "restart", "partition", "heal", "disconnect",
                        "reconnect"})
"""Events after which :func:`log_player` shows a new frame when it steps through a trace."""

_CELL, _ROW, _LEFT, _TOP, _RIGHT = 30, 40, 150, 40, 130
_COLUMN_INCHES = 0.42
"""The width of a column in the matplotlib face, in inches."""


def term_color(term: int) -> str:
    """The fill of an entry of ``term``."""
    return TERM_COLORS[(int(term) - 1) % len(TERM_COLORS)] if term else "#eceff1"


@dataclass(frozen=True)
class LogRow:
    """One server's log as its annotations show it. ``first`` is the index of
    ``entries[0]`` (long logs are annotated by their tail only)."""

    pid: Hashable
    status: str
    role: str
    term: int
    first: int
    entries: tuple[tuple[int, str], ...]
    commit_index: int
    snapshot_index: int

    @property
    def last_index(self) -> int:
        return self.first + len(self.entries) - 1

    def term_at(self, index: int) -> int | None:
        """The term of entry ``index`` if the grid shows it."""
        k = index - self.first
        return self.entries[k][0] if 0 <= k < len(self.entries) else None


@dataclass(frozen=True)
class LogGrid:
    """Every server's log at one moment, and what the leader knows of its followers."""

    time: float
    rows: tuple[LogRow, ...]
    leader: Hashable | None
    leader_term: int | None
    next_index: Mapping[str, int]
    match_index: Mapping[str, int]
    note: str | None

    def row(self, pid: Hashable) -> LogRow:
        for r in self.rows:
            if r.pid == pid:
                return r
        raise KeyError(f"no server {pid!r} in the grid; servers are {[r.pid for r in self.rows]}")

    def terms(self, pid: Hashable) -> list[int]:
        """The terms of ``pid``'s entries, in index order (the shape of its log)."""
        return [t for t, _label in self.row(pid).entries]

    @property
    def first(self) -> int:
        return min((r.first for r in self.rows if r.entries), default=1)

    @property
    def last(self) -> int:
        return max((r.last_index for r in self.rows), default=0)


def log_grid(trace: Trace, upto: int | None = None, servers: Iterable[Hashable] | None = None
             ) -> LogGrid:
    """The log grid after the first ``upto`` events of ``trace`` (all by default).

    ``servers`` picks and orders the rows (default: every process that has
    annotated a log, in the order they started).
    """
    return grid_of_view(cluster_view(trace, upto), servers)


def grid_of_view(view: ClusterView, servers: Iterable[Hashable] | None = None) -> LogGrid:
    """The log grid of a :class:`~ddia10.viz.ClusterView` (what :func:`log_grid` folds to)."""
    if not isinstance(view, ClusterView):
        raise TypeError(f"grid_of_view takes a ClusterView, got {type(view).__name__}")
    if servers is None:
        pids = [p for p, pv in view.processes.items() if "log" in pv.annotations]
    else:
        pids = list(servers)
        unknown = [p for p in pids if p not in view.processes]
        if unknown:
            raise ValueError(f"no server(s) {unknown} in the trace; known: {view.pids}")
    rows = []
    for pid in pids:
        a = view.processes[pid].annotations
        entries = tuple((int(e[0]), str(e[1])) for e in a.get("log", ()))
        rows.append(LogRow(pid, view.processes[pid].status, str(a.get("role", "")),
                           int(a.get("term", 0)), int(a.get("log_start", 1)), entries,
                           int(a.get("commit_index", 0)), int(a.get("snapshot_index", 0))))
    leader, term = None, None
    for r in rows:
        if r.status == "up" and r.role == "leader" and (term is None or r.term > term):
            leader, term = r.pid, r.term
    marks: dict[str, dict[str, int]] = {"next_index": {}, "match_index": {}}
    if leader is not None:
        a = view.processes[leader].annotations
        for key, out in marks.items():
            out.update({str(p): int(v) for p, v in (a.get(key) or {}).items()})
    return LogGrid(view.time, tuple(rows), leader, term, marks["next_index"],
                   marks["match_index"], view.note)


# ---------------------------------------------------------------- one layout, two faces
@dataclass(frozen=True)
class _Cell:
    row: int
    index: int
    term: int
    label: str
    committed: bool


@dataclass(frozen=True)
class _Layout:
    """Where the grid goes in the SVG: its columns and cells, in a picture sized to
    hold every word (a long log, a wide index or a long name widens it)."""

    first: int
    columns: list[int]
    cells: list[_Cell]
    left: int
    width: int
    height: int

    def x(self, index: int) -> float:
        return self.left + (index - self.first) * _CELL

    @property
    def right(self) -> float:
        """Where the words right of the grid start."""
        return self.x(self.columns[-1]) + _CELL + 10


def _layout(grid: LogGrid, caption: bool = True) -> _Layout:
    first = grid.first
    last = max(grid.last, first, *(v for v in grid.next_index.values()))
    columns = list(range(first, last + 1))
    cells = [
        _Cell(i, r.first + k, t, label, r.first + k <= r.commit_index)
        for i, r in enumerate(grid.rows) for k, (t, label) in enumerate(r.entries)
    ]
    names = max((text_width(_row_label(r), 12) for r in grid.rows), default=0)
    left = max(_LEFT, math.ceil(names) + 14)
    height = _TOP + _ROW * len(grid.rows) + 24
    layout = _Layout(first, columns, cells, left, left + _CELL * len(columns) + _RIGHT, height)
    ends = [layout.right + text_width(_progress(grid, str(r.pid)), 11)
            for r in grid.rows if _shows_progress(grid, r)]
    if caption:
        ends.append(4 + text_width(_caption(grid), 12))
    return replace(layout, width=max(layout.width, math.ceil(max(ends, default=0)) + 6))


def _cell_text(c: _Cell) -> str:
    return f"C{c.term}" if c.label.startswith("config") else str(c.term)


def _shows_progress(grid: LogGrid, r: LogRow) -> bool:
    """Whether the grid draws the leader's ``next``/``match`` for row ``r``."""
    return grid.leader is not None and r.pid != grid.leader and str(r.pid) in grid.next_index


def _row_label(r: LogRow) -> str:
    state = r.status if r.status != "up" else r.role
    return f"{r.pid} · {state} · t{r.term}"


def _progress(grid: LogGrid, key: str) -> str:
    return f"next {grid.next_index[key]} · match {grid.match_index.get(key, 0)}"


def _caption(grid: LogGrid) -> str:
    who = (f"leader {grid.leader} (term {grid.leader_term})" if grid.leader is not None
           else "no leader")
    return f"t = {grid.time:.1f} ms · {who}"


def log_grid_svg(grid: LogGrid, *, caption: bool = True) -> str:
    """The grid as a self-contained SVG string (no script, nothing fetched)."""
    if not isinstance(grid, LogGrid):
        raise TypeError(f"log_grid_svg draws a LogGrid, got {type(grid).__name__}")
    layout = _layout(grid, caption)
    parts = []
    if caption:
        parts.append(tag("text", esc(_caption(grid)), x=4, y=13, fill=INK, font_size=12))
    for index in layout.columns:
        parts.append(tag("text", str(index), x=layout.x(index) + _CELL / 2, y=_TOP - 8,
                         fill=MUTED, font_size=10, text_anchor="middle"))
    for i, r in enumerate(grid.rows):
        y = _TOP + i * _ROW
        down = r.status != "up"
        parts.append(tag("text", esc(_row_label(r)), x=4, y=y + 17,
                         fill=DROP if down else INK, font_size=12,
                         font_weight="bold" if r.role == "leader" and not down else None))
    for c in layout.cells:
        x, y = layout.x(c.index), _TOP + c.row * _ROW
        title = tag("title", esc(f"index {c.index}, term {c.term}: {c.label}"
                                 f"{'' if c.committed else ' (not committed)'}"))
        parts.append(tag("rect", title, x=x + 1, y=y + 2, width=_CELL - 2, height=22, rx=3,
                         fill=term_color(c.term), fill_opacity=1 if c.committed else 0.4,
                         stroke=INK, stroke_width=0.7,
                         stroke_dasharray=None if c.committed else "3 2"))
        parts.append(tag("text", _cell_text(c), x=x + _CELL / 2, y=y + 17, fill=INK,
                         font_size=11, text_anchor="middle"))
    for i, r in enumerate(grid.rows):
        y = _TOP + i * _ROW
        if r.commit_index >= grid.first:
            cx = layout.x(r.commit_index) + _CELL
            parts.append(tag("line", x1=cx, x2=cx, y1=y - 1, y2=y + 27, stroke=INK,
                             stroke_width=2.5))
        if not _shows_progress(grid, r):
            continue
        key = str(r.pid)
        match = grid.match_index.get(key, 0)
        if match >= grid.first:
            parts.append(tag("rect", x=layout.left + 1, y=y + 28,
                             width=layout.x(match) + _CELL - layout.left - 2, height=4,
                             fill=MATCH_COLOR))
        nx = layout.x(grid.next_index[key]) + _CELL / 2
        parts.append(tag("path", d=f"M{nx:.1f},{y + 29}l-5,8h10z", fill=INK))
        parts.append(tag("text", _progress(grid, key), x=layout.right, y=y + 17,
                         fill=INK, font_size=11))
    width, height = layout.width, layout.height
    return tag("svg", "".join(parts), xmlns="http://www.w3.org/2000/svg", width=width,
               height=height, viewBox=f"0 0 {width} {height}", font_family=FONT, role="img")


def log_grid_figure(grid: LogGrid, *, ax=None, title: str | None = None):
    """The grid drawn with matplotlib (a static image); returns the figure."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    if not isinstance(grid, LogGrid):
        raise TypeError(f"log_grid_figure draws a LogGrid, got {type(grid).__name__}")
    layout = _layout(grid)
    columns, n = layout.columns, len(grid.rows)
    title = _caption(grid) if title is None else title
    if ax is None:
        size = (_figure_width(grid, columns, title), 0.5 + 0.55 * max(n, 1))
        fig, ax = plt.subplots(figsize=size)
    else:
        fig = ax.figure
    for c in layout.cells:
        ax.add_patch(Rectangle((c.index - 0.45, -c.row - 0.35), 0.9, 0.6,
                               facecolor=term_color(c.term), alpha=1 if c.committed else 0.4,
                               edgecolor=INK, linewidth=0.7,
                               linestyle="-" if c.committed else "--"))
        ax.text(c.index, -c.row - 0.05, _cell_text(c), ha="center", va="center", fontsize=8.5)
    for i, r in enumerate(grid.rows):
        if r.commit_index >= grid.first:
            ax.plot([r.commit_index + 0.5] * 2, [-i - 0.45, -i + 0.35], color=INK, lw=2.2)
        if _shows_progress(grid, r):
            key = str(r.pid)
            match = grid.match_index.get(key, 0)
            if match >= grid.first:
                ax.plot([grid.first - 0.45, match + 0.45], [-i - 0.42] * 2, color=MATCH_COLOR,
                        lw=3, solid_capstyle="butt")
            ax.plot(grid.next_index[key], -i - 0.47, marker="^", color=INK, ms=6)
            ax.text(columns[-1] + 0.8, -i - 0.05, _progress(grid, key), va="center",
                    fontsize=8.5, color=INK)
    ax.set_xlim(grid.first - 0.6, max(columns[-1], grid.first) + 0.6)
    ax.set_ylim(-n + 0.3, 0.55)
    ax.set_xticks(columns)
    ax.xaxis.tick_top()
    ax.set_yticks([-i for i in range(n)])
    ax.set_yticklabels([_row_label(r) for r in grid.rows], fontsize=10)
    for label, r in zip(ax.get_yticklabels(), grid.rows, strict=True):
        if r.status != "up":
            label.set_color(DROP)
        elif r.role == "leader":
            label.set_fontweight("bold")
    for side in ("right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)
    ax.set_title(title, fontsize=9.5, loc="left", pad=18)
    fig.tight_layout()
    return fig


def _figure_width(grid: LogGrid, columns: list[int], title: str) -> float:
    """Inches enough for the names, the cells at their usual size, the leader's
    progress right of them and the title, so that no word squeezes the cells."""
    names = max((text_width(_row_label(r), 10) for r in grid.rows), default=0) / 72
    progress = max((text_width(_progress(grid, str(r.pid)), 8.5) / 72 + 0.2 * _COLUMN_INCHES
                    for r in grid.rows if _shows_progress(grid, r)), default=0)
    cells = _COLUMN_INCHES * (len(columns) + 0.2)
    return 0.5 + names + max(cells + progress, text_width(title, 9.5) / 72)


# ---------------------------------------------------------------- the grid as a table
def log_table(view: ClusterView):
    """One row per server with its log as terms (``|`` after the commit index)
    and the leader's ``next``/``match`` for it: a ``table`` for a Raft Scenario."""
    import pandas as pd

    grid = grid_of_view(view)
    rows = []
    for r in grid.rows:
        terms = []
        for k, (term, _label) in enumerate(r.entries):
            terms.append(str(term))
            if r.first + k == r.commit_index and k < len(r.entries) - 1:
                terms.append("|")
        key = str(r.pid)
        rows.append({
            "server": str(r.pid),
            "role": r.status if r.status != "up" else r.role,
            "term": r.term,
            "log (terms)": ("… " if r.first > 1 else "") + " ".join(terms),
            "commit": r.commit_index,
            "next": grid.next_index.get(key, ""),
            "match": grid.match_index.get(key, ""),
        })
    return pd.DataFrame(rows, columns=["server", "role", "term", "log (terms)", "commit", "next",
                                       "match"])


def log_panel(view: ClusterView) -> str:
    """The grid of ``view`` as SVG, for ``Scenario(panels={"Logs": log_panel})``.

    No caption: the player already shows the time, and without it the grid
    only changes when a log, a role or the leader's progress does, so a static
    page stores each grid once.
    """
    return log_grid_svg(grid_of_view(view), caption=False)


# ---------------------------------------------------------------- over time
def next_index_history(trace: Trace, leader: Hashable, follower: Hashable) -> list[int]:
    """Every value ``leader`` annotated as its ``nextIndex`` for ``follower``, in
    order, repeats removed: the back-off as a list of numbers."""
    if not isinstance(trace, Trace):
        raise TypeError(f"next_index_history reads a Trace, got {type(trace).__name__}")
    out: list[int] = []
    for ev in trace.of_kind("state"):
        if ev.pid != leader or not ev.data.get("next_index"):
            continue
        value = {str(p): v for p, v in ev.data["next_index"].items()}.get(str(follower))
        if value is not None and (not out or out[-1] != value):
            out.append(int(value))
    return out


def leaders(trace: Trace) -> list[tuple[float, Hashable, int]]:
    """``(time, server, term)`` each time a server became leader, from the annotations."""
    if not isinstance(trace, Trace):
        raise TypeError(f"leaders reads a Trace, got {type(trace).__name__}")
    folder = ViewFolder()
    out = []
    for ev in trace.events:
        was = folder.annotations.get(ev.pid, {}).get("role")
        folder.feed([ev])
        if ev.kind == "state" and ev.data.get("role") == "leader" and was != "leader":
            out.append((ev.time, ev.pid, int(folder.annotations[ev.pid].get("term", 0))))
    return out


# ---------------------------------------------------------------- the stepper
class LogFrame(NamedTuple):
    """One step of :func:`log_player`: travels as ``[picture, note, last]``."""

    picture: int
    note: str
    last: str


class LogPlayerData(TypedDict):
    """What a log player's script reads.

    ========  ================================================================
    key       value
    ========  ================================================================
    pictures  each distinct grid once, as inline SVG
    frames    ``[picture, note, last]`` per step (:class:`LogFrame`): the
              number of its grid in ``pictures``, the latest scenario note,
              the latest event described in one line
    ========  ================================================================
    """

    pictures: list[str]
    frames: list[LogFrame]


def log_player(source: Scenario | Trace, *, presses: Iterable[tuple[int, str]] = (),
               steps: int = 60, step_kinds: Iterable[str] = STEP_KINDS,
               servers: Iterable[Hashable] | None = None, title: str = "",
               interval_ms: int = 700) -> _HTML:
    """The log grid stepped through a run, as self-contained HTML with a small script.

    ``source`` is a :class:`~ddia10.viz.Scenario` (played for ``steps`` steps with
    ``presses``, the same steps its cluster player shows) or a finished
    :class:`~ddia10.sim.Trace` (a frame after every event of ``step_kinds``).
    Frames that look alike are stored once, so a long run stays light.
    """
    if isinstance(source, Scenario):
        check_int("steps", steps, min=0, max=2000)
        run = source.run(presses, steps=steps)
        trace, marks = run.sim.trace, run.marks
        title = title or source.title
    elif isinstance(source, Trace):
        kinds = frozenset(step_kinds)
        trace = source
        marks = [0] + [ev.index + 1 for ev in trace.events if ev.kind in kinds]
    else:
        raise TypeError(f"log_player plays a Scenario or a Trace, got {type(source).__name__}")
    if servers is not None:
        servers = list(servers)
        grid_of_view(cluster_view(trace), servers)  # every server must appear in the run
    pictures: dict[str, int] = {}
    frames: list[LogFrame] = []
    folder = ViewFolder()
    for mark in marks:
        folder.feed(trace.events[folder.count:mark])
        view = folder.view()
        shown = None if servers is None else [p for p in servers if p in view.processes]
        svg = inline(log_grid_svg(grid_of_view(view, shown)))
        last = describe(view.recent[-1]) if view.recent else ""
        frames.append(LogFrame(pictures.setdefault(svg, len(pictures)), view.note or "", last))
    data: LogPlayerData = {"pictures": list(pictures), "frames": frames}
    blob = data_block(data)
    body = (
        '<div class="ddia10-note"></div>'
        f'<div class="ddia10-frame">{_first_picture(pictures)}</div><div class="ddia10-last"></div>'
    )
    return _HTML(stepper(player_id("log", blob), blob, last=len(frames) - 1,
                         draw="log_player.js", body=body, title=title, css=_CSS,
                         interval_ms=interval_ms))


def _first_picture(pictures: Mapping[str, int]) -> str:
    """The first frame's picture, inline, so the page shows a grid before any script runs."""
    return next(iter(pictures), "")


class _HTML:
    """Rich display of an HTML string (Lab, Colab and the static site alike)."""

    def __init__(self, html: str) -> None:
        self.html = html

    def _repr_html_(self) -> str:
        return self.html


_CSS = """
#ROOT{max-width:860px}
.ddia10-player .ddia10-note{font-size:12.5px;font-weight:600;color:#e65100;min-height:1.3em}
#ROOT .ddia10-frame{overflow-x:auto}
.ddia10-player .ddia10-last{font-family:ui-monospace,monospace;font-size:11px;
 white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
"""
