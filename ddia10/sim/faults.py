"""Random faults: the one seeded generator every campaign draws its faults from.

A :class:`Fault` is one thing done to a world at a moment: crash a process,
restart it, cut the network into two sides, heal it, disconnect one process or
connect it again, pause a process or resume it. :class:`FaultGenerator` draws
faults at random over a fixed set of process ids, one at a time, and
remembers which processes it crashed, disconnected or paused, so every fault
it draws can happen: it restarts only a crashed process, crashes at most
``max_down`` at once, connects only a disconnected one, resumes only a
paused one. A campaign either lets it choose the kind of each fault
(uniformly among the kinds possible now, :meth:`FaultGenerator.choose`), or
rolls for it with weights (:meth:`FaultGenerator.roll`, where the rest of the
probability is a round without a fault), or names a fault it chose itself
(leader churn crashes the leader) so the generator keeps count.

:func:`random_faults` is a whole schedule drawn that way, one fault about every
``mean_gap`` ms; :func:`random_network` draws a campaign's link settings
(loss, duplication, reordering); :func:`random_pauses` draws stop-the-world
pauses of given lengths. :func:`apply_fault` does a fault to a
:class:`~ddia10.sim.Simulation`. The same seed always gives the same faults.

A campaign keeps the draws its seeds were first run with: the Raft fault
campaign orders a partition's processes with ``random.shuffle``, the
key-value campaign with ``random.sample`` (``shuffle=False``). Both give a
uniformly random split; the option exists only so that a seed keeps naming
the same run.
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

from ..validate import check_choice, check_instance, check_int, check_number, check_probability
from .world import Simulation

FAULT_KINDS = ("partition", "disconnect", "heal", "crash", "restart", "connect")
"""Every kind of fault, in the order :meth:`FaultGenerator.choose` offers them."""

PAUSE_KINDS = ("pause", "resume")
"""Pausing a process (a stop-the-world pause: its clock runs on, its events wait) and
resuming it: drawn only by a generator given processes it may pause, and only when a
campaign names these kinds."""


@dataclass(frozen=True)
class Fault:
    """One fault: at ``time`` (ms) do ``kind`` to the processes in ``target``
    (the two sides, for a partition; nothing, for a heal)."""

    time: float
    kind: str
    target: tuple = ()

    def __post_init__(self) -> None:
        check_choice("fault kind", self.kind, FAULT_KINDS + PAUSE_KINDS)
        check_number("fault time", self.time, min=0, unit="ms")


class FaultGenerator:
    """Draws random faults over ``pids`` from ``rng``, one at a time.

    ``max_down`` bounds how many processes are down at once (default: a
    minority); ``clients`` are never crashed or disconnected, but each lands on
    a random side of every partition. ``shuffle`` picks how a partition's
    processes are put in random order (see the module docstring). ``pausable``
    are the processes a ``pause`` may freeze (servers or clients).
    """

    def __init__(self, rng: random.Random, pids: Iterable[Hashable], *,
                 clients: Iterable[Hashable] = (), max_down: int | None = None,
                 shuffle: bool = False, pausable: Iterable[Hashable] = ()) -> None:
        check_instance("rng", rng, random.Random)
        self.pids = list(pids)
        self.clients = list(clients)
        if not self.pids:
            raise ValueError("a fault generator needs at least one process")
        if max_down is None:
            max_down = (len(self.pids) - 1) // 2
        check_int("max_down", max_down, min=0)
        self.rng = rng
        self.max_down = max_down
        self.shuffle = bool(shuffle)
        self.pausable = list(pausable)
        self._down: set = set()
        self._cut: set = set()
        self._paused: set = set()

    @property
    def up(self) -> list:
        """The processes running now, in the order of ``pids``."""
        return [p for p in self.pids if p not in self._down]

    @property
    def down(self) -> list:
        """The processes this generator crashed and has not restarted yet."""
        return [p for p in self.pids if p in self._down]

    def possible(self, kind: str) -> bool:
        """Can a fault of ``kind`` happen now?"""
        if kind == "crash":
            return len(self._down) < self.max_down and bool(self.up)
        if kind == "restart":
            return bool(self._down)
        if kind == "connect":
            return bool(self._cut)
        if kind == "pause":
            return bool(self._can_pause())
        if kind == "resume":
            return bool(self._paused)
        check_choice("fault kind", kind, FAULT_KINDS)
        return True

    def _can_pause(self) -> list:
        return [p for p in self.pausable if p not in self._paused and p not in self._down]

    def choose(self, kinds: Sequence[str] = FAULT_KINDS) -> str:
        """A kind drawn uniformly among those of ``kinds`` possible now."""
        return self.rng.choice([k for k in kinds if self.possible(k)])

    def roll(self, weights: Sequence[tuple[str, float]]) -> str | None:
        """One roll against ``(kind, probability)`` pairs, taken in order: the
        first kind whose share the roll falls in and that is possible now (a
        kind that is not passes its share on to the next). ``None``, with the
        probability left over, means no fault this time."""
        roll = self.rng.random()
        bound = 0.0
        for kind, weight in weights:
            bound += weight
            if roll < bound and self.possible(kind):
                return kind
        return None

    def draw(self, kind: str, time: float = 0.0, target: tuple | None = None) -> Fault:
        """A fault of ``kind`` at ``time`` on a random target (or on ``target``,
        when the campaign chose it), counted as done."""
        if not self.possible(kind):
            raise ValueError(f"no {kind} is possible now (down: {self.down})")
        if target is None:
            target = self._target(kind)
        fault = Fault(time, kind, tuple(target))
        if kind == "crash":
            self._down.add(fault.target[0])
            self._paused.discard(fault.target[0])
        elif kind == "pause":
            self._paused.add(fault.target[0])
        elif kind == "resume":
            self._paused.discard(fault.target[0])
        elif kind == "restart":
            self._down.discard(fault.target[0])
        elif kind == "disconnect":
            self._cut.add(fault.target[0])
        elif kind == "connect":
            self._cut.discard(fault.target[0])
        elif kind == "heal":
            self._cut.clear()
        return fault

    def _target(self, kind: str) -> tuple:
        rng = self.rng
        if kind == "crash":
            return (rng.choice(self.up),)
        if kind == "restart":
            return (rng.choice(self.down),)
        if kind == "disconnect":
            return (rng.choice(self.pids),)
        if kind == "connect":
            return (rng.choice([p for p in self.pids if p in self._cut]),)
        if kind == "heal":
            return ()
        if kind == "pause":
            return (rng.choice(self._can_pause()),)
        if kind == "resume":
            return (rng.choice([p for p in self.pausable if p in self._paused]),)
        if self.shuffle:
            order = list(self.pids)
            rng.shuffle(order)
        else:
            order = rng.sample(self.pids, len(self.pids))
        k = rng.randint(1, max(1, len(order) - 1))
        sides = [rng.random() < 0.5 for _client in self.clients]
        first = [c for c, side in zip(self.clients, sides, strict=True) if side]
        second = [c for c, side in zip(self.clients, sides, strict=True) if not side]
        return (tuple(order[:k]) + tuple(first), tuple(order[k:]) + tuple(second))


def random_faults(
    seed: int, pids: Sequence[Hashable], duration: float, *,
    clients: Sequence[Hashable] = (), mean_gap: float = 150.0, max_down: int | None = None,
) -> list[Fault]:
    """A seeded random fault schedule over ``duration`` ms: about one fault every
    ``mean_gap`` ms (exponential gaps), each of a kind chosen uniformly among
    those possible then (crash, restart, partition into two sides with
    ``clients`` spread over both, disconnect, connect, heal), at most
    ``max_down`` processes down at once (a minority by default)."""
    check_number("duration", duration, min=0, unit="ms")
    check_number("mean_gap", mean_gap, positive=True, unit="ms")
    faults = FaultGenerator(random.Random(f"ddia10:faults:{seed}"), pids, clients=clients,
                            max_down=max_down)
    schedule: list[Fault] = []
    t = faults.rng.expovariate(1 / mean_gap)
    while t < duration:
        schedule.append(faults.draw(faults.choose(), round(t, 3)))
        t += faults.rng.expovariate(1 / mean_gap)
    return schedule


def random_pauses(
    seed: int, pids: Sequence[Hashable], duration: float, *, mean_gap: float = 300.0,
    length: tuple[float, float] = (100.0, 3000.0),
) -> list[Fault]:
    """Seeded random stop-the-world pauses over ``duration`` ms: about one every
    ``mean_gap`` ms, each of a process of ``pids`` that is not already paused,
    lasting a time drawn from ``length`` (ms) but no later than ``duration``: a
    ``pause`` and its ``resume``."""
    check_number("duration", duration, min=0, unit="ms")
    check_number("mean_gap", mean_gap, positive=True, unit="ms")
    lo, hi = length
    check_number("shortest pause", lo, min=0, unit="ms")
    check_number("longest pause", hi, min=lo, unit="ms")
    rng = random.Random(f"ddia10:pauses:{seed}")
    busy: dict = {}  # pid -> when its pause ends
    schedule: list[Fault] = []
    t = rng.expovariate(1 / mean_gap)
    while t < duration:
        free = [p for p in pids if busy.get(p, -1.0) < t]
        if free:
            pid = rng.choice(free)
            end = min(t + rng.uniform(lo, hi), duration)
            busy[pid] = end
            schedule += [Fault(round(t, 3), "pause", (pid,)),
                         Fault(round(end, 3), "resume", (pid,))]
        t += rng.expovariate(1 / mean_gap)
    return sorted(schedule, key=lambda f: f.time)


def random_network(seed: int, *, loss: float = 0.05, duplicate: float = 0.05,
                   reorder: float = 0.1) -> dict[str, float]:
    """Link settings for a campaign, drawn from ``seed``: a loss, duplication
    and reordering rate, each uniform between 0 and the given maximum."""
    for name, x in (("loss", loss), ("duplicate", duplicate), ("reorder", reorder)):
        check_probability(f"the most {name}", x)
    rng = random.Random(f"ddia10:kv-network:{seed}")  # the stream the key-value campaign drew
    return {"loss": rng.uniform(0, loss), "duplicate": rng.uniform(0, duplicate),
            "reorder": rng.uniform(0, reorder)}


def apply_fault(sim: Simulation, fault: Fault) -> None:
    """Do ``fault`` to ``sim`` now. A pause of a process that is down or already
    paused, and a resume of one no longer paused (a crash ended its pause), do
    nothing: a schedule of pauses may meet a schedule of crashes."""
    check_instance("fault", fault, Fault)
    if fault.kind == "crash":
        sim.crash(fault.target[0])
    elif fault.kind == "restart":
        sim.restart(fault.target[0])
    elif fault.kind == "partition":
        sim.partition(*fault.target)
    elif fault.kind == "disconnect":
        sim.disconnect(fault.target[0])
    elif fault.kind == "connect":
        sim.reconnect(fault.target[0])
    elif fault.kind == "pause":
        if sim.is_up(fault.target[0]) and not sim.is_paused(fault.target[0]):
            sim.pause(fault.target[0])
    elif fault.kind == "resume":
        if sim.is_up(fault.target[0]) and sim.is_paused(fault.target[0]):
            sim.resume(fault.target[0])
    else:
        sim.heal()
