"""Every recipe under random crashes, partitions and pauses of the service and its clients.

One seed of a campaign (:func:`recipe_run`) starts three replicas, the
recipe's clients and, for the lock and the election, a fenced resource; then
for :data:`CAMPAIGN_DURATION` ms a seeded schedule from
:mod:`ddia10.sim.faults` crashes, restarts, partitions and disconnects
replicas, pauses replicas now and then and clients often (for 1.2–2.5 s,
longer than their one-second leases), over links that lose, duplicate and
reorder messages. Then the faults stop, everything resumes and restarts, and
the run drains. The service's monitor judges every fact as it happens
(replicas agree, watches are exact, fenced writes in token order, one
holder per token), Raft's monitor its five properties at the end, and the
counter's history goes to :func:`ddia10.linearizability.check`.

``bug`` removes one rule, to show that the campaign notices: ``"no fencing"``
(the resource accepts any token), ``"local expiry"`` (each replica expires
leases by its own clock) and ``"watch gaps"`` (a client accepts a watch part
that does not start where the last one ended).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ...coord import (
    CasCounter,
    Compactor,
    CoordCluster,
    CoordOptions,
    Discoverer,
    ElectionCandidate,
    InvariantViolation,
    LeaderObserver,
    LockHolder,
    Range,
    ServiceInstance,
)
from ...linearizability import LINEARIZABLE
from ...sim.faults import random_faults, random_network, random_pauses
from ...validate import check_choice, check_int

RECIPES = ("lock", "election", "discovery", "counter")
BUGS = ("no fencing", "local expiry", "watch gaps")
CAMPAIGN_DURATION = 6000.0
"""How long the faults go on in one seed (ms)."""
DRAIN = 3000.0
"""How long a seed runs after the faults stop (ms)."""
RESOURCE = "db"
COUNTER = "/counter"
HOLDER = {"ttl": 1, "acts": 5, "work": (50.0, 300.0), "think": (0.0, 50.0)}
"""The lock holders' and candidates' habits: one-second leases, five writes per
turn, each after 50–300 ms of work."""


@dataclass
class RecipeRun:
    """What one seed showed: the first broken property (``None``: none), the
    writes the fenced resource accepted and rejected, the watch parts judged,
    and for the counter its recorded operations, the checker's verdict and
    ``(final value, increments acknowledged, increments unanswered)``."""

    seed: int
    recipe: str
    bug: str | None
    violation: str | None
    writes: int
    rejected: int
    watch_parts: int
    ops: int = 0
    verdict: str | None = None
    counter: tuple[int, int, int] | None = None

    @property
    def ok(self) -> bool:
        counted = self.counter is None or self.counter[1] <= self.counter[0] <= sum(
            self.counter[1:])
        return self.violation is None and self.verdict in (None, LINEARIZABLE) and counted


def recipe_cluster(seed: int, recipe: str, *, bug: str | None = None,
                   trace: bool = False) -> CoordCluster:
    """The world of one seed, faults scheduled, at time 0."""
    check_int("seed", seed)
    check_choice("recipe", recipe, RECIPES)
    check_choice("bug", bug, BUGS + (None,))
    coord = CoordOptions(bug_local_expiry=bug == "local expiry")
    svc = CoordCluster(3, seed, coord=coord, trace=trace or recipe == "counter",
                       **random_network(seed))
    client = {"bug_watch_gaps": bug == "watch gaps"}
    if recipe in ("lock", "election"):
        svc.add_resource(RESOURCE, fencing=bug != "no fencing")
        cls = LockHolder if recipe == "lock" else ElectionCandidate
        for i in range(1, 5 if recipe == "lock" else 4):
            svc.add_client(f"c{i}", cls, resource=RESOURCE, **HOLDER, **client)
        if recipe == "election":
            svc.add_client("observer", LeaderObserver, **client)
    elif recipe == "discovery":
        for i in range(1, 4):
            svc.add_client(f"s{i}", ServiceInstance, ttl=1, **client)
        for i in range(1, 3):
            svc.add_client(f"d{i}", Discoverer, **client)
        svc.add_client("compactor", Compactor, **client)
    else:
        for i in range(1, 4):
            svc.add_client(f"c{i}", CasCounter, key=COUNTER, think=(50.0, 200.0), **client)
    others = [p for p in svc.sim.pids if p not in svc.servers]
    clients = [p for p in others if p != RESOURCE]
    svc.schedule(random_faults(seed, svc.servers, CAMPAIGN_DURATION, clients=others,
                               mean_gap=800.0))
    svc.schedule(random_pauses(2 * seed, clients, CAMPAIGN_DURATION, mean_gap=700.0,
                               length=(1200.0, 2500.0)))
    svc.schedule(random_pauses(2 * seed + 1, svc.servers, CAMPAIGN_DURATION, mean_gap=1500.0,
                               length=(50.0, 1000.0)))
    return svc


def recipe_run(seed: int, recipe: str, *, bug: str | None = None,
               trace: bool = False) -> tuple[CoordCluster, RecipeRun]:
    """Run one seed of ``recipe``'s campaign to its end; the world and the verdicts."""
    svc = recipe_cluster(seed, recipe, bug=bug, trace=trace)
    svc.run(CAMPAIGN_DURATION)
    if svc.violation is None:
        svc.recover()
        for pid in svc.sim.pids:
            if isinstance(svc.process(pid), CasCounter):
                svc.sim.call(pid, lambda counter, ctx: counter.stop(ctx))
        svc.run(DRAIN)
    if svc.violation is None:
        try:
            svc.check_invariants()
        except InvariantViolation as violation:
            svc.violation = violation
    resource = svc.process(RESOURCE) if RESOURCE in svc.sim.pids else None
    run = RecipeRun(seed, recipe, bug, None if svc.violation is None else str(svc.violation),
                    len(resource.writes) if resource else 0,
                    len(resource.rejected) if resource else 0, svc.monitor.deliveries)
    if recipe == "counter" and svc.violation is None:
        _judge_counter(svc, run)
    return svc, run


