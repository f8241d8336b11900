"""Chapter 3, "Two-phase commit": what the chapter stages on :mod:`ddia10.twopc`.

- The transfer timeline, :func:`transfer_run`: 100 moves from account A (on
  P1) to account B (on P2) with every one-way delay :data:`LATENCY` ms and
  every forced log write :data:`LOG_WRITE` ms, so :func:`timeline` can list
  what happened when and :func:`milestones` when the client heard, when the
  participants committed and when the coordinator wrote its end record.
- The player, :func:`commit_scenario`: a coordinator, three participants and
  a client, with the buttons Start, Kill coordinator in phase 1 / phase 2,
  Kill participant and Restart; :data:`STORY_PHASE1` and
  :data:`STORY_PHASE2` are the two stories the chapter plays.
- In doubt, made visible: :func:`blocked_run` stops a run while a second
  transaction waits behind one in doubt; :func:`participant_table` and
  :func:`wal_table` show locks, waiters and every process's log.
- Termination: :func:`termination_table` shows when asking the other
  participants ends the doubt and when it cannot.
- The fix: :func:`time_in_doubt` measures how long participants stay in
  doubt once the coordinator is lost, alone (until it restarts) or
  replicated with Raft (until a new leader takes over).
- Invariants under random faults: :func:`campaign_run` is one seed's run of
  random transactions and faults, checked after every event; :func:`campaign`
  counts many.
- Every interleaving: :func:`explorer_model` is the world chapter 6's explorer
  searches for the atomicity violation of ``bug_abort_in_doubt``, and
  :func:`counterexample_scenario` plays the schedule it returns.
- The real thing: :func:`real_postgres` runs the same coordinator against two
  throwaway PostgreSQL servers when they can run here.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..explore import Counterexample
from ..runtime import progress
from ..sim import Fixed, Simulation, Trace
from ..sim.faults import apply_fault, random_faults, random_network
from ..twopc import CLIENT, COORDINATOR, InvariantViolation, TwoPC, txn_label, wal
from ..twopc.coordinator import DECIDED, LOGGING, VOTING
from ..validate import check_bool, check_instance, check_int, check_number
from ..viz import ClusterView, Scenario

# ---------------------------------------------------------------------- the transfer timeline
LATENCY = 5.0
"""Every one-way message delay of the timeline run (ms)."""

LOG_WRITE = 2.0
"""How long a forced write to a log takes in the timeline run (ms)."""

TRANSFER_ROWS = {"P1": {"A": 100}, "P2": {"B": 0}}
TRANSFER = {"P1": {"A": -100}, "P2": {"B": 100}}
"""The seed's example: move 100 from account A (on P1) to account B (on P2)."""


def transfer_run(*, latency: float = LATENCY, log_write: float = LOG_WRITE) -> TwoPC:
    """The transfer, run to its end with fixed delays; the harness (its trace
    is the timeline)."""
    t = TwoPC(participants=2, seed=0, rows=TRANSFER_ROWS, latency=Fixed(latency),
              log_write=log_write, check_every_event=True)
    t.begin(TRANSFER)
    t.run(100)
    return t


def timeline(trace: Trace):
    """What happened when, one row per moment and process: messages sent
    (a broadcast on one row), forced writes finished, the client's call and
    answer."""
    import pandas as pd

    rows: list[dict] = []
    for ev in trace:
        if ev.kind == "send":
            msg = ev.data["msg"]
            what = f"{type(msg).__name__}{_detail(msg)}"
            last = rows[-1] if rows else None
            if last and (last["t (ms)"], last["process"], last["what"]) == (ev.time, str(ev.pid),
                                                                           f"sends {what}"):
                last["to"] += f", {ev.data['dst']}"
                continue
            rows.append({"t (ms)": ev.time, "process": str(ev.pid), "what": f"sends {what}",
                         "to": str(ev.data["dst"])})
        elif ev.kind == "timer" and ev.data["name"][0] == "logged":
            record = "decision" if ev.pid == COORDINATOR else "prepare record"
            rows.append({"t (ms)": ev.time, "process": str(ev.pid),
                         "what": f"forced write of its {record} done", "to": ""})
        elif ev.kind in ("invoke", "return"):
            rows.append({"t (ms)": ev.time, "process": str(ev.pid),
                         "what": "asks for the transfer" if ev.kind == "invoke"
                         else f"hears {ev.data['outcome']}", "to": ""})
    return pd.DataFrame(rows)


