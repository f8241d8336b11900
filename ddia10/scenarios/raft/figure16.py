"""Chapter 4's Figure 16: how long a Raft cluster is without a leader.

**Figure 16 of the Raft paper** (Ongaro & Ousterhout 2014, §9.3; Ongaro's
thesis §9.4 tells the same benchmark in more detail) times the gap between a
leader's crash and the election of the next one, on five servers whose
broadcast time (one RPC to every server and all the replies) is about 15 ms.
Its script synchronised the leader's heartbeats to every follower before the
crash, so that their timers started together (the worst case for split
votes); crashed the leader at a uniformly random moment of its heartbeat
interval, which was half the minimum election timeout; gave the servers logs
of different lengths, so that two of the four survivors could not win; and
measured from the crash "until the other servers received the new leader's
first heartbeat" (thesis). :func:`election_trial` does the same on
:class:`~ddia10.raft.RaftCluster`:

1. server 1 campaigns at time 0 and (usually) leads; everyone stores the
   leader's no-op;
2. in one instant, over links that give every message from the leader one
   fixed delay (so each follower takes them in the order sent, and all at the
   same moment), the leader appends three entries, one flush each, each lost
   to one more follower (chosen at random): the followers hold 3, 2, 1 and 0
   of them, since a follower that missed one refuses the next, and the two
   shortest logs cannot win an election; then a read starts a heartbeat
   round to every follower, the synchronised broadcast (a read's round
   resends no entries);
3. the leader's later messages are lost, and it crashes at a uniformly random
   moment of its heartbeat interval;
4. the trial ends when every running server follows one leader in one term:
   its time minus the crash time. A trial still without one ``limit_ms`` after
   the crash counts as ``math.inf``; tables and plots show it as "> bound",
   it is never dropped.

Which timer rule the servers follow is a Raft option like any other:
``election_timer="paper"`` is Figure 2's, the default ``"etcd"`` etcd's (see
:mod:`~ddia10.raft.options`); so is the disk: ``disk_latency=`` ms per write
(with ``latency=`` for the network, :data:`PAPER_DISK_LATENCY` and
:data:`PAPER_NETWORK` split the paper's broadcast time between the two).
:func:`figure16` runs many trials per timeout range and gives, per range,
the sorted times (its empirical CDF); :func:`figure16_lines` runs the
chapter's setup under one timer rule, :func:`draw_figure16_pair` draws the
paper's two graphs, and :func:`broadcast_time` measures the broadcast time.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from ...raft.cluster import RaftCluster
from ...raft.messages import AppendEntries, AppendEntriesReply
from ...runtime import progress as progress_bar
from ...sim import SimulationTimeout, as_latency
from ...validate import check_choice, check_int, check_number

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
"""One-way delay (ms, uniform) that, with an instant disk, gives our 5-server
broadcast time about the paper's 15 ms; :func:`broadcast_time` measures it."""

PAPER_DISK_LATENCY = 4.0
"""ms of one disk write in our paper-like setup, where the broadcast time is
network and disk (the paper does not say how its 15 ms split): about a
quarter of it is the followers' write, 4 ms, and the rest the network."""

PAPER_NETWORK: tuple[float, float] = (4.0, 6.0)
"""One-way delay (ms, uniform) that, with :data:`PAPER_DISK_LATENCY`, gives a
broadcast time of about 15 ms."""


class PaperFigure(NamedTuple):
    """One number §9.3 of the paper gives in words about one line of Figure 16:
    a ``statistic`` (``min``, ``median``, ``mean`` or ``max``) of the downtime,
    in ms; ``more_than`` when the paper gives only a lower bound."""

    election_timeout: tuple[float, float]
    statistic: str
    ms: float
    more_than: bool = False

    @property
    def value(self) -> str:
        return f"{'> ' if self.more_than else ''}{self.ms:g}"


PAPER_FIGURES: tuple[PaperFigure, ...] = (
    PaperFigure((150, 150), "min", 10_000, more_than=True),  # "consistently took longer
    #                                                            than 10 seconds"
    PaperFigure((150, 155), "median", 287),
    PaperFigure((150, 200), "max", 513),  # "worst-case completion time (over 1000 trials)"
    PaperFigure((12, 24), "mean", 35),
    PaperFigure((12, 24), "max", 152),  # "the longest trial took 152ms"
)
"""Every number §9.3 states about Figure 16 (the 150–150 ms line is 100
trials, the others 1,000)."""

STATISTICS = ("min", "median", "mean", "max")

