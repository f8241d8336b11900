"""Chapter 0, "The problem": what the chapter stages on :mod:`ddia10.failover`.

- The worked example, :func:`leader_cut_off`: A leads, is cut off from B and
  C at :data:`CUT_AT` while its clients keep writing, and the network heals at
  :data:`HEAL_AT`; under naive failover two leaders acknowledge writes, under
  quorum failover only the majority side can. :func:`checked` runs a world
  under a :class:`~ddia10.failover.FailoverMonitor`.
- Partial synchrony, :func:`slow_network`: every link slower than the failure
  timeout for a while; :func:`progress_table` shows terms climbing and no write
  acknowledged until the network is fast again.
- The replicated state machine: :func:`replicated_script` runs five commands
  through quorum failover, :func:`first_acknowledgement` stops a run at the
  moment the leader answers; :func:`replica_table` and
  :func:`acknowledgement_table` show what each node stored and applied.
- Tables: :func:`client_calls` (what every client heard) and
  :func:`cluster_size_table` (majority and tolerated failures per size).
- The players: :func:`naive_split_brain` and :func:`quorum_split_brain` build
  the same three-node world (A leads term 1) with the same buttons, and
  :data:`STORY` is the sequence of presses the chapter plays in both: a write
  everyone stores, A cut off, a write to A, a write on the other side, then
  the heal. Steps end on what a reader can see (a role, term, log or value
  changing, a client call, a note, a fault, a message dropped by the
  partition) or after a few simulator events of quiet heartbeats.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..failover import (
    FailoverMonitor,
    Timing,
    build_cluster,
    leader,
    submit,
    write,
)
from ..quorum import majority, tolerated_failures
from ..rsm import Add, Command, Delete, Set
from ..sim import Simulation
from ..validate import check_int, check_number
from ..viz import ClusterView, Scenario

# ---------------------------------------------------------------------- the worked example
CUT_AT = 100.0
"""When the chapter's worked example cuts the leader off from the others (ms)."""

HEAL_AT = 400.0
"""When the chapter's worked example heals the network (ms)."""

END = 600.0
"""When the chapter stops looking at the worked example (ms)."""


def leader_cut_off(protocol: str, *, seed: int = 0) -> Simulation:
    """The chapter's worked example, scheduled but not yet run: A leads term 1; at
    20 ms A's client writes x=1; at :data:`CUT_AT` A is cut off from B and C; at
    130 ms A's client writes x=2 to A; at 250 ms another client writes x=3 to
    whoever leads the B-C side; at :data:`HEAL_AT` the network heals."""
    sim = build_cluster(protocol, seed=seed)
    sim.at(20, lambda s: write(s, "A", "x", 1, client="client of A"), "x=1 to A")
    sim.at(CUT_AT, lambda s: s.partition(["A"], ["B", "C"]), "cut A off")
    sim.at(130, lambda s: write(s, "A", "x", 2, client="client of A"), "x=2 to A")
    sim.at(250, _write_to_majority_leader, "x=3 to the B-C leader")
    sim.at(HEAL_AT, lambda s: s.heal(), "heal")
    return sim


def _write_to_majority_leader(sim: Simulation) -> None:
    target = leader(sim, ["B", "C"])
    if target is None:
        sim.note("client of B-C: no leader on the B-C side yet")
    else:
        write(sim, target, "x", 3, client="client of B-C")


def checked(sim: Simulation, until: float) -> FailoverMonitor:
    """Run ``sim`` to time ``until`` (ms) with a :class:`~ddia10.failover.FailoverMonitor`
    checking every event; returns the monitor (its ``sim`` is the run, its
    ``violations`` the promises broken), which can run the world further."""
    check_number("until", until, min=sim.now, unit="ms (now)")
    monitor = FailoverMonitor(sim)
    monitor.run(until - sim.now)
    return monitor


def slow_network(
    protocol: str = "quorum",
    *,
    seed: int = 2,
    slow_from: float = 200.0,
    slow_until: float = 1500.0,
    slow_latency: tuple[float, float] = (40.0, 160.0),
    horizon: float = 2100.0,
) -> Simulation:
    """Partial synchrony, scheduled: from ``slow_from`` to ``slow_until`` every link
    takes ``slow_latency`` ms, longer than the failure timeout, so followers keep
    suspecting healthy leaders; then the network is fast again. A client writes
    to whoever it believes leads every 50 ms until ``horizon``."""
    for name, t in (("slow_from", slow_from), ("slow_until", slow_until), ("horizon", horizon)):
        check_number(name, t, min=0, unit="ms")
    if not slow_from <= slow_until <= horizon:
        raise ValueError(
            f"need slow_from <= slow_until <= horizon, got {slow_from}, {slow_until}, {horizon}"
        )
    sim = build_cluster(protocol, seed=seed)
    links = [(a, b) for i, a in enumerate(sim.pids) for b in sim.pids[i + 1 :]]

    def set_latency(latency: Any) -> Callable[[Simulation], None]:
        def apply(s: Simulation) -> None:
            for a, b in links:
                s.set_link(a, b, latency=latency)

        return apply

    sim.at(slow_from, set_latency(slow_latency), "the network slows down")
    sim.at(slow_until, set_latency((1.0, 3.0)), "the network is fast again")
    for i, t in enumerate(range(25, int(horizon), 50)):
        sim.at(t, lambda s, i=i: write(s, leader(s) or s.pids[0], "n", i, client="client"))
    return sim


