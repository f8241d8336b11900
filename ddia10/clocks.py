"""Logical clocks: ordering events by cause and effect instead of by wall time.

Physical clocks drift and jump, so "which happened first?" cannot be answered
by comparing timestamps read on different machines. Lamport (1978) defined the
order that matters instead. Event *a* **happened before** event *b*
(``a -> b``) when

1. *a* and *b* happen in the same process and *a* comes first, or
2. *a* sends a message and *b* receives that message, or
3. there is an event *c* with ``a -> c`` and ``c -> b`` (transitivity).

Two events where neither happened before the other are **concurrent**. That is
about the flow of information, not about time: two events hours apart are
concurrent if no chain of messages links them.

A **Lamport clock** is one counter per process. The process adds one before
each of its events (a local step, a send, a receive); a message carries the
sender's counter; a receiver sets its counter to ``max(local, received) + 1``.
That guarantees the *clock condition*: ``a -> b`` implies ``L(a) < L(b)``.
The converse is false: ``L(a) < L(b)`` also happens when *a* and *b* are
concurrent, so a Lamport timestamp alone can never show that two events are
concurrent. Breaking ties by process id turns the pairs ``(L, pid)`` into a
total order that every process computes alike and that respects causality;
the counter alone is not unique.

A **vector clock** (Fidge 1988; Mattern 1988) keeps one counter per process.
A process increments its own entry before each event; a message carries the
whole vector; a receiver takes the element-wise maximum with the received
vector and then increments its own entry. Now the test is exact both ways:
``a -> b`` if and only if ``V(a) < V(b)`` (every entry ``<=`` and the vectors
differ), and *a* and *b* are concurrent if and only if neither vector is
``<=`` the other. The price is one entry per process in every message.

:class:`ClockedProcess` runs both clocks on :mod:`ddia10.sim` and records every
event in the trace; :func:`run_schedule` scripts a run (fixed latencies,
scheduled local events and sends) and :func:`clock_events` reads the events
back, with the true happens-before relation computed from the messages alone
(:func:`happens_before`) so the clocks can be checked against it. Chapter 2
("Ordering") teaches this module; its worked traces, clock tables, drawings and
players are in :mod:`ddia10.scenarios.ordering`.
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .sim import Context, Process, Simulation, Trace
from .validate import check_instance, check_int, check_number, check_pid, check_probability

Pid = Hashable
Relation = Literal["before", "after", "equal", "concurrent"]


def pid_key(pid: Pid) -> tuple:
    """A sort key for process ids, ints before strs, so mixed ids still sort."""
    return (isinstance(pid, str), pid)


# ---------------------------------------------------------------------- Lamport


@dataclass(frozen=True, order=True)
class LamportClock:
    """One process's Lamport counter, as an immutable value.

    ``tick()`` is the rule for a local event or a send; ``receive(stamp)`` the
    rule for a receive: ``max(local, stamp) + 1``.
    """

    time: int = 0

    def __post_init__(self) -> None:
        check_int("a Lamport time", self.time, min=0)

    def tick(self) -> LamportClock:
        """The clock after one more local event or send."""
        return LamportClock(self.time + 1)

    def receive(self, stamp: int | LamportClock) -> LamportClock:
        """The clock after receiving a message stamped ``stamp``."""
        if isinstance(stamp, LamportClock):
            stamp = stamp.time
        check_int("a received Lamport timestamp", stamp, min=0)
        return LamportClock(max(self.time, stamp) + 1)

    def __int__(self) -> int:
        return self.time


# ---------------------------------------------------------------------- vectors


@dataclass(frozen=True)
class VectorClock:
    """An immutable vector clock: a count per process id, absent entries are 0.

    Build one from a mapping (``VectorClock({"A": 2, "B": 1})``) or from a list
    in a fixed process order (``VectorClock.of(["A", "B", "C"], [2, 1, 0])``).
    ``<`` is happened-before and ``<=`` is "before or equal"; both are partial
    orders, so two clocks can be neither ``<=`` nor ``>=`` each other: then the
    events are concurrent. Do not ``sort`` vector clocks.
    """

    counts: tuple[tuple[Pid, int], ...] = ()

    def __post_init__(self) -> None:
        raw = self.counts
        if isinstance(raw, Mapping):
            items = list(raw.items())
        else:
            try:
                items = [tuple(kv) for kv in raw]
            except TypeError:
                raise ValueError(
                    f"a VectorClock is built from a mapping pid -> count, got {raw!r}"
                ) from None
            if any(len(kv) != 2 for kv in items):
                raise ValueError(f"a VectorClock needs (pid, count) pairs, got {raw!r}")
        seen: set = set()
        for pid, n in items:
            check_pid("a process id", pid)
            check_int(f"the count of {pid!r}", n, min=0)
            if pid in seen:
                raise ValueError(f"process {pid!r} appears twice in a VectorClock")
            seen.add(pid)
        canonical = tuple(sorted(((p, n) for p, n in items if n), key=lambda kv: pid_key(kv[0])))
        object.__setattr__(self, "counts", canonical)

    @classmethod
    def of(cls, pids: Sequence[Pid], values: Sequence[int]) -> VectorClock:
        """The clock whose entry for ``pids[i]`` is ``values[i]``."""
        pids, values = list(pids), list(values)
        if len(pids) != len(values):
            raise ValueError(f"{len(pids)} process ids but {len(values)} counts")
        if len(set(pids)) != len(pids):
            raise ValueError(f"process ids repeat: {pids}")
        return cls(dict(zip(pids, values, strict=True)))

    def __getitem__(self, pid: Pid) -> int:
        return dict(self.counts).get(pid, 0)

    def as_dict(self) -> dict:
        return dict(self.counts)

    def as_list(self, pids: Sequence[Pid]) -> list[int]:
        """The counts in the order of ``pids`` (the usual ``[2, 1, 0]`` notation)."""
        pids = list(pids)
        missing = sorted((p for p, _ in self.counts if p not in pids), key=pid_key)
        if missing:
            raise ValueError(f"clock has entries for {missing}, not among {pids}")
        mine = dict(self.counts)
        return [mine.get(p, 0) for p in pids]

    def format(self, pids: Sequence[Pid]) -> str:
        return "[" + ",".join(str(n) for n in self.as_list(pids)) + "]"

    def tick(self, pid: Pid) -> VectorClock:
        """The clock after one more event at ``pid``."""
        check_pid("a process id", pid)
        mine = dict(self.counts)
        mine[pid] = mine.get(pid, 0) + 1
        return VectorClock(mine)

    def merge(self, other: VectorClock) -> VectorClock:
        """The element-wise maximum: everything either clock has seen."""
        check_instance("other", other, VectorClock)
        mine = dict(self.counts)
        for pid, n in other.counts:
            mine[pid] = max(mine.get(pid, 0), n)
        return VectorClock(mine)

    def receive(self, pid: Pid, stamp: VectorClock) -> VectorClock:
        """The clock of ``pid`` after receiving a message stamped ``stamp``:
        merge first, then count the receive as ``pid``'s own event."""
        return self.merge(stamp).tick(pid)

    def __le__(self, other: object) -> bool:
        if not isinstance(other, VectorClock):
            return NotImplemented
        theirs = dict(other.counts)
        return all(n <= theirs.get(pid, 0) for pid, n in self.counts)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, VectorClock):
            return NotImplemented
        return self <= other and self != other

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, VectorClock):
            return NotImplemented
        return other <= self

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, VectorClock):
            return NotImplemented
        return other < self

    def __repr__(self) -> str:
        inner = ", ".join(f"{p!r}: {n}" for p, n in self.counts)
        return f"VectorClock({{{inner}}})"


