"""Viewstamped Replication, compactly: normal operation, the view change, recovery.

Viewstamped Replication (Oki and Liskov, PODC 1988; restated by Liskov and
Cowling, *Viewstamped Replication Revisited*, MIT tech report 2012, whose
rules this follows) replicates a log with a *primary* and backups. Time is
cut into *views*; the primary of view ``v`` is fixed in advance, the
``v mod n``-th replica, so no election is needed, only agreement to move on.

**Normal operation.** The primary numbers a client's operation (its
*op-number*), appends it and sends :class:`PrepareOp` to the backups; a backup
takes operations in order (one that arrives early waits for those before it)
and answers :class:`PrepareOK`; with ``f`` answers
(``f + 1`` copies with its own, a majority of ``2f + 1``) the primary commits
the operation and every one before it. :class:`CommitOp` tells the backups,
and is the primary's heartbeat.

**View change.** A backup that hears nothing from its primary moves to the
next view and says so (:class:`StartViewChange`); a replica that hears ``f``
others agree sends the new primary its log in :class:`DoViewChange`, with the
last view in which it was normal. From ``f + 1`` of those the new primary
takes the log of the replica whose last normal view is the *latest*, and among
those the one with the highest op-number — not simply the longest log, and
that is the rule Raft's election restriction (compare last terms first) and
ZAB's synchronization (compare current epochs first) share. It announces the
view with :class:`StartView`.

**Recovery.** The paper keeps no state on disk at all: a replica that
restarts has forgotten everything, so it may not vote before it has caught
up; it asks everyone (:class:`Recovery`, with a fresh nonce) and takes the
state of the primary of the latest view among ``f + 1`` answers. Nothing is
persisted here either, which the comparison of chapter 7 shows as zero disk
writes per decision (the price: more than ``f`` replicas failing together
lose the log, where a protocol that writes to disk would only stall).

:class:`VRCluster` is the harness, :class:`VRMonitor` the safety monitor
(``bug_longest_log`` makes the new primary pick the longest log instead).
Chapter 7 teaches it (:mod:`ddia10.scenarios.zab_and_others`).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, fields
from typing import Any

from .harness import Harness
from .invariants import InvariantViolation
from .sim import Context, Process
from .validate import check_bool, check_number

NORMAL, VIEW_CHANGE, RECOVERING = "normal", "view-change", "recovering"

AGREEMENT = "agreement"
COMMITTED_SURVIVE = "committed operations survive view changes"
INVARIANTS = (AGREEMENT, COMMITTED_SURVIVE)


# ---------------------------------------------------------------------- messages
@dataclass(frozen=True)
class PrepareOp:
    """The primary of ``view`` asks backups to take ``op`` as ``op_number``;
    ``commit`` is its commit number."""

    view: int
    op_number: int
    op: Any
    commit: int


@dataclass(frozen=True)
class PrepareOK:
    """A backup of ``view`` has every operation up to ``op_number``."""

    view: int
    op_number: int


@dataclass(frozen=True)
class CommitOp:
    """The primary of ``view`` has committed up to ``commit`` (its heartbeat)."""

    view: int
    commit: int


@dataclass(frozen=True)
class StartViewChange:
    """The sender moved to ``view`` and wants a view change."""

    view: int


@dataclass(frozen=True)
class DoViewChange:
    """To the new primary of ``view``: the sender's log, the last view in which it
    was normal, and its commit number."""

    view: int
    log: tuple
    last_normal: int
    commit: int


@dataclass(frozen=True)
class StartView:
    """The new primary's log for ``view``; sent also to a replica that asks
    for the state of a view it missed."""

    view: int
    log: tuple
    commit: int


@dataclass(frozen=True)
class GetState:
    """A replica heard of ``view`` but missed its start: send it again."""

    view: int


@dataclass(frozen=True)
class Recovery:
    """A restarted replica asks for the state (``nonce`` tells answers apart)."""

    nonce: int


@dataclass(frozen=True)
class RecoveryResponse:
    """An answer to :class:`Recovery`: the view, and from its primary the log."""

    view: int
    nonce: int
    log: tuple | None
    commit: int


# ---------------------------------------------------------------------- facts and monitor
@dataclass(frozen=True)
class ExecutedOp:
    """``replica`` executed ``op`` as operation ``op_number``."""

    replica: Hashable
    op_number: int
    op: Any


@dataclass(frozen=True)
class ViewStarted:
    """``primary`` started ``view`` with ``log``."""

    view: int
    primary: Hashable
    log: tuple


class VRMonitor:
    """Agreement (one operation per op-number, wherever executed) and that every
    executed operation is in the log of every later view, at its place."""

    def __init__(self) -> None:
        self.executed: dict[int, Any] = {}
        self.views: dict[int, tuple] = {}
        self.violations: list[InvariantViolation] = []

    def hear(self, fact: Any) -> None:
        if isinstance(fact, ExecutedOp):
            known = self.executed.setdefault(fact.op_number, fact.op)
            if known != fact.op:
                self._fail(AGREEMENT, f"replica {fact.replica!r} executed {fact.op!r} as "
                           f"operation {fact.op_number}, where {known!r} was executed")
        elif isinstance(fact, ViewStarted):
            self.views[fact.view] = fact.log
            for number, op in sorted(self.executed.items()):
                if number > len(fact.log) or fact.log[number - 1] != op:
                    self._fail(COMMITTED_SURVIVE, f"view {fact.view} started by "
                               f"{fact.primary!r} without {op!r}, executed as operation "
                               f"{number}")
                    break

    def check(self) -> None:
        if self.violations:
            raise self.violations[0]

    def fingerprint(self) -> tuple:
        return (len(self.executed), tuple(sorted(self.views)), len(self.violations))

    def _fail(self, invariant: str, evidence: str) -> None:
        self.violations.append(InvariantViolation(invariant, evidence))


# ---------------------------------------------------------------------- the replica
@dataclass(frozen=True)
class VROptions:
    """Timing (ms): the primary's ``heartbeat`` and a backup's ``view_timeout``
    (a replica in a view change that does not see the view start within it
    moves to the next view). ``bug_longest_log`` makes a new primary take the
    longest log it is sent, ignoring when each replica was last normal."""

    heartbeat: float = 20.0
    view_timeout: float = 100.0
    bug_longest_log: bool = False

    def __post_init__(self) -> None:
        check_number("heartbeat", self.heartbeat, positive=True, unit="ms")
        check_number("view_timeout", self.view_timeout, positive=True, unit="ms")
        if self.view_timeout <= self.heartbeat:
            raise ValueError(f"view_timeout ({self.view_timeout:g} ms) must be longer than the "
                             f"heartbeat ({self.heartbeat:g} ms)")
        check_bool("bug_longest_log", self.bug_longest_log)

    @classmethod
    def names(cls) -> frozenset:
        return frozenset(f.name for f in fields(cls))


class VRReplica(Process):
    """Replica ``pid`` of ``replicas`` (all state volatile, as in the paper)."""

    def __init__(self, pid: Hashable, replicas: tuple, options: VROptions) -> None:
        self.id = pid
        self.replicas = tuple(replicas)
        self.options = options
        self.f = (len(self.replicas) - 1) // 2
        self.view = 0
        self.status = NORMAL
        self.log: list = []
        self.early: dict[int, Any] = {}  # operations that arrived before an earlier one
        self.commit = 0
        self.executed = 0
        self.last_normal = 0
        self.acked: dict[Hashable, int] = {}  # primary: each backup's PrepareOK mark
        self.stalled: dict[Hashable, int] = {}
        self.agreeing: set = set()  # view change: who sent StartViewChange for our view
        self.sent_do_view_change = False
        self.do_view_changes: dict[Hashable, DoViewChange] = {}
        self.nonce = 0
        self.responses: dict[Hashable, RecoveryResponse] = {}
        self.heard = 0.0

    def primary(self, view: int | None = None) -> Hashable:
        """The primary of ``view`` (default: ours): replicas take turns."""
        return self.replicas[(self.view if view is None else view) % len(self.replicas)]

    @property
    def op_number(self) -> int:
        return len(self.log)

    def view_state(self) -> dict:
        role = "primary" if self.status == NORMAL and self.primary() == self.id else "backup"
        return {"role": role if self.status == NORMAL else self.status, "view": self.view,
                "log": list(self.log), "commit": self.commit}

    def on_start(self, ctx: Context) -> None:
        if ctx.incarnation:  # restarted: we forgot everything, so first catch up
            self.status, self.nonce = RECOVERING, ctx.rng.getrandbits(32)
            ctx.set_timer(0.0, "recover")
        else:
            ctx.set_timer(self.options.heartbeat if self.primary() == self.id
                          else self.options.view_timeout, "timer")
        ctx.annotate(**self.view_state())

    # ---------------------------------------------------------------- timers
    def on_timer(self, ctx: Context, name: Hashable) -> None:
        if name == "recover":
            if self.status == RECOVERING:
                self.responses = {}
                self._to_all(ctx, Recovery(self.nonce))
                ctx.set_timer(self.options.view_timeout, "recover")
            return
        if self.status == NORMAL and self.primary() == self.id:
            for backup in self._others():
                ctx.send(backup, CommitOp(self.view, self.commit))
                self._resend(ctx, backup)
            ctx.set_timer(self.options.heartbeat, "timer")
        elif self.status == VIEW_CHANGE or ctx.now - self.heard >= self.options.view_timeout:
            self._start_view_change(ctx, self.view + 1)
        else:
            ctx.set_timer(self.options.view_timeout, "timer")

    # ---------------------------------------------------------------- normal operation
    def request(self, ctx: Context, op: Any) -> int | None:
        """A client's operation at this replica: its op-number if we are the
        primary of a normal view, else ``None``."""
        if self.status != NORMAL or self.primary() != self.id:
            return None
        self.log.append(op)
        for backup in self._others():
            ctx.send(backup, PrepareOp(self.view, self.op_number, op, self.commit))
        self._maybe_commit(ctx)
        ctx.annotate(**self.view_state())
        return self.op_number

    def on_message(self, ctx: Context, src: Hashable, msg: Any) -> None:
        handler = _HANDLERS.get(type(msg))
        if handler is None:
            return
        if self.status == RECOVERING and not isinstance(msg, RecoveryResponse):
            return
        view = getattr(msg, "view", None)
        if view is not None and view > self.view and isinstance(msg, (PrepareOp, CommitOp)):
            ctx.send(self.primary(view), GetState(view))  # we missed a view change
            return
        handler(self, ctx, src, msg)

    def _on_prepare(self, ctx: Context, src: Hashable, msg: PrepareOp) -> None:
        if msg.view != self.view:
            return
        if self.status != NORMAL or msg.op_number > self.op_number + 1:
            self.early[msg.op_number] = msg.op  # wait for the view to start, or for those before
            return
        self.heard = ctx.now
        if msg.op_number == self.op_number + 1:
            self.log.append(msg.op)
            self._take_early()
        if msg.op_number <= self.op_number:
            ctx.send(src, PrepareOK(self.view, self.op_number))
        self._execute(ctx, msg.commit)

    def _take_early(self) -> None:
        while self.op_number + 1 in self.early:
            self.log.append(self.early.pop(self.op_number + 1))

    def _on_prepare_ok(self, ctx: Context, src: Hashable, msg: PrepareOK) -> None:
        if msg.view == self.view and self.status == NORMAL and self.primary() == self.id:
            self.acked[src] = max(self.acked.get(src, 0), msg.op_number)
            self._maybe_commit(ctx)

    def _maybe_commit(self, ctx: Context) -> None:
        marks = sorted([self.op_number, *self.acked.values()], reverse=True)
        if len(marks) > self.f and marks[self.f] > self.commit:
            self._execute(ctx, marks[self.f])

    def _on_commit(self, ctx: Context, src: Hashable, msg: CommitOp) -> None:
        if msg.view == self.view and self.status == NORMAL:
            self.heard = ctx.now
            self._execute(ctx, msg.commit)
            ctx.send(src, PrepareOK(self.view, self.op_number))

    def _resend(self, ctx: Context, backup: Hashable) -> None:
        mark = self.acked.get(backup, 0)
        if mark == self.stalled.get(backup, -1):
            for number in range(mark + 1, self.op_number + 1):
                ctx.send(backup, PrepareOp(self.view, number, self.log[number - 1], self.commit))
        self.stalled[backup] = mark

    def _execute(self, ctx: Context, commit: int) -> None:
        self.commit = max(self.commit, min(commit, self.op_number))
        while self.executed < self.commit:
            self.executed += 1
            ctx.report(ExecutedOp(self.id, self.executed, self.log[self.executed - 1]))
        ctx.annotate(**self.view_state())

    # ---------------------------------------------------------------- view change
    def _start_view_change(self, ctx: Context, view: int) -> None:
        self.view, self.status, self.early = view, VIEW_CHANGE, {}
        self.agreeing, self.sent_do_view_change, self.do_view_changes = {self.id}, False, {}
        self.acked, self.stalled = {}, {}
        self._to_all(ctx, StartViewChange(view))
        ctx.set_timer(self.options.view_timeout, "timer")
        ctx.annotate(**self.view_state())

    def _on_start_view_change(self, ctx: Context, src: Hashable, msg: StartViewChange) -> None:
        if msg.view > self.view:
            self._start_view_change(ctx, msg.view)
        if msg.view == self.view and self.status == VIEW_CHANGE:
            self.agreeing.add(src)
            if len(self.agreeing) > self.f and not self.sent_do_view_change:
                self.sent_do_view_change = True
                dvc = DoViewChange(self.view, tuple(self.log), self.last_normal, self.commit)
                if self.primary() == self.id:
                    self._on_do_view_change(ctx, self.id, dvc)
                else:
                    ctx.send(self.primary(), dvc)

    def _on_do_view_change(self, ctx: Context, src: Hashable, msg: DoViewChange) -> None:
        if msg.view > self.view:
            self._start_view_change(ctx, msg.view)
        if msg.view != self.view or self.status != VIEW_CHANGE or self.primary() != self.id:
            return
        self.do_view_changes[src] = msg
        if len(self.do_view_changes) <= self.f:
            return
        if self.options.bug_longest_log:
            best = max(self.do_view_changes.values(), key=lambda m: len(m.log))
        else:
            best = max(self.do_view_changes.values(), key=lambda m: (m.last_normal, len(m.log)))
        self.log = list(best.log)
        self.status, self.last_normal = NORMAL, self.view
        commit = max(m.commit for m in self.do_view_changes.values())
        ctx.report(ViewStarted(self.view, self.id, tuple(self.log)))
        ctx.emit("note", text=f"replica {self.id} starts view {self.view}")
        self._to_all(ctx, StartView(self.view, tuple(self.log), commit))
        self._execute(ctx, commit)
        ctx.set_timer(self.options.heartbeat, "timer")

    def _on_start_view(self, ctx: Context, src: Hashable, msg: StartView) -> None:
        if msg.view < self.view or (msg.view == self.view and self.status == NORMAL):
            return
        if msg.view > self.view:
            self.early = {}
        self.view, self.status, self.last_normal = msg.view, NORMAL, msg.view
        self.log, self.heard = list(msg.log), ctx.now
        self._take_early()
        if self.executed > len(self.log):  # never in a correct run; the monitor tells
            self.executed = len(self.log)
        ctx.send(src, PrepareOK(self.view, self.op_number))
        self._execute(ctx, msg.commit)
        ctx.set_timer(self.options.view_timeout, "timer")

    def _on_get_state(self, ctx: Context, src: Hashable, msg: GetState) -> None:
        if msg.view == self.view and self.status == NORMAL and self.primary() == self.id:
            ctx.send(src, StartView(self.view, tuple(self.log), self.commit))

    # ---------------------------------------------------------------- recovery
    def _on_recovery(self, ctx: Context, src: Hashable, msg: Recovery) -> None:
        if self.status == NORMAL:
            log = tuple(self.log) if self.primary() == self.id else None
            ctx.send(src, RecoveryResponse(self.view, msg.nonce, log, self.commit))

    def _on_recovery_response(self, ctx: Context, src: Hashable,
                              msg: RecoveryResponse) -> None:
        if self.status != RECOVERING or msg.nonce != self.nonce:
            return
        self.responses[src] = msg
        view = max(r.view for r in self.responses.values())
        primary = self.primary(view)
        answer = self.responses.get(primary)
        if len(self.responses) > self.f and answer is not None and answer.view == view:
            self.view, self.status, self.last_normal = view, NORMAL, view
            self.log, self.heard = list(answer.log), ctx.now
            ctx.cancel_timer("recover")
            self._execute(ctx, answer.commit)
            ctx.set_timer(self.options.view_timeout, "timer")

    def _to_all(self, ctx: Context, msg: Any) -> None:
        for other in self._others():
            ctx.send(other, msg)

    def _others(self) -> list:
        return [r for r in self.replicas if r != self.id]


_HANDLERS = {
    PrepareOp: VRReplica._on_prepare,
    PrepareOK: VRReplica._on_prepare_ok,
    CommitOp: VRReplica._on_commit,
    StartViewChange: VRReplica._on_start_view_change,
    DoViewChange: VRReplica._on_do_view_change,
    StartView: VRReplica._on_start_view,
    GetState: VRReplica._on_get_state,
    Recovery: VRReplica._on_recovery,
    RecoveryResponse: VRReplica._on_recovery_response,
}


# ---------------------------------------------------------------------- the harness
class VRCluster(Harness):
    """``n`` VR replicas ``1..n``; replica 1 is the primary of view 0. Network
    settings go to the simulation, other keywords are :class:`VROptions`."""

    def __init__(self, n: int = 5, seed: int = 0, *, latency: Any = (1.0, 5.0),
                 loss: float = 0.0, duplicate: float = 0.0, reorder: float = 0.0,
                 trace: bool = True, check_every_event: bool = False, **options: Any) -> None:
        unknown = set(options) - VROptions.names()
        if unknown:
            raise ValueError(f"unknown VR option(s) {sorted(unknown)}; "
                             f"known: {sorted(VROptions.names())}")
        self.options = VROptions(**options)
        super().__init__(n, seed, lambda pid, ids: VRReplica(pid, ids, self.options),
                         VRMonitor(), latency=latency, loss=loss, duplicate=duplicate,
                         reorder=reorder, trace=trace, check_every_event=check_every_event)

    def leader(self) -> Hashable | None:
        """The running replica that is primary of the highest normal view, or ``None``."""
        leading = [(r.view, pid) for pid, r in self.nodes().items()
                   if r.status == NORMAL and r.primary() == pid]
        return max(leading)[1] if leading else None

    def submit(self, op: Any, node: Hashable | None = None) -> int | None:
        """A client's operation at ``node`` (default: the primary): its op-number,
        or ``None`` if that replica is not the primary of a normal view."""
        if node is None:
            node = self.leader()
            if node is None:
                return None
        return self._call(node, lambda replica, ctx: replica.request(ctx, op))

    def applied(self, pid: Hashable) -> list:
        """The operations replica ``pid`` has executed, in order."""
        replica = self.node(pid)
        return list(replica.log[: replica.executed])