# ---------------------------------------------------------------------- tables
def client_calls(sim: Simulation):
    """One row per client call: who asked which node for what, when, and what it heard
    (``ok``: acknowledged; ``fail``: refused, not applied; ``info``: no answer in time,
    so the write may or may not take effect; empty: no answer yet)."""
    import pandas as pd

    answers = {e.data["call"]: e for e in sim.trace.of_kind("return")}
    rows = []
    for ask in sim.trace.of_kind("invoke"):
        answer = answers.get(ask.data["call"])
        data = answer.data if answer is not None else {}
        rows.append({
            "client": ask.data["client"],
            "node": ask.data["node"],
            "write": ask.data["op"],
            "asked at": round(ask.time, 1),
            "answered at": round(answer.time, 1) if answer is not None else None,
            "status": data.get("status", ""),
            "term": data.get("term"),
            "error": data.get("error", ""),
        })
    columns = ["client", "node", "write", "asked at", "answered at", "status", "term", "error"]
    return pd.DataFrame(rows, columns=columns)


def progress_table(sim: Simulation, window: float = 300.0):
    """Per time window: the highest term any node had reached, and how many client
    writes were acknowledged, refused, or left with an unknown outcome."""
    import pandas as pd

    check_number("window", window, positive=True, unit="ms")
    calls = client_calls(sim)
    terms = [(e.time, e.data["term"]) for e in sim.trace.of_kind("state")]
    rows = []
    start = 0.0
    while start < sim.now:
        end = start + window
        asked = calls[(calls["asked at"] >= start) & (calls["asked at"] < end)]
        counts = asked["status"].value_counts()
        rows.append({
            "from (ms)": int(start),
            "highest term": max((t for time, t in terms if time < end), default=0),
            "acknowledged": int(counts.get("ok", 0)),
            "refused": int(counts.get("fail", 0)),
            "unknown": int(counts.get("info", 0)),
        })
        start = end
    return pd.DataFrame(rows).set_index("from (ms)")


def cluster_size_table(sizes: Iterable[int] = range(1, 8)):
    """A table of cluster size, majority and tolerated failures, one row per size.

    Even sizes tolerate no more failures than the odd size just below them,
    while needing one more vote per decision: the table makes that visible.
    """
    import pandas as pd

    rows = [{"nodes": n, "majority": majority(n), "tolerated failures": tolerated_failures(n)}
            for n in sizes]
    return pd.DataFrame(rows).set_index("nodes")


# ---------------------------------------------------------------------- the state machine
SCRIPT: tuple[Command, ...] = (Set("x", 10), Add("x", 1), Set("y", "hello"), Add("x", 5),
                               Delete("y"))
"""The commands :func:`replicated_script` sends through A."""


def replicated_script(seed: int = 4) -> Simulation:
    """:data:`SCRIPT` through quorum failover: one command to A every 15 ms from
    10 ms, run for 200 ms."""
    sim = build_cluster("quorum", seed=seed)
    for i, command in enumerate(SCRIPT):
        sim.at(10 + 15 * i, lambda s, c=command: submit(s, "A", c, client="script"))
    sim.run(200)
    return sim


def first_acknowledgement(seed: int = 4) -> Simulation:
    """One write (x=1) to A through quorum failover, stopped at the moment A
    acknowledges it."""
    sim = build_cluster("quorum", seed=seed)
    sim.at(10, lambda s: submit(s, "A", Set("x", 1), client="script"))
    sim.run_until(lambda s: len(s.trace.of_kind("return")) > 0, 100)
    return sim


def replica_table(sim: Simulation):
    """One row per node: its log, how far it is committed, its state and the
    outputs its state machine returned."""
    import pandas as pd

    return pd.DataFrame({
        p: {
            "log": ", ".join(str(e.command) for e in r.log),
            "committed": r.commit_index,
            "state": r.state,
            "outputs": list(r.outputs.values()),
        }
        for p, r in ((p, sim.process(p).replica) for p in sim.pids)
    }).T.rename_axis("node")


def acknowledgement_table(sim: Simulation):
    """One row per node: how many entries it stores and how many it applied."""
    import pandas as pd

    return pd.DataFrame({
        p: {"stored": len(r.log), "applied": r.commit_index}
        for p, r in ((p, sim.process(p).replica) for p in sim.pids)
    }).T.rename_axis("node")


# ---------------------------------------------------------------------- the players
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


def node_table(view: ClusterView):
    """The players' table: one row per node with its role, term, the value of x
    it serves, and its log."""
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
    check_int("seed", seed)

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
        table=node_table,
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

