"""Chapter 5's reads: a lease read made stale by a slow clock, and ReadIndex on the same run.

:func:`lease_drift_run` is the one staging of the claim: a deposed leader whose
clock runs slow still trusts its lease and serves a stale value, which the
linearizability checker catches; with ReadIndex the same run stays
linearizable.
"""

from __future__ import annotations

from ...raft.client import KVRun
from ...validate import check_number


def lease_drift_run(seed: int = 0, read_mode: str = "lease", *, clock_rate: float = 0.1) -> KVRun:
    """A leader whose clock runs slow is cut off with one client, and reads.

    Client ``c1`` writes ``x = "1"``. Then the leader and ``c1`` are partitioned
    from the other four servers and client ``c2``, and the old leader's clock
    drops to ``clock_rate`` times true speed. The majority elects a new leader
    and ``c2`` writes ``x = "2"``, which returns. Only then does ``c1`` read
    ``x`` from the old leader. With ``read_mode="lease"`` the old leader still
    believes its lease — it measures the lease on its own slow clock — and
    answers ``"1"``: a stale read, after a write that had already returned.
    With ``read_mode="read_index"`` it must first hear from a majority, cannot,
    and ``c1`` gets its answer from the new leader once the partition heals.
    """
    check_number("clock_rate (a slow clock)", clock_rate, positive=True, max=1)
    run = KVRun(seed, n=5, clients=2, read_mode=read_mode, check_quorum=True,
                latency=(1.0, 5.0))
    old = run.cluster.wait_for_leader()
    run.submit("c1", "put", "x", "1")
    if not run.run_until_idle(2000):
        raise RuntimeError(f"seed {seed}: the first write did not complete")
    others = [s for s in run.servers if s != old]
    run.sim.note(f"server {old} and c1 are cut off; server {old}'s clock runs at {clock_rate}x")
    run.cluster.partition([old, "c1"], others + ["c2"])
    run.sim.set_clock(old, rate=clock_rate)
    run.cluster.run_until(lambda c: c.leader() not in (None, old), 5000)
    run.submit("c2", "put", "x", "2")
    if not run.run_until_idle(2000, ["c2"]):
        raise RuntimeError(f"seed {seed}: the new leader did not take the second write")
    run.run(20)  # the read starts strictly after the write returned
    run.submit("c1", "get", "x")
    run.run(1000)
    run.cluster.heal()
    run.sim.set_clock(old, rate=1.0)
    run.run_until_idle(3000)
    return run
