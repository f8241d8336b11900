"""Drill, chapter 6: a Paxos acceptor, inside the book's Paxos.

The reader writes the acceptor of single-decree Paxos: what it keeps, what it
answers to phase 1 and phase 2, and what it reloads after a crash. Its
messages are those of :mod:`ddia10.paxos.messages`::

    class MyAcceptor(AcceptorBase):
        def on_start(self, ctx): ...              # reload what ctx.stable holds
        def on_prepare(self, ctx, src, msg): ...  # msg: Prepare(ballot)
            # answer Promise(ballot, accepted_ballot, accepted_value)
            # or Rejected(ballot, promised)
        def on_accept(self, ctx, src, msg): ...   # msg: Accept(ballot, value)
            # tell every learner (self.learners) Accepted(ballot, value),
            # or answer Rejected(ballot, promised)

:func:`check_acceptor` runs three of them (``A1..A3``) with the book's own
proposers and learners (:class:`~ddia10.paxos.PaxosNode`, ``P1`` proposing
``v1`` and ``P2`` proposing ``v2``) on four scripted runs, with the book's
:class:`~ddia10.paxos.PaxosMonitor` hearing every vote. It judges every
answer: a promise reports the last value accepted; an acceptor never promises
or accepts below a ballot it promised; and a promise survives a crash. Each
classic bug (a promise that forgets the accepted value, an accept below the
promise, a promise below an earlier one, a promise kept only in memory) ends
in its run with the monitor finding two values chosen, which the check shows.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from ..invariants import InvariantViolation
from ..paxos import (
    Accept,
    Accepted,
    Cast,
    PaxosMonitor,
    PaxosNode,
    PaxosOptions,
    Prepare,
    Promise,
    Rejected,
    Voted,
)
from ..sim import Context, Process, Simulation
from ..validate import check_instance
from .reader import ReaderCode, report_exception, report_wall_clock
from .report import CodeLine, DrillReport, DrillRun, failed, passed

DRILL = "a Paxos acceptor"
ACCEPTORS = ("A1", "A2", "A3")
PROPOSERS = ("P1", "P2")
CAST = Cast(proposers=PROPOSERS, acceptors=ACCEPTORS, learners=PROPOSERS)
OPTIONS = PaxosOptions(max_rounds=1)  # one round each: the script decides who runs when
REPORT_ACCEPTED = "a promise reports the value accepted in the highest ballot so far"
NO_ACCEPT_BELOW = "an acceptor never accepts a ballot below one it has promised"
NO_PROMISE_BELOW = "an acceptor never promises a ballot below one it has promised"
DURABLE = "a promise and an acceptance are persisted before they are sent"


class AcceptorBase(Process):
    """What every acceptor shares: messages go to :meth:`on_prepare` and
    :meth:`on_accept`; ``learners`` is whom to tell of an acceptance."""

    learners: tuple = CAST.learners

    def on_message(self, ctx: Context, src: Hashable, msg: Any) -> None:
        if isinstance(msg, Prepare):
            self.on_prepare(ctx, src, msg)
        elif isinstance(msg, Accept):
            self.on_accept(ctx, src, msg)

    def on_prepare(self, ctx: Context, src: Hashable, msg: Prepare) -> None:
        raise NotImplementedError("write on_prepare")

    def on_accept(self, ctx: Context, src: Hashable, msg: Accept) -> None:
        raise NotImplementedError("write on_accept")


class SolutionAcceptor(AcceptorBase):
    """A correct answer: promise and accept only at or above the promise,
    and persist before replying."""

    def __init__(self) -> None:
        self.promised = 0
        self.accepted: tuple[int, Any] = (0, None)

    def on_start(self, ctx: Context) -> None:
        self.promised = ctx.stable.get("promised", 0)
        self.accepted = ctx.stable.get("accepted", (0, None))

    def on_prepare(
        self, ctx: Context, src: Hashable, msg: Prepare
    ) -> None:
        if msg.ballot < self.promised:
            ctx.send(src, Rejected(msg.ballot, self.promised))
            return
        self.promised = msg.ballot
        ctx.persist("promised", self.promised)
        ctx.send(src, Promise(msg.ballot, *self.accepted))

    def on_accept(self, ctx: Context, src: Hashable, msg: Accept) -> None:
        if msg.ballot < self.promised:
            ctx.send(src, Rejected(msg.ballot, self.promised))
            return
        self.promised, self.accepted = msg.ballot, (msg.ballot, msg.value)
        ctx.persist("promised", self.promised)
        ctx.persist("accepted", self.accepted)
        for learner in self.learners:
            ctx.send(learner, Accepted(msg.ballot, msg.value))


@dataclass(frozen=True)
class Answer:
    """One message the reader's acceptor sent, with the line that sent it."""

    acceptor: Hashable
    incarnation: int
    msg: Any
    line: CodeLine
    at: float