def happened_before(a: VectorClock, b: VectorClock) -> bool:
    """True when the event stamped ``a`` happened before the one stamped ``b``."""
    check_instance("a", a, VectorClock)
    check_instance("b", b, VectorClock)
    return a < b


def concurrent(a: VectorClock, b: VectorClock) -> bool:
    """True when neither event happened before the other (and they differ)."""
    check_instance("a", a, VectorClock)
    check_instance("b", b, VectorClock)
    return not (a <= b) and not (b <= a)


def compare(a: VectorClock, b: VectorClock) -> Relation:
    """``"before"``, ``"after"``, ``"equal"`` or ``"concurrent"``: how ``a`` relates to ``b``."""
    check_instance("a", a, VectorClock)
    check_instance("b", b, VectorClock)
    if a == b:
        return "equal"
    if a <= b:
        return "before"
    if b <= a:
        return "after"
    return "concurrent"


# ---------------------------------------------------------------------- processes


@dataclass(frozen=True)
class Stamped:
    """A message carrying its sender's clocks and the id of its send event."""

    label: str
    sent_by: str
    lamport: int
    vector: VectorClock


def event_id(pid: Pid, n: int) -> str:
    """The name of the ``n``-th event of ``pid``: ``"A2"`` (``"0.2"`` for int ids)."""
    return f"{pid}{n}" if isinstance(pid, str) else f"{pid}.{n}"


