"""Quorum loss: a three-replica service healthy, degraded (one down) and lost (two down).

:func:`quorum_probe` measures, in each state, what a client gets: a write, a
linearizable read, a serializable read of the replica still up (and whether
it is stale), and what happens to a lock holder that must renew its lease.
:func:`quorum_table` puts the three states side by side. Staleness is made
concrete: before the quorum is lost, the surviving replica is cut off for a
moment and misses the last write, so its serializable read returns the
value before it.

:func:`quorum_scenario` is the player: a lock holder writing to ``db`` while
the reader crashes replicas one by one and restarts them
(:data:`QUORUM_PRESSES` is the story).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...coord import CoordCluster, CoordError, LockHolder, Put, Range
from ...sim import Simulation
from ...validate import check_choice, check_int
from ...viz import Scenario
from .fencing import lock_table, presses_at, with_clock

STATES = ("healthy", "degraded", "lost")
PATIENCE = 2000.0
"""How long a probe waits for an answer (ms) before calling it stalled."""
HOLDER_TTL = 2


@dataclass
class QuorumProbe:
    """What a client saw in one state (times in ms; ``None``: no answer within
    :data:`PATIENCE`)."""

    state: str
    write_ms: float | None
    linearizable_read_ms: float | None
    serializable_read: str | None
    latest_value: str
    holder_writes_after_loss: int
    holder_stopped_after_ms: float | None


def _timed(svc: CoordCluster, op, **kw) -> tuple[object | None, float | None]:
    start = svc.sim.now
    try:
        result = svc.request(op, timeout_ms=PATIENCE, **kw)
    except (TimeoutError, CoordError):
        return None, None
    return result, svc.sim.now - start


def quorum_probe(state: str, seed: int = 1) -> QuorumProbe:
    """Bring a service with a lock holder to ``state`` and probe it."""
    check_choice("state", state, STATES)
    check_int("seed", seed)
    svc = CoordCluster(3, seed)
    svc.add_resource("db")
    svc.add_client("L", LockHolder, resource="db", ttl=HOLDER_TTL, acts=10_000,
                   work=(100.0, 100.0), think=(0.0, 0.0))
    svc.request(Put("x", "v1"))
    svc.run(1500)
    survivor = 3 if svc.leader() != 3 else 1
    svc.sim.disconnect(survivor)  # it misses the next write
    svc.request(Put("x", "v2"))
    svc.run(100)
    svc.sim.reconnect(survivor)
    others = [s for s in svc.servers if s != survivor]
    down = {"healthy": [], "degraded": others[:1], "lost": others}[state]
    for server in down:
        svc.crash(server)
    lost_at = svc.sim.now
    db = svc.process("db")
    before = len(db.writes)
    _result, write_ms = _timed(svc, Put("x", "v3"))
    _result, read_ms = _timed(svc, Range("x"))
    seen, _ms = _timed(svc, Range("x", serializable=True), server=survivor)
    svc.run(3 * HOLDER_TTL * 1000)
    holder_writes = [ev.time for ev in svc.sim.trace.of_kind("deliver")
                     if ev.pid == "db" and ev.data["src"] == "L" and ev.time > lost_at]
    stopped = None
    if state == "lost":
        stopped = (max(holder_writes) - lost_at) if holder_writes else 0.0
    return QuorumProbe(state, write_ms, read_ms,
                       seen.kvs[0].value if seen is not None and seen.kvs else None,
                       "v3" if write_ms is not None else "v2",
                       len(db.writes) - before, stopped)


def quorum_table(seed: int = 1):
    """The three states side by side (one column each)."""
    import pandas as pd

    def ms(x: float | None) -> str:
        return "stalls (no answer)" if x is None else f"answered in {x:.0f} ms"

    columns = {}
    for state in STATES:
        p = quorum_probe(state, seed)
        columns[f"{state} ({STATES.index(state)} down)"] = {
            "write": ms(p.write_ms),
            "linearizable read": ms(p.linearizable_read_ms),
            "serializable read of the survivor": f"{p.serializable_read!r} (latest committed: "
                                                 f"{p.latest_value!r})",
            "lock holder": (f"keeps the lock, {p.holder_writes_after_loss} writes in 6 s"
                            if p.holder_stopped_after_ms is None else
                            f"cannot renew; stops writing {p.holder_stopped_after_ms:.0f} ms "
                            "after the loss"),
        }
    return pd.DataFrame(columns)


# ---------------------------------------------------------------------- the player
CRASH = "Crash a replica"
RESTART = "Restart the replicas"


def _crash_one(sim: Simulation) -> None:
    up = [p for p in (3, 2, 1) if sim.is_up(p)]
    if len(up) <= 1:
        sim.note("only one replica is left")
    else:
        sim.crash(up[0])


def _restart_all(sim: Simulation) -> None:
    for pid in (1, 2, 3):
        if not sim.is_up(pid):
            sim.restart(pid)


def quorum_scenario(seed: int = 1) -> Scenario:
    """Three replicas and a lock holder ``L`` writing to ``db`` every 150 ms."""
    check_int("seed", seed)

    def build() -> Simulation:
        svc = CoordCluster(3, seed)
        svc.add_resource("db")
        svc.add_client("L", LockHolder, resource="db", ttl=HOLDER_TTL, acts=10_000,
                       work=(150.0, 150.0), think=(0.0, 0.0))
        return with_clock(svc.sim)

    return Scenario(
        title="Quorum loss: healthy, degraded, lost",
        build=build,
        buttons={CRASH: _crash_one, RESTART: _restart_all},
        table=lock_table,
        description="L holds a lock (lease 2 s) and writes to db. Crash one replica: the "
                    "other two still make a majority, and nothing changes for L. Crash a "
                    "second: no majority, no leader, no renewal; L's lease runs out on its "
                    "clock and it stops writing. Restart them and it takes the lock again.",
        step_kinds=frozenset({"state", "crash", "restart", "note", "pause", "resume"}),
        max_events=4000,
        layout={1: (-0.55, -0.6), 2: (0.0, -0.8), 3: (0.55, -0.6), "L": (-0.6, 0.6),
                "db": (0.6, 0.6), "clock": (0.9, 0.95)},
    )


QUORUM_STORY = [(1500.0, CRASH), (3000.0, CRASH), (6500.0, RESTART)]
"""Crash one replica at 1.5 s, a second at 3 s, bring them back at 6.5 s."""


def quorum_presses(seed: int = 1) -> list[tuple[int, str]]:
    """:data:`QUORUM_STORY` as steps of :func:`quorum_scenario`."""
    return presses_at(quorum_scenario(seed), QUORUM_STORY)


QUORUM_STEPS = 125
"""How many steps the static player shows (to about 7.8 s)."""
