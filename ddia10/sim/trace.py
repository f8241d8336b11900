"""The trace: every typed event a simulation produced, in order.

Every picture in the book (space-time diagram, cluster graph, tables, history
bars) is a function of a trace, so the Lab widget, the static player and the
tests all see one thing. An event is ``(index, time, kind, pid, data)``:

==============  ========================================================
kind            data
==============  ========================================================
start           process started (first time)
send            ``id, src, dst, msg``
deliver         ``id, src, dst, msg``
drop            ``id, src, dst, msg, reason`` (loss/partition/crashed/paused-crash/explorer)
duplicate       ``id, src, dst, msg, of`` (a second copy of message ``of``)
timer           ``name``
crash/restart   (pid is the process)
pause/resume    (pid is the process)
partition       ``groups``; ``heal``; ``disconnect``/``reconnect`` (pid)
link / clock    the new link or clock settings
state           protocol annotations, e.g. ``role``, ``term``
invoke/return   client operations (``op``, ``value``, ``output``, ...)
note            free text from a scenario
==============  ========================================================

Messages stay live objects in memory; ``to_json`` turns them into
``{"type": ClassName, ...fields}`` dicts, and a trace loaded with
``from_json`` holds those dicts, so ``from_json(t.to_json()).to_json()``
equals ``t.to_json()``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Hashable, Iterator
from typing import Any

KINDS = frozenset(
    "start send deliver drop duplicate timer crash restart pause resume partition heal "
    "disconnect reconnect link clock state invoke return note".split()
)
MESSAGE_KINDS = frozenset({"send", "deliver", "drop", "duplicate"})
_COMPACT = frozenset({"send", "deliver", "timer"})


class Event:
    """One thing that happened at simulated time ``time`` (true time, ms)."""

    __slots__ = ("index", "time", "kind", "pid", "data")

    def __init__(self, index: int, time: float, kind: str, pid: Hashable, data: dict) -> None:
        self.index = index
        self.time = time
        self.kind = kind
        self.pid = pid
        self.data = data

    def __repr__(self) -> str:
        extra = "".join(f", {k}={abbreviate(v)}" for k, v in self.data.items())
        return f"Event(#{self.index} t={self.time:g} {self.kind} @{self.pid!r}{extra})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Event) and self.to_dict() == other.to_dict()

    def to_dict(self) -> dict:
        return {
            "index": self.index,
            "time": self.time,
            "kind": self.kind,
            "pid": self.pid,
            "data": jsonable(self.data),
        }

    @property
    def msg_type(self) -> str | None:
        """The class name of the message this event carries, if any."""
        msg = self.data.get("msg")
        if msg is None:
            return None
        if isinstance(msg, dict) and "type" in msg:
            return msg["type"]
        return type(msg).__name__


class Trace:
    """An append-only list of :class:`Event` with views for people and tools.

    Events are stored as plain tuples while a simulation runs (recording is on
    the hot path of every message) and turned into :class:`Event` objects the
    first time someone looks at them.
    """

    def __init__(self, events: list[Event] | None = None) -> None:
        self._rows: list[tuple] = []
        self._events: list[Event] = list(events) if events else []
        for e in self._events:
            self._rows.append((e.time, e.kind, e.pid, e.data))

    @property
    def events(self) -> list[Event]:
        rows, evs = self._rows, self._events
        for i in range(len(evs), len(rows)):
            t, kind, pid, data = rows[i]
            # sends, deliveries and timers are recorded compactly (see Simulation)
            if kind in _COMPACT and type(data) is not dict:
                if kind == "timer":
                    data = {"name": data}
                else:
                    mid, src, dst, msg = data
                    data = {"id": mid, "src": src, "dst": dst, "msg": msg}
            evs.append(Event(i, t, kind, pid, data))
        return evs

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)

    def __getitem__(self, i):
        return self.events[i]

    def append(self, time: float, kind: str, pid: Hashable, data: dict) -> Event:
        self._rows.append((time, kind, pid, data))
        return self.events[-1]

    def truncate(self, n: int) -> None:
        del self._rows[n:]
        del self._events[n:]

    def of_kind(self, *kinds: str) -> list[Event]:
        unknown = set(kinds) - KINDS
        if unknown:
            raise ValueError(f"unknown event kind(s) {sorted(unknown)}; known: {sorted(KINDS)}")
        return [e for e in self.events if e.kind in kinds]

    def to_json(self) -> str:
        return json.dumps([e.to_dict() for e in self.events], separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Trace:
        raw = json.loads(text)
        if not isinstance(raw, list):
            raise ValueError("a trace in JSON is a list of events")
        events = []
        for i, r in enumerate(raw):
            try:
                events.append(Event(r["index"], r["time"], r["kind"], r["pid"], r["data"]))
            except (KeyError, TypeError) as exc:
                raise ValueError(f"trace event {i} is malformed: {exc}") from None
        return cls(events)


def jsonable(obj: Any) -> Any:
    """A JSON-ready copy of ``obj``: dataclasses become ``{"type": name, ...}``."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = {"type": type(obj).__name__}
        for f in dataclasses.fields(obj):
            out[f.name] = jsonable(getattr(obj, f.name))
        return out
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return sorted((jsonable(v) for v in obj), key=repr)
    return repr(obj)


def abbreviate(v: Any, limit: int = 120) -> str:
    """``v`` as text (its repr unless a str), cut to ``limit`` characters with an ellipsis."""
    s = repr(v) if not isinstance(v, str) else v
    return s if len(s) <= limit else s[: limit - 1] + "…"
