"""Scripted and randomized runs of a Raft cluster that the chapters replay.

- :func:`figure8` — the paper's Figure 8 (§5.4.2), step by step: why a leader
  may not commit an entry of an earlier term by counting replicas.
- :func:`double_vote` — the classic election drill whose voter remembers the
  *term* it voted in instead of the *candidate*: two leaders in one term.
- :func:`fault_campaign` — random crashes, restarts, partitions, loss,
  duplication and reordering, with every invariant checked after every event,
  then a heal and a liveness check.
- :func:`leader_churn` — the randomized "Figure 8" churn of the MIT 6.5840
  lab: clients keep proposing while leaders crash after random delays.
- :func:`lease_under_drift` — a lease read made stale by a slow clock.

Every function is a pure function of its arguments (seeds included): the same
call gives the same trace.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from ..sim import SimulationTimeout, Trace
from ..sim.faults import Fault, FaultGenerator, apply_fault
from .cluster import RaftCluster
from .invariants import InvariantViolation

_QUIET = (100_000.0, 200_000.0)  # election timeouts no scripted scenario ever reaches


def figure8(bug: bool = False, variant: str = "d", trace: bool = True) -> RaftCluster:
    """Replay Figure 8 of the Raft paper with five servers S1..S5.

    Our leaders append a no-op when elected, so each term's first entry is its
    no-op and the paper's entries sit one index later; the terms are the
    paper's. Timeouts are out of reach and latency is a fixed 10 ms, so only
    the script's own ``campaign`` calls start elections.

    (a) S1 leads term 2 and replicates entry X (index 3) to S2 only.
    (b) S1 crashes; S5 wins term 3 with votes from S3 and S4, and appends its
        no-op at index 3, which no one else receives.
    (c) S5 crashes; S1 restarts and wins term 4 (its first try, in term 3,
        fails: S3 already voted in term 3). It appends its no-op (index 4) and
        copies X to S3. X is now on a majority (S1, S2, S3), yet it is from
        term 2. With the current-term rule S1 does not commit it; with
        ``bug=True`` it commits and applies X.
    (d) ``variant="d"``: S1 crashes before its term-4 no-op reaches a
        majority. S5 restarts and wins term 5 (votes from S3 and S4: its last
        term, 3, beats their 2) and overwrites X everywhere with its own
        entry. With ``bug=True`` an entry that was committed and applied is
        gone: the monitor records a leader-completeness and a
        state-machine-safety violation.
    (e) ``variant="e"``: S1 first replicates its no-op to S3, so an entry of
        term 4 is on a majority: it commits, and X with it. S5 can no longer
        win, and X survives.

    Returns the cluster; ``check_invariants()`` on it raises with ``bug=True``
    in variant ``d`` and passes otherwise.
    """
    if variant not in ("d", "e"):
        raise ValueError(f"variant must be 'd' or 'e' (the paper's two endings), got {variant!r}")
    c = RaftCluster(5, seed=8, latency=10.0, election_timeout=_QUIET, heartbeat_interval=50.0,
                    max_batch=1, bug_commit_old_terms=bool(bug), trace=trace)
    s1 = c.node(1)
    say = c.sim.note

    say("Term 1: S2 leads; then S1 wins term 2. Every log holds the no-ops of both terms.")
    c.campaign(2)
    c.run(100)
    c.campaign(1)
    c.run(100)

    say("(a) S1 leads term 2 and replicates X (index 3) to S2 only.")
    c.partition([1, 2], [3, 4, 5])
    c.submit("X", node=1)
    c.run(60)

    say("(b) S1 crashes. S5 wins term 3 with votes from S3 and S4 and appends an entry "
        "at index 3 that nobody else receives.")
    c.crash(1)
    c.partition([2, 3, 4, 5])
    c.campaign(5)
    c.run_until(lambda cl: cl.state(5).role == "leader", 1000)
    c.partition([5], [2, 3, 4])  # its first AppendEntries are still on the wire: lost
    c.run(60)

    say("(c) S5 crashes; S1 restarts and wins term 4 with votes from S2 and S3, then "
        "copies X to S3: X (term 2) is stored by a majority.")
    c.crash(5)
    c.partition([1, 2, 3], [4])
    c.restart(1)
    s1 = c.node(1)
    c.campaign(1)  # term 3: S3 already voted for S5 in term 3, so this try fails
    c.run(60)
    c.campaign(1)  # term 4
    c.run_until(lambda cl: cl.state(1).role == "leader", 1000)
    c.run_until(lambda cl: s1.progress[3].match_index >= 3, 1000)
    if variant == "e":
        say("(e) S1 also replicates its term-4 entry to S3 before crashing: an entry of "
            "the current term is on a majority, so it and X commit.")
        c.run_until(lambda cl: s1.commit_index >= 4, 1000)
    c.partition([1], [2], [3], [4])  # whatever S1 sends next is lost
    committed = "committed" if s1.commit_index >= 3 else "not committed"
    say(f"S1's commit index is {s1.commit_index}: X is {committed}.")
    c.run(30)  # the messages already on the wire arrive to find the partition

    say("S1 crashes. S5 restarts and stands for election, in term 4 and then in term 5.")
    c.crash(1)
    c.heal()
    c.restart(5)
    c.campaign(5)
    c.run(60)
    if c.state(5).role != "leader":
        c.campaign(5)
        c.run(60)
    c.run(300)
    if c.state(5).role == "leader":
        say("S5 leads term 5 and overwrites index 3 on every log it reaches.")
    else:
        say("S5 cannot win: a majority holds an entry of term 4, newer than its log.")
    return c


def double_vote(bug: bool = True) -> RaftCluster:
    """Two candidates of one term and a voter keyed by term (the drill's bug).

    Three servers, fixed 10 ms latency, timeouts out of reach. S1 and S2 both
    campaign in term 1 at the same instant. S3 hears S1 first and votes for
    it; then hears S2. A correct voter says no (it voted for S1); a voter that
    remembers only "I voted in term 1" sees ``voted_for == term`` and says yes
    again. With ``bug=True`` S1 and S2 both become leader of term 1.
    """
    c = RaftCluster(3, seed=9, latency=10.0, election_timeout=_QUIET,
                    bug_vote_per_term_not_candidate=bool(bug))
    c.sim.note("S1 and S2 both start an election in term 1.")
    c.campaign(1)
    c.campaign(2)
    c.run(100)
    return c


@dataclass
class LeaseRun:
    """What :func:`lease_under_drift` saw: the cluster, the old and new leaders,
    and whether the old leader still trusted its lease after the new leader had
    committed a write (a read it served then would be stale)."""

    cluster: RaftCluster
    old_leader: int
    new_leader: int
    write_index: int
    stale_lease: bool


def lease_under_drift(clock_rate: float = 1.0, seed: int = 3) -> LeaseRun:
    """Lease reads lean on clocks: run one with the leader's clock at ``clock_rate``.

    Five servers with CheckQuorum (so followers refuse votes for the minimum
    election timeout after hearing from a leader). The leader's clock runs at
    ``clock_rate`` times true time; then a partition cuts it off. The others
    elect a new leader and commit ``"x=new"``. Right then, does the old leader
    still believe its lease (``lease_read_ok``)? With an honest clock it does
    not: its lease, shortened by ``clock_drift_bound``, ran out first. With a
    clock running slow enough it does, and a lease read there returns the old
    value: a stale read, which ReadIndex would never serve.
    """
    c = RaftCluster(5, seed=seed, check_quorum=True)
    old = c.wait_for_leader()
    c.agree("x=old")
    c.sim.set_clock(old, rate=clock_rate)
    c.run(100)  # a few heartbeat rounds: the lease is fresh
    c.partition([old], [p for p in c.ids if p != old])
    c.sim.note(f"Server {old} (clock at {clock_rate:g}x) is cut off from the majority.")
    c.run_until(lambda cl: any(n.role == "leader" and pid != old
                               for pid, n in cl.nodes().items()), 5000)
    new = next(pid for pid, n in c.nodes().items() if n.role == "leader" and pid != old)
    index = c.agree("x=new", servers=3)
    stale = c.sim.call(old, lambda node, ctx: node.lease_read_ok(ctx))
    c.sim.note(f"Server {new} committed x=new at index {index}; server {old} "
               f"{'still trusts' if stale else 'no longer trusts'} its lease.")
    return LeaseRun(c, old, new, index, stale)


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
    _check_rounds(rounds)
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
    _check_rounds(rounds)
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


def _check_rounds(rounds: int) -> None:
    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 0:
        raise ValueError(f"rounds must be an int >= 0, got {rounds!r}")
