"""One replica of the coordination service: a Raft server whose state machine is the store.

:class:`CoordServer` is a :class:`~ddia10.raft.RaftNode` that serves etcd's
operations (:mod:`~ddia10.coord.messages`) from an
:class:`~ddia10.coord.store.MVCCStore`, using only Raft's public hooks
(``propose``, ``apply_command``, ``request_read`` and its callbacks,
``snapshot_state``/``restore_state``):

- **Writes** (put, delete, txn, lease grant and revoke, compaction) are
  proposed by the leader and answered when applied; a follower answers
  ``not_leader`` with its leader hint.
- **Reads** are linearizable by default: the leader confirms with a heartbeat
  round that it still leads (ReadIndex) and answers once it has applied that
  far. A ``serializable`` read is answered at once by whichever replica the
  client asked, from its own store: fast, available without a quorum, and
  possibly stale.
- **Leases run on the leader's clock.** The leader notes when each lease
  expires, on its local (simulated, possibly drifting) clock, and a
  keep-alive — answered only after a heartbeat round confirms it still leads
  — moves that time to *now + TTL*. A keep-alive for a lease it already saw
  run out gets ``requested lease not found``. When a lease runs out the leader
  does not delete anything itself: it proposes a
  :class:`~ddia10.coord.messages.LeaseExpiry`, so every replica deletes the
  lease's keys in the same entry, at the same revision. A new leader knows
  nothing of its predecessor's clock, so it gives every lease a fresh TTL plus
  an election timeout (etcd's ``Promote``): leases can only last longer
  across a leader change, never end early. Followers keep no expiry times.
- **Watches** are served by whichever replica the client asked: it sends
  every change of the watched range from the start revision on, in order, as
  :class:`~ddia10.coord.messages.WatchResponse` parts that each say which
  revisions they cover, plus an empty part every ``watch_progress`` ms so the
  client knows the stream is alive. A watch is volatile: if its replica
  crashes, the client starts it again elsewhere from the revision after the
  last one it received.
- **Limits**: a request whose keys and values exceed ``max_request_bytes``
  gets ``request is too large``; a read or watch of a compacted revision gets
  ``required revision has been compacted``.

``bug_local_expiry`` removes one rule: every replica expires leases on its own
clock and deletes their keys itself, instead of the leader proposing the
expiry. The replicas' stores then drift apart (see
:mod:`~ddia10.coord.invariants`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from ..raft import RaftNode, RaftOptions, RaftView
from ..sim import Context
from ..validate import check_bool, check_instance, check_int, check_number
from .errors import ERR_LEASE_NOT_FOUND, ERR_TOO_LARGE, CoordError
from .invariants import StoreChanged
from .messages import (
    WRITES,
    CoordCommand,
    CoordReply,
    CoordRequest,
    LeaseExpiry,
    LeaseGrant,
    LeaseKeepAlive,
    LeaseResult,
    LeaseRevoke,
    LeaseTimeToLive,
    Range,
    Txn,
    WatchCancel,
    WatchCreate,
    WatchResponse,
)
from .store import MVCCStore

MAX_REQUEST_BYTES = 1_572_864
"""etcd's default ``--max-request-bytes``: 1.5 MiB."""


@dataclass(frozen=True)
class CoordOptions:
    """The service's own settings (Raft's are :class:`~ddia10.raft.RaftOptions`).

    ``max_request_bytes`` limits the bytes of keys and values in one request;
    ``lease_check`` is how often (ms) the leader looks for leases that ran out;
    ``watch_progress`` how often (ms) a replica tells each watcher it is alive;
    ``min_ttl`` the shortest lease (s), ``None`` for etcd's rule (1.5 election
    timeouts, rounded up to a whole second).
    """

    max_request_bytes: int = MAX_REQUEST_BYTES
    lease_check: float = 100.0
    watch_progress: float = 100.0
    min_ttl: int | None = None
    bug_local_expiry: bool = False

    def __post_init__(self) -> None:
        check_int("max_request_bytes", self.max_request_bytes, min=1)
        check_number("lease_check", self.lease_check, positive=True, unit="ms")
        check_number("watch_progress", self.watch_progress, positive=True, unit="ms")
        check_int("min_ttl", self.min_ttl, min=1, none=True)
        check_bool("bug_local_expiry", self.bug_local_expiry)


