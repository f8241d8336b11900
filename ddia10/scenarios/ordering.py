"""Chapter 2, "Ordering": what the chapter stages on :mod:`ddia10.clocks` and :mod:`ddia10.tob`.

- Logical clocks: the two worked traces (:func:`lamport_worked_example`,
  :func:`vector_worked_example`; every link takes :data:`WORKED_LATENCY`, so
  A's message reaches B only after C's independent event), a random run to
  check the clocks against happened-before (:func:`random_clock_run`),
  :func:`clock_table` and the space-time drawing :func:`draw_clocks`.
- Total order broadcast: four broadcasts through a sequencer
  (:func:`ordered_broadcasts`), the sequencer crashing
  (:func:`sequencer_crash_world`), two sequencers after a partition
  (:func:`split_sequencers_world`), consensus on top of the broadcast
  (:func:`consensus_run`, and :func:`stalled_consensus` without a sequencer),
  and Raft in the sequencer's place (:func:`raft_tob_crash_run`,
  :func:`raft_tob_partition_run`).
- The players: :func:`lamport_scenario` and :func:`vector_scenario` step through
  the worked traces, with buttons that add local events and messages;
  :func:`sequencer_crash_scenario` and :func:`split_sequencers_scenario` show the
  sequencer's two failure modes (it crashes; it is replaced by timeout while it
  is merely cut off).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..clocks import (
    ClockedProcess,
    Pid,
    Step,
    VectorClock,
    as_vector,
    clock_events,
    clock_world,
    lamport_order,
    pid_key,
    random_schedule,
    run_schedule,
)
from ..raft import RaftCluster
from ..sim import Simulation, Trace
from ..tob import (
    broadcast,
    consensus_via_tob,
    raft_tob_cluster,
    schedule_broadcasts,
    sequencer_cluster,
)
from ..validate import check_choice
from ..viz import ClusterView, Scenario

# ---------------------------------------------------------------------- clocks: the worked traces
# The two worked traces of the chapter. Every link takes 2 ms, so A's message
# reaches B only after C's independent event, as in the step lists they follow.
WORKED_PIDS = ("A", "B", "C")
LAMPORT_WORKED_STEPS = (
    Step(1, "A", label="internal"),
    Step(2, "A", "B", "msg"),
    Step(3, "C", label="internal"),
    Step(5, "B", "C", "msg"),
)
VECTOR_WORKED_STEPS = (
    Step(1, "A", label="write x=1"),
    Step(2, "A", "B", "write x=1"),
    Step(5, "C", label="write x=2"),
)
WORKED_LATENCY = 2.0


def lamport_worked_example() -> Simulation:
    """A ticks, sends to B; C ticks alone; B receives, sends to C; C receives."""
    return run_schedule(WORKED_PIDS, LAMPORT_WORKED_STEPS, latency=WORKED_LATENCY)


def vector_worked_example() -> Simulation:
    """A writes x=1 and sends it to B; C writes x=2 having heard from no one."""
    return run_schedule(WORKED_PIDS, VECTOR_WORKED_STEPS, latency=WORKED_LATENCY)


def random_clock_run(seed: int = 7, pids: Sequence[Pid] = ("A", "B", "C", "D"),
                     steps: int = 30) -> Simulation:
    """``steps`` random local events and sends (:func:`~ddia10.clocks.random_schedule`
    of ``seed``) on ``pids``, with random delays of 0.5–6 ms, run out."""
    return run_schedule(pids, random_schedule(seed, pids, steps), latency=(0.5, 6.0), seed=seed)


_TABLE_COLUMNS = (
    "event", "time", "pid", "action", "peer", "label", "lamport", "vector", "total order",
)


def clock_table(trace: Trace | Simulation, pids: Sequence[Pid] | None = None):
    """A table (pandas DataFrame) of every clocked event with its Lamport time,
    its vector clock in ``pids`` order, and its place in the Lamport total order."""
    import pandas as pd

    events = clock_events(trace)
    if pids is None:
        pids = sorted({e.pid for e in events}, key=pid_key)
    rank = {e.event: i + 1 for i, e in enumerate(lamport_order(events))}
    rows = [
        {
            "event": e.event,
            "time": e.time,
            "pid": e.pid,
            "action": e.action,
            "peer": "" if e.peer is None else e.peer,
            "label": e.label,
            "lamport": e.lamport,
            "vector": e.vector.format(pids),
            "total order": rank[e.event],
        }
        for e in events
    ]
    return pd.DataFrame(rows, columns=list(_TABLE_COLUMNS))


_SHOW = ("lamport", "vector", "both")


def clock_label(pids: Sequence[Pid], show: str = "both"):
    """An ``annotate`` function for :func:`ddia10.viz.spacetime`: writes each
    clocked event's id with its Lamport time, its vector clock (in ``pids``
    order) or both, e.g. ``"B1: 3 [2,1,0]"``."""
    check_choice("show", show, _SHOW)
    pids = list(pids)
    by_name = {str(p): p for p in pids}

    def label(event) -> str | None:
        d = event.data
        if event.kind != "state" or "lamport" not in d or "vector" not in d:
            return None
        vector = as_vector(d["vector"], by_name).format(pids)
        stamp = {"lamport": str(d["lamport"]), "vector": vector,
                 "both": f"{d['lamport']} {vector}"}[show]
        return f"{d['event']}: {stamp}"

    return label


def draw_clocks(trace: Trace | Simulation, *, show: str = "both",
                pids: Sequence[Pid] | None = None, **kwargs: Any):
    """The space-time diagram of a clocked run: a dot at every event, labelled
    with its clocks (``show``: ``"lamport"``, ``"vector"`` or ``"both"``)."""
    from ..viz.spacetime import spacetime

    if isinstance(trace, Simulation):
        trace = trace.trace
    events = clock_events(trace)
    if pids is None:
        pids = sorted({e.pid for e in events}, key=pid_key)
    fig = spacetime(trace, pids=pids, annotate=clock_label(pids, show), **kwargs)
    ax = fig.axes[0]
    row = {p: r for r, p in enumerate(pids)}
    shown = [e for e in events if e.pid in row]
    ax.plot([e.time for e in shown], [row[e.pid] for e in shown], "o", color="#6a1b9a", ms=4,
            zorder=6)
    return fig


# ---------------------------------------------------------------------- total order broadcast
SEQUENCER_PLAN = ((1, "A", "x=1"), (1.5, "B", "y=2"), (2, "C", "x=3"), (2.5, "A", "y=4"))
"""The four broadcasts of :func:`ordered_broadcasts`: ``(time, sender, payload)``."""


def ordered_broadcasts(seed: int = 2) -> Simulation:
    """A, B, C and D broadcast :data:`SEQUENCER_PLAN` through sequencer D over
    links of 1–6 ms, run for 100 ms."""
    sim = sequencer_cluster(["A", "B", "C", "D"], "D", seed=seed, latency=(1.0, 6.0))
    schedule_broadcasts(sim, SEQUENCER_PLAN)
    sim.run(100)
    return sim


CRASH_PIDS = ("A", "B", "C", "S")
CRASH_PLAN = (
    (1.0, "A", "x=1"), (2.0, "B", "y=2"), (3.0, "C", "x=3"),
    (20.0, "A", "y=4"), (25.0, "B", "x=5"), (80.0, "C", "x=6"),
)
CRASH_AT = 15.0


def sequencer_crash_world(*, seed: int = 0, failover_ms: float | None = None) -> Simulation:
    """A, B and C broadcast through sequencer S, which crashes at ``CRASH_AT`` ms
    while broadcasts keep coming (``CRASH_PLAN``). Not yet run."""
    sim = sequencer_cluster(CRASH_PIDS, "S", seed=seed, failover_ms=failover_ms)
    schedule_broadcasts(sim, CRASH_PLAN)
    sim.at(CRASH_AT, lambda s: s.crash("S"), label="crash S")
    return sim


SPLIT_PIDS = ("A", "B", "C", "D")
SPLIT_PLAN = ((1.0, "B", "x=1"), (150.0, "B", "x=2"), (150.0, "D", "x=3"), (260.0, "C", "x=4"))
SPLIT_FAILOVER_MS = 30.0


def split_sequencers_world(*, seed: int = 0) -> Simulation:
    """Naive failover under a partition: {A, B} | {C, D} from 20 ms to 220 ms,
    with A the sequencer; C and D time out and promote C. Not yet run."""
    sim = sequencer_cluster(SPLIT_PIDS, "A", seed=seed, failover_ms=SPLIT_FAILOVER_MS)
    schedule_broadcasts(sim, SPLIT_PLAN)
    sim.at(20.0, lambda s: s.partition(["A", "B"], ["C", "D"]), label="partition")
    sim.at(220.0, lambda s: s.heal(), label="heal")
    return sim


PROPOSALS: Mapping[str, str] = {"A": "red", "B": "green", "C": "blue", "D": "amber"}
"""What each process proposes in the chapter's consensus runs (sequencer A)."""