class ClockedProcess(Process):
    """A process that keeps a Lamport clock and a vector clock.

    Each event (a local step, a send, a receive) advances both clocks and is
    recorded in the trace as a ``state`` event with fields ``event`` (its id),
    ``action``, ``label``, ``lamport``, ``vector`` (a dict pid -> count) and,
    for a receive, ``src`` and ``sent_by`` (the id of the matching send); a
    send also records ``to``. The clocks are persisted, so a
    process that crashes and restarts keeps counting up: a clock that went
    back to zero would break the clock condition.
    """

    def __init__(self) -> None:
        self.lamport = LamportClock()
        self.vector = VectorClock()
        self.events = 0

    def on_start(self, ctx: Context) -> None:
        saved = ctx.stable
        self.lamport = saved.get("lamport", self.lamport)
        self.vector = saved.get("vector", self.vector)
        self.events = saved.get("events", self.events)

    def local_event(self, ctx: Context, label: str = "") -> str:
        """Do one local step; returns its event id."""
        self.lamport = self.lamport.tick()
        self.vector = self.vector.tick(ctx.pid)
        return self._record(ctx, "local", label)

    def send(self, ctx: Context, dst: Pid, label: str = "") -> str:
        """Send one stamped message to ``dst``; returns the send's event id."""
        if dst == ctx.pid:
            raise ValueError(f"process {ctx.pid!r} cannot send a message to itself")
        if dst not in ctx.peers:
            raise ValueError(f"process {ctx.pid!r} has no peer {dst!r}; peers are {ctx.peers}")
        self.lamport = self.lamport.tick()
        self.vector = self.vector.tick(ctx.pid)
        eid = self._record(ctx, "send", label, to=dst)
        ctx.send(dst, Stamped(label, eid, self.lamport.time, self.vector))
        return eid

    def on_message(self, ctx: Context, src: Pid, msg: Any) -> None:
        if not isinstance(msg, Stamped):
            return
        self.lamport = self.lamport.receive(msg.lamport)
        self.vector = self.vector.receive(ctx.pid, msg.vector)
        self._record(ctx, "receive", msg.label, src=src, sent_by=msg.sent_by)

    def _record(self, ctx: Context, action: str, label: str, **extra: Any) -> str:
        self.events += 1
        eid = event_id(ctx.pid, self.events)
        ctx.persist("lamport", self.lamport)
        ctx.persist("vector", self.vector)
        ctx.persist("events", self.events)
        ctx.annotate(
            event=eid, action=action, label=str(label),
            lamport=self.lamport.time, vector=self.vector.as_dict(), **extra,
        )
        return eid


# ---------------------------------------------------------------------- scripted runs


@dataclass(frozen=True)
class Step:
    """One scheduled action: at ``time`` ms, ``pid`` does a local event
    (``dst is None``) or sends a message to ``dst``."""

    time: float
    pid: Pid
    dst: Pid | None = None
    label: str = ""

    def __post_init__(self) -> None:
        t = self.time
        check_number("a step's time", t, min=0, unit="ms")
        check_pid("a step's process id", self.pid)
        if self.dst is not None:
            check_pid("a step's destination", self.dst)
            if self.dst == self.pid:
                raise ValueError(f"step at {t} ms: {self.pid!r} cannot send to itself")


