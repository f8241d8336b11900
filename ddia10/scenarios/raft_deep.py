"""The runs of the Raft deep-dive chapter, on the real :mod:`ddia10.raft` code.

Each run is a script of faults and client requests laid on a
:class:`~ddia10.raft.RaftCluster`; the protocol does the rest. Scripted runs
use election timeouts no run ever reaches, so only the script starts
elections, and a fixed latency, so every time below is exact.

- :func:`worked_example` — five servers through two writes, a leader crash, a
  re-election and a third write (the chapter's worked example), with the
  state of every server at each stage; :func:`worked_example_scenario` plays it.
- :func:`diverged_cluster` / :func:`reconcile_scenario` — a follower's log
  diverges over two terms, then the leader's ``nextIndex`` backs off until the
  logs match: with the follower's conflict hints, or one entry at a time.
- :func:`rejoin_run` / :func:`rejoin_scenario` — a follower cut off for a while
  rejoins, with and without PreVote and CheckQuorum.
- :func:`membership_run` — a learner catches up and is promoted (one server
  at a time), then a joint-consensus change C_old,new → C_new.
- :func:`ballots` — the answers a candidate got in a term, read from the trace.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from ..raft import RaftCluster, ServerState
from ..raft.messages import short
from ..sim import Simulation, Trace
from ..sim.trace import jsonable
from ..viz import Scenario
from ..viz.raft_log import leaders, log_panel, log_table

SCRIPTED_TIMEOUT = (100_000.0, 200_000.0)
"""Election timeouts out of reach of any scripted run: only the script campaigns."""

SCRIPTED_LATENCY = 5.0
"""Every message of a scripted run takes exactly this long (ms)."""

SLOW_LATENCY = 60.0
"""A slow link of the worked example (ms)."""

RAFT_STEPS = frozenset({"state", "note", "crash", "restart", "partition", "heal", "drop",
                        "disconnect", "reconnect"})
"""Steps of a Raft player end when a server's visible state changes (or the world
does): a heartbeat that changes nothing costs the reader no click."""


def _check_server(c: RaftCluster, pid: Hashable) -> None:
    if pid not in c.ids:
        raise ValueError(f"no server {pid!r}; servers are {c.ids}")


# ---------------------------------------------------------------------------- worked example
WORKED_TIMES = {"start": 60.0, "x=1": 75.0, "y=2": 125.0, "election": 140.0, "z=3": 200.0,
                "end": 400.0}
"""When (ms) each stage of the worked example is recorded."""


@dataclass
class WorkedExample:
    """The worked example's cluster and every server's state at each stage
    (``stages[name][pid]``, names as in :data:`WORKED_TIMES`)."""

    cluster: RaftCluster
    candidate: int
    stages: dict[str, dict[Hashable, ServerState]] = field(default_factory=dict)


def _worked_cluster(candidate: int, stages: dict) -> RaftCluster:
    c = RaftCluster(5, seed=5, latency=SCRIPTED_LATENCY, election_timeout=SCRIPTED_TIMEOUT)
    _check_server(c, candidate)
    if candidate == 1:
        raise ValueError("server 1 is the one that crashes; the candidate must be 2..5")

    def beat(t: float, note: str, action: Callable[[], Any] | None = None,
             stage: str | None = None) -> None:
        def act(sim: Simulation) -> None:
            if stage is not None:
                stages[stage] = {p: c.state(p) for p in c.ids}
            sim.note(note)
            if action is not None:
                action()

        c.sim.at(t, act, note)

    def slow(a: int, b: int) -> None:
        c.sim.set_link(a, b, latency=SLOW_LATENCY)

    def crash_leader() -> None:
        c.disconnect(1)  # what it still had on its slow links dies with it
        c.crash(1)
        c.campaign(candidate)

    def write_z() -> None:
        if c.leader() is not None:
            slow(c.leader(), 5)
            c.submit("z=3")

    beat(0.0, "Server 1 starts an election.", lambda: c.campaign(1))
    beat(WORKED_TIMES["start"], "Client writes x=1; the link from 1 to 5 is slow.",
         lambda: (slow(1, 5), c.submit("x=1")), stage="start")
    beat(WORKED_TIMES["x=1"], "Client writes y=2; the link from 1 to 4 is slow too.",
         lambda: (slow(1, 4), c.submit("y=2")), stage="x=1")
    beat(WORKED_TIMES["y=2"], f"Server 1 crashes; server {candidate} starts an election.",
         crash_leader, stage="y=2")
    beat(WORKED_TIMES["election"], "The election is over.", stage="election")
    beat(180.0, "Client writes z=3 at the new leader; its link to 5 is slow.", write_z)
    beat(WORKED_TIMES["z=3"], "z=3 is on a majority.", stage="z=3")
    beat(WORKED_TIMES["end"], "Everyone has caught up.", stage="end")
    return c


def worked_example(candidate: int = 3) -> WorkedExample:
    """Run the worked example; ``candidate`` is the server whose timer fires
    first after server 1 crashes (3 in the story; try 4 or 5)."""
    stages: dict = {}
    c = _worked_cluster(candidate, stages)
    c.run(WORKED_TIMES["end"] + 1)
    return WorkedExample(c, candidate, stages)


def worked_example_scenario() -> Scenario:
    """The worked example in a player, stage by stage."""
    return Scenario(
        title="Five servers: two writes, a crash, a re-election, a third write",
        build=lambda: _worked_cluster(3, {}).sim,
        table=log_table,
        panels={"Logs": log_panel},
        step_kinds=RAFT_STEPS,
        description=("Server 1 leads term 1. x=1 reaches 2, 3 and 4; y=2 only 2 and 3. "
                     "Server 1 crashes, server 3 wins term 2, and the new leader brings "
                     "4 and 5 up to date."),
    )


@dataclass(frozen=True)
class Ballot:
    """One answer to a vote request, as it reached the candidate at ``time``."""

    voter: Hashable
    granted: bool
    time: float


def ballots(trace: Trace, candidate: Hashable, term: int) -> list[Ballot]:
    """The answers to ``candidate``'s real (not pre-) vote requests of ``term``,
    in the order they reached it."""
    if not isinstance(trace, Trace):
        raise TypeError(f"ballots reads a Trace, got {type(trace).__name__}")
    asked: set = set()
    out: list[Ballot] = []
    for ev in trace.events:
        if ev.kind not in ("send", "deliver"):
            continue
        msg = jsonable(ev.data["msg"])
        if not isinstance(msg, dict) or msg.get("prevote"):
            continue
        if (ev.kind == "send" and msg["type"] == "RequestVote" and ev.data["src"] == candidate
                and msg["term"] == term):
            asked.add(ev.data["dst"])
        elif (ev.kind == "deliver" and msg["type"] == "RequestVoteReply"
              and ev.data["dst"] == candidate and ev.data["src"] in asked):
            asked.discard(ev.data["src"])
            out.append(Ballot(ev.data["src"], bool(msg["vote_granted"]), ev.time))
    return out


# ---------------------------------------------------------------------------- reconciliation
DIVERGED = 5
"""The server whose log diverges in :func:`diverged_cluster`."""


def diverged_cluster(*, hints: bool = True, seed: int = 7) -> RaftCluster:
    """Five servers where server 5's log has diverged, just before it rejoins.

    Server 1 leads term 1 and commits ``a``. Server 5 wins term 2 and commits
    its no-op, then is cut off and takes six writes nobody else sees. The
    others elect server 2 (term 3), which commits four writes and crashes.
    10 ms later the network heals and server 3 starts an election; it wins
    term 4 and has to repair server 5's log. ``hints=False`` makes every
    leader ignore the follower's conflict hint and back off one entry at a
    time, the basic rule of §5.3 (the ``conflict_hints`` option).
    """
    c = RaftCluster(5, seed=seed, latency=SCRIPTED_LATENCY, election_timeout=SCRIPTED_TIMEOUT,
                    conflict_hints=bool(hints))
    say = c.sim.note
    say("Server 1 leads term 1 and commits a.")
    c.campaign(1)
    c.run(30)
    c.submit("a")
    c.run(60)
    say(f"Server {DIVERGED} wins term 2, then is cut off: its six writes reach nobody.")
    c.campaign(DIVERGED)
    c.run(60)
    c.partition([DIVERGED], [p for p in c.ids if p != DIVERGED])
    for k in range(1, 7):
        c.submit(f"u{k}", node=DIVERGED)
    c.run(30)
    say("The others elect server 2 (term 3), which commits e, f, g and h, then crashes.")
    c.campaign(2)
    c.run(30)
    for cmd in ("e", "f", "g", "h"):
        c.submit(cmd)
    c.run(60)
    c.crash(2)

    def rejoin(sim: Simulation) -> None:
        sim.note(f"The network heals: server {DIVERGED} is back. Server 3 stands for term 4.")
        sim.heal()
        c.campaign(3)

    c.sim.after(10.0, rejoin, "heal")
    return c


def reconcile_scenario(hints: bool = True) -> Scenario:
    """Server 5 rejoins with a divergent log; watch the leader's ``next`` for it."""
    how = ("with the follower's conflict hints" if hints
           else "one entry at a time (hints ignored)")
    return Scenario(
        title=f"Log reconciliation, {how}",
        build=lambda: diverged_cluster(hints=hints).sim,
        table=log_table,
        panels={"Logs": log_panel},
        step_kinds=RAFT_STEPS | {"send"},
        description=("Server 5 holds six entries of term 2 nobody else has. Server 3 wins term "
                     "4 and probes it with AppendEntries; each rejection moves its nextIndex "
                     "for 5 back, until prevLogIndex/prevLogTerm match and the rest is "
                     "overwritten."),
    )


