"""The stepper every static view shares: one button bar and the script behind it.

A page of the static site has no kernel, so each precomputed view (the
cluster player of :mod:`.static`, the log grid of :mod:`.raft_log`, the role
diagram of :mod:`.state_diagram`) carries its frames as data and a small
script draws the one the reader asks for. How a frame is drawn differs from
view to view; how the reader moves between frames does not, so that part is
written once, here: :func:`stepper` wraps a view's markup, data and drawing
function into a whole player.

The scripts are files of their own in ``ddia10/viz/assets/`` (shipped with
the package): ``controls.js``, the control script with holes for the
player's id, unit, interval and drawing function, and one drawing function
per view. :func:`script` is the one place that reads them.

Markup contract (the site's browser test relies on it): the root has class
``ddia10-player`` and a unique id; buttons carry ``data-action`` = ``prev``,
``next``, ``play`` or ``reset``; a range input (``data-action="seek"``) steps
too; the view puts its picture in ``.ddia10-frame``; ``.ddia10-counter`` says
which step is shown. Nothing is fetched.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
from importlib import resources

from ..validate import check_int
from .style import esc

_counter = itertools.count(1)

_CSS = """
.ddia10-player{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#263238;
 border:1px solid #cfd8dc;border-radius:8px;padding:10px 12px;margin:1em 0;max-width:820px;
 background:#fff}
.ddia10-player .ddia10-title{font-weight:600;font-size:15px}
.ddia10-player .ddia10-controls{display:flex;align-items:center;gap:6px;flex-wrap:wrap;
 margin:4px 0 6px}
.ddia10-player button{font:inherit;font-size:13px;padding:3px 10px;border:1px solid #b0bec5;
 border-radius:5px;background:#f5f7f8;cursor:pointer;color:#263238}
.ddia10-player button:hover{background:#e3eaee}
.ddia10-player input[type=range]{flex:1;min-width:120px}
.ddia10-player .ddia10-counter{font-size:12px;color:#455a64;min-width:150px;
 font-variant-numeric:tabular-nums}
"""
"""The look of every player (the same for all, so not scoped to one player's id)."""

_ASSETS = resources.files(__package__) / "assets"
"""The scripts' folder, shipped with the package (see pyproject.toml's package data)."""


def script(name: str) -> str:
    """The JavaScript in ``assets/<name>``, without the ``//`` lines that head the file:
    they say what the script is for, and a page would carry them once per player."""
    if not isinstance(name, str) or not name.endswith(".js") or not (_ASSETS / name).is_file():
        known = sorted(f.name for f in _ASSETS.iterdir() if f.name.endswith(".js"))
        raise ValueError(f"no script {name!r} in ddia10/viz/assets; there are {known}")
    return _read(name)


@functools.cache
def _read(name: str) -> str:
    lines = (_ASSETS / name).read_text(encoding="utf-8").splitlines(keepends=True)
    while lines and lines[0].startswith("//"):
        lines.pop(0)
    return "".join(lines)


def data_block(data: object) -> str:
    """``data`` as JSON to embed in a page, escaped so that no string in it can end
    or hide the ``<script>`` that carries it."""
    return (
        json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        .replace("</", "<\\/")
        .replace("<!--", "<\\u0021--")
    )


def player_id(kind: str, blob: str) -> str:
    """A fresh id for a player of ``kind`` (``player``, ``log``, ``roles``): the digest
    of its data keeps it apart from players a previous kernel drew, the counter
    from the same data drawn twice."""
    return f"ddia10-{kind}-{hashlib.sha1(blob.encode()).hexdigest()[:8]}-{next(_counter)}"


def inline(svg: str) -> str:
    """Inline SVG in HTML needs no namespace; leaving it out keeps the page free of URLs."""
    return svg.replace(' xmlns="http://www.w3.org/2000/svg"', "", 1)


def stepper(pid: str, blob: str, *, last: int, draw: str, body: str, title: str = "",
            head: str = "", css: str = "", unit: str = "step", interval_ms: int = 700) -> str:
    """Player ``pid``, self-contained: ``title``, ``head``, the button bar, ``body``,
    the data ``blob`` (from :func:`data_block`) and the control script.

    ``last`` is the number of the last frame. ``draw`` names the view's script in
    ``assets/``: a function expression ``function (root, D) {...}`` which, given
    the player's root element and its data, prepares the view once and returns
    ``function (k) {...}``, which draws frame ``k`` and may return text for the
    end of the counter.
    ``css`` is the view's own stylesheet, ``#ROOT`` standing for the player's id.
    """
    check_int("interval_ms", interval_ms, min=50)
    code = _unindent(
        script("controls.js").replace("__ID__", pid)
        .replace("__UNIT__", json.dumps(unit + " "))
        .replace("__INTERVAL__", str(interval_ms))
        .replace("__DRAW__", script(draw).strip())
    )
    return (
        f'<div class="ddia10-player" id="{pid}">'
        f"<style>{_unindent(_CSS + css).replace('#ROOT', '#' + pid)}</style>"
        + (f'<div class="ddia10-title">{esc(title)}</div>' if title else "")
        + f'{head}<div class="ddia10-controls">{_controls(last, unit)}</div>{body}'
        f'<script type="application/json" class="ddia10-data">{blob}</script>'
        f"<script>{code}</script></div>"
    )


def _controls(last: int, unit: str) -> str:
    unit = esc(unit)
    return (
        '<button type="button" data-action="reset" title="Back to the start">↺ Reset</button>'
        f'<button type="button" data-action="prev" title="One {unit} back">◀ Back</button>'
        '<button type="button" data-action="play" title="Play / pause">▶ Play</button>'
        f'<button type="button" data-action="next" title="One {unit} forward">Step ▶</button>'
        f'<input type="range" min="0" max="{last}" value="0" data-action="seek" '
        'aria-label="step">'
        f'<span class="ddia10-counter">{unit} 0 / {last}</span>'
    )


def _unindent(code: str) -> str:
    """Code without its indentation, which a page would carry once per player."""
    return "".join(line.strip() + "\n" for line in code.splitlines() if line.strip())
