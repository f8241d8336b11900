"""Chapter 0's players: the leader cut off, under naive and under quorum failover.

Both scenarios build the same three-node world (A leads term 1, B and C
follow) and offer the same buttons: clients writing to A or to whoever leads
the B–C side, a partition that isolates A, a heal, and a crash and restart of
A. :data:`STORY` is the sequence of presses the chapter plays in both: a
write everyone stores, A cut off, a write to A, a write on the other side,
then the heal. Under :func:`naive_split_brain` both writes are acknowledged and
one of them is later thrown away; under :func:`quorum_split_brain` the write to
A is never acknowledged and nothing acknowledged is lost.

Steps end on what a reader can see (a role, term, log or value changing, a
client call, a note, a fault, a message dropped by the partition) or after a
few simulator events of quiet heartbeats, so an idle cluster still moves.
"""

from __future__ import annotations

from ..failover import Timing, build_cluster, leader, write
from ..sim import Simulation
from ..viz import ClusterView, Scenario

NODES = ("A", "B", "C")
OTHER_SIDE = ["B", "C"]

TIMING = {
    "naive": Timing(heartbeat=20, failure_timeout=70, stagger=40, write_timeout=90),
    "quorum": Timing(heartbeat=20, failure_timeout=70, stagger=40, jitter=10, write_timeout=90),
}
"""Slower than the protocol defaults, so a reader sees each message in flight."""

LATENCY = (3.0, 8.0)

WRITE_A = "Client writes to A"
WRITE_OTHER = "Client writes to the B–C leader"
PARTITION = "Partition A | B C"
HEAL = "Heal"
CRASH_A = "Crash A"
RESTART_A = "Restart A"

STORY: list[tuple[int, str]] = [
    (2, WRITE_A),
    (6, PARTITION),
    (8, WRITE_A),
    (22, WRITE_OTHER),
    (30, HEAL),
]
"""The presses the chapter plays: ``(step, button)``."""

STORY_STEPS = 42
"""How many steps of :data:`STORY` the static players show."""

STEP_KINDS = frozenset(
    "drop state invoke return note crash restart pause resume partition heal "
    "disconnect reconnect".split()
)


def _next_value(sim: Simulation) -> int:
    """Each client write sets x to the next number: 1, 2, 3... (read from the trace,
    so a replay gives the same values)."""
    return 1 + len(sim.trace.of_kind("invoke"))


def _write_to_a(sim: Simulation) -> None:
    write(sim, "A", "x", _next_value(sim), client="client of A")


def _write_to_other_side(sim: Simulation) -> None:
    target = leader(sim, OTHER_SIDE)
    if target is None:
        sim.note("client of B–C: neither B nor C leads yet; nothing sent")
        return
    write(sim, target, "x", _next_value(sim), client="client of B–C")


def _restart_a(sim: Simulation) -> None:
    if sim.is_up("A"):
        sim.note("A is already running")
    else:
        sim.restart("A")


def _crash_a(sim: Simulation) -> None:
    if sim.is_up("A"):
        sim.crash("A")
    else:
        sim.note("A is already down")


def state_table(view: ClusterView):
    """One row per node: role, term, the value of x it serves, and its log."""
    import pandas as pd

    rows = []
    for pid, p in view.processes.items():
        a = p.annotations
        rows.append({
            "node": str(pid),
            "status": p.status,
            "role": a.get("role", ""),
            "term": a.get("term", ""),
            "x": a.get("data", {}).get("x", "—"),
            "log (value@term)": ", ".join(a.get("log", [])) or "—",
            "committed": a.get("commit", 0),
        })
    return pd.DataFrame(rows)


def _scenario(protocol: str, seed: int, title: str, description: str) -> Scenario:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an int, got {seed!r}")

    def build() -> Simulation:
        return build_cluster(protocol, seed=seed, nodes=NODES, timing=TIMING[protocol],
                             latency=LATENCY)

    return Scenario(
        title=title,
        build=build,
        buttons={
            WRITE_A: _write_to_a,
            WRITE_OTHER: _write_to_other_side,
            PARTITION: lambda sim: sim.partition(["A"], OTHER_SIDE),
            HEAL: lambda sim: sim.heal(),
            CRASH_A: _crash_a,
            RESTART_A: _restart_a,
        },
        table=state_table,
        description=description,
        step_kinds=STEP_KINDS,
        max_events=6,
        layout={"A": (-0.75, 0.0), "B": (0.6, -0.65), "C": (0.6, 0.65)},
    )


def naive_split_brain(seed: int = 1) -> Scenario:
    """Naive timeout failover: cut A off and both sides acknowledge writes."""
    return _scenario(
        "naive", seed, "Naive failover: promote on a timeout",
        "B promotes itself when A goes quiet; A, cut off but alive, keeps acknowledging "
        "its clients. After the heal A adopts B's log and its acknowledged write is gone.",
    )


def quorum_split_brain(seed: int = 1) -> Scenario:
    """Quorum failover: cut A off and only the majority side can acknowledge writes."""
    return _scenario(
        "quorum", seed, "Quorum failover: majorities for votes and for writes",
        "A cannot reach a majority, so its client's write is never acknowledged; B and C "
        "elect a leader of term 2 and carry on. After the heal A sees term 2 and steps down.",
    )
