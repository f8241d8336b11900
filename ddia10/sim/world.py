"""The deterministic world every protocol in the book runs in.

A :class:`Simulation` owns processes, an event queue ordered by simulated
milliseconds, a network and one seeded RNG. Protocol code never reaches past
the :class:`~ddia10.sim.context.Context` it is handed: local time, a seeded
``rng``, what it persisted, and requests — ``send``, timers, ``persist`` to
stable storage, ``annotate`` for the trace, ``report`` to a monitor — that the
context records and the world carries out after the handler returns, in the
order asked. That is what makes a run a pure function of its seed and its
scenario (the list of client calls and faults), what lets one node be
stepped alone, and what lets the same node code run under a model checker
that picks every next event itself (:meth:`Simulation.enabled`,
:meth:`Simulation.apply`, :meth:`Simulation.snapshot`).

Faults are one call each: :meth:`crash` (volatile state gone, persisted state
kept), :meth:`restart`, :meth:`pause`/:meth:`resume` (a GC pause: events queue
up while local time runs on), :meth:`partition`/:meth:`heal`,
:meth:`disconnect`/:meth:`reconnect`, :meth:`set_link` (latency, loss,
duplication, reordering) and :meth:`set_clock` (drift and jumps).
"""

from __future__ import annotations

import copy
import heapq
import pickle
import random
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from ..validate import (
    check_bool,
    check_callable,
    check_instance,
    check_int,
    check_known,
    check_number,
    check_pid,
)
from .context import (
    Annotate,
    CancelTimer,
    Context,
    Emit,
    Persist,
    Send,
    SetTimer,
    process_rng,
)
from .network import LinkSpec, Network
from .trace import Trace

# queue entry kinds
_DELIVER, _TIMER, _ACTION = 0, 1, 2


class SimulationTimeout(TimeoutError):
    """``run_until`` ran out of simulated time before its condition held."""


class Process:
    """Base class of every simulated node: override the handlers you need.

    A process is rebuilt from its factory on every (re)start, so anything it
    wants to survive a crash must go through ``ctx.persist`` and be read back
    from ``ctx.stable`` in ``on_start``.
    """

    def on_start(self, ctx: Context) -> None:
        """Called when the process starts and after every restart."""

    def on_message(self, ctx: Context, src: Hashable, msg: Any) -> None:
        """Called for each message delivered to this process."""

    def on_timer(self, ctx: Context, name: Hashable) -> None:
        """Called when a timer set with ``ctx.set_timer`` fires."""

    def copy(self) -> Process:
        """An independent copy of this process, for a snapshot of the world. The
        default is a deep copy (through pickle, which is faster, when the
        process pickles); a process whose attributes are all immutable values
        (replaced by its handlers, never changed in place) may return a shallow
        one, which is what makes exploring it fast."""
        try:
            return pickle.loads(pickle.dumps(self, pickle.HIGHEST_PROTOCOL))
        except (pickle.PicklingError, AttributeError, TypeError):
            return copy.deepcopy(self)

    def fingerprint(self) -> Any:
        """What of this process counts when two worlds are compared as states
        (:meth:`Simulation.fingerprint`): by default all its attributes. A
        process leaves out what only measures time (readings of its clock) or
        what it caches and could recompute, so that two runs that reached the
        same protocol state at different speeds compare equal."""
        return vars(self)


class _WorldContext(Context):
    """The context the world hands a running process: its clock is the world's
    (bent by drift), its storage the world's, and the world applies its outbox
    after every handler."""

    __slots__ = ("_sim",)

    def __init__(
        self, sim: Simulation, pid: Hashable, incarnation: int, rng: random.Random
    ) -> None:
        self._sim = sim
        self.pid = pid
        self.incarnation = incarnation
        self.rng = rng
        #: every other process id, in the order they were added (kept current by the simulation)
        self.peers = sim._peers.get(pid, ())
        self._effects = []
        self._known = sim._factories  # live: a process added later is known at once

    @property
    def now(self) -> float:
        """This process's local clock (ms): true time bent by its drift."""
        return self._sim.local_time(self.pid)

    @property
    def stable(self) -> dict:
        """A copy of what this process persisted, this step's writes included."""
        return self._overlay(dict(self._sim._storage[self.pid]))

    def take(self) -> list:
        raise RuntimeError("the world applies a running process's outbox itself")


class Choice(NamedTuple):
    """One enabled next step, for a chooser or an explorer.

    ``kind`` is ``deliver``, ``drop``, ``timer``, ``action``, ``crash`` or
    ``restart``; ``ref`` is the queue entry's sequence number (or the pid for
    ``crash`` and ``restart``); ``label`` says what it is, for people; ``pid``
    is the one process the step touches (``None`` for an action, which may
    touch any).
    """

    kind: str
    ref: Hashable
    label: str
    pid: Hashable = None


