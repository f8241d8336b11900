"""What a handler may ask for, written down: the :class:`Context` of one process.

A handler never acts on the world itself. Everything it wants done it asks of
the context it is handed, and the context records the request as an *effect*
in its outbox, in the order asked. The world applies the outbox after the
handler returns, in that same order (stateright's ``Out`` buffer, etcd's
``Ready``). Two things follow:

- **One node can be stepped alone.** A test builds a bare
  ``Context(pid, peers=..., now=..., seed=..., stable=...)``, calls one handler
  and reads :attr:`Context.outbox`: the messages, timers and durable writes
  that handler produced, with no simulation around it.
- **The same node code runs anywhere** that can apply the effects: the
  simulator, a model checker that picks each next event, or a real network.

==============  =====================  ============================================
effect          fields                 what the world does with it
==============  =====================  ============================================
``Send``        ``dst, msg``           puts ``msg`` on the link to ``dst``
``SetTimer``    ``delay, name``        arms timer ``name`` ``delay`` ms of local
                                       time from now (replacing one of that name)
``CancelTimer`` ``name``               disarms timer ``name`` (if armed)
``Persist``     ``key, value``         writes ``value`` to stable storage
``Annotate``    ``fields``             a ``state`` event in the trace
``Emit``        ``kind, fields``       an ``invoke``/``return``/``note`` event
``Report``      ``fact``               hands ``fact`` to the world's observer
                                       (a safety monitor); not in the trace
==============  =====================  ============================================

Mistakes of the caller fail at the call, not later while the world applies
the outbox: a timer delay that is not a finite number >= 0, a message to an
unknown process, an ``emit`` kind that is none of the three. ``persist``
copies its value at the call, so changing the object afterwards changes
nothing stored. :attr:`Context.stable` shows storage with this step's pending
writes already in it, as a handler that wrote and then reads expects.

Effects are recorded as plain tuples, the cheapest thing to make on every
message's path, and become the named types above when read through
:attr:`Context.outbox` or :meth:`Context.take`.
"""

from __future__ import annotations

import copy
import math
import random
from collections.abc import Hashable, Iterable
from typing import Any, NamedTuple

from ..validate import check_instance, check_int, check_number, check_pid


class Send(NamedTuple):
    """Send ``msg`` to process ``dst``."""

    dst: Hashable
    msg: Any


class SetTimer(NamedTuple):
    """Fire ``on_timer(name)`` after ``delay`` ms of local time."""

    delay: float
    name: Hashable


class CancelTimer(NamedTuple):
    """Disarm the timer ``name``."""

    name: Hashable


class Persist(NamedTuple):
    """Write ``value`` (already copied) under ``key`` in stable storage."""

    key: str
    value: Any


class Annotate(NamedTuple):
    """Protocol state for the trace (``role=...``, ``term=...``)."""

    fields: dict


class Emit(NamedTuple):
    """A client ``invoke``/``return`` or a ``note`` for the trace."""

    kind: str
    fields: dict


class Report(NamedTuple):
    """A self-contained fact for the world's observer (a safety monitor)."""

    fact: Any


Effect = Send | SetTimer | CancelTimer | Persist | Annotate | Emit | Report
EMIT_KINDS = ("invoke", "return", "note")


