"""Failover two ways: on a timeout alone, and with majorities.

Three nodes keep a replicated log (:mod:`ddia10.rsm`). One of them, the
*leader*, takes client writes, appends them to its log and ships the log to
the others with every heartbeat. When the followers stop hearing the leader,
someone must take over. Both protocols here detect that the same way: a
follower that hears nothing from its leader for a while suspects it. Lower ids
wait less (``failure_timeout + rank * stagger``), so the surviving follower
with the lowest id acts first. They differ in what happens next.

:class:`NaiveFailover` promotes on suspicion alone. The first follower to time
out declares itself leader of the next *term* and the others follow whoever
has the highest term. The leader acknowledges a write as soon as it is in its
own log (asynchronous replication). When the old leader was only cut off, not
dead, it still serves the clients that can reach it: two leaders acknowledge
writes at once, their logs diverge, and when the network heals the old leader
sees the higher term, steps down and adopts the new leader's log, throwing
away writes it had acknowledged. That is *split-brain*.

:class:`QuorumFailover` adds two majorities. A write is acknowledged only once
a majority of nodes has stored it. A follower that suspects its leader becomes
a *candidate* for the next term and asks for votes; each node votes at most
once per term, for one candidate (the vote is the pair term and candidate,
stored durably before it is sent). A candidate with a majority of votes becomes
leader and adopts the most recent log among its voters: the one written in the
highest term, the longest among those. Any two majorities share a node, so
that log holds every acknowledged write, and a term has at most one leader.
A leader on the minority side of a partition cannot gather a majority: its
clients get no acknowledgement, only an "unknown outcome" after a timeout.
When the network heals it sees the higher term and steps down.

Quorum failover is a deliberately small protocol, enough to show why
majorities prevent split-brain, and it is not Raft: it ships the whole log in
every message and has no log compaction, no membership change and no read
path. Chapter 4 builds Raft, which does the same job with per-entry
consistency checks and an election restriction instead.

Every node annotates its ``role``, ``term``, ``leader``, ``log``, ``commit``
and ``data`` (the state machine) in the trace whenever they change, and
client writes appear as ``invoke``/``return`` events, so players can draw who
leads and what each node holds. :class:`FailoverMonitor` checks the promises
quorum failover makes after every event of a run. Chapter 0 ("The problem")
teaches this module; its worked runs, tables and players are in
:mod:`ddia10.scenarios.the_problem`.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .invariants import InvariantViolation
from .quorum import MajorityConfig, VoteResult, majority
from .rsm import COMMANDS, Command, Entry, Replica, Set
from .sim import Context, Process, Simulation, SimulationTimeout
from .validate import check_choice, check_instance, check_number, check_str

FOLLOWER, CANDIDATE, LEADER = "follower", "candidate", "leader"


@dataclass(frozen=True)
class Timing:
    """How a failover protocol paces itself (simulated ms).

    A follower suspects its leader after ``failure_timeout + rank * stagger``
    plus up to ``jitter`` of silence, where ``rank`` is its position in the
    sorted node ids. A quorum leader gives up waiting for a majority to store a
    write after ``write_timeout``.
    """

    heartbeat: float = 10.0
    failure_timeout: float = 50.0
    stagger: float = 25.0
    jitter: float = 0.0
    write_timeout: float = 60.0

    def __post_init__(self) -> None:
        check_number("timing heartbeat", self.heartbeat, positive=True, unit="ms")
        for name in ("failure_timeout", "stagger", "jitter", "write_timeout"):
            check_number(f"timing {name}", getattr(self, name), min=0, unit="ms")
        if self.failure_timeout <= self.heartbeat:
            raise ValueError(
                f"timing failure_timeout ({self.failure_timeout:g} ms) must exceed the "
                f"heartbeat interval ({self.heartbeat:g} ms), or every follower suspects a "
                "healthy leader"
            )


# ---------------------------------------------------------------- messages
@dataclass(frozen=True)
class Replicate:
    """Leader -> follower, every heartbeat: "I lead ``term``; here is my log,
    the first ``commit`` entries of which are committed"."""

    term: int
    log: tuple[Entry, ...]
    commit: int


@dataclass(frozen=True)
class Replicated:
    """Follower -> leader: "in ``term`` I store the first ``length`` entries of your
    log". A node in a higher term answers with its term, telling a stale leader."""

    term: int
    length: int


