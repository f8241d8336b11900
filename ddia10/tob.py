"""Total order broadcast: every process delivers the same messages in the same order.

Total order broadcast (also called atomic broadcast) asks for four things:

* **validity**: a message a correct process broadcasts is eventually delivered;
* **agreement**: a message delivered by one correct process is eventually
  delivered by every correct process;
* **integrity**: each message is delivered at most once, and only if it was
  broadcast;
* **total order**: any two processes that deliver messages *m* and *m'*
  deliver them in the same order.

Lamport timestamps already give a total order that every process would compute
alike, so why is this harder? Because a process can only *deliver* the message
with timestamp 5 once it knows that no message with a smaller timestamp is still
on its way, and with crashes and unbounded delays it can never know that. Total
order broadcast fixes the order *before* anyone acts on it.

The simplest way is a **sequencer**: every process sends its message to one
process, which numbers messages 1, 2, 3, ... and forwards each to everyone; a
process delivers number *k* only after 1, ..., *k* - 1, holding back any that
overtake. Cheap (two message delays) and correct while the sequencer lives.
When it crashes, delivery stops: broadcasts sent to it vanish and everyone
waits for a number that will never come. Electing a new sequencer by timeout is
not safe either: a sequencer that was only slow, not dead, keeps numbering, and
two sequencers can give the same number to different messages.

Making the sequencer fault tolerant is exactly consensus. The two problems are
equivalent (Chandra & Toueg 1996):

* **consensus from total order broadcast** (:class:`TOBConsensus`): every
  process broadcasts its proposal and decides the first value it delivers.
  All deliver the same first message, so all decide the same value, and that
  value was proposed by someone.
* **total order broadcast from consensus** (:class:`RaftTOB`): run one
  consensus instance per position of the sequence; instance *k* decides which
  message is delivered *k*-th. A replicated log such as Raft's is this
  construction, with the leader proposing each next entry; delivering is
  applying committed entries in index order.

Consensus is only as live as its broadcast: with the sequencer crashed, no
process of :class:`TOBConsensus` ever decides. Chapter 2 ("Ordering") teaches
this module; the runs it shows (the sequencer crashing, two sequencers after a
partition, Raft in their place) are in :mod:`ddia10.scenarios.ordering`.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .raft import RaftCluster, RaftNode
from .sim import Context, Process, Simulation, Trace
from .validate import check_instance, check_number, check_pid

Pid = Hashable


@dataclass(frozen=True)
class Submit:
    """A process asks the sequencer to order its ``ref``-th broadcast."""

    origin: Pid
    ref: int
    payload: Any


@dataclass(frozen=True)
class Ordered:
    """The sequencer's verdict: ``payload`` (``origin``'s ``ref``-th broadcast)
    is message ``number``, sent to every process."""

    number: int
    origin: Pid
    ref: int
    payload: Any


@dataclass(frozen=True)
class Alive:
    """A sequencer's heartbeat, sent only when naive failover is switched on."""

    sequencer: Pid


