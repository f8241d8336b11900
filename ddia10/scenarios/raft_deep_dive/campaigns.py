"""Chapter 5's random campaigns: faults thrown at Raft, every invariant checked.

- :func:`fault_campaign` — random crashes, restarts, partitions, loss,
  duplication and reordering, with every invariant checked after every event,
  then a heal and a liveness check.
- :func:`leader_churn` — the randomized "Figure 8" churn of the MIT 6.5840
  lab: clients keep proposing while leaders crash after random delays.
- :func:`run_workload` / :func:`campaign_seed` — clients of the key-value store
  under seeded random faults, judged by Raft's invariants, the linearizability
  checker and the servers' final state (:class:`CampaignReport`).

Every fault comes from :mod:`ddia10.sim.faults`. Every function is a pure
function of its arguments (seeds included): the same call gives the same trace.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from ...invariants import InvariantViolation
from ...linearizability import LINEARIZABLE
from ...raft.client import KVRun, Workload
from ...raft.cluster import RaftCluster
from ...sim import SimulationTimeout, Trace
from ...sim.faults import Fault, FaultGenerator, apply_fault, random_faults, random_network
from ...validate import check_int, check_number


@dataclass
class CampaignResult:
    """How one randomized campaign went: the faults it injected, the
    configurations it changed to (``membership=True``), the first violation,
    and the liveness check after the heal (``trace``: the run's trace, if it
    was recorded)."""

    seed: int
    violation: InvariantViolation | None = None
    leader_after_heal_ms: float | None = None
    committed_after_heal: bool = False
    faults: list[Fault] = field(default_factory=list)
    configurations: list[list] = field(default_factory=list)
    trace: Trace | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.violation is None and self.committed_after_heal


CAMPAIGN_FAULTS = (("crash", 0.15), ("restart", 0.15), ("partition", 0.10), ("heal", 0.10))
"""The fault a round of :func:`fault_campaign` injects, with its chance; the
other half of the rounds propose commands instead."""


def fault_campaign(seed: int, *, rounds: int = 40, check_every_event: bool = True,
                   liveness_bound_ms: float = 5000.0, membership: bool = False,
                   trace: bool = False, **options: Any) -> CampaignResult:
    """Random faults on 5 servers, then a heal and a liveness check.

    Each round does one random thing — crash a server, restart one, partition
    the network at random, heal, or propose a few commands — then lets
    10–200 ms pass. The network loses 5%, duplicates 5% and reorders 10% of
    messages throughout. With ``membership=True`` a sixth server starts
    outside the cluster, and rounds may also propose a random configuration of
    three to five voters out of the six, keeping some of the others as
    learners (one step or joint consensus, whichever the change needs). After
    the last round every server is restarted, the network
    heals, and a leader must be elected, and a new command applied by every
    voter, within ``liveness_bound_ms``. ``trace=True`` keeps the run's trace
    in the result, to look at one campaign; it changes nothing else.
    """
    check_int("rounds", rounds, min=0)
    rng = random.Random(f"raft-campaign:{seed}")
    c = RaftCluster(5, seed=seed, latency=(1.0, 10.0), loss=0.05, duplicate=0.05, reorder=0.1,
                    check_every_event=check_every_event, trace=bool(trace), **options)
    result = CampaignResult(seed, trace=c.trace if trace else None)
    try:
        if membership:
            c.add_server(6)
        faults = FaultGenerator(rng, c.ids, max_down=len(c.ids), shuffle=True)
        for r in range(rounds):
            if membership and rng.random() < 0.15:
                _random_configuration(c, rng, result)
            else:
                kind = faults.roll(CAMPAIGN_FAULTS)
                if kind is None:
                    _random_submits(c, faults, r)
                else:
                    fault = faults.draw(kind, c.sim.now)
                    apply_fault(c.sim, fault)
                    result.faults.append(fault)
            c.run(rng.uniform(10, 200))
        c.heal()
        for pid in c.ids:
            if not c.sim.is_up(pid):
                c.restart(pid)
        start = c.sim.now
        c.wait_for_leader(liveness_bound_ms)
        result.leader_after_heal_ms = c.sim.now - start
        index = c.agree(f"final-{seed}", servers=min(3, len(c.ids)),
                        timeout_ms=liveness_bound_ms - (c.sim.now - start))
        c.run_until(lambda cl: _voters_applied(cl, index), liveness_bound_ms - (c.sim.now - start))
        result.committed_after_heal = True
        c.check_invariants()
    except InvariantViolation as violation:
        result.violation = violation
    except SimulationTimeout:
        pass
    return result


def _voters_applied(c: RaftCluster, index: int) -> bool:
    """Has every voter of the leader's configuration applied ``index``?"""
    leader = c.leader()
    if leader is None:
        return False
    nodes = c.nodes()
    return all(p in nodes and nodes[p].last_applied >= index
               for p in nodes[leader].config.all_voters)