@dataclass(frozen=True)
class VoteRequest:
    """Candidate -> all (quorum failover only): "make me leader of ``term``"."""

    term: int


@dataclass(frozen=True)
class Vote:
    """Voter -> candidate: the answer, with the voter's log and the term it was
    written in, so a winner can adopt the most recent log of its majority."""

    term: int
    granted: bool
    log_term: int
    log: tuple[Entry, ...]


# ---------------------------------------------------------------- what both share
class FailoverNode(Process):
    """A node of either protocol: the log, heartbeats, failure detection,
    following a leader and stepping down on a higher term. Subclasses decide
    what a suspicion leads to and when a write counts as acknowledged.

    ``nodes`` is the whole cluster, this node included; on first boot the
    lowest id is leader of term 1 and everyone else follows it.
    """

    default_timing = Timing()

    def __init__(self, nodes: Sequence[Hashable], timing: Timing | None = None) -> None:
        self.nodes = _check_nodes(nodes)
        if timing is None:
            timing = self.default_timing
        self.timing = check_instance("timing", timing, Timing)

    # ---- lifecycle
    def on_start(self, ctx: Context) -> None:
        if ctx.pid not in self.nodes:
            raise ValueError(f"process {ctx.pid!r} is not one of the cluster nodes {self.nodes}")
        self.peers = [p for p in self.nodes if p != ctx.pid]
        self.rank = self.nodes.index(ctx.pid)
        self.config = MajorityConfig(self.nodes)
        first = self.nodes[0]
        stable = ctx.stable
        if not stable:  # first boot
            stable = {"term": 1, "voted_for": first, "log": (), "log_term": 1}
            for key, value in stable.items():
                ctx.persist(key, value)
        self.term: int = stable["term"]
        self.voted_for: Hashable | None = stable["voted_for"]
        self.log_term: int = stable["log_term"]  # the term of the leader this log came from
        self.replica = Replica(stable["log"])
        self.role = FOLLOWER
        self.leader: Hashable | None = first if ctx.incarnation == 0 else None
        self.match: dict[Hashable, int] = {}  # leader: follower -> log length stored this term
        self.pending: dict[str, tuple[int, str, str]] = {}  # call -> (position, client, op)
        self.calls = 0
        self._shown: tuple | None = None
        if ctx.incarnation == 0 and ctx.pid == first:
            self.role = LEADER
            ctx.set_timer(0, "heartbeat")  # the others may not exist yet: send once all do
        else:
            self.arm_failure_detector(ctx)
        self.show(ctx)

    # ---- time
    def on_timer(self, ctx: Context, name: Hashable) -> None:
        if name == "heartbeat" and self.role == LEADER:
            self.broadcast_log(ctx)
            ctx.set_timer(self.timing.heartbeat, "heartbeat")
        elif name == "leader-silent" and self.role != LEADER:
            self.on_leader_silent(ctx)
        elif isinstance(name, tuple) and name[0] == "write" and name[1] in self.pending:
            self.finish_write(ctx, name[1], "info", "no majority stored it in time")
        self.show(ctx)

    def arm_failure_detector(self, ctx: Context) -> None:
        t = self.timing
        delay = t.failure_timeout + self.rank * t.stagger
        if t.jitter:
            delay += ctx.rng.uniform(0.0, t.jitter)
        ctx.set_timer(delay, "leader-silent")

    # ---- messages
    def on_message(self, ctx: Context, src: Hashable, msg: Any) -> None:
        if isinstance(msg, Replicate):
            self.on_replicate(ctx, src, msg)
        elif isinstance(msg, Replicated):
            self.on_replicated(ctx, src, msg)
        self.show(ctx)

    def on_replicate(self, ctx: Context, src: Hashable, msg: Replicate) -> None:
        if msg.term < self.term:
            ctx.send(src, Replicated(self.term, 0))  # tell the stale leader
            return
        if self.role == LEADER and msg.term == self.term and self.nodes.index(ctx.pid) < (
            self.nodes.index(src)
        ):
            return  # two leaders of one term (only naive failover gets here): lower id stays
        if msg.term > self.term or self.role != FOLLOWER or self.leader != src:
            self.become_follower(ctx, msg.term, leader=src)
        self.arm_failure_detector(ctx)
        if self.takes_log(msg):
            self.log_term = msg.term
            ctx.persist("log_term", msg.term)
            self.adopt_log(ctx, msg.log)
        self.replica.commit(msg.commit)
        ctx.send(src, Replicated(self.term, len(self.replica.log)))

    def on_replicated(self, ctx: Context, src: Hashable, msg: Replicated) -> None:
        if msg.term > self.term:
            self.become_follower(ctx, msg.term, leader=None)
        elif self.role == LEADER and msg.term == self.term:
            self.match[src] = max(self.match.get(src, 0), msg.length)
            self.acknowledge(ctx)

    # ---- roles
    def become_follower(self, ctx: Context, term: int, leader: Hashable | None) -> None:
        if self.role == LEADER:
            ctx.cancel_timer("heartbeat")
            for call in sorted(self.pending):
                self.finish_write(ctx, call, "info", f"{ctx.pid} stepped down before a majority "
                                  "stored it")
        if term > self.term:
            self.term = term
            self.voted_for = None
            ctx.persist("term", term)
            ctx.persist("voted_for", None)
        self.role = FOLLOWER
        self.leader = leader
        self.arm_failure_detector(ctx)

    def become_leader(self, ctx: Context) -> None:
        """Lead the current term: the log held now is this term's log."""
        self.role = LEADER
        self.leader = ctx.pid
        self.match = {}
        self.log_term = self.term
        ctx.persist("log_term", self.term)
        ctx.cancel_timer("leader-silent")
        self.broadcast_log(ctx)
        ctx.set_timer(self.timing.heartbeat, "heartbeat")

    def start_term(self, ctx: Context) -> None:
        """Move to the next term, voting for oneself."""
        self.term += 1
        self.voted_for = ctx.pid
        ctx.persist("term", self.term)
        ctx.persist("voted_for", ctx.pid)

    def broadcast_log(self, ctx: Context) -> None:
        msg = Replicate(self.term, tuple(self.replica.log), self.replica.commit_index)
        for peer in self.peers:
            ctx.send(peer, msg)

    def adopt_log(self, ctx: Context, log: Sequence[Entry]) -> None:
        """Replace this node's log, persist it, and say which of its entries it dropped
        (and whether it had already applied them: then its state moved backwards)."""
        kept = set(log)
        dropped = [e for e in self.replica.log if e not in kept]
        undone = self.replica.replace_log(log)
        ctx.persist("log", tuple(self.replica.log))
        if dropped:
            applied = (" (it had applied " + ", ".join(str(e.command) for e in undone) + ")"
                       if undone else " (never applied)")
            ctx.emit(
                "note",
                text=f"{ctx.pid} dropped " + ", ".join(str(e.command) for e in dropped)
                + f" from its log{applied}",
                dropped=[e.request for e in dropped],
                undone=[e.request for e in undone],
            )

    # ---- clients
    def submit(self, ctx: Context, command: Command, client: str = "client") -> str:
        """A client asks this node to apply ``command``. Returns the call id that
        the trace's ``invoke`` and ``return`` events carry (and, once accepted,
        the log entry's ``request``)."""
        if not isinstance(command, COMMANDS):
            raise ValueError(f"a client submits a Set, Add or Delete, got {command!r}")
        check_str("client", client)
        self.calls += 1
        call = f"{ctx.pid}{'′' * ctx.incarnation}.{self.calls}"
        op = str(command)
        ctx.emit("invoke", client=client, call=call, op=op, node=ctx.pid)
        if self.role != LEADER:
            hint = f"; it last heard from {self.leader}" if self.leader is not None else ""
            ctx.emit("return", client=client, call=call, op=op, node=ctx.pid, status="fail",
                     term=self.term, error=f"{ctx.pid} is not the leader{hint}")
            return call
        position = self.replica.append(Entry(self.term, command, call))
        ctx.persist("log", tuple(self.replica.log))
        self.pending[call] = (position, client, op)
        ctx.set_timer(self.timing.write_timeout, ("write", call))
        self.broadcast_log(ctx)
        self.acknowledge(ctx)
        self.show(ctx)
        return call

    def finish_write(self, ctx: Context, call: str, status: str, error: str = "") -> None:
        """Answer the client: ``ok`` (acknowledged) or ``info`` (outcome unknown)."""
        _position, client, op = self.pending.pop(call)
        ctx.cancel_timer(("write", call))
        fields = {"client": client, "call": call, "op": op, "node": ctx.pid, "status": status,
                  "term": self.term}
        if error:
            fields["error"] = error
        ctx.emit("return", **fields)

    # ---- what the two protocols do differently
    def on_leader_silent(self, ctx: Context) -> None:
        """The failure detector fired: this node suspects its leader."""
        raise NotImplementedError

    def acknowledge(self, ctx: Context) -> None:
        """As leader: commit and acknowledge every pending write that may be."""
        raise NotImplementedError

    def takes_log(self, msg: Replicate) -> bool:
        """As follower of ``msg``'s sender: replace the local log with ``msg.log``?"""
        raise NotImplementedError

    # ---- the trace
    def show(self, ctx: Context) -> None:
        """Annotate the trace with this node's state, if a reader would see a change."""
        view = (self.role, self.term, self.leader, tuple(self.replica.log),
                self.replica.commit_index)
        if view == self._shown:
            return
        self._shown = view
        ctx.annotate(
            role=self.role,
            term=self.term,
            leader=self.leader,
            log=[str(e) for e in self.replica.log],
            commit=self.replica.commit_index,
            data=self.replica.state,
        )


