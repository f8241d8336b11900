"""Scripted Raft runs for the drills, and the server class the reader extends.

A drill's run must play in a player, so every step of it is scheduled on the
simulation before it starts (``sim.at``): a campaign, a proposal, a crash, a
partition. Latency is fixed and election timeouts are out of reach, so only
the script starts elections and each run is the same every time.

:class:`RaftDrillServer` is :class:`~ddia10.raft.RaftNode` with two helpers a
reader's commit rule needs under public names: :meth:`~RaftDrillServer.match_indexes`
and :meth:`~RaftDrillServer.commit_to`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from ..raft import RaftCluster, RaftNode
from ..sim import Context, Simulation

Act = Callable[[Simulation], Any]


class RaftDrillServer(RaftNode):
    """A Raft server with the helpers the drills' skeletons use."""

    def match_indexes(self) -> dict[Hashable, int]:
        """How far each voter's log is known to match ours: the followers'
        ``match_index``, and our own last index once it is on our disk."""
        match = {peer: pr.match_index for peer, pr in self.progress.items()}
        match[self.pid] = self.disk.durable_index
        return match

    def commit_to(self, ctx: Context, index: int) -> None:
        """Mark everything up to ``index`` committed and apply it."""
        self._commit_to(ctx, index)


@dataclass(frozen=True)
class RaftScript:
    """A scripted run: ``(time, label, act)`` steps on ``n`` servers, run to
    ``end`` ms; ``payloads`` are what its clients broadcast, if anything."""

    title: str
    story: str
    steps: tuple[tuple[float, str, Act], ...]
    end: float
    n: int = 3
    payloads: tuple = ()
    options: tuple[tuple[str, Any], ...] = ()  # Raft options for this run


def do_campaign(pid: Hashable) -> Act:
    return lambda sim: sim.call(pid, RaftNode.campaign) if sim.is_up(pid) else None


def do_propose(pid: Hashable, command: Any) -> Act:
    return lambda sim: sim.call(pid, lambda node, ctx: node.propose(ctx, command))


def do_partition(*groups: list) -> Act:
    return lambda sim: sim.partition(*groups)


def do_heal() -> Act:
    return lambda sim: sim.heal()


def do_crash(pid: Hashable) -> Act:
    return lambda sim: sim.crash(pid)


def do_restart(pid: Hashable) -> Act:
    return lambda sim: sim.restart(pid)


def scripted_cluster(node_class: Callable[..., RaftNode], script: RaftScript,
                     **options: Any) -> RaftCluster:
    """``script.n`` servers of ``node_class`` with the script scheduled, each step
    also written into the trace as a note."""
    options = {"election_timeout": (100_000.0, 200_000.0), "heartbeat_interval": 20.0,
               **dict(script.options), **options}
    c = RaftCluster(script.n, seed=1, latency=10.0, node_class=node_class, **options)
    for t, label, act in script.steps:
        c.sim.at(t, lambda sim, a=act, w=label: (sim.note(w), a(sim)), label=label)
    return c


RAFT_STEP_KINDS = frozenset({"note", "state", "crash", "restart", "partition", "heal"})
