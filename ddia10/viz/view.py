"""What the cluster looks like after the first ``k`` events of a trace.

A :class:`ClusterView` is computed from the trace alone: which processes are
up, crashed or paused, the latest annotations each one wrote (``role``,
``term``, ...), the partition and disconnections, and the messages in flight.
Views never look at protocol objects, so a live simulation, a trace loaded
from JSON and a precomputed static page all show the same picture.

:class:`ViewFolder` folds events one at a time; :func:`cluster_view` is the
same fold run over a prefix. A player keeps a folder so that stepping forward
costs only the new events.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..sim.trace import Event, Trace, jsonable
from ..validate import check_int

RECENT = 8
"""How many of the latest events a view keeps for the "recent events" list."""


@dataclass(frozen=True)
class ProcessView:
    """One process as the trace shows it.

    =============  ===========================================================
    field          value
    =============  ===========================================================
    pid            the process id
    status         ``up``, ``crashed`` or ``paused``, from the trace's faults
    annotations    the latest value of each key the process annotated since
                   it last started (``role``, ``term``, ...: the protocol's
                   own view of itself, e.g. what ``RaftNode.view()`` gives)
    disconnected   whether the process is cut off from every other one
    =============  ===========================================================
    """

    pid: Hashable
    status: str
    annotations: Mapping[str, Any]
    disconnected: bool = False

    @property
    def role(self) -> str:
        """What colours the node: crashed/paused win over the protocol's own ``role``."""
        if self.status != "up":
            return self.status
        role = self.annotations.get("role")
        return "up" if role is None else str(role)


@dataclass(frozen=True)
class Message:
    """A message sent (or duplicated) and neither delivered nor dropped yet."""

    id: int
    src: Hashable
    dst: Hashable
    type: str
    sent: float
    msg: Any
    duplicate: bool = False


@dataclass(frozen=True)
class ClusterView:
    """The cluster after the first ``upto`` events of a trace.

    =============  ===========================================================
    field          value
    =============  ===========================================================
    upto           how many events of the trace the view has folded
    time           the simulated time of the last of them, ms
    processes      pid -> :class:`ProcessView`, in the order they started
    groups         the partition's groups, or ``None`` when there is none
    in_flight      the :class:`Message` values sent and not yet delivered or
                   dropped
    recent         the latest :data:`RECENT` events, oldest first
    note           the latest scenario note, or ``None``
    latency        the mean delivery time so far, ms (1 before any delivery)
    =============  ===========================================================
    """

    upto: int
    time: float
    processes: Mapping[Hashable, ProcessView]
    groups: tuple[tuple[Hashable, ...], ...] | None
    in_flight: tuple[Message, ...]
    recent: tuple[Event, ...]
    note: str | None
    latency: float

    @property
    def pids(self) -> list:
        return list(self.processes)

    def role(self, pid: Hashable) -> str:
        return self._process(pid).role

    def reachable(self, src: Hashable, dst: Hashable) -> bool:
        """Whether the network lets ``src`` reach ``dst`` now (same rule as the simulator)."""
        a, b = self._process(src), self._process(dst)
        if src == dst:
            return True
        if a.disconnected or b.disconnected:
            return False
        if self.groups is None:
            return True
        return any(src in g and dst in g for g in self.groups)

    def _process(self, pid: Hashable) -> ProcessView:
        if pid not in self.processes:
            raise KeyError(f"unknown process id {pid!r}; known: {self.pids}")
        return self.processes[pid]


