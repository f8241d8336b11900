"""A participant of two-phase commit: a small database with rows, a lock table and a log.

Each row holds an integer (an account balance). A transaction's part here is
a list of ``(row, delta)`` writes that must leave no row below zero.

On ``PrepareToCommit`` the participant takes an exclusive lock on every row it
writes — all of them at once, or it waits in line, visibly, until the
transaction holding them finishes or ``lock_timeout`` passes (then it votes
no). With the locks held it checks the writes; if they are good it forces a
``prepare`` record to its log, and only then votes yes. From that moment it
has given up its right to abort: it is **in doubt** until it hears the
decision, holding its locks, and whoever else wants those rows waits.

A participant in doubt asks for the decision every ``retry_interval``: the
coordinator, and with ``cooperative`` its peers too. A peer that knows the
outcome tells it; a peer that has not voted yes aborts the transaction
itself (it may: it never promised) and says so. If every peer is in doubt
too, nobody can help and everyone waits for the coordinator.

After a crash the participant rebuilds everything from its log: committed
rows, finished transactions, and the transactions in doubt, whose locks it
takes again before it answers anyone, and whose decision it asks for at once.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from ..sim import Process
from ..sim.context import Context
from . import wal
from .invariants import Finished, Prepared
from .messages import (
    ABORT,
    COMMIT,
    Ack,
    CommitVote,
    Decision,
    DecisionRequest,
    PrepareToCommit,
    Writes,
    txn_label,
)
from .options import TwoPCOptions
from .published import Published

WAITING = "waiting"  # in line for locks; has not voted
LOGGING = "logging"  # locks held, its prepare record being forced; has not voted yet
PREPARED = "prepared"  # voted yes: in doubt until it hears the decision
COMMITTED = "committed"
ABORTED = "aborted"


@dataclass(frozen=True)
class TxnState:
    """What a participant knows of one transaction."""

    status: str
    writes: Writes = ()
    participants: tuple[Hashable, ...] = ()
    coordinator: Hashable | None = None  # who asked us to prepare: our vote goes there

    @property
    def holds_locks(self) -> bool:
        return self.status in (LOGGING, PREPARED)

    @property
    def in_doubt(self) -> bool:
        return self.status == PREPARED


class Participant(Published, Process):
    """One participant. ``rows`` is its data when first started;
    ``coordinators`` are the processes that may decide (one, or the replicas
    of a replicated coordinator): it asks them when in doubt."""

    def __init__(self, options: TwoPCOptions, coordinators: Iterable[Hashable],
                 rows: Mapping[str, int] | None = None) -> None:
        self.options = options
        self.coordinators = tuple(coordinators)
        self.initial = tuple(sorted((rows or {}).items()))
        self.rows: dict[str, int] = {}
        self.locks: dict[str, int] = {}
        self.txns: dict[int, TxnState] = {}
        self.queue: tuple[int, ...] = ()  # transactions waiting for locks, in arrival order
        self.wal_length = 0
        self._published: dict = {}

    # ------------------------------------------------------------------ start
    def on_start(self, ctx: Context) -> None:
        self.rows = dict(self.initial)
        records = wal.records(ctx.stable)
        self.wal_length = len(records)
        self.recover(ctx, records)
        self._publish(ctx)

    def recover(self, ctx: Context, records: list[tuple]) -> None:
        """Rebuild from the log after a (re)start (chapter 3's drill asks a reader
        to write this): committed rows, finished transactions, and those in doubt,
        whose locks are taken again before anyone is answered and whose decision
        is asked for at once. A promise made before the crash is still a promise."""
        for record in records:
            kind, txn = record[0], record[1]
            if kind == "prepare":
                self.txns[txn] = TxnState(PREPARED, record[2], record[3])
            elif kind == COMMIT:
                self.apply_writes(self.txns[txn].writes)
                self.txns[txn] = replace(self.txns[txn], status=COMMITTED)
            else:
                self.txns[txn] = replace(self.txns.get(txn, TxnState(ABORTED)), status=ABORTED)
        for txn, t in self.txns.items():
            if t.in_doubt:  # our promise survived the crash, and so must its locks
                self.lock_rows(txn, t.writes)
                self.ask_decision(ctx, txn)

    # ------------------------------------------------------------------ messages
    def on_message(self, ctx: Context, src: Hashable, msg: Any) -> None:
        if isinstance(msg, PrepareToCommit):
            self._on_prepare(ctx, src, msg)
        elif isinstance(msg, Decision):
            self._on_decision(ctx, src, msg)
        elif isinstance(msg, DecisionRequest):
            self._on_request(ctx, src, msg.txn)
        self._publish(ctx)

    def _on_prepare(self, ctx: Context, src: Hashable, msg: PrepareToCommit) -> None:
        t = self.txns.get(msg.txn)
        if t is None:
            self.txns[msg.txn] = TxnState(WAITING, msg.writes, msg.participants, src)
            self._try_prepare(ctx, msg.txn)
        elif t.status in (PREPARED, COMMITTED):
            ctx.send(src, CommitVote(msg.txn, True))  # a repeat: the same answer
        elif t.status == ABORTED:
            ctx.send(src, CommitVote(msg.txn, False))

    def _try_prepare(self, ctx: Context, txn: int) -> None:
        """Lock the rows of ``txn`` (or wait in line), check its writes, promise."""
        t = self.txns[txn]
        if any(self.locks.get(row, txn) != txn for row, _delta in t.writes):
            if txn not in self.queue:
                self.queue += (txn,)
                ctx.set_timer(self.options.lock_timeout, ("lock", txn))
            return
        if txn in self.queue:
            self.queue = tuple(q for q in self.queue if q != txn)
            ctx.cancel_timer(("lock", txn))
        if any(self.rows.get(row, 0) + delta < 0 for row, delta in t.writes):
            self._abort_unvoted(ctx, txn)
            return
        self.lock_rows(txn, t.writes)
        self.txns[txn] = replace(t, status=LOGGING)
        self.wal_length = wal.append(ctx, self.wal_length,
                                     ("prepare", txn, t.writes, t.participants))
        ctx.report(Prepared(ctx.pid, txn))
        if self.options.log_write:
            ctx.set_timer(self.options.log_write, ("logged", txn))
        else:
            self._vote_yes(ctx, txn)

    def _vote_yes(self, ctx: Context, txn: int) -> None:
        self.txns[txn] = replace(self.txns[txn], status=PREPARED)
        ctx.send(self.txns[txn].coordinator, CommitVote(txn, True))
        ctx.set_timer(self.options.retry_interval, ("ask", txn))

    def _abort_unvoted(self, ctx: Context, txn: int) -> None:
        """Abort a transaction we never promised (a failed check, a lock timeout,
        a peer's question): our right, and we tell the coordinator no."""
        self._finish(ctx, txn, ABORT)
        ctx.send(self.txns[txn].coordinator, CommitVote(txn, False))

    def _on_decision(self, ctx: Context, src: Hashable, msg: Decision) -> None:
        t = self.txns.get(msg.txn)
        if t is None and msg.outcome == ABORT:
            self._abort_unknown(ctx, msg.txn)  # a PrepareToCommit still on its way must get a no
        elif t is None:
            return  # a commit for a transaction we never promised: not ours to act on
        elif t.status in (WAITING, LOGGING, PREPARED):
            self._finish(ctx, msg.txn, msg.outcome)
        if src in self.coordinators:
            ctx.send(src, Ack(msg.txn))

    def _on_request(self, ctx: Context, src: Hashable, txn: int) -> None:
        """A peer in doubt asks what became of ``txn``."""
        t = self.txns.get(txn)
        if t is None:
            self._abort_unknown(ctx, txn)
        elif t.status == WAITING:
            self._abort_unvoted(ctx, txn)
        t = self.txns[txn]
        if t.status in (COMMITTED, ABORTED):
            ctx.send(src, Decision(txn, COMMIT if t.status == COMMITTED else ABORT))

    def _abort_unknown(self, ctx: Context, txn: int) -> None:
        """Abort a transaction we have not heard of, so that a PrepareToCommit for it
        arriving later gets a no."""
        self.txns[txn] = TxnState(WAITING)
        self._finish(ctx, txn, ABORT)

    def _finish(self, ctx: Context, txn: int, outcome: str) -> None:
        """Log ``outcome`` for ``txn``, apply it, free its locks, wake the waiters."""
        t = self.txns[txn]
        self.wal_length = wal.append(ctx, self.wal_length, (outcome, txn))
        ctx.report(Finished(ctx.pid, txn, outcome))
        if outcome == COMMIT:
            self.apply_writes(t.writes)
        self.txns[txn] = replace(t, status=COMMITTED if outcome == COMMIT else ABORTED)
        for name in ("lock", "logged", "ask"):
            ctx.cancel_timer((name, txn))
        self.queue = tuple(q for q in self.queue if q != txn)
        freed = [row for row, holder in self.locks.items() if holder == txn]
        for row in freed:
            del self.locks[row]
        for waiter in self.queue if freed else ():
            if self.txns[waiter].status == WAITING:
                self._try_prepare(ctx, waiter)

    # ------------------------------------------------------------------ timers
    def on_timer(self, ctx: Context, name: Any) -> None:
        what, txn = name
        status = self.txns[txn].status
        if what == "lock" and status == WAITING:
            self._abort_unvoted(ctx, txn)
        elif what == "logged" and status == LOGGING:
            self._vote_yes(ctx, txn)
        elif what == "ask" and status == PREPARED:
            if self.options.bug_abort_in_doubt:
                self._finish(ctx, txn, ABORT)  # the bug: we promised, and break the promise
            else:
                self.ask_decision(ctx, txn)
        self._publish(ctx)

    def ask_decision(self, ctx: Context, txn: int) -> None:
        """In doubt: ask whoever may know, and ask again later."""
        askees = list(self.coordinators)
        if self.options.cooperative:
            askees += [p for p in self.txns[txn].participants if p != ctx.pid]
        for dst in askees:
            ctx.send(dst, DecisionRequest(txn))
        ctx.set_timer(self.options.retry_interval, ("ask", txn))

    # ------------------------------------------------------------------ helpers
    def lock_rows(self, txn: int, writes: Writes) -> None:
        """Take the exclusive lock of every row ``writes`` touches, for ``txn``."""
        for row, _delta in writes:
            self.locks[row] = txn

    def apply_writes(self, writes: Writes) -> None:
        """Add each write's delta to its row."""
        for row, delta in writes:
            self.rows[row] = self.rows.get(row, 0) + delta

    def view(self) -> dict:
        """What a reader sees of this participant, as plain values."""
        in_doubt = [txn_label(txn) for txn, t in self.txns.items() if t.in_doubt]
        preparing = any(t.status == LOGGING for t in self.txns.values())
        role = ("in doubt" if in_doubt else "preparing" if preparing
                else "blocked" if self.queue else "participant")
        return {
            "role": role,
            "rows": dict(sorted(self.rows.items())),
            "locks": {row: txn_label(txn) for row, txn in sorted(self.locks.items())},
            "in_doubt": in_doubt,
            "waiting": [txn_label(txn) for txn in self.queue],
        }
