"""Drill, chapter 2: write a vector clock.

The reader writes a class with this shape (stamps may be lists, in the order
of ``processes``, or dicts ``{process: count}``)::

    class MyVectorClock:
        def __init__(self, me, processes): ...
        def local_event(self): ...              # one event here
        def send(self): ...                     # one event here; returns the stamp to send
        def receive(self, stamp): ...           # one event here, after a message
        def read(self): ...                     # the stamp of the latest event (a copy)
        @staticmethod
        def compare(a, b): ...                  # "before", "after", "concurrent" or "equal"

:func:`check_vector_clock` runs it inside the simulator, one clock per
process, beside the book's own clocks (:mod:`ddia10.clocks`), on scripted
runs from the smallest up and then on random ones, and compares its answers
with the happened-before relation computed from the messages alone. A random
run that breaks it is shrunk, step by step, to the smallest that still does.
It catches the classic bugs: comparing vectors with a total order (their
sums, or Python's list order), forgetting to merge on receive, forgetting to
count the receive itself, sending the clock instead of a copy, and calling
a method that does not exist.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from ..clocks import (
    ClockedProcess,
    Stamped,
    Step,
    VectorClock,
    clock_events,
    happens_before,
    random_schedule,
)
from ..sim import Context, Simulation
from ..validate import check_instance
from .reader import ReaderCode, report_exception
from .report import DrillReport, DrillRun, failed, passed

DRILL = "vector clock"
METHODS = ("local_event", "send", "receive", "read", "compare")


class SolutionVectorClock:
    """A correct answer to the drill: the rules of chapter 2, on a list."""

    def __init__(self, me: Hashable, processes: Sequence[Hashable]) -> None:
        self.me = list(processes).index(me)
        self.clock = [0] * len(processes)

    def local_event(self) -> None:
        self.clock[self.me] += 1

    def send(self) -> list[int]:
        self.clock[self.me] += 1
        return list(self.clock)

    def receive(self, stamp: list[int]) -> None:
        pairs = zip(self.clock, stamp, strict=True)
        self.clock = [max(mine, theirs) for mine, theirs in pairs]
        self.clock[self.me] += 1

    def read(self) -> list[int]:
        return list(self.clock)

    @staticmethod
    def compare(a: list[int], b: list[int]) -> str:
        if a == b:
            return "equal"
        if all(x <= y for x, y in zip(a, b, strict=True)):
            return "before"
        if all(x >= y for x, y in zip(a, b, strict=True)):
            return "after"
        return "concurrent"


@dataclass(frozen=True)
class ReaderStamped(Stamped):
    """A message carrying the book's clocks and the reader's stamp, as sent."""

    yours: Any = None


class ReaderClockProcess(ClockedProcess):
    """A process keeping the book's clocks and the reader's, side by side; every
    event records the reader's stamp (``yours``) next to the true vector."""

    def __init__(self, make: Callable[[Hashable], Any], code: ReaderCode,
                 stamps: dict) -> None:
        super().__init__()
        self.make, self.code, self.stamps = make, code, stamps
        self.mine: Any = None

    def on_start(self, ctx: Context) -> None:
        super().on_start(ctx)
        self.mine = self.code.call(self.make, ctx.pid)

    def local_event(self, ctx: Context, label: str = "") -> str:
        self.lamport, self.vector = self.lamport.tick(), self.vector.tick(ctx.pid)
        self.code.call(self.mine.local_event)
        acted = self.code.returned
        return self._mine(ctx, "local", label, self.code.call(self.mine.read), acted)

    def send(self, ctx: Context, dst: Hashable, label: str = "") -> str:
        self.lamport, self.vector = self.lamport.tick(), self.vector.tick(ctx.pid)
        stamp = self.code.call(self.mine.send)
        eid = self._mine(ctx, "send", label, stamp, self.code.returned, to=dst)
        ctx.send(dst, ReaderStamped(label, eid, self.lamport.time, self.vector, stamp))
        return eid

    def on_message(self, ctx: Context, src: Hashable, msg: Any) -> None:
        self.lamport = self.lamport.receive(msg.lamport)
        self.vector = self.vector.receive(ctx.pid, msg.vector)
        self.stamps[msg.sent_by + ">"] = copy.deepcopy(msg.yours)  # as it arrived
        self.code.call(self.mine.receive, msg.yours)
        acted = self.code.returned
        self._mine(ctx, "receive", msg.label, self.code.call(self.mine.read), acted, src=src,
                   sent_by=msg.sent_by)

    def _mine(self, ctx: Context, action: str, label: str, stamp: Any, acted: Any,
              **extra: Any) -> str:
        """Record the event with the reader's stamp and the line of the reader's
        method that made it (``acted``)."""
        eid = self._record(ctx, action, label, yours=_shown(stamp), **extra)
        self.stamps[eid] = (copy.deepcopy(stamp), acted)
        return eid


