"""Drills, chapter 2: total order broadcast, on a sequencer and on the book's Raft.

**On a sequencer.** The reader subclasses :class:`~ddia10.tob.SequencerTOB`
and writes what a process does with each numbered message from the
sequencer::

    class MyMember(SequencerTOB):
        def on_ordered(self, ctx, msg):        # msg: Ordered(number, origin, ref, payload)
            ...                                # call self.deliver(ctx, msg) in number order

:func:`check_sequencer_broadcast` runs it on networks that reorder and
duplicate messages and checks the four properties of chapter 2. It catches
delivering on arrival (total order breaks as soon as two numbered messages
overtake each other), delivering a duplicate twice (integrity), and a
hold-back queue that never lets go (validity).

**On Raft.** The reader subclasses :class:`RaftBroadcaster`, a Raft server,
and writes two methods: how a server takes a broadcast from a client, and
what it does when Raft applies a committed entry::

    class MyRaftBroadcast(RaftBroadcaster):
        def broadcast(self, ctx, message):        # message: Broadcast(origin, ref, payload)
            ...                                   # True if this server took it on
        def apply_command(self, ctx, index, message):
            ...                                   # deliver it, once: self.deliver(ctx, message)

:func:`check_raft_broadcast` runs it on a three-server cluster with a client
that retries (as every client whose acknowledgement was lost must) and a
leader cut off from the others. It catches delivering at the leader before
the entry commits (the cut-off leader delivers what nobody else ever will)
and delivering a retried broadcast twice.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from ..raft import RaftCluster, RaftNode
from ..sim import Context, Simulation, Trace
from ..tob import Ordered, SequencerTOB, schedule_broadcasts
from ..validate import check_instance
from .raft_script import (
    RAFT_STEP_KINDS,
    RaftScript,
    do_campaign,
    do_heal,
    do_partition,
    scripted_cluster,
)
from .reader import Act, ReaderCode, own_methods, report_exception
from .report import DrillReport, DrillRun, failed, passed

SEQUENCER_DRILL = "total order broadcast on a sequencer"
RAFT_DRILL = "total order broadcast on Raft"


# ====================================================================== a sequencer
class SolutionMember(SequencerTOB):
    """A correct answer: hold back what overtook, deliver in order, once."""

    def on_ordered(self, ctx: Context, msg: Ordered) -> None:
        if msg.number <= len(self.delivered) or msg.number in self.held:
            return  # delivered already, or already waiting: a duplicate
        self.held[msg.number] = msg
        while len(self.delivered) + 1 in self.held:
            self.deliver(ctx, self.held.pop(len(self.delivered) + 1))


SEQUENCER_PIDS = ("A", "B", "S")
SEQUENCER_PLAN = ((1.0, "A", "x=1"), (2.0, "B", "y=2"), (3.0, "A", "x=3"))
SEQUENCER_NETWORKS = (
    ("a network that reorders", {"latency": (1.0, 10.0)}),
    ("a network that duplicates", {"latency": 2.0, "duplicate": 0.5}),
    ("a network that reorders and duplicates", {"latency": (1.0, 10.0), "duplicate": 0.3}),
)
SEEDS = range(6)


def sequencer_drill_world(reader: type, network: dict, seed: int,
                          code: ReaderCode | None = None) -> Simulation:
    """Processes A, B and the sequencer S, all running the reader's class, with
    :data:`SEQUENCER_PLAN` scheduled."""
    member = code.watched(reader, ["on_ordered"]) if code is not None else reader
    sim = Simulation(seed, **network)
    for pid in SEQUENCER_PIDS:
        sim.add(pid, lambda: member("S"))
    schedule_broadcasts(sim, SEQUENCER_PLAN)
    return sim


def check_sequencer_broadcast(reader: type) -> DrillReport:
    """Grade the reader's :class:`~ddia10.tob.SequencerTOB` subclass."""
    check_instance("your process class", reader, type)
    if not issubclass(reader, SequencerTOB):
        raise ValueError("your class must subclass ddia10.tob.SequencerTOB")
    for title, network in SEQUENCER_NETWORKS:
        for seed in SEEDS:
            code = ReaderCode.of_class(reader, SequencerTOB)
            run = DrillRun(f"{title} (seed {seed})",
                           lambda n=network, s=seed: sequencer_drill_world(reader, n, s),
                           steps=40, story="A broadcasts x=1 and x=3, B y=2; S numbers them")
            try:
                sim = sequencer_drill_world(reader, network, seed, code)
                sim.run(500)
            except Exception as exc:
                return report_exception(SEQUENCER_DRILL, code, exc, run=run)
            logs = {p: [m.payload for m in sim.process(p).delivered] for p in SEQUENCER_PIDS}
            verdict = _judge_logs(SEQUENCER_DRILL, logs, [p for _t, _o, p in SEQUENCER_PLAN],
                                  code, run, _member_delivery)
            if verdict is not None:
                return verdict
    return passed(SEQUENCER_DRILL, [
        "total order: every process delivers the same sequence",
        "integrity: nothing is delivered twice, even when the network duplicates",
        "validity: every broadcast is delivered everywhere",
        f"on {len(SEQUENCER_NETWORKS) * len(SEEDS)} runs over networks that reorder and "
        "duplicate",
    ])


