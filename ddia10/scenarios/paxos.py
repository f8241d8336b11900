"""Chapter 6, "Paxos": what the chapter stages on :mod:`ddia10.paxos` and :mod:`ddia10.explore`.

- A complete round with five acceptors, message by message (:func:`seed_round`,
  :func:`message_table`), and a later proposer that learns the chosen value
  from the one acceptor its majority shares with the first
  (:func:`overlap_round`).
- The player: three proposers, five acceptors, and the buttons Propose, Dual
  propose and Kill acceptor (:func:`paxos_player`, :data:`STORY`).
- Dueling proposers: the livelock of fixed retry timers and its end under
  randomized back-off (:func:`duel`, :func:`round_table`, :func:`duel_player`).
- Multi-Paxos: a new leader that fills a hole with a no-op (:func:`hole_run`,
  :func:`slot_table`), and the random fault campaign (:func:`multi_paxos_campaign`).
- Paxos beside Raft, measured on one workload and one latency model
  (:func:`decision_cost`, :func:`paxos_vs_raft`), for any harness that can
  elect a leader and take commands (chapter 7 measures its protocols with it).
- The explorer on single-decree Paxos: the model (:func:`paxos_model`), its
  "sometimes" properties (:func:`paxos_sometimes`), and a counterexample made a
  player (:func:`counterexample_player`).

The chapter imports this module as ``ch6``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from ..explore import Counterexample, Sometimes
from ..paxos import NOOP, MultiPaxos, SingleDecree
from ..raft import RaftCluster
from ..sim import Simulation
from ..sim.faults import apply_fault, random_faults
from ..validate import check_instance, check_int
from ..viz import ClusterView, Scenario
from ..viz.view import message_text

PROPOSERS = ("P1", "P2", "P3")
ACCEPTORS = ("A1", "A2", "A3", "A4", "A5")
COLOURS = {"P1": "red", "P2": "blue", "P3": "green"}
"""What each proposer of the player proposes."""


# ---------------------------------------------------------------------- one round
def seed_round() -> SingleDecree:
    """P1 gets "red" chosen by five acceptors, each phase sent to a bare majority
    (A1, A2, A3) over 1 ms links: the round the chapter walks through."""
    p = SingleDecree(proposers=1, acceptors=5, seed=0, latency=1.0, thrifty=True)
    p.propose("P1", "red")
    p.run(10)
    return p


def message_table(harness: Any):
    """Every message of a run: when it was sent, by whom, to whom, what it said."""
    import pandas as pd

    return pd.DataFrame([
        {"sent (ms)": e.time, "from": e.pid, "to": e.data["dst"],
         "message": message_text(e.data["msg"])}
        for e in harness.trace.of_kind("send")])


def overlap_round() -> SingleDecree:
    """Red is chosen by A1, A2, A3; A1 and A2 crash and P2 proposes blue to the
    acceptors still up. Its majority (A3, A4, A5) shares only A3 with red's,
    and A3's promise alone makes P2 propose red."""
    p = SingleDecree(proposers=2, acceptors=5, seed=0, latency=1.0)
    p.partition(["P1", "A1", "A2", "A3"], ["P2", "A4", "A5"])
    p.propose("P1", "red")
    p.run(4)
    for pid in ("P1", "A1", "A2"):
        p.crash(pid)
    p.heal()
    p.propose("P2", "blue")
    p.run(20)
    return p


# ---------------------------------------------------------------------- the player
PROPOSE = "Propose"
DUAL = "Dual propose"
KILL = "Kill acceptor"
RESTART = "Restart acceptors"

STORY: list[tuple[int, str]] = [(0, KILL), (0, KILL), (0, KILL), (0, DUAL), (25, PROPOSE),
                                (40, RESTART)]
"""The presses the static player plays: three of five acceptors down, so the
two proposers racing from the start (and a third joining) cannot finish a
round however often they retry; the acceptors restart, the race resolves, one
value is chosen and every proposer learns it."""

STORY_STEPS = 90


def _idle(sim: Simulation) -> list:
    return [p for p in PROPOSERS if sim.is_up(p) and sim.process(p).value is None]


def _propose(sim: Simulation, count: int) -> None:
    idle = _idle(sim)[:count]
    if not idle:
        sim.note("every proposer already has a value")
    for pid in idle:
        sim.call(pid, lambda node, ctx, pid=pid: node.propose(ctx, COLOURS[pid]))


def _kill(sim: Simulation) -> None:
    running = [a for a in reversed(ACCEPTORS) if sim.is_up(a)]
    if running:
        sim.crash(running[0])
    else:
        sim.note("every acceptor is down")


