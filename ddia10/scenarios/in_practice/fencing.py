"""Fencing tokens: a paused lock holder, with and without a resource that checks them.

The story (:func:`fencing_run`): client A takes the lock ``/lock/`` and gets
token 33 (thirty-one writes came before, so its lock key is created at
revision 33); client B queues behind it and gets token 34. Both have leases
of 8 s and keep them alive every third of that. A works and writes to the
storage service ``db`` about once a second. Then A is paused — a long
garbage collection — in the middle of a piece of work, for 8.5 s. Its
keep-alives stop, the leader sees the lease run out and expires it through
the log, A's key goes, B holds the lock and writes with 34. A wakes, finishes
the work it was doing, and writes with 33: it never looked at its lease
between waking and writing. Without fencing ``db`` takes A's write after B's
— two holders interleaved, the data corrupted; with fencing ``db`` refuses it.

:func:`fencing_scenario` is the same world as a player with a button that
pauses A (and :data:`FENCING_PRESSES` the story's presses).

:func:`drift_run` is the other way a lease fails: A trusts its own lease
timer, but its clock runs slow. Cut off from the service (not from ``db``),
A stops hearing keep-alive answers and, on its clock, still has time left
when the leader has long expired its lease and B has the lock: for a while
both hold it, each by its own lights. A correct clock ends A's belief before
the leader's expiry; a slow one does not. Fencing saves the data either way.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from ...coord import CoordCluster, LockHolder, Put
from ...sim import Context, Process, Simulation, Trace
from ...validate import check_bool, check_int, check_number
from ...viz import ClusterView, Scenario

LOCK = "/lock/"
PRELOAD = 31
"""Writes made before the story, so that A's lock key is created at revision 33."""
TTL = 8
"""The story's lease (s)."""
WORK = 1000.0
"""How long each of A's and B's pieces of work takes (ms)."""
PAUSE_AT = 5000.0
PAUSE_FOR = 8500.0
STORY_END = 16_000.0
FENCING_STEPS = 120
"""How many steps of the story the static players show (to about 14.5 s)."""
PAUSE_A = "Pause A (a long GC)"
RESUME_A = "Resume A"
STEP_KINDS = frozenset({"state", "pause", "resume", "note", "crash", "restart"})
LAYOUT = {1: (-0.2, -0.75), 2: (0.35, -0.35), 3: (-0.45, -0.2), "A": (-0.85, 0.6),
          "B": (0.85, 0.6), "db": (0.0, 0.8), "clock": (0.9, -0.9), "app": (-0.9, -0.9)}


def story_world(seed: int = 1, *, fencing: bool = True, a_clock: float = 1.0,
                ttl: int = TTL, work: float = WORK) -> CoordCluster:
    """Three replicas, the preloaded store, ``db``, and A and B queueing for the lock
    (A first), each writing after every ``work`` ms. ``a_clock`` is the rate of A's
    clock (1: true time)."""
    check_int("seed", seed)
    check_bool("fencing", fencing)
    check_number("a_clock", a_clock, positive=True)
    svc = CoordCluster(3, seed, strict=False)
    for i in range(PRELOAD):
        svc.request(Put(f"/config/{i:02}", "x"))
    svc.add_resource("db", fencing=fencing)
    habits = {"resource": "db", "prefix": LOCK, "ttl": ttl, "acts": 1000,
              "work": (work, work)}
    svc.add_client("A", LockHolder, think=(0.0, 0.0), **habits)
    svc.sim.set_clock("A", rate=a_clock)
    svc.add_client("B", LockHolder, think=(300.0, 300.0), **habits)
    return svc


@dataclass
class FencingStory:
    """What happened: the tokens A and B held, every write ``db`` accepted (and
    refused), the writes that came out of token order, and the story in rows."""

    tokens: dict[str, int]
    accepted: list[tuple[str, int, str]]
    refused: list[tuple[str, int, str]]
    out_of_order: list[tuple[str, int, str]]
    trace: Trace

    @property
    def corrupted(self) -> bool:
        """Did ``db`` take an older holder's write after a newer holder's?"""
        return bool(self.out_of_order)

    def timeline(self):
        return story_timeline(self.trace)


def fencing_run(fencing: bool = True, seed: int = 1) -> FencingStory:
    """The seed's story, run to :data:`STORY_END` ms (see the module docstring)."""
    svc = story_world(seed, fencing=fencing)
    start = svc.sim.now
    svc.sim.at(start + PAUSE_AT, lambda sim: sim.pause("A"), PAUSE_A)
    svc.sim.at(start + PAUSE_AT + PAUSE_FOR, lambda sim: sim.resume("A"), RESUME_A)
    svc.run(STORY_END)
    return _story(svc)


