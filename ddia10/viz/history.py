"""Pictures of histories: one row per client, one bar per operation.

A bar runs from the moment a client called an operation to the moment it got
the answer; a pending operation (no answer ever came) is drawn open to the
right. Writes and reads have different colours. Given a checker result, a
linearizable history gets a dot inside every bar at its linearization point,
numbered in effect order; a violation gets the longest order the checker could
build as grey dots and the operations that could not come next outlined in red.

Every face is computed from the same :func:`history_layout`: a matplotlib
figure for notebooks and an SVG string (self-contained, no script, no CDN).
:func:`show_history` shows the zoomable viewer of :mod:`.history_viewer`, in
Lab and on the static site alike. :func:`guess_game` is the "look, guess,
then check" game on that viewer: an ipywidgets game with a live kernel, and a
precomputed HTML/JS one in the static build.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass

from ..linearizability import CheckResult, History, Operation, check
from ..linearizability.generate import lost_write, random_history, stale_read
from ..runtime import static_build
from ..validate import check_int
from .style import DROP, FONT, INK, MUTED, esc, tag

KIND_COLORS = {
    "write": "#81c784", "put": "#81c784", "append": "#aed581",
    "cas": "#ffb74d",
    "read": "#64b5f6", "get": "#64b5f6",
}
"""Bar fill by operation kind: writes green, compare-and-set amber, reads blue."""
OTHER_COLOR = "#cfd8dc"
POINT_COLOR = INK

_ROW = 40
_BAR = 20
_LEFT = 56
_PAD = 14


@dataclass(frozen=True)
class Bar:
    """One operation as drawn: its row, its interval, and what the checker said."""

    op: Operation
    row: int
    start: float
    end: float  # the right edge of the picture for a pending operation
    label: str
    color: str
    point: float | None = None  # linearization point (or point in the longest prefix)
    order: int | None = None  # position in that order, from 1
    offending: bool = False


@dataclass(frozen=True)
class HistoryLayout:
    """Everything a face needs to draw a history; coordinates are in history time."""

    rows: tuple
    bars: tuple[Bar, ...]
    t_min: float
    t_max: float
    verdict: str | None
    caption: str


def short_label(op: Operation) -> str:
    """The text inside a bar: ``w 1``, ``r→1``, ``cas 1→2 ✓``, ``a: get→'x'``."""
    key = f"{op.key}: " if op.key is not None else ""
    unknown = "?" if op.pending else None
    if op.kind in ("read", "get"):
        return f"{key}{'r' if op.kind == 'read' else 'get'}→{unknown or _show(op.output)}"
    if op.kind == "write":
        return f"{key}w {_show(op.value)}"
    if op.kind == "cas":
        mark = unknown or ("✓" if op.output else "✗")
        return f"{key}cas {_show(op.value[0])}→{_show(op.value[1])} {mark}"
    return f"{key}{op.kind} {_show(op.value)}"


def _show(v) -> str:
    return "∅" if v is None else repr(v) if isinstance(v, str) else str(v)


def history_layout(history: History, result: CheckResult | None = None) -> HistoryLayout:
    """Place every operation on its client's row and attach the checker's evidence."""
    if not isinstance(history, History):
        raise TypeError(f"expected a History, got {type(history).__name__}")
    if result is not None and not isinstance(result, CheckResult):
        raise TypeError(f"result must be a CheckResult, got {type(result).__name__}")
    rows = client_rows(history)
    row_of = {p: i for i, p in enumerate(rows)}
    ops = history.ops
    if ops:
        t_min = min(op.call for op in ops)
        t_max = max(max(op.call, op.ret if op.ret is not None else op.call) for op in ops)
    else:
        t_min, t_max = 0.0, 1.0
    span = max(t_max - t_min, 1e-9)
    t_min, t_max = t_min - 0.04 * span, t_max + 0.12 * span

    points: dict[int, tuple[float, int]] = {}
    offending: set[int] = set()
    if result is not None:
        shown = result.linearization if result.ok else result.longest
        points = {p.op.id: (p.time, k + 1) for k, p in enumerate(shown or [])}
        offending = {op.id for op in result.stuck}

    bars = []
    for op in ops:
        point, order = points.get(op.id, (None, None))
        bars.append(Bar(
            op=op, row=row_of[op.process], start=op.call,
            end=t_max if op.pending else op.ret, label=short_label(op),
            color=KIND_COLORS.get(op.kind, OTHER_COLOR), point=point, order=order,
            offending=op.id in offending,
        ))
    verdict = None if result is None else result.verdict
    return HistoryLayout(rows, tuple(bars), t_min, t_max, verdict, _caption(result))


def _caption(result: CheckResult | None) -> str:
    if result is None:
        return ""
    if result.ok:
        return "linearizable: each dot marks where its operation takes effect, numbered in order"
    if result.ok is None:
        return "unknown: the checker ran out of time"
    return ("not linearizable: grey dots = longest valid order found; "
            "red = could not come next")


# --- matplotlib face ---

def history_figure(
    history: History, result: CheckResult | None = None, *, ax=None, title: str | None = None,
    width: float = 8.0,
):
    """Draw the history with matplotlib; returns the figure."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    layout = history_layout(history, result)
    if ax is None:
        fig, ax = plt.subplots(figsize=(width, 0.55 * max(len(layout.rows), 1) + 1.1))
    else:
        fig = ax.figure
    span = layout.t_max - layout.t_min
    per_char = span / (width * 72 / 5.2)  # history time covered by one character of a label
    numbered = len(layout.bars) <= 40
    for bar in layout.bars:
        y = -bar.row
        patch = FancyBboxPatch(
            (bar.start, y - 0.25), max(bar.end - bar.start, span * 0.004), 0.5,
            boxstyle="round,pad=0,rounding_size=0.06", mutation_aspect=1 / span * 8,
            facecolor=bar.color, alpha=0.45 if bar.op.pending else 0.9,
            edgecolor=DROP if bar.offending else INK,
            linewidth=2.4 if bar.offending else 0.8,
            linestyle="--" if bar.op.pending else "-",
        )
        ax.add_patch(patch)
        if bar.end - bar.start > per_char * (len(bar.label) + 1):
            ax.text(bar.start + per_char * 0.6, y - 0.02, bar.label, va="center", ha="left",
                    fontsize=8.5, color=INK, clip_on=True)
        if bar.point is not None:
            done = layout.verdict == "linearizable"
            ax.plot([bar.point, bar.point], [y - 0.25, y + 0.25], color=INK, lw=1, zorder=3)
            ax.plot(bar.point, y + 0.3, "o", ms=11 if numbered else 6, zorder=3,
                    color=POINT_COLOR if done else MUTED, markeredgecolor="white")
            if numbered:
                ax.text(bar.point, y + 0.3, str(bar.order), color="white", fontsize=6.5,
                        ha="center", va="center", zorder=4)
    ax.set_yticks([-i for i in range(len(layout.rows))])
    ax.set_yticklabels([row_name(p) for p in layout.rows])
    ax.set_xlim(layout.t_min, layout.t_max)
    ax.set_ylim(-len(layout.rows) + 0.5, 0.7)
    ax.set_xlabel("time")
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    heading = title if title is not None else layout.caption
    if heading:
        ax.set_title(heading, fontsize=9.5, loc="left",
                     color=DROP if layout.verdict == "not linearizable" else INK)
    fig.tight_layout()
    return fig


