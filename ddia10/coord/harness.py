"""The service in a simulated world: replicas, clients, a fenced resource, the monitors.

:class:`CoordCluster` builds ``n`` :class:`~ddia10.coord.server.CoordServer`
replicas (numbered ``1..n``) on a :class:`~ddia10.raft.RaftCluster`, lets a
scenario add client processes (any :class:`~ddia10.coord.client.CoordClient`,
the recipes included) and :class:`~ddia10.coord.fencing.FencedResource`
processes, and hands every reported fact to the right monitor: Raft's to the
:class:`~ddia10.raft.RaftMonitor`, the service's to the
:class:`~ddia10.coord.invariants.CoordMonitor`. A broken promise stops the
run and is kept in :attr:`CoordCluster.violation`.

The replicas run with CheckQuorum and PreVote on, as etcd does: a leader that
has lost its majority steps down within an election timeout, which is what
lets leases run on the leader's clock.

For a notebook cell, :meth:`CoordCluster.request` runs one operation to its
answer::

    svc = CoordCluster(seed=1)
    svc.request(Put("/config", "v1"))      # WriteResult(revision=2, deleted=0)
    svc.request(Range("/config")).kvs      # (KeyValue('/config', 'v1', 2, 2, 1, 0),)
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from ..invariants import InvariantViolation
from ..linearizability import CheckResult, History, check, history_from_trace
from ..raft import RaftCluster
from ..raft.invariants import RAFT_FACTS
from ..sim import SimulationTimeout
from ..sim.faults import Fault, apply_fault
from ..validate import check_instance, check_int, check_number, check_pid
from .client import CoordClient
from .errors import CoordError
from .fencing import FencedResource
from .invariants import CoordMonitor
from .server import CoordOptions, CoordServer

CALLER = "app"
"""The client that :meth:`CoordCluster.request` sends through."""


class _Caller(CoordClient):
    """A client with no program of its own: it keeps every answer it gets."""

    def __init__(self, servers: Sequence[Hashable], **options: Any) -> None:
        super().__init__(servers, **options)
        self.answers: dict[int, Any] = {}

    def answered(self, ctx: Any, outcome: Any, sent: float) -> None:
        self.answers[len(self.answers) + 1] = outcome


class CoordCluster:
    """``n`` replicas of the service on a simulated network, seeded by ``seed``.

    ``coord`` are the service's options; ``strict=False`` keeps the service's
    violations in ``monitor.violations`` instead of stopping the run (to show
    what a missing rule does). Network settings and Raft options go to
    :class:`~ddia10.raft.RaftCluster` (CheckQuorum and PreVote default to on).
    """

    def __init__(self, n: int = 3, seed: int = 0, *, coord: CoordOptions | None = None,
                 strict: bool = True, latency: Any = (1.0, 5.0), **options: Any) -> None:
        check_int("cluster size", n, min=1)
        options.setdefault("check_quorum", True)
        options.setdefault("prevote", True)
        self.cluster = RaftCluster(n, seed, node_class=CoordServer.factory(coord),
                                   latency=latency, **options)
        self.sim = self.cluster.sim
        self.servers = list(self.cluster.ids)
        self.monitor = CoordMonitor(strict)
        self.sim.observe(self._hear)
        self.violation: InvariantViolation | None = None

    def _hear(self, fact: Any) -> None:
        """The world's observer: Raft's facts to Raft's monitor, the rest to ours."""
        if isinstance(fact, RAFT_FACTS):
            self.cluster.monitor.hear(fact)
        else:
            self.monitor.hear(fact)

    # ---------------------------------------------------------------- processes
    def add_client(self, pid: Hashable, cls: Callable[..., CoordClient] = CoordClient,
                   **options: Any) -> None:
        """Start client process ``pid``: ``cls(servers, **options)``, a
        :class:`~ddia10.coord.client.CoordClient` or a recipe."""
        check_pid("client id", pid)
        self.sim.add(pid, functools.partial(cls, self.servers, **options))

    def add_resource(self, pid: Hashable = "db", *, fencing: bool = True) -> None:
        """Start a :class:`~ddia10.coord.fencing.FencedResource` named ``pid``."""
        check_pid("resource id", pid)
        self.sim.add(pid, functools.partial(FencedResource, fencing))

    def process(self, pid: Hashable) -> Any:
        """A running process (to read its state)."""
        return self.sim.process(pid)

    def leader(self) -> Hashable | None:
        return self.cluster.leader()

    def store(self, server: Hashable) -> Any:
        """Replica ``server``'s store (to read)."""
        return self.cluster.node(server).store

    # ---------------------------------------------------------------- running
    def run(self, ms: float) -> None:
        """Advance ``ms``; a broken invariant stops the run and is kept."""
        check_number("run time", ms, min=0, unit="ms")
        if self.violation is None:
            try:
                self.sim.run(ms)
            except InvariantViolation as violation:
                self.violation = violation

    def run_until(self, predicate: Callable[[CoordCluster], bool], timeout_ms: float) -> bool:
        """Run until ``predicate(self)`` holds; False on timeout or a violation."""
        if self.violation is not None:
            return False
        try:
            self.sim.run_until(lambda sim: predicate(self), timeout_ms)
        except SimulationTimeout:
            return False
        except InvariantViolation as violation:
            self.violation = violation
            return False
        return True

    def request(self, op: Any, *, timeout_ms: float = 5000.0,
                server: Hashable | None = None) -> Any:
        """Send ``op`` through the client :data:`CALLER` (started on first use) and
        run until it is answered: the result. Raises the service's
        :class:`~ddia10.coord.errors.CoordError`, or ``TimeoutError`` when no
        answer came within ``timeout_ms`` (no leader, say: the client keeps
        trying)."""
        if CALLER not in self.sim.pids:
            self.sim.add(CALLER, functools.partial(_Caller, self.servers))
        caller = self.sim.process(CALLER)
        wanted = len(caller.answers) + 1
        self.sim.call(CALLER, lambda c, ctx: c.call(ctx, op, "answered", server=server))
        if not self.run_until(lambda c: wanted in caller.answers, timeout_ms):
            if self.violation is not None:
                raise self.violation
            caller.forget_calls()
            raise TimeoutError(f"no answer to {op!r} within {timeout_ms:g} ms")
        outcome = caller.answers[wanted]
        if isinstance(outcome, CoordError):
            raise outcome
        return outcome

    # ---------------------------------------------------------------- faults
    def crash(self, server: Hashable) -> None:
        self.cluster.crash(server)

    def restart(self, server: Hashable) -> None:
        self.cluster.restart(server)

    def pause(self, pid: Hashable) -> None:
        """Freeze ``pid`` (a replica or a client): its clock runs on, its events wait."""
        self.sim.pause(pid)

    def resume(self, pid: Hashable) -> None:
        self.sim.resume(pid)

    def schedule(self, faults: Sequence[Fault]) -> None:
        """Schedule each fault at its time (relative to now)."""
        start = self.sim.now
        for f in faults:
            check_instance("fault", f, Fault)
            self.sim.at(start + f.time, lambda sim, f=f: apply_fault(sim, f), f"{f.kind}")

    def recover(self) -> None:
        """Heal the network, resume every paused process, restart every crashed replica."""
        self.sim.heal()
        for pid in self.sim.pids:
            if self.sim.is_up(pid) and self.sim.is_paused(pid):
                self.sim.resume(pid)
        for pid in self.servers:
            if not self.sim.is_up(pid):
                self.cluster.restart(pid)

    # ---------------------------------------------------------------- judging
    def check_invariants(self) -> None:
        """Raft's five properties now (the service's are checked as facts arrive)."""
        self.cluster.check_invariants()

    def history(self, clients: Sequence[Hashable] | None = None,
                until: float | None = None) -> History:
        """The recorded operations (a ``kv`` history for the checker)."""
        return history_from_trace(self.sim.trace, "kv", clients=clients, until=until)

    def check_linearizable(self, until: float | None = None,
                           timeout_s: float | None = None) -> CheckResult:
        return check(self.history(until=until), timeout_s=timeout_s)
