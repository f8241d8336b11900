"""Drill, chapter 6: a Paxos acceptor.

The reader writes the acceptor of single-decree Paxos: what it keeps, what it
answers to phase 1 (prepare) and phase 2 (accept), and what it reloads after
a crash::

    class MyAcceptor(AcceptorBase):
        def on_start(self, ctx): ...              # reload what ctx.stable holds
        def on_prepare(self, ctx, src, msg): ...  # msg: Phase1a(ballot)
            # answer Phase1b(ballot, accepted_ballot, accepted_value) or Nack(ballot, promised)
        def on_accept(self, ctx, src, msg): ...   # msg: Phase2a(ballot, value)
            # answer Phase2b(ballot, value) or Nack(ballot, promised)

:func:`check_acceptor` runs three of them with two scripted proposers (the
book's, correct) and judges every answer: a promise reports the last value
accepted; an acceptor never promises or accepts below a ballot it promised;
and a promise survives a crash. Each bug ends in its run with two different
values chosen, which the check shows. It catches the classic acceptor bugs:
a promise that forgets the accepted value, an accept below the promise, a
promise below an earlier one, and a promise kept only in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from ..quorum import majority
from ..sim import Context, Process, Simulation
from ..validate import check_instance
from .reader import ReaderCode, own_methods, report_exception, report_wall_clock
from .report import CodeLine, DrillReport, DrillRun, failed, passed

DRILL = "a Paxos acceptor"
ACCEPTORS = ("a1", "a2", "a3")
PROPOSERS = ("p1", "p2")
REPORT_ACCEPTED = "a promise reports the value accepted in the highest ballot so far"
NO_ACCEPT_BELOW = "an acceptor never accepts a ballot below one it has promised"
NO_PROMISE_BELOW = "an acceptor never promises a ballot below one it has promised"
DURABLE = "a promise and an acceptance are persisted before they are sent"


@dataclass(frozen=True)
class Phase1a:
    """Prepare: promise to ignore ballots below ``ballot``."""

    ballot: int


@dataclass(frozen=True)
class Phase1b:
    """Promise, with the last ballot and value accepted (0, None: none)."""

    ballot: int
    accepted_ballot: int = 0
    accepted_value: Any = None


@dataclass(frozen=True)
class Phase2a:
    """Accept ``value`` in ``ballot``."""

    ballot: int
    value: Any


@dataclass(frozen=True)
class Phase2b:
    """Accepted ``value`` in ``ballot``."""

    ballot: int
    value: Any


@dataclass(frozen=True)
class Nack:
    """Refused ``ballot``: promised ``promised``, which is higher."""

    ballot: int
    promised: int


class AcceptorBase(Process):
    """What every acceptor shares: messages go to :meth:`on_prepare` and :meth:`on_accept`."""

    def on_message(self, ctx: Context, src: Hashable, msg: Any) -> None:
        if isinstance(msg, Phase1a):
            self.on_prepare(ctx, src, msg)
        elif isinstance(msg, Phase2a):
            self.on_accept(ctx, src, msg)

    def on_prepare(self, ctx: Context, src: Hashable, msg: Phase1a) -> None:
        raise NotImplementedError("write on_prepare")

    def on_accept(self, ctx: Context, src: Hashable, msg: Phase2a) -> None:
        raise NotImplementedError("write on_accept")


class SolutionAcceptor(AcceptorBase):
    """A correct answer: promise and accept only at or above the promise, persist first."""

    def __init__(self) -> None:
        self.promised = 0
        self.accepted: tuple[int, Any] = (0, None)

    def on_start(self, ctx: Context) -> None:
        self.promised = ctx.stable.get("promised", 0)
        self.accepted = ctx.stable.get("accepted", (0, None))

    def on_prepare(self, ctx: Context, src: Hashable, msg: Phase1a) -> None:
        if msg.ballot < self.promised:
            ctx.send(src, Nack(msg.ballot, self.promised))
            return
        self.promised = msg.ballot
        ctx.persist("promised", self.promised)
        ctx.send(src, Phase1b(msg.ballot, *self.accepted))

    def on_accept(self, ctx: Context, src: Hashable, msg: Phase2a) -> None:
        if msg.ballot < self.promised:
            ctx.send(src, Nack(msg.ballot, self.promised))
            return
        self.promised, self.accepted = msg.ballot, (msg.ballot, msg.value)
        ctx.persist("promised", self.promised)
        ctx.persist("accepted", self.accepted)
        ctx.send(src, Phase2b(msg.ballot, msg.value))


class ScriptedProposer(Process):
    """The book's proposer, driven step by step by a script: phase 1 to some
    acceptors, then phase 2 with the value the rule of Paxos picks."""

    def __init__(self, value: Any) -> None:
        self.value = value
        self.ballot = 0
        self.promises: dict[Hashable, Phase1b] = {}

    def prepare(self, ctx: Context, ballot: int, to: tuple) -> None:
        self.ballot, self.promises = ballot, {}
        for acceptor in to:
            ctx.send(acceptor, Phase1a(ballot))

    def accept(self, ctx: Context, to: tuple) -> None:
        """Phase 2, if a majority promised: the value accepted in the highest
        ballot reported, our own only if none was."""
        if len(self.promises) < majority(len(ACCEPTORS)):
            return
        highest = max(self.promises.values(), key=lambda p: p.accepted_ballot)
        value = highest.accepted_value if highest.accepted_ballot else self.value
        ctx.annotate(proposes=value, ballot=self.ballot)
        for acceptor in to:
            ctx.send(acceptor, Phase2a(self.ballot, value))

    def on_message(self, ctx: Context, src: Hashable, msg: Any) -> None:
        if isinstance(msg, Phase1b) and msg.ballot == self.ballot:
            self.promises[src] = msg


@dataclass(frozen=True)
class Answer:
    """One message the reader's acceptor sent, with the line that sent it."""

    acceptor: Hashable
    incarnation: int
    msg: Any
    line: CodeLine
    at: float