# ---------------------------------------------------------------------------- rejoin
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


# ---------------------------------------------------------------------------- membership
@dataclass
class MembershipRun:
    """A membership run: the cluster, and what each change looked like when it
    took effect (``configs[name]`` is the leader's configuration then)."""

    cluster: RaftCluster
    leader: Hashable
    configs: dict[str, Any] = field(default_factory=dict)
    learner_log_before: int = 0


def membership_run(seed: int = 2) -> MembershipRun:
    """One server added the careful way, then a joint change of three voters.

    Three servers commit a few writes. Server 4 starts empty and joins as a
    learner: it receives the log but does not vote and does not count for
    commitment. Once its log matches the leader's, a single-server change
    promotes it. Then joint consensus replaces the two followers by servers 5
    and 6 in one step: C_old,new (majorities of both) and then C_new, which
    the leader appends by itself. Servers that are not in C_new are then shut
    down, as they should be.
    """
    c = RaftCluster(3, seed=seed, latency=(1.0, 5.0))
    leader = c.wait_for_leader()
    for k in range(6):
        c.agree(f"w{k}")
    run = MembershipRun(c, leader)
    say = c.sim.note
    say("Server 4 starts empty and joins as a learner.")
    c.add_server(4)
    run.learner_log_before = len(c.state(4).log)
    _change(c, c.ids[:3], learners=[4])
    run.configs["learner"] = c.state(leader).config
    c.run_until(lambda cl: len(cl.state(4).log) == len(cl.state(leader).log)
                and cl.state(4).commit_index == cl.state(leader).commit_index, 2000)
    say("Server 4 has caught up: a single-server change makes it a voter.")
    _change(c, [1, 2, 3, 4])
    run.configs["promoted"] = c.state(leader).config
    c.agree("after promotion")
    new = sorted({leader, 4, 5, 6}, key=repr)
    say(f"Joint consensus: from voters 1, 2, 3, 4 to {', '.join(map(str, new))}.")
    c.add_server(5)
    c.add_server(6)
    _change(c, new, joint=True)
    run.configs["joint"] = c.state(leader).config
    c.run_until(lambda cl: not cl.state(leader).config.joint, 2000)
    run.configs["new"] = c.state(leader).config
    c.agree("in C_new", servers=len(new))
    removed = [p for p in (1, 2, 3) if p not in new]
    say(f"Servers {', '.join(map(str, removed))} are not in C_new: they are shut down.")
    for p in removed:
        c.crash(p)
    c.agree("after the change", servers=len(new))
    return run


def _change(c: RaftCluster, voters: list, learners: list = (), joint: bool | None = None) -> None:
    if c.change_membership(voters, learners, joint=joint) is None:
        raise RuntimeError(f"the leader refused the change to voters {voters}: it is not "
                           "leading, or an earlier change has not committed yet")


def states_table(states: dict[Hashable, ServerState]):
    """One row per server (role, term, log as ``term:command`` cells, commit
    index): a stage of a run as the chapter prints it."""
    import pandas as pd

    rows = [{"server": pid, "role": s.role, "term": s.term,
             "log": "  ".join(f"{t}:{short(cmd)}" for t, cmd in s.log),
             "commit": s.commit_index if s.role != "crashed" else "—"}
            for pid, s in states.items()]
    return pd.DataFrame(rows).set_index("server")
