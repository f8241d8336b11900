"""Players for the ordering chapter: logical clocks, and total order broadcast.

Each function returns a :class:`~ddia10.viz.Scenario` built on the real
protocol code of :mod:`ddia10.clocks` and :mod:`ddia10.tob`: the chapter's
worked traces to step through, with buttons that add local events and
messages, and the sequencer's two failure modes (it crashes; it is replaced
by timeout while it is merely cut off).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..clocks import (
    LAMPORT_WORKED_STEPS,
    VECTOR_WORKED_STEPS,
    WORKED_LATENCY,
    WORKED_PIDS,
    ClockedProcess,
    VectorClock,
    clock_world,
)
from ..sim import Simulation
from ..tob import (
    CRASH_AT,
    CRASH_PIDS,
    SPLIT_PIDS,
    broadcast,
    sequencer_crash_world,
    split_sequencers_world,
)
from ..viz import ClusterView, Scenario

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


def _clock_table(pids: Sequence[str]) -> Callable[[ClusterView], object]:
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
        table=_clock_table(WORKED_PIDS),
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
        table=_clock_table(WORKED_PIDS),
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