def _random_configuration(c: RaftCluster, rng: random.Random, result: CampaignResult) -> None:
    ids = list(c.ids)
    voters = sorted(rng.sample(ids, rng.randint(3, 5)))
    learners = [p for p in ids if p not in voters and rng.random() < 0.5]  # others leave
    if c.change_membership(voters, learners) is not None:
        result.configurations.append(voters)


def _random_submits(c: RaftCluster, faults: FaultGenerator, r: int) -> None:
    """A round without a fault: one to three commands, each to the leader or
    (30% of the time) to a random running server."""
    up = faults.up
    for k in range(faults.rng.randint(1, 3)):
        target = faults.rng.choice(up) if up and faults.rng.random() < 0.3 else None
        c.submit(f"c{r}.{k}", node=target)


@dataclass
class ChurnResult:
    """How a churn run went: leader crashes, the last term, and how many
    client commands every server applied in the end (all in one order);
    ``trace``, the run's trace if it was recorded."""

    seed: int
    rounds: int
    crashes: int
    final_term: int
    applied: int
    trace: Trace | None = field(default=None, repr=False, compare=False)


def leader_churn(seed: int, *, rounds: int = 300, unreliable: bool = False,
                 check_every_event: bool = False, trace: bool = False) -> ChurnResult:
    """Keep proposing while leaders crash after random delays (6.5840's Figure 8 tests).

    Each round proposes a command at the leader, waits a short (mostly) or long
    random time, and with some probability crashes the leader; whenever fewer
    than three servers are up, a random crashed one restarts. At the end
    everyone restarts and one more command must reach every server. Raises
    :class:`InvariantViolation` if any safety property failed on the way.
    ``trace=True`` keeps the run's trace in the result; it changes nothing else.
    """
    check_int("rounds", rounds, min=0)
    rng = random.Random(f"raft-churn:{seed}")
    net = dict(loss=0.1, duplicate=0.05, reorder=0.2) if unreliable else {}
    c = RaftCluster(5, seed=seed, latency=(1.0, 10.0), trace=bool(trace),
                    check_every_event=check_every_event, **net)
    faults = FaultGenerator(rng, c.ids, max_down=len(c.ids))
    crashes = 0
    for r in range(rounds):
        leader = c.leader()
        if leader is not None:
            c.submit(f"cmd{r}", node=leader)
        c.run(rng.uniform(0, 500) if rng.random() < 0.1 else rng.uniform(0, 13))
        if leader is not None and c.sim.is_up(leader) and rng.random() < 0.5:
            apply_fault(c.sim, faults.draw("crash", c.sim.now, target=(leader,)))
            crashes += 1
        if len(faults.up) < 3:
            apply_fault(c.sim, faults.draw("restart", c.sim.now))
    c.heal()
    for pid in c.ids:
        if not c.sim.is_up(pid):
            c.restart(pid)
    c.agree(f"final-{seed}", timeout_ms=10_000)
    c.check_invariants()
    applied = [c.applied(pid) for pid in c.ids]
    if any(a != applied[0] for a in applied):
        raise InvariantViolation("state machine safety", "servers applied different sequences")
    term = max(node.term for node in c.nodes().values())
    return ChurnResult(seed, rounds, crashes, term, len(applied[0]),
                       trace=c.trace if trace else None)