# ---------------------------------------------------------------- naive failover
class NaiveFailover(FailoverNode):
    """Promote on a timeout; acknowledge writes before anyone else has them."""

    def on_leader_silent(self, ctx: Context) -> None:
        self.start_term(ctx)
        silent = "its leader" if self.leader is None else self.leader
        ctx.emit("note", text=f"{ctx.pid} heard nothing from {silent} and promoted itself to "
                 f"leader of term {self.term}")
        self.become_leader(ctx)

    def acknowledge(self, ctx: Context) -> None:
        if self.role != LEADER:
            return
        self.replica.commit(len(self.replica.log))
        for call in sorted(self.pending):
            self.finish_write(ctx, call, "ok")

    def takes_log(self, msg: Replicate) -> bool:
        return msg.log != tuple(self.replica.log)  # copy the leader, whatever it says


# ---------------------------------------------------------------- quorum failover
class QuorumFailover(FailoverNode):
    """Elect with a majority of votes; acknowledge once a majority stores a write."""

    default_timing = Timing(jitter=10.0)

    def on_start(self, ctx: Context) -> None:
        self.votes: dict[Hashable, Vote] = {}
        super().on_start(ctx)

    def on_message(self, ctx: Context, src: Hashable, msg: Any) -> None:
        if isinstance(msg, VoteRequest):
            self.on_vote_request(ctx, src, msg)
        elif isinstance(msg, Vote):
            self.on_vote(ctx, src, msg)
        super().on_message(ctx, src, msg)

    def on_leader_silent(self, ctx: Context) -> None:
        self.start_term(ctx)
        self.role = CANDIDATE
        self.leader = None
        self.votes = {ctx.pid: Vote(self.term, True, self.log_term, tuple(self.replica.log))}
        for peer in self.peers:
            ctx.send(peer, VoteRequest(self.term))
        self.arm_failure_detector(ctx)  # no winner by then: try again in a new term
        self.count_votes(ctx)

    def on_vote_request(self, ctx: Context, src: Hashable, msg: VoteRequest) -> None:
        if msg.term > self.term:
            self.become_follower(ctx, msg.term, leader=None)
        granted = msg.term == self.term and self.voted_for in (None, src)
        if granted:  # one vote per term, for one candidate: the pair is what is stored
            self.voted_for = src
            ctx.persist("voted_for", src)
            self.arm_failure_detector(ctx)
        ctx.send(src, Vote(self.term, granted, self.log_term, tuple(self.replica.log)))

    def on_vote(self, ctx: Context, src: Hashable, msg: Vote) -> None:
        if msg.term > self.term:
            self.become_follower(ctx, msg.term, leader=None)
        elif self.role == CANDIDATE and msg.term == self.term and msg.granted:
            self.votes[src] = msg
            self.count_votes(ctx)

    def count_votes(self, ctx: Context) -> None:
        if self.config.vote_result({voter: True for voter in self.votes}) is not VoteResult.WON:
            return
        # The most recent log of the majority: written in the highest term, longest among those.
        best = max(self.votes.values(), key=lambda v: (v.log_term, len(v.log)))
        self.adopt_log(ctx, best.log)
        self.become_leader(ctx)

    def acknowledge(self, ctx: Context) -> None:
        if self.role != LEADER:
            return
        stored = {**self.match, ctx.pid: len(self.replica.log)}
        self.replica.commit(self.config.committed_index(stored))
        for call, (position, _client, _op) in sorted(self.pending.items()):
            if position <= self.replica.commit_index:
                self.finish_write(ctx, call, "ok")

    def takes_log(self, msg: Replicate) -> bool:
        # A newer leader's log replaces ours; within one term the leader's log only
        # grows, so a shorter copy is a late, reordered message and is ignored.
        return msg.term > self.log_term or len(msg.log) > len(self.replica.log)