TRIAL_LIMIT_MS = 60_000.0
"""How long after the crash a trial may go without a stable leader before it
is recorded as ``math.inf`` ("> bound")."""


def _timeout(election_timeout: Any) -> tuple[float, float]:
    if not (isinstance(election_timeout, (tuple, list)) and len(election_timeout) == 2):
        raise ValueError(
            f"election_timeout must be a (min, max) pair of ms, got {election_timeout!r}")
    lo = check_number("election_timeout min", election_timeout[0], positive=True, unit="ms")
    hi = check_number("election_timeout max", election_timeout[1], positive=True, unit="ms")
    if lo > hi:
        raise ValueError(f"election_timeout min must be <= max, got {election_timeout!r}")
    return float(lo), float(hi)


@dataclass(frozen=True)
class ElectionTrial:
    """One crash of a leader: which server crashed and when, who led next,
    after how long (``math.inf`` if nobody did within the trial's bound),
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
    keywords are Raft options (e.g. ``election_timer="paper"``,
    ``prevote=True``, ``disk_latency=4.0``). Same ``seed``, same trial."""
    return _election_trial(election_timeout, seed, latency=latency, trace=False,
                           limit_ms=limit_ms, options=options)[0]


def election_trial_cluster(election_timeout: tuple[float, float], seed: int, *,
                           latency: Any = PAPER_LATENCY, limit_ms: float = TRIAL_LIMIT_MS,
                           **options: Any) -> tuple[ElectionTrial, RaftCluster]:
    """:func:`election_trial` with its traced cluster, to look at one trial."""
    return _election_trial(election_timeout, seed, latency=latency, trace=True,
                           limit_ms=limit_ms, options=options)


def _stable(c: RaftCluster) -> bool:
    """Every running server follows one leader, in that leader's term."""
    lead = c.leader()
    if lead is None:
        return False
    term = c.node(lead).term
    return all(n.term == term and n.leader_id == lead for n in c.nodes().values())


def _election_trial(election_timeout: Any, seed: int, *, latency: Any, trace: bool,
                    limit_ms: Any, options: dict) -> tuple[ElectionTrial, RaftCluster]:
    lo, hi = _timeout(election_timeout)
    check_int("seed", seed)
    limit_ms = float(check_number("limit_ms", limit_ms, positive=True, unit="ms"))
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

    def settled(cl: RaftCluster) -> bool:
        """A leader whose every follower has its whole log, and knows it."""
        lead = cl.leader()
        if lead is None:
            return False
        node = cl.node(lead)
        return all(pr.state == "replicate" and pr.match_index == node.log.last_index
                   and not pr.inflight for pr in node.progress.values())

    c.run_until(settled, limit_ms)
    leader = c.leader()
    term = c.node(leader).term
    # 2. Logs of different lengths, then the synchronised heartbeat, all in one
    #    instant, over links of one fixed delay: every follower takes the
    #    leader's messages in the order sent, at the same moment as the others.
    #    Three entries, each lost to one more follower (who then refuses the
    #    later ones: they do not follow on from its log), then a heartbeat round
    #    to every follower, started by a read (a read's round resends no
    #    entries, unlike the periodic heartbeat after a loss).
    followers = [p for p in c.ids if p != leader]
    rng.shuffle(followers)
    for p in followers:
        c.sim.set_link(leader, p, both_ways=False, latency=as_latency(latency).mean)
    for k, p in enumerate(followers[:3]):
        c.sim.set_link(leader, p, both_ways=False, loss=1.0)
        c.submit(f"entry {k + 1}", node=leader)
        c.run(0)  # the flush: one AppendEntries per follower for this entry
        c.sim.set_link(leader, p, both_ways=False, loss=0.0)
    c.sim.call(leader, lambda node, ctx: node.request_read(ctx, "figure 16"))
    c.run(0)
    # 3. Nothing more from the leader (its messages are lost) until it crashes,
    #    at a uniformly random moment of its heartbeat interval.
    for p in followers:
        c.sim.set_link(leader, p, both_ways=False, loss=1.0)
    c.run(rng.uniform(0, heartbeat))
    crashed_at = c.sim.now
    c.crash(leader)
    for p in followers:
        c.sim.set_link(leader, p, latency=latency, loss=0.0)
    # The logs as the election finds them: once the leader's last messages have
    # landed, or when the first candidate appears, whichever is first.
    c.run_until(lambda cl: all(m["src"] != leader for m in cl.sim.in_flight())
                or any(n.role != "follower" for n in cl.nodes().values()), limit_ms)
    lengths = {p: c.node(p).log.last_index for p in sorted(followers)}
    # 4. Until every survivor has heard from one new leader.
    try:
        c.run_until(_stable, crashed_at + limit_ms - c.sim.now)
    except SimulationTimeout:
        return ElectionTrial(seed, leader, crashed_at, math.inf, None, 0, lengths), c
    new = c.leader()
    return ElectionTrial(seed, leader, crashed_at, c.sim.now - crashed_at, new,
                         c.node(new).term - term, lengths), c