class SequencerTOB(Process):
    """A process of sequencer-based total order broadcast.

    Every process runs this class; the one it believes is ``sequencer`` numbers
    messages. Call :meth:`broadcast` (through ``sim.call``) to broadcast. Each
    delivery is recorded in the trace as a ``state`` event whose ``delivered``
    field is the whole sequence delivered so far. Links are assumed not to lose
    messages; they may delay, reorder and duplicate them. What a process
    delivered is persisted (it is the state of whatever runs on top), and so
    is the sequencer's counter, so a restarted sequencer never reuses a number.

    ``failover_ms`` switches on *naive failover*: the sequencer sends a
    heartbeat every ``failover_ms / 3``; a process that hears nothing from its
    sequencer for ``failover_ms`` moves on to the next process id (in sorted
    order), and the process that finds itself chosen starts numbering after
    the highest number it has seen. It restores liveness after a crash and
    breaks total order after a partition, which is the lesson.
    """

    def __init__(self, sequencer: Pid, failover_ms: float | None = None) -> None:
        check_pid("the sequencer's id", sequencer)
        check_number("failover_ms", failover_ms, positive=True, unit="ms", none=True)
        self.sequencer = sequencer
        self.failover_ms = failover_ms
        self.sent = 0  # how many broadcasts this process started
        self.next_seq = 1  # as sequencer: the next number to hand out
        self.numbered: dict[tuple[Pid, int], int] = {}  # as sequencer: dedup of submits
        self.held: dict[int, Ordered] = {}  # arrived ahead of their turn
        self.delivered: list[Ordered] = []
        self.heard = 0.0  # local time of the last message from the sequencer

    def on_start(self, ctx: Context) -> None:
        saved = ctx.stable
        self.sent = saved.get("sent", 0)
        self.next_seq = saved.get("next_seq", 1)
        self.numbered = saved.get("numbered", {})
        self.sequencer = saved.get("sequencer", self.sequencer)
        self.delivered = saved.get("delivered", [])
        self.heard = ctx.now
        self._announce(ctx)
        if self.failover_ms is not None:
            ctx.set_timer(self.failover_ms / 3, "heartbeat")

    def _announce(self, ctx: Context) -> None:
        ctx.annotate(role="sequencer" if ctx.pid == self.sequencer else "member",
                     sequencer=self.sequencer)

    def broadcast(self, ctx: Context, payload: Any) -> int:
        """Start broadcasting ``payload``; returns this process's broadcast count."""
        self.sent += 1
        ctx.persist("sent", self.sent)
        ctx.send(self.sequencer, Submit(ctx.pid, self.sent, payload))
        return self.sent

    def on_message(self, ctx: Context, src: Pid, msg: Any) -> None:
        if src == self.sequencer:
            self.heard = ctx.now
        if isinstance(msg, Submit):
            self.on_submit(ctx, msg)
        elif isinstance(msg, Ordered):
            self.on_ordered(ctx, msg)

    def on_submit(self, ctx: Context, msg: Submit) -> None:
        if ctx.pid != self.sequencer or (msg.origin, msg.ref) in self.numbered:
            return
        number = self.next_seq
        self.next_seq += 1
        self.numbered[(msg.origin, msg.ref)] = number
        ctx.persist("next_seq", self.next_seq)
        ctx.persist("numbered", self.numbered)
        out = Ordered(number, msg.origin, msg.ref, msg.payload)
        for pid in [ctx.pid, *ctx.peers]:
            ctx.send(pid, out)

    def on_ordered(self, ctx: Context, msg: Ordered) -> None:
        if msg.number <= len(self.delivered) or msg.number in self.held:
            return
        self.held[msg.number] = msg
        while len(self.delivered) + 1 in self.held:
            self.deliver(ctx, self.held.pop(len(self.delivered) + 1))

    def deliver(self, ctx: Context, msg: Ordered) -> None:
        self.delivered.append(msg)
        ctx.persist("delivered", self.delivered)
        ctx.annotate(delivered=tuple(m.payload for m in self.delivered))
        self.on_deliver(ctx, msg)

    def on_deliver(self, ctx: Context, msg: Ordered) -> None:
        """What the layer above does with each delivered message (nothing here)."""

    def on_timer(self, ctx: Context, name) -> None:
        if name != "heartbeat" or self.failover_ms is None:
            return
        if ctx.pid == self.sequencer:
            for pid in ctx.peers:
                ctx.send(pid, Alive(ctx.pid))
        elif ctx.now - self.heard >= self.failover_ms:
            self.give_up_on_sequencer(ctx)
        ctx.set_timer(self.failover_ms / 3, "heartbeat")

    def give_up_on_sequencer(self, ctx: Context) -> None:
        """Naive failover: trust the next process id, with no vote and no fencing."""
        everyone = sorted([ctx.pid, *ctx.peers], key=lambda p: (isinstance(p, str), p))
        self.sequencer = everyone[(everyone.index(self.sequencer) + 1) % len(everyone)]
        self.heard = ctx.now
        if self.sequencer == ctx.pid:
            self.next_seq = max([len(self.delivered), *self.held]) + 1
            ctx.persist("next_seq", self.next_seq)
        ctx.persist("sequencer", self.sequencer)
        self._announce(ctx)


class TOBConsensus(SequencerTOB):
    """Consensus built on total order broadcast: broadcast your proposal,
    decide the first value delivered. Records ``decided`` in the trace."""

    def __init__(self, sequencer: Pid, proposal: Any) -> None:
        super().__init__(sequencer)
        self.proposal = proposal
        self.decision: Any = None
        self.decided = False

    def on_start(self, ctx: Context) -> None:
        super().on_start(ctx)
        if self.sent == 0:
            ctx.set_timer(0, "propose")  # once every process exists

    def on_timer(self, ctx: Context, name) -> None:
        if name == "propose":
            self.broadcast(ctx, self.proposal)
        else:
            super().on_timer(ctx, name)

    def on_deliver(self, ctx: Context, msg: Ordered) -> None:
        if not self.decided:
            self.decided, self.decision = True, msg.payload
            ctx.annotate(decided=msg.payload)


class RaftTOB(RaftNode):
    """Total order broadcast on consensus: a Raft server whose state machine
    just delivers. Raft decides one log position after another; applying the
    committed entries in index order is delivering them, recorded in the trace
    as ``delivered`` like :class:`SequencerTOB` does."""

    def apply_command(self, ctx: Context, index: int, command: Any) -> Any:
        super().apply_command(ctx, index, command)
        ctx.annotate(delivered=tuple(self.applied_commands))


