"""Chapter 5's scripted runs: every election is started by the script.

Each run is a script of faults and client requests laid on a
:class:`~ddia10.raft.RaftCluster`; the protocol does the rest. Election
timeouts are out of reach (:data:`SCRIPTED_TIMEOUT`), so only the script's
``campaign`` calls start elections, and latency is fixed, so every time below
is exact.

- :func:`worked_example` — five servers through two writes, a leader crash, a
  re-election and a third write, with the state of every server at each stage
  (:func:`states_table`); :func:`worked_example_scenario` plays it, and
  :func:`ballots` / :func:`vote_answers` read the answers a candidate got.
- :func:`diverged_cluster` / :func:`reconcile_scenario` — a follower's log
  diverges over two terms, then the leader's ``nextIndex`` backs off until the
  logs match: with the follower's conflict hints, or one entry at a time.
- :func:`figure8` — the paper's Figure 8 (§5.4.2), step by step: why a leader
  may not commit an entry of an earlier term by counting replicas.
- :func:`membership_run` — a learner catches up and is promoted (one server
  at a time), then a joint-consensus change C_old,new → C_new;
  :func:`membership_refused` — a fresh leader refuses a change until its no-op
  commits.
- :func:`double_vote` — the classic election drill whose voter remembers the
  *term* it voted in instead of the *candidate*: two leaders in one term.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from ...raft import RaftCluster, ServerState
from ...raft.messages import short
from ...sim import Simulation, Trace
from ...sim.trace import jsonable
from ...validate import check_choice
from ...viz import Scenario
from ...viz.raft_log import log_panel, log_table

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


def vote_answers(trace: Trace, candidate: Hashable, term: int) -> dict[Hashable, bool]:
    """Who granted ``candidate`` a vote in ``term`` (voter -> granted)."""
    return {b.voter: b.granted for b in ballots(trace, candidate, term)}


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


def membership_refused(seed: int = 4) -> tuple[RaftCluster, Any, Any]:
    """A freshly elected leader of three asked to add server 4 as a learner:
    refused while its no-op is uncommitted, accepted 50 ms later. The cluster,
    and what :meth:`~ddia10.raft.RaftCluster.change_membership` returned each
    time (``None`` for a refusal)."""
    c = RaftCluster(3, seed=seed, latency=SCRIPTED_LATENCY, election_timeout=SCRIPTED_TIMEOUT)
    c.campaign(1)
    c.run(1)  # leader, but its no-op is not committed yet
    c.add_server(4)
    refused = c.change_membership([1, 2, 3], learners=[4])
    c.run(50)  # the no-op commits
    accepted = c.change_membership([1, 2, 3], learners=[4])
    return c, refused, accepted


# ------------------------------------------------------------------ Figure 8 and the drill
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
    check_choice("variant (the paper's two endings)", variant, ("d", "e"))
    c = RaftCluster(5, seed=8, latency=10.0, election_timeout=SCRIPTED_TIMEOUT,
                    heartbeat_interval=50.0, max_batch=1, bug_commit_old_terms=bool(bug),
                    trace=trace)
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
    c = RaftCluster(3, seed=9, latency=10.0, election_timeout=SCRIPTED_TIMEOUT,
                    bug_vote_per_term_not_candidate=bool(bug))
    c.sim.note("S1 and S2 both start an election in term 1.")
    c.campaign(1)
    c.campaign(2)
    c.run(100)
    return c