# ---------------------------------------------------------------- building and driving a cluster
PROTOCOLS: dict[str, type[FailoverNode]] = {"naive": NaiveFailover, "quorum": QuorumFailover}


def _check_nodes(nodes: Iterable[Hashable]) -> list:
    if isinstance(nodes, (str, bytes)) or not isinstance(nodes, Iterable):
        raise ValueError(f"nodes must be a list of ids such as ['A', 'B', 'C'], got {nodes!r}")
    nodes = list(nodes)
    if not nodes:
        raise ValueError("cluster size must be >= 1, got 0")
    kinds = {type(p) for p in nodes}
    if not (kinds <= {str} or kinds <= {int}) or any(isinstance(p, bool) for p in nodes):
        raise ValueError(f"node ids must be all str or all int, got {nodes!r}")
    if len(set(nodes)) != len(nodes):
        raise ValueError(f"node ids must be distinct, got {nodes!r}")
    return sorted(nodes)


def build_cluster(
    protocol: str,
    *,
    seed: int = 0,
    nodes: Iterable[Hashable] = ("A", "B", "C"),
    timing: Timing | None = None,
    latency: Any = (1.0, 3.0),
    loss: float = 0.0,
    duplicate: float = 0.0,
    reorder: float = 0.0,
    trace: bool = True,
) -> Simulation:
    """A simulation of a cluster running ``protocol`` (``"naive"`` or ``"quorum"``),
    with the lowest id leading term 1. The network settings are the simulation's."""
    check_choice("protocol", protocol, sorted(PROTOCOLS))
    ids = _check_nodes(nodes)
    node_class = PROTOCOLS[protocol]
    node_class(ids, timing)  # validate the timing here, not at the first boot
    sim = Simulation(
        seed, latency=latency, loss=loss, duplicate=duplicate, reorder=reorder, trace=trace
    )
    for pid in ids:
        sim.add(pid, lambda: node_class(ids, timing))
    return sim