def _step(pid: str, method: str, *args: Any) -> Callable[[Simulation], Any]:
    return lambda sim: sim.call(pid, getattr(ScriptedProposer, method), *args)


@dataclass(frozen=True)
class PaxosScript:
    title: str
    story: str
    steps: tuple[tuple[float, str, Callable[[Simulation], Any]], ...]


A12, A23, ALL = ("a1", "a2"), ("a2", "a3"), ACCEPTORS
SCRIPTS = (
    PaxosScript("one proposer after another",
                "p1 gets v1 chosen by a1 and a2; then p2 runs both phases with a2 and a3",
                ((0, "p1 prepares ballot 1 at a1, a2", _step("p1", "prepare", 1, A12)),
                 (20, "p1 asks a1, a2 to accept", _step("p1", "accept", A12)),
                 (40, "p2 prepares ballot 2 at a2, a3", _step("p2", "prepare", 2, A23)),
                 (60, "p2 asks a2, a3 to accept", _step("p2", "accept", A23)))),
    PaxosScript("a late accept",
                "both prepare; p2 (ballot 2) gets v2 chosen by a2 and a3; then p1's accept "
                "for ballot 1 reaches a1 and a2",
                ((0, "p1 prepares ballot 1 everywhere", _step("p1", "prepare", 1, ALL)),
                 (20, "p2 prepares ballot 2 at a2, a3", _step("p2", "prepare", 2, A23)),
                 (40, "p2 asks a2, a3 to accept", _step("p2", "accept", A23)),
                 (60, "p1 asks a1, a2 to accept", _step("p1", "accept", A12)))),
    PaxosScript("a late prepare",
                "p2 prepares ballot 2 at a2, a3; then p1's prepare for ballot 1 reaches a1 "
                "and a2, and both proposers ask for their values",
                ((0, "p2 prepares ballot 2 at a2, a3", _step("p2", "prepare", 2, A23)),
                 (20, "p1 prepares ballot 1 at a1, a2", _step("p1", "prepare", 1, A12)),
                 (40, "p1 asks a1, a2 to accept", _step("p1", "accept", A12)),
                 (60, "p2 asks a2, a3 to accept", _step("p2", "accept", A23)))),
    PaxosScript("an acceptor restarts",
                "both prepare; a2 promised ballot 2, crashes and restarts; p1's accept for "
                "ballot 1 reaches a1 and a2, then p2 asks a2 and a3",
                ((0, "p1 prepares ballot 1 everywhere", _step("p1", "prepare", 1, ALL)),
                 (20, "p2 prepares ballot 2 at a2, a3", _step("p2", "prepare", 2, A23)),
                 (35, "a2 crashes and restarts", lambda sim: (sim.crash("a2"),
                                                              sim.restart("a2"))),
                 (40, "p1 asks a1, a2 to accept", _step("p1", "accept", A12)),
                 (60, "p2 asks a2, a3 to accept", _step("p2", "accept", A23)))),
)


def acceptor_world(reader: type, script: PaxosScript) -> Simulation:
    """Three acceptors of the reader's class, proposers p1 (value v1) and p2 (v2)."""
    sim = Simulation(0, latency=5.0)
    for pid in ACCEPTORS:
        sim.add(pid, reader)
    for pid, value in zip(PROPOSERS, ("v1", "v2"), strict=True):
        sim.add(pid, lambda v=value: ScriptedProposer(v))
    for t, label, act in script.steps:
        sim.at(t, lambda s, a=act, w=label: (s.note(w), a(s)), label=label)
    return sim