def consensus_run(seed: int) -> Simulation:
    """Consensus from total order broadcast: each process proposes
    :data:`PROPOSALS` through sequencer A over links of 0.5–8 ms that reorder
    30% of messages, run for 200 ms; read the result with
    :func:`~ddia10.tob.decisions`."""
    sim = consensus_via_tob(PROPOSALS, "A", seed=seed, latency=(0.5, 8.0), reorder=0.3)
    sim.run(200)
    return sim


def stalled_consensus(seed: int = 1) -> Simulation:
    """The same proposals with the sequencer A crashed at once, run for 500 ms:
    nobody ever decides."""
    sim = consensus_via_tob(PROPOSALS, "A", seed=seed)
    sim.crash("A")
    sim.run(500)
    return sim


def raft_tob_crash_run(*, seed: int = 1) -> RaftCluster:
    """Five Raft servers deliver x=1 and y=2; the leader crashes; the other
    four elect a new leader and deliver x=3 and y=4. Returns the finished run."""
    cluster = raft_tob_cluster(5, seed=seed)
    cluster.wait_for_leader()
    for payload in ("x=1", "y=2"):
        cluster.agree(payload)
    cluster.crash(cluster.leader())
    for payload in ("x=3", "y=4"):
        cluster.agree(payload, servers=4)
    cluster.run(300)
    return cluster