Step = tuple[float, str, Callable[[Simulation], Any]]


def _propose(pid: str, value: str) -> Callable[[Simulation], Any]:
    return lambda sim: sim.call(pid, PaxosNode.propose, value)


def _cut(proposer: str, acceptor: str) -> Callable[[Simulation], Any]:
    """No message between ``proposer`` and ``acceptor``, either way."""
    return lambda sim: sim.set_link(proposer, acceptor, loss=1.0)


def _pause(pid: str) -> Callable[[Simulation], Any]:
    return lambda sim: sim.pause(pid)


def _resume(pid: str) -> Callable[[Simulation], Any]:
    return lambda sim: sim.resume(pid)


@dataclass(frozen=True)
class PaxosScript:
    title: str
    story: str
    steps: tuple[Step, ...]


SCRIPTS = (
    PaxosScript(
        "one proposer after another",
        "P1 (cut off from A3) gets v1 chosen by A1 and A2; then P2 (cut off "
        "from A1) runs both phases with A2 and A3",
        ((0, "P1 cannot reach A3, P2 cannot reach A1",
          lambda s: (_cut("P1", "A3")(s), _cut("P2", "A1")(s))),
         (1, "P1 proposes v1", _propose("P1", "v1")),
         (40, "P2 proposes v2", _propose("P2", "v2")))),
    PaxosScript(
        "a late accept",
        "P1's promises wait while it pauses; P2 (cut off from A1) gets v2 "
        "chosen in ballot 2; then P1 wakes and asks for v1 in ballot 1",
        ((0, "P2 cannot reach A1", _cut("P2", "A1")),
         (1, "P1 proposes v1", _propose("P1", "v1")),
         (2, "P1 pauses", _pause("P1")),
         (20, "P2 proposes v2", _propose("P2", "v2")),
         (60, "P1 resumes", _resume("P1")))),
    PaxosScript(
        "a late prepare",
        "P2 (cut off from A1) prepares ballot 2 and pauses; P1 (cut off from "
        "A3) prepares ballot 1 at A1 and A2; then P2 wakes",
        ((0, "P1 cannot reach A3, P2 cannot reach A1",
          lambda s: (_cut("P1", "A3")(s), _cut("P2", "A1")(s))),
         (1, "P2 proposes v2", _propose("P2", "v2")),
         (2, "P2 pauses", _pause("P2")),
         (20, "P1 proposes v1", _propose("P1", "v1")),
         (60, "P2 resumes", _resume("P2")))),
    PaxosScript(
        "an acceptor restarts",
        "both prepare and pause; A2, which promised ballot 2, crashes and "
        "restarts; P1 wakes and asks for v1 in ballot 1, then P2 for v2",
        ((0, "P2 cannot reach A1", _cut("P2", "A1")),
         (1, "P1 proposes v1", _propose("P1", "v1")),
         (2, "P1 pauses", _pause("P1")),
         (20, "P2 proposes v2", _propose("P2", "v2")),
         (21, "P2 pauses", _pause("P2")),
         (35, "A2 crashes and restarts",
          lambda s: (s.crash("A2"), s.restart("A2"))),
         (40, "P1 resumes", _resume("P1")),
         (60, "P2 resumes", _resume("P2")))),
)


def acceptor_world(reader: type, script: PaxosScript,
                   monitor: PaxosMonitor | None = None) -> Simulation:
    """Three acceptors of the reader's class beside the book's proposers and
    learners, the script scheduled; ``monitor`` hears every fact."""
    observer = monitor.hear if monitor is not None else None
    sim = Simulation(0, latency=5.0, observer=observer)
    for pid in ACCEPTORS:
        sim.add(pid, reader)
    for pid in PROPOSERS:
        sim.add(pid, lambda p=pid: PaxosNode(p, CAST, OPTIONS))
    for t, label, act in script.steps:
        sim.at(t, lambda s, a=act, w=label: (s.note(w), a(s)), label=label)
    return sim


def _watched(reader: type, code: ReaderCode, answers: list[Answer]) -> type:
    """The reader's class, its handlers run watched: each answer is kept, each
    acceptance told to the monitor as the book's acceptor tells it (a vote)."""

    def wrap(name: str) -> Callable:
        method = getattr(reader, name)

        def handler(node: Any, ctx: Context, src: Hashable, msg: Any) -> None:
            before = len(code.acts)
            code.who, code.at = ctx.pid, ctx.now
            code.call(method, node, ctx, src, msg)
            for act in code.acts[before:]:
                sent = act.args.get("msg")
                if isinstance(sent, (Promise, Accepted, Rejected)):
                    answers.append(Answer(ctx.pid, ctx.incarnation, sent, act.line,
                                          ctx.now))
                    _show(ctx, sent)

        return handler

    def start(node: Any, ctx: Context) -> None:
        ctx.annotate(role="acceptor")
        code.who, code.at = ctx.pid, ctx.now
        code.call(reader.on_start, node, ctx)

    namespace = {n: wrap(n) for n in ("on_prepare", "on_accept")}
    namespace["on_start"] = start
    return type(reader.__name__, (reader,), namespace)


