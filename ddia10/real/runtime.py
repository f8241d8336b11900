"""One protocol process run for real: the same node code, outside the simulator.

A :class:`RealNode` hosts a :class:`~ddia10.sim.Process` with a bare
:class:`~ddia10.sim.Context` and does what its outbox asks, the way the
simulated world would — only for real:

- ``Persist`` is appended to a JSON-lines log file and flushed to disk
  (``fsync``) before anything after it happens; a restart reads the file back
  as the process's stable storage;
- ``Send`` goes to the ``send(src, dst, msg)`` function the driver gives it
  (which may turn a message into SQL on a real database, say);
- timers run on the wall clock (:meth:`RealNode.fire_due` fires the due ones);
- ``Annotate``, ``Emit`` and the deliveries are written to a
  :class:`~ddia10.sim.Trace` with wall-clock milliseconds, so every view of a
  simulated run can show the real one too; ``Report`` facts go to
  ``observer``, if one is given.

:meth:`RealNode.crash` throws the process object, its timers and whatever it
had not yet done away, keeping only the log file: the same crash the
simulator models. ``crash_after`` makes a crash land between two effects of
one step (right after a given durable write), a point the simulator can only
reach with a slow disk.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Hashable, Iterable
from pathlib import Path
from typing import Any

from ..sim import Process, Trace
from ..sim.context import (
    Annotate,
    CancelTimer,
    Context,
    Emit,
    Persist,
    Report,
    Send,
    SetTimer,
)
from ..validate import check_callable


class RealNode:
    """``factory()`` builds the process (at start and at every restart); its
    stable storage is the file ``log``; it is known as ``pid`` among ``peers``."""

    def __init__(self, pid: Hashable, factory: Callable[[], Process], *, log: Path,
                 peers: Iterable[Hashable], send: Callable[[Hashable, Hashable, Any], None],
                 trace: Trace, clock: Callable[[], float],
                 observer: Callable[[Any], Any] | None = None) -> None:
        check_callable("factory", factory, what="a function returning a Process")
        check_callable("send", send, what="a function of (src, dst, msg)")
        check_callable("clock", clock, what="a function returning milliseconds")
        self.pid = pid
        self.factory = factory
        self.log = Path(log)
        self.peers = tuple(peers)
        self._send = send
        self.trace = trace
        self.clock = clock
        self.observer = observer
        self.process: Process | None = None
        self.ctx: Context | None = None
        self.timers: dict[Hashable, float] = {}  # name -> when it fires (clock ms)
        self.incarnation = 0
        self.crash_after: Callable[[Persist], bool] | None = None

    # ---------------------------------------------------------------- life
    @property
    def up(self) -> bool:
        return self.process is not None

    def start(self) -> None:
        """Start (or restart) the process from its log file."""
        if self.up:
            raise ValueError(f"{self.pid!r} is running; crash it before restarting")
        self.trace.append(self.clock(), "restart" if self.incarnation else "start", self.pid, {})
        self.ctx = Context(self.pid, peers=self.peers, now=self.clock(), stable=self.stable(),
                           incarnation=self.incarnation)
        self.process = self.factory()
        self.process.on_start(self.ctx)
        self._apply()

    def crash(self) -> None:
        """Lose everything but the log file."""
        if not self.up:
            raise ValueError(f"{self.pid!r} is already crashed")
        self.process = self.ctx = None
        self.timers = {}
        self.incarnation += 1
        self.trace.append(self.clock(), "crash", self.pid, {})

    def stable(self) -> dict:
        """What the log file holds: the last value written under each key."""
        stored: dict = {}
        if self.log.exists():
            for line in self.log.read_text().splitlines():
                if line.strip():
                    record = json.loads(line)
                    stored[record["key"]] = record["value"]
        return stored

    # ---------------------------------------------------------------- events
    def deliver(self, src: Hashable, msg: Any) -> None:
        """Hand ``msg`` from ``src`` to the process (dropped if it is down)."""
        if not self.up:
            self.trace.append(self.clock(), "drop", self.pid,
                              {"id": None, "src": src, "dst": self.pid, "msg": msg,
                               "reason": "crashed"})
            return
        self.trace.append(self.clock(), "deliver", self.pid,
                          {"id": None, "src": src, "dst": self.pid, "msg": msg})
        self.ctx.now = self.clock()
        self.process.on_message(self.ctx, src, msg)
        self._apply()

    def fire_due(self) -> bool:
        """Fire the earliest timer that is due; False if none is."""
        now = self.clock()
        due = [(when, repr(name), name) for name, when in self.timers.items() if when <= now]
        if not self.up or not due:
            return False
        _when, _key, name = min(due)
        del self.timers[name]
        self.trace.append(now, "timer", self.pid, {"name": name})
        self.ctx.now = now
        self.process.on_timer(self.ctx, name)
        self._apply()
        return True

    def next_timer(self) -> float | None:
        """When the next timer fires (clock ms), or ``None``."""
        return min(self.timers.values()) if self.timers else None

    def _apply(self) -> None:
        """Carry out the outbox in order; a crash may cut it short."""
        for effect in self.ctx.take():
            if isinstance(effect, Persist):
                self._write(effect)
                if self.crash_after is not None and self.crash_after(effect):
                    self.crash_after = None
                    self.crash()
                    return
            elif isinstance(effect, Send):
                self.trace.append(self.clock(), "send", self.pid,
                                  {"id": None, "src": self.pid, "dst": effect.dst,
                                   "msg": effect.msg})
                self._send(self.pid, effect.dst, effect.msg)
            elif isinstance(effect, SetTimer):
                self.timers[effect.name] = self.clock() + effect.delay
            elif isinstance(effect, CancelTimer):
                self.timers.pop(effect.name, None)
            elif isinstance(effect, Annotate):
                self.trace.append(self.clock(), "state", self.pid, effect.fields)
            elif isinstance(effect, Emit):
                self.trace.append(self.clock(), effect.kind, self.pid, effect.fields)
            elif isinstance(effect, Report) and self.observer is not None:
                self.observer(effect.fact)
            if not self.up:  # the driver crashed us while we were sending
                return

    def _write(self, effect: Persist) -> None:
        with open(self.log, "a") as f:
            f.write(json.dumps({"key": effect.key, "value": effect.value}) + "\n")
            f.flush()
            os.fsync(f.fileno())


def wall_clock() -> Callable[[], float]:
    """Milliseconds since now, on the monotonic clock: a real run's time axis."""
    start = time.monotonic()
    return lambda: (time.monotonic() - start) * 1000.0