def _restart(sim: Simulation) -> None:
    for a in ACCEPTORS:
        if not sim.is_up(a):
            sim.restart(a)


LAYOUT = {**{p: (-0.8, 0.7 * (1 - i)) for i, p in enumerate(PROPOSERS)},
          **{a: (0.8, 0.5 * (2 - i)) for i, a in enumerate(ACCEPTORS)}}
"""Proposers on the left, acceptors on the right."""


def process_table(view: ClusterView):
    """One row per process: what it proposes, promised, accepted or learned."""
    import pandas as pd

    rows = []
    for pid, p in view.processes.items():
        a = p.annotations
        rows.append({"process": str(pid), "status": p.status, "role": a.get("role", ""),
                     "ballot": a.get("ballot", ""), "phase": a.get("phase", ""),
                     "value": a.get("value", ""), "promised": a.get("promised", ""),
                     "accepted": a.get("accepted", ""), "learned": a.get("learned", "")})
    return pd.DataFrame(rows)


def paxos_player(seed: int = 0) -> Scenario:
    """Three proposers and five acceptors; proposers back off at random when
    beaten, so a duel ends."""
    check_int("seed", seed)

    def build() -> Simulation:
        return SingleDecree(proposers=3, acceptors=5, seed=seed, latency=(3.0, 7.0),
                            retry_timeout=40.0, backoff=30.0).sim

    return Scenario(
        title="Single-decree Paxos: three proposers, five acceptors",
        build=build,
        buttons={PROPOSE: lambda sim: _propose(sim, 1), DUAL: lambda sim: _propose(sim, 2),
                 KILL: _kill, RESTART: _restart},
        table=process_table,
        description="Propose starts a round at the next idle proposer; Dual propose starts "
                    "two at once. Kill acceptor crashes one more acceptor: with three of five "
                    "down, no majority answers and no round can finish.",
        layout=LAYOUT,
    )


# ---------------------------------------------------------------------- dueling proposers
DUEL_LATENCY = 2.0
DUEL_RETRY = 7.0
"""Each round waits 7 ms before the next: more than a round needs to get its
Accept to the acceptors (three 2 ms hops, 6 ms), so a lone proposer finishes;
with P2 starting 3.5 ms after P1, each Prepare lands 5.5 ms into the rival's
round, just before the rival's Accept."""


def duel(backoff: float = 0.0, seed: int = 0) -> SingleDecree:
    """Two proposers, three acceptors, 2 ms links; P2 proposes half a retry period
    after P1. With ``backoff`` 0 every wait is the same 7 ms, and each
    proposer's Prepare lands between the other's promises and its Accept."""
    p = SingleDecree(proposers=2, acceptors=3, seed=seed, latency=DUEL_LATENCY,
                     retry_timeout=DUEL_RETRY, backoff=backoff)
    p.propose("P1", "v1")
    p.sim.after(DUEL_RETRY / 2, lambda sim: sim.call("P2", lambda node, ctx:
                                                    node.propose(ctx, "v2")))
    return p


def round_table(harness: SingleDecree):
    """One row per round a proposer started: its ballot, when, and how it ended."""
    import pandas as pd

    starts = [(e.time, e.pid, e.data["msg"].ballot) for e in harness.trace.of_kind("send")
              if type(e.data["msg"]).__name__ == "Prepare" and e.data["dst"] == "A1"]
    chosen = {b for _s, b, _v in harness.monitor.chosen}
    rows = []
    for time, pid, ballot in starts:
        beaten = next((b for _t, _p, b in starts if b > ballot), None)
        ended = "chosen" if ballot in chosen else (
            f"beaten by ballot {beaten}" if beaten is not None else "still running")
        rows.append({"started (ms)": time, "proposer": pid, "ballot": ballot, "ended": ended})
    return pd.DataFrame(rows)


def duel_player(backoff: float = 0.0) -> Scenario:
    """The duel of :func:`duel` to step through."""
    return Scenario(
        title=f"Dueling proposers, {'randomized back-off' if backoff else 'fixed retry timers'}",
        build=lambda: duel(backoff).sim,
        layout={"P1": (-0.8, 0.5), "P2": (-0.8, -0.5), "A1": (0.8, 0.7), "A2": (0.8, 0.0),
                "A3": (0.8, -0.7)},
        table=process_table,
    )