def raft_tob_partition_run(*, seed: int = 2) -> tuple[RaftCluster, Pid]:
    """The partition that split the naive sequencers, on Raft: the leader and
    one follower are cut off; the old leader accepts a broadcast it can never
    commit, the majority elects a leader and delivers another; then the
    network heals. Returns the finished run and the old leader's id."""
    cluster = raft_tob_cluster(5, seed=seed)
    old = cluster.wait_for_leader()
    cluster.agree("x=1")
    minority = [old, next(p for p in cluster.ids if p != old)]
    cluster.partition(minority, [p for p in cluster.ids if p not in minority])
    cluster.submit("x=2 (old leader)", node=old)
    cluster.run(50)
    cluster.agree("x=3 (new leader)", servers=3)
    cluster.heal()
    cluster.run(1000)
    return cluster, old


def delivery_label(event) -> str | None:
    """An ``annotate`` function for :func:`ddia10.viz.spacetime`: at each
    delivery, its position and payload (``"#2 y=2"``)."""
    d = event.data
    if event.kind != "state" or "delivered" not in d or not d["delivered"]:
        return None
    return f"#{len(d['delivered'])} {d['delivered'][-1]}"


# ---------------------------------------------------------------------- the players
# Three processes on a line, A on the left: the order of the space-time rows.
_LINE = {"A": (-0.8, 0.0), "B": (0.0, 0.0), "C": (0.8, 0.0)}


def _clock_buttons(pids: Sequence[str]) -> dict[str, Callable[[Simulation], None]]:
    buttons: dict[str, Callable[[Simulation], None]] = {}
    for p in pids:
        buttons[f"{p}: local event"] = lambda sim, p=p: sim.call(p, ClockedProcess.local_event,
                                                               "pressed")
    for p in pids:
        for q in pids:
            if p != q:
                buttons[f"{p} → {q}"] = lambda sim, p=p, q=q: sim.call(p, ClockedProcess.send, q,
                                                                       "pressed")
    return buttons


def _latest_clocks_table(pids: Sequence[str]) -> Callable[[ClusterView], object]:
    def table(view: ClusterView):
        import pandas as pd

        rows = []
        for pid, p in view.processes.items():
            a = p.annotations
            vector = VectorClock({str(k): n for k, n in a.get("vector", {}).items()})
            rows.append({
                "process": pid,
                "last event": a.get("event", ""),
                "did": a.get("action", ""),
                "Lamport": a.get("lamport", 0),
                "vector " + "".join(pids): vector.format(pids),
            })
        return pd.DataFrame(rows)

    return table


