"""Chapter 7's FLP: a scheduler that never lets Raft decide, and how rarely luck does.

**The adversary.** Fischer, Lynch and Paterson (1985) prove that in an
asynchronous system, where a message may take any finite time, no
deterministic protocol can guarantee that it decides if even one process may
crash. The proof builds a schedule: from an undecided state there is always a
next step that keeps the system undecided, because a delayed message cannot
be told apart from a crashed sender. :class:`DecisionAdversary` plays that
schedule on the simulator through its chooser hook. At every step it takes
the earliest event, except that a message whose delivery would make its
recipient decide is held back — and while it holds one, it also holds what
that recipient sends, as if it were slow. On Raft the would-be decider is a
leader about to commit; muted, it stops sending heartbeats, a follower's
election timer fires, a new term begins, and the held messages, stale now,
are delivered and change nothing. Every message is delivered in the end;
the run goes on, term after term, for as long as we let it, and nothing is
ever committed. Whether a delivery would decide is found by stepping a copy
of its recipient alone (:func:`would_decide`).

**Partial synchrony.** Once the adversary stops (the *global stabilization
time* of Dwork, Lynch and Stockmeyer, 1988), messages arrive within their
usual delay and Raft's randomized timeouts elect a leader that commits:
:func:`flp_run` measures both halves.

**Split votes.** Without an adversary, randomized timeouts make a split vote
unlikely, not impossible. :func:`split_vote_trial` crashes a leader right
after a heartbeat that every follower received at the same instant (the worst
case) and counts the terms that ended without a leader;
:func:`split_vote_frequencies` gives, per timeout range, how often elections
needed k or more extra terms.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...raft import RaftCluster
from ...sim import Choice, Context, Process, Simulation, SimulationTimeout
from ...validate import check_callable, check_int, check_number
from ..raft.figure16 import PAPER_LATENCY


def would_decide(sim: Simulation, dst: Hashable, src: Hashable, msg: Any,
                 decided: Callable[[Process], bool]) -> bool:
    """Would ``dst`` decide (``decided(process)`` turn true) if ``msg`` from ``src``
    were delivered now? A copy of ``dst`` is stepped alone; the world is untouched."""
    if not sim.is_up(dst):
        return False
    process = sim.process(dst)
    if decided(process):
        return False
    twin = copy.deepcopy(process)
    ctx = Context(dst, peers=[p for p in sim.pids if p != dst], now=sim.local_time(dst),
                  seed=sim.seed, stable=sim.storage(dst))
    twin.on_message(ctx, src, msg)
    return decided(twin)


@dataclass
class DecisionAdversary:
    """A chooser (``Simulation(chooser=...)``) that keeps a protocol undecided:
    ``decided(process)`` says whether a process has decided. It never loses a
    message; it only delays. ``held`` counts the deliveries it postponed,
    ``longest_delay`` the most it postponed one (ms past its due time)."""

    decided: Callable[[Process], bool]
    held: int = 0
    longest_delay: float = 0.0
    muted: set = field(default_factory=set)

    def __post_init__(self) -> None:
        check_callable("decided", self.decided, what="a function of a process")

    def __call__(self, sim: Simulation, choices: list[Choice]) -> Choice | None:
        messages = {seq: (due, payload) for due, seq, kind, payload in sim.pending()}
        candidates = [c for c in choices if c.kind != "drop"]
        if not candidates:
            return None
        muted: set = set()
        for choice in candidates:
            if choice.kind != "deliver":
                return choice
            due, (_mid, src, dst, msg) = messages[choice.ref]
            if src in muted:
                continue
            if would_decide(sim, dst, src, msg, self.decided):
                muted.add(dst)  # hold it, and silence the process it would have decided
                self.held += 1
                continue
            self.longest_delay = max(self.longest_delay, sim.now - due)
            self.muted = muted
            return choice
        return candidates[0]  # only deciding messages are left: the adversary is beaten


def raft_decided(node: Process) -> bool:
    """A Raft server has decided once it has committed the first log entry."""
    return node.commit_index >= 1


@dataclass(frozen=True)
class FLPRun:
    """An adversarial run of ``adversary_ms`` and what followed it."""

    adversary_ms: float
    terms: int  # the highest term any server reached under the adversary
    decided_under_adversary: bool
    held: int
    longest_delay: float
    decided_after_ms: float | None  # once messages flow on time, how long until a commit


def flp_run(adversary_ms: float = 3000.0, *, seed: int = 1, after_ms: float = 5000.0,
            election_timeout: tuple[float, float] = (150.0, 300.0)) -> tuple[FLPRun, RaftCluster]:
    """Five Raft servers under :class:`DecisionAdversary` for ``adversary_ms``, every
    safety property checked, then the adversary gone: the result and the cluster."""
    check_number("adversary_ms", adversary_ms, min=0, unit="ms")
    check_number("after_ms", after_ms, positive=True, unit="ms")
    cluster = RaftCluster(5, seed=seed, election_timeout=election_timeout,
                          heartbeat_interval=election_timeout[0] / 3)
    adversary = DecisionAdversary(raft_decided)
    cluster.sim.chooser = adversary
    cluster.run(adversary_ms)
    cluster.check_invariants()
    nodes = cluster.nodes().values()
    terms = max(n.term for n in nodes)
    decided = any(raft_decided(n) for n in nodes)
    cluster.sim.chooser = None
    start = cluster.sim.now
    try:
        cluster.run_until(lambda c: any(raft_decided(n) for n in c.nodes().values()), after_ms)
        after: float | None = cluster.sim.now - start
    except SimulationTimeout:
        after = None
    cluster.check_invariants()
    return FLPRun(adversary_ms, terms, decided, adversary.held, adversary.longest_delay,
                  after), cluster


# ---------------------------------------------------------------------- split votes
SPLIT_VOTE_RANGES: tuple[tuple[float, float], ...] = (
    (150, 151), (150, 155), (150, 175), (150, 200), (150, 300),
)
"""The timeout ranges of the measurement: how much randomness (Figure 16's top graph)."""

SPLIT_VOTE_CAP = 50
"""A trial that needs this many extra terms is stopped and counted as ``>= cap``."""


def split_vote_trial(election_timeout: tuple[float, float], seed: int, *,
                     latency: Any = PAPER_LATENCY) -> int:
    """Crash a leader of five right after a heartbeat that reached the four others
    at the same instant; how many terms ended without a leader before one won
    (:data:`SPLIT_VOTE_CAP` at most). The logs are equal, so a term fails only
    when the votes split."""
    lo, hi = election_timeout
    check_number("election timeout minimum", lo, positive=True, unit="ms")
    check_number("election timeout maximum", hi, min=lo, unit="ms")
    check_int("seed", seed)
    c = RaftCluster(5, seed=seed, latency=latency, trace=False,
                    election_timeout=(lo, hi), heartbeat_interval=lo / 2)
    c.campaign(1)
    c.run_until(lambda cl: cl.leader() is not None
                and all(n.commit_index >= 1 for n in cl.nodes().values()), 10_000)
    leader = c.leader()
    term = c.node(leader).term
    delay = (latency[0] + latency[1]) / 2 if isinstance(latency, tuple) else float(latency)
    for p in c.ids:
        if p != leader:
            c.sim.set_link(leader, p, both_ways=False, latency=delay)
    c.sim.call(leader, lambda node, ctx: node.request_read(ctx, "heartbeat"))
    c.run(delay)  # every follower hears it now: their timers start together
    c.crash(leader)
    limit = (SPLIT_VOTE_CAP + 2) * hi * 2
    try:
        c.run_until(lambda cl: _one_leader(cl), limit)
    except SimulationTimeout:
        return SPLIT_VOTE_CAP
    return min(SPLIT_VOTE_CAP, c.node(c.leader()).term - term - 1)


def _one_leader(c: RaftCluster) -> bool:
    lead = c.leader()
    if lead is None:
        return False
    term = c.node(lead).term
    return all(n.term == term and n.leader_id == lead for n in c.nodes().values())


@dataclass(frozen=True)
class SplitVotes:
    """The extra terms each of ``trials`` elections needed, for one timeout range."""

    election_timeout: tuple[float, float]
    extra_terms: tuple[int, ...]

    def at_least(self, k: int) -> float:
        """The fraction of elections that needed ``k`` or more extra terms."""
        check_int("k", k, min=0)
        return sum(t >= k for t in self.extra_terms) / len(self.extra_terms)


def split_vote_frequencies(ranges: Iterable[tuple[float, float]] = SPLIT_VOTE_RANGES,
                           trials: int = 10_000, *, seed: int = 0,
                           progress: Callable[[Iterable], Iterable] | None = None
                           ) -> list[SplitVotes]:
    """:func:`split_vote_trial` ``trials`` times per range (trial ``i`` of every
    range uses seed ``seed * 1_000_003 + i``)."""
    ranges = [tuple(r) for r in ranges]
    check_int("trials", trials, min=1)
    jobs = [(r, i) for r in ranges for i in range(trials)]
    out: dict = {r: [] for r in ranges}
    for r, i in (progress(jobs) if progress else jobs):
        out[r].append(split_vote_trial(r, seed * 1_000_003 + i))
    return [SplitVotes(r, tuple(out[r])) for r in ranges]


def split_vote_table(lines: Sequence[SplitVotes], ks: Iterable[int] = (1, 2, 3, 4)):
    """Per timeout range, the share of elections with at least k split votes in a row."""
    import pandas as pd

    ks = list(ks)
    rows = []
    for line in lines:
        lo, hi = line.election_timeout
        row = {"timeout (ms)": f"{lo:g}–{hi:g}", "elections": len(line.extra_terms)}
        for k in ks:
            row[f"≥ {k} split"] = line.at_least(k)
        row["most in a row"] = max(line.extra_terms)
        rows.append(row)
    return pd.DataFrame(rows).set_index("timeout (ms)")