# ---------------------------------------------------------------------- Multi-Paxos
def hole_run(seed: int = 0) -> MultiPaxos:
    """Three servers. Slot 1 is chosen; slot 2 reaches the leader alone; slot 3
    reaches the leader and one follower (chosen); the leader crashes. The new
    leader's promises report slot 3 and nothing for slot 2: it re-proposes c3
    and fills slot 2 with a no-op."""
    c = MultiPaxos(n=3, seed=seed, latency=1.0)
    c.wait_for_leader()
    c.run(100)
    leader = c.leader()
    f, g = (p for p in c.servers if p != leader)
    c.submit("c1")
    c.run(5)
    c.partition([leader], [f, g])
    c.submit("c2")
    c.heal()
    c.partition([leader, f], [g])
    c.submit("c3")
    c.run(1.5)
    c.crash(leader)
    c.heal()
    c.wait_for_leader(2000)
    c.run(200)
    return c


def slot_table(cluster: MultiPaxos):
    """Each running server's applied log, slot by slot (no-ops shown)."""
    import pandas as pd

    return pd.DataFrame({
        f"server {pid}": pd.Series([str(v) for v in cluster.node(pid).log],
                                   index=range(1, cluster.node(pid).last_applied + 1),
                                   dtype=object)
        for pid in cluster.servers if cluster.sim.is_up(pid)}).rename_axis("slot")


@dataclass(frozen=True)
class MultiPaxosRun:
    """One seeded Multi-Paxos run under random faults."""

    seed: int
    faults: int
    decided: int
    recovered: bool
    violation: str | None


def multi_paxos_campaign(seeds: range, *, servers: int = 5, duration: float = 3000.0,
                         commands: int = 40) -> list[MultiPaxosRun]:
    """For each seed: a client submits ``commands`` commands (to whoever leads,
    skipped when nobody does) while :func:`~ddia10.sim.faults.random_faults`
    crashes, restarts, partitions and heals, over a lossy, duplicating,
    reordering network. Then the faults stop (the network heals, every server
    restarts) and one more command must be decided within 2 s (``recovered``).
    The invariants are checked at the end: the monitor keeps every vote, so
    that judges every moment."""
    runs = []
    for seed in seeds:
        c = MultiPaxos(n=servers, seed=seed, latency=(1.0, 10.0), loss=0.05, duplicate=0.05,
                       reorder=0.1, trace=False)
        faults = random_faults(seed, c.servers, duration)
        for fault in faults:
            c.sim.at(fault.time, lambda sim, fault=fault: apply_fault(sim, fault))
        for k in range(commands):
            c.sim.at(duration * k / commands, lambda sim, c=c, name=f"s{seed}c{k}": c.submit(name))
        c.sim.at(duration, lambda sim: sim.heal())
        for pid in c.servers:
            c.sim.at(duration, lambda sim, pid=pid: sim.is_up(pid) or sim.restart(pid))
        c.run(duration)
        recovered = _decides(c, f"s{seed} after the faults", 2000)
        try:
            c.check_invariants()
            violation = None
        except AssertionError as exc:
            violation = str(exc)
        decided = len({s for s, _b, v in c.monitor.chosen if v is not NOOP})
        runs.append(MultiPaxosRun(seed, len(faults), decided, recovered, violation))
    return runs


def _decides(cluster: MultiPaxos, command: str, within: float) -> bool:
    """Whether ``command``, submitted to whoever leads (as soon as one does), is
    applied by its leader within ``within`` ms."""
    end = cluster.sim.now + within
    while cluster.sim.now < end:
        leader = cluster.leader()
        if leader is not None and command in cluster.applied(leader):
            return True
        if leader is not None:
            node = cluster.node(leader)
            if command not in (*node.proposals.values(), *node.chosen.values()):
                cluster.submit(command)
        cluster.run(min(10.0, end - cluster.sim.now))
    return False


# ---------------------------------------------------------------------- Paxos beside Raft
@dataclass(frozen=True)
class DecisionCost:
    """What one decision costs a protocol in steady state, averaged over a run:
    round trips from the leader's receipt of a command to its decision,
    messages sent and synchronous disk writes (one per handler that persisted
    anything, as a server fsyncs before it answers)."""

    protocol: str
    servers: int
    decisions: int
    round_trips: float
    messages: float
    disk_writes: float


