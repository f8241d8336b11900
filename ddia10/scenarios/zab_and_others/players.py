"""Chapter 7's ZAB player: a leader change, and the epoch moving in the zxids.

:func:`zab_leader_change` builds three ZAB servers on the simulator, slowed down
so a reader sees each message in flight. The buttons write to the leader,
kill it, and restart what is down. :data:`STORY` is the chapter's sequence:
two writes in epoch 1, the leader killed, the election and the new leader's
discovery and synchronization, two writes in epoch 2 (their zxids start
again at counter 1, with the epoch one higher), and the old leader back as a
follower. :func:`zab_table` shows each server's role, epochs and history as
zxids; :func:`proposed_zxids` reads every zxid a leader proposed from a trace.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from ...sim import Simulation, Trace
from ...validate import check_instance, check_int
from ...viz import ClusterView, Scenario
from ...zab import LEADING, Proposal, ZabCluster, zxid_counter, zxid_epoch
from ...zab.server import BROADCAST

SERVERS = (1, 2, 3)
LATENCY = (4.0, 10.0)
"""One-way delays (ms): slow enough to watch."""

TIMING = {"tick": 60.0, "init_limit": 600.0, "sync_limit": 250.0, "finalize_wait": 30.0,
          "notify_interval": 120.0}
"""ZooKeeper's ticks and limits, slowed down in the same proportions."""

WRITE = "Client writes to the leader"
KILL = "Kill the leader"
RESTART = "Restart crashed servers"

STORY: list[tuple[int, str]] = [(11, WRITE), (14, WRITE), (20, KILL), (36, WRITE), (40, WRITE),
                                (44, RESTART)]
"""The presses the chapter plays: ``(step, button)``."""

STORY_STEPS = 60
"""How many steps of :data:`STORY` the static player shows."""

STEP_KINDS = frozenset("state drop note crash restart partition heal".split())
"""A step ends when a server's state changes or the world does; pings alone never do."""

LAYOUT = {1: (-0.7, 0.45), 2: (0.7, 0.45), 3: (0.0, -0.6)}


def _leader(sim: Simulation) -> Hashable | None:
    leading = [(sim.process(p).epoch, p) for p in SERVERS
               if sim.is_up(p) and sim.process(p).state == LEADING
               and sim.process(p).phase == BROADCAST]
    return max(leading)[1] if leading else None


def _write(sim: Simulation) -> None:
    leader = _leader(sim)
    if leader is None:
        sim.note("no server leads an established epoch: the write waits")
        return
    value = sum(1 for e in sim.trace.of_kind("note") if str(e.data["text"]).endswith(WRITE))
    sim.call(leader, lambda server, ctx: server.write(ctx, ("set", "x", value)))


def _kill(sim: Simulation) -> None:
    leader = _leader(sim)
    if leader is None:
        sim.note("no server leads right now: nothing to kill")
    else:
        sim.crash(leader)


def _restart(sim: Simulation) -> None:
    down = [p for p in SERVERS if not sim.is_up(p)]
    if not down:
        sim.note("every server is running")
    for p in down:
        sim.restart(p)


def zab_leader_change(seed: int = 1) -> Scenario:
    """Three ZAB servers: write, kill the leader, watch the next epoch begin."""
    check_int("seed", seed)

    def build() -> Simulation:
        return ZabCluster(len(SERVERS), seed, latency=LATENCY, **TIMING).sim

    return Scenario(
        title="ZAB: a leader change, seen in the zxids",
        build=build,
        buttons={WRITE: _write, KILL: _kill, RESTART: _restart},
        table=zab_table,
        description=(
            "Servers 1–3 elect a leader, which establishes epoch 1; each write gets the next "
            "zxid of the epoch. Kill the leader: the others elect a new one, which proposes "
            "epoch 2 to a quorum (discovery), brings it up to its history (synchronization), "
            "and only then writes, at counter 1 of epoch 2."
        ),
        step_kinds=STEP_KINDS,
        max_events=12,
        layout=LAYOUT,
    )


def _zxids(history: Any) -> str:
    """``["0x100000001:x=1", ...]`` as ``e1·1 x=1, ...``."""
    out = []
    for item in history or ():
        zxid, _, txn = str(item).partition(":")
        z = int(zxid, 16)
        out.append(f"e{zxid_epoch(z)}·{zxid_counter(z)} {txn}")
    return ", ".join(out) or "—"


def zab_table(view: ClusterView):
    """One row per server: role, promised and current epoch, phase, last zxid,
    its history as (epoch·counter) and how much of it is delivered."""
    import pandas as pd

    check_instance("view", view, ClusterView)
    rows = []
    for pid, p in view.processes.items():
        a = p.annotations
        rows.append({
            "server": str(pid),
            "status": p.status,
            "role": a.get("role", ""),
            "epoch": a.get("epoch", ""),
            "phase": a.get("phase", ""),
            "last zxid": a.get("zxid", ""),
            "history (epoch·counter)": _zxids(a.get("history")),
            "delivered": a.get("delivered", 0),
        })
    return pd.DataFrame(rows)


def proposed_zxids(trace: Trace) -> list[dict]:
    """Every transaction a leader proposed in ``trace``, once: who, when, its zxid
    and the zxid's two halves."""
    check_instance("trace", trace, Trace)
    seen: dict[int, dict] = {}
    for e in trace.of_kind("send"):
        msg = e.data["msg"]
        if isinstance(msg, Proposal) and msg.zxid not in seen:
            seen[msg.zxid] = {"time": round(e.time, 1), "leader": e.pid, "txn": msg.txn,
                              "zxid": f"{msg.zxid:#x}", "epoch": zxid_epoch(msg.zxid),
                              "counter": zxid_counter(msg.zxid)}
    return list(seen.values())