def request_bytes(op: Any) -> int:
    """The size a request counts against the limit: the UTF-8 bytes of every key,
    range end and value in it (etcd counts its whole encoded request, a few bytes more)."""
    if isinstance(op, Txn):
        return sum(request_bytes(part) for part in op.compare + op.success + op.failure)
    size = 0
    for name in ("key", "range_end"):
        part = getattr(op, name, None)
        if isinstance(part, str):
            size += len(part.encode())
    value = getattr(op, "value", None)
    if isinstance(value, str):
        size += len(value.encode())
    return size


class CoordView(RaftView):
    """What a replica publishes: Raft's view plus ``revision`` (the store's), ``keys``
    (live key -> value) and ``leases`` (lease id -> its keys)."""

    revision: int
    keys: dict[str, str]
    leases: dict[int, list[str]]


class CoordServer(RaftNode):
    """A replica of the coordination service (see the module docstring)."""

    def __init__(self, options: RaftOptions | None = None, voters: Iterable[Hashable] = (),
                 *, coord: CoordOptions | None = None) -> None:
        super().__init__(options, voters)
        self.coord = check_instance("coord options", coord or CoordOptions(), CoordOptions)
        min_ttl = self.coord.min_ttl or max(1, math.ceil(1.5 * self.options.election_timeout[0]
                                                        / 1000))
        self.store = MVCCStore(min_ttl)
        self.waiting_writes: dict[int, tuple[Hashable, CoordRequest, int]] = {}
        self.waiting_reads: dict[int, tuple[Hashable, CoordRequest, float]] = {}
        self.next_read = 0
        self.expiry: dict[int, float] = {}  # leader: lease -> when it runs out (local ms)
        self.expiring: set[int] = set()  # leader: leases whose expiry is proposed
        self.watchers: dict[tuple[Hashable, int], list] = {}  # (client, id) -> [key, end, covered]

    @classmethod
    def factory(cls, coord: CoordOptions | None = None) -> Callable[..., CoordServer]:
        """A ``node_class`` for :class:`~ddia10.raft.RaftCluster` with these options."""
        check_instance("coord options", coord, CoordOptions, none=True)
        return functools.partial(cls, coord=coord)

    def fingerprint(self) -> dict:
        state = super().fingerprint()
        del state["expiry"]  # clock readings
        return state

    # ================================================================ Raft's hooks
    def apply_command(self, ctx: Context, index: int, command: Any) -> Any:
        before = self.store.revision
        first_event = len(self.store.events)
        outcome = self.store.apply(command)
        if isinstance(command, LeaseExpiry):
            self.expiry.pop(command.id, None)
            self.expiring.discard(command.id)
        elif isinstance(command.op, LeaseGrant) and isinstance(outcome, LeaseResult) \
                and self.role == "leader":
            self.expiry[outcome.id] = ctx.now + outcome.ttl * 1000.0
        elif isinstance(command.op, LeaseRevoke):
            self.expiry.pop(command.op.id, None)
        if self.store.revision != before:
            ctx.report(StoreChanged(self.pid, self.store.revision,
                                    tuple(self.store.events[first_event:])))
        for waiting in sorted(i for i in self.waiting_writes if i <= index):
            src, request, term = self.waiting_writes.pop(waiting)
            if waiting == index and self.log.term_at(index) == term:
                self._answer(ctx, src, request, outcome)
            else:  # another leader's entry took the index: ours was lost
                ctx.send(src, CoordReply(request.client, request.seq, "retry"))
        self._feed_watchers(ctx)
        return outcome

    def snapshot_state(self) -> Any:
        return self.store.snapshot()

    def restore_state(self, state: Any) -> None:
        self.store.restore(state)

    def become_leader(self, ctx: Context) -> None:
        """etcd's ``Promote``: every lease gets its whole TTL again, plus an
        election timeout, counted from now on this leader's clock."""
        super().become_leader(ctx)
        extend = self.options.election_timeout[1]
        self.expiry = {lease: ctx.now + extend + ttl * 1000.0
                       for lease, (ttl, _keys) in self.store.leases.items()}
        self.expiring = set()
        ctx.set_timer(self.coord.lease_check, "leases")

    def on_start(self, ctx: Context) -> None:
        super().on_start(ctx)
        if self.coord.bug_local_expiry:
            ctx.set_timer(self.coord.lease_check, "leases")

    def on_timer(self, ctx: Context, name: Hashable) -> None:
        if name == "leases":
            self._check_leases(ctx)
        elif name == "watch-progress":
            if self.watchers:
                self._feed_watchers(ctx, progress=True)
                ctx.set_timer(self.coord.watch_progress, "watch-progress")
        else:
            super().on_timer(ctx, name)

    # ================================================================ leases
    def _check_leases(self, ctx: Context) -> None:
        if self.coord.bug_local_expiry:
            self._expire_locally(ctx)
            ctx.set_timer(self.coord.lease_check, "leases")
            return
        if self.role != "leader":
            return
        for lease in sorted(self.expiry):
            if self.expiry[lease] <= ctx.now and lease not in self.expiring:
                if self.propose(ctx, LeaseExpiry(lease)) is not None:
                    self.expiring.add(lease)
        ctx.set_timer(self.coord.lease_check, "leases")

    def _expire_locally(self, ctx: Context) -> None:
        """The bug: each replica deletes a lease's keys when *its* clock says so,
        reckoned from when it applied the grant or last heard a keep-alive."""
        for lease, (ttl, _keys) in list(self.store.leases.items()):
            self.expiry.setdefault(lease, ctx.now + ttl * 1000.0)
            if self.expiry[lease] <= ctx.now:
                self.expiry.pop(lease)
                before = self.store.revision
                first_event = len(self.store.events)
                self.store.apply(LeaseExpiry(lease))
                if self.store.revision != before:
                    ctx.report(StoreChanged(self.pid, self.store.revision,
                                            tuple(self.store.events[first_event:])))
        self._feed_watchers(ctx)

    def _keep_alive(self, ctx: Context, src: Hashable, request: CoordRequest,
                    arrived: float) -> None:
        lease = request.op.id
        if lease not in self.store.leases or self.expiry.get(lease, math.inf) <= ctx.now \
                or lease in self.expiring:
            self._answer(ctx, src, request, CoordError(ERR_LEASE_NOT_FOUND))
            return
        ttl = self.store.leases[lease][0]
        self.expiry[lease] = arrived + ttl * 1000.0
        self._answer(ctx, src, request, LeaseResult(lease, ttl, ttl))

    def _time_to_live(self, ctx: Context, src: Hashable, request: CoordRequest) -> None:
        lease = request.op.id
        if lease not in self.store.leases or lease in self.expiring:
            self._answer(ctx, src, request, LeaseResult(lease, -1))
            return
        ttl = self.store.leases[lease][0]
        left = max(0, math.ceil((self.expiry.get(lease, ctx.now) - ctx.now) / 1000.0))
        self._answer(ctx, src, request, LeaseResult(lease, left, ttl,
                                                    self.store.lease_keys(lease)))

    # ================================================================ client requests
    def on_client_message(self, ctx: Context, src: Hashable, msg: Any) -> None:
        if not isinstance(msg, CoordRequest):
            return
        op = msg.op
        if request_bytes(op) > self.coord.max_request_bytes:
            self._answer(ctx, src, msg, CoordError(ERR_TOO_LARGE))
        elif isinstance(op, WatchCreate):
            self._create_watch(ctx, src, op)
        elif isinstance(op, WatchCancel):
            self.watchers.pop((src, op.watch_id), None)
        elif isinstance(op, Range) and op.serializable:
            self._serve_range(ctx, src, msg)
        else:
            done, outcome = self.store.cached(msg.client, msg.seq)
            if done:  # a retry of a write already applied
                self._answer(ctx, src, msg, outcome)
            elif self.role != "leader":
                ctx.send(src, CoordReply(msg.client, msg.seq, "not_leader",
                                         leader=self.leader_id))
            elif isinstance(op, WRITES):
                self._propose(ctx, src, msg)
            else:  # a linearizable read, a keep-alive or a time-to-live: confirm we lead
                self.next_read += 1
                self.waiting_reads[self.next_read] = (src, msg, ctx.now)
                self.request_read(ctx, self.next_read)

    def _propose(self, ctx: Context, src: Hashable, request: CoordRequest) -> None:
        command = CoordCommand(request.client, request.seq, request.op)
        for index, (_src, waiting, term) in self.waiting_writes.items():
            if waiting == request and term == self.term:  # in our log, awaiting commit
                self.waiting_writes[index] = (src, request, term)
                return
        # Noted before proposing: a lone voter commits and applies inside propose.
        index = self.log.last_index + 1
        self.waiting_writes[index] = (src, request, self.term)
        if self.propose(ctx, command) is None:
            del self.waiting_writes[index]
            ctx.send(src, CoordReply(request.client, request.seq, "not_leader",
                                     leader=self.leader_id))

    def on_read_ready(self, ctx: Context, read_id: Hashable, index: int) -> None:
        waiting = self.waiting_reads.pop(read_id, None)
        if waiting is None:
            return
        src, request, arrived = waiting
        if isinstance(request.op, LeaseKeepAlive):
            self._keep_alive(ctx, src, request, arrived)
        elif isinstance(request.op, LeaseTimeToLive):
            self._time_to_live(ctx, src, request)
        else:
            self._serve_range(ctx, src, request)

    def on_read_failed(self, ctx: Context, read_id: Hashable) -> None:
        waiting = self.waiting_reads.pop(read_id, None)
        if waiting is not None:
            src, request, _arrived = waiting
            ctx.send(src, CoordReply(request.client, request.seq, "not_leader",
                                     leader=self.leader_id))

    def _serve_range(self, ctx: Context, src: Hashable, request: CoordRequest) -> None:
        try:
            outcome: Any = self.store.range(request.op)
        except CoordError as error:
            outcome = error
        self._answer(ctx, src, request, outcome)

    def _answer(self, ctx: Context, src: Hashable, request: CoordRequest, outcome: Any) -> None:
        if isinstance(outcome, CoordError):
            ctx.send(src, CoordReply(request.client, request.seq, "error", error=outcome))
        else:
            ctx.send(src, CoordReply(request.client, request.seq, "ok", outcome))

    # ================================================================ watches
    def _create_watch(self, ctx: Context, src: Hashable, op: WatchCreate) -> None:
        if (src, op.watch_id) in self.watchers:
            return  # a repeat of a request we already serve
        covered = op.start_revision - 1 if op.start_revision else self.store.revision
        if covered + 1 < self.store.compacted:
            ctx.send(src, WatchResponse(op.watch_id, covered, covered,
                                        compact_revision=self.store.compacted))
            return
        self.watchers[(src, op.watch_id)] = [op.key, op.range_end, covered]
        self._feed(ctx, src, op.watch_id, progress=True)
        ctx.set_timer(self.coord.watch_progress, "watch-progress")

    def _feed_watchers(self, ctx: Context, progress: bool = False) -> None:
        for client, watch_id in list(self.watchers):
            self._feed(ctx, client, watch_id, progress)

    def _feed(self, ctx: Context, client: Hashable, watch_id: int, progress: bool) -> None:
        """Send the watcher what happened since the last part, if anything did (or,
        with ``progress``, an empty part saying the stream is alive)."""
        watcher = self.watchers[(client, watch_id)]
        key, end, covered = watcher
        now = self.store.revision
        if now <= covered:
            if progress:
                ctx.send(client, WatchResponse(watch_id, covered, covered))
            return
        try:
            events = self.store.events_after(covered, key, end)
        except CoordError:  # compacted while the watcher lagged: cancel, say from where
            del self.watchers[(client, watch_id)]
            ctx.send(client, WatchResponse(watch_id, covered, covered,
                                           compact_revision=self.store.compacted))
            return
        if events or progress:
            watcher[2] = now
            ctx.send(client, WatchResponse(watch_id, covered, now, tuple(events)))

    # ================================================================ annotations
    def view(self) -> CoordView:
        view = super().view()
        store = self.store
        view["revision"] = store.revision
        view["keys"] = {k: kv.value for k, kv in sorted(store.live.items())}
        view["leases"] = {lease: sorted(keys) for lease, (_ttl, keys) in store.leases.items()}
        return view  # type: ignore[return-value]

