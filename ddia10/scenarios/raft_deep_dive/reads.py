"""Chapter 5's reads: two ways to break a lease, and ReadIndex on the same runs.

A leader's lease is a promise resting on two things: its own clock, which
measures the lease, and the followers' memory that they heard from it, which
keeps them from voting for anyone else until the lease is over. Break either
and a deposed leader serves a stale value, which the linearizability checker
catches:

- :func:`lease_drift_run` — the leader's clock runs slow: it measures a lease
  that has ended in real time as still running;
- :func:`lease_restart_run` — every clock exact, but the followers that
  vouched for the lease crash and restart, forget, and vote a new leader in
  at once (unless ``quiet_restart``, on by default, keeps them quiet);
- :func:`read_history_figure` — either run's history, every operation labelled.

With ``read_mode="read_index"`` the same runs stay linearizable: the old
leader must hear from a majority before it answers, and cannot.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from ...raft.client import KVRun
from ...validate import check_instance, check_number


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

    def slow_clock(run: KVRun, old: Hashable, others: list) -> None:
        run.sim.note(f"server {old} and c1 are cut off; server {old}'s clock runs at "
                     f"{clock_rate}x")
        run.cluster.partition([old, "c1"], others + ["c2"])
        run.sim.set_clock(old, rate=clock_rate)
        run.cluster.run_until(lambda c: c.leader() not in (None, old), 5000)

    run = KVRun(seed, n=5, clients=2, read_mode=read_mode, check_quorum=True,
                latency=(1.0, 5.0))
    return _stale_read(run, slow_clock, lambda old: run.sim.set_clock(old, rate=1.0))


LEASE_AWAY_MS = 400.0
"""How long two followers of :func:`lease_restart_run` are cut off before the lease breaks."""


def lease_restart_run(seed: int = 0, read_mode: str = "lease", *, forced: bool = True,
                      quiet_restart: bool = True) -> KVRun:
    """The followers that vouched for a lease crash and restart; every clock exact.

    Client ``c1`` writes ``x = "1"``. Two followers are cut off from the
    leader for :data:`LEASE_AWAY_MS`: its lease now rests on the other two alone.
    Then the leader and ``c1`` are cut off from everyone else, and those two
    followers crash and restart at once. A server that was away stands for
    election — at once with ``forced``, else when its own timer fires. A new
    leader takes ``c2``'s write of ``x = "2"``, which returns; only then does
    ``c1`` read ``x`` from the old leader. Without ``quiet_restart`` the
    restarted followers have forgotten that they heard from the old leader
    and vote at once, while its lease still runs: it answers ``"1"``. With
    it, they stay quiet for a minimum election timeout, which outlasts any
    lease they vouched for, and the read cannot be stale.
    """

    def crash_followers(run: KVRun, old: Hashable, others: list) -> None:
        away, vouched = others[2:], others[:2]
        run.sim.note(f"servers {away} are cut off from server {old}")
        run.cluster.partition(away, [old, *vouched, "c1", "c2"])
        run.run(LEASE_AWAY_MS)
        run.sim.note(f"server {old} and c1 are cut off; servers {vouched}, whose answers "
                     "kept its lease, crash and restart")
        run.cluster.partition([old, "c1"], others + ["c2"])
        for pid in vouched:
            run.cluster.crash(pid)
            run.cluster.restart(pid)
        if forced:
            run.cluster.campaign(away[0])
        run.cluster.run_until(lambda c: c.leader() not in (None, old), 5000)

    run = KVRun(seed, n=5, clients=2, read_mode=read_mode, check_quorum=True,
                latency=(1.0, 5.0), quiet_restart=bool(quiet_restart))
    return _stale_read(run, crash_followers, lambda old: None)


def _stale_read(run: KVRun, break_lease: Callable[[KVRun, Hashable, list], None],
                repair: Callable[[Hashable], None]) -> KVRun:
    """``c1`` writes 1; ``break_lease`` cuts the leader off and gets another one
    elected; ``c2`` writes 2; then ``c1`` reads from the old leader; finally
    the network heals (and ``repair`` undoes what else was broken)."""
    seed = run.cluster.sim.seed
    old = run.cluster.wait_for_leader()
    run.submit("c1", "put", "x", "1")
    if not run.run_until_idle(2000):
        raise RuntimeError(f"seed {seed}: the first write did not complete")
    break_lease(run, old, [s for s in run.servers if s != old])
    run.submit("c2", "put", "x", "2")
    if not run.run_until_idle(2000, ["c2"]):
        raise RuntimeError(f"seed {seed}: the new leader did not take the second write")
    run.run(20)  # the read starts strictly after the write returned
    run.submit("c1", "get", "x")
    run.run(1000)
    run.cluster.heal()
    repair(old)
    run.run_until_idle(3000)
    return run


def read_history_figure(history, verdict, title: str):
    """The history of a lease or ReadIndex run as a figure, every operation
    labelled with what it did: a bar too short for its label inside (a read
    of a few ms beside writes of tens) gets it at its right end."""
    from ...linearizability import History
    from ...viz.history import history_figure, history_layout

    check_instance("history", history, History)
    fig = history_figure(history, verdict, title=title)
    ax = fig.axes[0]
    shown = {text.get_text() for text in ax.texts}
    for bar in history_layout(history, verdict).bars:
        if bar.label not in shown:
            ax.annotate(bar.label, (bar.end, -bar.row), xytext=(4, 0),
                        textcoords="offset points", va="center", fontsize=8.5)
    return fig
