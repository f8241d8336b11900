"""Every interleaving of a small world, checked: the explorer.

A simulation run follows one schedule: the one its seed and latencies pick.
A bug that needs a particular order of deliveries, losses, timeouts and
crashes may hide from thousands of seeded runs. The explorer drops time
altogether. In each state it asks the world what *could* happen next
(:meth:`~ddia10.sim.Simulation.enabled`: deliver any message in flight, lose
it, fire any armed timer, run a scheduled action, and, when allowed, crash or
restart a process) and tries every one, the way a model checker such as TLC
or stateright does:

- **Breadth first**, so the first violation found comes with a *shortest*
  path to it: the counterexample a reader can follow.
- **State hashing**: a state already seen is not expanded again. The harness
  says what a state is (:meth:`fingerprint`): the world's processes, storage,
  messages in flight and timers, *and* everything its safety monitor has
  heard, so two histories that end in the same world but differ in what the
  monitor must remember are never merged.
- **Sleep sets** (Godefroid, *Partial-Order Methods for the Verification of
  Concurrent Systems*, 1996): two steps at different processes (a delivery to
  one, a timer of another) commute, so after trying one and then the other
  from a state, the search need not try them again the other way round from
  the state after the second. That skips steps, never states: every state is
  still visited, at the same depth (a test compares the two searches).
- **Every state judged**: the harness's ``check_invariants`` and each
  :class:`Always` property run after every transition; each
  :class:`Sometimes` property is reported reached or not, so a model too
  weak to reach the interesting states cannot pass for a proof.
- **Exhausted or not**: with no depth, state or time bound the search ends
  only when no new state is left, and the report says ``exhausted``. A bound
  that cut the search short is reported as such.
- **Random walks** for worlds too big to exhaust: many random schedules of
  bounded length, checked the same way.

A model to explore is any harness that offers ``sim`` (a
:class:`~ddia10.sim.Simulation`), ``snapshot()``/``restore()``,
``fingerprint()`` and ``check_invariants()``: :class:`~ddia10.paxos.SingleDecree`,
:class:`~ddia10.raft.RaftCluster` and :class:`~ddia10.twopc.TwoPC` do.
``build()`` returns one at the initial state, the same every time. A
counterexample replays in a fresh harness from ``build()``, with its trace
recorded, so it plays in the players like any other run
(:meth:`Counterexample.replay`, :meth:`Counterexample.world`).
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .invariants import InvariantViolation
from .runtime import progress as progress_bar
from .sim import Choice, Simulation
from .validate import check_callable, check_choice, check_int, check_number

MODES = ("bfs", "walk")


@dataclass(frozen=True)
class Always:
    """A property every reachable state must have: ``check(harness, via)`` is true,
    where ``via`` is the :class:`~ddia10.sim.Choice` that led to the state
    (``None`` in the initial state)."""

    name: str
    check: Callable[[Any, Choice | None], bool]


@dataclass(frozen=True)
class Sometimes:
    """A property some reachable state should have (it shows the model can get
    somewhere interesting); same ``check`` signature as :class:`Always`."""

    name: str
    check: Callable[[Any, Choice | None], bool]


@dataclass(frozen=True)
class Counterexample:
    """A schedule that breaks a property, and how to watch it happen.

    ``path`` is the list of choices from the initial state; ``violation``
    says which property failed and how.
    """

    path: tuple[Choice, ...]
    violation: InvariantViolation
    build: Callable[[], Any] = field(repr=False)

    def __len__(self) -> int:
        return len(self.path)

    def replay(self) -> Any:
        """A fresh harness driven along the path, its trace recorded."""
        harness = self.build()
        for choice in self.path:
            harness.sim.apply(choice)
        return harness

    def world(self) -> Any:
        """A fresh harness at the initial state whose simulation takes exactly the
        steps of the path, one per :meth:`~ddia10.sim.Simulation.step`, then
        stops: a world a :class:`~ddia10.viz.Scenario` can play."""
        harness = self.build()
        steps = iter(self.path)
        harness.sim.chooser = lambda sim, choices: next(steps, None)
        return harness

    @property
    def labels(self) -> list[str]:
        return [choice.label for choice in self.path]


@dataclass
class Exploration:
    """What an exploration found.

    ``verdict`` is ``"holds"`` (no property broken), ``"violated"``.
    ``exhausted`` is true only when every reachable state was visited (no
    bound cut the search short), so ``holds`` and ``exhausted`` together are a
    proof for this configuration. ``states`` counts distinct states,
    ``transitions`` the steps taken (each revisit included); ``seconds`` is
    wall time, ``cpu_seconds`` the processor time this process used (the
    fairer figure on a busy machine).
    """

    mode: str
    verdict: str
    exhausted: bool
    states: int
    transitions: int
    depth: int
    seconds: float
    cpu_seconds: float
    reached: dict[str, int | None]
    counterexample: Counterexample | None = None
    bound: str | None = None

    @property
    def states_per_second(self) -> float:
        return self.states / self.seconds if self.seconds > 0 else float("inf")

    @property
    def collision_odds(self) -> float:
        """Odds that two of the states hashed alike (64-bit fingerprints, as TLC
        reports them): about n^2 / 2^65."""
        return self.states ** 2 / 2.0 ** 65

    def summary(self) -> dict[str, Any]:
        """The figures of this run as one plain record."""
        return {
            "mode": self.mode,
            "verdict": self.verdict,
            "exhausted": self.exhausted,
            "states": self.states,
            "transitions": self.transitions,
            "depth": self.depth,
            "seconds": round(self.seconds, 2),
            "cpu seconds": round(self.cpu_seconds, 2),
            "states/s": round(self.states_per_second),
            "counterexample length": None if self.counterexample is None
            else len(self.counterexample),
            "bound": self.bound,
        }

    def unreached(self) -> list[str]:
        """The Sometimes properties no visited state had."""
        return [name for name, depth in self.reached.items() if depth is None]


def explore(
    build: Callable[[], Any],
    *,
    properties: Iterable[Always | Sometimes] = (),
    mode: str = "bfs",
    max_depth: int | None = None,
    max_states: int | None = None,
    seconds: float | None = None,
    crashes: int = 0,
    restarts: bool = False,
    timeouts: int | None = None,
    walks: int = 1000,
    seed: int = 0,
    losses: bool = True,
    reduced: bool = False,
    sleep_sets: bool = True,
    progress: bool = True,
) -> Exploration:
    """Explore the world ``build()`` returns; see the module docstring.

    ``mode`` is ``"bfs"`` (exhaustive, shortest counterexample) or ``"walk"``
    (``walks`` random schedules of at most ``max_depth`` steps, drawn from
    ``seed``). ``crashes`` bounds how many crashes one schedule may hold;
    ``restarts`` lets a crashed process restart. ``timeouts`` bounds how many
    times each process's timers may fire in one schedule (``None``: no
    bound): a protocol whose timers re-arm forever (Raft's elections) has
    infinitely many states, and a bound on timeouts is what makes it finite,
    as ``max_rounds`` does for a Paxos proposer. ``max_depth``,
    ``max_states`` and ``seconds`` bound the search (``None``: no bound; a
    breadth-first search with none runs until it has seen every state).

    ``reduced=True`` judges states by the harness's ``reduced_fingerprint()``,
    which hashes alike states the harness knows no property can tell apart
    and whose futures match: for Paxos, states that differ by a renaming of
    the interchangeable acceptors (symmetry) or by messages their receiver
    will ignore. One state of each such family is visited, with no loss of
    soundness; counts are then of families, not of states.

    ``losses=False`` never loses a message. For properties that read the
    processes and the monitor, not the messages in flight (all of this book's),
    that hides no violation and no shortest counterexample, so a proof may
    leave losses out: a lost message is one that is never delivered, and a
    schedule that loses messages leaves every process and the monitor exactly
    where the same schedule leaves them with those messages still on the wire,
    undelivered (a test checks that the two searches meet the same process
    states). What it cannot show is a loss itself: a "message lost"
    :class:`Sometimes` needs losses in.

    ``sleep_sets=False`` turns sleep sets off (see the module docstring): the
    same states, more steps; for checking that claim.
    """
    properties = _check_properties(properties)
    check_choice("mode", mode, MODES)
    check_int("max_depth", max_depth, min=0, none=True)
    check_int("max_states", max_states, min=1, none=True)
    check_number("seconds", seconds, positive=True, none=True)
    check_int("crashes", crashes, min=0)
    check_int("timeouts", timeouts, min=0, none=True)
    if mode == "walk" and max_depth is None:
        raise ValueError("a random walk needs max_depth, the length of each walk")
    check_callable("build", build, what="a function returning a harness")
    search = _Search(build, properties, crashes, bool(restarts), timeouts, bool(losses),
                     bool(reduced), bool(sleep_sets), max_depth, max_states, seconds, progress)
    if mode == "bfs":
        return search.breadth_first()
    check_int("walks", walks, min=1)
    return search.random_walks(walks, random.Random(seed))


class _Search:
    def __init__(self, build, properties, crashes, restarts, timeouts, losses, reduced,
                 sleep_sets, max_depth, max_states, seconds, progress) -> None:
        self.build = build
        self.always = [p for p in properties if isinstance(p, Always)]
        self.sometimes = [p for p in properties if isinstance(p, Sometimes)]
        self.reached: dict[str, int | None] = {p.name: None for p in self.sometimes}
        self.crashes = crashes
        self.restarts = restarts
        self.sleep_sets = sleep_sets
        self.timeouts = timeouts
        self.losses = losses
        self.max_depth = max_depth
        self.max_states = max_states
        self.seconds = seconds
        self.progress = progress
        self.harness = build()
        _check_harness(self.harness)
        self.harness.sim.tracing = False
        if reduced and not hasattr(self.harness, "reduced_fingerprint"):
            raise ValueError(f"reduced=True needs a harness with reduced_fingerprint(); "
                             f"{type(self.harness).__name__} has none")
        self.fingerprint = (self.harness.reduced_fingerprint if reduced
                            else self.harness.fingerprint)
        self.pids = self.harness.sim.pids
        self.started = time.perf_counter()
        self.cpu_started = time.process_time()
        self.transitions = 0

    # ------------------------------------------------------------------ one state
    def _judge(self, via: Choice | None, depth: int) -> InvariantViolation | None:
        """Check every property in the harness's current state."""
        h = self.harness
        try:
            h.check_invariants()
        except InvariantViolation as violation:
            return violation
        for prop in self.always:
            if not prop.check(h, via):
                after = via.label if via else "the start"
                return InvariantViolation(prop.name, f"broken after {after}")
        for prop in self.sometimes:
            if self.reached[prop.name] is None and prop.check(h, via):
                self.reached[prop.name] = depth
        return None

    # ------------------------------------------------------------------ budgets
    def _unspent(self) -> tuple:
        """What a schedule has used of its budgets: crashes, and each process's timeouts."""
        return 0, (0,) * len(self.pids) if self.timeouts is not None else ()

    def _spend(self, spent: tuple, choice: Choice) -> tuple:
        crashes, timers = spent
        if choice.kind == "crash":
            crashes += 1
        elif choice.kind == "timer" and timers:
            i = self.pids.index(choice.pid)
            timers = timers[:i] + (timers[i] + 1,) + timers[i + 1:]
        return crashes, timers

    def _choices(self, spent: tuple) -> list[Choice]:
        sim = self.harness.sim
        crashes, timers = spent
        options = sim.enabled(crashes=crashes < self.crashes, restarts=self.restarts)
        if not self.losses:
            options = [c for c in options if c.kind != "drop"]
        if timers:
            options = [c for c in options if c.kind != "timer"
                       or timers[self.pids.index(c.pid)] < self.timeouts]
        return options

    def _quiet(self) -> dict:
        return {} if self.progress else {"disable": True}

    def _out_of_time(self) -> bool:
        return self.seconds is not None and time.perf_counter() - self.started > self.seconds

    def _report(self, mode, states, depth, violation=None, path=(), bound=None) -> Exploration:
        cx = None if violation is None else Counterexample(tuple(path), violation, self.build)
        return Exploration(mode=mode, verdict="holds" if violation is None else "violated",
                      exhausted=violation is None and bound is None, states=states,
                      transitions=self.transitions, depth=depth,
                      seconds=time.perf_counter() - self.started,
                      cpu_seconds=time.process_time() - self.cpu_started,
                      reached=dict(self.reached), counterexample=cx, bound=bound)

    # ------------------------------------------------------------------ breadth first
    def breadth_first(self) -> Exploration:
        """Level by level, with sleep sets (see the module docstring). A state
        waiting in the frontier is kept as its parent's snapshot and the step
        from there, so siblings share one snapshot and memory grows with the
        states expanded, not with those waiting."""
        h = self.harness
        spent = self._unspent()
        root = self._key(spent)
        parents: dict = {root: None}
        slept: dict = {root: _NOTHING}  # the steps a state's expansion skips
        expanded: set = set()
        violation = self._judge(None, 0)
        if violation is not None:
            return self._report("bfs", 1, 0, violation)
        frontier = deque([(h.snapshot(), None, root, spent, 0, None)])
        bound, deepest = None, 0
        bar = progress_bar(None, desc="exploring", unit=" states", **self._quiet())
        try:
            while frontier:
                parent, step, key, spent, depth, only = frontier.popleft()
                if self.max_depth is not None and depth >= self.max_depth:
                    bound = f"depth {self.max_depth}"
                    continue
                if self._out_of_time():
                    bound = f"{self.seconds:g} s"
                    break
                h.restore(parent)
                if step is not None:
                    h.sim.apply(step)
                snap = h.snapshot()
                if only is None:
                    skip, expanded_now = slept[key], True
                    expanded.add(key)
                else:
                    skip, expanded_now = _NOTHING, False
                done: list = []
                for choice, what in self._steps(spent):
                    if what in skip or (only is not None and what not in only):
                        continue
                    if done:
                        h.restore(snap)
                    h.sim.apply(choice)
                    self.transitions += 1
                    asleep = _NOTHING if not self.sleep_sets else frozenset(
                        t for t in (*skip, *done) if _independent(t, what)) if expanded_now \
                        else frozenset(t for t in done if _independent(t, what))
                    done.append(what)
                    after = self._spend(spent, choice)
                    child = self._key(after)
                    if child in parents:
                        self._wake(child, asleep, slept, expanded, frontier,
                                   (snap, choice, child, after, depth + 1))
                        continue
                    parents[child] = (key, choice)
                    slept[child] = asleep
                    bar.update(1)
                    deepest = max(deepest, depth + 1)
                    violation = self._judge(choice, depth + 1)
                    if violation is not None:
                        return self._report("bfs", len(parents), deepest, violation,
                                            _path(parents, child))
                    if self.max_states is not None and len(parents) >= self.max_states:
                        return self._report("bfs", len(parents), deepest,
                                            bound=f"{self.max_states} states")
                    frontier.append((snap, choice, child, after, depth + 1, None))
        finally:
            bar.close()
        return self._report("bfs", len(parents), deepest, bound=bound)

    @staticmethod
    def _wake(key, asleep, slept, expanded, frontier, entry) -> None:
        """A state reached again, by a path that leaves fewer of its steps
        covered: it may skip only what every path covers, and if it was already
        expanded, the steps it skipped that this path does not cover are taken
        now (the re-expansion sleep sets need when states are remembered)."""
        before = slept[key]
        if before <= asleep:
            return
        slept[key] = before & asleep
        if key in expanded:
            frontier.append((*entry, before - asleep))

    def _steps(self, spent: tuple) -> list[tuple[Choice, tuple]]:
        """The choices from here, each with what it does (the same in every
        schedule that reaches this state, unlike its ``ref``)."""
        doing = self.harness.sim.steps()
        return [(c, (c.kind, c.pid, doing.get(c.ref))) for c in self._choices(spent)]

    def _key(self, spent: tuple) -> int:
        """The current state as the search knows it: its fingerprint, and what its
        schedule has spent of the budgets (which decides what may happen next)."""
        fingerprint = self.fingerprint()
        return hash((fingerprint, spent)) if spent != (0, ()) else fingerprint

    # ------------------------------------------------------------------ random walks
    def random_walks(self, walks: int, rng: random.Random) -> Exploration:
        h = self.harness
        seen = {self._key(self._unspent())}
        violation = self._judge(None, 0)
        if violation is not None:
            return self._report("walk", 1, 0, violation)
        root = h.snapshot()
        bound = f"{walks} walks of at most {self.max_depth} steps"
        for _ in progress_bar(range(walks), desc="random walks", unit=" walks",
                              **self._quiet()):
            if self._out_of_time():
                bound = f"{self.seconds:g} s"
                break
            h.restore(root)
            path: list[Choice] = []
            spent = self._unspent()
            while len(path) < self.max_depth:
                options = self._choices(spent)
                if not options:
                    break
                choice = rng.choice(options)
                h.sim.apply(choice)
                self.transitions += 1
                spent = self._spend(spent, choice)
                path.append(choice)
                seen.add(self._key(spent))
                violation = self._judge(choice, len(path))
                if violation is not None:
                    return self._report("walk", len(seen), len(path), violation, path)
        return self._report("walk", len(seen), self.max_depth, bound=bound)


_NOTHING: frozenset = frozenset()
_LOCAL = frozenset({"deliver", "drop", "timer"})


def _independent(a: tuple, b: tuple) -> bool:
    """Two steps commute and neither disables the other: each delivers, loses or
    fires something at a different process. (A crash, a restart and a
    scheduled action are taken to depend on everything.)"""
    return a[0] in _LOCAL and b[0] in _LOCAL and a[1] != b[1]


def _path(parents: dict, key: Any) -> list[Choice]:
    path = []
    while parents[key] is not None:
        key, choice = parents[key]
        path.append(choice)
    return path[::-1]


def _check_properties(properties: Iterable[Any]) -> list:
    props = list(properties)
    names = set()
    for p in props:
        if not isinstance(p, (Always, Sometimes)):
            raise ValueError(f"properties are Always(...) or Sometimes(...), got {p!r}")
        if not callable(p.check):
            raise ValueError(f"property {p.name!r} needs a callable check, got {p.check!r}")
        if p.name in names:
            raise ValueError(f"two properties are named {p.name!r}")
        names.add(p.name)
    return props


def _check_harness(h: Any) -> None:
    missing = [name for name in ("sim", "snapshot", "restore", "fingerprint", "check_invariants")
               if not hasattr(h, name)]
    if missing:
        raise ValueError(f"build() must return a harness with sim, snapshot, restore, fingerprint "
                         f"and check_invariants; {type(h).__name__} lacks {missing}")
    if not isinstance(h.sim, Simulation):
        raise ValueError(f"the harness's sim must be a Simulation, got {type(h.sim).__name__}")