def lamport_scenario() -> Scenario:
    """The chapter's Lamport trace (final counters A=2, B=4, C=5), then free play."""
    return Scenario(
        title="Lamport clocks: the worked trace",
        build=lambda: clock_world(WORKED_PIDS, LAMPORT_WORKED_STEPS, latency=WORKED_LATENCY),
        buttons=_clock_buttons(WORKED_PIDS),
        table=_latest_clocks_table(WORKED_PIDS),
        description=(
            "A ticks and sends to B; C ticks on its own; B receives, then sends to C. "
            "A receive sets the counter to max(local, received) + 1. In a live notebook, "
            "buttons add events of your own."
        ),
        layout=_LINE,
    )


def vector_scenario() -> Scenario:
    """The chapter's vector-clock trace: B=[2,1,0] and C=[0,0,1], concurrent."""
    return Scenario(
        title="Vector clocks: two concurrent writes",
        build=lambda: clock_world(WORKED_PIDS, VECTOR_WORKED_STEPS, latency=WORKED_LATENCY),
        buttons=_clock_buttons(WORKED_PIDS),
        table=_latest_clocks_table(WORKED_PIDS),
        description=(
            "A writes x=1 and tells B; C writes x=2 having heard from no one. Neither of "
            "B's and C's vectors is <= the other: the writes are concurrent."
        ),
        layout=_LINE,
    )


# A sequencer run ends a step whenever a process's state changes (a delivery, a
# new sequencer) or the world does; heartbeats alone never cost a click, and a
# step of a world that only heartbeats any more stops after a few hundred events.
_TOB_STEPS = frozenset({"state", "crash", "restart", "partition", "heal", "note"})
_TOB_MAX_EVENTS = 400


def _tob_table(view: ClusterView):
    import pandas as pd

    rows = []
    for pid, p in view.processes.items():
        a = p.annotations
        rows.append({
            "process": pid,
            "status": p.status,
            "follows": a.get("sequencer", ""),
            "delivered": " ".join(map(str, a.get("delivered", ()))),
        })
    return pd.DataFrame(rows)


def _broadcast_buttons(pids: Sequence[str]) -> dict[str, Callable[[Simulation], None]]:
    def press(p: str) -> Callable[[Simulation], None]:
        def act(sim: Simulation) -> None:
            broadcast(sim, p, f"{p.lower()}{sum(1 for e in sim.trace if e.kind == 'note')}")

        return act

    return {f"{p} broadcasts": press(p) for p in pids}


def sequencer_crash_scenario(*, failover_ms: float | None = None) -> Scenario:
    """A, B and C broadcast through sequencer S, which crashes at ``CRASH_AT`` ms."""
    buttons = _broadcast_buttons([p for p in CRASH_PIDS if p != "S"])
    buttons["Restart S"] = lambda sim: sim.restart("S")
    return Scenario(
        title="Total order broadcast with a sequencer" + (
            " and naive failover" if failover_ms else ""),
        build=lambda: sequencer_crash_world(failover_ms=failover_ms),
        buttons=buttons,
        table=_tob_table,
        # without heartbeats, show each broadcast lost to the dead sequencer as a step
        step_kinds=_TOB_STEPS if failover_ms else _TOB_STEPS | {"drop"},
        max_events=_TOB_MAX_EVENTS,
        description=(
            "Every broadcast goes to S, which numbers it and sends it to all; each process "
            f"delivers in number order. S crashes at {CRASH_AT:g} ms: what happens to the "
            "broadcasts that follow?"
        ),
    )


def split_sequencers_scenario() -> Scenario:
    """Naive sequencer failover under a partition: two sequencers, two orders."""
    return Scenario(
        title="Replacing the sequencer by timeout",
        build=split_sequencers_world,
        buttons={**_broadcast_buttons(SPLIT_PIDS), "Heal": lambda sim: sim.heal()},
        table=_tob_table,
        step_kinds=_TOB_STEPS,
        max_events=_TOB_MAX_EVENTS,
        description=(
            "A numbers messages until a partition cuts {A, B} from {C, D}. C and D stop "
            "hearing A, give up on it and promote C. A is alive: now two processes hand out "
            "the same numbers to different messages."
        ),
    )
