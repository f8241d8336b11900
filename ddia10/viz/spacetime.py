"""Space-time (Lamport) diagrams: one line per process, time left to right.

Each message is an arrow from its send to its delivery, labelled with its
type; a dropped message ends in a red cross with the reason; a duplicate
copy is dashed; a message still in flight is a dotted stub. Crash and pause
spans shade the process's line, a partition shades the whole diagram while it
lasts, timers are ticks, role changes and scenario notes are written in, and
``annotate(event)`` may add a label to any event (Lamport timestamps, vector
clocks, log indexes).

:func:`diagram` turns a trace into a :class:`Diagram` of plain :class:`Shape`
values in (time, row) coordinates (the table of kinds is :class:`Shape`'s);
:func:`place_labels` decides where their words go so that none print over
another; :func:`spacetime` draws them with matplotlib, :func:`spacetime_svg`
writes them as SVG whose every element carries the index of the event that
makes it appear (``data-i``), so a static page can reveal the diagram step by
step.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from ..sim.trace import Event, Trace
from ..validate import check_callable, check_int, check_number
from .style import (
    CRASH_SPAN,
    DISCONNECT_SPAN,
    DROP,
    FONT,
    INK,
    MUTED,
    PARTITION_BAND,
    PAUSE_SPAN,
    esc,
    role_color,
    tag,
)

SPAN_COLORS = {"crash": CRASH_SPAN, "pause": PAUSE_SPAN, "disconnect": DISCONNECT_SPAN}
_SPAN_END = {"restart": "crash", "resume": "pause", "reconnect": "disconnect"}
_OP = "#1565c0"
_NOTE = "#6a1b9a"

Annotate = Callable[[Event], "str | None"]


def _check(trace: Any, pids: Any, since: Any, until: Any, annotate: Any) -> None:
    if not isinstance(trace, Trace):
        raise TypeError(
            f"expected a Trace (sim.trace or Trace.from_json), got {type(trace).__name__}"
        )
    check_number("since", since, unit="ms", none=True)
    check_number("until", until, unit="ms", none=True)
    if since is not None and until is not None and since >= until:
        raise ValueError(f"since ({since}) must come before until ({until})")
    check_callable("annotate", annotate, what="a function Event -> str | None", none=True)
    if pids is not None and (isinstance(pids, (str, bytes)) or not isinstance(pids, Iterable)):
        raise ValueError(f"pids must be a list of process ids, got {pids!r}")


@dataclass(frozen=True)
class Shape:
    """One thing a space-time diagram draws, in (time, row) coordinates.

    Every shape has a ``kind`` and ``event``, the index of the trace event
    that reveals it (a page showing the first ``k`` events hides the shapes
    whose ``event`` is ``k`` or more); ``time`` is in ms and ``row`` counts
    process lines from the top (0 where a shape spans every line).

    =============  ===========================================================
    kind           what it draws, and the other fields it uses
    =============  ===========================================================
    arrow          a message from (``time``, ``row``) to (``end_time``,
                   ``end_row``); ``text`` its type; ``style`` ``ok``, ``dup``
                   (a duplicate copy), ``drop`` (it ends at a cross) or
                   ``flight`` (still under way when the diagram ends);
                   ``duplicate`` whether it is a second copy
    cross          where a dropped message ends; ``text`` the reason
    band           a partition from ``time`` to ``end_time`` across every
                   line; ``text`` its groups, such as ``A | B C``
    span           a crash, a pause or a disconnection of line ``row`` from
                   ``time`` to ``end_time``; ``style`` and ``text`` say which
                   (``crash``, ``pause``, ``disconnect``)
    tick           a timer firing
    role           a role change; ``text`` the new role
    invoke/return  a client call or its return; ``text`` the operation and
                   its value
    note           a scenario note across the diagram; ``text``; ``slot``
                   how far down it is stacked under notes just before it
    label          words ``annotate(event)`` wrote; ``text``
    =============  ===========================================================
    """

    kind: str
    event: int
    time: float
    row: float = 0
    end_time: float | None = None
    end_row: float | None = None
    text: str = ""
    style: str = ""
    duplicate: bool = False
    slot: int = 0

    @property
    def last(self) -> float:
        """The latest time the shape covers."""
        return self.time if self.end_time is None else self.end_time


@dataclass(frozen=True)
class Diagram:
    """A trace as shapes: the process lines (``rows``), the window of time from
    ``start`` to ``end`` (ms) it shows, the typical message ``latency`` in it,
    and its :class:`Shape` list, bands and spans first so they lie underneath."""

    rows: tuple[str, ...]
    start: float
    end: float
    latency: float
    shapes: tuple[Shape, ...]


def diagram(
    trace: Trace,
    *,
    pids: Iterable[Hashable] | None = None,
    since: float | None = None,
    until: float | None = None,
    annotate: Annotate | None = None,
) -> Diagram:
    """The diagram of ``trace`` as a :class:`Diagram` of plain shapes.

    ``since`` and ``until`` cut a window out of the run; what is under way
    when the window opens (a crash, a partition, a message in flight) is
    still drawn.
    """
    _check(trace, pids, since, until, annotate)
    events = [e for e in trace.events if until is None or e.time <= until]
    seen = list(dict.fromkeys(e.pid for e in trace.events if e.kind == "start"))
    rows = list(pids) if pids is not None else seen
    unknown = [p for p in rows if p not in seen]
    if unknown:
        raise ValueError(f"no process {unknown} in this trace; it has {seen}")
    row = {p: r for r, p in enumerate(rows)}
    t1 = until if until is not None else (events[-1].time if events else 0.0)
    t1 = max(t1, (since or 0.0) + 1e-9)
    latency = _typical_latency(events)
    drawing = _Drawing(row, latency)
    for ev in events:
        if drawing.event(ev) and annotate is not None and ev.pid in row:
            text = annotate(ev)
            if text:
                drawing.add("label", ev, row=row[ev.pid], text=str(text))
    drawing.finish(t1)
    t0 = since if since is not None else 0.0
    shapes = _stack_notes(_window(drawing.shapes, since), t0, t1)
    order = {"band": 0, "span": 1}
    shapes.sort(key=lambda s: order.get(s.kind, 2))
    return Diagram(tuple(str(p) for p in rows), t0, t1, latency, tuple(shapes))


class _Sent(NamedTuple):
    """A message on its way, as its arrow will need it."""

    time: float
    event: int
    src: Hashable
    dst: Hashable
    type: str
    duplicate: bool


class _Drawing:
    """The shapes of a run, added one trace event at a time (:func:`diagram` drives it);
    each method is named for what it draws."""

    def __init__(self, row: dict[Hashable, int], latency: float) -> None:
        self.row = row
        self.latency = latency
        self.shapes: list[Shape] = []
        self.sent: dict[int, _Sent] = {}
        self.faults: dict[tuple[str, Hashable], tuple[float, int]] = {}
        self.band: tuple[float, int, str] | None = None

    def add(self, kind: str, ev: Event, **fields: Any) -> None:
        """A shape revealed by ``ev``, at its time unless ``fields`` say otherwise."""
        self.shapes.append(Shape(kind, ev.index, **{"time": ev.time, **fields}))

    def event(self, ev: Event) -> bool:
        """Draw what ``ev`` adds. False when it ends a message the diagram does not
        show, or happens on a line it does not draw: then nothing is written at it."""
        kind = ev.kind
        if kind in ("send", "duplicate"):
            self.message_sent(ev)
        elif kind in ("deliver", "drop"):
            return self.arrow(ev)
        elif ev.pid not in self.row and kind not in ("partition", "heal", "note"):
            return False
        elif kind == "timer":
            self.add("tick", ev, row=self.row[ev.pid])
        elif kind in SPAN_COLORS or kind in _SPAN_END:
            self.fault_span(ev)
        elif kind == "state":
            if "role" in ev.data:
                self.add("role", ev, row=self.row[ev.pid], text=str(ev.data["role"]))
        elif kind in ("invoke", "return"):
            self.add(kind, ev, row=self.row[ev.pid], text=_op_text(ev.data))
        elif kind in ("partition", "heal"):
            self.partition_band(ev)
        elif kind == "note":
            self.add("note", ev, text=str(ev.data.get("text", "")))
        return True

    def message_sent(self, ev: Event) -> None:
        """Remember a message (or a duplicate copy, drawn from its original's send)."""
        d = ev.data
        duplicate = ev.kind == "duplicate"
        first = self.sent.get(d.get("of")) if duplicate else None
        self.sent[d["id"]] = _Sent(ev.time if first is None else first.time, ev.index,
                                   d["src"], d["dst"], ev.msg_type or "?", duplicate)

    def arrow(self, ev: Event) -> bool:
        """A delivered message's arrow, or a dropped one's, ending in a cross."""
        s = self.sent.pop(ev.data["id"], None)
        if s is None or s.src not in self.row or s.dst not in self.row:
            return False
        r0, r1 = self.row[s.src], self.row[s.dst]
        if ev.kind == "deliver":
            t2, r2 = ev.time, r1
        elif ev.time == s.time and ev.pid == s.src:  # refused at the sender's side
            t2, r2 = ev.time + 0.45 * self.latency, r0 + 0.45 * (r1 - r0)
        else:
            t2, r2 = ev.time, r1
        drop = ev.kind == "drop"
        style = "drop" if drop else ("dup" if s.duplicate else "ok")
        self.add("arrow", ev, time=s.time, row=r0, end_time=t2, end_row=r2, text=s.type,
                 style=style, duplicate=s.duplicate)
        if drop:
            self.add("cross", ev, time=t2, row=r2, text=str(ev.data.get("reason", "")))
        return True

    def fault_span(self, ev: Event) -> None:
        """Open a crash, pause or disconnection span, or close the one ``ev`` ends."""
        if ev.kind in SPAN_COLORS:
            self.faults[(ev.kind, ev.pid)] = (ev.time, ev.index)
            return
        what = _SPAN_END[ev.kind]
        start = self.faults.pop((what, ev.pid), None)
        if start is not None:
            self._span(what, ev.pid, start, ev.time)

    def _span(self, what: str, pid: Hashable, start: tuple[float, int], end: float) -> None:
        time, index = start
        self.shapes.append(Shape("span", index, time, self.row[pid], end_time=end, text=what,
                                 style=what))

    def partition_band(self, ev: Event) -> None:
        """A partition's band from when it starts to the next partition or heal; a heal
        also ends every disconnection."""
        self._close_band(ev.time)
        if ev.kind == "partition":
            groups = ev.data.get("groups", [])
            self.band = (ev.time, ev.index, " | ".join(" ".join(map(str, g)) for g in groups))
            return
        for key in [k for k in self.faults if k[0] == "disconnect"]:
            self._span("disconnect", key[1], self.faults.pop(key), ev.time)

    def _close_band(self, t: float) -> None:
        if self.band is not None:
            time, index, text = self.band
            self.shapes.append(Shape("band", index, time, end_time=t, text=text))
            self.band = None

    def finish(self, t1: float) -> None:
        """What is still under way at ``t1``: the partition, the faults, and the
        messages in flight as stubs as long as the time they have been under way."""
        self._close_band(t1)
        for (what, pid), start in self.faults.items():
            self._span(what, pid, start, t1)
        for s in self.sent.values():
            if s.src in self.row and s.dst in self.row:
                r0, r1 = self.row[s.src], self.row[s.dst]
                f = min(0.9, (t1 - s.time) / self.latency)
                self.shapes.append(Shape(
                    "arrow", s.event, s.time, r0, end_time=s.time + f * self.latency,
                    end_row=r0 + f * (r1 - r0), text=s.type, style="flight",
                    duplicate=s.duplicate))


def _window(shapes: list[Shape], since: float | None) -> list[Shape]:
    """The shapes still visible from ``since`` on, bands and spans cut to start there."""
    if since is None:
        return shapes
    return [replace(s, time=max(s.time, since)) if s.kind in ("band", "span") else s
            for s in shapes if s.last >= since]


def _stack_notes(shapes: list[Shape], t0: float, t1: float) -> list[Shape]:
    """Notes close in time stack instead of overprinting each other."""
    out, last, slot = [], -math.inf, 0
    for s in shapes:
        if s.kind == "note":
            slot = slot + 1 if s.time - last < 0.04 * (t1 - t0) else 0
            s, last = replace(s, slot=slot), s.time
        out.append(s)
    return out


def _typical_latency(events: list[Event]) -> float:
    sent: dict[int, float] = {}
    total, n = 0.0, 0
    for e in events:
        if e.kind == "send":
            sent[e.data["id"]] = e.time
        elif e.kind == "deliver" and e.data["id"] in sent:
            total += e.time - sent.pop(e.data["id"])
            n += 1
    return max(total / n, 1e-6) if n else 1.0


def _op_text(d: dict) -> str:
    """A client call as ``write 4`` or ``read``; its return as ``→ 4``, or ``ok`` when
    the reply carries no value (a write's acknowledgement)."""
    if "op" in d:
        value = d.get("value")
        return (d["op"] if value is None else f"{d['op']} {value}")[:24]
    output = d.get("output")
    return "ok" if output is None else f"→ {output}"[:24]


# ---------------------------------------------------------------- where the words go

_ALONG = (0.5, 0.35, 0.65, 0.2, 0.8)
"""Where a message label may sit along its arrow, in order of preference."""
_WORDS = {"label": (-1, None), "role": (-1, 0.6), "span": (-1, 0.3), "cross": (1, None),
          "invoke": (1, 0.0), "return": (1, 0.0)}
"""Words written at an event: the side of its process line they prefer (-1: above), and
how far after the event they start, in font sizes (None: centred on the event)."""
_AWAY = (1, 2, 3, -1, -2, -3)
"""The lines away from its event a word may take: words at one moment pile up on their
own side of the line, the latest furthest out, and spill to the other side."""


def text_width(text: str, size: float) -> float:
    """A generous width of ``text`` in a sans-serif font of ``size`` pixels.

    No font is measured, so a picture (and a test of it) is the same wherever it is drawn.
    """
    return 0.65 * size * len(text)


class Boxes:
    """Boxes already placed, bucketed on a coarse grid so that a check looks only at
    near neighbours: a diagram of thousands of events places its words in a few ms."""

    def __init__(self, cell: tuple[float, float]) -> None:
        self.cell = cell
        self.buckets: dict[tuple[int, int], list[tuple[float, float, float, float]]] = (
            defaultdict(list))

    def _keys(self, box: tuple[float, float, float, float]):
        (cw, ch), (x0, y0, x1, y1) = self.cell, box
        for gx in range(math.floor(x0 / cw), math.floor(x1 / cw) + 1):
            for gy in range(math.floor(y0 / ch), math.floor(y1 / ch) + 1):
                yield gx, gy

    def free(self, box: tuple[float, float, float, float]) -> bool:
        x0, y0, x1, y1 = box
        return not any(
            x0 < b[2] and b[0] < x1 and y0 < b[3] and b[1] < y1
            for key in self._keys(box) for b in self.buckets.get(key, ())
        )

    def add(self, box: tuple[float, float, float, float]) -> None:
        for key in self._keys(box):
            self.buckets[key].append(box)


def place_labels(
    dia: Diagram, *, ms: float, row: float, size: float, messages: bool = True
) -> dict[int, tuple[float, float, str]]:
    """Where the words of ``dia`` go: ``{shape position: (t, r, text)}``, each text's centre.

    ``ms`` and ``row`` are the lengths of one millisecond and one row in the
    picture, ``size`` its font size, all in the same unit. Arrows of one type
    leaving one process at one moment (a broadcast) share one label, such as
    ``AppendEntries ×4``; a duplicate copy has none, its original names it.
    Then, in the order the diagram reveals them, each label takes the first
    spot where it overlaps no label placed before it: along its arrow for a
    message, a line further from its event for the words written at an event
    (a role, an annotation, a drop reason, a fault, a client operation). A
    message label or a drop reason with no free spot is left out (the arrow
    or the red cross still shows it); the others are drawn anyway.
    ``messages=False`` leaves every message label out.
    """
    shapes, t0 = dia.shapes, dia.start
    span, line = ms * (dia.end - t0), 1.25 * size

    def at(t: float, r: float) -> tuple[float, float]:
        return (t - t0) * ms, r * row

    broadcasts: dict[tuple, list[int]] = defaultdict(list)
    for n, s in enumerate(shapes):
        if messages and s.kind == "arrow" and not s.duplicate:
            broadcasts[(s.row, s.time, s.text)].append(n)
    todo: list[tuple[int, str, list[tuple[float, float]], bool]] = []
    for (_r, _t, text), group in broadcasts.items():
        n = min(group, key=lambda n: shapes[n].event)
        s = shapes[n]
        (x1, y1), (x2, y2) = at(s.time, s.row), at(s.end_time, s.end_row)
        lift = line if y1 == y2 else 0.0  # a message to itself runs along its line
        spots = [(x1 + f * (x2 - x1), y1 + f * (y2 - y1) - lift) for f in _ALONG]
        todo.append((n, f"{text} ×{len(group)}" if len(group) > 1 else text, spots, False))
    for n, s in enumerate(shapes):
        text = s.text
        if s.kind in _WORDS and text:
            side, start = _WORDS[s.kind]
            x, y = at(s.time, s.row)
            if start is not None:
                x += start * size + text_width(text, size) / 2
            spots = [(x, y + side * k * line) for k in _AWAY]
            todo.append((n, text, spots, s.kind != "cross"))
    todo.sort(key=lambda job: (shapes[job[0]].event, job[0]))

    def clear(box: tuple[float, float, float, float]) -> bool:
        """Inside the picture, and across no process line: a label on a line hides it."""
        return 0 <= box[0] and box[2] <= span and box[1] // row == box[3] // row

    placed = Boxes((8 * size, line))
    out = {}
    for n, text, spots, required in todo:
        half_w, half_h = text_width(text, size) / 2 + 2, line / 2
        boxes = [(x - half_w, y - half_h, x + half_w, y + half_h) for x, y in spots]
        boxes = [_within(b, span) for b in boxes]
        fits = [b for b in boxes if placed.free(b) and (required or clear(b))]
        if fits or required:
            box = (fits or boxes)[0]
            placed.add(box)
            x, y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
            out[n] = (t0 + x / ms, y / row, text)
    return out


def _within(box: tuple[float, float, float, float], span: float):
    """``box`` moved sideways into the picture's width, if it sticks out of an edge."""
    shift = max(0.0, -box[0]) - max(0.0, box[2] - span) if box[2] - box[0] <= span else 0.0
    return (box[0] + shift, box[1], box[2] + shift, box[3])


# ---------------------------------------------------------------- matplotlib

LABEL_PT = 9
"""The size of the words of a matplotlib diagram, in points: readable when the page
shrinks the figure to its column."""


def spacetime(
    trace: Trace,
    *,
    pids: Iterable[Hashable] | None = None,
    since: float | None = None,
    until: float | None = None,
    ax=None,
    labels: bool = True,
    annotate: Annotate | None = None,
):
    """A space-time diagram of ``trace`` drawn with matplotlib; returns the Figure.

    ``pids`` picks and orders the process lines, ``since`` and ``until`` cut a
    window of simulated time, ``labels=False`` leaves message types off the arrows, and
    ``annotate(event) -> str | None`` writes a label at any event.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch

    dia = diagram(trace, pids=pids, since=since, until=until, annotate=annotate)
    rows, t0, t1 = dia.rows, dia.start, dia.end
    pad = 0.01 * (t1 - t0)
    if ax is None:
        fig, ax = plt.subplots(figsize=(10, 0.13 * LABEL_PT * len(rows) + 1.2))
    else:
        fig = ax.figure
    ax.set_xlim(t0 - 2 * pad, t1 + 2 * pad)
    ax.set_ylim(len(rows) - 0.3, -1)
    box, font = ax.get_window_extent(), LABEL_PT * fig.dpi / 72
    words = place_labels(
        dia,
        ms=box.width / (t1 - t0 + 4 * pad),
        row=box.height / (len(rows) + 0.7),
        size=font,
        messages=labels,
    )

    def write(n: int, color: str = INK, **style) -> None:
        if n in words:
            t, r, text = words[n]
            ax.text(t, r, text, fontsize=LABEL_PT, color=color, ha="center", va="center",
                    **style)

    for r, name in enumerate(rows):
        ax.plot([t0, t1], [r, r], color=INK, lw=1.2, zorder=1)
        ax.text(t0 - pad, r, name, ha="right", va="center", fontweight="bold", fontsize=11)
    for n, s in enumerate(dia.shapes):
        k = s.kind
        if k == "band":
            ax.axvspan(s.time, s.end_time, color=PARTITION_BAND, alpha=0.5, zorder=0)
            ax.text(s.time, -0.75, "partition " + s.text, fontsize=8, color=INK, va="bottom")
        elif k == "span":
            ax.fill_between(
                [s.time, s.end_time],
                s.row - 0.22,
                s.row + 0.22,
                color=SPAN_COLORS[s.style],
                alpha=0.7,
                zorder=0,
                lw=0,
            )
            write(n)
        elif k == "arrow":
            style = s.style
            arrow = FancyArrowPatch(
                (s.time, s.row),
                (s.end_time, s.end_row),
                arrowstyle="-|>",
                mutation_scale=10,
                color=DROP if style == "drop" else (MUTED if style == "flight" else INK),
                lw=1.0,
                linestyle={"dup": "--", "flight": ":"}.get(style, "-"),
                zorder=3,
            )
            ax.add_patch(arrow)
            write(
                n,
                zorder=4,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
            )
        elif k == "cross":
            ax.plot([s.time], [s.row], marker="x", color=DROP, markersize=9, mew=2.2, zorder=5)
            write(n, DROP)
        elif k == "tick":
            ax.plot([s.time, s.time], [s.row - 0.08, s.row + 0.08], color=MUTED, lw=1, zorder=2)
        elif k == "role":
            ax.plot([s.time], [s.row], "o", color=role_color(s.text), mec=INK, ms=7, zorder=4)
            write(n)
        elif k in ("invoke", "return"):
            ax.plot(
                [s.time], [s.row], ">" if k == "invoke" else "<", color=_OP, ms=6, zorder=4
            )
            write(n, _OP)
        elif k == "note":
            ax.axvline(s.time, color=MUTED, lw=0.8, ls=":", zorder=0)
            y_text = len(rows) - 0.4 - 0.2 * s.slot
            ax.text(s.time, y_text, s.text, fontsize=LABEL_PT, color=INK, va="top")
        elif k == "label":
            write(n, _NOTE, zorder=5)
    ax.set_yticks([])
    ax.set_xlabel("simulated time (ms)")
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    return fig


# ---------------------------------------------------------------- SVG

_ROW_GAP, _TOP, _LEFT, _RIGHT, _FONT = 64, 34, 44, 16, 9
_ARROW_COLORS = {"ok": INK, "drop": DROP, "fl": MUTED}

# One style sheet per diagram, scoped by its id: shapes carry a class, not attributes,
# which keeps a long diagram small.
_SVG_CSS = """
#ID text{font-size:SIZEpx;fill:INK}
#ID g text{text-anchor:middle;paint-order:stroke;stroke:#fff;stroke-width:3px}
#ID .band text,#ID .note text{text-anchor:start}
#ID .p{stroke:INK;stroke-width:1.2}
#ID .n text{font-size:14px;font-weight:bold;text-anchor:end}
#ID .ok line,#ID .dup line{stroke:INK;stroke-width:1.1;marker-end:url(#ID-ok)}
#ID .dup line{stroke-dasharray:5 3}
#ID .drop line{stroke:DROP;stroke-width:1.1;marker-end:url(#ID-drop)}
#ID .fl line{stroke:MUTED;stroke-width:1.1;stroke-dasharray:2 3;marker-end:url(#ID-fl)}
#ID .x path{stroke:DROP;stroke-width:2.2}
#ID .x text{fill:DROP}
#ID .tk{stroke:MUTED}
#ID .band rect{fill:BAND;opacity:.55}
#ID .band text{font-size:10px}
#ID .crash rect{fill:CRASH;opacity:.75}
#ID .pause rect{fill:PAUSE;opacity:.75}
#ID .disconnect rect{fill:DISC;opacity:.75}
#ID .role circle{stroke:INK}
#ID .op path{fill:OP}
#ID .op text{fill:OP}
#ID .note line{stroke:MUTED;stroke-dasharray:2 3}
#ID .lbl text{fill:NOTE}
"""


def spacetime_svg(
    trace: Trace,
    *,
    pids: Iterable[Hashable] | None = None,
    since: float | None = None,
    until: float | None = None,
    labels: bool = True,
    annotate: Annotate | None = None,
    width: int | None = None,
    id_prefix: str | None = None,
) -> str:
    """The same diagram as a self-contained SVG string.

    ``width`` defaults to what keeps a typical message arrow readable; the
    diagram then scrolls. ``id_prefix`` is the SVG's id, which scopes its
    style sheet and arrow heads so that several diagrams can share a page.

    Every drawn element carries ``data-i``, the index of the event that makes it
    appear, so a page can show the diagram up to step ``k`` by hiding elements
    with ``data-i >= k``.
    """
    check_int("width", width, min=200, none=True)
    if id_prefix is not None and (
        not isinstance(id_prefix, str) or not re.fullmatch(r"[A-Za-z][\w-]*", id_prefix)
    ):
        raise ValueError(f"id_prefix must be letters, digits, '-' or '_', got {id_prefix!r}")
    dia = diagram(trace, pids=pids, since=since, until=until, annotate=annotate)
    rows, t0, t1 = dia.rows, dia.start, dia.end
    if width is None:  # wide enough that a typical message arrow spans ~90 px
        width = int(min(6000, max(640, _LEFT + _RIGHT + 90 * (t1 - t0) / dia.latency)))
    height = _TOP + _ROW_GAP * max(len(rows) - 1, 0) + 36
    sid = id_prefix or "st-" + hashlib.sha1(repr(dia).encode()).hexdigest()[:10]

    def x(t: float) -> float:
        return _LEFT + (width - _LEFT - _RIGHT) * (t - t0) / (t1 - t0)

    def y(r: float) -> float:
        return _TOP + 10 + _ROW_GAP * r

    css = _SVG_CSS.replace("#ID", "#" + sid)
    for name, value in (
        ("INK", INK),
        ("DROP", DROP),
        ("MUTED", MUTED),
        ("BAND", PARTITION_BAND),
        ("CRASH", CRASH_SPAN),
        ("PAUSE", PAUSE_SPAN),
        ("DISC", DISCONNECT_SPAN),
        ("OP", _OP),
        ("NOTE", _NOTE),
        ("SIZE", str(_FONT)),
    ):
        css = css.replace(name, value)
    markers = "".join(
        tag(
            "marker",
            tag("path", d="M0,0L8,4L0,8Z", fill=color),
            id=f"{sid}-{style}",
            viewBox="0 0 8 8",
            refX=8,
            refY=4,
            markerWidth=7,
            markerHeight=7,
            orient="auto",
        )
        for style, color in _ARROW_COLORS.items()
    )
    plot = tag("rect", x=_LEFT - 1, y=0, width=width - _LEFT - _RIGHT + 2, height=height)
    clip = tag("clipPath", plot, id=f"{sid}-plot")
    out = [f"<style>{css}</style><defs>{markers}{clip}</defs>"]
    names = [tag("rect", x=0, y=0, width=_LEFT - 2, height=height, fill="#fff", opacity=0.85)]
    for r, name in enumerate(rows):
        out.append(tag("line", class_="p", x1=_LEFT, y1=y(r), x2=width - _RIGHT, y2=y(r)))
        names.append(tag("text", esc(name), x=_LEFT - 8, y=y(r) + 5))
    ms = (width - _LEFT - _RIGHT) / (t1 - t0)
    words = place_labels(dia, ms=ms, row=_ROW_GAP, size=_FONT, messages=labels)
    shapes = "".join(
        _svg_shape(s, x, y, len(rows), words.get(n)) for n, s in enumerate(dia.shapes)
    )
    out.append(tag("g", shapes, clip_path=f"url(#{sid}-plot)"))
    # process names last, in a group a scrolling page can keep pinned to the left edge
    out.append(tag("g", "".join(names), class_="n ddia10-st-names"))
    out.append(
        tag(
            "text",
            f"{t0:.1f}–{t1:.1f} ms" if t0 else f"{t1:.1f} ms",
            x=width - _RIGHT,
            y=height - 6,
            text_anchor="end",
            fill=MUTED,
        )
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{sid}" class="ddia10-spacetime" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'data-t0="{t0:g}" data-t1="{t1:g}" data-left="{_LEFT}" data-right="{_RIGHT}" '
        f'font-family="{esc(FONT)}">{"".join(out)}</svg>'
    )


def _svg_shape(s: Shape, x, y, nrows: int, word: tuple[float, float, str] | None) -> str:
    """One shape of :func:`diagram` as SVG, in a group tagged with its event index;
    ``word`` is where :func:`place_labels` put its text, if anywhere."""
    k, i = s.kind, s.event
    t, r = s.time, s.row
    text = "" if word is None else tag(
        "text", esc(word[2]), x=x(word[0]), y=y(word[1]) + 0.35 * _FONT
    )
    if k == "band":
        body = tag("rect", x=x(t), y=0, width=max(x(s.end_time) - x(t), 1),
                   height=y(nrows - 1) + 22)
        body += tag("text", esc("partition " + s.text), x=x(t) + 3, y=12)
        return tag("g", body, class_="band", data_i=i)
    if k == "span":
        body = tag("rect", x=x(t), y=y(r) - 11, width=max(x(s.end_time) - x(t), 1), height=22, rx=3)
        body += text
        return tag("g", body, class_=s.style, data_i=i)
    if k == "arrow":
        x1, y1, x2, y2 = x(t), y(r), x(s.end_time), y(s.end_row)
        body = tag("line", x1=x1, y1=y1, x2=x2, y2=y2) + text
        style = "fl" if s.style == "flight" else s.style
        return tag("g", body, class_=style, data_i=i)
    if k == "cross":
        cx, cy = x(t), y(r)
        body = tag("path", d=f"M{cx - 5:.1f},{cy - 5:.1f}l10,10m0,-10l-10,10") + text
        return tag("g", body, class_="x", data_i=i)
    if k == "tick":
        return tag("line", class_="tk", x1=x(t), y1=y(r) - 4, x2=x(t), y2=y(r) + 4, data_i=i)
    if k == "role":
        body = tag("circle", cx=x(t), cy=y(r), r=4.5, fill=role_color(s.text)) + text
        return tag("g", body, class_="role", data_i=i)
    if k in ("invoke", "return"):
        tx, ty = x(t), y(r)
        turn = "l6,5l-6,5Z" if k == "invoke" else "l-6,5l6,5Z"
        body = tag("path", d=f"M{tx:.1f},{ty - 5:.1f}{turn}") + text
        return tag("g", body, class_="op", data_i=i)
    if k == "note":
        body = tag("line", x1=x(t), y1=18, x2=x(t), y2=y(nrows - 1) + 16)
        body += tag("text", esc(s.text), x=x(t) + 3, y=26 + 11 * s.slot)
        return tag("g", body, class_="note", data_i=i)
    # a label from annotate()
    return tag("g", text, class_="lbl", data_i=i)
