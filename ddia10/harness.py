"""What every protocol's harness does the same way: a world, a monitor, time and faults.

A harness builds a cluster of one protocol's servers on a
:class:`~ddia10.sim.Simulation` and keeps the protocol's safety monitor beside
it. :class:`Harness` is the part that does not depend on the protocol, written
once for ZAB, Viewstamped Replication and EPaxos (chapter 7):

- the servers are processes ``1..n`` (:attr:`Harness.ids`); :meth:`Harness.node`
  reads one, :meth:`Harness.nodes` the running ones;
- :meth:`Harness.run` and :meth:`Harness.run_until` advance time; with
  ``check_every_event=True`` they step the world one event at a time and ask
  the monitor after each (:meth:`Harness.check_invariants`);
- the fault buttons (crash, restart, disconnect, connect, partition, heal)
  check their argument and call the world;
- :meth:`Harness.snapshot`, :meth:`Harness.restore` and
  :meth:`Harness.fingerprint` take the monitor along with the world, so a run
  that branches from a snapshot is judged on its own history.

The monitor hears what the servers report through the world's observer; it
needs ``hear(fact)``, ``check()`` (raise
:class:`~ddia10.invariants.InvariantViolation` if any property failed so far)
and ``fingerprint()`` (a hashable summary of what it heard).
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from .sim import Process, Simulation, SimulationTimeout, Trace, canonical
from .validate import check_int, check_known, check_number


class FaultButtons:
    """The fault buttons of a harness: each checks its argument with the
    harness's ``_known`` and calls its world, ``self.sim``. ``noun`` names a
    process in the messages (a server, or any process of the run)."""

    sim: Simulation
    noun = "process"

    def _known(self, pid: Hashable) -> None:
        raise NotImplementedError

    def crash(self, pid: Hashable) -> None:
        self._known(pid)
        if not self.sim.is_up(pid):
            raise ValueError(f"{self.noun} {pid!r} is already crashed")
        self.sim.crash(pid)

    def restart(self, pid: Hashable) -> None:
        self._known(pid)
        if self.sim.is_up(pid):
            raise ValueError(f"{self.noun} {pid!r} is running; crash it before restarting")
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


class Harness(FaultButtons):
    """``n`` servers ``1..n`` built by ``factory(pid, ids)``, judged by ``monitor``.

    Network settings (``latency``, ``loss``, ``duplicate``, ``reorder``) go to
    the simulation. ``trace=False`` records nothing (for many-trial runs).
    """

    noun = "server"

    def __init__(self, n: int, seed: int, factory: Callable[[Hashable, tuple], Process],
                 monitor: Any, *, latency: Any = (1.0, 5.0), loss: float = 0.0,
                 duplicate: float = 0.0, reorder: float = 0.0, trace: bool = True,
                 check_every_event: bool = False) -> None:
        check_int("cluster size", n, min=1)
        self.check_every_event = bool(check_every_event)
        self.monitor = monitor
        self.sim = Simulation(seed, latency=latency, loss=loss, duplicate=duplicate,
                              reorder=reorder, trace=trace, observer=monitor.hear)
        self._ids = tuple(range(1, n + 1))
        for pid in self._ids:
            self.sim.add(pid, lambda pid=pid: factory(pid, self._ids))

    # ---------------------------------------------------------------- looking
    @property
    def trace(self) -> Trace:
        return self.sim.trace

    @property
    def ids(self) -> list:
        """Every server id, running or not."""
        return list(self._ids)

    def node(self, pid: Hashable) -> Any:
        """The running server ``pid`` (to read, never to drive)."""
        self._known(pid)
        if not self.sim.is_up(pid):
            raise ValueError(f"server {pid!r} is crashed")
        return self.sim.process(pid)

    def nodes(self) -> dict:
        """The running servers by id."""
        return {pid: self.sim.process(pid) for pid in self._ids if self.sim.is_up(pid)}

    def check_invariants(self) -> None:
        """Raise :class:`~ddia10.invariants.InvariantViolation` if a safety property
        failed at any moment so far (the monitor keeps the whole history)."""
        self.monitor.check()

    # ---------------------------------------------------------------- time
    def run(self, ms: float) -> None:
        """Advance simulated time by ``ms``."""
        check_number("run time", ms, min=0, unit="ms")
        if not self.check_every_event:
            self.sim.run(ms)
            return
        done: list = []
        self.sim.after(ms, lambda sim: done.append(True), "end of run")
        while not done and self.sim.step():
            self.check_invariants()

    def run_until(self, predicate: Callable[[Any], bool], timeout_ms: float) -> float:
        """Run until ``predicate(self)`` holds; the time it first held. Raises
        :class:`~ddia10.sim.SimulationTimeout` after ``timeout_ms``."""
        check_number("timeout", timeout_ms, min=0, unit="ms")
        if not self.check_every_event:
            return self.sim.run_until(lambda sim: predicate(self), timeout_ms)
        done: list = []
        self.sim.after(timeout_ms, lambda sim: done.append(True), "timeout")
        while not predicate(self):
            if done or not self.sim.step():
                raise SimulationTimeout(f"condition not reached within {timeout_ms:g} ms "
                                        f"of simulated time (now={self.sim.now:g})")
            self.check_invariants()
        return self.sim.now

    def leader(self) -> Hashable | None:
        """The server a client's command goes to by default (each protocol says)."""
        raise NotImplementedError

    def wait_for_leader(self, timeout_ms: float = 5000) -> Hashable:
        """Run until :meth:`leader` names a server; its id."""
        self.run_until(lambda h: h.leader() is not None, timeout_ms)
        return self.leader()

    # ---------------------------------------------------------------- exploration
    def snapshot(self) -> Any:
        """The world and everything the monitor heard."""
        return self.sim.snapshot(), copy.deepcopy(self.monitor)

    def restore(self, snap: Any) -> None:
        """Return to :meth:`snapshot`, monitor included."""
        world, monitor = snap
        self.sim.restore(world)
        self.monitor = copy.deepcopy(monitor)
        self.sim.observe(self.monitor.hear)

    def fingerprint(self) -> str:
        """A hash of the world's state and of the monitor's history: two states with
        the same fingerprint are the same to the protocol and to every check."""
        blob = repr((self.sim.fingerprint(), canonical(self.monitor.fingerprint())))
        return hashlib.sha256(blob.encode()).hexdigest()

    # ---------------------------------------------------------------- helpers
    def _known(self, pid: Hashable) -> None:
        check_known("server id", pid, self._ids)

    def _call(self, pid: Hashable, fn: Callable[..., Any]) -> Any:
        self._known(pid)
        if not self.sim.is_up(pid):
            raise ValueError(f"server {pid!r} is crashed")
        return self.sim.call(pid, fn)
