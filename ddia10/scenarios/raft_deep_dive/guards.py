"""Chapter 5's PreVote and CheckQuorum: servers that disturb a healthy leader.

:func:`rejoin_run` cuts a follower off for :data:`REJOIN_AWAY_MS`, heals, and
watches for another second, with or without each guard; :func:`rejoin_scenario`
plays it. :func:`removed_run` removes two servers that never hear of their
removal and leaves them running (thesis §4.2.3), with or without each guard.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from ...raft import Configuration, RaftCluster
from ...viz import Scenario
from ...viz.raft_log import leaders, log_panel, log_table

REJOIN_AWAY_MS = 1000.0
"""How long the cut-off follower stays away in :func:`rejoin_run`."""


@dataclass(frozen=True)
class RejoinResult:
    """How a rejoin went: the leader and its term before, the term the cut-off
    server reached while away, and the leaders elected after it came back."""

    prevote: bool
    check_quorum: bool
    seed: int
    leader: Hashable
    term_before: int
    away_term: int
    term_after: int
    elections_after: int


def _rejoin_cluster(prevote: bool, check_quorum: bool, seed: int) -> tuple[RaftCluster, Any]:
    c = RaftCluster(5, seed=seed, prevote=bool(prevote), check_quorum=bool(check_quorum))
    leader = c.wait_for_leader()
    c.agree("a")
    away = max(p for p in c.ids if p != leader)
    c.sim.note(f"Server {away} is cut off from the others.")
    c.partition([away], [p for p in c.ids if p != away])
    c.sim.after(REJOIN_AWAY_MS, lambda sim: (sim.note(f"Server {away} is back."), sim.heal()),
                "heal")
    return c, away


def rejoin_run(prevote: bool = False, check_quorum: bool = False, seed: int = 0) -> RejoinResult:
    """Cut a follower off for :data:`REJOIN_AWAY_MS`, heal, and watch for 1 s."""
    c, away = _rejoin_cluster(prevote, check_quorum, seed)
    leader = c.leader()
    before = c.state(leader).term
    c.run(REJOIN_AWAY_MS - 1)
    away_term = c.state(away).term
    c.run(1001)
    elected_after = [t for t, _pid, _term in leaders(c.trace) if t >= c.sim.now - 1001]
    term_after = max(c.state(p).term for p in c.ids)
    return RejoinResult(bool(prevote), bool(check_quorum), seed, leader, before, away_term,
                        term_after, len(elected_after))


def rejoin_scenario(prevote: bool = False, check_quorum: bool = False, seed: int = 0) -> Scenario:
    """A follower rejoins after a partition, in a player."""
    guards = " + ".join(n for n, on in (("PreVote", prevote), ("CheckQuorum", check_quorum))
                        if on) or "no PreVote, no CheckQuorum"
    return Scenario(
        title=f"A cut-off follower rejoins ({guards})",
        build=lambda: _rejoin_cluster(prevote, check_quorum, seed)[0].sim,
        table=log_table,
        panels={"Logs": log_panel},
        step_kinds=frozenset({"state", "note", "partition", "heal"}),
        max_events=400,
        description=("The cut-off server's election timer keeps firing. Does its term climb, "
                     "and does the leader lose its job when the server comes back?"),
    )


REMOVED_WATCH_MS = 5000.0
"""How long :func:`removed_run` watches the cluster after removing two servers."""


@dataclass(frozen=True)
class RemovedResult:
    """How a cluster fared with two removed servers left running: the term
    when the removal committed and :data:`REMOVED_WATCH_MS` later, and the
    leaders elected in between."""

    prevote: bool
    check_quorum: bool
    seed: int
    removed: tuple
    term_before: int
    term_after: int
    elections_after: int


def removed_run(prevote: bool = False, check_quorum: bool = False, seed: int = 0) -> RemovedResult:
    """Five servers become three; the two removed ones never learn it.

    The two followers to be removed are cut off, so the configuration that
    removes them (joint consensus, then the three alone) never reaches them.
    Once it has committed the network heals, and the removed servers, still
    running and still believing in the old configuration, hear from no
    leader: their timers fire and they ask the three for votes, in ever
    higher terms. Counts the term bumps and elections that follow.
    """
    c = RaftCluster(5, seed=seed, prevote=bool(prevote), check_quorum=bool(check_quorum))
    leader = c.wait_for_leader()
    c.agree("a")
    removed = tuple(p for p in c.ids if p != leader)[-2:]
    kept = [p for p in c.ids if p not in removed]
    c.sim.note(f"Servers {list(removed)} are cut off, and a change removes them.")
    c.partition(list(removed), kept)
    wanted = Configuration(frozenset(kept))

    def removed_for_good(cl: RaftCluster) -> bool:
        now = cl.leader()
        if now is None or now in removed:
            return False
        node = cl.node(now)
        if node.config == wanted:
            return not node._config_pending()
        if not node.config.joint and not node._config_pending():
            cl.change_membership(kept)
        return False

    c.run_until(removed_for_good, 5000)
    c.sim.note(f"The change has committed; the network heals. Servers {list(removed)} "
               "keep running.")
    c.heal()
    before = max(c.state(p).term for p in kept)
    start = c.sim.now
    c.run(REMOVED_WATCH_MS)
    elected = [t for t, pid, _term in leaders(c.trace) if t > start and pid in kept]
    return RemovedResult(bool(prevote), bool(check_quorum), seed, removed, before,
                         max(c.state(p).term for p in kept), len(elected))
