"""A ZooKeeper-like ensemble of ZAB servers in a simulated world, its monitor attached.

:class:`ZabCluster` follows the shape of :class:`~ddia10.raft.RaftCluster`
(``leader``, ``submit``, ``applied``), so one measurement runs on either;
the common part (time, faults, snapshots, the monitor) is
:class:`~ddia10.harness.Harness`'s.

::

    from ddia10.zab import ZabCluster
    z = ZabCluster(n=3, seed=1)
    z.wait_for_leader()
    z.submit(("set", "x", 1))
    z.run(50)
    z.applied(1)          # [('set', 'x', 1)]
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from ..harness import Harness
from .invariants import ZabMonitor
from .messages import LEADING
from .options import ZabOptions
from .server import BROADCAST, ZabServer


class ZabCluster(Harness):
    """``n`` ZAB servers ``1..n``. Network settings go to the simulation; every
    other keyword is a :class:`~ddia10.zab.ZabOptions` field."""

    def __init__(self, n: int = 5, seed: int = 0, *, latency: Any = (1.0, 5.0),
                 loss: float = 0.0, duplicate: float = 0.0, reorder: float = 0.0,
                 trace: bool = True, check_every_event: bool = False, **options: Any) -> None:
        unknown = set(options) - ZabOptions.names()
        if unknown:
            raise ValueError(f"unknown ZAB option(s) {sorted(unknown)}; "
                             f"known: {sorted(ZabOptions.names())}")
        self.options = ZabOptions(**options)
        super().__init__(n, seed, lambda pid, ids: ZabServer(pid, ids, self.options),
                         ZabMonitor(), latency=latency, loss=loss, duplicate=duplicate,
                         reorder=reorder, trace=trace, check_every_event=check_every_event)

    def leader(self) -> Hashable | None:
        """The running server that leads the highest epoch it has established, or ``None``."""
        leading = [(node.epoch, pid) for pid, node in self.nodes().items()
                   if node.state == LEADING and node.phase == BROADCAST]
        return max(leading)[1] if leading else None

    def submit(self, txn: Any, node: Hashable | None = None) -> int | None:
        """A client's write at ``node`` (default: the leader): its zxid if that
        server leads, else ``None`` (a follower forwards it to its leader)."""
        if node is None:
            node = self.leader()
            if node is None:
                return None
        return self._call(node, lambda server, ctx: server.write(ctx, txn))

    def applied(self, pid: Hashable) -> list:
        """The transactions server ``pid`` has delivered, in order (since its state
        machine last started)."""
        node = self.node(pid)
        return [txn for _zxid, txn in node.history[: node.delivered]]

    def read(self, pid: Hashable, key: Hashable) -> Any:
        """A local read of ``key`` at server ``pid``: whatever it has delivered."""
        return self.node(pid).read(key)

    def sync_read(self, pid: Hashable, key: Hashable, timeout_ms: float = 1000) -> Any:
        """``sync`` then read ``key`` at server ``pid``, running the world until the
        answer comes: the value."""
        request = self._call(pid, lambda server, ctx: server.sync_read(ctx, key))
        if request is None:
            raise ValueError(f"server {pid!r} serves no reads now (it is not synchronized)")
        answers: list = []

        def answered(z: ZabCluster) -> bool:
            answers[:] = [e.data["value"] for e in z.trace.of_kind("return")
                          if e.pid == pid and e.data.get("request") == request]
            return bool(answers)

        self.run_until(answered, timeout_ms)
        return answers[0]

    def elect(self, pid: Hashable) -> None:
        """Make server ``pid`` lead now, skipping the election (for scripted
        scenarios: discovery and synchronization still decide what it may do)."""
        self._call(pid, lambda server, ctx: server.stand(ctx))

    def __repr__(self) -> str:
        parts = []
        for pid in self.ids:
            if not self.sim.is_up(pid):
                parts.append(f"{pid}:X")
                continue
            node = self.sim.process(pid)
            parts.append(f"{pid}:{node.state[0].upper()}e{node.current_epoch}/"
                         f"{node.last_zxid:#x}d{node.delivered}")
        return f"ZabCluster(t={self.sim.now:g} {' '.join(parts)})"