def _detail(msg: object) -> str:
    for field in ("outcome", "yes"):
        if hasattr(msg, field):
            value = getattr(msg, field)
            return f" ({'yes' if value is True else 'no' if value is False else value})"
    return ""


def milestones(t: TwoPC) -> dict[str, float]:
    """When (ms) the client heard the outcome, when the last participant
    committed, and when the coordinator had every acknowledgement."""
    trace = t.trace
    told = trace.of_kind("return")[0].time
    committed = max(ev.time for ev in trace.of_kind("state")
                    if ev.pid in t.participants and "rows" in ev.data and ev.time > 0)
    ended = max(ev.time for ev in trace.of_kind("state")
                if ev.pid == COORDINATOR and ev.data.get("awaiting_acks") == {})
    return {"client hears": told, "participants committed": committed,
            "coordinator done": ended}


# ---------------------------------------------------------------------- the player
PLAYER_ROWS = {"P1": {"A": 100}, "P2": {"B": 0}, "P3": {"transfers": 0}}
PLAYER_TRANSFER = {"P1": {"A": -30}, "P2": {"B": 30}, "P3": {"transfers": 1}}
"""What Start asks for: 30 from A to B, and one more in P3's count of transfers."""

START = "Start a transfer"
KILL_PHASE1 = "Kill coordinator in phase 1"
KILL_PHASE2 = "Kill coordinator in phase 2"
KILL_PARTICIPANT = "Kill participant P2"
RESTART = "Restart"

PLAYER_OPTIONS = {"log_write": 4.0, "retry_interval": 120.0, "vote_timeout": 400.0,
                  "lock_timeout": 300.0}
"""Slow enough to watch: a forced write takes 4 ms, a participant in doubt
asks again every 120 ms, a prepare waits for locks up to 300 ms and the
coordinator for votes up to 400 ms (so a transaction that waited for locks
can still commit)."""

STORY_PHASE1: list[tuple[int, str]] = [(0, START), (7, KILL_PHASE1), (12, RESTART),
                                       (12, START)]
"""Kill the coordinator while it counts votes; restart it, and start a second
transfer at once: it waits behind the first, in doubt, until a participant
asks and the coordinator, knowing nothing of the first, aborts it."""

STORY_PHASE2: list[tuple[int, str]] = [(0, START), (10, KILL_PHASE2), (14, RESTART)]
"""Kill the coordinator the moment its commit decision is on its log: the
participants stay in doubt until it restarts, reads its log and resends it."""

STORY_STEPS = 34
"""How many steps of a story the static players show (both end sooner)."""

STEP_KINDS = frozenset(
    "state drop invoke return note crash restart partition heal disconnect reconnect".split())

LAYOUT = {COORDINATOR: (0.0, -0.7), "P1": (-0.8, 0.55), "P2": (0.0, 0.75), "P3": (0.8, 0.55),
          CLIENT: (-0.85, -0.7)}


def _stages(sim: Simulation) -> set:
    if not sim.is_up(COORDINATOR):
        return set()
    return {r.stage for r in sim.process(COORDINATOR).rounds.values()}


def _kill_in(phase: int):
    stages = {1: {VOTING}, 2: {LOGGING, DECIDED}}[phase]

    def kill(sim: Simulation) -> None:
        if not sim.is_up(COORDINATOR):
            sim.note("the coordinator is already down")
        elif not _stages(sim) & stages:
            sim.note(f"the coordinator is not in phase {phase} now: step on and press again")
        else:
            sim.crash(COORDINATOR)
    return kill


def _start(sim: Simulation) -> None:
    parts = tuple((p, tuple(sorted(w.items()))) for p, w in sorted(PLAYER_TRANSFER.items()))
    sim.call(CLIENT, lambda client, ctx: client.submit(ctx, COORDINATOR, parts))


