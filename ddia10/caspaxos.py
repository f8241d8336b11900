"""CASPaxos: a replicated register that needs no leader and no log.

Rystsov (2018) noticed that single-decree Paxos, run again and again on the
same acceptors, is enough for a register that changes: instead of proposing
a *value*, a client proposes a *change*, a function from the current state
to the next one. Any proposer may run a round at any time:

1. **Prepare.** The proposer picks a ballot higher than any it has seen and
   asks the acceptors to promise it. Each promise carries the state the
   acceptor last accepted and its ballot.
2. **Apply.** Once a majority promised, the proposer takes the state accepted
   in the highest ballot among the promises (the empty state if none), and
   applies the change to it.
3. **Accept.** It asks the acceptors to accept the new state in its ballot.
   Once a majority accepted, the new state is *chosen*, and the proposer
   answers its client with it.

The rule of step 2 is Paxos' own: a state some majority may have chosen is
the one accepted in the highest ballot reported, so every later round builds
on it. That makes the chosen states one line of history, each the previous
one changed once — a linearizable register, with compare-and-set for free
(a change that does nothing unless the state is what the client expected).
There is no leader to elect and no log to compact; the price is two round
trips per change and contention when many proposers change one register at
once (each round may preempt another, as in chapter 6).

Here the state is the tuple of the changes applied so far, in order, so the
monitor can check the one safety property that matters, **chosen states form
a chain**: of any two chosen states, one is a prefix of the other.
``bug_ignore_accepted`` makes a proposer apply its change to the last state
*it* saw instead of the highest one accepted, and the monitor catches the
fork. :class:`CASPaxos` is the harness; :func:`caspaxos_campaign` runs
random changes under random crashes, partitions and message loss, checking
after every event. Chapter 10 shows it.
"""

from __future__ import annotations

import random
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from .invariants import InvariantViolation
from .quorum import majority
from .sim import Context, Process, Simulation
from .sim.faults import apply_fault, random_faults
from .validate import check_bool, check_int, check_number

CHAIN = "chosen states form a chain"
ROUND_TIMEOUT = 40.0  # ms a proposer waits for a round before starting another


@dataclass(frozen=True)
class CasPrepare:
    ballot: tuple[int, Hashable]


@dataclass(frozen=True)
class CasPromise:
    ballot: tuple[int, Hashable]
    accepted_ballot: tuple[int, Hashable]
    state: tuple


@dataclass(frozen=True)
class CasAccept:
    ballot: tuple[int, Hashable]
    state: tuple


@dataclass(frozen=True)
class CasAccepted:
    ballot: tuple[int, Hashable]


@dataclass(frozen=True)
class CasRejected:
    ballot: tuple[int, Hashable]
    promised: tuple[int, Hashable]


@dataclass(frozen=True)
class StateChosen:
    """A fact for the monitor: ``state`` was accepted by a majority in ``ballot``."""

    ballot: tuple[int, Hashable]
    state: tuple


ZERO = (0, "")


class CasAcceptor(Process):
    """Promises and accepts, like a Paxos acceptor; both persisted before answering."""

    def __init__(self) -> None:
        self.promised: tuple[int, Hashable] = ZERO
        self.accepted: tuple[tuple[int, Hashable], tuple] = (ZERO, ())

    def on_start(self, ctx: Context) -> None:
        self.promised = ctx.stable.get("promised", ZERO)
        self.accepted = ctx.stable.get("accepted", (ZERO, ()))
        ctx.annotate(role="acceptor", state=list(self.accepted[1]))

    def on_message(self, ctx: Context, src: Hashable, msg: Any) -> None:
        if isinstance(msg, CasPrepare):
            if msg.ballot <= self.promised:
                ctx.send(src, CasRejected(msg.ballot, self.promised))
                return
            self.promised = msg.ballot
            ctx.persist("promised", self.promised)
            ctx.send(src, CasPromise(msg.ballot, *self.accepted))
        elif isinstance(msg, CasAccept):
            if msg.ballot < self.promised:
                ctx.send(src, CasRejected(msg.ballot, self.promised))
                return
            self.promised, self.accepted = msg.ballot, (msg.ballot, msg.state)
            ctx.persist("promised", self.promised)
            ctx.persist("accepted", self.accepted)
            ctx.annotate(state=list(msg.state))
            ctx.send(src, CasAccepted(msg.ballot))


