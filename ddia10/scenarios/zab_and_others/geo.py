"""Chapter 7's geo-distributed setting: where EPaxos' leaderless advantage shows, and where not.

:data:`FIVE_REGIONS` puts five replicas in five regions — the three of
chapter 4's :data:`~ddia10.scenarios.raft.THREE_REGIONS`, with their delays,
and two more (the regions of the EPaxos paper's wide-area experiments:
Virginia, California, Oregon, Ireland, Tokyo). One client sits beside each
replica. The one-way delays are of the order public clouds show between those
regions; they are a setting, not a measurement.

- :func:`epaxos_clients` runs one closed-loop client per region against EPaxos,
  each sending its next command to its own replica as soon as the previous
  one commits, a share ``conflict_rate`` of the commands on one shared key:
  the latency each command took and the path it committed on.
- :func:`leader_commit_ms` times a leader-based protocol's commands from the
  leader's receipt to its decision (with chapter 6's measurement); a client
  in another region adds the trip to the leader and back
  (:func:`leader_client_ms`).
- :func:`geo_table` sets the two side by side, per client region.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from ...epaxos import CommittedAttributes, EPaxosCluster, conflict_workload
from ...harness import Harness
from ...sim import Simulation
from ...validate import check_callable, check_int, check_probability
from ..paxos import decision_cost
from ..raft import THREE_REGIONS, Placement
from .comparison import HARNESSES

FIVE_REGIONS = Placement(
    "five regions",
    {1: "us-east", 2: "us-west", 3: "oregon", 4: "europe", 5: "tokyo"},
    (0.2, 1.0),
    {**THREE_REGIONS.delay,
     ("us-east", "oregon"): (35.0, 40.0), ("us-east", "tokyo"): (75.0, 85.0),
     ("us-west", "oregon"): (10.0, 12.0), ("us-west", "tokyo"): (50.0, 55.0),
     ("oregon", "europe"): (65.0, 70.0), ("oregon", "tokyo"): (48.0, 52.0),
     ("europe", "tokyo"): (110.0, 120.0)},
)
"""Five replicas, one per region; server 1 (us-east) is where the leader-based
protocols lead. One-way delays in ms (uniform in each range)."""


def place(sim: Simulation, placement: Placement, pids: Iterable[Hashable]) -> None:
    """Give every link between ``pids`` the delay ``placement`` says."""
    pids = list(pids)
    for i, a in enumerate(pids):
        for b in pids[i + 1:]:
            sim.set_link(a, b, latency=placement.latency(a, b))


def mean_delay(placement: Placement, a: Hashable, b: Hashable) -> float:
    """The mean one-way delay between the places of ``a`` and ``b`` (ms)."""
    delay = placement.latency(a, b)
    return (delay[0] + delay[1]) / 2 if isinstance(delay, tuple) else float(delay)


@dataclass(frozen=True)
class ClientCommand:
    """One command of a closed-loop client: where it was led, how long until its
    replica committed it (ms), on which path, and whether it touched the hot key."""

    replica: Hashable
    latency: float
    path: str
    hot: bool


WAN_EPAXOS = {"slow_path_timeout": 600.0, "recovery_timeout": 3000.0, "tick": 20.0}
"""EPaxos timers for wide-area links: a leader waits for its fast quorum's
answers far longer than a round trip before it settles for the slow path."""

WAN_ZAB = {"tick": 100.0, "init_limit": 3000.0, "sync_limit": 1000.0, "finalize_wait": 50.0,
           "notify_interval": 300.0}
"""ZAB's limits for wide-area links, as a ZooKeeper deployment across regions
raises ``tickTime``, ``initLimit`` and ``syncLimit``."""

WAN_RAFT = {"election_timeout": (3000.0, 6000.0), "heartbeat_interval": 1000.0}
"""Raft's timers for wide-area links (and rare heartbeats during a measurement)."""