def _member_delivery(act: Act) -> tuple | None:
    """(process, payload) of a delivery the reader's member made."""
    if act.what != "deliver":
        return None
    return act.who, getattr(act.args.get("msg"), "payload", None)


def _judge_logs(drill: str, logs: dict[Hashable, list], broadcasts: Sequence[Any],
                code: ReaderCode, run: DrillRun,
                delivery: Callable[[Act], tuple | None]) -> DrillReport | None:
    """The properties of total order broadcast over each process's deliveries;
    ``delivery(act)`` says which (process, payload) a reader's act delivered."""

    def acts(pid: Hashable, payload: Any) -> list[Act]:
        return [a for a in code.acts if delivery(a) == (pid, payload)]

    for pid, log in logs.items():
        for k, payload in enumerate(log):
            if payload in log[:k]:
                found = acts(pid, payload)
                return failed(drill, "integrity: each message is delivered at most once",
                              f"{pid} delivered {payload!r} twice (its deliveries: {log}).",
                              line=found[-1].line if found else None, run=run)
            if payload not in broadcasts:
                return failed(drill, "integrity: only what was broadcast is delivered",
                              f"{pid} delivered {payload!r}, which nobody broadcast.", run=run)
    pids = list(logs)
    for i, a in enumerate(pids):
        for b in pids[i + 1:]:
            for k, (x, y) in enumerate(zip(logs[a], logs[b], strict=False)):
                if x != y:
                    found = acts(a, x) or acts(b, y)
                    return failed(
                        drill, "total order: every process delivers the same sequence",
                        f"{a} delivered {logs[a]} and {b} delivered {logs[b]}: at position "
                        f"{k + 1} one has {x!r}, the other {y!r}.",
                        line=found[0].line if found else None, run=run)
    for pid, log in logs.items():
        missing = [m for m in broadcasts if m not in log]
        if missing:
            return failed(drill, "validity: every broadcast is eventually delivered everywhere",
                          f"when the run went quiet, {pid} had delivered {log} and never "
                          f"{missing}, though every process was up and no message was lost.",
                          line=code.returned, run=run)
    return None


# ====================================================================== Raft
@dataclass(frozen=True)
class Broadcast:
    """What a client asks to broadcast: its ``ref``-th message, ``payload``."""

    origin: Hashable
    ref: int
    payload: Any