def _story(svc: CoordCluster) -> FencingStory:
    db = svc.process("db")
    tokens = {}
    for writer, token, _value in db.writes + db.rejected:
        tokens.setdefault(writer, token)
    return FencingStory(tokens, list(db.writes), list(db.rejected), db.out_of_order(),
                        svc.sim.trace)


def story_timeline(trace: Trace):
    """The story as a table: when A and B queue, hold and lose the lock, when A
    is paused and wakes, when the service deletes a lock key, and what ``db`` does."""
    import pandas as pd

    rows, keys = [], {}
    for ev in trace:
        who, d = str(ev.pid), ev.data
        if ev.kind in ("pause", "resume") and ev.pid in ("A", "B"):
            rows.append((ev.time, who, "is paused" if ev.kind == "pause" else "wakes up"))
        elif ev.kind != "state":
            continue
        elif ev.pid in ("A", "B") and d.get("role") in ("holding", "granting"):
            what = f"holds the lock, token {d['token']}" if d["role"] == "holding" \
                else "asks for a lease"
            rows.append((ev.time, who, what))
        elif ev.pid == "db" and "last" in d:
            verb = "refuses " if d["last"].startswith("rejected") else "accepts "
            rows.append((ev.time, who, verb + d["last"].removeprefix("rejected ")))
        elif "keys" in d:  # a replica: note the lock keys it lost
            gone = sorted(k for k in keys.get(ev.pid, {}) if k.startswith(LOCK)
                          and k not in d["keys"])
            if gone:
                rows.append((ev.time, "the service", f"deletes {', '.join(gone)} "
                                                     "(its lease ran out)"))
            keys[ev.pid] = d["keys"]
    table = pd.DataFrame(rows, columns=["t (ms)", "who", "what"])
    return table.drop_duplicates(subset=["who", "what"], keep="first").reset_index(drop=True)


# ---------------------------------------------------------------------- the player
TICK = 250.0
"""How often the players' clock shows the time (ms): no step of a player is longer."""


class Ticker(Process):
    """A wall clock for a player: it shows the time every :data:`TICK` ms, so a
    step never jumps over a stretch in which nothing else happens."""

    def on_start(self, ctx: Context) -> None:
        ctx.set_timer(TICK, "tick")

    def on_timer(self, ctx: Context, name: Hashable) -> None:
        ctx.annotate(role="clock", time=f"{ctx.now / 1000:.2f} s")
        ctx.set_timer(TICK, "tick")

    def on_message(self, ctx: Context, src: Hashable, msg: Any) -> None:
        pass


def with_clock(sim: Simulation) -> Simulation:
    """``sim`` with a :class:`Ticker` named ``clock`` added."""
    sim.add("clock", Ticker)
    return sim


def _pause_a(sim: Simulation) -> None:
    if sim.is_paused("A"):
        sim.note("A is already paused")
    else:
        sim.pause("A")


def _resume_a(sim: Simulation) -> None:
    if sim.is_paused("A"):
        sim.resume("A")
    else:
        sim.note("A is not paused")


def lock_table(view: ClusterView):
    """One row per process: replicas with their role, revision and lock keys;
    clients with their phase and token; ``db`` with its newest token and last write."""
    import pandas as pd

    rows = []
    for pid, p in view.processes.items():
        a = p.annotations
        if pid == "clock":
            what = a.get("time", "")
        elif isinstance(pid, int):
            keys = ", ".join(k for k in a.get("keys", {}) if k.startswith(LOCK)) or "—"
            what = f"revision {a.get('revision', '')}; lock keys: {keys}"
        elif pid == "db":
            what = f"newest token {a.get('newest_token', 0)}; last: {a.get('last', '—')}"
        else:
            token = a.get("token")
            what = f"{a.get('role', '')}" + (f", token {token}" if token else "")
        rows.append({"process": str(pid), "status": p.status,
                     "role": a.get("role", "") if isinstance(pid, int) else "", "state": what})
    return pd.DataFrame(rows)