def _kill_participant(sim: Simulation) -> None:
    if sim.is_up("P2"):
        sim.crash("P2")
    else:
        sim.note("P2 is already down")


def _restart(sim: Simulation) -> None:
    down = [p for p in sim.pids if not sim.is_up(p)]
    if not down:
        sim.note("everything is running")
    for pid in down:
        sim.restart(pid)


def state_table(view: ClusterView):
    """One row per process: its role, the rows it holds, its locks and waiters."""
    import pandas as pd

    rows = []
    for pid, p in view.processes.items():
        a = p.annotations
        rows.append({
            "process": str(pid),
            "status": p.status,
            "role": a.get("role", ""),
            "rows": _mapping(a.get("rows")),
            "locks": _mapping(a.get("locks")),
            "in doubt": ", ".join(a.get("in_doubt", [])),
            "waiting": ", ".join(a.get("waiting", [])),
            "decided": _mapping(a.get("decided")),
        })
    return pd.DataFrame(rows)


def _mapping(m: object) -> str:
    return ", ".join(f"{k}={v}" for k, v in m.items()) if isinstance(m, dict) else ""


def commit_scenario(seed: int = 3) -> Scenario:
    """The coordinator, three participants and a client, with fault buttons."""
    check_int("seed", seed)

    def build() -> Simulation:
        return TwoPC(participants=3, seed=seed, rows=PLAYER_ROWS, latency=(4.0, 12.0),
                     **PLAYER_OPTIONS).sim

    return Scenario(
        title="Two-phase commit: a coordinator, three participants, a client",
        build=build,
        buttons={START: _start, KILL_PHASE1: _kill_in(1), KILL_PHASE2: _kill_in(2),
                 KILL_PARTICIPANT: _kill_participant, RESTART: _restart},
        table=state_table,
        description="Start moves 30 from A (on P1) to B (on P2) and counts it on P3. Kill "
                    "the coordinator while it counts votes (phase 1) or once its decision "
                    "is on its log (phase 2), and watch the participants wait in doubt, "
                    "holding their locks, until it restarts.",
        step_kinds=STEP_KINDS,
        max_events=8,
        layout=LAYOUT,
    )


# ---------------------------------------------------------------------- every interleaving
def explorer_model(bug: bool = False) -> Callable[[], TwoPC]:
    """The world the explorer searches: the transfer between two participants,
    started at once, over 1 ms links (the explorer ignores time; a fixed
    latency spares it a random draw per message). ``bug`` switches on
    ``bug_abort_in_doubt``."""
    check_bool("bug", bug)

    def build() -> TwoPC:
        t = TwoPC(participants=2, seed=0, latency=1.0, rows=TRANSFER_ROWS,
                  bug_abort_in_doubt=bug)
        t.begin(TRANSFER)
        return t

    return build


def counterexample_scenario(cx: Counterexample) -> Scenario:
    """The explorer's schedule as a player: each step takes its next step."""
    check_instance("counterexample", cx, Counterexample)
    return Scenario(title="Two-phase commit, every interleaving: the shortest violation",
                    build=lambda: cx.world().sim, table=state_table, layout=LAYOUT,
                    description=f"{len(cx)} steps to: {cx.violation}")


# ---------------------------------------------------------------------- in doubt, made visible
def blocked_run(seed: int = 1) -> tuple[TwoPC, int, int]:
    """A transfer whose coordinator is lost in phase 1, and a second transaction
    on the same row that reaches P1 after the coordinator restarted: stopped
    while the second waits. Returns the harness and the two transactions."""
    t = TwoPC(participants=2, seed=seed, rows=TRANSFER_ROWS, check_every_event=True,
              retry_interval=200.0, lock_timeout=500.0, vote_timeout=500.0)
    first = t.begin(TRANSFER)
    _run_until_in_doubt(t, first, tuple(t.participants))
    t.crash(COORDINATOR)
    t.run(50)
    t.restart(COORDINATOR)
    second = t.begin({"P1": {"A": -10}})
    t.run_until(lambda t: t.waiting("P1") == [second], 100)
    return t, first, second