class RaftBroadcaster(RaftNode):
    """A Raft server with the drill's two hooks (:meth:`broadcast` and
    :meth:`apply_command`) and :meth:`deliver`, which records a delivery in the
    trace (``delivered``) as chapter 2's :class:`~ddia10.tob.RaftTOB` does."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.delivered: list[Broadcast] = []

    def on_start(self, ctx: Context) -> None:
        self.delivered = []  # volatile: Raft applies the log again after a restart
        super().on_start(ctx)

    def deliver(self, ctx: Context, message: Broadcast) -> None:
        """Hand ``message`` to the application: the delivery the properties judge."""
        self.delivered.append(message)
        ctx.annotate(delivered=tuple(m.payload for m in self.delivered))

    def broadcast(self, ctx: Context, message: Broadcast) -> bool:
        """A client asks this server to broadcast ``message`` (the reader's to write)."""
        raise NotImplementedError("write broadcast")


class SolutionRaftBroadcast(RaftBroadcaster):
    """A correct answer: propose at the leader, deliver each entry once."""

    def broadcast(self, ctx: Context, message: Broadcast) -> bool:
        return self.propose(ctx, message) is not None

    def apply_command(self, ctx: Context, index: int,
                      message: Broadcast) -> None:
        # a client's retry may sit in the log twice: deliver it once
        if message not in self.delivered:
            self.deliver(ctx, message)


RAFT_SERVERS = (1, 2, 3)


def _broadcast(pid: Hashable, message: Broadcast) -> Callable[[Simulation], Any]:
    def act(sim: Simulation) -> None:
        if sim.is_up(pid):
            sim.call(pid, lambda node, ctx: node.broadcast(ctx, message))

    return act


X, Y = Broadcast("client", 1, "x=1"), Broadcast("client", 2, "y=2")
RAFT_SCRIPTS = (
    RaftScript("a leader cut off", "server 1 leads and is cut off; it takes y=2, which can "
               "never commit; 2 takes over and takes x=1; the network heals and the client, "
               "never answered, sends y=2 again to 2",
               ((0, "1 campaigns", do_campaign(1)),
                (50, "cut 1 off", do_partition([1], [2, 3])),
                (60, "client → 1: y=2", _broadcast(1, Y)),
                (100, "2 campaigns", do_campaign(2)),
                (160, "client → 2: x=1", _broadcast(2, X)),
                (250, "heal", do_heal()),
                (300, "client → 2: y=2 again", _broadcast(2, Y))), 600, payloads=("x=1", "y=2")),
    RaftScript("a retried broadcast", "server 1 leads; the client sends x=1 to it, hears "
               "nothing back in time and sends it again",
               ((0, "1 campaigns", do_campaign(1)), (50, "client → 1: x=1", _broadcast(1, X)),
                (120, "client → 1: x=1 again", _broadcast(1, X))), 400, payloads=("x=1",)),
)


def raft_broadcast_world(reader: type, script: RaftScript,
                         code: ReaderCode | None = None) -> RaftCluster:
    """Three servers running the reader's class, the script scheduled on them."""
    node = reader
    if code is not None:
        node = code.watched(reader, [n for n in ("broadcast", "apply_command")
                                     if n in own_methods(reader, RaftBroadcaster)])
    return scripted_cluster(node, script)


def check_raft_broadcast(reader: type) -> DrillReport:
    """Grade the reader's :class:`RaftBroadcaster` subclass."""
    check_instance("your server class", reader, type)
    if not issubclass(reader, RaftBroadcaster):
        raise ValueError("your class must subclass ddia10.drills.broadcast.RaftBroadcaster")
    for script in RAFT_SCRIPTS:
        code = ReaderCode.of_class(reader, RaftBroadcaster)
        run = DrillRun(script.title, lambda s=script: raft_broadcast_world(reader, s).sim,
                       steps=60, story=script.story, step_kinds=RAFT_STEP_KINDS)
        try:
            c = raft_broadcast_world(reader, script, code)
            c.run(script.end)
        except Exception as exc:
            return report_exception(RAFT_DRILL, code, exc, run=run)
        logs = {f"server {pid}": [] for pid in RAFT_SERVERS}
        logs.update(delivery_sequences(c.sim.trace))
        verdict = _judge_logs(RAFT_DRILL, logs, script.payloads, code, run, _server_delivery)
        if verdict is not None:
            return verdict
    return passed(RAFT_DRILL, [
        "a broadcast is delivered only once Raft has committed it",
        "a client's retry is delivered once",
        "after a leader is cut off and the network heals, every server delivers the same "
        "sequence",
    ])


def _server_delivery(act: Act) -> tuple | None:
    """(server, payload) of a delivery the reader's server made (its first incarnation)."""
    if act.what != "deliver":
        return None
    return f"server {act.who}", getattr(act.args.get("message"), "payload", None)


def delivery_sequences(trace: Trace) -> dict[str, list]:
    """Each server's deliveries, one sequence per incarnation (``"2"``, ``"2
    after restart 1"``...): a restarted server delivers again from the start."""
    out: dict[str, list] = {}
    incarnation: dict = {}
    for e in trace:
        if e.kind == "restart":
            incarnation[e.pid] = incarnation.get(e.pid, 0) + 1
        elif e.kind == "state" and "delivered" in e.data:
            n = incarnation.get(e.pid, 0)
            name = f"server {e.pid}" + (f" after restart {n}" if n else "")
            out[name] = list(e.data["delivered"])
    return out
