"""Measurements on our Raft: how long a cluster is without a leader, and where
the time of a committed write goes.

**Figure 16 of the Raft paper** (Ongaro & Ousterhout 2014, §9.3) times the
gap between a leader's crash and the election of the next one, on five
servers whose broadcast time (one RPC to every server and all the replies)
is about 15 ms. The paper crashed the leader at a uniformly random moment of
its heartbeat interval, which was half the minimum election timeout, just
after a heartbeat broadcast that reset every follower's timer at once (the
worst case for split votes), and gave the servers logs of different lengths
so that some candidates could not win. :func:`election_trial` does the same
on :class:`~ddia10.raft.RaftCluster`:

1. server 1 campaigns at time 0 and (usually) leads; everyone stores the
   leader's no-op;
2. right after one of the leader's heartbeats it appends three entries, one
   flush each, while its links drop them to a growing set of followers
   (chosen at random): the followers hold 3, 2, 1 and 0 of them when the
   messages arrive in order (fewer when a later one overtakes an earlier
   one and is refused), so the shortest logs cannot win an election;
3. the leader crashes at a uniformly random moment of that heartbeat interval
   (before its next heartbeat could repair the logs);
4. the trial ends when a running server leads: its time minus the crash time.

:func:`figure16` runs many trials per timeout range and gives, per range, the
sorted times (its empirical CDF).

**Commit latency** (:func:`commit_latency`) follows one client write through
a :class:`~ddia10.raft.client.KVRun` trace: client to leader, the leader's
append (and persist), the AppendEntries round trip until a majority has the
entry, commit, apply, and the reply to the client. Every figure is a
difference of two trace timestamps.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..sim import SimulationTimeout, Trace
from .cluster import RaftCluster
from .messages import AppendEntries, AppendEntriesReply

# ---------------------------------------------------------------------- Figure 16
FIGURE16_TOP: tuple[tuple[float, float], ...] = (
    (150, 150), (150, 151), (150, 155), (150, 175), (150, 200), (150, 300),
)
"""The timeout ranges (ms) of the paper's top graph: how much randomness."""

FIGURE16_BOTTOM: tuple[tuple[float, float], ...] = (
    (12, 24), (25, 50), (50, 100), (100, 200), (150, 300),
)
"""The timeout ranges (ms) of the paper's bottom graph: how short a timeout."""

PAPER_LATENCY: tuple[float, float] = (6.0, 8.5)
"""One-way delay (ms, uniform) that gives our 5-server broadcast time about the
paper's 15 ms; :func:`broadcast_time` measures it."""

PAPER_REPORTS: dict[tuple[float, float], str] = {
    (150, 150): "over 10 s in their tests (many split votes); 100 trials",
    (150, 155): "median 287 ms",
    (150, 200): "worst of 1,000 trials 513 ms",
    (12, 24): "mean 35 ms, worst 152 ms",
}
"""What §9.3 of the paper states in words about single lines of Figure 16."""

TRIAL_LIMIT_MS = 60_000.0
"""A trial that has not elected a leader after this much simulated time is
recorded as ``math.inf`` (it never reached the CDF)."""


def _timeout(election_timeout: Any) -> tuple[float, float]:
    if not (isinstance(election_timeout, (tuple, list)) and len(election_timeout) == 2):
        raise ValueError(
            f"election_timeout must be a (min, max) pair of ms, got {election_timeout!r}")
    lo, hi = election_timeout
    for x in (lo, hi):
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not 0 < x < math.inf:
            raise ValueError(f"election timeouts must be positive numbers of ms, got {x!r}")
    if lo > hi:
        raise ValueError(f"election_timeout min must be <= max, got {election_timeout!r}")
    return float(lo), float(hi)


def _int(name: str, x: Any, least: int) -> int:
    if isinstance(x, bool) or not isinstance(x, int) or x < least:
        raise ValueError(f"{name} must be an int >= {least}, got {x!r}")
    return x


@dataclass(frozen=True)
class ElectionTrial:
    """One crash of a leader: which server crashed and when, who led next,
    after how long (``math.inf`` if nobody led within :data:`TRIAL_LIMIT_MS`),
    how many terms that took, and each follower's log length when the
    election began."""

    seed: int
    crashed: Hashable
    crashed_at: float
    downtime: float
    new_leader: Hashable | None
    terms: int
    log_lengths: dict