def _show(ctx: Context, sent: Any) -> None:
    """What the acceptor's answer tells the trace and the monitor."""
    if isinstance(sent, Promise):
        ctx.annotate(promised=sent.ballot)
    elif isinstance(sent, Accepted):
        ctx.report(Voted(ctx.pid, sent.ballot, sent.value))
        ctx.annotate(accepted=f"{sent.value}@{sent.ballot}")


def check_acceptor(reader: type) -> DrillReport:
    """Grade the reader's :class:`AcceptorBase` subclass."""
    check_instance("your acceptor class", reader, type)
    if not issubclass(reader, AcceptorBase):
        raise ValueError("your class must subclass ddia10.drills.AcceptorBase")
    for script in SCRIPTS:
        code = ReaderCode.of_class(reader, AcceptorBase)
        answers: list[Answer] = []
        monitor = PaxosMonitor(CAST.quorum)
        run = DrillRun(script.title, lambda s=script: acceptor_world(reader, s),
                       steps=40, story=script.story)
        try:
            sim = acceptor_world(_watched(reader, code, answers), script, monitor)
            sim.run(200)
        except Exception as exc:
            return report_exception(DRILL, code, exc, run=run)
        verdict = (report_wall_clock(DRILL, code, run=run)
                   or _judge(answers, monitor, run) or _outcome(monitor, run))
        if verdict is not None:
            return verdict
    return passed(DRILL, [
        "every promise reports the value accepted in the highest ballot so far",
        "no promise and no acceptance below a ballot already promised, even after "
        "a crash",
        "in every run the book's proposers got exactly one value chosen",
    ])


def _outcome(monitor: PaxosMonitor, run: DrillRun) -> DrillReport | None:
    """The monitor's verdict on the whole run, and whether anything was chosen."""
    try:
        monitor.check()
    except InvariantViolation as exc:
        return failed(DRILL, exc.invariant, f"{exc.evidence}.", run=run)
    if not monitor.chosen_values():
        return failed(DRILL, "an acceptor answers every ballot at or above its promise",
                      "No value was chosen, though a proposer with the highest ballot "
                      "reached a majority of acceptors.", run=run)
    return None


def _harm(monitor: PaxosMonitor) -> str:
    """A sentence on the values chosen, if more than one was."""
    chosen = sorted((b, v) for _s, b, v in monitor.chosen)
    if len({v for _b, v in chosen}) < 2:
        return ""
    first, second = chosen[0], next(c for c in chosen if c[1] != chosen[0][1])
    return (f" So two values were chosen: {first[1]!r} in ballot {first[0]} and "
            f"{second[1]!r} in ballot {second[0]}.")


def _judge(answers: list[Answer], monitor: PaxosMonitor,
           run: DrillRun) -> DrillReport | None:
    promised: dict[Hashable, tuple[int, int]] = {}  # acceptor -> (ballot, incarnation)
    accepted: dict[Hashable, tuple[int, Any, int]] = {}  # ballot, value, incarnation
    harm = _harm(monitor)
    for a in answers:
        msg, who = a.msg, a.acceptor
        floor, when = promised.get(who, (0, a.incarnation))
        lost = when != a.incarnation
        if isinstance(msg, (Promise, Accepted)) and msg.ballot < floor:
            what = "promised" if isinstance(msg, Promise) else "accepted"
            rule = DURABLE if lost else (NO_PROMISE_BELOW if what == "promised"
                                         else NO_ACCEPT_BELOW)
            since = " It had crashed and restarted since, and forgot." if lost else ""
            return failed(DRILL, rule, f"{who} had promised ballot {floor}, then {what} "
                          f"ballot {msg.ballot} at {a.at:g} ms.{since}{harm}",
                          line=a.line, run=run)
        if isinstance(msg, Promise):
            last = accepted.get(who, (0, None, a.incarnation))
            if (msg.accepted_ballot, msg.accepted_value) != last[:2]:
                rule = DURABLE if last[2] != a.incarnation else REPORT_ACCEPTED
                return failed(DRILL, rule,
                              f"{who} had accepted {last[1]!r} in ballot {last[0]}, and "
                              f"its promise for ballot {msg.ballot} reported ballot "
                              f"{msg.accepted_ballot} with value {msg.accepted_value!r}."
                              f"{harm}", line=a.line, run=run)
        if isinstance(msg, (Promise, Accepted)):
            higher = msg.ballot >= floor
            promised[who] = (max(floor, msg.ballot), a.incarnation if higher else when)
        if isinstance(msg, Accepted):
            accepted[who] = (msg.ballot, msg.value, a.incarnation)
    return None