class CasProposer(Process):
    """Runs one change at a time through prepare, apply and accept; retries on
    preemption or silence with a higher ballot after a random back-off."""

    def __init__(self, acceptors: tuple, bug_ignore_accepted: bool = False) -> None:
        self.acceptors = acceptors
        self.bug = bug_ignore_accepted
        self.counter = 0
        self.queue: tuple = ()  # changes waiting, the current one first
        self.ballot = ZERO
        self.phase = "idle"
        self.promises: dict = {}
        self.acks: frozenset = frozenset()
        self.proposal: tuple = ()
        self.last_seen: tuple = ()  # the state this proposer last saw chosen
        self.done: tuple = ()  # changes whose round chose a state

    def on_start(self, ctx: Context) -> None:
        self.counter = ctx.stable.get("counter", 0)
        ctx.annotate(role="proposer")

    def change(self, ctx: Context, name: str) -> None:
        """A client asks for ``name`` to be appended to the register."""
        self.queue += (name,)
        if self.phase == "idle":
            self._round(ctx)

    def _round(self, ctx: Context) -> None:
        self.counter += 1
        ctx.persist("counter", self.counter)
        self.ballot = (self.counter, ctx.pid)
        self.phase, self.promises, self.acks = "preparing", {}, frozenset()
        for a in self.acceptors:
            ctx.send(a, CasPrepare(self.ballot))
        ctx.set_timer(ROUND_TIMEOUT + ctx.rng.uniform(0, ROUND_TIMEOUT), "retry")

    def on_message(self, ctx: Context, src: Hashable, msg: Any) -> None:
        if getattr(msg, "ballot", None) != self.ballot:
            if isinstance(msg, CasRejected):
                self.counter = max(self.counter, msg.promised[0])
            return
        if isinstance(msg, CasPromise) and self.phase == "preparing":
            self.promises[src] = msg
            if len(self.promises) >= majority(len(self.acceptors)):
                if self.bug:
                    base = self.last_seen
                else:
                    base = max(self.promises.values(), key=lambda p: p.accepted_ballot).state
                self.proposal = base + (self.queue[0],)
                self.phase = "accepting"
                for a in self.acceptors:
                    ctx.send(a, CasAccept(self.ballot, self.proposal))
        elif isinstance(msg, CasAccepted) and self.phase == "accepting":
            self.acks |= {src}
            if len(self.acks) >= majority(len(self.acceptors)):
                ctx.report(StateChosen(self.ballot, self.proposal))
                self.last_seen, self.done = self.proposal, self.done + (self.queue[0],)
                self.queue = self.queue[1:]
                ctx.annotate(chosen=list(self.proposal))
                self.phase = "idle"
                ctx.cancel_timer("retry")
                if self.queue:
                    self._round(ctx)
        elif isinstance(msg, CasRejected):
            self.counter = max(self.counter, msg.promised[0])

    def on_timer(self, ctx: Context, name: Hashable) -> None:
        if name == "retry" and self.phase != "idle":
            self._round(ctx)


class CasMonitor:
    """Hears every chosen state and checks that they form a chain."""

    def __init__(self) -> None:
        self.chosen: list[StateChosen] = []
        self.violations: list[InvariantViolation] = []

    def hear(self, fact: Any) -> None:
        if not isinstance(fact, StateChosen):
            return
        for earlier in self.chosen:
            a, b = sorted((earlier.state, fact.state), key=len)
            if b[:len(a)] != a:
                self.violations.append(InvariantViolation(
                    CHAIN, f"{list(earlier.state)} (ballot {earlier.ballot}) and "
                           f"{list(fact.state)} (ballot {fact.ballot}) were both chosen, "
                           "and neither extends the other"))
                break
        self.chosen.append(fact)


class CASPaxos:
    """``acceptors`` acceptors (``A1``...) and ``proposers`` proposers (``P1``...)
    on a simulated network, with the monitor listening."""

    def __init__(self, acceptors: int = 3, proposers: int = 2, seed: int = 0, *,
                 latency: Any = (1.0, 5.0), loss: float = 0.0,
                 bug_ignore_accepted: bool = False, trace: bool = True) -> None:
        check_int("acceptors", acceptors, min=1)
        check_int("proposers", proposers, min=1)
        check_bool("bug_ignore_accepted", bug_ignore_accepted)
        self.monitor = CasMonitor()
        self.sim = Simulation(seed, latency=latency, loss=loss, trace=trace,
                              observer=self.monitor.hear)
        self.acceptors = tuple(f"A{i}" for i in range(1, acceptors + 1))
        self.proposers = tuple(f"P{i}" for i in range(1, proposers + 1))
        for pid in self.acceptors:
            self.sim.add(pid, CasAcceptor)
        for pid in self.proposers:
            self.sim.add(pid, lambda: CasProposer(self.acceptors, bug_ignore_accepted))

    def change(self, proposer: Hashable, name: str) -> None:
        """Ask ``proposer`` to append ``name`` to the register (skipped if it is down)."""
        if self.sim.is_up(proposer):
            self.sim.call(proposer, CasProposer.change, name)

    def chosen(self) -> list[tuple]:
        """Every chosen state, in the order chosen."""
        return [c.state for c in self.monitor.chosen]

    def check_invariants(self) -> None:
        if self.monitor.violations:
            raise self.monitor.violations[0]


@dataclass(frozen=True)
class CasCampaignResult:
    seed: int
    changes: int
    chosen: int
    violation: InvariantViolation | None


def caspaxos_campaign(seed: int, *, duration: float = 2000.0, changes: int = 30,
                      bug_ignore_accepted: bool = False) -> CasCampaignResult:
    """``changes`` changes from two proposers at random moments over ``duration``
    ms, with random crashes, restarts and partitions of the acceptors and 5%
    message loss; the monitor is checked after every event."""
    check_number("duration", duration, positive=True, unit="ms")
    check_int("changes", changes, min=1)
    c = CASPaxos(3, 2, seed, loss=0.05, bug_ignore_accepted=bug_ignore_accepted, trace=False)
    rng = random.Random(f"ddia10:caspaxos:{seed}")
    for k in range(changes):
        proposer = c.proposers[k % len(c.proposers)]
        t = rng.uniform(0, duration * 0.8)
        c.sim.at(t, lambda s, p=proposer, n=f"c{k}": c.change(p, n), label=f"change c{k}")
    for fault in random_faults(seed, list(c.acceptors), duration, mean_gap=200.0):
        c.sim.at(fault.time, lambda s, f=fault: apply_fault(s, f), label=fault.kind)
    end = duration + 1000.0
    while c.sim.step() and c.sim.now <= end:
        if c.monitor.violations:
            break
    return CasCampaignResult(seed, changes, len(c.monitor.chosen),
                             c.monitor.violations[0] if c.monitor.violations else None)