def election_trial(election_timeout: tuple[float, float], seed: int, *,
                   latency: Any = PAPER_LATENCY, limit_ms: float = TRIAL_LIMIT_MS,
                   **options: Any) -> ElectionTrial:
    """Crash a leader the way Figure 16 does and time the next election.

    The heartbeat interval is half the minimum ``election_timeout``; other
    keywords are Raft options (e.g. ``prevote=True``). Same ``seed``, same
    trial."""
    return _election_trial(election_timeout, seed, latency=latency, trace=False,
                           limit_ms=limit_ms, options=options)[0]


def election_trial_cluster(election_timeout: tuple[float, float], seed: int, *,
                           latency: Any = PAPER_LATENCY,
                           **options: Any) -> tuple[ElectionTrial, RaftCluster]:
    """:func:`election_trial` with its traced cluster, to look at one trial."""
    return _election_trial(election_timeout, seed, latency=latency, trace=True,
                           limit_ms=TRIAL_LIMIT_MS, options=options)


def _election_trial(election_timeout: Any, seed: int, *, latency: Any, trace: bool,
                    limit_ms: float, options: dict) -> tuple[ElectionTrial, RaftCluster]:
    lo, hi = _timeout(election_timeout)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an int, got {seed!r}")
    if isinstance(limit_ms, bool) or not isinstance(limit_ms, (int, float)) or limit_ms <= 0:
        raise ValueError(f"limit_ms must be a positive number of ms, got {limit_ms!r}")
    heartbeat = lo / 2
    rng = random.Random(f"figure16:{seed}")
    fixed = {"election_timeout", "heartbeat_interval"} & set(options)
    if fixed:
        raise ValueError(f"{sorted(fixed)} are set by the experiment (the timeout range and "
                         "half its minimum)")
    c = RaftCluster(5, seed=seed, latency=latency, trace=trace,
                    election_timeout=(lo, hi), heartbeat_interval=heartbeat, **options)
    # 1. A leader everyone follows (not timed: server 1 asks at once).
    c.campaign(1)
    since: dict = {}

    def settled(cl: RaftCluster) -> bool:
        lead = cl.leader()
        if lead is None:
            return False
        node = cl.node(lead)
        since.setdefault((lead, node.term), cl.sim.now)
        return all(n.commit_index >= node.log.last_index for n in cl.nodes().values())

    c.run_until(settled, limit_ms)
    leader = c.leader()
    term = c.node(leader).term
    elected = since[(leader, term)]
    # 2. At its next heartbeat (a broadcast that resets every follower's timer),
    #    three entries, one flush each, whose messages are lost to a growing set
    #    of followers until the crash.
    beats = math.floor((c.sim.now - elected) / heartbeat) + 1
    c.run(elected + beats * heartbeat + 1e-6 - c.sim.now)  # the heartbeat has gone out
    followers = [p for p in c.ids if p != leader]
    rng.shuffle(followers)
    for k in range(3):
        c.sim.set_link(leader, followers[k], both_ways=False, loss=1.0)
        c.submit(f"entry {k + 1}", node=leader)
        c.run(0)  # the flush: one AppendEntries per follower for this entry
    # 3. The crash, at a uniformly random moment of the heartbeat interval.
    c.run(rng.uniform(0, heartbeat))
    crashed_at = c.sim.now
    last_due = max((m["due"] for m in c.sim.in_flight() if m["src"] == leader), default=0.0)
    c.crash(leader)
    for p in followers:
        c.sim.set_link(leader, p, both_ways=False, loss=0.0)
    # The logs as the election finds them: once the leader's last messages have
    # landed, or when the first candidate appears, whichever is first.
    c.run_until(lambda cl: cl.sim.now >= last_due
                or any(n.role != "follower" for n in cl.nodes().values()), limit_ms)
    lengths = {p: c.node(p).log.last_index for p in sorted(followers)}
    # 4. Until someone leads.
    try:
        c.wait_for_leader(limit_ms)
    except SimulationTimeout:
        return ElectionTrial(seed, leader, crashed_at, math.inf, None, 0, lengths), c
    new = c.leader()
    return ElectionTrial(seed, leader, crashed_at, c.sim.now - crashed_at, new,
                         c.node(new).term - term, lengths), c