def participant_table(t: TwoPC):
    """Each participant now: its rows, its locks, what is in doubt, who waits."""
    import pandas as pd

    rows = []
    for pid in t.participants:
        up = t.sim.is_up(pid)
        node = t.sim.process(pid) if up else None
        rows.append({
            "participant": pid,
            "rows": _mapping(t.rows(pid)) if up else "(down)",
            "locks": _mapping({r: txn_label(x) for r, x in t.locks(pid).items()}),
            "in doubt": ", ".join(txn_label(x) for x, s in node.txns.items() if s.in_doubt)
            if up else "",
            "waiting for locks": ", ".join(txn_label(x) for x in t.waiting(pid)),
        })
    return pd.DataFrame(rows)


def wal_table(t: TwoPC):
    """Every record on every process's log, in order."""
    import pandas as pd

    rows = []
    for pid in t.ids:
        for n, record in enumerate(wal.records(t.sim.storage(pid)), 1):
            kind, txn, *rest = record
            rows.append({"process": pid, "#": n, "record": kind, "txn": txn_label(txn),
                         "detail": _record_detail(kind, rest)})
    return pd.DataFrame(rows)


def _record_detail(kind: str, rest: list) -> str:
    if kind == "prepare":
        writes, participants = rest
        return (", ".join(f"{row} {delta:+d}" for row, delta in writes)
                + f"  (with {', '.join(participants)})")
    if kind == "decision":
        return f"{rest[0]} (tell {', '.join(rest[1]) or 'whoever asks'})"
    return ""


# ---------------------------------------------------------------------- termination
def termination_table(seed: int = 1):
    """The coordinator is lost in phase 1. Does asking the other participants
    end the doubt? Yes if one of them never voted yes; no if all did."""
    import pandas as pd

    rows = []
    for cooperative in (False, True):
        for p2_voted in (False, True):
            t = TwoPC(participants=2, seed=seed, rows=TRANSFER_ROWS, check_every_event=True,
                      cooperative=cooperative)
            txn = t.begin(TRANSFER)
            if not p2_voted:
                t.disconnect("P2")
            _run_until_in_doubt(t, txn, ("P1", "P2") if p2_voted else ("P1",))
            t.crash(COORDINATOR)
            t.connect("P2")
            t.run(1000)
            rows.append({"participants ask each other": cooperative,
                         "P2 voted yes before the crash": p2_voted,
                         "P1 after 1 s": t.outcome(txn, "P1"),
                         "P2 after 1 s": t.outcome(txn, "P2") or "never heard of it"})
    return pd.DataFrame(rows)


def _run_until_in_doubt(t: TwoPC, txn: int, participants: tuple) -> None:
    t.run_until(lambda t: all(t.outcome(txn, p) == "in-doubt" for p in participants), 100)


# ---------------------------------------------------------------------- the fix, measured
@dataclass(frozen=True)
class Doubt:
    """One coordinator loss: how long the participants stayed in doubt (ms),
    and the outcome they ended with."""

    replicas: int
    seed: int
    in_doubt_ms: float
    outcome: str


def time_in_doubt(replicas: int, seed: int = 0, *, restart_after: float = 1000.0) -> Doubt:
    """Lose the coordinator while it counts votes (for a replicated one, its
    leader) and measure until every participant knows the outcome. A single
    coordinator is restarted ``restart_after`` ms later; a lost leader never
    comes back."""
    check_number("restart_after", restart_after, min=0, unit="ms")
    t = TwoPC(participants=2, seed=seed, rows=TRANSFER_ROWS, replicas=replicas,
              check_every_event=True)
    coordinator = t.wait_for_coordinator()
    txn = t.begin(TRANSFER)
    _run_until_in_doubt(t, txn, tuple(t.participants))
    t.crash(coordinator)
    lost = t.sim.now
    if replicas == 1:
        t.sim.after(restart_after, lambda sim: sim.restart(coordinator), "restart")
    t.run_until(lambda t: all(t.outcome(txn, p) in ("committed", "aborted")
                              for p in t.participants), restart_after + 5000)
    return Doubt(replicas, seed, t.sim.now - lost, t.outcome(txn, "P1"))


