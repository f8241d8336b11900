"""Chapter 9's stagings: the consistency ladder, the two-region lock service, the practice set.

- :data:`LADDER_HISTORIES` and :func:`ladder_table`: one small history per rung
  of the consistency ladder, each accepted at its rung and rejected at the
  rung above, judged by :mod:`ddia10.consistency`.
- :func:`lock_service_placements`: the system-design question of a lock
  service whose clients sit in two regions, answered by measuring commit
  latency on the simulator (chapter 4's
  :func:`~ddia10.scenarios.raft.commit_latency` with its inter-region
  delays) for each placement of five servers, and by counting which region's
  loss each placement survives.
- :data:`PRACTICE_SET` and :func:`practice_table`: every drill of the book,
  with the chapter that teaches it and the classic bugs its check catches.
- :func:`two_node_availability`: why two servers are worse than one.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass

from ..consistency import LADDER, ladder, strongest_model
from ..linearizability import History, history
from ..quorum import majority, majority_available
from ..validate import check_int, check_probability
from .raft.commit_latency import THREE_REGIONS, Placement, commit_latency


def _kv(*ops: tuple) -> History:
    return history([{"process": c, "op": k, "key": key, "value": v, "output": o,
                     "call": t0, "return": t1, "status": "ok"}
                    for c, k, key, v, o, t0, t1 in ops], model="kv")


LADDER_HISTORIES: dict[str, History] = {
    "linearizable": _kv(("A", "put", "x", "1", None, 0, 1), ("B", "get", "x", None, "1", 2, 3)),
    "sequentially consistent": _kv(("A", "put", "x", "1", None, 0, 1),
                                   ("B", "get", "x", None, "", 2, 3)),
    "causally consistent": _kv(
        ("A", "put", "x", "1", None, 0, 1), ("B", "put", "x", "2", None, 0, 1),
        ("C", "get", "x", None, "1", 2, 3), ("C", "get", "x", None, "2", 4, 5),
        ("D", "get", "x", None, "2", 2, 3), ("D", "get", "x", None, "1", 4, 5)),
    "eventually consistent": _kv(
        ("A", "put", "x", "1", None, 0, 1), ("A", "put", "y", "1", None, 2, 3),
        ("B", "get", "y", None, "1", 4, 5), ("B", "get", "x", None, "", 6, 7)),
}
"""The rung each history reaches, and what happens in it:

