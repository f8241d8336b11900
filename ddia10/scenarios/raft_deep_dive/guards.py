"""Chapter 5's PreVote and CheckQuorum: a follower cut off for a while comes back.

:func:`rejoin_run` cuts a follower off for :data:`REJOIN_AWAY_MS`, heals, and
watches for another second, with or without each guard; :func:`rejoin_scenario`
plays it.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from ...raft import RaftCluster
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