# ---------------------------------------------------------------------- random faults
CAMPAIGN_ROWS = {"P1": {"a": 5, "b": 5}, "P2": {"a": 5, "b": 5}, "P3": {"a": 5, "b": 5}}
"""Few rows, so that transactions contend for locks; small balances, so that
some writes fail their check and vote no."""

CAMPAIGN_DURATION = 2000.0
"""How long a campaign run's faults and transactions go on (ms); after it the
network heals, everything restarts, and the run goes on until it settles."""


@dataclass(frozen=True)
class CampaignRun:
    """One seed's run: how its transactions ended (``outcomes`` maps each to
    ``committed``, ``aborted``, ``in-doubt``, or ``unheard`` when no
    participant ever heard of it: its request was lost), and the first
    violation."""

    seed: int
    outcomes: dict[int, str]
    violation: InvariantViolation | None


def campaign_run(seed: int, *, replicas: int = 1, bug: bool = False,
                 transactions: int = 10) -> CampaignRun:
    """Three participants, ``transactions`` random transactions and a random
    fault schedule (crashes, restarts, partitions, a lossy, duplicating,
    reordering network), every property checked after every event; then the
    network heals, every process restarts and the run settles."""
    check_int("transactions", transactions, min=1)
    check_bool("bug", bug)
    rng = random.Random(f"ddia10:twopc-campaign:{seed}")
    t = TwoPC(participants=3, seed=seed, rows=CAMPAIGN_ROWS, replicas=replicas, trace=False,
              check_every_event=True, bug_abort_in_doubt=bug, **random_network(seed))
    t.wait_for_coordinator()  # a replicated coordinator elects its first leader
    start = t.sim.now
    writes = {}
    for _ in range(transactions):
        parts = rng.sample(t.participants, rng.randint(1, len(t.participants)))
        w = {p: {rng.choice("ab"): rng.randint(-4, 3)} for p in sorted(parts)}
        t.sim.at(start + round(rng.uniform(0, CAMPAIGN_DURATION), 3),
                 lambda sim, w=w: writes.update({t.begin(w): tuple(w)}), "begin")
    for fault in random_faults(seed, t.ids, CAMPAIGN_DURATION, clients=[CLIENT]):
        t.sim.at(start + fault.time, lambda sim, f=fault: apply_fault(sim, f), fault.kind)
    try:
        t.run(CAMPAIGN_DURATION)
        t.heal()
        for pid in t.ids:
            t.sim.reconnect(pid)
            if not t.sim.is_up(pid):
                t.restart(pid)
        t.run(5000)
    except InvariantViolation as violation:
        return CampaignRun(seed, {}, violation)
    outcomes = {}
    for txn, parts in writes.items():
        said = {t.outcome(txn, p) for p in parts}
        outcomes[txn] = ("in-doubt" if "in-doubt" in said else
                         "committed" if said == {"committed"} else
                         "unheard" if said == {None} else "aborted")
    return CampaignRun(seed, outcomes, None)


@dataclass(frozen=True)
class Campaign:
    """Many seeds' runs, counted."""

    replicas: int
    bug: bool
    runs: int
    violations: int
    committed: int
    aborted: int
    unheard: int
    in_doubt: int
    first_violation: str | None


def campaign(seeds: Iterable[int], *, replicas: int = 1, bug: bool = False) -> Campaign:
    """:func:`campaign_run` for every seed, counted: runs, runs that broke a
    property, and how the transactions of the others ended."""
    runs = [campaign_run(seed, replicas=replicas, bug=bug) for seed in progress(list(seeds))]
    broken = [r for r in runs if r.violation is not None]
    ends = [o for r in runs for o in r.outcomes.values()]
    return Campaign(replicas, bug, len(runs), len(broken), ends.count("committed"),
                    ends.count("aborted"), ends.count("unheard"), ends.count("in-doubt"),
                    f"seed {broken[0].seed}: {broken[0].violation}" if broken else None)


