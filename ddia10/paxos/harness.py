"""Paxos in a simulated world, with its safety monitor attached.

Two harnesses, one shape (the shape of :class:`~ddia10.raft.RaftCluster`):

- :class:`SingleDecree` — proposers ``P1..Pn``, acceptors ``A1..Am`` and pure
  learners ``L1..Lk`` (every proposer learns too) agreeing on one value.
- :class:`MultiPaxos` — servers ``1..n``, each proposer, acceptor and learner,
  agreeing on a log of client commands.

Processes report what they do (a proposal, a vote, a value learned) to the
world, which hands the facts to the harness's :class:`PaxosMonitor`. The
monitor keeps the whole history, so :meth:`check_invariants` at any moment
judges every event so far. :meth:`snapshot`, :meth:`restore` and
:meth:`fingerprint` take the monitor along with the world, so an explorer
that branches from a state judges each branch on its own history.

::

    from ddia10.paxos import SingleDecree
    p = SingleDecree(proposers=2, acceptors=3, seed=0)
    p.propose("P1", "red")
    p.run(50)
    p.chosen(), p.learned("P2")     # ('red', 'red')
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from ..harness import FaultButtons
from ..sim import Process, Simulation, Trace
from ..validate import check_int, check_known, check_number
from .invariants import PaxosMonitor
from .multi import LEADER, MultiPaxosNode, MultiPaxosOptions
from .node import Cast, PaxosNode
from .options import PaxosOptions


class _Harness(FaultButtons):
    """What both harnesses share: the world, the monitor, time, faults, snapshots."""

    def __init__(self, ids: list, quorum: int, seed: int, network: dict, trace: bool) -> None:
        self._ids = ids
        self.monitor = PaxosMonitor(quorum)
        self.sim = Simulation(seed, trace=trace, observer=self.monitor.hear, **network)
        for pid in ids:
            self.sim.add(pid, self._factory(pid))

    def _factory(self, pid: Hashable) -> Callable[[], Process]:
        raise NotImplementedError

    @property
    def trace(self) -> Trace:
        return self.sim.trace

    @property
    def ids(self) -> list:
        """Every process of the protocol, in a fixed order."""
        return list(self._ids)

    def node(self, pid: Hashable) -> Any:
        """The running process ``pid`` (to read, never to drive)."""
        self._known(pid)
        if not self.sim.is_up(pid):
            raise ValueError(f"process {pid!r} is crashed")
        return self.sim.process(pid)

    def check_invariants(self) -> None:
        """Raise :class:`~ddia10.paxos.InvariantViolation` if any safety property failed
        at any moment so far (the monitor keeps the whole history)."""
        self.monitor.check()

    # ---------------------------------------------------------------- time
    def run(self, ms: float) -> None:
        """Advance simulated time by ``ms``."""
        self.sim.run(check_number("run time", ms, min=0, unit="ms"))

    def run_until(self, predicate: Callable[[Any], bool], timeout_ms: float) -> float:
        """Run until ``predicate(self)`` holds; the time it first held.
        Raises :class:`~ddia10.sim.SimulationTimeout` after ``timeout_ms``."""
        check_number("timeout", timeout_ms, min=0, unit="ms")
        return self.sim.run_until(lambda sim: predicate(self), timeout_ms)

    def _known(self, pid: Hashable) -> None:
        check_known("process id", pid, self._ids)

    # ---------------------------------------------------------------- exploration
    def snapshot(self) -> Any:
        """The world and everything the monitor heard (see the module docstring)."""
        return self.sim.snapshot(), self.monitor.state()

    def restore(self, snap: Any) -> None:
        """Return to :meth:`snapshot`, monitor included."""
        world, heard = snap
        self.sim.restore(world)
        self.monitor.restore(heard)

    def fingerprint(self) -> Any:
        """The world's fingerprint and the monitor's history: two states with the
        same fingerprint are the same to the protocol and to every safety check."""
        return hash((self.sim.fingerprint(), self.monitor.state()))


class SingleDecree(_Harness):
    """``proposers`` proposers and ``acceptors`` acceptors agreeing on one value.

    Network settings (``latency``, ``loss``, ``duplicate``, ``reorder``) go to
    the simulation; every other keyword is a :class:`PaxosOptions` field
    (``retry_timeout``, ``backoff``, ``thrifty``, ``max_rounds``,
    ``bug_ignore_accepted``).
    """

    def __init__(
        self,
        proposers: int = 2,
        acceptors: int = 3,
        seed: int = 0,
        *,
        learners: int = 0,
        latency: Any = (1.0, 5.0),
        loss: float = 0.0,
        duplicate: float = 0.0,
        reorder: float = 0.0,
        trace: bool = True,
        **options: Any,
    ) -> None:
        check_int("proposers", proposers, min=1)
        check_int("acceptors", acceptors, min=1)
        check_int("learners", learners, min=0)
        self.options = _options(PaxosOptions, "Paxos", options)
        proposer_ids = tuple(f"P{i}" for i in range(1, proposers + 1))
        self.cast = Cast(
            proposers=proposer_ids,
            acceptors=tuple(f"A{i}" for i in range(1, acceptors + 1)),
            learners=proposer_ids + tuple(f"L{i}" for i in range(1, learners + 1)),
        )
        ids = list(dict.fromkeys(self.cast.proposers + self.cast.acceptors + self.cast.learners))
        self._message_hashes: dict = {}  # id(message) -> (message, hash): see reduced_fingerprint
        super().__init__(ids, self.cast.quorum, seed,
                         dict(latency=latency, loss=loss, duplicate=duplicate, reorder=reorder),
                         trace)

    def _factory(self, pid: Hashable) -> Callable[[], PaxosNode]:
        return lambda: PaxosNode(pid, self.cast, self.options)

    def chosen(self) -> Any:
        """The value chosen so far (a majority accepted it in one ballot), or ``None``.
        Raises :class:`~ddia10.paxos.InvariantViolation` if two values were."""
        self.check_invariants()
        values = self.monitor.chosen_values()
        return next(iter(values)) if values else None

    def learned(self, pid: Hashable) -> Any:
        """The value learner ``pid`` has learned, or ``None``."""
        if pid not in self.cast.learners:
            raise KeyError(f"{pid!r} is not a learner; learners are {list(self.cast.learners)}")
        learned = self.node(pid).learned
        return learned[0] if learned else None

    def propose(self, proposer: Hashable, value: Any) -> None:
        """Ask ``proposer`` to get ``value`` chosen."""
        if proposer not in self.cast.proposers:
            raise KeyError(f"{proposer!r} is not a proposer; proposers are "
                           f"{list(self.cast.proposers)}")
        if value is None:
            raise ValueError("a proposed value cannot be None")
        _check_hashable("a proposed value", value)
        self.sim.call(proposer, lambda proc, ctx: proc.propose(ctx, value))

    def reduced_fingerprint(self) -> int:
        """A fingerprint that merges states no safety check can tell apart, so an
        explorer visits one of each family. Two reductions, both sound:

        **Dead messages are left out.** A message its receiver will ignore
        whenever it arrives (:meth:`PaxosNode.ignores`: a promise for a round
        the proposer has left, a refusal to a proposer with no rounds left)
        changes nothing when delivered, so a state with it in flight has the
        same futures as the state without it.

        **Acceptors are anonymous (symmetry).** Two states that differ only by
        a renaming of acceptors hash alike.

        Acceptors are interchangeable here: every proposer sends to all of them
        and counts them as a set, and nothing an acceptor holds or says names
        another one. An acceptor's id appears only in its own process, storage
        and messages, in the proposers' sets of promisers, in the learners'
        sets of Accepted heard and in the monitor's votes. So each acceptor is
        summed up by a signature holding all of those, and the state by the
        sorted signatures beside everything else with acceptor ids left out:
        equal fingerprints mean equal states up to a renaming (and a 64-bit
        hash). Not with ``thrifty``, which picks acceptors by their order.

        A running process's storage holds nothing its state does not (a Paxos
        process persists exactly its promise, what it accepted and its ballot),
        so only a crashed process's storage is hashed."""
        if self.options.thrifty:
            raise ValueError("thrifty proposers pick acceptors by order: they are not "
                             "interchangeable, so there is no acceptor symmetry to use")
        sim, acceptors = self.sim, self.cast.acceptors
        up, paused, timers = sim.running(), sim.paused(), sim.timers()
        about: dict = {a: [] for a in acceptors}  # all that names acceptor a, but a itself
        others = []
        hashes = self._message_hashes
        if len(hashes) > 1_000_000:
            hashes.clear()
        for src, dst, msg in sim.wire():
            if dst in up and up[dst].ignores(src, msg):
                continue
            cached = hashes.get(id(msg))
            if cached is None or cached[0] is not msg:
                cached = hashes[id(msg)] = (msg, hash(msg))
            if dst in about:
                about[dst].append(hash(("from", src, cached[1])))
            elif src in about:
                about[src].append(hash(("to", dst, cached[1])))
            else:
                others.append(hash((src, dst, cached[1])))
        rest = []
        for pid, node in up.items():
            if pid in about:
                continue
            rest.append((pid, node.fingerprint_without_acceptors()))
            for a in node.promised_by:
                about[a].append(hash(("promised", pid)))
            for ballot, value, a in node.heard:
                about[a].append(hash(("heard by", pid, ballot, value)))
        for slot, ballot, value, a in self.monitor.votes:
            about[a].append(hash(("voted", slot, ballot, value)))
        for pid, name in timers:
            if pid in about:
                about[pid].append(hash(("timer", name)))
        signatures = sorted(
            hash((up[a].fingerprint() if a in up else frozenset(sim.stored(a).items()),
                  a in paused, tuple(sorted(about[a]))))
            for a in acceptors)
        stored = tuple((p, frozenset(sim.stored(p).items())) for p in self.ids
                       if p not in up and p not in about)
        proposed, _votes, chosen, learned = self.monitor.state()
        return hash((tuple(rest), paused - set(acceptors), stored, tuple(sorted(others)),
                     frozenset(k for k in timers if k[0] not in about), proposed, chosen,
                     learned, tuple(signatures)))

    def __repr__(self) -> str:
        chosen = self.monitor.chosen_values()
        return (f"SingleDecree(t={self.sim.now:g}, {len(self.cast.proposers)} proposers, "
                f"{len(self.cast.acceptors)} acceptors, chosen={sorted(chosen, key=repr)})")