def _judge_counter(svc: CoordCluster, run: RecipeRun) -> None:
    counters = [p for p in svc.sim.pids if isinstance(svc.process(p), CasCounter)]
    history = svc.history(clients=counters)
    run.ops = len(history.ops)
    run.verdict = svc.check_linearizable(timeout_s=30).verdict
    kvs = svc.request(Range(COUNTER), timeout_ms=DRAIN).kvs
    final = int(kvs[0].value) if kvs else 0
    done = sum(svc.process(p).done for p in counters)
    unanswered = sum(1 for op in history.ops if op.kind == "cas" and op.pending)
    run.counter = (final, done, unanswered)


@dataclass
class RecipeCampaign:
    """Many seeds of one recipe: how many broke a property (and the first such),
    what the resource accepted and rejected, the watch parts judged, the counter's
    operations and its non-linearizable histories."""

    recipe: str
    bug: str | None
    seeds: int
    violations: int
    writes: int
    rejected: int
    watch_parts: int
    ops: int
    not_linearizable: int
    first_violation: str | None


def recipe_campaign(seeds: Iterable[int], recipe: str, *, bug: str | None = None) -> RecipeCampaign:
    """:func:`recipe_run` for every seed, summed up."""
    runs = [recipe_run(seed, recipe, bug=bug)[1] for seed in seeds]
    broken = [r for r in runs if not r.ok]
    return RecipeCampaign(
        recipe, bug, len(runs), len(broken), sum(r.writes for r in runs),
        sum(r.rejected for r in runs), sum(r.watch_parts for r in runs),
        sum(r.ops for r in runs),
        sum(1 for r in runs if r.verdict not in (None, LINEARIZABLE)),
        f"seed {broken[0].seed}: {broken[0].violation or broken[0].verdict}" if broken else None)