# ---------------------------------------------------------------------- the real thing
REAL_ROWS = {"P1": {"A": 100}, "P2": {"B": 0}}
REAL_TRANSFER = {"P1": {"A": -30}, "P2": {"B": 30}}


@dataclass
class RealRun:
    """What the real run showed: ``seen`` lists ``(step, what we look at,
    what it says)`` in order; ``facts`` holds the same values by name, for
    the chapter's assertions; ``trace`` is the coordinator's side of it."""

    seen: list[tuple[str, str, object]]
    facts: dict[str, object]
    trace: Trace

    def table(self):
        import pandas as pd

        return pd.DataFrame(self.seen, columns=["step", "we look at", "it says"])


def real_postgres() -> RealRun:
    """Two throwaway PostgreSQL servers as participants P1 and P2, driven by the
    simulator's coordinator: a transfer that commits; one whose coordinator
    dies before deciding (in doubt, locks held, another session blocked, a
    crash of P1's server survived, then aborted from the coordinator's log);
    one whose coordinator dies just after logging commit (committed once it
    restarts). Everything is stopped and deleted before it returns. Raises
    :class:`~ddia10.real.ServiceUnavailable` when PostgreSQL cannot run here."""
    from ..real.postgres import PostgresServer
    from ..real.prepared import PostgresTwoPC, gid
    from ..real.services import Workspace

    servers = {pid: PostgresServer(pid) for pid in REAL_ROWS}
    workspace = Workspace()
    seen: list[tuple[str, str, object]] = []
    facts: dict[str, object] = {}

    def look(step: str, what: str, key: str, value: object) -> None:
        seen.append((step, what, value))
        facts[key] = value

    try:
        for server in servers.values():
            server.start()
        real = PostgresTwoPC(servers, workspace.path / "coordinator.log")
        real.create_accounts(REAL_ROWS)
        first = real.begin(REAL_TRANSFER)
        look("T1 runs to the end", "balances", "after T1",
             {**real.balances("P1"), **real.balances("P2")})
        second = real.begin(REAL_TRANSFER, crash="before decision")
        step = f"T{second}: the coordinator dies before deciding"
        look(step, "pg_prepared_xacts on P1, P2", "prepared", _both(real))
        look(step, "pg_locks: what it holds on P1", "locks",
             "; ".join(f"{mode} on {what}" for _g, _kind, what, mode in real.held_locks("P1")))
        look(step, "another session: UPDATE A (lock_timeout 500 ms)", "blocked",
             real.try_write("P1", "A", 1))
        servers["P1"].restart("immediate")
        step = "P1's server crashes and restarts"
        look(step, "pg_prepared_xacts on P1", "after crash", real.prepared("P1"))
        look(step, "the same UPDATE again", "still blocked", real.try_write("P1", "A", 1))
        look(step, "the coordinator's log", "logged before", real.outcome(second))
        real.restart_coordinator()
        step = "the coordinator restarts and recovers"
        look(step, f"its decision for {gid(second)}", "recovered", real.outcome(second))
        look(step, "pg_prepared_xacts on P1, P2", "prepared after", _both(real))
        look(step, "balances", "after T2", {**real.balances("P1"), **real.balances("P2")})
        third = real.begin(REAL_TRANSFER, crash="after decision")
        step = f"T{third}: the coordinator dies right after logging its decision"
        look(step, "the coordinator's log", "logged", real.outcome(third))
        look(step, "pg_prepared_xacts on P1, P2", "prepared T3", _both(real))
        real.restart_coordinator()
        step = "the coordinator restarts and resends it"
        look(step, "balances", "after T3", {**real.balances("P1"), **real.balances("P2")})
        facts["transactions"] = (first, second, third)
        return RealRun(seen, facts, real.trace)
    finally:
        for server in servers.values():
            server.close()
        workspace.remove()


def _both(real) -> str:
    """The prepared transactions of P1 and P2, as one line."""
    return " | ".join(f"{p}: {', '.join(real.prepared(p)) or 'none'}" for p in ("P1", "P2"))