# ---------------------------------------------------------------------- the key-value campaign
def run_workload(
    seed: int, *, n: int = 5, clients: int = 3, duration: float = 3000.0,
    workload: Workload | None = None, read_mode: str = "read_index", faults: bool = True,
    drain: float = 3000.0, check_every_event: bool = False, trace: bool = True,
    **raft_options: Any,
) -> KVRun:
    """Clients run ``workload`` for ``duration`` ms while seeded random faults hit
    the servers; then the network heals, every server restarts, the clients get
    up to ``drain`` ms to finish, then client ``c1`` reads every key (so a lost
    write shows up as a non-linearizable history), and the run goes on until
    every server has applied the whole log. With
    ``faults`` the network also loses, duplicates and reorders messages at
    seeded rates (up to 5%, 5% and 10%). ``raft_options`` go to every server
    (lease reads need ``check_quorum=True``). The same arguments give the same
    run, trace and history."""
    check_int("seed", seed)
    check_number("duration", duration, min=0, unit="ms")
    check_number("drain", drain, min=0, unit="ms")
    network = random_network(seed) if faults else {}
    workload = workload or Workload()
    run = KVRun(seed, n=n, clients=clients, workload=workload, read_mode=read_mode,
                check_every_event=check_every_event, trace=trace, latency=(1.0, 5.0),
                **network, **raft_options)
    if faults:
        run.schedule(random_faults(seed, run.servers, duration, clients=run.clients))
    run.run(duration)
    for pid in run.clients:
        run.sim.call(pid, lambda c, ctx: c.stop(ctx))
    if run.violation is None:
        run.recover()
        run.run_until_idle(drain)
        for key in workload.keys:
            run.submit("c1", "get", key)
        run.run_until_idle(drain)
        run.settle(drain)
    return run


@dataclass
class CampaignReport:
    """What one seed of the campaign found: the operations in the history, how
    many were still pending when the faults stopped, the first Raft invariant
    violated (if any), the checker's verdicts on the whole history and on the
    history cut where the faults stopped, and what clients saw that the
    applied state does not back up."""

    seed: int
    options: dict
    ops: int
    pending: int
    violation: str | None
    verdict: str
    verdict_at_cut: str
    unbacked: list

    @property
    def ok(self) -> bool:
        return (self.violation is None and self.verdict == LINEARIZABLE
                and self.verdict_at_cut == LINEARIZABLE and not self.unbacked)


def campaign_options(seed: int, read_mode: str = "read_index") -> dict:
    """The Raft options a campaign seed runs with, drawn from the seed: PreVote,
    CheckQuorum (always on for lease reads, which need it) and log compaction."""
    rng = random.Random(f"ddia10:kv-options:{seed}")
    return {
        "prevote": rng.random() < 0.5,
        "check_quorum": rng.random() < 0.5 or read_mode == "lease",
        "snapshot_threshold": rng.choice([None, 8, 32]),
    }


def campaign_seed(
    seed: int, *, duration: float = 3000.0, read_mode: str = "read_index",
    check_every_event: bool = False, **options: Any,
) -> CampaignReport:
    """Run :func:`run_workload` for ``seed`` (Raft options from
    :func:`campaign_options`, overridden by ``options``) and judge it: Raft's
    invariants, the linearizability of the history (whole, and cut at
    ``duration`` where many operations are still in flight), and what clients
    saw against the servers' final state."""
    options = {**campaign_options(seed, read_mode), **options}
    run = run_workload(seed, duration=duration, read_mode=read_mode,
                       check_every_event=check_every_event, **options)
    if run.violation is None:
        try:
            run.cluster.check_invariants()
        except InvariantViolation as violation:
            run.violation = violation
    cut = run.history(until=duration).ops
    return CampaignReport(
        seed=seed,
        options=options,
        ops=len(run.history().ops),
        pending=sum(op.pending for op in cut),
        violation=None if run.violation is None else str(run.violation),
        verdict=run.check_linearizable().verdict,
        verdict_at_cut=run.check_linearizable(until=duration).verdict,
        unbacked=run.unbacked_observations() if run.violation is None else [],
    )