# --- SVG face ---

def history_svg(
    history: History, result: CheckResult | None = None, *, width: int = 640,
    caption: bool = True,
) -> str:
    """The history as a self-contained SVG string (for HTML pages without a kernel)."""
    check_int("width", width, min=200)
    layout = history_layout(history, result)
    names = [row_name(p) for p in layout.rows]
    left = max(_LEFT, 12 + 6.4 * max((len(n) for n in names), default=0))
    top = 22 if caption and layout.caption else 6
    height = top + _ROW * max(len(layout.rows), 1) + 22
    scale = (width - left - _PAD) / (layout.t_max - layout.t_min)

    def x(t: float) -> float:
        return left + (t - layout.t_min) * scale

    parts = []
    if caption and layout.caption:
        color = DROP if layout.verdict == "not linearizable" else INK
        parts.append(tag("text", esc(layout.caption), x=4, y=14, fill=color, font_size=11.5))
    for i, name in enumerate(names):
        cy = top + _ROW * i + _ROW / 2
        parts.append(tag("text", esc(name), x=4, y=cy + 4, fill=INK, font_size=11))
        parts.append(tag("line", x1=left, x2=width - _PAD, y1=cy, y2=cy, stroke="#eceff1"))
    for bar in layout.bars:
        cy = top + _ROW * bar.row + _ROW / 2
        x0, x1 = x(bar.start), x(bar.end)
        title = tag("title", esc(_tooltip(bar.op)))
        parts.append(tag(
            "rect", title, x=x0, y=cy - _BAR / 2, width=max(x1 - x0, 2), height=_BAR,
            rx=0 if bar.op.pending else 4, fill=bar.color,
            fill_opacity=0.45 if bar.op.pending else 0.9,
            stroke=DROP if bar.offending else INK,
            stroke_width=2.5 if bar.offending else 0.8,
            stroke_dasharray="4 3" if bar.op.pending else None,
        ))
        if (x1 - x0) > 7 * len(bar.label) * 0.75:
            parts.append(tag("text", esc(bar.label), x=x0 + 4, y=cy + 4, fill=INK,
                             font_size=10.5))
        if bar.point is not None:
            done = layout.verdict == "linearizable"
            px, py = x(bar.point), cy - _BAR / 2 - 2
            parts.append(tag("line", x1=px, x2=px, y1=cy - _BAR / 2, y2=cy + _BAR / 2,
                             stroke=INK))
            parts.append(tag("circle", cx=px, cy=py, r=7, stroke="white",
                             fill=POINT_COLOR if done else MUTED))
            parts.append(tag("text", str(bar.order), x=px, y=py + 3,
                             fill="white", font_size=8.5, text_anchor="middle"))
    axis_y = top + _ROW * max(len(layout.rows), 1) + 4
    parts.append(tag("line", x1=left, x2=width - _PAD, y1=axis_y, y2=axis_y, stroke=MUTED))
    for t in axis_ticks(layout.t_min, layout.t_max):
        parts.append(tag("text", f"{t:g}", x=x(t), y=axis_y + 13, fill=MUTED, font_size=9.5,
                         text_anchor="middle"))
    parts.append(tag("text", "time →", x=4, y=axis_y + 13, fill=MUTED, font_size=9.5))
    body = "".join(parts)
    return tag("svg", body, xmlns="http://www.w3.org/2000/svg", width=width, height=height,
               viewBox=f"0 0 {width} {height}", font_family=FONT, role="img")