def fencing_scenario(fencing: bool = True, seed: int = 1) -> Scenario:
    """The story's world as a player: press the button while A holds the lock."""
    check_bool("fencing", fencing)

    def build() -> Simulation:
        return with_clock(story_world(seed, fencing=fencing).sim)

    kind = "checks fencing tokens" if fencing else "takes every write"
    return Scenario(
        title=f"A paused lock holder; the storage service {kind}",
        build=build,
        buttons={PAUSE_A: _pause_a, RESUME_A: _resume_a},
        table=lock_table,
        description="A holds the lock with token 33 and writes to db about once a second; "
                    "B waits with token 34. Pause A past its 8 s lease: the service expires "
                    "it, B takes over and writes; resume A and it writes too.",
        step_kinds=STEP_KINDS,
        max_events=4000,
        layout=LAYOUT,
    )


def presses_at(scenario: Scenario, times: list[tuple[float, str]]) -> list[tuple[int, str]]:
    """``(time, button)`` pairs (ms after the start, in order) as the player's
    ``(step, button)`` presses: each at the first step that reaches its time."""
    sim = scenario.fresh()
    start, presses, step = sim.now, [], 0
    for at, button in times:
        while sim.now < start + at:
            scenario.advance(sim)
            step += 1
        presses.append((step, button))
        scenario.buttons[button](sim)
    return presses


def fencing_presses(fencing: bool = True, seed: int = 1) -> list[tuple[int, str]]:
    """The story's presses, as steps of :func:`fencing_scenario`: pause A at
    :data:`PAUSE_AT` ms, resume it :data:`PAUSE_FOR` ms later."""
    return presses_at(fencing_scenario(fencing, seed),
                      [(PAUSE_AT, PAUSE_A), (PAUSE_AT + PAUSE_FOR, RESUME_A)])


# ---------------------------------------------------------------------- drift
@dataclass
class DriftRun:
    """A lock holder cut off from the service, its clock at ``rate``: when (true ms)
    it last wrote believing it held the lock, when B first wrote, how long both
    held it by their own lights, and what ``db`` accepted out of token order."""

    rate: float
    fencing: bool
    a_last_write: float
    b_first_write: float
    overlap: float
    out_of_order: int


DRIFT_TTL = 2
CUT_AT = 1500.0


def drift_run(rate: float, *, fencing: bool = False, seed: int = 1) -> DriftRun:
    """A holds the lock (TTL 2 s) with a clock running at ``rate``; at 1.5 s it is
    cut off from the replicas but not from ``db``; it keeps writing while its own
    lease timer says it may."""
    svc = story_world(seed, fencing=fencing, a_clock=rate, ttl=DRIFT_TTL, work=200.0)
    sim = svc.sim
    sim.at(sim.now + CUT_AT, lambda s: _cut_a(s, svc.servers), "cut A off")
    svc.run(8000.0)
    db = svc.process("db")
    a_writes = [ev.time for ev in sim.trace.of_kind("deliver")
                if ev.pid == "db" and ev.data["src"] == "A"]
    b_writes = [ev.time for ev in sim.trace.of_kind("deliver")
                if ev.pid == "db" and ev.data["src"] == "B"]
    a_last = max(a_writes) if a_writes else 0.0
    b_first = min(b_writes) if b_writes else float("inf")
    return DriftRun(rate, fencing, a_last, b_first, max(0.0, a_last - b_first),
                    len(db.out_of_order()))


def _cut_a(sim: Simulation, servers: list) -> None:
    for server in servers:
        sim.set_link("A", server, loss=1.0)


CUT_A = "Cut A off from the service"


def drift_scenario(rate: float = 0.5, *, fencing: bool = False, seed: int = 1) -> Scenario:
    """The drift run as a player: A's clock runs at ``rate``; the button cuts A off
    from the replicas (not from ``db``). :data:`DRIFT_STORY` presses it at 1.5 s."""
    check_number("rate", rate, positive=True)

    def build() -> Simulation:
        return with_clock(story_world(seed, fencing=fencing, a_clock=rate, ttl=DRIFT_TTL,
                                      work=200.0).sim)

    def cut(sim: Simulation) -> None:
        _cut_a(sim, [p for p in sim.pids if isinstance(p, int)])

    return Scenario(
        title=f"A lock holder whose clock runs at {rate:g} times the true rate",
        build=build,
        buttons={CUT_A: cut},
        table=lock_table,
        description="A holds the lock (lease 2 s) and writes to db every 200 ms of its own "
                    "clock. Cut it off from the service: it keeps writing while its own lease "
                    "timer says it may. The leader expires the lease on its clock, B takes "
                    "the lock and writes too.",
        step_kinds=STEP_KINDS,
        max_events=4000,
        layout=LAYOUT,
    )


DRIFT_STORY = [(CUT_AT, CUT_A)]
DRIFT_STEPS = 70
"""How many steps of the drift story the static player shows."""
