"""The history viewer: a history and the checker's evidence, zoomable, with no kernel.

One lane per client, one bar per operation from its call to its return
(pending ones run open to the right edge, failed ones are grey and struck
through). The checker's order is drawn as numbered points inside the bars,
each with the model's state after it (on hover, and written out when zoomed
in far enough); a violation's longest order is grey, the operations that
could not come next are outlined in dashed red and the violating core in
solid red, and "Jump to first error" zooms onto the core. After a timeout the
longest order found so far is shown the same way.

It is one self-contained block of HTML: the data as JSON and the script of
``assets/history_viewer.js``, which draws only what is in view, so thousands
of operations zoom and scroll smoothly. It works in JupyterLab, on the static
site and as a standalone report file (:func:`history_report`); nothing is
fetched. Histories of at most :data:`FALLBACK_OPS` operations also carry a
static picture for readers without JavaScript.
"""

from __future__ import annotations

from ..linearizability import CheckResult, History, Operation
from .history import client_rows, history_svg, row_name, short_label
from .stepper import data_block, inline, player_id, script
from .style import DROP, FONT, INK, esc

FALLBACK_OPS = 200
"""Up to this many operations, the viewer also embeds a static SVG picture."""

_KIND = {"write": 0, "put": 0, "append": 1, "cas": 2, "read": 3, "get": 3}
_STATE_WIDTH = 40

_CSS = """
#ROOT{font-family:__FONT__;color:__INK__;border:1px solid #cfd8dc;border-radius:8px;
 padding:8px 10px;margin:1em 0;background:#fff;outline:none}
#ROOT .lz-verdict{font-weight:600;font-size:14px;margin:2px 0 4px}
#ROOT .lz-controls{display:flex;align-items:center;gap:5px;flex-wrap:wrap;margin:2px 0 6px}
#ROOT button{font:inherit;font-size:12.5px;padding:2px 9px;border:1px solid #b0bec5;
 border-radius:5px;background:#f5f7f8;cursor:pointer;color:__INK__}
#ROOT button:hover{background:#e3eaee}
#ROOT input.lz-scroll{flex:1;min-width:100px}
#ROOT .lz-status{font-size:11.5px;color:#546e7a;font-variant-numeric:tabular-nums}
#ROOT .lz-frame{max-height:560px;overflow:auto;border-top:1px solid #eceff1}
#ROOT .lz-plot{min-height:40px;cursor:grab;user-select:none}
#ROOT .lz-info{font-size:12px;white-space:pre-wrap;color:#37474f;min-height:2.6em;
 margin-top:4px}
#ROOT pre{font-size:11.5px;white-space:pre-wrap;margin:4px 0}
#ROOT rect.lz-selected{stroke:#1565c0;stroke-width:2.5}
#ROOT.lz-flash rect.lz-core{animation:lzflash 0.6s 3}
@keyframes lzflash{50%{stroke-width:6;fill-opacity:0.3}}
"""


def viewer_data(
    history: History, result: CheckResult | None = None, *, core: History | None = None,
    conceal: bool = False,
) -> dict:
    """What the script draws: lanes, operations, the checker's points and the core.

    ``ops`` are ``[lane, call, return or None, kind, label, tooltip, flags]`` with
    flags 1 pending, 2 failed, 4 in the core, 8 could not come next; ``points``
    are ``[op index, time, state after]`` in order (``complete`` when they are a
    whole linearization); ``error`` is the time span to jump to, or None.
    """
    if not isinstance(history, History):
        raise TypeError(f"expected a History, got {type(history).__name__}")
    if result is not None and not isinstance(result, CheckResult):
        raise TypeError(f"result must be a CheckResult, got {type(result).__name__}")
    if core is not None and not isinstance(core, History):
        raise TypeError(f"core must be a History (from violation_core), got "
                        f"{type(core).__name__}")
    lanes = client_rows(history)
    lane_of = {p: i for i, p in enumerate(lanes)}
    t0, t1 = _time_span(history)
    index = {op.id: i for i, op in enumerate(history.ops)}
    core_ids = {op.id for op in core.ops} if core is not None else set()
    unknown = core_ids - set(index)
    if unknown:
        raise ValueError(f"the core has operations {sorted(unknown)[:5]} that the history lacks")
    stuck = {op.id for op in result.stuck} if result is not None else set()
    ops = []
    for op in history.ops:
        flags = (op.pending * 1) | (op.failed * 2) | ((op.id in core_ids) * 4) | \
            ((op.id in stuck) * 8)
        ops.append([lane_of[op.process], op.call, op.ret, _KIND.get(op.kind, 4),
                    short_label(op), _tooltip(op), flags])
    points, complete = [], False
    if result is not None:
        complete = result.ok is True
        shown = result.linearization if complete else result.longest
        points = [[index[p.op.id], p.time, _state(p.state)] for p in shown or []
                  if p.op.id in index]
    return {
        "lanes": [row_name(p) for p in lanes], "t0": t0, "t1": t1, "ops": ops,
        "points": points, "complete": complete, "conceal": bool(conceal),
        "error": _error_span(history, result, core_ids, t1),
    }


def _time_span(history: History) -> tuple[float, float]:
    if not history.ops:
        return 0.0, 1.0
    t0 = min(op.call for op in history.ops)
    last = max(op.ret if op.ret is not None else op.call for op in history.ops)
    span = max(last - t0, 1e-9)
    pending = any(op.pending for op in history.ops)
    return t0 - 0.02 * span, last + (0.08 if pending else 0.02) * span


