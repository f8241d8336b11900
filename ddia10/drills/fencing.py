"""Drill, chapter 8: a lock service with fencing tokens, and a fenced resource.

The reader writes two small classes. The lock service is told the time
(``now``, in ms of its own clock) with every call, as a server reading its
clock would be; the store sees only tokens::

    class MyLockService:
        def acquire(self, now, client, ttl): ...    # a fencing token (int), or None: busy
        def release(self, now, client, token): ...  # True if it freed the lock

    class MyFencedStore:
        def write(self, token, value): ...          # True if it accepted the write

:func:`check_lock_service` runs them as processes on the simulator, with
clients that pause (a garbage-collection stop), crash and retry, and judges
every decision: tokens only grow; no lock is granted while another's lease
runs; only the current holder may release; an expired lease frees the lock;
and the store refuses a token older than one it has accepted — the store's
writes judged by chapter 8's own monitor
(:class:`~ddia10.coord.CoordMonitor`, its rule "fenced writes in token
order"), as in the book's runs of a paused holder. It catches the
seed's drill (a lease measured on the machine's wall clock, and a release
that never looks at the token), a store that accepts stale tokens, and a
lock that never expires.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from ..coord.invariants import FENCING, CoordMonitor, ResourceAccepted
from ..sim import Context, Process, Simulation
from ..validate import check_instance
from .reader import ReaderCode, own_methods, report_exception, report_wall_clock
from .report import CodeLine, DrillReport, DrillRun, failed, passed

DRILL = "a lock service with fencing tokens"
LOCK, STORE = "lock", "store"
TTL = 100.0
LATENCY = 5.0


class SolutionLockService:
    """A correct answer: a lease on the clock it is given, and tokens
    that only grow."""

    def __init__(self) -> None:
        self.holder: Hashable | None = None
        self.token = 0
        self.until = 0.0

    def acquire(
        self, now: float, client: Hashable, ttl: float
    ) -> int | None:
        if self.holder is not None and now < self.until:
            return None
        self.token += 1
        self.holder, self.until = client, now + ttl
        return self.token

    def release(self, now: float, client: Hashable, token: int) -> bool:
        owns = self.holder == client and token == self.token
        if not owns or now >= self.until:
            return False
        self.holder = None
        return True


class SolutionFencedStore:
    """A correct answer: remember the highest token accepted; refuse
    older ones."""

    def __init__(self) -> None:
        self.highest = 0
        self.value: Any = None

    def write(self, token: int, value: Any) -> bool:
        if token < self.highest:
            return False
        self.highest, self.value = token, value
        return True


# ---------------------------------------------------------------------- messages
@dataclass(frozen=True)
class LockAcquire:
    client: Hashable
    ttl: float


@dataclass(frozen=True)
class LockGranted:
    token: int | None  # None: busy


@dataclass(frozen=True)
class LockRelease:
    client: Hashable
    token: int | None


@dataclass(frozen=True)
class TokenWrite:
    client: Hashable
    token: int | None
    value: Any


@dataclass(frozen=True)
class LockDecision:
    """One answer of the reader's code: what was asked, what it said, its line."""

    at: float
    kind: str  # "acquire", "release" or "write"
    client: Hashable
    token: Any
    answer: Any
    line: CodeLine | None
    fenced_after: int | None = None  # a write the monitor found out of token order: the
    # newest token accepted before it


@dataclass
class Ledger:
    """Every decision of a run, in order, and the coordination service's own
    monitor (:class:`~ddia10.coord.CoordMonitor`, the judge of chapter 8's
    fencing runs) hearing every write the store accepted."""

    decisions: list[LockDecision] = field(default_factory=list)
    monitor: CoordMonitor = field(default_factory=lambda: CoordMonitor(strict=False))


class LockServer(Process):
    """The lock service process around the reader's class."""

    def __init__(self, service: Any, code: ReaderCode, ledger: Ledger) -> None:
        self.service, self.code, self.ledger = service, code, ledger

    def on_message(self, ctx: Context, src: Hashable, msg: Any) -> None:
        if isinstance(msg, LockAcquire):
            token = self.code.call(self.service.acquire, ctx.now, msg.client, msg.ttl)
            self.ledger.decisions.append(LockDecision(ctx.now, "acquire", msg.client, token,
                                                  token, self.code.returned))
            ctx.annotate(granted=f"{msg.client}: {token}" if token is not None else "busy")
            ctx.send(src, LockGranted(token))
        elif isinstance(msg, LockRelease):
            ok = self.code.call(self.service.release, ctx.now, msg.client, msg.token)
            self.ledger.decisions.append(LockDecision(ctx.now, "release", msg.client, msg.token,
                                                  ok, self.code.returned))
            ctx.annotate(released=f"{msg.client} token {msg.token}: {bool(ok)}")