@dataclass(frozen=True)
class ElectionTimes:
    """The trials of one timeout range, their sorted downtimes (the CDF), and
    the bound beyond which a trial counts as "no leader" (``math.inf``)."""

    election_timeout: tuple[float, float]
    trials: tuple[ElectionTrial, ...]
    limit_ms: float = TRIAL_LIMIT_MS

    @property
    def times(self) -> list[float]:
        return sorted(t.downtime for t in self.trials)

    @property
    def label(self) -> str:
        lo, hi = self.election_timeout
        return f"{lo:g}–{hi:g} ms"

    @property
    def unfinished(self) -> int:
        """How many trials had no stable leader within the bound."""
        return sum(not math.isfinite(t.downtime) for t in self.trials)

    def percentile(self, q: float) -> float:
        """The ``q``-th percentile (0–100) of the downtimes, nearest rank."""
        check_number("a percentile", q, min=0, max=100)
        times = self.times
        return times[max(0, math.ceil(q / 100 * len(times)) - 1)]

    def statistic(self, name: str) -> float:
        """``min``, ``median``, ``mean`` or ``max`` of the downtimes (``math.inf``
        where trials past the bound make it unknown)."""
        check_choice("statistic", name, STATISTICS)
        if name == "mean":
            return statistics.fmean(self.times)
        return self.percentile({"min": 0, "median": 50, "max": 100}[name])

    def summary(self) -> dict:
        return {
            "timeout": self.label,
            "trials": len(self.trials),
            "min": self.percentile(0),
            "median": self.percentile(50),
            "mean": self.statistic("mean"),
            "p90": self.percentile(90),
            "p99": self.percentile(99),
            "max": self.percentile(100),
            "split or wasted terms": sum(t.terms > 1 for t in self.trials),
            f"no leader within {self.limit_ms / 1000:g} s": self.unfinished,
        }

    def shown(self, ms: float) -> float | str:
        """A downtime for a table: rounded, or "> bound" past the bound."""
        return _shown(ms, self.limit_ms)


def _shown(ms: float, limit_ms: float) -> float | str:
    return round(ms, 1) if math.isfinite(ms) else f"> {limit_ms:g}"


def figure16(timeouts: Iterable[tuple[float, float]], trials: int = 1000, *, seed: int = 0,
             latency: Any = PAPER_LATENCY, limit_ms: float = TRIAL_LIMIT_MS,
             progress: Callable[[Iterable[Any]], Iterable[Any]] | None = None,
             trials_for: dict[tuple[float, float], int] | None = None,
             **options: Any) -> list[ElectionTimes]:
    """Run ``trials`` leader crashes per timeout range (``trials_for`` overrides
    the count for some ranges: the paper ran 100 for 150–150 ms). Trial ``i``
    uses seed ``seed * 1_000_003 + i``, so a line is reproducible and every
    range sees the same seeds. ``limit_ms`` bounds each trial; ``progress``
    wraps the loop (e.g. :func:`ddia10.runtime.progress`); other keywords are
    Raft options (``election_timer="paper"`` for Figure 2's timer rules,
    ``disk_latency=`` for a disk that takes time)."""
    ranges = [_timeout(t) for t in timeouts]
    if not ranges:
        raise ValueError("figure16 needs at least one timeout range")
    check_int("trials", trials, min=1)
    limit_ms = float(check_number("limit_ms", limit_ms, positive=True, unit="ms"))
    overrides = {_timeout(k): check_int("trials_for count", v, min=1)
                 for k, v in (trials_for or {}).items()}
    check_int("seed", seed)
    jobs = [(r, i) for r in ranges for i in range(overrides.get(r, trials))]
    loop = progress(jobs) if progress is not None else jobs
    done: dict[tuple[float, float], list[ElectionTrial]] = {r: [] for r in ranges}
    for r, i in loop:
        done[r].append(election_trial(r, seed * 1_000_003 + i, latency=latency,
                                      limit_ms=limit_ms, **options))
    return [ElectionTimes(r, tuple(done[r]), limit_ms) for r in ranges]


RANGES: tuple[tuple[float, float], ...] = tuple(dict.fromkeys(FIGURE16_TOP + FIGURE16_BOTTOM))
"""Every timeout range of the paper's two graphs, once each."""


