"""A Raft cluster in a simulated world, with its safety monitor attached.

:class:`RaftCluster` is the harness every chapter, test and benchmark drives:
``n`` servers numbered ``1..n`` on a :class:`~ddia10.sim.Simulation`, fault
buttons named as a reader would (crash, restart, disconnect, partition,
heal), a view of each server's state, and :meth:`RaftCluster.check_invariants`.
With ``check_every_event=True`` the harness itself steps the simulation and
checks the invariants after every single event; the servers never check
themselves.

**The monitor is the harness's.** Servers report facts (``ctx.report``: a
server became leader, committed, applied, cut its log); the simulation hands
them to the observer this harness gave it, its :class:`RaftMonitor`. No
server holds or reads the monitor. :meth:`RaftCluster.snapshot` and
:meth:`RaftCluster.restore` take the monitor along with the world, so a run
that branches from a snapshot is judged on its own history.

**What the fingerprint holds.** :meth:`RaftCluster.fingerprint` is the
world's fingerprint *and* the monitor's history. An explorer prunes a state
whose fingerprint it has seen; were the history left out, a state reached
once after a clean history and once after, say, a second leader of term 3
would look the same, the second visit would be pruned, and the violation
(election safety is about all time, not the present) would never be
reported. With the history in, pruning can only merge runs that the monitor
judges alike. The cost is fewer merged states; judging only invariants of
the present on hashed states was the alternative, and it cannot see the
history properties at all.

The harness knows its servers by id (``1..n``, then any :meth:`add_server`);
other processes may share the simulation — clients of the key-value store,
say — and every view of the cluster leaves them out.

::

    from ddia10.raft import RaftCluster
    c = RaftCluster(n=5, seed=1)
    c.run(1000)
    c.submit("x=1")
    c.run(100)
    c.applied(c.leader())       # ['x=1']
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..harness import FaultButtons
from ..sim import Simulation, SimulationTimeout, Trace, canonical
from ..validate import check_callable, check_int, check_known, check_number
from .invariants import RaftMonitor
from .messages import Configuration
from .node import RaftNode
from .options import RaftOptions
from .storage import DurableLog


@dataclass(frozen=True)
class ServerState:
    """What one server holds, as plain values. ``log`` lists the entries after
    ``snapshot_index`` (all of them when nothing was compacted).
    ``restored_index`` is where the state machine was last restored from a
    snapshot (0: never; see :meth:`RaftCluster.applied`). A crashed server
    shows ``role='crashed'`` and what it persisted."""

    role: str
    term: int
    voted_for: Hashable | None
    leader_id: Hashable | None
    log: list
    commit_index: int
    last_applied: int
    snapshot_index: int
    config: Configuration | None
    restored_index: int = 0


def leader_of(nodes: Mapping[Hashable, RaftNode]) -> Hashable | None:
    """The leader a client would find among ``nodes`` (running servers by id): the
    one leading the highest term, or ``None``. Two leaders of one term happen only
    when a safety rule is broken; then the lowest id counts. The harness and every
    player find the leader this way."""
    leaders = [(node.term, -pid if isinstance(pid, int) else 0, pid)
               for pid, node in nodes.items() if node.role == "leader"]
    return max(leaders)[2] if leaders else None


class RaftCluster(FaultButtons):
    """``n`` Raft servers on a simulated network.

    Network settings (``latency``, ``loss``, ``duplicate``, ``reorder``,
    ``fifo``) go to the simulation. Links are FIFO by default, as the TCP
    connections of real Raft implementations are: a follower gets a leader's
    pipelined AppendEntries in the order they were sent, unless ``reorder``
    holds some back (``fifo=False`` lets every message take its own time).
    Every other keyword is a :class:`RaftOptions` field
    (``election_timeout``, ``heartbeat_interval``, ``prevote``,
    ``check_quorum``, ``snapshot_threshold``, ``disk_latency``, the ``bug_*``
    switches, ...).
    ``node_class(options, voters)`` builds each server (a subclass of
    :class:`RaftNode`, or a factory returning one).
    """

    noun = "server"

    def __init__(
        self,
        n: int = 5,
        seed: int = 0,
        *,
        latency: Any = (1.0, 5.0),
        loss: float = 0.0,
        duplicate: float = 0.0,
        reorder: float = 0.0,
        fifo: bool = True,
        trace: bool = True,
        node_class: Callable[..., RaftNode] = RaftNode,
        check_every_event: bool = False,
        **options: Any,
    ) -> None:
        check_int("cluster size", n, min=1)
        unknown = set(options) - RaftOptions.names()
        if unknown:
            raise ValueError(f"unknown Raft option(s) {sorted(unknown)}; "
                             f"known: {sorted(RaftOptions.names())}")
        check_callable("node_class", node_class, what="a RaftNode subclass or factory")
        self.options = RaftOptions(**options)
        self.node_class = node_class
        self.check_every_event = bool(check_every_event)
        self.monitor = RaftMonitor()
        self.sim = Simulation(seed, latency=latency, loss=loss, duplicate=duplicate,
                              reorder=reorder, fifo=fifo, trace=trace,
                              observer=self.monitor.hear)
        self._servers: list[Hashable] = []
        voters = frozenset(range(1, n + 1))
        for pid in sorted(voters):
            self._add(pid, voters)

    def _add(self, pid: Hashable, voters: frozenset) -> None:
        def build() -> RaftNode:
            node = self.node_class(self.options, voters)
            if not isinstance(node, RaftNode):
                raise ValueError(f"node_class built {type(node).__name__}, not a RaftNode")
            return node

        self.sim.add(pid, build)
        self._servers.append(pid)

    # ---------------------------------------------------------------- looking
    @property
    def trace(self) -> Trace:
        return self.sim.trace

    @property
    def ids(self) -> list:
        """Every server id, running or not (other processes left out)."""
        return list(self._servers)

    def nodes(self) -> dict[Hashable, RaftNode]:
        """The running servers by id (to read, never to drive)."""
        return {pid: self.sim.process(pid) for pid in self._servers if self.sim.is_up(pid)}

    def node(self, i: Hashable) -> RaftNode:
        self._known(i)
        if not self.sim.is_up(i):
            raise ValueError(f"server {i!r} is crashed")
        return self.sim.process(i)

    def leader(self) -> Hashable | None:
        """The running server that leads the highest term, or ``None`` (see :func:`leader_of`)."""
        return leader_of(self.nodes())

    def state(self, i: Hashable) -> ServerState:
        self._known(i)
        if self.sim.is_up(i):
            node = self.sim.process(i)
            log = node.log
            return ServerState(node.role, node.term, node.voted_for, node.leader_id,
                               list(log.entries), node.commit_index, node.last_applied,
                               log.snapshot_index, node.config, node.restored_index)
        stable = self.sim.storage(i)
        _snapshot, log, _durable = DurableLog.load(stable)
        return ServerState("crashed", stable.get("term", 0), stable.get("voted_for"), None,
                           list(log.entries), 0, 0, log.snapshot_index, None)

    def applied(self, i: Hashable) -> list:
        """The client commands server ``i`` has applied, in order, whatever its
        node class (the server records each before its state machine sees it).

        A snapshot (§7) holds a state, not the commands that made it. So after
        server ``i`` restored one — InstallSnapshot, or a restart — this lists
        only the commands it applied after ``state(i).restored_index``; the
        default state machine is the exception, since its state *is* this list.
        """
        return self.node(i).applied_commands

    def check_invariants(self) -> None:
        """Raise :class:`~ddia10.raft.InvariantViolation` if any safety property
        failed, durability included (what each server would reload is what it holds)."""
        nodes = self.nodes()
        self.monitor.check(nodes, {pid: self.sim.stored(pid) for pid in nodes})

    def snapshot(self) -> Any:
        """The whole cluster: its world (:meth:`Simulation.snapshot`) and what the
        safety monitor has heard so far, which the world's snapshot leaves out."""
        return self.sim.snapshot(), copy.deepcopy(self.monitor)

    def restore(self, snap: Any) -> None:
        """Return to :meth:`snapshot`, monitor included, so a run that branches
        from here is judged on its own history, not on the abandoned one's."""
        world, monitor = snap
        self.sim.restore(world)
        self.monitor = copy.deepcopy(monitor)
        self.sim.observe(self.monitor.hear)

    def fingerprint(self) -> int:
        """A hash of the world's state (:meth:`Simulation.fingerprint`) and of the
        history the monitor has heard: two states with the same fingerprint are
        the same to the protocol and to every safety check (see the module
        docstring for why the history is in)."""
        return hash((self.sim.fingerprint(), canonical(self.monitor.fingerprint())))

    # ---------------------------------------------------------------- time
    def run(self, ms: float) -> None:
        """Advance simulated time by ``ms``."""
        check_number("run time", ms, min=0, unit="ms")
        if not self.check_every_event:
            self.sim.run(ms)
            return
        done = []
        self.sim.after(ms, lambda sim: done.append(True), "end of run")
        while not done:
            self.sim.step()
            self.check_invariants()

    def run_until(self, predicate: Callable[[RaftCluster], bool], timeout_ms: float) -> float:
        """Run until ``predicate(cluster)`` holds; the time it first held.
        Raises :class:`~ddia10.sim.SimulationTimeout` after ``timeout_ms``."""
        check_number("timeout", timeout_ms, min=0, unit="ms")
        if not self.check_every_event:
            return self.sim.run_until(lambda sim: predicate(self), timeout_ms)
        done = []
        self.sim.after(timeout_ms, lambda sim: done.append(True), "timeout")
        while not predicate(self):
            if done:
                raise SimulationTimeout(f"condition not reached within {timeout_ms:g} ms "
                                        f"of simulated time (now={self.sim.now:g})")
            self.sim.step()
            self.check_invariants()
        return self.sim.now

    def wait_for_leader(self, timeout_ms: float = 5000) -> Hashable:
        """Run until some server leads; its id."""
        self.run_until(lambda c: c.leader() is not None, timeout_ms)
        return self.leader()

    # ---------------------------------------------------------------- clients
    def submit(self, command: Any, node: Hashable | None = None) -> tuple[int, int] | None:
        """Propose ``command`` at ``node`` (default: the current leader):
        ``(index, term)``, or ``None`` if that server does not lead."""
        if node is None:
            node = self.leader()
            if node is None:
                return None
        return self._call(node, lambda proc, ctx: proc.propose(ctx, command))

    def agree(self, command: Any, servers: int | None = None, timeout_ms: float = 5000) -> int:
        """Get ``command`` applied by ``servers`` servers (default: all), proposing
        it again whenever the leader that took it lost it; its log index.

        This is a client's patience, not protocol: the harness keeps asking
        whichever server leads, as the lab tests of MIT 6.5840 do."""
        need = len(self.ids) if servers is None else servers
        check_int("servers", need, min=1, max=len(self.ids))
        placed: list = []

        def applied_enough(c: RaftCluster) -> bool:
            nodes = c.nodes()
            if placed:
                index, term = placed[-1]
                count = sum(1 for n in nodes.values() if n.last_applied >= index
                            and _holds(n.log, index, term))
                if count >= need:
                    return True
            leader = c.leader()
            if leader is not None and (
                not placed or not _holds(nodes[leader].log, *placed[-1])
                and nodes[leader].term > placed[-1][1]
            ):
                placed.append(c.submit(command, node=leader))
            return False

        self.run_until(applied_enough, timeout_ms)
        return placed[-1][0]

    def campaign(self, i: Hashable) -> None:
        """Make server ``i`` start an election now (for scripted scenarios)."""
        self._call(i, lambda proc, ctx: proc.campaign(ctx))

    def change_membership(self, voters: Iterable[Hashable], learners: Iterable[Hashable] = (),
                          *, joint: bool | None = None) -> tuple[int, int] | None:
        """Propose a new configuration at the leader (see :meth:`RaftNode.propose_config`)."""
        voters, learners = list(voters), list(learners)
        for pid in voters + learners:
            self._known(pid)
        leader = self.leader()
        if leader is None:
            return None
        return self._call(leader, lambda proc, ctx: proc.propose_config(ctx, voters, learners,
                                                                         joint=joint))

    def add_voter(self, i: Hashable, timeout_ms: float = 5000) -> None:
        """Grow the cluster by one voter the safe way (thesis §4.2.1): start
        server ``i`` empty, add it as a learner, wait until it has applied
        everything the leader had committed, then promote it in a single-server
        change — so the new voter never holds back commitment while it catches up."""
        self.add_server(i)
        config = self.state(self.wait_for_leader(timeout_ms)).config
        self._change(sorted(config.voters, key=repr), sorted(config.learners | {i}, key=repr),
                     timeout_ms)
        target = self.state(self.leader()).commit_index
        self.run_until(lambda c: c.state(i).last_applied >= target, timeout_ms)
        config = self.state(self.leader()).config
        self._change(sorted(config.voters | {i}, key=repr),
                     sorted(config.learners - {i}, key=repr), timeout_ms)

    def _change(self, voters: list, learners: list, timeout_ms: float) -> None:
        """Propose a configuration (retrying while another is pending) until it is in force."""
        wanted = Configuration(voters, learners)

        def in_force(c: RaftCluster) -> bool:
            leader = c.leader()
            if leader is None:
                return False
            node = c.node(leader)
            if node.config == wanted and not node._config_pending():
                return True
            if node.config != wanted:
                c.change_membership(voters, learners)
            return False

        self.run_until(in_force, timeout_ms)

    def add_server(self, i: Hashable) -> None:
        """Start a new, empty server ``i`` outside the configuration; it learns
        the log once a configuration names it (as a learner, first)."""
        if i in self.sim.pids:
            kind = "server" if i in self._servers else "process"
            raise ValueError(f"{kind} {i!r} already exists")
        self._add(i, frozenset())

    # ---------------------------------------------------------------- helpers
    def _known(self, i: Hashable) -> None:
        check_known("server id", i, self._servers)

    def _call(self, i: Hashable, fn: Callable[..., Any]) -> Any:
        self._known(i)
        if not self.sim.is_up(i):
            raise ValueError(f"server {i!r} is crashed")
        return self.sim.call(i, fn)

    def __repr__(self) -> str:
        parts = []
        for pid in self.ids:
            s = self.state(pid)
            role = "X" if s.role == "crashed" else s.role[0].upper()
            parts.append(f"{pid}:{role}t{s.term}/{len(s.log) + s.snapshot_index}"
                         f"c{s.commit_index}")
        return f"RaftCluster(t={self.sim.now:g} {' '.join(parts)})"


def _holds(log: Any, index: int, term: int) -> bool:
    """Does ``log`` hold entry ``index`` of ``term`` (or has it compacted it as committed)?"""
    return index <= log.snapshot_index or log.term_at(index) == term
