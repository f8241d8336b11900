"""Colours and tiny SVG helpers shared by every view, live or static.

Roles have fixed colours a reader learns once (leader green, candidate yellow,
follower grey, up blue, crashed faded to near white, paused violet); roles other
protocols invent get a stable colour from their name, so the same role looks
the same in every chapter. Message types get pale colours the same way.

Every two role colours stay apart for readers with protanopia, deuteranopia or
tritanopia as well as for everyone else: a CIEDE2000 difference of at least 10
under each simulated vision (:mod:`.color_vision`; ``tests/test_viz_colors.py``).
"""

from __future__ import annotations

import html
import zlib

ROLE_COLORS: dict[str, str] = {
    "leader": "#17ac60",
    "candidate": "#fffa19",
    "follower": "#bbabb1",
    "up": "#a6befd",
    "crashed": "#f3fbf2",
    "paused": "#9d87ff",
}
"""Fill colour of a node by role; ``crashed`` and ``paused`` come from the trace's faults."""

EXTRA_ROLE_COLORS = ("#ccffa3", "#abc22d", "#f1c2b4", "#f8e0ff", "#bb84b1")
MESSAGE_COLORS = ("#fff3cd", "#d1ecf1", "#e2d9f3", "#d4edda", "#fde2e4", "#e7f5ff", "#f1f3f5")
INK = "#263238"
MUTED = "#90a4ae"
DROP = "#c62828"
CRASH_SPAN = "#ef9a9a"
PAUSE_SPAN = "#b39ddb"
DISCONNECT_SPAN = "#ffcc80"
PARTITION_BAND = "#fff59d"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"


def _stable(name: str, palette: tuple[str, ...]) -> str:
    return palette[zlib.crc32(name.encode()) % len(palette)]


def role_color(role: str) -> str:
    """The fill colour for a node in ``role`` (stable for roles we do not know)."""
    return ROLE_COLORS.get(role) or _stable(role, EXTRA_ROLE_COLORS)


def message_color(msg_type: str) -> str:
    """A pale fill for messages of ``msg_type``, stable across views and runs."""
    return _stable(msg_type, MESSAGE_COLORS)


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def tag(name: str, body: str = "", **attrs: object) -> str:
    """``<name a="v">body</name>``; ``class_`` and ``data_i`` become ``class`` and ``data-i``."""
    parts = []
    for k, v in attrs.items():
        if v is None or v is False:
            continue
        key = k.rstrip("_").replace("_", "-")
        parts.append(f'{key}="{esc(_fmt(v))}"')
    open_ = f"<{name}{' ' if parts else ''}{' '.join(parts)}"
    return f"{open_}>{body}</{name}>" if body else f"{open_}/>"


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.1f}".rstrip("0").rstrip(".")
    return str(v)