def figure16_lines(rule: str, ranges: Iterable[tuple[float, float]] = RANGES,
                   trials: int = 1000, *, trials_for: dict[tuple[float, float], int] | None = None,
                   **options: Any) -> dict[tuple[float, float], ElectionTimes]:
    """:func:`figure16` in the chapter's setup (:data:`PAPER_NETWORK` and
    :data:`PAPER_DISK_LATENCY`) under timer rule ``rule`` (``"paper"`` or
    ``"etcd"``), by range, with a progress bar that names the rule. Other
    keywords are Raft options (``prevote=True``, ...)."""
    lines = figure16(ranges, trials, trials_for=trials_for, election_timer=rule,
                     latency=PAPER_NETWORK, disk_latency=PAPER_DISK_LATENCY,
                     progress=lambda jobs: progress_bar(jobs, desc=f"{rule}'s rules"), **options)
    return {line.election_timeout: line for line in lines}


def traced_trial(rule: str, election_timeout: tuple[float, float] = (150, 150),
                 seed: int = 1) -> tuple[ElectionTrial, RaftCluster]:
    """One trial of the chapter's setup under timer rule ``rule``, with its
    traced cluster, to look at what the servers did."""
    return election_trial_cluster(election_timeout, seed, election_timer=rule,
                                  latency=PAPER_NETWORK, disk_latency=PAPER_DISK_LATENCY)


def _lines(lines: Any, who: str) -> list[ElectionTimes]:
    if not lines or not all(isinstance(line, ElectionTimes) for line in lines):
        raise ValueError(f"{who} takes the list figure16() returns")
    return list(lines)


def figure16_table(lines: Sequence[ElectionTimes]):
    """One row per timeout range: our percentiles (ms, "> bound" for trials
    without a leader within the bound) beside what §9.3 of the paper says
    about that range (blank where it says nothing)."""
    import pandas as pd

    rows = []
    for line in _lines(lines, "figure16_table"):
        row = {k: line.shown(v) if k in ("min", "median", "p90", "p99", "max") else v
               for k, v in line.summary().items()}
        if line.unfinished:  # the bound stands in for the unknown times: a lower bound
            row["mean"] = f"> {statistics.fmean(min(t, line.limit_ms) for t in line.times):.1f}"
        else:
            row["mean"] = round(row["mean"], 1)
        row["the paper reports"] = "; ".join(f"{f.statistic} {f.value}" for f in PAPER_FIGURES
                                             if f.election_timeout == line.election_timeout)
        rows.append(row)
    return pd.DataFrame(rows).set_index("timeout")


def paper_statistics(
    runs: dict[str, Sequence[ElectionTimes]],
) -> list[tuple[PaperFigure, dict[str, float | None]]]:
    """Every number of :data:`PAPER_FIGURES` with the same statistic of each named
    run, in ms (``math.inf`` where trials past the bound hide it, ``None`` where
    a run lacks the range): the values :func:`paper_comparison` shows."""
    if not runs or "the paper" in runs:
        raise ValueError("compare at least one named run with the paper, none named 'the paper'")
    by_name = {name: {line.election_timeout: line for line in _lines(lines, "paper_statistics")}
               for name, lines in runs.items()}
    out = []
    for fig in PAPER_FIGURES:
        ours = {}
        for name, lines in by_name.items():
            line = lines.get(fig.election_timeout)
            ours[name] = None if line is None else line.statistic(fig.statistic)
        out.append((fig, ours))
    return out


def paper_comparison(runs: dict[str, Sequence[ElectionTimes]]):
    """Every number of :data:`PAPER_FIGURES` beside the same statistic of each
    named run (ms; "> bound" where trials past the bound hide it). A range
    that a run lacks is left blank."""
    import pandas as pd

    values = paper_statistics(runs)
    limits = {name: {line.election_timeout: line.limit_ms for line in lines}
              for name, lines in runs.items()}
    rows = []
    for fig, ours in values:
        lo, hi = fig.election_timeout
        row = {"timeout": f"{lo:g}–{hi:g} ms", "statistic": fig.statistic,
               "the paper": fig.value}
        for name, ms in ours.items():
            row[name] = "" if ms is None else _shown(ms, limits[name][fig.election_timeout])
        rows.append(row)
    return pd.DataFrame(rows).set_index(["timeout", "statistic"])