def submit(sim: Simulation, node: Hashable, command: Command, client: str = "client") -> str | None:
    """A client sends ``command`` to ``node``. Returns the call id, or ``None`` (with
    a note in the trace) when the node is down or paused and cannot answer."""
    check_instance("sim", sim, Simulation)
    if not sim.is_up(node) or sim.is_paused(node):
        why = "down" if not sim.is_up(node) else "paused"
        sim.note(f"{client}: {node} does not answer ({why})")
        return None
    return sim.call(node, lambda process, ctx: process.submit(ctx, command, client))


def write(
    sim: Simulation, node: Hashable, key: str, value: Any, client: str = "client"
) -> str | None:
    """A client asks ``node`` to set ``key`` to ``value`` (see :func:`submit`)."""
    return submit(sim, node, Set(key, value), client)


def current_leaders(
    sim: Simulation, among: Iterable[Hashable] | None = None,
) -> dict[Hashable, int]:
    """Every running node (of ``among``, default all) that believes it leads, with its term."""
    pids = sim.pids if among is None else list(among)
    out = {}
    for pid in pids:
        if sim.is_up(pid):
            node = sim.process(pid)
            if node.role == LEADER:
                out[pid] = node.term
    return out


def leader(sim: Simulation, among: Iterable[Hashable] | None = None) -> Hashable | None:
    """The running node (of ``among``) that leads the highest term, if any: whom a
    client that knows the cluster would send its writes to."""
    found = current_leaders(sim, among)
    return max(found, key=lambda pid: found[pid]) if found else None