def _shown(stamp: Any) -> Any:
    if isinstance(stamp, (list, tuple)):
        return list(stamp)
    if isinstance(stamp, dict):
        return dict(stamp)
    return repr(stamp)


# ---------------------------------------------------------------------- runs
SCRIPTS: tuple[tuple[str, tuple[str, ...], tuple[Step, ...]], ...] = (
    ("one message", ("A", "B"), (Step(1, "A"), Step(2, "A", "B", "m"))),
    ("two strangers", ("A", "B"), (Step(1, "A"), Step(2, "B"))),
    ("a relay", ("A", "B", "C"), (Step(1, "A", "B", "m1"), Step(4, "C"), Step(6, "B", "C", "m2"))),
    ("a message crossing a local event", ("A", "B", "C"),
     (Step(1, "A"), Step(2, "A", "B", "m"), Step(3, "C"), Step(6, "B"), Step(7, "C", "A", "n"))),
)
LATENCY = 2.0
RANDOM_SEEDS = range(8)
RANDOM_PIDS = ("A", "B", "C", "D")
RANDOM_STEPS = 14


def clock_drill_world(reader: type, pids: Sequence[str], steps: Sequence[Step], *,
                      seed: int = 0, latency: Any = LATENCY,
                      code: ReaderCode | None = None, stamps: dict | None = None) -> Simulation:
    """A world of :class:`ReaderClockProcess` running the reader's clock class."""
    code = code or ReaderCode.of_class(reader)
    stamps = {} if stamps is None else stamps
    pids = list(pids)
    sim = Simulation(seed, latency=latency)
    for pid in pids:
        sim.add(pid, lambda: ReaderClockProcess(lambda me: reader(me, list(pids)), code, stamps))
    for step in steps:
        sim.at(step.time, _act(step), label=f"{step.pid}: " + (
            "local event" if step.dst is None else f"send to {step.dst}"))
    return sim


def _act(step: Step) -> Callable[[Simulation], None]:
    def act(sim: Simulation) -> None:
        if step.dst is None:
            sim.call(step.pid, ReaderClockProcess.local_event, step.label)
        else:
            sim.call(step.pid, ReaderClockProcess.send, step.dst, step.label)

    return act


def check_vector_clock(reader: type) -> DrillReport:
    """Grade the reader's vector clock class (see the module docstring)."""
    check_instance("your vector clock (a class)", reader, type)
    missing = [m for m in METHODS if not callable(getattr(reader, m, None))]
    if missing:
        return failed(DRILL, "the drill's interface", f"your class has no {', '.join(missing)}: "
                      f"it needs {', '.join(METHODS)}")
    runs = [(title, pids, steps, 0) for title, pids, steps in SCRIPTS]
    runs += [(f"random run {seed}", RANDOM_PIDS,
              tuple(random_schedule(seed, RANDOM_PIDS, RANDOM_STEPS)), seed)
             for seed in RANDOM_SEEDS]
    for title, pids, steps, seed in runs:
        report = _judge(reader, title, pids, steps, seed)
        if report is None:
            continue
        if title.startswith("random"):
            report = _shrunk(reader, title, pids, list(steps), seed, report)
        return report
    return passed(DRILL, [
        "every event counts itself, and a receive merges the sender's vector first",
        "happened-before ⇔ your compare says 'before' (tested on every pair of events)",
        "concurrent ⇔ your compare says 'concurrent'",
        f"on {len(SCRIPTS)} scripted runs and {len(RANDOM_SEEDS)} random ones of "
        f"{RANDOM_STEPS} steps on four processes",
    ])


def _shrunk(reader: type, title: str, pids: Sequence[str], steps: list[Step], seed: int,
            report: DrillReport) -> DrillReport:
    """Drop steps one at a time while the run still fails: the smallest failing run."""
    changed = True
    while changed:
        changed = False
        for i in range(len(steps)):
            fewer = steps[:i] + steps[i + 1:]
            smaller = _judge(reader, title, pids, tuple(fewer), seed)
            if smaller is not None and smaller.rule == report.rule:
                steps, report, changed = fewer, smaller, True
                break
    return report