def draw_figure16(lines: Sequence[ElectionTimes], *, ax=None, title: str = "",
                  xmax: float | None = None, paper: bool = False):
    """The lines as the paper draws them: the cumulative share of trials (y)
    that had a leader again within a time (x, ms, log scale). A line whose
    trials did not all finish stops short of 100 %, and its label says how
    many went past the bound. With ``paper=True`` the numbers §9.3 states
    (a median, a worst case, a lower bound) are drawn as points on the lines
    they belong to. Returns the axes."""
    import matplotlib.pyplot as plt

    lines = _lines(lines, "draw_figure16")
    if ax is None:
        _fig, ax = plt.subplots(figsize=(7, 3.6))
    for line in lines:
        times = line.times
        shares = [(k + 1) / len(times) * 100 for k in range(len(times))]
        finite = [(t, s) for t, s in zip(times, shares, strict=True) if math.isfinite(t)]
        label = line.label
        if line.unfinished:
            label += f" ({line.unfinished} > {line.limit_ms / 1000:g} s)"
        xs, ys = zip(*finite, strict=True) if finite else ((), ())
        (drawn,) = ax.step(xs, ys, where="post", label=label)
        if paper:
            _draw_paper_figures(ax, line.election_timeout, drawn.get_color())
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


def draw_figure16_pair(lines: dict[tuple[float, float], ElectionTimes], rule: str):
    """The paper's two graphs from ``lines`` (by range, as :func:`figure16_lines`
    gives them): the top one varies the randomness of the timeout, the bottom
    one its length; the paper's stated numbers are drawn on their lines.
    Returns the figure."""
    import matplotlib.pyplot as plt

    missing = [r for r in RANGES if r not in lines]
    if missing:
        raise ValueError(f"draw_figure16_pair needs a line for every range; missing {missing}")
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.5, 7.5))
    draw_figure16([lines[r] for r in FIGURE16_TOP], ax=top, paper=True,
                  title=f"randomness in the election timeout (min 150 ms), {rule}'s rules")
    draw_figure16([lines[r] for r in FIGURE16_BOTTOM], ax=bottom, paper=True,
                  title=f"length of the election timeout, {rule}'s rules")
    fig.tight_layout()
    return fig


_PAPER_SHARE = {"min": 0.0, "median": 50.0, "max": 100.0}  # where a statistic sits on a CDF


def _draw_paper_figures(ax, election_timeout: tuple[float, float], color: str) -> None:
    """The paper's stated numbers for one range, as points (an arrow for a lower bound)."""
    for fig in PAPER_FIGURES:
        if fig.election_timeout != election_timeout or fig.statistic not in _PAPER_SHARE:
            continue
        marker = ">" if fig.more_than else "o"
        ax.plot([fig.ms], [_PAPER_SHARE[fig.statistic]], marker=marker, color=color,
                markersize=9, markerfacecolor="none", markeredgewidth=2, clip_on=False)


def broadcast_time(latency: Any = PAPER_LATENCY, *, disk_latency: float = 0.0, n: int = 5,
                   seed: int = 0, rounds: int = 200) -> float:
    """The paper's *broadcast time*, measured: the mean time from a leader
    sending one new entry to every follower to the last follower's reply
    arriving, which each follower sends once the entry is on its disk (the
    thesis: "network round trip plus disk write"). ``rounds`` entries go one
    at a time."""
    check_int("n", n, min=2)
    check_int("rounds", rounds, min=1)
    c = RaftCluster(n, seed=seed, latency=latency, disk_latency=disk_latency,
                    election_timeout=(10_000.0, 20_000.0), heartbeat_interval=5_000.0)
    c.campaign(1)
    leader = c.node(1)

    def replicated(cl: RaftCluster) -> bool:
        return all(pr.match_index == leader.log.last_index and not pr.inflight
                   for pr in leader.progress.values())

    c.run_until(lambda cl: cl.leader() == 1 and replicated(cl), 10_000.0)
    start = len(c.trace)
    for r in range(rounds):
        c.submit(f"broadcast {r}")
        c.run_until(replicated, 10_000.0)
    sent: dict[int, float] = {}
    replied: dict[int, dict] = {}  # index -> {follower: its first reply with it arrived}
    for e in c.trace.events[start:]:
        msg = e.data.get("msg")
        if e.kind == "send" and isinstance(msg, AppendEntries) and msg.entries:
            sent.setdefault(msg.prev_log_index + len(msg.entries), e.time)
        elif e.kind == "deliver" and isinstance(msg, AppendEntriesReply) and msg.success:
            replied.setdefault(msg.match_index, {}).setdefault(e.data["src"], e.time)
    return statistics.fmean(max(replied[i].values()) - sent[i] for i in sent)