@dataclass(frozen=True)
class ElectionTimes:
    """The trials of one timeout range, and their sorted downtimes (the CDF)."""

    election_timeout: tuple[float, float]
    trials: tuple[ElectionTrial, ...]

    @property
    def times(self) -> list[float]:
        return sorted(t.downtime for t in self.trials)

    @property
    def label(self) -> str:
        lo, hi = self.election_timeout
        return f"{lo:g}–{hi:g} ms"

    def percentile(self, q: float) -> float:
        """The ``q``-th percentile (0–100) of the downtimes, nearest rank."""
        if isinstance(q, bool) or not isinstance(q, (int, float)) or not 0 <= q <= 100:
            raise ValueError(f"a percentile is a number in [0, 100], got {q!r}")
        times = self.times
        return times[max(0, math.ceil(q / 100 * len(times)) - 1)]

    def summary(self) -> dict:
        finite = [t for t in self.times if math.isfinite(t)]
        return {
            "timeout": self.label,
            "trials": len(self.trials),
            "min": min(self.times),
            "median": self.percentile(50),
            "mean": statistics.fmean(finite) if len(finite) == len(self.times) else math.inf,
            "p90": self.percentile(90),
            "p99": self.percentile(99),
            "max": max(self.times),
            "split or wasted terms": sum(t.terms > 1 for t in self.trials),
        }


def figure16(timeouts: Iterable[tuple[float, float]], trials: int = 1000, *, seed: int = 0,
             latency: Any = PAPER_LATENCY,
             progress: Callable[[Iterable[Any]], Iterable[Any]] | None = None,
             trials_for: dict[tuple[float, float], int] | None = None,
             **options: Any) -> list[ElectionTimes]:
    """Run ``trials`` leader crashes per timeout range (``trials_for`` overrides
    the count for some ranges: the paper ran 100 for 150–150 ms). Trial ``i``
    uses seed ``seed * 1_000_003 + i``, so a line is reproducible and every
    range sees the same seeds. ``progress`` wraps the loop (e.g.
    :func:`ddia10.runtime.progress`); other keywords are Raft options."""
    ranges = [_timeout(t) for t in timeouts]
    if not ranges:
        raise ValueError("figure16 needs at least one timeout range")
    _int("trials", trials, 1)
    overrides = {_timeout(k): _int("trials_for count", v, 1)
                 for k, v in (trials_for or {}).items()}
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an int, got {seed!r}")
    jobs = [(r, i) for r in ranges for i in range(overrides.get(r, trials))]
    loop = progress(jobs) if progress is not None else jobs
    done: dict[tuple[float, float], list[ElectionTrial]] = {r: [] for r in ranges}
    for r, i in loop:
        done[r].append(election_trial(r, seed * 1_000_003 + i, latency=latency, **options))
    return [ElectionTimes(r, tuple(done[r])) for r in ranges]


def figure16_table(lines: Sequence[ElectionTimes]):
    """One row per timeout range: our percentiles (ms) beside what §9.3 of the
    paper says about that range in words (blank where it says nothing)."""
    import pandas as pd

    if not lines or not all(isinstance(line, ElectionTimes) for line in lines):
        raise ValueError("figure16_table takes the list figure16() returns")
    rows = []
    for line in lines:
        row = line.summary()
        row["the paper reports"] = PAPER_REPORTS.get(line.election_timeout, "")
        rows.append(row)
    return pd.DataFrame(rows).set_index("timeout").round(1)


def draw_figure16(lines: Sequence[ElectionTimes], *, ax=None, title: str = "",
                  xmax: float | None = None):
    """The lines as the paper draws them: the cumulative share of trials (y)
    that had a leader again within a time (x, ms, log scale). Returns the axes."""
    import matplotlib.pyplot as plt

    if not lines or not all(isinstance(line, ElectionTimes) for line in lines):
        raise ValueError("draw_figure16 takes the list figure16() returns")
    if ax is None:
        _fig, ax = plt.subplots(figsize=(7, 3.6))
    for line in lines:
        times = line.times
        shares = [(k + 1) / len(times) * 100 for k in range(len(times))]
        finite = [(t, s) for t, s in zip(times, shares, strict=True) if math.isfinite(t)]
        if finite:
            xs, ys = zip(*finite, strict=True)
            ax.step(xs, ys, where="post", label=line.label)
    ax.set_xscale("log")
    ax.set_xlabel("time without leader (ms)")
    ax.set_ylabel("cumulative percent of trials")
    ax.set_ylim(0, 101)
    if xmax is not None:
        ax.set_xlim(right=xmax)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    if title:
        ax.set_title(title)
    return ax