class ViewFolder:
    """Folds trace events into the state a :class:`ClusterView` reports."""

    def __init__(self) -> None:
        self.count = 0
        self.time = 0.0
        self.status: dict = {}
        self.annotations: dict = {}
        self.disconnected: set = set()
        self.groups: tuple | None = None
        self.flight: dict[int, Message] = {}
        self.sent_at: dict[int, float] = {}
        self.recent: deque = deque(maxlen=RECENT)
        self.note: str | None = None
        self._latency_sum = 0.0
        self._latency_n = 0

    def feed(self, events: Iterable[Event]) -> None:
        for ev in events:
            self._fold(ev)

    def _fold(self, ev: Event) -> None:
        self.count += 1
        self.time = ev.time
        self.recent.append(ev)
        kind, pid, data = ev.kind, ev.pid, ev.data
        if kind in ("send", "duplicate"):
            mid = data["id"]
            sent = self.sent_at.get(data.get("of"), ev.time)
            self.sent_at[mid] = sent
            self.flight[mid] = Message(
                mid,
                data["src"],
                data["dst"],
                ev.msg_type or "?",
                sent,
                data.get("msg"),
                kind == "duplicate",
            )
        elif kind in ("deliver", "drop"):
            self.flight.pop(data["id"], None)
            sent = self.sent_at.pop(data["id"], None)
            if kind == "deliver" and sent is not None:
                self._latency_sum += ev.time - sent
                self._latency_n += 1
        elif kind == "start":
            self.status[pid] = "up"
            self.annotations[pid] = {}
        elif kind == "restart":
            self.status[pid] = "up"
            self.annotations[pid] = {}
        elif kind in ("crash", "pause"):
            self.status[pid] = "crashed" if kind == "crash" else "paused"
        elif kind == "resume":
            self.status[pid] = "up"
        elif kind == "state":
            self.annotations.setdefault(pid, {}).update(data)
        elif kind == "partition":
            self.groups = tuple(tuple(g) for g in data["groups"])
        elif kind == "heal":
            self.groups = None
            self.disconnected = set()
        elif kind == "disconnect":
            self.disconnected.add(pid)
        elif kind == "reconnect":
            self.disconnected.discard(pid)
        elif kind == "note":
            self.note = str(data.get("text", ""))

    def view(self) -> ClusterView:
        procs = {
            pid: ProcessView(pid, st, dict(self.annotations.get(pid, {})), pid in self.disconnected)
            for pid, st in self.status.items()
        }
        latency = self._latency_sum / self._latency_n if self._latency_n else 1.0
        return ClusterView(
            upto=self.count,
            time=self.time,
            processes=procs,
            groups=self.groups,
            in_flight=tuple(self.flight.values()),
            recent=tuple(self.recent),
            note=self.note,
            latency=max(latency, 1e-9),
        )


def cluster_view(trace: Trace, upto: int | None = None) -> ClusterView:
    """The cluster after the first ``upto`` events of ``trace`` (all of them by default)."""
    if not isinstance(trace, Trace):
        raise TypeError(f"cluster_view takes a Trace, got {type(trace).__name__}")
    n = len(trace)
    if upto is None:
        upto = n
    check_int("upto", upto, min=0, max=n)
    folder = ViewFolder()
    folder.feed(trace.events[:upto])
    return folder.view()


def message_text(msg: Any, limit: int = 60) -> str:
    """``Type(field=value, ...)`` for a live message or one loaded from JSON."""
    data = jsonable(msg)
    if not isinstance(data, dict):
        return _clip(str(data), limit)
    name = data.get("type", type(msg).__name__)
    fields = ", ".join(f"{k}={_compact(v)}" for k, v in ordered(data) if k != "type")
    return _clip(f"{name}({fields})", limit)


_FIRST = {"role": 0, "term": 1, "epoch": 1, "ballot": 1, "view": 1, "leader": 2}


def ordered(fields: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """Fields in a fixed order (role and term first, then by name), so a trace loaded
    from JSON, whose keys come back sorted, reads exactly like the live one."""
    return sorted(fields.items(), key=lambda kv: (_FIRST.get(kv[0], 9), kv[0]))


def describe(ev: Event) -> str:
    """One line a reader can follow: what happened, where, at what time."""
    d, p = ev.data, ev.pid
    kind = ev.kind
    if kind in ("send", "deliver", "drop", "duplicate"):
        what = message_text(d.get("msg"))
        route = f"{d['src']}→{d['dst']}"
        text = {
            "send": f"{route} sends {what}",
            "deliver": f"{route} delivers {what}",
            "drop": f"{route} drops {what} ({d.get('reason', '?')})",
            "duplicate": f"{route} duplicates {what}",
        }[kind]
    elif kind == "state":
        text = f"{p}: " + " ".join(f"{k}={_compact(v)}" for k, v in ordered(d))
    elif kind == "partition":
        text = "partition " + " | ".join(" ".join(map(str, g)) for g in d.get("groups", []))
    elif kind == "heal":
        text = "network heals"
    elif kind == "timer":
        text = f"{p}: timer {d.get('name')}"
    elif kind == "note":
        text = str(d.get("text", ""))
    elif kind in ("invoke", "return", "link", "clock"):
        fields = " ".join(f"{k}={_compact(v)}" for k, v in ordered(d))
        text = f"{p}: {kind} {fields}".rstrip()
    else:
        text = f"{p} {_VERBS.get(kind, kind)}"
    return _clip(f"t={ev.time:.1f}  {text}", 110)


_VERBS = {
    "start": "starts",
    "crash": "crashes",
    "restart": "restarts",
    "pause": "pauses",
    "resume": "resumes",
    "disconnect": "is disconnected",
    "reconnect": "is reconnected",
}


def _compact(v: Any) -> str:
    return _clip(str(jsonable(v)).replace("'", ""), 24)


def _clip(s: str, limit: int) -> str:
    return s if len(s) <= limit else s[: limit - 1] + "…"