def decision_cost(protocol: str, build: Callable[[], Any], *, one_way: float,
                  decisions: int = 20,
                  rival: Callable[[Any, str], Any] | None = None) -> DecisionCost:
    """Measure ``decisions`` commands, one at a time, on the harness ``build()``
    returns: anything with ``sim``, ``wait_for_leader()``, ``submit(command)``
    and ``applied(pid)`` (:class:`~ddia10.paxos.MultiPaxos`,
    :class:`~ddia10.raft.RaftCluster`, and chapter 7's harnesses). A decision
    is the leader applying the command; ``one_way`` is the link latency, so a
    round trip is twice that. ``rival(harness, command)``, if given, is called
    at the moment each command is submitted, to submit a command that
    conflicts with it (chapter 7 measures EPaxos that way); the messages and
    disk writes are then shared among every command the leader applied."""
    check_int("decisions", decisions, min=1)
    harness = build()
    leader = harness.wait_for_leader()
    harness.run(50 * one_way)  # the new leader's first entries settle
    sim = harness.sim
    sends, writes, elapsed = len(sim.trace.of_kind("send")), sum(sim.writes.values()), 0.0
    applied = len(harness.applied(leader))
    for k in range(decisions):
        command = f"command {k}"
        start = sim.now
        if rival is not None:
            rival(harness, command)
        harness.submit(command)
        harness.run_until(lambda h, c=command: c in h.applied(leader), 1000 * one_way)
        elapsed += sim.now - start
    harness.run(4 * one_way)  # the last rival, if any, is applied too
    made = len(harness.applied(leader)) - applied
    return DecisionCost(
        protocol, len(harness.ids), decisions, elapsed / decisions / (2 * one_way),
        (len(sim.trace.of_kind("send")) - sends) / made,
        (sum(sim.writes.values()) - writes) / made)


QUIET = {"election_timeout": (3000.0, 6000.0), "heartbeat_interval": 1000.0}
"""Timers long next to the measured decisions, for both protocols alike, so a
heartbeat falls into the measurement seldom."""


def paxos_vs_raft(servers: int = 5, one_way: float = 5.0, decisions: int = 20,
                  seed: int = 0) -> list[DecisionCost]:
    """Multi-Paxos and Raft, same cluster size, same fixed link latency, same
    timers, same commands, one at a time."""
    common = dict(seed=seed, latency=float(one_way), **QUIET)
    return [
        decision_cost("Multi-Paxos", lambda: MultiPaxos(n=servers, **common),
                      one_way=one_way, decisions=decisions),
        decision_cost("Raft", lambda: RaftCluster(n=servers, **common),
                      one_way=one_way, decisions=decisions),
    ]


def cost_table(costs: list[DecisionCost]):
    import pandas as pd

    return pd.DataFrame([asdict(c) for c in costs]).set_index("protocol")


# ---------------------------------------------------------------------- the explorer
def paxos_model(proposers: int = 2, acceptors: int = 3, *, rounds: int = 1,
                bug: bool = False) -> Callable[[], SingleDecree]:
    """The world the explorer searches: each proposer proposes its own value
    (``v1``, ``v2``, ...) at once and starts at most ``rounds`` rounds. Links
    have a fixed latency: the explorer ignores time, and a fixed latency
    spares it a random draw per message."""

    def build() -> SingleDecree:
        p = SingleDecree(proposers, acceptors, seed=0, latency=1.0, max_rounds=rounds,
                         bug_ignore_accepted=bug)
        for i, pid in enumerate(p.cast.proposers, start=1):
            p.propose(pid, f"v{i}")
        return p

    return build


def paxos_sometimes(proposers: int = 2, rounds: int = 1) -> list[Sometimes]:
    """What a search of :func:`paxos_model` should reach, to show it is not vacuous:
    each proposer's value chosen in some state, a message lost, and every
    ballot the proposers own used."""
    found = [Sometimes(f"v{i} chosen", lambda h, via, v=f"v{i}": v in h.monitor.chosen_values())
             for i in range(1, proposers + 1)]
    found.append(Sometimes("a message lost", lambda h, via: via is not None
                           and via.kind == "drop"))
    ballots = proposers * rounds
    found.append(Sometimes(f"all {ballots} ballots used", lambda h, via: {
        h.sim.stored(p).get("proposer", (0, 0))[0] for p in h.cast.proposers}
        | {h.node(p).ballot for p in h.cast.proposers if h.sim.is_up(p)}
        >= set(range(1, ballots + 1))))
    return found


def counterexample_player(cx: Counterexample, title: str,
                          layout: Mapping[Hashable, tuple[float, float]] | None = None,
                          table: Callable[[ClusterView], Any] | None = None) -> Scenario:
    """The explorer's counterexample as a player: each step takes the next step of
    its schedule, in a fresh world from the model's ``build()``."""
    check_instance("counterexample", cx, Counterexample)
    return Scenario(title=title, build=lambda: cx.world().sim, layout=layout, table=table,
                    description=f"{len(cx)} steps to: {cx.violation}")