def _error_span(history: History, result: CheckResult | None, core_ids: set,
                t1: float) -> list[float] | None:
    """Where the violation is: the core's operations, else those that could not come next."""
    if result is None or result.ok is not False:
        return None
    chosen = [op for op in history.ops if op.id in core_ids] or list(result.stuck)
    if not chosen:
        return None
    return [min(op.call for op in chosen), max(min(op.end, t1) for op in chosen)]


def _state(state) -> str:
    text = repr(state)
    return text if len(text) <= _STATE_WIDTH else text[:_STATE_WIDTH - 1] + "…"


def _tooltip(op: Operation) -> str:
    if op.failed:
        end = f"failed at {op.ret:g}: it did not happen"
    else:
        end = "never returned" if op.pending else f"returned at {op.ret:g}"
    return f"{op.describe(24)}: called at {op.call:g}, {end}"


def _caption(result: CheckResult | None, core: History | None) -> str:
    if result is None:
        return ""
    if result.ok:
        return (f"linearizable (decided by {result.method}): each point is where its "
                "operation takes effect, in order")
    if result.ok is None:
        return ("unknown: the checker stopped at its limit; grey points are the longest "
                "order found so far")
    where = f" on key {result.key!r}" if result.key is not None else ""
    piece = f"; red: the core of {len(core)} operations that fail on their own" \
        if core is not None else ""
    return (f"not linearizable{where} (decided by {result.method}): grey points are the "
            f"longest order found, dashed red what could not come next{piece}")


def history_viewer(
    history: History, result: CheckResult | None = None, *, core: History | None = None,
    title: str = "", conceal: bool = False,
) -> str:
    """The viewer as one self-contained HTML block (see the module doc).

    ``conceal`` hides the checker's evidence until the block receives an
    ``lz-reveal`` event (the guessing game sends it after a guess).
    """
    data = viewer_data(history, result, core=core, conceal=conceal)
    blob = data_block(data)
    vid = player_id("history", blob)
    hidden = " hidden" if conceal else ""
    fallback = ""
    if len(history) <= FALLBACK_OPS:
        fallback = inline(history_svg(history, None if conceal else result, caption=False))
    else:
        fallback = "<p>This view of a large history needs JavaScript.</p>"
    caption = _caption(result, core)
    color = DROP if result is not None and result.ok is False else INK
    head = (f'<div class="lz-verdict lz-evidence" style="color:{color}"{hidden}>'
            f"{esc(caption)}</div>" if caption else "")
    error_button = ('<button type="button" data-lz="error" class="lz-evidence" '
                    f'title="Zoom onto the violation (key e)"{hidden}>Jump to first error'
                    "</button>" if data["error"] else "")
    why = ""
    if result is not None:
        why = (f'<details class="lz-evidence"{hidden}><summary>What the checker found</summary>'
               f"<pre>{esc(result.explain())}</pre></details>")
    css = _CSS.replace("#ROOT", f"#{vid}").replace("__FONT__", FONT).replace("__INK__", INK)
    return (
        f'<div class="ddia10-history" id="{vid}" tabindex="0"><style>{css}</style>'
        + (f'<div style="font-weight:600">{esc(title)}</div>' if title else "")
        + head
        + '<div class="lz-controls">'
        '<button type="button" data-lz="out" title="Zoom out (key -)">−</button>'
        '<button type="button" data-lz="in" title="Zoom in (key +)">+</button>'
        '<button type="button" data-lz="fit" title="The whole history">Fit</button>'
        '<button type="button" data-lz="left" title="Earlier (←)">◀</button>'
        '<button type="button" data-lz="right" title="Later (→)">▶</button>'
        + error_button
        + '<input type="range" class="lz-scroll" min="0" max="1000" value="0" '
        'aria-label="scroll in time"><span class="lz-status"></span></div>'
        f'<div class="lz-frame"><div class="lz-plot">{fallback}</div></div>'
        '<div class="lz-info">Point at an operation for its details; Ctrl+wheel zooms, '
        "drag or Shift+wheel scrolls.</div>"
        + why
        + f'<script type="application/json" class="lz-data">{blob}</script>'
        f"<script>{script('history_viewer.js')}\nddia10HistoryViewer(document.getElementById({vid!r}));"
        "</script></div>"
    )


def history_report(
    history: History, result: CheckResult, *, core: History | None = None,
    name: str = "history",
) -> str:
    """A whole HTML page (one file, nothing fetched): the verdict, the viewer, the core."""
    if not isinstance(result, CheckResult):
        raise TypeError(f"a report needs a CheckResult, got {type(result).__name__}")
    core_list = ""
    if core is not None:
        items = "".join(f"<li>{esc(op.describe(40))} <small>[{op.call:g}, "
                        f"{'…' if op.pending else f'{op.ret:g}'}]</small></li>"
                        for op in core.ops)
        core_list = (f"<h2>The core: {len(core)} operations that fail on their own</h2>"
                     f"<ol>{items}</ol>")
    heading = f"{esc(name)}: {esc(result.verdict)}"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{heading}</title></head>"
        f'<body style="font-family:{FONT};color:{INK};margin:16px 24px">'
        f"<h1 style=\"font-size:20px\">{heading}</h1>"
        f"<p>{len(history)} operations, {len(history.processes)} clients, model "
        f"{esc(history.model)}; checked in {result.elapsed_s:.2f} s by {esc(result.method)}.</p>"
        + history_viewer(history, result, core=core)
        + core_list
        + "</body></html>\n"
    )