def _judge(reader: type, title: str, pids: Sequence[str], steps: tuple[Step, ...],
           seed: int) -> DrillReport | None:
    code = ReaderCode.of_class(reader)
    stamps: dict = {}
    labels = "; ".join(f"{s.pid} " + ("local" if s.dst is None else f"→{s.dst}") for s in steps)
    run = DrillRun(f"{title}: {labels}", lambda: clock_drill_world(reader, pids, steps,
                                                                   seed=seed),
                   steps=4 * len(steps) + 2, story=f"{len(steps)} steps on {', '.join(pids)}")
    try:
        sim = clock_drill_world(reader, pids, steps, seed=seed, code=code, stamps=stamps)
        while sim.step():
            pass
    except Exception as exc:  # the reader's code raised inside the world
        return report_exception(DRILL, code, exc, run=run)
    events = clock_events(sim)
    truth = {e.event: e.vector for e in events}
    for e in events:
        if e.action == "receive":
            sent = stamps[e.sent_by][0]
            arrived = stamps[e.sent_by + ">"]
            if _changed(sent, arrived):
                return failed(
                    DRILL, "a message carries a copy of the clock as it was when sent",
                    f"{e.sent_by} sent the stamp {sent}, and {e.event} received {arrived}: the "
                    f"stamp changed on the way, because your send returned the clock itself "
                    f"and {e.sent_by[0]} changed it afterwards. Return a copy.",
                    line=stamps[e.sent_by][1], run=run)
    try:
        return _judge_pairs(reader, code, events, truth, stamps, pids, run)
    except Exception as exc:
        return report_exception(DRILL, code, exc, run=run)


def _changed(a: Any, b: Any) -> bool:
    try:
        return a != b
    except Exception:
        return True


def _judge_pairs(reader: type, code: ReaderCode, events: list, truth: dict, stamps: dict,
                 pids: Sequence[str], run: DrillRun) -> DrillReport | None:
    hb = happens_before(events)
    for i, a in enumerate(events):
        for b in events[i + 1:]:
            want = "before" if (a.event, b.event) in hb else "concurrent"
            ya, yb = stamps[a.event][0], stamps[b.event][0]
            said = code.call(reader.compare, ya, yb)
            compare_line = code.returned
            back = code.call(reader.compare, yb, ya)
            if said == want and back == _mirror(want):
                continue
            if said == want:
                said, compare_line, (a, b), (ya, yb), want = (back, code.returned, (b, a),
                                                             (yb, ya), _mirror(want))
            return _explain(code, events, truth, stamps, pids, a, b, ya, yb, want, said,
                            compare_line, run)
    return None


def _mirror(relation: str) -> str:
    return {"before": "after", "after": "before"}.get(relation, relation)


def _explain(code, events, truth, stamps, pids, a, b, ya, yb, want, said, compare_line, run):
    """Blame the stamps if they are wrong, else the comparison."""
    for e in events:
        if not _same_vector(stamps[e.event][0], truth[e.event], pids):
            return _wrong_stamp(e, truth, stamps, pids, run)
    rule = ("concurrent events are incomparable: neither vector is ≤ the other"
            if want == "concurrent" else "a → b exactly when V(a) < V(b)")
    relation = "concurrent: no chain of messages links them" if want == "concurrent" \
        else f"ordered: {a.event} happened {want} {b.event}"
    return failed(
        DRILL, rule,
        f"{a.event} {_stamp(ya)} and {b.event} {_stamp(yb)} are {relation}. Your stamps "
        f"are right, but compare({_stamp(ya)}, {_stamp(yb)}) returned {said!r}, not "
        f"{want!r}." + (" Comparing vectors as a whole (their sums, or as lists) puts "
                        "every pair in order; a vector clock is only a partial order."
                        if want == "concurrent" else ""),
        line=compare_line, run=run)


def _wrong_stamp(e, truth, stamps, pids, run) -> DrillReport:
    yours, line = stamps[e.event]
    right = truth[e.event].as_list(pids)
    if e.action == "receive":
        rule = "a receive merges the sender's vector (element-wise maximum), then counts itself"
        sent = stamps[e.sent_by][0]
        what = (f"{e.event} received {e.sent_by}'s message stamped {_stamp(sent)}; after "
                f"your receive the clock reads {_stamp(yours)}, where it should read {right}.")
    else:
        rule = "every event counts itself: its process adds one to its own entry"
        what = (f"{e.event} ({'a send' if e.action == 'send' else 'a local event'}) is "
                f"stamped {_stamp(yours)} by your clock, where it should be {right}.")
    return failed(DRILL, rule, what, line=line, run=run)


def _stamp(stamp: Any) -> str:
    return str(_shown(stamp))


def _same_vector(stamp: Any, vector: VectorClock, pids: Sequence[str]) -> bool:
    if isinstance(stamp, (list, tuple)) and len(stamp) == len(pids):
        return list(stamp) == vector.as_list(pids)
    if isinstance(stamp, dict):
        return {k: v for k, v in stamp.items() if v} == vector.as_dict()
    return True  # a representation we cannot read: judge by its comparisons alone

