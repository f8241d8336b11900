"""Chapter 7's comparison table, measured: five protocols on one cluster, one latency model.

:func:`comparison` measures Multi-Paxos, Raft, ZAB, Viewstamped Replication and
EPaxos on five servers over links of one fixed delay, with chapter 6's
:func:`~ddia10.scenarios.paxos.decision_cost` — the very function chapter 6
sets Paxos beside Raft with, so there is one measurement, not two: commands
one at a time, round trips from the leader's receipt of a command to its
decision there, messages and synchronous disk writes per decision. It
measures twice: with no conflicts, and with a conflicting command submitted at
the same moment (for EPaxos at another replica, which leads it; for the
leader-based protocols at the leader, which orders everything anyway).
:func:`comparison_table` sets the figures beside what the chapter's syllabus
typed in (:data:`SYLLABUS_TABLE`); :func:`message_pattern` runs one decision
to draw.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from ...epaxos import EPaxosCluster
from ...harness import Harness
from ...paxos import MultiPaxos
from ...raft import RaftCluster
from ...validate import check_choice, check_int, check_number
from ...vr import VRCluster
from ...zab import ZabCluster
from ..paxos import QUIET, DecisionCost, decision_cost

PROTOCOLS = ("Multi-Paxos", "Raft", "ZAB", "VR", "EPaxos")

QUIET_TIMERS = {
    "Multi-Paxos": QUIET,
    "Raft": QUIET,
    "ZAB": {"tick": 1000.0, "init_limit": 5000.0, "sync_limit": 3000.0},
    "VR": {"heartbeat": 1000.0, "view_timeout": 5000.0},
    "EPaxos": {"catch_up_interval": 5000.0},
}
"""Each protocol's background timers set long next to a measured decision, as
chapter 6 sets Raft's and Multi-Paxos's (:data:`~ddia10.scenarios.paxos.QUIET`):
heartbeats, pings and catch-up seldom fall into the measurement."""

HARNESSES: dict[str, Callable[..., Harness]] = {
    "Multi-Paxos": MultiPaxos, "Raft": RaftCluster, "ZAB": ZabCluster, "VR": VRCluster,
    "EPaxos": EPaxosCluster,
}

SYLLABUS_TABLE = {
    "Multi-Paxos": {"latency, no conflict": "2 RTTs", "latency, conflict": "2+ RTTs",
                    "messages per decision": "2N", "disk writes per decision": "2"},
    "Raft": {"latency, no conflict": "1 RTT", "latency, conflict": "1 RTT",
             "messages per decision": "N", "disk writes per decision": "2"},
    "ZAB": {"latency, no conflict": "1 RTT", "latency, conflict": "1 RTT",
            "messages per decision": "N", "disk writes per decision": "2"},
    "EPaxos": {"latency, no conflict": "1 RTT", "latency, conflict": "2 RTTs",
               "messages per decision": "N (fast), 2N (slow)",
               "disk writes per decision": "1 (fast path)"},
}
"""The performance table of the chapter's syllabus, as typed there (its
"Paxos" column is the one set here beside Multi-Paxos)."""


def comparison_harness(protocol: str, servers: int = 5, one_way: float = 5.0,
          seed: int = 0) -> Callable[[], Harness]:
    """A function that builds ``protocol``'s harness for the measurement."""
    check_choice("protocol", protocol, PROTOCOLS)
    check_int("servers", servers, min=1)
    check_number("one_way", one_way, positive=True, unit="ms")
    cls, timers = HARNESSES[protocol], QUIET_TIMERS[protocol]
    return lambda: cls(servers, seed=seed, latency=float(one_way), **timers)


def _rival(protocol: str) -> Callable[[Any, str], Any]:
    """A command that conflicts with ``command``: on its key, for EPaxos at the
    replica after the one leading ``command``; at the leader for the others."""
    if protocol == "EPaxos":
        return lambda h, command: h.submit(("set", command, "rival"), node=2)
    return lambda h, command: h.submit(("set", command, "rival"))


def comparison(servers: int = 5, one_way: float = 5.0, decisions: int = 20,
               seed: int = 0) -> list[DecisionCost]:
    """Every protocol of :data:`PROTOCOLS` measured by chapter 6's
    :func:`~ddia10.scenarios.paxos.decision_cost`, without and with a
    conflicting command (the second of each pair is named ``"… with conflict"``)."""
    out = []
    for protocol in PROTOCOLS:
        make = comparison_harness(protocol, servers, one_way, seed)
        out.append(decision_cost(protocol, make, one_way=one_way, decisions=decisions))
        out.append(decision_cost(f"{protocol} with conflict", make, one_way=one_way,
                                 decisions=decisions, rival=_rival(protocol)))
    return out


def comparison_table(costs: list[DecisionCost], one_way: float = 5.0):
    """One row per protocol: round trips and ms without and with a conflict,
    messages and disk writes per decision (without one), and beside them what
    the syllabus says."""
    import pandas as pd

    measured = {c.protocol: asdict(c) for c in costs}
    rows = []
    for protocol in PROTOCOLS:
        plain, rival = measured[protocol], measured[f"{protocol} with conflict"]
        said = SYLLABUS_TABLE.get(protocol, {})
        rows.append({
            "protocol": protocol,
            "RTTs, no conflict": plain["round_trips"],
            "ms, no conflict": plain["round_trips"] * 2 * one_way,
            "RTTs, conflict": rival["round_trips"],
            "messages": plain["messages"],
            "messages, conflict": rival["messages"],
            "disk writes": plain["disk_writes"],
            "syllabus: latency": " / ".join(
                said.get(k, "—") for k in ("latency, no conflict", "latency, conflict")),
            "syllabus: messages": said.get("messages per decision", "—"),
            "syllabus: disk writes": said.get("disk writes per decision", "—"),
        })
    return pd.DataFrame(rows).set_index("protocol")


def message_pattern(protocol: str, one_way: float = 5.0, seed: int = 0) -> tuple[Harness, float]:
    """One command decided by ``protocol`` in steady state, on five servers: the
    harness (its trace holds the run) and the moment the command was submitted."""
    harness = comparison_harness(protocol, 5, one_way, seed)()
    leader = harness.wait_for_leader()
    harness.run(50 * one_way)
    start = harness.sim.now
    harness.submit("x=1")
    harness.run_until(lambda h: "x=1" in h.applied(leader), 1000 * one_way)
    harness.run(2 * one_way)
    return harness, start