- *linearizable*: B reads the value A wrote before B began.
- *sequentially consistent*: B, starting after A's write returned, still reads
  the old value (empty): stale in real time, but one order (B's read, then
  A's write) explains everything.
- *causally consistent*: A and B write x concurrently; C sees 1 then 2, D
  sees 2 then 1. No single order explains both readers; causality allows it,
  since neither write caused the other.
- *eventually consistent*: A writes x, then y; B reads the new y and then the
  old x. B saw the effect (y) without its cause (x), which causal consistency
  forbids; every value read was written, so eventual consistency's safety
  part holds."""


def ladder_table():
    """Each rung's history judged at every rung: a table of True/False."""
    import pandas as pd

    rows = []
    for rung, hist in LADDER_HISTORIES.items():
        verdicts = ladder(hist)
        rows.append({"history": rung, "strongest": strongest_model(hist),
                     **{model: verdicts[model].ok for model in LADDER}})
    return pd.DataFrame(rows).set_index("history")


# ---------------------------------------------------------------------- two regions
REGION_DELAYS = THREE_REGIONS.delay
"""Chapter 4's one-way delays between us-east, us-west and europe (ms)."""

LOCAL = THREE_REGIONS.local

PLACEMENTS: dict[str, dict[int, str]] = {
    "all five in us-east": {1: "us-east", 2: "us-east", 3: "us-east", 4: "us-east",
                            5: "us-east"},
    "three in us-east, two in us-west": {1: "us-east", 2: "us-east", 3: "us-east",
                                         4: "us-west", 5: "us-west"},
    "two and two, a fifth in europe": {1: "us-east", 2: "us-east", 3: "us-west", 4: "us-west",
                                       5: "europe"},
}
"""Where five servers sit; server 1, in us-east, leads in every measurement."""


@dataclass(frozen=True)
class PlacementResult:
    """Median latency of a lock acquisition (one committed write) from a client in
    each region, and whether a majority survives the loss of each region."""

    placement: str
    east_ms: float
    west_ms: float
    survives: dict


def lock_service_placements(*, writes: int = 15, disk_latency: float = 0.5,
                            seed: int = 0) -> list[PlacementResult]:
    """Measure each placement of :data:`PLACEMENTS` on the simulator."""
    check_int("writes", writes, min=1)
    out = []
    for name, places in PLACEMENTS.items():
        medians = {}
        for client in ("us-east", "us-west"):
            placement = Placement(name, {**places, "c1": client}, LOCAL, dict(REGION_DELAYS))
            runs = commit_latency(placement, disk_latency=disk_latency, writes=writes,
                                  seed=seed)
            medians[client] = statistics.median(w.total for w in runs)
        out.append(PlacementResult(name, medians["us-east"], medians["us-west"],
                                   survives_region_loss(places)))
    return out


def survives_region_loss(places: Mapping[int, str]) -> dict[str, bool]:
    """For each region: does a majority of the servers live outside it?"""
    regions = sorted(set(places.values()) | {"us-east", "us-west", "europe"})
    n = len(places)
    return {region: sum(1 for r in places.values() if r != region) >= majority(n)
            for region in regions}


def placement_table(results: list[PlacementResult]):
    import pandas as pd

    return pd.DataFrame([{"placement": r.placement,
                          "acquire from us-east (ms)": round(r.east_ms, 1),
                          "acquire from us-west (ms)": round(r.west_ms, 1),
                          **{f"survives losing {k}": v for k, v in r.survives.items()}}
                         for r in results]).set_index("placement")


# ---------------------------------------------------------------------- availability
def two_node_availability(up: float = 0.99) -> dict[int, float]:
    """The chance a majority is up, for clusters of 1 to 5 servers, each up with
    probability ``up``."""
    check_probability("up", up)
    return {n: majority_available(n, up) for n in range(1, 6)}


# ---------------------------------------------------------------------- the practice set
@dataclass(frozen=True)
class Drill:
    name: str
    chapter: int
    check: str
    catches: tuple[str, ...]


PRACTICE_SET = (
    Drill("linearize a history by hand", 1, "check_linearization",
          ("ordering by invocation", "ignoring real time", "a missing operation",
           "calling a linearizable history impossible")),
    Drill("a vector clock", 2, "check_vector_clock",
          ("comparing with a total order", "no merge on receive", "a receive that does not "
           "count itself", "sending the clock, not a copy", "calling a method that does not "
           "exist")),
    Drill("total order broadcast on a sequencer", 2, "check_sequencer_broadcast",
          ("delivering on arrival", "a hold-back that never lets go")),
    Drill("total order broadcast on Raft", 2, "check_raft_broadcast",
          ("delivering before commit", "delivering a retried broadcast twice")),
    Drill("a participant's recovery", 3, "check_participant_recovery",
          ("aborting what is in doubt", "forgetting its locks", "forgetting what is in doubt",
           "a prepare replayed as a commit")),
    Drill("Raft's vote handling", 4, "check_request_vote",
          ("a vote keyed by term (two votes in a term)", "a vote not persisted",
           "a vote for a shorter log")),
    Drill("Raft's commit rule", 5, "check_commit_rule",
          ("committing an earlier term by counting", "counting a minority",
           "never committing")),
    Drill("a Paxos acceptor", 6, "check_acceptor",
          ("a promise without the accepted value", "accepting below the promise",
           "promising below the promise", "a promise kept in memory")),
    Drill("a lock service with fencing tokens", 8, "check_lock_service",
          ("a lease on the wall clock", "a release that ignores the token",
           "a store that accepts an older token", "a lease that never expires",
           "tokens that do not grow")),
)


def practice_table():
    import pandas as pd

    return pd.DataFrame([{"drill": d.name, "chapter": d.chapter, "check": f"{d.check}(...)",
                          "classic bugs it catches": "; ".join(d.catches)}
                         for d in PRACTICE_SET]).set_index("drill")