class FencedStoreServer(Process):
    """The store process around the reader's class."""

    def __init__(self, store: Any, code: ReaderCode, ledger: Ledger) -> None:
        self.store, self.code, self.ledger = store, code, ledger

    def on_message(self, ctx: Context, src: Hashable, msg: Any) -> None:
        if isinstance(msg, TokenWrite):
            ok = self.code.call(self.store.write, msg.token, msg.value)
            monitor = self.ledger.monitor
            newest = max((t for _w, t in monitor.accepted.get(STORE, ())), default=0)
            heard = len(monitor.violations)
            if ok:
                monitor.hear(ResourceAccepted(STORE, msg.client, msg.token, msg.value))
            broke = any(v.invariant == FENCING for v in monitor.violations[heard:])
            self.ledger.decisions.append(LockDecision(ctx.now, "write", msg.client, msg.token,
                                                      ok, self.code.returned,
                                                      newest if broke else None))
            ctx.annotate(wrote=f"{msg.value} (token {msg.token}): {bool(ok)}")


class LockClient(Process):
    """A client: acquires, writes with its token, releases. Scripted from outside."""

    def __init__(self) -> None:
        self.token: int | None = None

    def acquire(self, ctx: Context) -> None:
        ctx.send(LOCK, LockAcquire(ctx.pid, TTL))

    def write(self, ctx: Context, value: Any) -> None:
        if self.token is not None:
            ctx.send(STORE, TokenWrite(ctx.pid, self.token, value))

    def release(self, ctx: Context, token: int | None = None) -> None:
        ctx.send(LOCK, LockRelease(ctx.pid, self.token if token is None else token))

    def on_message(self, ctx: Context, src: Hashable, msg: Any) -> None:
        if isinstance(msg, LockGranted) and msg.token is not None:
            self.token = msg.token
            ctx.annotate(role="holder", token=msg.token)


# ---------------------------------------------------------------------- scripts
Step = tuple[float, str, Callable[[Simulation], Any]]


def _client(pid: str, method: str, *args: Any) -> Callable[[Simulation], Any]:
    return lambda sim: sim.call(pid, getattr(LockClient, method), *args)


@dataclass(frozen=True)
class LockScript:
    title: str
    story: str
    steps: tuple[Step, ...]
    end: float
    must_grant: tuple[tuple[str, float], ...] = ()  # (client, by when) the lock must go to


SCRIPTS = (
    LockScript("a holder that pauses",
               "A takes the lock and stops (a GC pause) past its lease; B takes the lock "
               "and writes; A wakes, writes with its old token and releases; C asks",
               ((0, "A acquires", _client("A", "acquire")),
                (20, "A pauses", lambda s: s.pause("A")),
                (150, "B acquires", _client("B", "acquire")),
                (170, "B writes", _client("B", "write", "B's data")),
                (200, "A resumes", lambda s: s.resume("A")),
                (201, "A writes", _client("A", "write", "A's data")),
                (210, "A releases", _client("A", "release")),
                (220, "C acquires", _client("C", "acquire"))), 300,
               must_grant=(("B", 170.0),)),
    LockScript("a retried release",
               "A takes the lock, releases it, takes it again; then its first release, "
               "retried, arrives; B asks for the lock",
               ((0, "A acquires", _client("A", "acquire")),
                (30, "A releases", _client("A", "release")),
                (40, "A acquires again", _client("A", "acquire")),
                (60, "A's first release, retried", _client("A", "release", 1)),
                (80, "B acquires", _client("B", "acquire"))), 200),
    LockScript("a holder that crashes",
               "A takes the lock and crashes; B asks at once, then again after A's lease",
               ((0, "A acquires", _client("A", "acquire")),
                (10, "A crashes", lambda s: s.crash("A")),
                (20, "B acquires", _client("B", "acquire")),
                (120, "B acquires again", _client("B", "acquire"))), 250,
               must_grant=(("B", 140.0),)),
)


