"""Chapter 4's load experiment: what a slow disk costs, and what batching buys.

:func:`load_run` keeps ``clients`` clients busy in one datacenter (each sends
its next write as soon as the last one is answered) and measures writes per
second and the median write latency. With ``batching`` the leader packs up to
``max_batch`` entries into one AppendEntries and keeps up to ``max_inflight``
of them in flight per follower (the defaults); without, it sends one entry per
message and waits for each reply. Every server's disk gathers the writes that
arrive during an ``fsync`` into the next one (group commit) in both cases.
:func:`load_table` runs the grid the chapter shows.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from ...raft.client import KVRun
from ...validate import check_bool, check_int, check_number
from .commit_latency import SAME_DC, led_by_server_1


@dataclass(frozen=True)
class Load:
    """One measured run: its settings, writes per second of simulated time,
    and the median latency of a write (ms, as its client saw it)."""

    disk_latency: float
    batching: bool
    clients: int
    writes_per_s: float
    median_ms: float


def load_run(disk_latency: float, *, batching: bool = True, clients: int = 10,
             writes: int = 5, seed: int = 0) -> Load:
    """``clients`` clients each complete ``writes`` puts, one after another,
    on five servers whose disks take ``disk_latency`` ms per write."""
    check_number("disk_latency", disk_latency, min=0, unit="ms")
    check_bool("batching", batching)
    check_int("clients", clients, min=1)
    check_int("writes", writes, min=1)
    unbatched = {} if batching else {"max_batch": 1, "max_inflight": 1}
    run = KVRun(seed, clients=clients, trace=True, latency=SAME_DC.local,
                disk_latency=disk_latency, election_timeout=(1000.0, 2000.0),
                heartbeat_interval=100.0, client_timeout=60_000.0, **unbatched)
    led_by_server_1(run)
    start, first = run.sim.now, len(run.sim.trace)
    for k in range(writes):
        for client in run.clients:
            run.submit(client, "put", "x", f"{client}.{k}")
    if not run.run_until_idle(60_000.0 * writes):
        raise RuntimeError("the writes did not complete; is a majority reachable?")
    invoked, latencies = {}, []
    for e in run.sim.trace.events[first:]:
        key = (e.data.get("client"), e.data.get("seq"))
        if e.kind == "invoke":
            invoked[key] = e.time
        elif e.kind == "return":
            latencies.append(e.time - invoked[key])
    elapsed = run.sim.now - start
    return Load(float(disk_latency), batching, clients, 1000.0 * len(latencies) / elapsed,
                statistics.median(latencies))


def load_table(disks: Iterable[float], clients: Iterable[int], writes: int = 5):
    """One row per disk latency, batching on and off, and number of clients:
    writes per second and median latency (ms)."""
    import pandas as pd

    rows = [load_run(disk, batching=batching, clients=n, writes=writes)
            for disk in disks for batching in (True, False) for n in clients]
    if not rows:
        raise ValueError("load_table needs at least one disk latency and one client count")
    return pd.DataFrame([{
        "fsync (ms)": r.disk_latency,
        "batching and pipelining": "on" if r.batching else "off",
        "clients": r.clients,
        "writes/s": round(r.writes_per_s),
        "median latency (ms)": round(r.median_ms, 1)} for r in rows])
