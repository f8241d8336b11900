"""Single-decree Paxos in a simulated world, with its safety monitor attached.

:class:`SingleDecree` is the harness chapters, tests and the explorer drive:
proposers ``P1..Pn``, acceptors ``A1..Am`` and pure learners ``L1..Lk`` (every
proposer learns too) on a :class:`~ddia10.sim.Simulation`, fault buttons
named as a reader would, and :meth:`SingleDecree.check_invariants`.

::

    from ddia10.paxos import SingleDecree
    p = SingleDecree(proposers=2, acceptors=3, seed=0)
    p.propose("P1", "red")
    p.run(50)
    p.chosen(), p.learned("P2")     # ('red', 'red')
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any

from ..sim import Simulation, SimulationTimeout, Trace
from .invariants import Learned, PaxosMonitor, Proposed, Voted
from .node import Cast, PaxosNode
from .options import PaxosOptions


def _count(name: str, value: Any, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValueError(f"{name} must be an int >= {least}, got {value!r}")
    return value


class SingleDecree:
    """``proposers`` proposers and ``acceptors`` acceptors agreeing on one value.

    Network settings (``latency``, ``loss``, ``duplicate``, ``reorder``) go to
    the simulation; every other keyword is a :class:`PaxosOptions` field
    (``retry_timeout``, ``backoff``, ``max_rounds``, ``bug_ignore_accepted``).
    """

    def __init__(
        self,
        proposers: int = 2,
        acceptors: int = 3,
        seed: int = 0,
        *,
        learners: int = 0,
        latency: Any = (1.0, 5.0),
        loss: float = 0.0,
        duplicate: float = 0.0,
        reorder: float = 0.0,
        trace: bool = True,
        **options: Any,
    ) -> None:
        _count("proposers", proposers, 1)
        _count("acceptors", acceptors, 1)
        _count("learners", learners, 0)
        unknown = set(options) - PaxosOptions.names()
        if unknown:
            raise ValueError(f"unknown Paxos option(s) {sorted(unknown)}; "
                             f"known: {sorted(PaxosOptions.names())}")
        self.options = PaxosOptions(**options)
        proposer_ids = tuple(f"P{i}" for i in range(1, proposers + 1))
        self.cast = Cast(
            proposers=proposer_ids,
            acceptors=tuple(f"A{i}" for i in range(1, acceptors + 1)),
            learners=proposer_ids + tuple(f"L{i}" for i in range(1, learners + 1)),
        )
        self.sim = Simulation(seed, latency=latency, loss=loss, duplicate=duplicate,
                              reorder=reorder, trace=trace)
        self.monitor = PaxosMonitor(self.cast.quorum)
        for pid in self.ids:
            self.sim.add(pid, self._factory(pid))

    def _factory(self, pid: Hashable) -> Callable[[], PaxosNode]:
        return lambda: PaxosNode(pid, self.cast, self.options)

    # ---------------------------------------------------------------- looking
    @property
    def trace(self) -> Trace:
        return self.sim.trace

    @property
    def ids(self) -> list:
        """Every process: proposers, then acceptors, then pure learners."""
        cast = self.cast
        return list(dict.fromkeys(cast.proposers + cast.acceptors + cast.learners))

    def node(self, pid: Hashable) -> PaxosNode:
        """The running process ``pid`` (to read, never to drive)."""
        self._known(pid)
        if not self.sim.is_up(pid):
            raise ValueError(f"process {pid!r} is crashed")
        return self.sim.process(pid)

    def chosen(self) -> Any:
        """The value chosen so far (a majority accepted it in one ballot), or ``None``.
        Raises :class:`~ddia10.paxos.InvariantViolation` if two values were."""
        self.check_invariants()
        values = self.monitor.chosen_values()
        return next(iter(values)) if values else None

    def learned(self, pid: Hashable) -> Any:
        """The value learner ``pid`` has learned, or ``None``."""
        if pid not in self.cast.learners:
            raise KeyError(f"{pid!r} is not a learner; learners are {list(self.cast.learners)}")
        learned = self.node(pid).learned
        return learned[0] if learned else None

    def check_invariants(self) -> None:
        """Raise :class:`~ddia10.paxos.InvariantViolation` if any safety property failed
        at any moment so far (the monitor keeps the whole history)."""
        self.monitor.check()

    # ---------------------------------------------------------------- clients
    def propose(self, proposer: Hashable, value: Any) -> None:
        """Ask ``proposer`` to get ``value`` chosen."""
        if proposer not in self.cast.proposers:
            raise KeyError(f"{proposer!r} is not a proposer; proposers are "
                           f"{list(self.cast.proposers)}")
        if value is None:
            raise ValueError("a proposed value cannot be None")
        try:
            hash(value)
        except TypeError:
            raise ValueError(f"a proposed value must be hashable, got {value!r}") from None
        node = self.node(proposer)
        if node.value is not None:
            raise ValueError(f"proposer {proposer!r} already proposes {node.value!r}")
        self.monitor.hear(Proposed(value))
        self.sim.call(proposer, lambda proc, ctx: proc.propose(ctx, value))
        self._observe()

    # ---------------------------------------------------------------- time
    def run(self, ms: float) -> None:
        """Advance simulated time by ``ms``."""
        if isinstance(ms, bool) or not isinstance(ms, (int, float)) or not ms >= 0:
            raise ValueError(f"run time must be a number of ms >= 0, got {ms!r}")
        done: list = []
        self.sim.after(ms, lambda sim: done.append(True), "end of run")
        while not done:
            self.sim.step()
            self._observe()

    def run_until(self, predicate: Callable[[SingleDecree], bool], timeout_ms: float) -> float:
        """Run until ``predicate(self)`` holds; the time it first held.
        Raises :class:`~ddia10.sim.SimulationTimeout` after ``timeout_ms``."""
        if isinstance(timeout_ms, bool) or not isinstance(timeout_ms, (int, float)) \
                or not timeout_ms >= 0:
            raise ValueError(f"timeout must be a number of ms >= 0, got {timeout_ms!r}")
        done: list = []
        self.sim.after(timeout_ms, lambda sim: done.append(True), "timeout")
        while not predicate(self):
            if done:
                raise SimulationTimeout(f"condition not reached within {timeout_ms:g} ms "
                                        f"of simulated time (now={self.sim.now:g})")
            self.sim.step()
            self._observe()
        return self.sim.now

    def _observe(self) -> None:
        for pid in self.cast.acceptors:
            if self.sim.is_up(pid):
                ballot, value = self.sim.process(pid).accepted
                if ballot:
                    self.monitor.hear(Voted(pid, ballot, value))
        for pid in self.cast.learners:
            if self.sim.is_up(pid):
                for value in self.sim.process(pid).learned:
                    self.monitor.hear(Learned(pid, value))

    # ---------------------------------------------------------------- faults
    def crash(self, pid: Hashable) -> None:
        self._known(pid)
        if not self.sim.is_up(pid):
            raise ValueError(f"process {pid!r} is already crashed")
        self.sim.crash(pid)

    def restart(self, pid: Hashable) -> None:
        self._known(pid)
        if self.sim.is_up(pid):
            raise ValueError(f"process {pid!r} is running; crash it before restarting")
        self.sim.restart(pid)

    def disconnect(self, pid: Hashable) -> None:
        self._known(pid)
        self.sim.disconnect(pid)

    def connect(self, pid: Hashable) -> None:
        self._known(pid)
        self.sim.reconnect(pid)

    def partition(self, *groups: Iterable[Hashable]) -> None:
        self.sim.partition(*groups)

    def heal(self) -> None:
        self.sim.heal()

    def _known(self, pid: Hashable) -> None:
        if pid not in self.ids:
            raise KeyError(f"unknown process id {pid!r}; processes are {self.ids}")

    def __repr__(self) -> str:
        chosen = self.monitor.chosen_values()
        return (f"SingleDecree(t={self.sim.now:g}, {len(self.cast.proposers)} proposers, "
                f"{len(self.cast.acceptors)} acceptors, chosen={sorted(chosen, key=repr)})")
