"""The recipes applications build on the service, each a client process.

They follow etcd's ``concurrency`` package and its documentation:

- :class:`LockHolder` — **a lock** (etcd's ``Mutex``). Under a lease it
  creates the key ``<prefix><lease id>`` unless it exists (a transaction
  comparing the key's create revision with 0). Its key's **create revision
  is its fencing token** and its place in line: it holds the lock once no key
  under the prefix was created before its own, and otherwise watches the
  prefix until a deletion, then looks again. While it holds the lock it
  writes to a :class:`~ddia10.coord.fencing.FencedResource` with its token,
  a few times, each after some work; then it deletes its key. When its
  lease session ends it stops and starts over.
- :class:`ElectionCandidate` — **leader election** (etcd's ``Election``):
  campaigning is queueing for a lock whose value names the candidate; the
  leader is the candidate whose key was created first. Once elected it
  *proclaims* (rewrites its value, only while its key still has its create
  revision), acts as leader through the fenced resource, and *resigns* by
  deleting its key. :class:`LeaderObserver` follows who leads by listing the
  candidates and watching them (etcd's ``Observe``).
- :class:`ServiceInstance` and :class:`Discoverer` — **service discovery**
  in four steps: register a key under a lease, keep the lease alive,
  deregister by deleting the key (or, on a crash, let the lease delete it);
  a discoverer lists the prefix and watches it from the next revision, so
  its view is always the registry at some revision.
- :class:`Compactor` — etcd's revision auto-compaction, done by a client:
  every so often, forget all but the last few revisions (watchers that fall
  behind then meet ``required revision has been compacted``).
- :class:`CasCounter` — **a compare-and-swap counter**: read the value, then
  a transaction that writes value + 1 only if the value is still what was
  read; retry when someone else got there first. Its reads and swaps are
  recorded for :mod:`ddia10.linearizability`.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from ..sim import Context
from ..validate import check_int, check_number, check_str
from .client import CoordClient
from .errors import CoordError
from .fencing import FencedAck, FencedWrite
from .messages import Compact, Compare, DeleteRange, Put, Range, Txn, WatchEvent, prefix_end


def _check_span(name: str, span: tuple[float, float]) -> tuple[float, float]:
    lo, hi = span
    if not (0 <= lo <= hi < float("inf")):
        raise ValueError(f"{name} must be a range (lo, hi) of ms with 0 <= lo <= hi, got {span!r}")
    return float(lo), float(hi)


class LockHolder(CoordClient):
    """A client that takes the lock ``prefix`` under a lease of ``ttl`` s and, each
    time it holds it, writes ``acts`` times to ``resource`` with its token, each
    write after ``work`` ms (drawn from the range), then releases it and rests
    ``think`` ms. ``check_lease`` makes it check its lease (on its own clock)
    before each piece of work, as a careful client does; the pause can still
    fall after the check."""

    def __init__(self, servers: Sequence[Hashable], *, prefix: str = "/lock/", ttl: int = 2,
                 resource: Hashable | None = None, acts: int = 2,
                 work: tuple[float, float] = (5.0, 30.0),
                 think: tuple[float, float] = (20.0, 200.0), check_lease: bool = True,
                 **client: Any) -> None:
        super().__init__(servers, **client)
        self.prefix = check_str("prefix", prefix)
        self.lease_ttl = check_int("lease TTL (seconds)", ttl, min=1)
        self.resource = resource
        self.acts = check_int("acts", acts, min=0)
        self.work = _check_span("work", work)
        self.think = _check_span("think", think)
        self.check_lease = bool(check_lease)
        self.phase = "idle"
        self.key = ""
        self.token = 0
        self.acts_left = 0
        self.write_seq = 0
        self.terms = 0  # how often it has held the lock

    # ---------------------------------------------------------------- taking the lock
    def on_start(self, ctx: Context) -> None:
        self._rest(ctx)

    def _rest(self, ctx: Context) -> None:
        self._set_phase(ctx, "idle")
        ctx.set_timer(ctx.rng.uniform(*self.think), "begin")

    def _set_phase(self, ctx: Context, phase: str) -> None:
        self.phase = phase
        ctx.annotate(role=phase, token=self.token if phase == "holding" else None)

    def begin(self, ctx: Context) -> None:
        """Queue for the lock (a new session first if the lease is gone)."""
        if self.session_valid(ctx):
            self._create(ctx)
        else:
            self._set_phase(ctx, "granting")
            self.start_session(ctx, self.lease_ttl, "_in_session")

    def _in_session(self, ctx: Context, lease: int, sent: float) -> None:
        self._create(ctx)

    def _create(self, ctx: Context) -> None:
        self._set_phase(ctx, "queueing")
        self.key = f"{self.prefix}{self.lease:x}"
        self.call(ctx, Txn(compare=(Compare(self.key, "create", "=", 0),),
                           success=(Put(self.key, self.value(ctx), self.lease),),
                           failure=(Range(self.key),)), "_created")

    def value(self, ctx: Context) -> str:
        """What the lock key holds: who queued."""
        return str(ctx.pid)

    def _created(self, ctx: Context, outcome: Any, sent: float) -> None:
        if isinstance(outcome, CoordError):  # the lease ran out before the key was made
            self.on_session_lost(ctx)
            return
        if outcome.succeeded:
            self.token = outcome.revision
        elif outcome.responses[0].kvs:
            self.token = outcome.responses[0].kvs[0].create_revision
        else:
            self.on_session_lost(ctx)
            return
        self._look(ctx)

    def _look(self, ctx: Context) -> None:
        self.call(ctx, Range(self.prefix, prefix_end(self.prefix)), "_looked")

    def _looked(self, ctx: Context, outcome: Any, sent: float) -> None:
        if isinstance(outcome, CoordError):
            self._look(ctx)
            return
        if not any(kv.key == self.key and kv.create_revision == self.token
                   for kv in outcome.kvs):
            self.on_session_lost(ctx)  # our key is gone: the lease ran out
            return
        if any(kv.create_revision < self.token for kv in outcome.kvs):
            self._set_phase(ctx, "waiting")
            self.watch(ctx, self.prefix, prefix_end(self.prefix), outcome.revision + 1)
        else:
            self.cancel_watch(ctx)
            self.acquired(ctx)

    def on_watch_events(self, ctx: Context, events: tuple[WatchEvent, ...]) -> None:
        if self.phase == "waiting" and any(e.type == "delete" for e in events):
            self._look(ctx)

    def on_watch_compacted(self, ctx: Context, compact_revision: int) -> None:
        if self.phase == "waiting":
            self._look(ctx)

    # ---------------------------------------------------------------- holding it
    def acquired(self, ctx: Context) -> None:
        """The lock is ours, with fencing token ``self.token``: act."""
        self.terms += 1
        self.acts_left = self.acts
        self._set_phase(ctx, "holding")
        self._next_act(ctx)

    def _next_act(self, ctx: Context) -> None:
        if self.acts_left == 0:
            self.release(ctx)
        elif self.check_lease and not self.session_valid(ctx):
            self.on_session_lost(ctx)
        else:
            ctx.set_timer(ctx.rng.uniform(*self.work), "work")

    def _write(self, ctx: Context) -> None:
        """The work is done: write its result, with the token (no second look at
        the lease: the gap a pause can fall into)."""
        if self.resource is None:
            self._acted(ctx)
            return
        self.write_seq += 1
        ctx.send(self.resource, FencedWrite(ctx.pid, self.write_seq, self.token,
                                            f"{ctx.pid}:{self.write_seq}"))
        ctx.set_timer(3 * self.timeout, "act-timeout")

    def _acted(self, ctx: Context) -> None:
        ctx.cancel_timer("act-timeout")
        if self.phase == "holding":
            self.acts_left -= 1
            self._next_act(ctx)

    def release(self, ctx: Context) -> None:
        """Give the lock up: delete our key; the next in line sees the deletion."""
        self.call(ctx, DeleteRange(self.key))
        self._rest(ctx)

    def on_session_lost(self, ctx: Context) -> None:
        """Stop acting; revoke the lease (its key must not keep our place in line
        if the service still holds it), and queue again after a rest."""
        self.forget_calls()
        self.cancel_watch(ctx)
        for timer in ("work", "act-timeout"):
            ctx.cancel_timer(timer)
        self.end_session(ctx)
        self._rest(ctx)

    # ---------------------------------------------------------------- events
    def on_timer(self, ctx: Context, name: Hashable) -> None:
        if name == "begin":
            self.begin(ctx)
        elif name == "work":
            self._write(ctx)
        elif name == "act-timeout":
            self._acted(ctx)
        else:
            super().on_timer(ctx, name)

    def on_message(self, ctx: Context, src: Hashable, msg: Any) -> None:
        if isinstance(msg, FencedAck):
            if msg.seq == self.write_seq and self.phase == "holding":
                self._acted(ctx)
        else:
            super().on_message(ctx, src, msg)


class ElectionCandidate(LockHolder):
    """A candidate for leader of ``prefix``: campaign (queue), proclaim once
    elected, act ``acts`` times as leader through the fenced resource, resign."""

    def __init__(self, servers: Sequence[Hashable], *, prefix: str = "/election/",
                 **options: Any) -> None:
        super().__init__(servers, prefix=prefix, **options)

    def value(self, ctx: Context) -> str:
        return f"{ctx.pid} campaigns"

    def acquired(self, ctx: Context) -> None:
        """Elected: proclaim, but only while our key is still the one we created."""
        self.call(ctx, Txn(compare=(Compare(self.key, "create", "=", self.token),),
                           success=(Put(self.key, f"{ctx.pid} leads", self.lease),)),
                  "_proclaimed")

    def _proclaimed(self, ctx: Context, outcome: Any, sent: float) -> None:
        if isinstance(outcome, CoordError) or not outcome.succeeded:
            self.on_session_lost(ctx)  # our key went: we are no longer the leader
        else:
            super().acquired(ctx)


class LeaderObserver(CoordClient):
    """Follows the election of ``prefix``: ``leaders`` lists every leader it saw,
    as ``(its local time, the leader's key, its value)``."""

    def __init__(self, servers: Sequence[Hashable], *, prefix: str = "/election/",
                 **client: Any) -> None:
        super().__init__(servers, **client)
        self.prefix = check_str("prefix", prefix)
        self.candidates: dict[str, tuple[int, str]] = {}  # key -> (create revision, value)
        self.leaders: list[tuple[float, str, str]] = []

    def on_start(self, ctx: Context) -> None:
        self._list(ctx)

    def _list(self, ctx: Context) -> None:
        self.call(ctx, Range(self.prefix, prefix_end(self.prefix)), "_listed")

    def _listed(self, ctx: Context, outcome: Any, sent: float) -> None:
        if isinstance(outcome, CoordError):
            self._list(ctx)
            return
        self.candidates = {kv.key: (kv.create_revision, kv.value) for kv in outcome.kvs}
        self._note(ctx)
        self.watch(ctx, self.prefix, prefix_end(self.prefix), outcome.revision + 1)

    def on_watch_events(self, ctx: Context, events: tuple[WatchEvent, ...]) -> None:
        for e in events:
            if e.type == "put":
                self.candidates[e.key] = (e.kv.create_revision, e.kv.value)
            else:
                self.candidates.pop(e.key, None)
        self._note(ctx)

    def on_watch_compacted(self, ctx: Context, compact_revision: int) -> None:
        self._list(ctx)

    def leader(self) -> tuple[str, str] | None:
        """The leader now in view: ``(key, value)`` of the earliest-created candidate."""
        if not self.candidates:
            return None
        key = min(self.candidates, key=lambda k: self.candidates[k][0])
        return key, self.candidates[key][1]

    def _note(self, ctx: Context) -> None:
        leader = self.leader()
        if leader is not None and (not self.leaders or self.leaders[-1][1:] != leader):
            self.leaders.append((ctx.now, *leader))
            ctx.annotate(leader=leader[1])


class ServiceInstance(CoordClient):
    """An instance of ``service``: registers ``<prefix><pid>`` = ``address`` under a
    lease of ``ttl`` s, stays ``up`` ms, deregisters, stays away ``down`` ms, again."""

    def __init__(self, servers: Sequence[Hashable], *, prefix: str = "/services/payment/",
                 address: str = "", ttl: int = 2, up: tuple[float, float] = (500.0, 2000.0),
                 down: tuple[float, float] = (100.0, 500.0), **client: Any) -> None:
        super().__init__(servers, **client)
        self.prefix = check_str("prefix", prefix)
        self.address = address
        self.lease_ttl = check_int("lease TTL (seconds)", ttl, min=1)
        self.up = _check_span("up", up)
        self.down = _check_span("down", down)
        self.registered = False

    def on_start(self, ctx: Context) -> None:
        ctx.set_timer(ctx.rng.uniform(*self.down), "register")

    def on_timer(self, ctx: Context, name: Hashable) -> None:
        if name == "register":
            self.start_session(ctx, self.lease_ttl, "_put_key")
        elif name == "deregister":
            self.leave(ctx)
            ctx.set_timer(ctx.rng.uniform(*self.down), "register")
        else:
            super().on_timer(ctx, name)

    def leave(self, ctx: Context) -> None:
        """Step 4: deregister cleanly (delete the key, revoke the lease)."""
        self.forget_calls()
        ctx.cancel_timer("deregister")
        self.call(ctx, DeleteRange(self.key(ctx)))
        self.end_session(ctx)
        self._registered(ctx, False)

    def key(self, ctx: Context) -> str:
        return f"{self.prefix}{ctx.pid}"

    def _put_key(self, ctx: Context, lease: int, sent: float) -> None:
        address = self.address or f"{ctx.pid}:8080"
        self.call(ctx, Put(self.key(ctx), address, lease), "_put_done")

    def _put_done(self, ctx: Context, outcome: Any, sent: float) -> None:
        if isinstance(outcome, CoordError):
            self.on_session_lost(ctx)
            return
        self._registered(ctx, True)
        ctx.set_timer(ctx.rng.uniform(*self.up), "deregister")

    def _registered(self, ctx: Context, up: bool) -> None:
        self.registered = up
        ctx.annotate(role="registered" if up else "away")

    def on_session_lost(self, ctx: Context) -> None:
        self.forget_calls()
        self.end_session(ctx)
        ctx.cancel_timer("deregister")
        self._registered(ctx, False)
        ctx.set_timer(ctx.rng.uniform(*self.down), "register")


class Discoverer(CoordClient):
    """Keeps ``instances`` (key -> address) equal to the registry under ``prefix``:
    list it, then watch it from the revision after the list."""

    def __init__(self, servers: Sequence[Hashable], *, prefix: str = "/services/payment/",
                 **client: Any) -> None:
        super().__init__(servers, **client)
        self.prefix = check_str("prefix", prefix)
        self.instances: dict[str, str] = {}
        self.revision = 0  # the registry revision the view shows

    def on_start(self, ctx: Context) -> None:
        self._list(ctx)

    def _list(self, ctx: Context) -> None:
        self.call(ctx, Range(self.prefix, prefix_end(self.prefix)), "_listed")

    def _listed(self, ctx: Context, outcome: Any, sent: float) -> None:
        if isinstance(outcome, CoordError):
            self._list(ctx)
            return
        self.instances = {kv.key: kv.value for kv in outcome.kvs}
        self.revision = outcome.revision
        self._show(ctx)
        self.watch(ctx, self.prefix, prefix_end(self.prefix), outcome.revision + 1)

    def on_watch_events(self, ctx: Context, events: tuple[WatchEvent, ...]) -> None:
        for e in events:
            if e.type == "put":
                self.instances[e.key] = e.kv.value
            else:
                self.instances.pop(e.key, None)
        self.revision = events[-1].revision
        self._show(ctx)

    def on_watch_compacted(self, ctx: Context, compact_revision: int) -> None:
        self._list(ctx)

    def _show(self, ctx: Context) -> None:
        ctx.annotate(instances=sorted(k.rsplit("/", 1)[-1] for k in self.instances))


class CasCounter(CoordClient):
    """Adds one to the counter at ``key``, ``increments`` times (``None``: forever),
    each by a read and a compare-and-swap transaction, retried when it loses."""

    def __init__(self, servers: Sequence[Hashable], *, key: str = "/counter",
                 increments: int | None = None, think: tuple[float, float] = (0.0, 50.0),
                 **client: Any) -> None:
        super().__init__(servers, **client)
        self.key = check_str("key", key)
        self.left = check_int("increments", increments, min=0, none=True)
        self.think = _check_span("think", think)
        self.done = 0
        self.attempts = 0

    def on_start(self, ctx: Context) -> None:
        ctx.set_timer(ctx.rng.uniform(*self.think), "increment")

    def stop(self, ctx: Context) -> None:
        """Start no more increments (one under way is finished)."""
        self.left = 0

    def on_timer(self, ctx: Context, name: Hashable) -> None:
        if name == "increment":
            if self.left is None or self.left > 0:
                self.call(ctx, Range(self.key), "_read", history=("get", self.key, None))
        else:
            super().on_timer(ctx, name)

    def _read(self, ctx: Context, outcome: Any, sent: float) -> None:
        if isinstance(outcome, CoordError):
            ctx.set_timer(self.backoff, "increment")
            return
        old = outcome.kvs[0].value if outcome.kvs else ""
        new = str(int(old or "0") + 1)
        same = Compare(self.key, "value", "=", old) if old else Compare(self.key, "create", "=",
                                                                        0)
        self.attempts += 1
        self.call(ctx, Txn(compare=(same,), success=(Put(self.key, new),)), "_swapped",
                  history=("cas", self.key, (old, new)))

    def _swapped(self, ctx: Context, outcome: Any, sent: float) -> None:
        if not isinstance(outcome, CoordError) and outcome.succeeded:
            self.done += 1
            if self.left is not None:
                self.left -= 1
            ctx.set_timer(ctx.rng.uniform(*self.think), "increment")
        else:
            ctx.set_timer(self.backoff, "increment")


class Compactor(CoordClient):
    """Every ``every`` ms, compacts the store to ``keep`` revisions before the
    current one (etcd's ``--auto-compaction-mode=revision``)."""

    def __init__(self, servers: Sequence[Hashable], *, every: float = 400.0, keep: int = 5,
                 **client: Any) -> None:
        super().__init__(servers, **client)
        self.every = float(check_number("every", every, positive=True, unit="ms"))
        self.keep = check_int("keep", keep, min=0)
        self.compacted = 0

    def on_start(self, ctx: Context) -> None:
        ctx.set_timer(self.every, "compact")

    def on_timer(self, ctx: Context, name: Hashable) -> None:
        if name == "compact":
            self.call(ctx, Range("/", serializable=True), "_probed")
            ctx.set_timer(self.every, "compact")
        else:
            super().on_timer(ctx, name)

    def _probed(self, ctx: Context, outcome: Any, sent: float) -> None:
        if isinstance(outcome, CoordError):
            return
        target = outcome.revision - self.keep
        if target > self.compacted:
            self.compacted = target
            self.call(ctx, Compact(target))
