"""Chapter 10's stagings: quorum systems, CASPaxos on the simulator, the decision tree.

- :func:`quorum_table`: Flexible Paxos' condition checked by
  :class:`~ddia10.quorum.QuorumSystem` for quorum sizes of five and six
  servers and for a grid, with how many crashes each phase survives.
- :func:`caspaxos_scenario` and :func:`caspaxos_table`: the register of
  :mod:`ddia10.caspaxos` in a player, and its fault campaign with and without
  the rule that makes it safe.
- :data:`DECISION_TREE`: which consistency, and which tool, as a tree of
  questions, walked by :func:`ddia10.viz.decision_tree.show_decision_tree`.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..caspaxos import CASPaxos, CasProposer, caspaxos_campaign
from ..quorum import QuorumSystem
from ..sim import Simulation
from ..viz import Scenario
from ..viz.decision_tree import TreeAdvice, TreeQuestion


# ---------------------------------------------------------------------- Flexible Paxos
def quorum_table(sizes: Iterable[tuple[int, int, int]] = ((5, 3, 3), (5, 4, 2), (5, 2, 2),
                                                          (6, 5, 2), (6, 4, 3), (6, 3, 3))):
    """Each ``(n, q1, q2)``: safe or not (with a disjoint pair), and how many
    crashes leave each phase a quorum; then a 3 x 3 grid."""
    import pandas as pd

    rows = []
    for n, q1, q2 in sizes:
        system = QuorumSystem.of_sizes(n, q1, q2)
        pair = system.disjoint_pair()
        rows.append({"quorums": f"{n} servers: phase 1 any {q1}, phase 2 any {q2}",
                     "safe": system.safe(),
                     "disjoint pair": "" if pair is None else
                     f"{sorted(pair[0])} and {sorted(pair[1])}",
                     "crashes phase 1 survives": n - q1, "crashes phase 2 survives": n - q2})
    grid = QuorumSystem.grid(3, 3)
    rows.append({"quorums": "3 x 3 grid: phase 1 a column, phase 2 a row", "safe": grid.safe(),
                 "disjoint pair": "", "crashes phase 1 survives": _grid_tolerance(grid, 1),
                 "crashes phase 2 survives": _grid_tolerance(grid, 2)})
    return pd.DataFrame(rows).set_index("quorums")


def _grid_tolerance(system: QuorumSystem, phase: int) -> int:
    """The most crashes that leave ``phase`` a quorum *whichever* servers crash."""
    from itertools import combinations

    voters = sorted(system.voters)
    for k in range(len(voters) + 1):
        for down in combinations(voters, k):
            if not system.survives(down)[phase - 1]:
                return k - 1
    return len(voters)


# ---------------------------------------------------------------------- CASPaxos
def caspaxos_world(seed: int = 3) -> Simulation:
    """Three acceptors and two proposers; each proposer asks for two changes."""
    c = CASPaxos(3, 2, seed)
    for t, proposer, name in ((5.0, "P1", "a"), (6.0, "P2", "b"), (60.0, "P1", "c"),
                              (61.0, "P2", "d")):
        c.sim.at(t, lambda sim, p=proposer, n=name: sim.call(p, CasProposer.change, n),
                 label=f"{proposer} changes: + {name}")
    return c.sim


def caspaxos_scenario(seed: int = 3) -> Scenario:
    """The register in a player, with buttons to crash and restart an acceptor and
    to ask for more changes."""
    counter = iter(range(1, 1000))
    return Scenario(
        "CASPaxos: two proposers, three acceptors, no leader",
        lambda: caspaxos_world(seed),
        buttons={
            "P1 adds a change": lambda sim: sim.call("P1", CasProposer.change,
                                                     f"x{next(counter)}"),
            "Crash A1": lambda sim: sim.crash("A1") if sim.is_up("A1") else None,
            "Restart A1": lambda sim: None if sim.is_up("A1") else sim.restart("A1"),
        },
        description="Each acceptor shows the state it accepted last; a proposer shows the "
                    "state it got chosen.",
    )


def caspaxos_table(seeds: Iterable[int] = range(20)):
    """The fault campaign with the rule of highest accepted state, and without it."""
    import pandas as pd

    rows = []
    for bug in (False, True):
        results = [caspaxos_campaign(seed, bug_ignore_accepted=bug) for seed in seeds]
        rows.append({"proposer builds on": "its own last state" if bug else
                     "the highest accepted state (the rule)",
                     "runs": len(results),
                     "states chosen": sum(r.chosen for r in results),
                     "runs where two states forked": sum(r.violation is not None
                                                         for r in results)})
    return pd.DataFrame(rows).set_index("proposer builds on")


# ---------------------------------------------------------------------- the decision tree
DECISION_TREE: dict[str, TreeQuestion | TreeAdvice] = {
    "start": TreeQuestion("What must stay correct?", (
        ("who leads, who holds a lock, the configuration", "coordination"),
        ("a uniqueness rule: one username, one payment per key", "unique"),
        ("money or stock moving between records", "records"),
        ("what users read: feeds, pages, carts", "reads"),
        ("counters, metrics, analytics", "eventual"),
    )),
    "coordination": TreeQuestion("Can the resource the lock protects check a token?", (
        ("yes", "fenced"), ("no", "idempotent"))),
    "fenced": TreeAdvice("linearizable", "A consensus service (etcd, ZooKeeper) with leases, and a "
                     "fencing token on every write to the resource.",
                     "Chapters 4 and 5 (Raft), chapter 9's lock drill."),
    "idempotent": TreeAdvice("linearizable", "A consensus service with leases, and operations "
                         "made idempotent: a paused holder can still act once more, so "
                         "design for a second attempt.", "Chapter 9's talking points."),
    "unique": TreeAdvice("linearizable, for that key", "A compare-and-set on a consensus store, "
                     "or one leader per key: deciding who was first is consensus.",
                     "Chapter 2 (total order broadcast is consensus)."),
    "records": TreeQuestion("Do all the records live on one node?", (
        ("yes", "local"), ("no, several shards or services", "blocking"))),
    "local": TreeAdvice("serializable", "The database's own serializable transactions.",
                    "Chapter 1 (linearizability is not serializability)."),
    "blocking": TreeQuestion("May a transaction wait, locks held, while a coordinator recovers?", (
        ("yes", "twopc"), ("no", "replicated"))),
    "twopc": TreeAdvice("atomic commit", "Two-phase commit with write-ahead logs.",
                    "Chapter 3."),
    "replicated": TreeAdvice("atomic commit, highly available", "Two-phase commit with its "
                         "coordinator replicated by consensus, or a database that does this "
                         "inside (Spanner, CockroachDB).", "Chapter 3, the replicated "
                         "coordinator."),
    "reads": TreeQuestion("Must a user see their own writes at once?", (
        ("yes", "causal"), ("no", "eventual"))),
    "causal": TreeQuestion("Must everyone see related changes in order (a reply after its post)?", (
        ("yes", "causal_all"), ("only the user who wrote", "ryw"))),
    "causal_all": TreeAdvice("causal", "Causal consistency: version vectors, or a session that "
                         "carries its dependencies.", "Chapter 2 (vector clocks), chapter 9's "
                         "ladder."),
    "ryw": TreeAdvice("read your writes", "Sticky sessions, or reads that wait for the version "
                  "the user last wrote.", "Chapter 9's decision matrix."),
    "eventual": TreeAdvice("eventual", "Asynchronous replication, and data types that merge.",
                       "Chapter 9's ladder."),
}
TREE_START = "start"