class Simulation:
    """A seeded, deterministic world of processes exchanging messages.

    ``latency`` (a number, ``(lo, hi)`` or a :class:`~ddia10.sim.Latency`),
    ``loss``, ``duplicate`` and ``reorder`` set the default link; ``fifo=True``
    makes every link deliver in the order it was given its messages (see
    :mod:`~ddia10.sim.network`), also under a chooser or an explorer
    (:meth:`enabled` offers only the next message of each link). ``trace=False``
    skips recording (for many-trial experiments). ``chooser(sim, choices)``,
    if given, picks each next event instead of the earliest one (a
    :class:`Choice`, usually one of ``choices``; ``None`` when the run is over).
    ``observer(fact)``, if given, hears every fact a process reports
    (``ctx.report``), in order with its other effects: how a harness feeds
    its safety monitor (see :meth:`observe`).
    """

    def __init__(
        self,
        seed: int = 0,
        *,
        latency: Any = 1.0,
        loss: float = 0.0,
        duplicate: float = 0.0,
        reorder: float = 0.0,
        fifo: bool = False,
        trace: bool = True,
        chooser: Callable[[Simulation, list[Choice]], Choice] | None = None,
        observer: Callable[[Any], Any] | None = None,
    ) -> None:
        check_int("seed", seed)
        check_bool("fifo", fifo)
        self.seed = seed
        self.net = Network(LinkSpec(latency, loss, duplicate, reorder), fifo)
        self.trace = Trace()
        self.tracing = bool(trace)
        self.chooser = chooser
        self.observer: Callable[[Any], Any] | None = None
        self.observe(observer)
        self.now = 0.0
        self._queue: list = []
        self._seq = 0
        self._msg_ids = 0
        self._timers: dict = {}  # (pid, name) -> seq of the live timer entry
        self._factories: dict = {}
        self._procs: dict = {}  # running pid -> Process
        self._shared: set = set()  # pids whose process object a snapshot holds too
        self._stored_shared: set = set()  # pids whose storage dict a snapshot holds too
        self._net_shared = False  # whether a snapshot holds self.net too
        self._saving = False  # whether RNGs are SavedRandom (from the first snapshot on)
        #: synchronous writes to stable storage per process: one per handler that
        #: persisted anything (the fsync a server does before it answers)
        self.writes: Counter = Counter()
        self._hashes: dict = {}  # ("process"|"storage", pid) -> (object, hash): see fingerprint
        self._wire: dict = {}  # id(message payload) -> (payload, hash): see fingerprint
        self._ctx: dict = {}
        self._incarnation: dict = {}
        self._storage: dict = {}
        self._paused: set = set()
        self._backlog: dict = {}
        self._clocks: dict = {}  # pid -> (rate, base_true, base_local)
        self._rng = random.Random(f"ddia10:{seed}:net")
        self._rngs: dict = {}
        self._peers: dict = {}
        self._rows = self.trace._rows  # recording is on every message's path

    def observe(self, observer: Callable[[Any], Any] | None) -> None:
        """Hand every reported fact to ``observer(fact)`` from now on (``None``:
        to nobody). The observer is the harness's, not the world's state:
        :meth:`snapshot` and :meth:`fingerprint` leave it out, :meth:`restore`
        keeps it."""
        self.observer = check_callable("observer", observer, none=True)

    # ------------------------------------------------------------------ processes
    @property
    def pids(self) -> list:
        """Every process id ever added, in the order added."""
        return list(self._factories)

    def add(self, pid: Hashable, factory: Callable[[], Process]) -> Process:
        """Add and start a process; ``factory()`` builds it now and on every restart."""
        check_pid("process id", pid)
        if pid in self._factories:
            raise ValueError(f"process id {pid!r} already exists")
        check_callable(f"the factory for {pid!r}", factory)
        self._factories[pid] = factory
        self._incarnation[pid] = 0
        self._storage[pid] = {}
        self._clocks[pid] = (1.0, self.now, self.now)
        self._peers = {p: tuple(q for q in self._factories if q != p) for p in self._factories}
        for p, ctx in self._ctx.items():
            ctx.peers = self._peers[p]
        self._record("start", pid, {})
        return self._boot(pid)

    def process(self, pid: Hashable) -> Process:
        """The running process object (to read its state; never to drive it)."""
        check_known("process id", pid, self._factories)
        if pid not in self._procs:
            raise ValueError(f"process {pid!r} is crashed")
        return self._procs[pid]

    def is_up(self, pid: Hashable) -> bool:
        check_known("process id", pid, self._factories)
        return pid in self._procs

    def is_paused(self, pid: Hashable) -> bool:
        check_known("process id", pid, self._factories)
        return pid in self._paused

    def storage(self, pid: Hashable) -> dict:
        """A copy of what ``pid`` has persisted (the values, immutable, are shared:
        see :mod:`~ddia10.sim.context`; :meth:`stored` is a view without the copy)."""
        check_known("process id", pid, self._factories)
        return dict(self._storage[pid])

    def call(self, pid: Hashable, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(process, ctx, *args)`` inside ``pid`` now: how clients talk to
        a node (e.g. propose a command). Raises if the process is down or paused."""
        check_known("process id", pid, self._factories)
        if pid not in self._procs:
            raise ValueError(f"process {pid!r} is crashed; cannot call into it")
        if pid in self._paused:
            raise ValueError(f"process {pid!r} is paused; cannot call into it")
        ctx = self._ctx[pid]
        try:
            return fn(self._own(pid), ctx, *args)
        finally:
            if ctx._effects:
                self._apply(ctx)

    def _boot(self, pid: Hashable) -> Process:
        inc = self._incarnation[pid]
        rng = process_rng(self.seed, pid, inc)
        if self._saving:
            rng = SavedRandom.like(rng)
        self._rngs[pid] = rng
        ctx = _WorldContext(self, pid, inc, rng)
        proc = self._factories[pid]()
        if not isinstance(proc, Process):
            raise ValueError(f"factory for {pid!r} returned {type(proc).__name__}, not a Process")
        self._procs[pid] = proc
        self._shared.discard(pid)
        self._ctx[pid] = ctx
        try:
            proc.on_start(ctx)
        finally:
            if ctx._effects:
                self._apply(ctx)
        return proc

    def _apply(self, ctx: Context) -> None:
        """Do what a handler asked for, in the order it asked (see
        :mod:`~ddia10.sim.context`): this runs after every handler that asked
        for anything, so it is written for speed."""
        effects, ctx._effects = ctx._effects, []
        pid = ctx.pid
        wrote = False
        for effect in effects:
            kind = effect[0]
            if kind is Send:
                self._send(pid, effect[1], effect[2])
            elif kind is SetTimer:
                self._set_timer(pid, effect[1], effect[2])
            elif kind is Persist:
                if not wrote:
                    wrote = True
                    self.writes[pid] += 1
                if pid in self._stored_shared:
                    self._stored_shared.discard(pid)
                    self._storage[pid] = dict(self._storage[pid])
                self._storage[pid][effect[1]] = effect[2]
            elif kind is Annotate:
                self._record("state", pid, effect[1])
            elif kind is CancelTimer:
                self._timers.pop((pid, effect[1]), None)
            elif kind is Emit:
                self._record(effect[1], pid, effect[2])
            elif self.observer is not None:  # a Report
                self.observer(effect[1])

    def _own(self, pid: Hashable) -> Process:
        """Process ``pid``, about to change: copied first if a snapshot holds it
        too (copy on write), so snapshots share every process no event touched."""
        proc = self._procs[pid]
        if pid in self._shared:
            self._shared.discard(pid)
            proc = self._procs[pid] = proc.copy()
        return proc

    def _own_net(self) -> Network:
        """The network, about to change: copied first if a snapshot holds it."""
        if self._net_shared:
            self.net = self.net.copy()
            self._net_shared = False
        return self.net

    # ------------------------------------------------------------------ time
    def local_time(self, pid: Hashable) -> float:
        rate, base_true, base_local = self._clocks[pid]
        return base_local + rate * (self.now - base_true)

    def set_clock(self, pid: Hashable, *, rate: float = 1.0, offset: float = 0.0) -> None:
        """From now on ``pid``'s clock runs at ``rate`` x true time, after jumping by
        ``offset`` ms. ``rate=1.01`` is a clock 1% fast."""
        check_known("process id", pid, self._factories)
        check_number("clock rate", rate, positive=True)
        check_number("clock offset", offset, unit="ms")
        local = self.local_time(pid) + offset
        self._clocks[pid] = (float(rate), self.now, local)
        self._record("clock", pid, {"rate": rate, "offset": offset})

    # ------------------------------------------------------------------ network
    def _send(self, src: Hashable, dst: Hashable, msg: Any) -> None:
        # This runs for every message, so it is written for speed. The
        # destination was checked when the handler asked (Context.send).
        self._msg_ids = mid = self._msg_ids + 1
        now = self.now
        payload = (mid, src, dst, msg)
        if self.tracing:
            self._rows.append((now, "send", src, payload))
        net = self.net
        if (net.group_of or net.disconnected) and not net.reachable(src, dst):
            self._record("drop", src, _message_data(payload, reason="partition"))
            return
        spec = net.links.get((src, dst), net.default) if net.links else net.default
        loss, fast, latency, reorder, duplicate = spec.hot
        rng = self._rng
        if loss and rng.random() < loss:
            self._record("drop", src, _message_data(payload, reason="loss"))
            return
        for copy_no in (0, 1):
            if fast is None:
                delay = latency.sample(rng)
            else:
                delay = fast[0] + fast[1] * rng.random() if fast[1] else fast[0]
            due = now + delay
            if reorder and rng.random() < reorder:
                due = now + delay * rng.uniform(2.0, 5.0)  # held back: out of the link's order
            elif net.fifo:  # (the network is copied first if a snapshot shares it)
                due = self._own_net().fifo_due(src, dst, due)
            self._seq = seq = self._seq + 1
            heapq.heappush(self._queue, (due, seq, _DELIVER, payload))
            if copy_no or not duplicate or rng.random() >= duplicate:
                return
            self._msg_ids = dup = self._msg_ids + 1
            self._record("duplicate", src, _message_data((dup, src, dst, msg), of=mid))
            payload = (dup, src, dst, msg)

    def set_link(
        self, src: Hashable, dst: Hashable, *, both_ways: bool = True, **changes: Any
    ) -> None:
        """Change one link's ``latency``, ``loss``, ``duplicate`` or ``reorder``."""
        check_known("process id", src, self._factories)
        check_known("process id", dst, self._factories)
        bad = set(changes) - {"latency", "loss", "duplicate", "reorder"}
        if bad:
            raise ValueError(
                f"unknown link setting(s) {sorted(bad)}; use latency, loss, duplicate, reorder"
            )
        self._own_net().set_link(src, dst, **changes)
        if both_ways:
            self.net.set_link(dst, src, **changes)
        self._record("link", src, {"dst": dst, "both_ways": both_ways, **changes})

    def partition(self, *groups: Iterable[Hashable]) -> None:
        """Split the network: messages cross no group boundary. Processes named in
        no group form one more group together."""
        parts = self._own_net().partition(groups, self._factories)
        self._record("partition", None, {"groups": parts})

    def heal(self) -> None:
        """Undo every partition and disconnection (link settings stay)."""
        self._own_net().heal()
        self._record("heal", None, {})

    def disconnect(self, pid: Hashable) -> None:
        check_known("process id", pid, self._factories)
        self._own_net().disconnected.add(pid)
        self._record("disconnect", pid, {})

    def reconnect(self, pid: Hashable) -> None:
        check_known("process id", pid, self._factories)
        self._own_net().disconnected.discard(pid)
        self._record("reconnect", pid, {})

    def reachable(self, src: Hashable, dst: Hashable) -> bool:
        return self.net.reachable(src, dst)

    # ------------------------------------------------------------------ faults
    def crash(self, pid: Hashable) -> None:
        """Stop ``pid``: volatile state, timers and queued work are lost; what it
        persisted is kept. Messages still in flight to it are dropped on arrival."""
        check_known("process id", pid, self._factories)
        if pid not in self._procs:
            raise ValueError(f"process {pid!r} is already crashed")
        del self._procs[pid]
        self._shared.discard(pid)
        del self._ctx[pid]
        self._incarnation[pid] += 1
        self._paused.discard(pid)
        self._backlog.pop(pid, None)
        for key in [k for k in self._timers if k[0] == pid]:
            del self._timers[key]
        self._record("crash", pid, {})

    def restart(self, pid: Hashable) -> Process:
        """Start a crashed process afresh from its factory and its stable storage."""
        check_known("process id", pid, self._factories)
        if pid in self._procs:
            raise ValueError(f"process {pid!r} is running; crash it before restarting")
        self._record("restart", pid, {})
        return self._boot(pid)

    def pause(self, pid: Hashable) -> None:
        """Freeze ``pid`` (a stop-the-world GC pause): its messages and timers wait
        until :meth:`resume`; its clock keeps running."""
        check_known("process id", pid, self._factories)
        if pid not in self._procs:
            raise ValueError(f"process {pid!r} is crashed; cannot pause it")
        if pid in self._paused:
            raise ValueError(f"process {pid!r} is already paused")
        self._paused.add(pid)
        self._backlog[pid] = []
        self._record("pause", pid, {})

    def resume(self, pid: Hashable) -> None:
        check_known("process id", pid, self._factories)
        if pid not in self._paused:
            raise ValueError(f"process {pid!r} is not paused")
        self._paused.discard(pid)
        self._record("resume", pid, {})
        for _, held, kind, payload in self._backlog.pop(pid, []):
            self._seq += 1
            if kind == _TIMER:  # the timer keeps its name under its new place in the queue
                if self._timers.get(payload) != held:
                    continue
                self._timers[payload] = self._seq
            heapq.heappush(self._queue, (self.now, self._seq, kind, payload))

    # ------------------------------------------------------------------ timers & actions
    def _set_timer(self, pid: Hashable, delay: float, name: Hashable) -> None:
        # the delay was checked when the handler asked (Context.set_timer)
        rate = self._clocks[pid][0]
        self._seq += 1
        seq = self._seq
        self._timers[(pid, name)] = seq
        heapq.heappush(self._queue, (self.now + delay / rate, seq, _TIMER, (pid, name)))

    def at(self, time: float, action: Callable[[Simulation], Any], label: str = "action") -> None:
        """Schedule ``action(sim)`` at absolute simulated time ``time``: a fault or a
        client request that belongs to the scenario."""
        check_number("time", time, min=0, unit="ms")
        if time < self.now:
            raise ValueError(f"cannot schedule in the past: time={time} < now={self.now}")
        check_callable("action", action)
        self._seq += 1
        heapq.heappush(self._queue, (float(time), self._seq, _ACTION, (action, label)))

    def after(
        self, delay: float, action: Callable[[Simulation], Any], label: str = "action"
    ) -> None:
        check_number("delay", delay, min=0, unit="ms")
        self.at(self.now + delay, action, label)

    # ------------------------------------------------------------------ running
    def step(self) -> bool:
        """Process exactly one event; False when nothing is left to do."""
        if self.chooser is not None:
            choice = self.chooser(self, self.enabled())
            if choice is None:
                return False
            self.apply(choice)
            return True
        queue = self._queue
        while queue:
            entry = heapq.heappop(queue)
            if self._dispatch(entry):
                return True
        return False

    def run(self, ms: float) -> None:
        """Advance simulated time by ``ms``, processing every event due by then."""
        check_number("run time", ms, min=0, unit="ms")
        end = self.now + ms
        if self.chooser is not None:
            while self._queue and self.now <= end and self.step():
                pass
        else:
            queue, dispatch, pop, apply = self._queue, self._dispatch, heapq.heappop, self._apply
            procs, ctxs, paused, rows = self._procs, self._ctx, self._paused, self._rows
            tracing, timers, shared, own = self.tracing, self._timers, self._shared, self._own
            while queue and queue[0][0] <= end:
                entry = pop(queue)
                # The common case inline (a delivery to a live, reachable, running
                # process); everything else goes through _dispatch.
                if entry[2] == _DELIVER:
                    payload = entry[3]
                    dst = payload[2]
                    proc = procs.get(dst)
                    net = self.net  # read afresh: an action may have replaced it
                    if (
                        proc is not None
                        and dst not in paused
                        and not (net.group_of or net.disconnected)
                    ):
                        if entry[0] > self.now:
                            self.now = entry[0]
                        if tracing:
                            rows.append((self.now, "deliver", dst, payload))
                        if shared and dst in shared:
                            proc = own(dst)
                        ctx = ctxs[dst]
                        try:
                            proc.on_message(ctx, payload[1], payload[3])
                        finally:
                            if ctx._effects:
                                apply(ctx)
                        continue
                elif entry[2] == _TIMER:
                    key = entry[3]
                    if timers.get(key) != entry[1]:
                        continue  # cancelled or replaced
                    pid = key[0]
                    if pid not in paused:
                        del timers[key]
                        if entry[0] > self.now:
                            self.now = entry[0]
                        if tracing:
                            rows.append((self.now, "timer", pid, key[1]))
                        ctx = ctxs[pid]
                        try:
                            (own(pid) if shared else procs[pid]).on_timer(ctx, key[1])
                        finally:
                            if ctx._effects:
                                apply(ctx)
                        continue
                dispatch(entry)
        self.now = max(self.now, end)

    def run_until(self, predicate: Callable[[Simulation], bool], timeout_ms: float) -> float:
        """Step until ``predicate(sim)`` holds; returns the time it first held.
        Raises :class:`SimulationTimeout` if ``timeout_ms`` passes first."""
        check_number("timeout", timeout_ms, min=0, unit="ms")
        end = self.now + timeout_ms
        while not predicate(self):
            queue = self._queue
            if not queue or queue[0][0] > end:
                self.now = end
                raise SimulationTimeout(
                    f"condition not reached within {timeout_ms:g} ms of simulated time "
                    f"(now={self.now:g})"
                )
            self.step()
        return self.now

    def _dispatch(self, entry: tuple) -> bool:
        """Handle one popped queue entry; False if it was stale (a cancelled timer)."""
        time, seq, kind, payload = entry
        if kind == _DELIVER:
            mid, src, dst, msg = payload
            if dst in self._paused:
                self._backlog[dst].append(entry)
                return True
            if time > self.now:
                self.now = time
            proc = self._procs.get(dst)
            if proc is None:
                self._record("drop", dst, _message_data(payload, reason="crashed"))
                return True
            net = self.net
            if (net.group_of or net.disconnected) and not net.reachable(src, dst):
                self._record("drop", dst, _message_data(payload, reason="partition"))
                return True
            if self.tracing:
                self._rows.append((self.now, "deliver", dst, payload))
            if dst in self._shared:
                proc = self._own(dst)
            ctx = self._ctx[dst]
            try:
                proc.on_message(ctx, src, msg)
            finally:
                if ctx._effects:
                    self._apply(ctx)
            return True
        if kind == _TIMER:
            pid, name = payload
            if self._timers.get((pid, name)) != seq:
                return False
            if pid in self._paused:
                self._backlog[pid].append(entry)
                return True
            del self._timers[(pid, name)]
            if time > self.now:
                self.now = time
            if self.tracing:
                self._rows.append((self.now, "timer", pid, name))
            ctx = self._ctx[pid]
            try:
                self._own(pid).on_timer(ctx, name)
            finally:
                if ctx._effects:
                    self._apply(ctx)
            return True
        if time > self.now:
            self.now = time
        action, _label = payload
        action(self)
        return True

    def _record(self, kind: str, pid: Hashable, data: dict) -> None:
        if self.tracing:
            self._rows.append((self.now, kind, pid, data))

    def note(self, text: str) -> None:
        """Write a line of narration into the trace."""
        self._record("note", None, {"text": str(text)})

    # ------------------------------------------------------------------ exploration
    def pending(self) -> list[tuple]:
        """Live queue entries ``(time, seq, kind, payload)`` in time order."""
        live = []
        for entry in sorted(self._queue):
            _t, seq, kind, payload = entry
            if kind == _TIMER and self._timers.get(payload) != seq:
                continue
            live.append(entry)
        return live

    def in_flight(self) -> list[dict]:
        """Messages sent but not yet delivered or dropped (incl. ones held by a pause)."""
        out = []
        held = [e for b in self._backlog.values() for e in b]
        for time, _seq, kind, payload in sorted(self._queue) + held:
            if kind == _DELIVER:
                mid, src, dst, msg = payload
                out.append({"id": mid, "src": src, "dst": dst, "msg": msg, "due": time})
        return out

    def running(self) -> Mapping:
        """The running processes by id, as a read-only view (to read, never to drive)."""
        return MappingProxyType(self._procs)

    def paused(self) -> frozenset:
        """The paused processes."""
        return frozenset(self._paused)

    def timers(self) -> frozenset:
        """The armed timers, as ``(pid, name)`` pairs."""
        return frozenset(self._timers)

    def deadlines(self) -> dict:
        """When each armed timer is due: ``(pid, name) -> time`` (simulated ms). A timer
        that came due while its process was paused waits with it, unlisted."""
        timers = self._timers
        return {payload: t for t, seq, kind, payload in self._queue
                if kind == _TIMER and timers.get(payload) == seq}

    def wire(self) -> Iterator[tuple]:
        """The messages in flight as ``(src, dst, msg)`` triples, held ones
        included, in no particular order: the cheap view a fingerprint needs."""
        for entries in (self._queue, *self._backlog.values()):
            for entry in entries:
                if entry[2] == _DELIVER:
                    yield entry[3][1:]

    def steps(self) -> dict:
        """What each queued entry is, whatever schedule queued it: ``ref ->
        (src, dst, msg)`` for a message, ``ref -> (pid, name)`` for a timer,
        ``ref -> label`` for an action. A :class:`Choice`'s ``ref`` (a sequence
        number) names an entry only within one run; this names what it does."""
        out = {}
        for _t, seq, kind, payload in self._queue:
            out[seq] = payload[1:] if kind == _DELIVER else payload if kind == _TIMER \
                else payload[1]
        return out

    def stored(self, pid: Hashable) -> Mapping:
        """A read-only view of what ``pid`` has persisted (no copy, unlike :meth:`storage`)."""
        check_known("process id", pid, self._factories)
        return MappingProxyType(self._storage[pid])

    def enabled(self, *, crashes: bool = False, restarts: bool = False) -> list[Choice]:
        """Every event that could happen next, whatever its time: each pending
        delivery (or its loss), each armed timer, each scheduled action, with
        ``crashes=True`` a crash of each running process and with
        ``restarts=True`` a restart of each crashed one. With FIFO links only
        the next message of each link (the one due first) may be delivered or
        lost: later ones wait for it."""
        out: list[Choice] = []
        heads: set = set()  # FIFO: links whose next message is already offered
        for _t, seq, kind, payload in self.pending():
            if kind == _DELIVER:
                mid, src, dst, msg = payload
                if self.net.fifo:
                    if (src, dst) in heads:
                        continue
                    heads.add((src, dst))
                if dst in self._paused:
                    continue
                what = f"{type(msg).__name__} {src!r}->{dst!r} (#{mid})"
                out.append(Choice("deliver", seq, "deliver " + what, dst))
                out.append(Choice("drop", seq, "drop " + what, dst))
            elif kind == _TIMER:
                if payload[0] in self._paused:
                    continue
                out.append(Choice("timer", seq, f"timer {payload[1]!r} at {payload[0]!r}",
                                  payload[0]))
            else:
                out.append(Choice("action", seq, payload[1]))
        if crashes:
            out.extend(Choice("crash", p, f"crash {p!r}", p) for p in self._procs)
        if restarts:
            out.extend(Choice("restart", p, f"restart {p!r}", p)
                       for p in self._factories if p not in self._procs)
        return out

    def apply(self, choice: Choice) -> None:
        """Make ``choice`` (one of :meth:`enabled`) happen next."""
        check_instance("choice (one of enabled())", choice, Choice)
        if choice.kind == "crash":
            self.crash(choice.ref)
            return
        if choice.kind == "restart":
            self.restart(choice.ref)
            return
        where = next((i for i, e in enumerate(self._queue) if e[1] == choice.ref), None)
        if where is None:
            raise ValueError(f"{choice.label!r} is no longer enabled")
        entry = self._queue[where]
        if entry[2] == _DELIVER and self.net.fifo and self._behind(entry):
            raise ValueError(f"{choice.label!r} is not enabled: an earlier message on its "
                             "link is still undelivered (FIFO links)")
        self._queue[where] = self._queue[-1]
        self._queue.pop()
        heapq.heapify(self._queue)
        if choice.kind == "drop":
            self._record("drop", entry[3][2], _message_data(entry[3], reason="explorer"))
        else:
            self._dispatch(entry)

    def _behind(self, entry: tuple) -> bool:
        """FIFO links: is a message due before ``entry`` still on its link?"""
        link = entry[3][1:3]
        return any(e[2] == _DELIVER and e[3][1:3] == link and e[:2] < entry[:2]
                   for e in self._queue)

    def snapshot(self) -> WorldSnapshot:
        """The whole world (processes, queue, timers, storage, clocks, RNGs,
        network) as it is now; :meth:`restore` returns to it, trace included.

        Cheap by design, because an explorer takes one per state. Processes,
        stored values and the network are shared with the live world and
        copied only when something is about to change them (copy on write; see
        :meth:`Process.copy`); queue entries and messages are immutable and
        shared; a random generator's state is read only if it drew since it
        was last saved."""
        if not self._saving:
            self._save_randomness()
        self._shared.update(self._procs)
        self._stored_shared.update(self._storage)
        self._net_shared = True
        return WorldSnapshot(
            self.now, tuple(self._queue), self._seq, self._msg_ids, dict(self._timers),
            dict(self._procs), dict(self._ctx), dict(self._incarnation), dict(self._storage),
            frozenset(self._paused), {p: tuple(b) for p, b in self._backlog.items()},
            dict(self._clocks), self._rng.saved(),
            {p: (r, r.saved()) for p, r in self._rngs.items()}, self.net, len(self.trace),
        )

    def _save_randomness(self) -> None:
        """From now on draw from :class:`SavedRandom` generators (same streams), which
        a snapshot can save cheaply; a run that takes no snapshot never pays for it."""
        self._saving = True
        self._rng = SavedRandom.like(self._rng)
        for pid, rng in self._rngs.items():
            self._rngs[pid] = SavedRandom.like(rng)
            if pid in self._ctx:
                self._ctx[pid].rng = self._rngs[pid]

    def restore(self, snap: WorldSnapshot) -> None:
        """Return to :meth:`snapshot` (any number of times)."""
        if not isinstance(snap, WorldSnapshot):
            raise ValueError(
                f"restore takes a WorldSnapshot from snapshot(), got {type(snap).__name__}")
        self.now, self._seq, self._msg_ids = snap.now, snap.seq, snap.msg_ids
        self._queue = list(snap.queue)
        self._timers = dict(snap.timers)
        self._procs = dict(snap.procs)
        self._shared.clear()
        self._shared.update(self._procs)
        self._ctx = dict(snap.ctx)
        self._incarnation = dict(snap.incarnation)
        self._storage = dict(snap.storage)
        self._stored_shared.clear()
        self._stored_shared.update(self._storage)
        self._paused = set(snap.paused)
        self._backlog = {p: list(b) for p, b in snap.backlog.items()}
        self._clocks = dict(snap.clocks)
        self._rng.return_to(snap.rng)
        self._rngs = {}
        for pid, (rng, state) in snap.rngs.items():
            rng.return_to(state)
            self._rngs[pid] = rng
        self.net = snap.net
        self._net_shared = True
        self.trace.truncate(snap.trace_len)

    def fingerprint(self) -> int:
        """A hash of what matters to safety: which processes are up or paused, their
        state (what :meth:`Process.fingerprint` counts), their stable storage,
        the messages in flight (as a multiset) and the armed timers. Time, RNG
        state and message ids are left out, so an explorer sees two worlds that
        differ only in timing as one. A 64-bit Python hash: equal worlds hash
        alike within one Python process.

        An explorer asks for one per step, so hashes are remembered for what
        cannot change: a process or a storage a snapshot shares (whatever
        would change it gets a copy first) and a message on the wire."""
        hashes, shared, stored_shared = self._hashes, self._shared, self._stored_shared
        procs, stored = [], []
        for pid in self._factories:
            proc = self._procs.get(pid)
            if proc is not None:
                cached = hashes.get(("process", pid))
                if cached is None or cached[0] is not proc or pid not in shared:
                    cached = (proc, hash(_hashable(proc.fingerprint())))
                    if pid in shared:
                        hashes[("process", pid)] = cached
                procs.append((pid, cached[1]))
            storage = self._storage[pid]
            cached = hashes.get(("storage", pid))
            if cached is None or cached[0] is not storage or pid not in stored_shared:
                cached = (storage, hash(_stored(storage)))
                if pid in stored_shared:
                    hashes[("storage", pid)] = cached
            stored.append(cached[1])
        wire = self._wire
        if len(wire) > 1_000_000:
            wire.clear()
        flight = []
        for entry in self._queue + [e for held in self._backlog.values() for e in held]:
            if entry[2] == _DELIVER:
                payload = entry[3]
                cached = wire.get(id(payload))
                if cached is None or cached[0] is not payload:
                    cached = wire[id(payload)] = (payload, hash(_hashable(payload[1:])))
                flight.append(cached[1])
        flight.sort()
        return hash((tuple(procs), frozenset(self._paused), tuple(stored), tuple(flight),
                     frozenset(self._timers)))


class SavedRandom(random.Random):
    """A :class:`random.Random` that remembers its last saved state until it
    draws again, so a world that snapshots thousands of states a second (an
    explorer) pays for ``getstate``/``setstate`` only when a number was drawn.
    It draws the same numbers as the generator it was made :meth:`like`."""

    _saved: tuple | None = None

    @classmethod
    def like(cls, rng: random.Random) -> SavedRandom:
        """A generator in the same state as ``rng``."""
        saved = cls()
        saved.setstate(rng.getstate())
        return saved

    def random(self) -> float:
        self._saved = None
        return super().random()

    def getrandbits(self, k: int) -> int:
        self._saved = None
        return super().getrandbits(k)

    def seed(self, *args: Any, **kwargs: Any) -> None:
        self._saved = None
        super().seed(*args, **kwargs)

    def setstate(self, state: tuple) -> None:
        super().setstate(state)
        self._saved = state

    def saved(self) -> tuple:
        """``getstate()``, computed once per run of draws."""
        if self._saved is None:
            self._saved = self.getstate()
        return self._saved

    def return_to(self, state: tuple) -> None:
        """``setstate(state)``, skipped when nothing was drawn since ``state``."""
        if self._saved is not state:
            self.setstate(state)


class WorldSnapshot(NamedTuple):
    """A world as :meth:`Simulation.snapshot` saw it; opaque to everyone else."""

    now: float
    queue: tuple
    seq: int
    msg_ids: int
    timers: dict
    procs: dict
    ctx: dict
    incarnation: dict
    storage: dict
    paused: frozenset
    backlog: dict
    clocks: dict
    rng: tuple
    rngs: dict
    net: Network
    trace_len: int


def _hashable(obj: Any) -> Any:
    """``obj`` if it hashes, else its :func:`canonical` stand-in."""
    try:
        hash(obj)
    except TypeError:
        return canonical(obj)
    return obj


def _stored(storage: dict) -> Any:
    """One process's stable storage as a hashable value."""
    try:
        key = frozenset(storage.items())
        hash(key)
    except TypeError:
        return canonical(storage)
    return key


def _message_data(payload: tuple, **extra: Any) -> dict:
    mid, src, dst, msg = payload
    return {"id": mid, "src": src, "dst": dst, "msg": msg, **extra}


def canonical(obj: Any) -> Any:
    """A hashable, order-independent stand-in for ``obj``, made of plain values:
    what fingerprints hash."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, dict):
        return tuple(sorted(((repr(k), canonical(v)) for k, v in obj.items()), key=_first))
    if isinstance(obj, (list, tuple)):
        return tuple(canonical(v) for v in obj)
    if isinstance(obj, (set, frozenset)):
        return tuple(sorted((canonical(v) for v in obj), key=repr))
    if isinstance(obj, random.Random):
        return "rng"
    if hasattr(obj, "__dict__"):
        return (type(obj).__name__, canonical(vars(obj)))
    if hasattr(obj, "__slots__"):
        return (type(obj).__name__, tuple(canonical(getattr(obj, s, None)) for s in obj.__slots__))
    return repr(obj)


def _first(pair: tuple) -> Any:
    return pair[0]