def lock_drill_world(service: type, store: type, script: LockScript,
                     code: ReaderCode | None = None, ledger: Ledger | None = None) -> Simulation:
    """The lock service, the store and clients A, B, C, the script scheduled."""
    code = code or ReaderCode([])
    ledger = ledger if ledger is not None else Ledger()
    sim = Simulation(0, latency=LATENCY)
    sim.add(LOCK, lambda: LockServer(code.call(service), code, ledger))
    sim.add(STORE, lambda: FencedStoreServer(code.call(store), code, ledger))
    for pid in ("A", "B", "C"):
        sim.add(pid, LockClient)
    for t, label, act in script.steps:
        sim.at(t, lambda s, a=act, w=label: (s.note(w), a(s)), label=label)
    return sim


def check_lock_service(service: type, store: type) -> DrillReport:
    """Grade the reader's lock service class and fenced store class."""
    check_instance("your lock service (a class)", service, type)
    check_instance("your fenced store (a class)", store, type)
    for cls, methods in ((service, ("acquire", "release")), (store, ("write",))):
        missing = [m for m in methods if not callable(getattr(cls, m, None))]
        if missing:
            return failed(DRILL, "the drill's interface",
                          f"{cls.__name__} has no {', '.join(missing)}")
    for script in SCRIPTS:
        code = ReaderCode([*own_methods(service).values(), *own_methods(store).values()])
        ledger = Ledger()
        run = DrillRun(script.title, lambda s=script: lock_drill_world(service, store, s),
                       steps=40, story=script.story)
        try:
            sim = lock_drill_world(service, store, script, code, ledger)
            sim.run(script.end)
        except Exception as exc:
            return report_exception(DRILL, code, exc, run=run)
        verdict = report_wall_clock(DRILL, code, run=run) or _judge(ledger, script, run)
        if verdict is not None:
            return verdict
    return passed(DRILL, [
        "fencing tokens only grow",
        "no lock is granted while another holder's lease runs",
        "only the current holder, with the current token, can release",
        "an expired lease frees the lock (measured on the time the service is given)",
        "the store refuses a token older than one it has accepted",
    ])


def _judge(ledger: Ledger, script: LockScript, run: DrillRun) -> DrillReport | None:
    decisions = ledger.decisions
    highest = 0
    lease: tuple[Hashable, int, float] | None = None  # holder, token, until
    for d in decisions:
        if d.kind == "acquire" and d.answer is not None:
            if not isinstance(d.answer, int) or d.answer <= highest:
                return failed(DRILL, "fencing tokens only grow",
                              f"at {d.at:g} ms the service gave {d.client} token {d.answer!r} "
                              f"after it had given token {highest}.", line=d.line, run=run)
            if lease is not None and d.at < lease[2]:
                return failed(DRILL, "one holder at a time: no grant while a lease runs",
                              f"at {d.at:g} ms the service gave the lock to {d.client} "
                              f"(token {d.answer}) while {lease[0]}'s lease on token {lease[1]} "
                              f"ran until {lease[2]:g} ms and had not been released.",
                              line=d.line, run=run)
            highest, lease = d.answer, (d.client, d.answer, d.at + TTL)
        elif d.kind == "release" and d.answer:
            if lease is None or d.token != lease[1] or d.client != lease[0]:
                holder = f"{lease[0]} holds token {lease[1]}" if lease else "nobody holds it"
                return failed(DRILL, "only the current holder can release the lock",
                              f"at {d.at:g} ms {d.client} released with token {d.token}, and "
                              f"the service agreed, though {holder}: a holder that no longer "
                              "owns the lock freed it.", line=d.line, run=run)
            lease = None
        elif d.kind == "write" and d.fenced_after is not None:
            return failed(DRILL, "a fenced resource refuses a token older than one it "
                          "has seen",
                          f"at {d.at:g} ms the store accepted {d.client}'s write with token "
                          f"{d.token} after accepting token {d.fenced_after}: a holder whose "
                          "lease had run out overwrote the new holder's data.",
                          line=d.line, run=run)
    for client, by in script.must_grant:
        if not any(d.kind == "acquire" and d.client == client and d.answer is not None
                   and d.at <= by for d in decisions):
            asked = [d for d in decisions if d.kind == "acquire" and d.client == client]
            return failed(DRILL, "an expired lease frees the lock",
                          f"{client} asked for the lock at "
                          f"{', '.join(f'{d.at:g}' for d in asked)} ms and was refused, though "
                          f"the previous lease ({TTL:g} ms) had run out by then.",
                          line=asked[-1].line if asked else None, run=run)
    return None
