"""A client of the service: requests that survive failover, a lease session, a watch.

:class:`CoordClient` is the base of every client process (the recipes in
:mod:`~ddia10.coord.recipes` are subclasses). It does what etcd's client
library does for an application:

- **Requests with retries.** :meth:`CoordClient.call` sends an operation to
  the replica it believes leads (a random one when it has no hint), follows
  ``not_leader`` hints, and on a timeout sends the *same* request again —
  same sequence number — to another replica. Writes go one at a time, in
  order, so the service's session table can apply each exactly once; reads
  and keep-alives go alongside. When the answer comes, the method named in
  ``then`` is called with it (a result, or the
  :class:`~ddia10.coord.errors.CoordError` the service answered).
- **A lease session** (etcd's ``concurrency.Session``):
  :meth:`CoordClient.start_session` grants a lease and keeps it alive every
  third of its TTL. The client believes its lease lasts until *the time it
  sent its last successful keep-alive, plus the TTL* — on its own clock.
  That is never later than the leader's expiry if both clocks run at the same
  rate, because the leader starts its count when the keep-alive arrives. When
  the belief runs out, or a keep-alive is refused, the session is over:
  :meth:`CoordClient.on_session_lost`. A recipe must stop acting on a lock
  then — but between its last check and its next action it may be paused,
  which is why fencing exists.
- **A watch that resumes** (etcd's watch stream): :meth:`CoordClient.watch`
  asks a replica for every change from a revision on. Each part of the
  stream says which revisions it covers; a part that starts later than the
  last one ended means a part was lost, and the client starts the watch again
  on another replica from the revision after the last it received — as it
  does when a replica stays silent longer than ``watch_timeout``. What it
  hands on (:meth:`CoordClient.on_watch_events`) is every change, once, in
  order; the monitor checks that.

Each operation given ``history=`` is recorded in the trace as an ``invoke``
and a ``return`` for :mod:`ddia10.linearizability`.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import Any

from ..sim import Context, Process
from ..validate import check_bool, check_int, check_number
from .errors import CoordError
from .invariants import WatchDelivered, WatchStarted
from .messages import (
    WRITES,
    CoordReply,
    CoordRequest,
    LeaseGrant,
    LeaseKeepAlive,
    LeaseRevoke,
    RangeResult,
    TxnResult,
    WatchCancel,
    WatchCreate,
    WatchEvent,
    WatchResponse,
)


class CoordClient(Process):
    """A client process of the service. ``servers`` are the replicas' ids;
    ``timeout`` (ms) how long it waits before sending a request again elsewhere;
    ``backoff`` (ms) how long it waits when nobody knows a leader;
    ``watch_timeout`` (ms) how long a silent watch stream is trusted.
    ``bug_watch_gaps`` removes the rule that a stream with a gap is restarted."""

    def __init__(self, servers: Sequence[Hashable], *, timeout: float = 100.0,
                 backoff: float = 20.0, watch_timeout: float = 300.0,
                 bug_watch_gaps: bool = False) -> None:
        self.servers = list(servers)
        if not self.servers:
            raise ValueError("a client needs at least one server to talk to")
        self.timeout = float(check_number("timeout", timeout, positive=True, unit="ms"))
        self.backoff = float(check_number("backoff", backoff, positive=True, unit="ms"))
        self.watch_timeout = float(check_number("watch_timeout", watch_timeout, positive=True,
                                                unit="ms"))
        self.bug_watch_gaps = check_bool("bug_watch_gaps", bug_watch_gaps)
        self.seq = 0
        self.leader_hint: Hashable | None = None
        # seq -> [request, then, target, first sent (local ms), epoch, history, server]
        self.calls: dict[int, list] = {}
        self.writes: list[tuple[Any, str, tuple | None, Hashable | None]] = []  # queued
        self.writing: int | None = None  # the write in flight
        self.epoch = 0  # a new epoch ignores the answers to the old one's calls
        # the lease session
        self.lease = 0
        self.ttl = 0
        self.lease_deadline = -math.inf  # local ms
        self._session_then = ""
        # the watch: its logical number, the stream now serving it, how far it got
        self.watches = 0
        self.streams = 0
        self.watching: dict | None = None

    # ================================================================ requests
    def call(self, ctx: Context, op: Any, then: str | None = None, *,
             history: tuple | None = None, server: Hashable | None = None) -> None:
        """Send ``op``; call ``self.<then>(ctx, outcome, sent)`` with the answer
        (``sent``: when the request first left, on our clock). ``history`` =
        ``(kind, key, value)`` records the operation for the checker; ``server``
        pins the replica (for a serializable read of one replica)."""
        if then is not None and not callable(getattr(self, then, None)):
            raise ValueError(f"{type(self).__name__} has no method {then!r} to call back")
        if isinstance(op, WRITES):
            self.writes.append((op, then, history, server))
            if self.writing is None:
                self._next_write(ctx)
        else:
            self._send_new(ctx, op, then, history, server)

    def _next_write(self, ctx: Context) -> None:
        if self.writes:
            op, then, history, server = self.writes.pop(0)
            self.writing = self._send_new(ctx, op, then, history, server)

    def _send_new(self, ctx: Context, op: Any, then: str | None, history: tuple | None,
                  server: Hashable | None) -> int:
        self.seq += 1
        request = CoordRequest(ctx.pid, self.seq, op)
        self.calls[self.seq] = [request, then, None, ctx.now, self.epoch, history, server]
        if history is not None:
            kind, key, value = history
            ctx.emit("invoke", client=ctx.pid, seq=self.seq, op=kind, key=key, value=value)
        self._send(ctx, self.seq)
        return self.seq

    def _send(self, ctx: Context, seq: int) -> None:
        call = self.calls[seq]
        if call[6] is not None:
            dst = call[6]
        elif self.leader_hint in self.servers:
            dst = self.leader_hint
        else:
            dst = ctx.rng.choice([s for s in self.servers if s != call[2]] or self.servers)
        call[2] = dst
        ctx.send(dst, call[0])
        ctx.set_timer(self.timeout, ("resend", seq))

    def _replied(self, ctx: Context, src: Hashable, msg: CoordReply) -> None:
        call = self.calls.get(msg.seq)
        if call is None:
            return  # a late or repeated answer
        if msg.status == "not_leader":
            if msg.leader in self.servers and msg.leader != src and call[6] is None:
                self.leader_hint = msg.leader
                self._send(ctx, msg.seq)
            else:
                self.leader_hint = None
                ctx.set_timer(self.backoff, ("resend", msg.seq))
            return
        if msg.status == "retry":
            ctx.set_timer(self.backoff, ("resend", msg.seq))
            return
        del self.calls[msg.seq]
        ctx.cancel_timer(("resend", msg.seq))
        if call[6] is None:
            self.leader_hint = src
        outcome = msg.error if msg.status == "error" else msg.result
        request, then, _target, sent, epoch, history, _server = call
        if history is not None and not isinstance(outcome, CoordError):
            ctx.emit("return", client=ctx.pid, seq=msg.seq, output=_output(history[0], outcome))
        if self.writing == msg.seq:
            self.writing = None
            self._next_write(ctx)
        if then is not None and epoch == self.epoch:
            getattr(self, then)(ctx, outcome, sent)

    def forget_calls(self) -> None:
        """Start a new epoch: answers to the calls made so far are ignored (a write
        in flight is still carried through, for the session table's sake)."""
        self.epoch += 1
        self.writes = [w for w in self.writes if w[1] is None]

    # ================================================================ the lease session
    def start_session(self, ctx: Context, ttl: int, then: str) -> None:
        """Grant a lease of ``ttl`` s, keep it alive; then ``self.<then>(ctx, lease, sent)``."""
        check_int("lease TTL (seconds)", ttl, min=1)
        self._session_then = then
        self.call(ctx, LeaseGrant(ttl), "_granted")

    def _granted(self, ctx: Context, outcome: Any, sent: float) -> None:
        if isinstance(outcome, CoordError):
            self.on_session_lost(ctx)
            return
        self.lease, self.ttl = outcome.id, outcome.ttl
        self._extend(ctx, sent)
        ctx.set_timer(self.ttl * 1000.0 / 3, "keepalive")
        getattr(self, self._session_then)(ctx, self.lease, sent)

    def _extend(self, ctx: Context, sent: float) -> None:
        self.lease_deadline = max(self.lease_deadline, sent + self.ttl * 1000.0)
        ctx.set_timer(max(0.0, self.lease_deadline - ctx.now), "lease-deadline")

    def session_valid(self, ctx: Context) -> bool:
        """Does this client believe, on its own clock, that its lease still holds?"""
        return self.lease != 0 and ctx.now < self.lease_deadline

    def end_session(self, ctx: Context, *, revoke: bool = True) -> None:
        """Stop keeping the lease alive (and revoke it, unless told not to)."""
        if self.lease and revoke:
            self.call(ctx, LeaseRevoke(self.lease))
        self.lease = 0
        self.lease_deadline = -math.inf
        ctx.cancel_timer("keepalive")
        ctx.cancel_timer("lease-deadline")

    def _kept_alive(self, ctx: Context, outcome: Any, sent: float) -> None:
        if not self.lease:
            return
        if isinstance(outcome, CoordError) or outcome.id != self.lease:
            self._lose_session(ctx)
        else:
            self._extend(ctx, sent)

    def _lose_session(self, ctx: Context) -> None:
        self.lease_deadline = -math.inf
        ctx.cancel_timer("keepalive")
        ctx.cancel_timer("lease-deadline")
        self.on_session_lost(ctx)

    def on_session_lost(self, ctx: Context) -> None:
        """The lease is gone, or this client can no longer believe it holds. A
        recipe stops acting and calls :meth:`end_session` (which revokes the lease,
        in case the service still holds it)."""
        self.end_session(ctx)

    # ================================================================ the watch
    def watch(self, ctx: Context, key: str, range_end: str | None, start_revision: int) -> int:
        """Watch ``key`` (or ``[key, range_end)``) from ``start_revision`` on; the
        changes arrive at :meth:`on_watch_events`. Returns the watch's number."""
        check_int("start revision", start_revision, min=1)
        self.cancel_watch(ctx)
        self.watches += 1
        self.watching = {"watch": self.watches, "key": key, "end": range_end,
                         "covered": start_revision - 1, "stream": 0, "server": None,
                         "heard": True}
        ctx.report(WatchStarted(ctx.pid, self.watches, start_revision - 1))
        self._open_stream(ctx)
        return self.watches

    def cancel_watch(self, ctx: Context) -> None:
        w = self.watching
        if w is not None:
            ctx.send(w["server"], CoordRequest(ctx.pid, self._next_seq(), WatchCancel(w["stream"])))
            self.watching = None
            ctx.cancel_timer("watch-check")

    def _next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def _open_stream(self, ctx: Context) -> None:
        w = self.watching
        old = w["server"]
        if old is not None:
            ctx.send(old, CoordRequest(ctx.pid, self._next_seq(), WatchCancel(w["stream"])))
        self.streams += 1
        w["stream"] = self.streams
        w["server"] = ctx.rng.choice([s for s in self.servers if s != old] or self.servers)
        w["heard"] = True
        op = WatchCreate(self.streams, w["key"], w["end"], w["covered"] + 1)
        ctx.send(w["server"], CoordRequest(ctx.pid, self._next_seq(), op))
        ctx.set_timer(self.watch_timeout, "watch-check")

    def _watch_part(self, ctx: Context, msg: WatchResponse) -> None:
        w = self.watching
        if w is None or msg.watch_id != w["stream"]:
            return  # an old stream's part
        w["heard"] = True
        if msg.compact_revision:
            self.watching = None
            ctx.cancel_timer("watch-check")
            self.on_watch_compacted(ctx, msg.compact_revision)
            return
        covered = w["covered"]
        if msg.after > covered and not self.bug_watch_gaps:
            self._open_stream(ctx)  # a part went missing: start again after what we have
            return
        if msg.revision <= covered:
            return  # nothing new
        events = tuple(e for e in msg.events if e.revision > covered)
        ctx.report(WatchDelivered(ctx.pid, w["watch"], w["key"], w["end"], covered,
                                  msg.revision, events))
        w["covered"] = msg.revision
        if events:
            self.on_watch_events(ctx, events)

    def on_watch_events(self, ctx: Context, events: tuple[WatchEvent, ...]) -> None:
        """Changes to the watched keys, in order, each once."""

    def on_watch_compacted(self, ctx: Context, compact_revision: int) -> None:
        """The watch's start was compacted away; it is cancelled. Read afresh and
        watch again from where the read left off."""

    # ================================================================ events
    def on_message(self, ctx: Context, src: Hashable, msg: Any) -> None:
        if isinstance(msg, CoordReply) and msg.client == ctx.pid:
            self._replied(ctx, src, msg)
        elif isinstance(msg, WatchResponse):
            self._watch_part(ctx, msg)

    def on_timer(self, ctx: Context, name: Hashable) -> None:
        if isinstance(name, tuple) and name[0] == "resend":
            call = self.calls.get(name[1])
            if call is not None:
                if self.leader_hint == call[2]:
                    self.leader_hint = None  # the hinted leader is silent: forget it
                self._send(ctx, name[1])
        elif name == "keepalive" and self.lease:
            self.call(ctx, LeaseKeepAlive(self.lease), "_kept_alive")
            ctx.set_timer(self.ttl * 1000.0 / 3, "keepalive")
        elif name == "lease-deadline" and self.lease and ctx.now >= self.lease_deadline:
            self._lose_session(ctx)
        elif name == "watch-check" and self.watching is not None:
            if self.watching["heard"]:
                self.watching["heard"] = False
                ctx.set_timer(self.watch_timeout, "watch-check")
            else:
                self._open_stream(ctx)


def _output(kind: str, outcome: Any) -> Any:
    """What a recorded operation returned, as :mod:`ddia10.linearizability` reads it."""
    if kind == "get":
        return outcome.kvs[0].value if isinstance(outcome, RangeResult) and outcome.kvs else ""
    if kind == "cas":
        return isinstance(outcome, TxnResult) and outcome.succeeded
    return None