def _watched(reader: type, code: ReaderCode, answers: list[Answer]) -> type:
    mine = own_methods(reader, AcceptorBase)

    def wrap(name: str) -> Callable:
        method = getattr(reader, name)

        def handler(node: Any, ctx: Context, src: Hashable, msg: Any) -> None:
            before = len(code.acts)
            code.who, code.at = ctx.pid, ctx.now
            code.call(method, node, ctx, src, msg)
            for act in code.acts[before:]:
                sent = act.args.get("msg")
                if isinstance(sent, (Phase1b, Phase2b, Nack)):
                    answers.append(Answer(ctx.pid, ctx.incarnation, sent, act.line, ctx.now))

        return handler

    names = [n for n in ("on_prepare", "on_accept", "on_start") if n in mine]
    namespace = {n: wrap(n) for n in names if n != "on_start"}
    if "on_start" in names:
        namespace["on_start"] = code._wrap(reader.on_start)
    return type(reader.__name__, (reader,), namespace)


def check_acceptor(reader: type) -> DrillReport:
    """Grade the reader's :class:`AcceptorBase` subclass."""
    check_instance("your acceptor class", reader, type)
    if not issubclass(reader, AcceptorBase):
        raise ValueError("your class must subclass ddia10.drills.AcceptorBase")
    for script in SCRIPTS:
        code = ReaderCode.of_class(reader, AcceptorBase)
        answers: list[Answer] = []
        run = DrillRun(script.title, lambda s=script: acceptor_world(reader, s), steps=40,
                       story=script.story)
        try:
            sim = acceptor_world(_watched(reader, code, answers), script)
            sim.run(200)
        except Exception as exc:
            return report_exception(DRILL, code, exc, run=run)
        verdict = report_wall_clock(DRILL, code, run=run) or _judge(answers, run)
        if verdict is not None:
            return verdict
    return passed(DRILL, [
        "every promise reports the value accepted in the highest ballot so far",
        "no promise and no acceptance below a ballot already promised, even after a crash",
        "in every run at most one value was chosen",
    ])


def chosen_values(answers: list[Answer]) -> list[tuple[int, Any]]:
    """Every (ballot, value) a majority of acceptors accepted, in the order chosen."""
    votes: dict[tuple[int, Any], set] = {}
    chosen: list[tuple[int, Any]] = []
    for a in answers:
        if isinstance(a.msg, Phase2b):
            key = (a.msg.ballot, a.msg.value)
            votes.setdefault(key, set()).add(a.acceptor)
            if len(votes[key]) == majority(len(ACCEPTORS)) and key not in chosen:
                chosen.append(key)
    return chosen


def _judge(answers: list[Answer], run: DrillRun) -> DrillReport | None:
    promised: dict[Hashable, tuple[int, int]] = {}  # acceptor -> (ballot, incarnation)
    accepted: dict[Hashable, tuple[int, Any, int]] = {}  # ballot, value, incarnation
    chosen = chosen_values(answers)
    harm = (f" So two values were chosen: {chosen[0][1]!r} in ballot {chosen[0][0]} and "
            f"{chosen[1][1]!r} in ballot {chosen[1][0]}." if len({v for _b, v in chosen}) > 1
            else "")
    for a in answers:
        msg, who = a.msg, a.acceptor
        floor, when = promised.get(who, (0, a.incarnation))
        lost = when != a.incarnation
        if isinstance(msg, (Phase1b, Phase2b)) and msg.ballot < floor:
            what = "promised" if isinstance(msg, Phase1b) else "accepted"
            rule = DURABLE if lost else (NO_PROMISE_BELOW if what == "promised"
                                         else NO_ACCEPT_BELOW)
            since = " It had crashed and restarted since, and forgot." if lost else ""
            return failed(DRILL, rule, f"{who} had promised ballot {floor}, then {what} "
                          f"ballot {msg.ballot} at {a.at:g} ms.{since}{harm}", line=a.line,
                          run=run)
        if isinstance(msg, Phase1b):
            last = accepted.get(who, (0, None, a.incarnation))
            if (msg.accepted_ballot, msg.accepted_value) != last[:2]:
                rule = DURABLE if last[2] != a.incarnation else REPORT_ACCEPTED
                return failed(DRILL, rule,
                              f"{who} had accepted {last[1]!r} in ballot {last[0]}, and its "
                              f"promise for ballot {msg.ballot} reported ballot "
                              f"{msg.accepted_ballot} with value {msg.accepted_value!r}."
                              f"{harm}", line=a.line, run=run)
        if isinstance(msg, (Phase1b, Phase2b)):
            promised[who] = (max(floor, msg.ballot), a.incarnation if msg.ballot >= floor
                             else when)
        if isinstance(msg, Phase2b):
            accepted[who] = (msg.ballot, msg.value, a.incarnation)
    return None