def client_rows(history: History) -> tuple:
    """The clients in drawing order: sorted when they are all of one type, else by first call."""
    rows = history.processes
    if len({type(p) for p in rows}) == 1:
        rows = sorted(rows)
    return tuple(rows)


def row_name(process) -> str:
    """``client 3`` for numbered clients, the name itself for named ones."""
    return f"client {process}" if isinstance(process, int) else str(process)


def _tooltip(op: Operation) -> str:
    end = "never returned" if op.pending else f"returned at {op.ret}"
    return f"{op.describe()} — called at {op.call}, {end}"


class _HTML:
    """Minimal rich-display wrapper so a cell's last expression renders as HTML."""

    def __init__(self, html: str) -> None:
        self.html = html

    def _repr_html_(self) -> str:
        return self.html


def show_history(
    history: History, result: CheckResult | None = None, *, core: History | None = None,
    title: str = "",
) -> _HTML:
    """The history viewer in a notebook cell (Lab and the static site alike): zoom, scroll,
    the checker's points and states, and with ``core`` (from
    :func:`~ddia10.linearizability.violation_core`) the failing piece in red."""
    from .history_viewer import history_viewer

    return _HTML(history_viewer(history, result, core=core, title=title))


# --- the guessing game ---

def puzzle(seed: int) -> History:
    """One history to guess about: half are correct, the rest hide a stale read or lost write."""
    rng = random.Random(seed)
    maker = rng.choice((random_history, random_history, stale_read, lost_write))
    model = rng.choice(("register", "register", "cas-register"))
    return maker(rng.randrange(10**6), model=model, clients=3, ops_per_client=3)


def puzzle_histories(seed: int = 0, count: int = 6) -> list[History]:
    """``count`` puzzles drawn from ``seed``: the same seed always deals the same ones."""
    check_int("count", count, min=1)
    return [puzzle(seed * 1000 + k) for k in range(count)]


