"""A tiny protocol to show what the views draw: heartbeats and a failure detector.

Every node sends a :class:`Heartbeat` to every peer each ``period`` ms and
suspects a peer it has not heard from for ``timeout`` ms. Each node calls the
lowest-numbered node it does not suspect (itself included) the leader, and
annotates its role. Crash the leader and the others' roles change once their
timeouts expire; partition the network and each side picks its own leader,
which is the whole point of later chapters: a failure detector alone cannot
tell a crashed node from an unreachable one.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..sim import Context, Process, Simulation
from .scenario import Scenario


@dataclass(frozen=True)
class Heartbeat:
    """ "I am alive", with a counter so duplicates and reordering are visible."""

    seq: int


class HeartbeatNode(Process):
    """Sends heartbeats, suspects silent peers, and names the lowest live node leader."""

    def __init__(self, period: float = 50.0, timeout: float = 160.0) -> None:
        self.period = period
        self.timeout = timeout
        self.seq = 0
        self.last_heard: dict = {}
        self.role: str | None = None
        self.leader = None

    def on_start(self, ctx: Context) -> None:
        self.last_heard = {p: ctx.now for p in ctx.peers}
        ctx.set_timer(ctx.rng.uniform(0, self.period), "beat")
        self._decide(ctx)

    def on_message(self, ctx: Context, src, msg) -> None:
        if isinstance(msg, Heartbeat):
            self.last_heard[src] = ctx.now
            self._decide(ctx)

    def on_timer(self, ctx: Context, name) -> None:
        self.seq += 1
        for peer in ctx.peers:
            ctx.send(peer, Heartbeat(self.seq))
        ctx.set_timer(self.period, "beat")
        self._decide(ctx)

    def _decide(self, ctx: Context) -> None:
        alive = [p for p, t in self.last_heard.items() if ctx.now - t <= self.timeout]
        leader = min([ctx.pid, *alive])
        role = "leader" if leader == ctx.pid else "follower"
        if (role, leader) != (self.role, self.leader):
            self.role, self.leader = role, leader
            ctx.annotate(role=role, leader=leader)


def heartbeat_scenario(seed: int = 1, pids: tuple[str, ...] = ("a", "b", "c")) -> Scenario:
    """Three nodes exchanging heartbeats, with crash, pause and partition buttons."""
    if len(pids) < 2 or len(set(pids)) != len(pids):
        raise ValueError(
            f"the heartbeat demo needs at least two distinct process ids, got {pids!r}"
        )
    first, rest = pids[0], list(pids[1:])

    def build() -> Simulation:
        sim = Simulation(seed, latency=(5, 15))
        for p in pids:
            sim.add(p, HeartbeatNode)
        return sim

    def crash_leader(sim: Simulation) -> None:
        sim.crash(min(p for p in sim.pids if sim.is_up(p)))

    def restart_all(sim: Simulation) -> None:
        for p in sim.pids:
            if not sim.is_up(p):
                sim.restart(p)

    return Scenario(
        title="Heartbeats and a failure detector",
        build=build,
        buttons={
            "Crash leader": crash_leader,
            "Restart crashed": restart_all,
            f"Pause {first}": lambda sim: sim.pause(first),
            f"Resume {first}": lambda sim: sim.resume(first),
            f"Partition {first}|{''.join(rest)}": lambda sim: sim.partition([first], rest),
            "Heal": lambda sim: sim.heal(),
        },
        description="Each node names the lowest-numbered node it still hears from its leader.",
    )
