"""Chapter 7's random campaigns: faults thrown at ZAB, EPaxos and VR, every invariant checked.

:func:`protocol_campaign` runs one seeded campaign on five servers of one
protocol: a random network (loss, duplication, reordering from
:func:`~ddia10.sim.faults.random_network`), a random fault schedule
(:func:`~ddia10.sim.faults.random_faults`: crashes, restarts, partitions,
disconnections), client commands at random moments, and the protocol's
monitor asked after every event. Then every server restarts, the network
heals, and the servers must converge: the same transactions delivered
everywhere (ZAB, VR), the same commands executed everywhere (EPaxos).

Viewstamped Replication keeps nothing on disk, so a server that restarts has
lost its state until it has recovered from the others; the paper's model
counts it as failed meanwhile. Its campaign therefore crashes at most one
server at a time (the other protocols: any minority).

:func:`campaign_counts` runs many seeds and counts the outcomes.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ...epaxos import EPaxosCluster, conflict_workload
from ...harness import Harness
from ...invariants import InvariantViolation
from ...sim import Simulation, Trace
from ...sim.faults import apply_fault, random_faults, random_network
from ...validate import check_choice, check_int, check_number, check_probability
from ...vr import VRCluster
from ...zab import ZabCluster

CAMPAIGN_PROTOCOLS = ("zab", "epaxos", "vr")
"""The protocols :func:`protocol_campaign` knows."""


@dataclass
class ProtocolCampaign:
    """How one campaign went: the faults and commands thrown, the first
    violation (``None``: none), whether the servers converged after the heal,
    and what each server had applied by then."""

    protocol: str
    seed: int
    faults: int
    commands: int
    violation: InvariantViolation | None = None
    converged: bool = False
    applied: dict = field(default_factory=dict)
    trace: Trace | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.violation is None and self.converged


def _write(protocol: str) -> Callable[[Simulation, Any, Any], None]:
    """How a client's command reaches the protocol (``pid`` drawn at random)."""
    if protocol == "zab":  # any server: a follower forwards it to its leader
        return lambda sim, pid, cmd: sim.call(pid, lambda node, ctx: node.write(ctx, cmd))
    if protocol == "epaxos":  # any replica: it leads the command
        return lambda sim, pid, cmd: sim.call(pid, lambda node, ctx: node.propose(ctx, cmd))
    return lambda sim, pid, cmd: sim.call(pid, lambda node, ctx: node.request(ctx, cmd))


def protocol_campaign(protocol: str, seed: int, *, duration: float = 3000.0,
                      commands: int = 100, conflict_rate: float = 0.3,
                      mean_gap: float = 150.0, settle_ms: float = 3000.0,
                      trace: bool = False, **options: Any) -> ProtocolCampaign:
    """One seeded campaign of ``protocol`` (``"zab"``, ``"epaxos"`` or ``"vr"``):
    ``duration`` ms of random faults about every ``mean_gap`` ms, ``commands``
    client commands (``conflict_rate`` of them on one shared key), the monitor
    checked after every event; then a heal, every server restarted, and
    ``settle_ms`` for the servers to converge. Other keywords are the
    protocol's options (its ``bug_*`` switches, say)."""
    check_choice("protocol", protocol, CAMPAIGN_PROTOCOLS)
    check_int("seed", seed)
    check_number("duration", duration, min=0, unit="ms")
    check_int("commands", commands, min=0)
    check_probability("conflict_rate", conflict_rate)
    check_number("settle_ms", settle_ms, min=0, unit="ms")
    cls = {"zab": ZabCluster, "epaxos": EPaxosCluster, "vr": VRCluster}[protocol]
    cluster: Harness = cls(5, seed, trace=trace, check_every_event=True, **random_network(seed),
                           **options)
    sim = cluster.sim
    faults = random_faults(seed, cluster.ids, duration, mean_gap=mean_gap,
                           max_down=1 if protocol == "vr" else None)
    for fault in faults:
        sim.at(fault.time, lambda s, f=fault: apply_fault(s, f), fault.kind)
    rng = random.Random(f"ddia10:chapter7-campaign:{seed}")
    write = _write(protocol)

    def client(s: Simulation, cmd: Any) -> None:
        up = [p for p in cluster.ids if s.is_up(p)]
        target = cluster.leader() if protocol == "vr" else rng.choice(up) if up else None
        if target is not None:
            write(s, target, cmd)

    for cmd in conflict_workload(commands, conflict_rate, seed=seed):
        sim.at(rng.uniform(0, duration), lambda s, c=cmd: client(s, c), "client")
    result = ProtocolCampaign(protocol, seed, len(faults), commands,
                              trace=cluster.trace if trace else None)
    try:
        cluster.run(duration)
        sim.heal()
        for pid in cluster.ids:
            sim.reconnect(pid)
            if not sim.is_up(pid):
                sim.restart(pid)
        cluster.run(settle_ms)
    except InvariantViolation as violation:
        result.violation = violation
        return result
    result.applied = {pid: cluster.applied(pid) for pid in cluster.ids}
    views = [Counter(map(repr, a)) if protocol == "epaxos" else a
             for a in result.applied.values()]
    result.converged = all(v == views[0] for v in views)
    return result


def campaign_counts(protocol: str, seeds: Iterable[int], **kwargs: Any) -> dict:
    """Run :func:`protocol_campaign` for every seed: how many were clean, broke a
    property, or did not converge, the first seed of each failure, and the
    faults thrown in all."""
    counts = {"seeds": 0, "clean": 0, "violations": 0, "not converged": 0, "faults": 0,
              "first violation": None, "first not converged": None}
    for seed in seeds:
        run = protocol_campaign(protocol, seed, **kwargs)
        counts["seeds"] += 1
        counts["faults"] += run.faults
        if run.violation is not None:
            counts["violations"] += 1
            counts["first violation"] = counts["first violation"] or (seed, str(run.violation))
        elif not run.converged:
            counts["not converged"] += 1
            counts["first not converged"] = counts["first not converged"] or seed
        else:
            counts["clean"] += 1
    return counts
