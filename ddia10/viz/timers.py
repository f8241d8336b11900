"""The timers a reader watches run down: election, heartbeat, lease.

A player asks the simulator, after every event it runs, which timers are armed
and when each fires (:meth:`~ddia10.sim.Simulation.deadlines`): that is the
protocol's own deadline, set through its context, not a guess of the view. A
deadline that moves means the timer was armed again at that moment (a
heartbeat arrived, an election started), so the watch knows when each timer
was armed and can draw what is left of it as a fraction of its whole length.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from ..sim import Simulation

SHOWN: tuple[str, ...] = ("election", "leader-silent", "heartbeat", "lease")
"""The timer names players draw, in the order of their rings (innermost first)."""

TIMER_COLORS: dict[str, str] = {
    "election": "#e65100",
    "leader-silent": "#e65100",
    "heartbeat": "#1565c0",
    "lease": "#6a1b9a",
}
"""Ring colour per timer name: the timers that start an election share one."""


@dataclass(frozen=True)
class Countdown:
    """Timer ``name`` of process ``pid``: armed at ``armed`` ms, fires at ``due`` ms."""

    pid: Hashable
    name: str
    armed: float
    due: float

    def left(self, now: float) -> float:
        """Milliseconds until it fires (0 once due)."""
        return max(0.0, self.due - now)

    def fraction(self, now: float) -> float:
        """What is left of it, from 1 (just armed) down to 0 (firing)."""
        span = self.due - self.armed
        return 1.0 if span <= 0 else min(1.0, self.left(now) / span)


class TimerWatch:
    """Follows a simulation's armed timers named in ``names``, event by event."""

    def __init__(self, names: Iterable[str] = SHOWN) -> None:
        self.names = tuple(names)
        self._armed: dict[tuple, tuple[float, float]] = {}  # (pid, name) -> (due, armed)

    def observe(self, sim: Simulation) -> None:
        """Look at ``sim`` after an event: a new or moved deadline was armed now."""
        now, seen = sim.now, {}
        for key, due in sim.deadlines().items():
            if key[1] not in self.names:
                continue
            before = self._armed.get(key)
            seen[key] = before if before is not None and before[0] == due else (due, now)
        self._armed = seen

    def countdowns(self) -> tuple[Countdown, ...]:
        """The armed timers, by process and then in :data:`SHOWN` order."""
        order = {name: i for i, name in enumerate(self.names)}
        return tuple(
            Countdown(pid, name, armed, due)
            for (pid, name), (due, armed) in sorted(
                self._armed.items(), key=lambda kv: (str(kv[0][0]), order[kv[0][1]]))
        )