def clock_world(
    pids: Sequence[Pid],
    steps: Iterable[Step],
    *,
    latency: Any = 1.0,
    links: Mapping[tuple[Pid, Pid], Any] | None = None,
    seed: int = 0,
    **network: Any,
) -> Simulation:
    """A world of :class:`ClockedProcess` on ``pids`` with ``steps`` scheduled,
    at time 0 (a player steps through it; :func:`run_schedule` runs it out).

    ``latency`` is the default one-way delay (a number, ``(lo, hi)`` or a
    :class:`~ddia10.sim.Latency`), ``links`` overrides it per directed link,
    and ``network`` passes ``loss``/``duplicate``/``reorder`` to the simulation.
    """
    pids = list(pids)
    if not pids:
        raise ValueError("a clock run needs at least one process")
    if len(set(pids)) != len(pids):
        raise ValueError(f"process ids repeat: {pids}")
    steps = list(steps)
    for s in steps:
        if not isinstance(s, Step):
            raise ValueError(f"a clock run takes Step objects, got {s!r}")
        for p in (s.pid, s.dst):
            if p is not None and p not in pids:
                raise ValueError(f"step {s} names {p!r}, which is not among {pids}")
    sim = Simulation(seed, latency=latency, **network)
    for pid in pids:
        sim.add(pid, ClockedProcess)
    for (src, dst), lat in (links or {}).items():
        sim.set_link(src, dst, both_ways=False, latency=lat)
    for s in steps:
        sim.at(s.time, _perform(s), label=_describe(s))
    return sim


def run_schedule(pids: Sequence[Pid], steps: Iterable[Step], **options: Any) -> Simulation:
    """:func:`clock_world` run until every step is done and every message has
    arrived; returns the finished simulation."""
    sim = clock_world(pids, steps, **options)
    while sim.step():
        pass
    return sim


def _perform(step: Step):
    def act(sim: Simulation) -> None:
        if not sim.is_up(step.pid) or sim.is_paused(step.pid):
            sim.note(f"{step.pid} is down; skipped: {_describe(step)}")
            return
        if step.dst is None:
            sim.call(step.pid, ClockedProcess.local_event, step.label)
        else:
            sim.call(step.pid, ClockedProcess.send, step.dst, step.label)

    return act


def _describe(step: Step) -> str:
    what = "local event" if step.dst is None else f"send to {step.dst}"
    return f"{step.pid}: {what}" + (f" ({step.label})" if step.label else "")


def random_schedule(seed: int, pids: Sequence[Pid], n_steps: int, *, p_send: float = 0.6,
                    gap: float = 1.0) -> list[Step]:
    """``n_steps`` steps one ``gap`` ms apart, each a local event or a send
    between random processes, drawn from ``seed``."""
    pids = list(pids)
    if len(pids) < 2:
        raise ValueError("a random schedule needs at least two processes")
    check_int("n_steps", n_steps, min=0)
    check_probability("p_send", p_send)
    rng = random.Random(f"ddia10:clocks:{seed}")
    steps = []
    for i in range(n_steps):
        pid = rng.choice(pids)
        if rng.random() < p_send:
            dst = rng.choice([p for p in pids if p != pid])
            steps.append(Step((i + 1) * gap, pid, dst, f"m{i + 1}"))
        else:
            steps.append(Step((i + 1) * gap, pid, None, f"e{i + 1}"))
    return steps


# ---------------------------------------------------------------------- reading a trace


@dataclass(frozen=True)
class ClockEvent:
    """One clocked event read back from a trace."""

    index: int
    time: float
    pid: Pid
    event: str
    action: str
    label: str
    lamport: int
    vector: VectorClock
    peer: Pid | None = None
    sent_by: str | None = None


def as_vector(v: Any, pids: Mapping[str, Pid] | None = None) -> VectorClock:
    """A vector clock from a trace field; ``pids`` maps JSON's string keys back
    to the process ids they stood for."""
    if isinstance(v, VectorClock):
        return v
    if isinstance(v, dict):
        pids = pids or {}
        return VectorClock({pids.get(k, k): n for k, n in v.items()})
    raise ValueError(f"not a vector clock in the trace: {v!r}")