def raft_tob_cluster(n: int = 5, seed: int = 0, **options: Any) -> RaftCluster:
    """``n`` :class:`RaftTOB` servers (ids ``1..n``); broadcast with
    ``cluster.agree(payload)``, which keeps proposing to whichever server leads
    until the payload is delivered, and read :func:`deliveries` of ``cluster.sim``."""
    return RaftCluster(n, seed, node_class=RaftTOB, **options)


# ---------------------------------------------------------------------- running


def _check_pids(pids: Sequence[Pid], sequencer: Pid) -> list:
    pids = list(pids)
    if not pids:
        raise ValueError("total order broadcast needs at least one process")
    if len(set(pids)) != len(pids):
        raise ValueError(f"process ids repeat: {pids}")
    if sequencer not in pids:
        raise ValueError(f"the sequencer {sequencer!r} is not among the processes {pids}")
    return pids


def sequencer_cluster(pids: Sequence[Pid], sequencer: Pid, *, seed: int = 0,
                      latency: Any = (1.0, 5.0), failover_ms: float | None = None,
                      **network: Any) -> Simulation:
    """A world of :class:`SequencerTOB` processes, ``sequencer`` among them
    (``failover_ms``: see :class:`SequencerTOB`).

    ``network`` passes ``duplicate``/``reorder`` to the simulation. Loss is
    refused: this sequencer does not retransmit.
    """
    pids = _check_pids(pids, sequencer)
    if network.get("loss"):
        raise ValueError("the sequencer protocol assumes links that do not lose messages")
    sim = Simulation(seed, latency=latency, **network)
    for pid in pids:
        sim.add(pid, lambda: SequencerTOB(sequencer, failover_ms))
    return sim


def broadcast(sim: Simulation, pid: Pid, payload: Any) -> None:
    """``pid`` broadcasts ``payload`` now (a note if ``pid`` is down)."""
    if not sim.is_up(pid) or sim.is_paused(pid):
        sim.note(f"{pid} is down and cannot broadcast {payload!r}")
        return
    sim.call(pid, SequencerTOB.broadcast, payload)


def schedule_broadcasts(sim: Simulation, plan: Iterable[tuple[float, Pid, Any]]) -> None:
    """Schedule ``(time, pid, payload)`` broadcasts on ``sim``."""
    for item in plan:
        if not (isinstance(item, tuple) and len(item) == 3):
            raise ValueError(f"a planned broadcast is (time, pid, payload), got {item!r}")
        t, pid, payload = item
        check_number("a broadcast time", t, unit="ms")
        if pid not in sim.pids:
            raise ValueError(f"no process {pid!r}; processes are {sim.pids}")
        sim.at(t, lambda s, p=pid, m=payload: broadcast(s, p, m),
               label=f"{pid} broadcasts {payload}")


def deliveries(trace: Trace | Simulation) -> dict[Pid, tuple]:
    """What each process had delivered, in order, at the end of the trace."""
    check_instance("trace", trace, (Trace, Simulation))
    if isinstance(trace, Simulation):
        pids, trace = trace.pids, trace.trace
    else:
        pids = list(dict.fromkeys(e.pid for e in trace if e.kind == "start"))
    out: dict[Pid, tuple] = {pid: () for pid in pids}
    for e in trace:
        if e.kind == "state" and "delivered" in e.data:
            out[e.pid] = tuple(e.data["delivered"])
    return out


def prefix_consistent(logs: Mapping[Pid, Sequence[Any]]) -> bool:
    """True when every two delivery sequences agree wherever both are defined
    (one is a prefix of the other): the total order property."""
    seqs = [tuple(s) for s in logs.values()]
    longest = max(seqs, key=len, default=())
    return all(s == longest[: len(s)] for s in seqs)


def consensus_via_tob(proposals: Mapping[Pid, Any], sequencer: Pid, *, seed: int = 0,
                      latency: Any = (1.0, 5.0), **network: Any) -> Simulation:
    """A world where each process proposes ``proposals[pid]`` through
    :class:`TOBConsensus`; run it and read :func:`decisions`."""
    check_instance("proposals (pid -> value)", proposals, Mapping)
    _check_pids(list(proposals), sequencer)
    if network.get("loss"):
        raise ValueError("the sequencer protocol assumes links that do not lose messages")
    sim = Simulation(seed, latency=latency, **network)
    for pid, value in proposals.items():
        sim.add(pid, lambda v=value: TOBConsensus(sequencer, v))
    return sim


def decisions(trace: Trace | Simulation) -> dict[Pid, Any]:
    """The value each process decided (processes that decided nothing are absent)."""
    check_instance("trace", trace, (Trace, Simulation))
    if isinstance(trace, Simulation):
        trace = trace.trace
    return {e.pid: e.data["decided"] for e in trace if e.kind == "state" and "decided" in e.data}
