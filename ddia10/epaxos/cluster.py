"""EPaxos replicas in a simulated world, with their monitor, and a workload.

:class:`EPaxosCluster` has the shape of the other harnesses (``submit``,
``applied``; :class:`~ddia10.harness.Harness` for time, faults and
snapshots), with one difference that is the point of EPaxos: there is no
leader, so :meth:`EPaxosCluster.leader` is always ``None`` and a command goes
to whichever replica the client is next to.

:func:`conflict_workload` draws commands of which a chosen fraction touch one
shared key, the knob of every EPaxos experiment.
"""

from __future__ import annotations

import random
from collections.abc import Hashable
from typing import Any

from ..harness import Harness
from ..validate import check_int, check_probability, check_str
from .invariants import EPaxosMonitor
from .messages import COMMITTED, NO_OP, InstanceId
from .options import EPaxosOptions, check_epaxos_size
from .replica import EPaxosReplica


class EPaxosCluster(Harness):
    """``n`` EPaxos replicas ``1..n`` (``n`` odd). Network settings go to the
    simulation; every other keyword is an :class:`~ddia10.epaxos.EPaxosOptions` field."""

    def __init__(self, n: int = 5, seed: int = 0, *, latency: Any = (1.0, 5.0),
                 loss: float = 0.0, duplicate: float = 0.0, reorder: float = 0.0,
                 trace: bool = True, check_every_event: bool = False, **options: Any) -> None:
        unknown = set(options) - EPaxosOptions.names()
        if unknown:
            raise ValueError(f"unknown EPaxos option(s) {sorted(unknown)}; "
                             f"known: {sorted(EPaxosOptions.names())}")
        self.options = EPaxosOptions(**options)
        self.fast_quorum = self.options.fast_quorum_for(check_epaxos_size(n))
        super().__init__(n, seed, lambda pid, ids: EPaxosReplica(pid, ids, self.options),
                         EPaxosMonitor(), latency=latency, loss=loss, duplicate=duplicate,
                         reorder=reorder, trace=trace, check_every_event=check_every_event)

    def leader(self) -> None:
        """EPaxos has no leader: every replica leads the commands it receives."""
        return None

    def wait_for_leader(self, timeout_ms: float = 5000) -> Hashable:
        """The replica that leads a command given without a replica (the running one
        with the lowest id, as :meth:`submit` picks): EPaxos has nothing to wait for."""
        running = [pid for pid in self.ids if self.sim.is_up(pid)]
        if not running:
            raise ValueError("every replica is crashed")
        return running[0]

    def submit(self, cmd: Any, node: Hashable | None = None) -> InstanceId:
        """Give ``cmd`` to replica ``node`` (default: the running replica with the
        lowest id), which leads it: its instance id."""
        if node is None:
            node = self.wait_for_leader()
        hash(cmd)
        return self._call(node, lambda replica, ctx: replica.propose(ctx, cmd))

    def applied(self, pid: Hashable) -> list:
        """The client commands replica ``pid`` has executed, in order (since it last
        started); the no-ops of recovery are left out."""
        replica = self.node(pid)
        return [cmd for cmd in (replica.instances[i].cmd for i in replica.order)
                if cmd != NO_OP]

    def committed(self, pid: Hashable) -> dict:
        """Instance -> ``(cmd, seq, deps)`` for every instance ``pid`` has committed."""
        replica = self.node(pid)
        return {i: (r.cmd, r.seq, r.deps) for i, r in sorted(replica.instances.items())
                if r.status == COMMITTED}

    def recover(self, pid: Hashable, instance: InstanceId) -> None:
        """Make replica ``pid`` recover ``instance`` now (explicit prepare)."""
        if not (isinstance(instance, tuple) and len(instance) == 2):
            raise ValueError(f"an instance is a (replica, number) pair, got {instance!r}")
        self._known(instance[0])
        self._call(pid, lambda replica, ctx: replica.recover(ctx, instance))

    def paths(self) -> dict:
        """How many of their own commands the replicas committed on the ``fast`` and
        on the ``slow`` path so far."""
        return {"fast": self.monitor.paths.get("fast", 0),
                "slow": self.monitor.paths.get("slow", 0)}

    def __repr__(self) -> str:
        parts = []
        for pid in self.ids:
            if not self.sim.is_up(pid):
                parts.append(f"{pid}:X")
                continue
            r = self.sim.process(pid)
            done = sum(x.status == COMMITTED for x in r.instances.values())
            parts.append(f"{pid}:c{done}/x{len(r.order)}")
        return f"EPaxosCluster(t={self.sim.now:g} {' '.join(parts)})"


def conflict_workload(count: int, conflict_rate: float, *, seed: int = 0,
                      hot_key: str = "hot", prefix: str = "key") -> list[tuple]:
    """``count`` commands ``("set", key, i)``: with probability ``conflict_rate``
    on ``hot_key``, which they all share, else on a key of their own
    (``prefix`` and the command's number: give each client its own prefix).
    Two commands on the hot key interfere if they are in flight together."""
    check_int("count", count, min=0)
    check_probability("conflict_rate", conflict_rate)
    check_str("hot_key", hot_key)
    check_str("prefix", prefix)
    rng = random.Random(f"ddia10:epaxos-workload:{seed}")
    return [("set", hot_key if rng.random() < conflict_rate else f"{prefix}{i}", i)
            for i in range(count)]