def broadcast_time(latency: Any = PAPER_LATENCY, *, n: int = 5, seed: int = 0,
                   rounds: int = 200) -> float:
    """The paper's *broadcast time*, measured: the mean time from a leader's
    heartbeat round leaving to the last follower's reply arriving."""
    _int("n", n, 2)
    _int("rounds", rounds, 1)
    c = RaftCluster(n, seed=seed, latency=latency, election_timeout=(10_000.0, 20_000.0),
                    heartbeat_interval=50.0)
    c.campaign(1)
    c.run(50.0 * (rounds + 2))
    sent: dict[int, float] = {}
    last: dict[int, float] = {}
    replies: dict[int, int] = {}
    for e in c.trace.of_kind("send", "deliver"):
        msg = e.data["msg"]
        if e.kind == "send" and isinstance(msg, AppendEntries) and e.pid == 1:
            sent.setdefault(msg.round, e.time)
        elif e.kind == "deliver" and isinstance(msg, AppendEntriesReply) and e.pid == 1:
            replies[msg.round] = replies.get(msg.round, 0) + 1
            last[msg.round] = max(last.get(msg.round, 0.0), e.time)
    done = [last[r] - sent[r] for r in sent if r > 1 and replies.get(r, 0) >= n - 1]
    if not done:
        raise ValueError("no heartbeat round completed; is the latency finite?")
    return statistics.fmean(done)


# ---------------------------------------------------------------------- commit latency
STAGES: tuple[str, ...] = (
    "client → leader",
    "leader append + persist",
    "AppendEntries round trip to a majority",
    "commit → apply",
    "leader → client",
)
"""The stages of one write, in order; they add up to the client's latency."""


@dataclass(frozen=True)
class Placement:
    """Where five servers and one client sit, and the one-way delay between
    places. ``places`` maps a process id to a place name; ``delay`` maps a
    pair of place names (either order) to a latency (a number or a
    ``(lo, hi)`` range of ms); ``local`` is the delay within one place."""

    name: str
    places: dict
    local: Any
    delay: dict

    def latency(self, a: Hashable, b: Hashable) -> Any:
        pa, pb = self.places[a], self.places[b]
        if pa == pb:
            return self.local
        return self.delay.get((pa, pb), self.delay.get((pb, pa)))


SAME_DC = Placement("same datacenter", {p: "dc" for p in (1, 2, 3, 4, 5, "c1")},
                    (0.2, 1.0), {})
"""Every process in one datacenter: one-way delays of 0.2–1 ms."""

THREE_REGIONS = Placement(
    "three regions",
    {1: "us-east", 2: "us-east", 3: "us-west", 4: "us-west", 5: "europe", "c1": "us-east"},
    (0.2, 1.0),
    {("us-east", "us-west"): (30.0, 35.0), ("us-east", "europe"): (38.0, 45.0),
     ("us-west", "europe"): (70.0, 80.0)},
)
"""Two servers in us-east (with the client and the leader), two in us-west,
one in Europe. The one-way delays are of the order public cloud regions show
between the US coasts and across the Atlantic; they are a setting, not a
measurement."""


@dataclass(frozen=True)
class WriteLatency:
    """Where the time of one acknowledged write went (ms); ``stages`` follows
    :data:`STAGES` and sums to ``total``. ``majority`` lists the servers whose
    copies made the entry committed, leader first."""

    seq: int
    index: int
    stages: dict
    total: float
    majority: tuple