def epaxos_clients(conflict_rate: float, *, commands: int = 20,
                   placement: Placement = FIVE_REGIONS, seed: int = 0,
                   **options: Any) -> list[ClientCommand]:
    """One closed-loop client beside each EPaxos replica under ``placement``, each
    sending ``commands`` commands to its own replica, one after the other; a
    share ``conflict_rate`` of them on one shared key. Other keywords are
    EPaxos options (:data:`WAN_EPAXOS` by default)."""
    check_probability("conflict_rate", conflict_rate)
    check_int("commands", commands, min=1)
    cluster = EPaxosCluster(5, seed, latency=placement.local, trace=False,
                            **{**WAN_EPAXOS, **options})
    sim = cluster.sim
    place(sim, placement, cluster.ids)
    rng = random.Random(f"ddia10:geo-clients:{seed}")
    queues = {pid: conflict_workload(commands, conflict_rate, seed=seed * 31 + pid,
                                     prefix=f"client{pid}-")
              for pid in cluster.ids}
    started: dict = {}
    done: list[ClientCommand] = []

    def send(s: Simulation, pid: Hashable) -> None:
        if queues[pid]:
            cmd = queues[pid].pop(0)
            instance = s.call(pid, lambda replica, ctx: replica.propose(ctx, cmd))
            started[instance] = (s.now, cmd[1] == "hot")

    def heard(fact: Any) -> None:
        cluster.monitor.hear(fact)
        if (isinstance(fact, CommittedAttributes) and fact.instance in started
                and fact.replica == fact.instance[0]):
            began, hot = started.pop(fact.instance)
            done.append(ClientCommand(fact.replica, sim.now - began, fact.path, hot))
            sim.after(0.0, lambda s, pid=fact.replica: send(s, pid), "next command")

    sim.observe(heard)
    for pid in cluster.ids:
        sim.at(rng.uniform(0, 5), lambda s, pid=pid: send(s, pid), "first command")
    cluster.run(commands * 1000.0)
    cluster.check_invariants()
    return done


def conflict_curve(rates: Iterable[float] = (0.0, 0.1, 0.25, 0.5, 0.75, 1.0), *,
                   commands: int = 20, placement: Placement = FIVE_REGIONS,
                   seed: int = 0) -> list[dict]:
    """For each conflict rate: EPaxos' mean and median commit latency over every
    client's commands, and the share that took the slow path."""
    rows = []
    for rate in rates:
        runs = epaxos_clients(rate, commands=commands, placement=placement, seed=seed)
        latencies = [c.latency for c in runs]
        rows.append({"conflict rate": rate, "commands": len(runs),
                     "mean (ms)": statistics.fmean(latencies),
                     "median (ms)": statistics.median(latencies),
                     "slow path": sum(c.path == "slow" for c in runs) / len(runs)})
    return rows


def leader_commit_ms(protocol: str, start: Callable[[Harness], Any], *, decisions: int = 10,
                     placement: Placement = FIVE_REGIONS, seed: int = 0) -> float:
    """The mean time (ms) from a command's arrival at the leader to its decision
    there, for ``protocol`` (one of the comparison's) on five servers placed by
    ``placement``; ``start(harness)`` makes the wanted server lead. Measured by
    chapter 6's :func:`~ddia10.scenarios.paxos.decision_cost`, with a one-way
    unit of 1 ms (so its round trips are half the milliseconds)."""
    check_callable("start", start, what="a function of the harness")
    timers = {"Raft": WAN_RAFT, "ZAB": WAN_ZAB, "EPaxos": WAN_EPAXOS}.get(protocol, {})
    cls = HARNESSES[protocol]

    def build() -> Harness:
        harness = cls(5, seed=seed, latency=placement.local, **timers)
        place(harness.sim, placement, harness.ids)
        start(harness)
        return harness

    return 2 * decision_cost(protocol, build, one_way=1.0, decisions=decisions).round_trips


def leader_client_ms(commit_ms: float, leader: Hashable, client: Hashable,
                     placement: Placement = FIVE_REGIONS) -> float:
    """What a client beside ``client`` waits with a leader at ``leader``: the trip to
    the leader, the leader's commit, the trip back."""
    if client == leader:
        trip = 2 * statistics.fmean(placement.local) if isinstance(placement.local, tuple) \
            else 2 * placement.local
    else:
        trip = 2 * mean_delay(placement, client, leader)
    return commit_ms + trip


def geo_table(leader_based: dict[str, float], conflict_rates: Iterable[float] = (0.0, 1.0), *,
              commands: int = 20, placement: Placement = FIVE_REGIONS, leader: Hashable = 1,
              seed: int = 0):
    """Per client region, the median latency a client waits: under each leader-based
    protocol (``name -> the leader's commit time in ms``, leader in ``leader``'s
    region) and under EPaxos at each conflict rate (its own replica leads)."""
    import pandas as pd

    rows = {pid: {"region": region} for pid, region in placement.places.items()
            if isinstance(pid, int)}
    for name, commit in leader_based.items():
        for pid in rows:
            rows[pid][f"{name} (ms)"] = round(leader_client_ms(commit, leader, pid, placement), 1)
    for rate in conflict_rates:
        runs = epaxos_clients(rate, commands=commands, placement=placement, seed=seed)
        for pid in rows:
            mine = [c.latency for c in runs if c.replica == pid]
            rows[pid][f"EPaxos, {rate:.0%} conflicts (ms)"] = round(statistics.median(mine), 1)
    return pd.DataFrame(rows.values(), index=list(rows)).rename_axis("client beside")