def clock_events(trace: Trace | Simulation) -> list[ClockEvent]:
    """Every clocked event of a run, in the order it happened (live or JSON trace)."""
    if isinstance(trace, Simulation):
        trace = trace.trace
    if not isinstance(trace, Trace):
        raise ValueError(f"clock_events takes a Trace or a Simulation, got {trace!r}")
    pids = {str(e.pid): e.pid for e in trace if e.kind == "start"}
    out = []
    for e in trace:
        d = e.data
        if e.kind != "state" or "lamport" not in d or "event" not in d:
            continue
        out.append(
            ClockEvent(
                e.index, e.time, e.pid, d["event"], d["action"], d.get("label", ""),
                d["lamport"], as_vector(d["vector"], pids), d.get("to", d.get("src")),
                d.get("sent_by"),
            )
        )
    return out


def happens_before(events: Sequence[ClockEvent]) -> set[tuple[str, str]]:
    """The happens-before relation as pairs of event ids, computed from process
    order and messages only (no clock is read): the ground truth for the clocks."""
    ids = [e.event for e in events]
    if len(set(ids)) != len(ids):
        raise ValueError("event ids repeat: pass the events of a single run")
    preds: dict[str, set[str]] = {}
    last: dict[Pid, str] = {}
    for e in events:  # in trace order, so every cause is seen before its effect
        direct = set()
        if e.pid in last:
            direct.add(last[e.pid])
        if e.sent_by is not None:
            if e.sent_by not in preds:
                raise ValueError(f"{e.event} receives a message from unknown send {e.sent_by}")
            direct.add(e.sent_by)
        ancestors = set(direct)
        for d in direct:
            ancestors |= preds[d]
        preds[e.event] = ancestors
        last[e.pid] = e.event
    return {(a, b) for b, before in preds.items() for a in before}


def concurrent_pairs(events: Sequence[ClockEvent]) -> list[tuple[str, str]]:
    """Every pair of distinct events (in trace order) that no chain of
    messages links: the pairs a causal order leaves unordered."""
    hb = happens_before(events)
    ids = [e.event for e in events]
    return [
        (a, b) for i, a in enumerate(ids) for b in ids[i + 1:]
        if (a, b) not in hb and (b, a) not in hb
    ]


def count_causal_orders(events: Sequence[ClockEvent]) -> int:
    """How many total orders of ``events`` respect happens-before (its linear
    extensions). Every one of them is a legitimate "order of events"; total
    order broadcast exists to make all processes agree on a single one."""
    if len(events) > 22:
        raise ValueError(f"counting orders of {len(events)} events takes too long; use <= 22")
    ids = [e.event for e in events]
    bit = {eid: 1 << i for i, eid in enumerate(ids)}
    needs = [0] * len(ids)  # bitmask of events that must come before event i
    for a, b in happens_before(events):
        needs[ids.index(b)] |= bit[a]
    ways = [0] * (1 << len(ids))
    ways[0] = 1
    for placed in range(1 << len(ids)):
        if ways[placed]:
            for i in range(len(ids)):
                if not placed >> i & 1 and needs[i] & placed == needs[i]:
                    ways[placed | 1 << i] += ways[placed]
    return ways[-1]


def lamport_order(events: Sequence[ClockEvent]) -> list[ClockEvent]:
    """The events in Lamport's total order: by counter, ties broken by process id."""
    return sorted(events, key=lambda e: (e.lamport, pid_key(e.pid)))


def final_clocks(sim: Simulation) -> dict[Pid, tuple[int, VectorClock]]:
    """Each running process's ``(Lamport time, vector clock)`` at the end of a run."""
    out = {}
    for pid in sim.pids:
        if sim.is_up(pid):
            proc = sim.process(pid)
            if not isinstance(proc, ClockedProcess):
                raise ValueError(f"process {pid!r} keeps no clocks")
            out[pid] = (proc.lamport.time, proc.vector)
    return out