class MultiPaxos(_Harness):
    """``n`` Multi-Paxos servers ``1..n`` replicating a log of client commands.

    Network settings go to the simulation, every other keyword is a
    :class:`MultiPaxosOptions` field. The names follow
    :class:`~ddia10.raft.RaftCluster` (``leader``, ``submit``, ``applied``),
    so one measurement runs on either.
    """

    def __init__(
        self,
        n: int = 5,
        seed: int = 0,
        *,
        latency: Any = (1.0, 5.0),
        loss: float = 0.0,
        duplicate: float = 0.0,
        reorder: float = 0.0,
        trace: bool = True,
        **options: Any,
    ) -> None:
        check_int("cluster size", n, min=1)
        self.options = _options(MultiPaxosOptions, "Multi-Paxos", options)
        self.servers = tuple(range(1, n + 1))
        super().__init__(list(self.servers), n // 2 + 1, seed,
                         dict(latency=latency, loss=loss, duplicate=duplicate, reorder=reorder),
                         trace)

    def _factory(self, pid: Hashable) -> Callable[[], MultiPaxosNode]:
        return lambda: MultiPaxosNode(pid, self.servers, self.options)

    def leader(self) -> Hashable | None:
        """The running server that leads the highest ballot, or ``None``."""
        leading = [(node.ballot, pid) for pid in self.servers if self.sim.is_up(pid)
                   for node in [self.sim.process(pid)] if node.role == LEADER]
        return max(leading)[1] if leading else None

    def wait_for_leader(self, timeout_ms: float = 5000) -> Hashable:
        """Run until some server leads; its id."""
        self.run_until(lambda h: h.leader() is not None, timeout_ms)
        return self.leader()

    def submit(self, command: Any, node: Hashable | None = None) -> int | None:
        """Propose ``command`` at ``node`` (default: the leader): its slot, or
        ``None`` if that server does not lead."""
        _check_hashable("a command", command)
        if node is None:
            node = self.leader()
            if node is None:
                return None
        self._known(node)
        return self.sim.call(node, lambda proc, ctx: proc.submit(ctx, command))

    def applied(self, pid: Hashable) -> list:
        """The client commands server ``pid`` has applied, in log order."""
        return self.node(pid).applied_commands

    def check_invariants(self) -> None:
        """The monitor's properties, and every running server's applied log is
        the chosen values of slots ``1, 2, ...`` in order (no slot skipped)."""
        super().check_invariants()
        self.monitor.check_applied({pid: self.sim.process(pid).log for pid in self.servers
                                    if self.sim.is_up(pid)})

    def __repr__(self) -> str:
        parts = []
        for pid in self.servers:
            if not self.sim.is_up(pid):
                parts.append(f"{pid}:X")
                continue
            node = self.sim.process(pid)
            parts.append(f"{pid}:{node.role[0].upper()}b{node.ballot}/{node.last_applied}")
        return f"MultiPaxos(t={self.sim.now:g} {' '.join(parts)})"


def _options(cls: type, protocol: str, options: dict) -> Any:
    unknown = set(options) - cls.names()
    if unknown:
        raise ValueError(f"unknown {protocol} option(s) {sorted(unknown)}; "
                         f"known: {sorted(cls.names())}")
    return cls(**options)


def _check_hashable(name: str, value: Any) -> None:
    try:
        hash(value)
    except TypeError:
        raise ValueError(f"{name} must be hashable, got {value!r}") from None