class Context:
    """Everything a process may touch, and the record of what it asked for.

    Built bare, as ``Context(pid, peers=(2, 3), now=0.0, seed=0, stable={...})``,
    it stands alone: ``now`` is a plain number a test may move, ``rng`` is the
    same stream the world would give process ``pid`` in incarnation
    ``incarnation`` of a run seeded ``seed``, and ``stable`` starts as the
    given storage. Inside a :class:`~ddia10.sim.Simulation` the world builds
    it and applies its outbox after every handler.
    """

    __slots__ = ("pid", "incarnation", "rng", "peers", "now", "_effects", "_known", "_storage")

    def __init__(
        self,
        pid: Hashable,
        *,
        peers: Iterable[Hashable] = (),
        now: float = 0.0,
        seed: int = 0,
        stable: dict | None = None,
        incarnation: int = 0,
    ) -> None:
        check_pid("process id", pid)
        peers = tuple(peers)
        if pid in peers:
            raise ValueError(f"peers must not include the process itself ({pid!r})")
        check_number("now", now, unit="ms")
        check_int("seed", seed)
        check_instance("stable", stable, dict, none=True)
        check_int("incarnation", incarnation, min=0)
        self.pid = pid
        self.incarnation = incarnation
        self.rng = process_rng(seed, pid, incarnation)
        self.peers = peers
        self.now = float(now)
        self._effects: list[tuple] = []
        self._known = frozenset(peers) | {pid}
        self._storage = copy.deepcopy(stable) if stable else {}

    # ---------------------------------------------------------------- what a handler asks for
    def send(self, dst: Hashable, msg: Any) -> None:
        """Send ``msg`` to ``dst``."""
        if dst not in self._known:
            raise KeyError(f"process {self.pid!r} sent to unknown process id {dst!r}")
        self._effects.append((Send, dst, msg))

    def set_timer(self, delay: float, name: Hashable = "timer") -> None:
        """Fire ``on_timer(name)`` after ``delay`` ms of *local* time; replaces a
        pending timer of the same name."""
        # check_number's rule, inlined: every handler sets timers, so no extra call here
        if (delay.__class__ is not float and delay.__class__ is not int) or not (
            0 <= delay < math.inf
        ):
            raise ValueError(f"timer delay must be a finite number >= 0 ms, got {delay!r}")
        self._effects.append((SetTimer, delay, name))

    def cancel_timer(self, name: Hashable = "timer") -> None:
        self._effects.append((CancelTimer, name))

    def persist(self, key: str, value: Any) -> None:
        """Write ``value`` to stable storage; it survives crashes (copied now)."""
        self._effects.append((Persist, key, copy.deepcopy(value)))

    def annotate(self, **fields: Any) -> None:
        """Record protocol state (``role=``, ``term=``, ...) in the trace."""
        self._effects.append((Annotate, fields))

    def emit(self, kind: str, **fields: Any) -> None:
        """Record a client ``invoke``/``return`` or a ``note`` in the trace."""
        if kind not in EMIT_KINDS:
            raise ValueError(f"emit kind must be 'invoke', 'return' or 'note', got {kind!r}")
        self._effects.append((Emit, kind, fields))

    def report(self, fact: Any) -> None:
        """Tell the world's observer (a safety monitor) a fact. A fact carries
        everything the observer needs: it is read after the handler returns."""
        self._effects.append((Report, fact))

    # ---------------------------------------------------------------- reading
    @property
    def stable(self) -> dict:
        """A copy of what this process persisted, this step's writes included."""
        return self._overlay(dict(self._storage))

    @property
    def outbox(self) -> list[Effect]:
        """The effects asked for so far (since the last :meth:`take`), in order."""
        return [effect[0](*effect[1:]) for effect in self._effects]

    def take(self) -> list[Effect]:
        """The outbox, emptied, with its writes now in this context's storage (as
        the world would store them): for stepping a node outside a world."""
        effects = self.outbox
        self._storage = self._overlay(self._storage)
        self._effects = []
        return effects

    def _overlay(self, stored: dict) -> dict:
        for effect in self._effects:
            if effect[0] is Persist:
                stored[effect[1]] = effect[2]
        return stored

    def __repr__(self) -> str:
        return f"Context(pid={self.pid!r}, now={self.now:g}, {len(self._effects)} effects)"


def process_rng(seed: int, pid: Hashable, incarnation: int) -> random.Random:
    """The random stream of process ``pid`` in incarnation ``incarnation`` of a
    run seeded ``seed``: the same inside a world and in a bare context."""
    return random.Random(f"ddia10:{seed}:{pid!r}:{incarnation}")