def states(sim: Simulation) -> dict[Hashable, dict]:
    """What each running node's state machine holds now."""
    return {pid: sim.process(pid).replica.state for pid in sim.pids if sim.is_up(pid)}


# ---------------------------------------------------------------- the promises, as code
ONE_LEADER_PER_TERM = "one leader per term"
NO_MINORITY_ACKNOWLEDGEMENT = "no minority acknowledgement"
NO_LOST_WRITE = "no acknowledged write lost"
PROMISES = (ONE_LEADER_PER_TERM, NO_MINORITY_ACKNOWLEDGEMENT, NO_LOST_WRITE)
"""The three promises :class:`FailoverMonitor` checks, by name."""


class FailoverMonitor:
    """Checks a run, event by event, against the three promises quorum failover
    makes; naive failover breaks all three under a partition.

    1. *One leader per term*: no two nodes are ever leader of the same term.
    2. *No minority acknowledgement*: when a client hears "ok", a majority of
       nodes has the write in stable storage.
    3. *No acknowledged write lost*: every leader of a later term has every write
       acknowledged in an earlier term in its log.

    Call :meth:`check` after every ``sim.step()``; it reports each broken promise
    once, as an :class:`~ddia10.invariants.InvariantViolation` naming the
    promise (one of :data:`PROMISES`) and the evidence. It reports rather than
    raises, so a run of naive failover can show every promise it breaks.
    """

    def __init__(self, sim: Simulation) -> None:
        check_instance("the sim a FailoverMonitor watches", sim, Simulation)
        if not sim.tracing:
            raise ValueError("FailoverMonitor reads the trace: build the simulation with "
                             "trace=True")
        self.sim = sim
        self.seen = 0
        self.leaders_of_term: dict[int, set] = {}
        self.acknowledged: dict[str, tuple[int, str]] = {}  # call -> (term, op)
        self.reported: set = set()
        self.violations: list[InvariantViolation] = []

    def check(self) -> list[InvariantViolation]:
        """The promises broken since the last check (each reported once)."""
        sim = self.sim
        new: list[InvariantViolation | None] = []
        for event in sim.trace.events[self.seen :]:
            if event.kind == "state" and event.data.get("role") == LEADER:
                term = event.data["term"]
                holders = self.leaders_of_term.setdefault(term, set())
                holders.add(event.pid)
                if len(holders) > 1:
                    new.append(self._once(("term", term), ONE_LEADER_PER_TERM,
                                          f"term {term} has two leaders: "
                                          + " and ".join(sorted(map(str, holders)))))
            elif event.kind == "return" and event.data.get("status") == "ok":
                call, term, op = event.data["call"], event.data["term"], event.data["op"]
                self.acknowledged[call] = (term, op)
                stored = sum(1 for pid in sim.pids
                             if any(e.request == call for e in sim.storage(pid).get("log", ())))
                if stored < majority(len(sim.pids)):
                    new.append(self._once(("minority", call), NO_MINORITY_ACKNOWLEDGEMENT,
                                          f"{event.pid} acknowledged {op} ({call}) stored on "
                                          f"{stored} of {len(sim.pids)} nodes"))
        self.seen = len(sim.trace)
        for pid, term in current_leaders(sim).items():
            held = {e.request for e in sim.process(pid).replica.log}
            for call, (acked_term, op) in self.acknowledged.items():
                if acked_term < term and call not in held:
                    new.append(self._once(("lost", call, pid, term), NO_LOST_WRITE,
                                          f"{op} ({call}), acknowledged in term {acked_term}, "
                                          f"is missing from {pid}, leader of term {term}"))
        found = [v for v in new if v is not None]
        self.violations.extend(found)
        return found

    def run(self, ms: float) -> list[InvariantViolation]:
        """Run the simulation ``ms`` simulated ms further, checking after every
        event. Returns the violations seen meanwhile."""
        before = len(self.violations)

        def never(_sim: Simulation) -> bool:
            self.check()
            return False

        try:
            self.sim.run_until(never, ms)
        except SimulationTimeout:
            pass
        return self.violations[before:]

    def _once(self, key: tuple, promise: str, evidence: str) -> InvariantViolation | None:
        if key in self.reported:
            return None
        self.reported.add(key)
        return InvariantViolation(promise, evidence)