def guess_game_html(histories: list[History]) -> str:
    """A self-contained HTML/JS game: look at each history, guess, then reveal the answer.

    Each card is a history viewer (:mod:`.history_viewer`) whose evidence stays
    hidden until the guess; the checker ran here, the script only shows it.
    """
    from .history_viewer import history_viewer

    if not histories:
        raise ValueError("the game needs at least one history")
    cards = []
    digest = hashlib.sha1()
    for n, h in enumerate(histories):
        result = check(h)
        digest.update(repr(h.ops).encode())
        verdict = "yes" if result.ok else "no"
        display = "block" if n == 0 else "none"
        cards.append(
            f'<div class="lz-card" data-answer="{verdict}" style="display:{display}">'
            f'<div style="font-weight:600;margin:4px 0">History {n + 1} of {len(histories)}: '
            f"is it linearizable?</div>{history_viewer(h, result, conceal=True)}</div>"
        )
    uid = "lz" + digest.hexdigest()[:10]
    button = ("border:1px solid #90a4ae;border-radius:4px;background:#f5f7f8;"
              "padding:3px 10px;margin:2px;cursor:pointer;font:inherit")
    return f"""<div id="{uid}" class="lz-game" style="font-family:{FONT};color:{INK}">
{''.join(cards)}
<div style="margin:6px 0">
<button data-guess="yes" style="{button}">Linearizable</button>
<button data-guess="no" style="{button}">Not linearizable</button>
<button data-next="1" style="{button}">Next history →</button>
<span class="lz-feedback" style="margin-left:8px;font-weight:600"></span></div>
<script>
(function() {{
  const root = document.getElementById("{uid}");
  const cards = root.querySelectorAll(".lz-card");
  const feedback = root.querySelector(".lz-feedback");
  let at = 0;
  function show(k) {{
    cards.forEach((c, i) => {{ c.style.display = i === k ? "block" : "none"; }});
    feedback.textContent = "";
  }}
  root.querySelectorAll("button[data-guess]").forEach(b => b.addEventListener("click", () => {{
    const card = cards[at];
    card.querySelector(".ddia10-history").dispatchEvent(new Event("lz-reveal"));
    const right = b.dataset.guess === card.dataset.answer;
    feedback.textContent = right ? "Right!" : "Not quite: see why above.";
    feedback.style.color = right ? "#2e7d32" : "{DROP}";
  }}));
  root.querySelector("button[data-next]").addEventListener("click", () => {{
    at = (at + 1) % cards.length; show(at);
  }});
}})();
</script></div>"""


def guess_widget(seed: int = 0):
    """The same game with a live kernel: every "New history" draws a fresh one."""
    import ipywidgets as widgets

    from .history_viewer import history_viewer

    state = {"seed": seed, "history": None}
    picture = widgets.Output()
    feedback = widgets.HTML()
    yes = widgets.Button(description="Linearizable")
    no = widgets.Button(description="Not linearizable")
    new = widgets.Button(description="New history", icon="refresh")

    def draw(result: CheckResult | None) -> None:
        picture.outputs = ()
        picture.append_display_data(_HTML(history_viewer(state["history"], result)))

    def deal(_=None) -> None:
        try:
            state["history"] = puzzle(state["seed"])
            state["seed"] += 1
            draw(None)
            feedback.value = "<b>Is it linearizable?</b> Guess, then the checker shows why."
        except Exception as err:  # a widget must never raise into the reader's face
            feedback.value = f"<span style='color:{DROP}'>Could not draw: {esc(err)}</span>"

    def guess(answer: bool):
        def on_click(_) -> None:
            try:
                result = check(state["history"])
                draw(result)
                mark = "Right!" if result.ok is answer else "Not quite."
                first = result.explain().splitlines()[0]
                feedback.value = f"<b>{mark}</b> {esc(first)}"
            except Exception as err:
                feedback.value = f"<span style='color:{DROP}'>Checker failed: {esc(err)}</span>"
        return on_click

    yes.on_click(guess(True))
    no.on_click(guess(False))
    new.on_click(deal)
    deal()
    return widgets.VBox([picture, widgets.HBox([yes, no, new]), feedback])


def guess_game(seed: int = 0, count: int = 6):
    """The game in the right face: a widget with a kernel, static HTML/JS in the static site."""
    if static_build():
        return _HTML(guess_game_html(puzzle_histories(seed, count)))
    return guess_widget(seed)


def axis_ticks(t_min: float, t_max: float, n: int = 5) -> list[float]:
    """Round tick positions across ``[t_min, t_max]`` (used by the SVG axis)."""
    if not t_max > t_min:
        return [t_min]
    raw = (t_max - t_min) / n
    step = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * step:
            step *= m
            break
    first = math.ceil(t_min / step) * step
    return [first + k * step for k in range(int((t_max - first) / step) + 1)]