def commit_latency(placement: Placement = SAME_DC, *, writes: int = 20,
                   seed: int = 0) -> list[WriteLatency]:
    """Run ``writes`` client puts one after another through server 1 (which
    leads) under ``placement``, and break each one down from the trace."""
    if not isinstance(placement, Placement):
        raise ValueError(f"placement must be a Placement, got {placement!r}")
    _int("writes", writes, 1)
    from .client import KVRun

    servers = [1, 2, 3, 4, 5]
    missing = [p for p in servers + ["c1"] if p not in placement.places]
    if missing:
        raise ValueError(f"placement {placement.name!r} does not place {missing}")
    run = KVRun(seed, n=5, clients=1, trace=True, latency=placement.local,
                election_timeout=(1000.0, 2000.0), heartbeat_interval=100.0)
    pids = servers + ["c1"]
    for i, a in enumerate(pids):
        for b in pids[i + 1:]:
            run.sim.set_link(a, b, latency=placement.latency(a, b))
    run.cluster.campaign(1)
    run.cluster.run_until(lambda c: c.leader() == 1 and all(
        n.commit_index >= 1 for n in c.nodes().values()), 5000)
    run.submit("c1", "put", "x", "v0")  # the client learns who leads (not measured)
    if not run.run_until_idle(5000.0):
        raise RuntimeError("the first write did not complete; is a majority reachable?")
    start = len(run.sim.trace)
    for k in range(writes):
        run.submit("c1", "put", "x", f"v{k + 1}")
    if not run.run_until_idle(1000.0 * writes):
        raise RuntimeError("the writes did not complete; is a majority reachable?")
    return write_latencies(Trace(run.sim.trace.events[start:]), leader=1, client="c1",
                           quorum=3)


def write_latencies(trace: Trace, *, leader: Hashable, client: Hashable,
                    quorum: int) -> list[WriteLatency]:
    """Break down every write ``client`` completed in ``trace`` (see :data:`STAGES`)."""
    from .kv import ClientRequest, KVCommand

    invoked: dict[int, float] = {}
    arrived: dict[int, float] = {}
    index_of: dict[int, int] = {}
    first_send: dict[int, float] = {}
    acks: dict[int, list] = {}
    committed: dict[int, float] = {}
    applied: dict[int, float] = {}
    returned: dict[int, float] = {}
    seq_at: dict[int, int] = {}
    commit_index = applied_index = 0
    for e in trace:
        kind, data = e.kind, e.data
        if kind == "invoke" and data.get("client") == client:
            invoked[data["seq"]] = e.time
        elif kind == "return" and data.get("client") == client:
            returned[data["seq"]] = e.time
        elif kind == "deliver" and e.pid == leader and isinstance(data["msg"], ClientRequest):
            arrived.setdefault(data["msg"].seq, e.time)
        elif kind == "send" and e.pid == leader and isinstance(data["msg"], AppendEntries):
            msg = data["msg"]
            for k, (_term, command) in enumerate(msg.entries):
                if isinstance(command, KVCommand) and command.client == client:
                    index = msg.prev_log_index + 1 + k
                    index_of.setdefault(command.seq, index)
                    seq_at[index] = command.seq
                    first_send.setdefault(command.seq, e.time)
        elif kind == "deliver" and e.pid == leader and isinstance(data["msg"], AppendEntriesReply):
            msg = data["msg"]
            for index, seq in seq_at.items():
                if msg.success and msg.match_index >= index and seq not in committed:
                    got = acks.setdefault(seq, [])
                    if data["src"] not in got:
                        got.append(data["src"])
        elif kind == "state" and e.pid == leader:
            commit_index = data.get("commit_index", commit_index)
            applied_index = data.get("last_applied", applied_index)
            for index, seq in seq_at.items():
                if commit_index >= index:
                    committed.setdefault(seq, e.time)
                if applied_index >= index:
                    applied.setdefault(seq, e.time)
    out = []
    for seq in sorted(returned):
        if seq not in index_of or seq not in committed:
            continue
        times = (invoked[seq], arrived[seq], first_send[seq], committed[seq], applied[seq],
                 returned[seq])
        stages = {name: b - a for name, a, b in zip(STAGES, times[:-1], times[1:], strict=True)}
        out.append(WriteLatency(seq, index_of[seq], stages, times[-1] - times[0],
                                (leader, *acks.get(seq, [])[: quorum - 1])))
    return out


def latency_table(runs: dict[str, Sequence[WriteLatency]]):
    """Median ms per stage (rows) for each named run (columns), with the total."""
    import pandas as pd

    if not runs:
        raise ValueError("latency_table needs at least one named run")
    columns = {}
    for name, writes in runs.items():
        if not writes:
            raise ValueError(f"run {name!r} has no completed writes")
        column = {stage: statistics.median(w.stages[stage] for w in writes) for stage in STAGES}
        column["total (client's view)"] = statistics.median(w.total for w in writes)
        columns[name] = column
    return pd.DataFrame(columns).round(2)
