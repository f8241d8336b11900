"""The coordinator of two-phase commit, and the client that hands it transactions.

Phase 1: on ``Begin`` the coordinator sends each participant its writes in a
``PrepareToCommit`` and collects votes. One no, or silence until ``vote_timeout``,
means abort; yes from everyone means commit. Either way the decision is
forced to the coordinator's log *before* anyone hears it: that write is the
point of no return. Phase 2: it sends the decision, answers the client, and
resends the decision every ``retry_interval`` to whoever has not
acknowledged; once all have, it writes an ``end`` record and forgets the
transaction.

After a crash the coordinator reads its log: every decision without an
``end`` is sent again. A transaction with no decision on the log was never
decided, so it is aborted — and when a participant in doubt asks about one,
the coordinator writes that abort to its log before it answers, so the
transaction can never be committed afterwards (presumed abort, made
durable).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, replace
from typing import Any

from ..sim import Process
from ..sim.context import Context
from . import wal
from .invariants import Decided
from .messages import (
    ABORT,
    COMMIT,
    Ack,
    Begin,
    CommitVote,
    Decision,
    DecisionRequest,
    PrepareToCommit,
    Result,
    Writes,
    txn_label,
)
from .options import TwoPCOptions
from .published import Published

VOTING = "voting"  # phase 1: Prepares sent, votes coming in
LOGGING = "logging"  # the decision is being forced to the log
DECIDED = "decided"  # phase 2: the decision is out, acknowledgements coming in


@dataclass(frozen=True)
class Round:
    """One transaction the coordinator is working on."""

    participants: tuple[Hashable, ...]
    client: Hashable | None
    stage: str = VOTING
    yes: frozenset = frozenset()
    outcome: str | None = None
    acked: frozenset = frozenset()


class CoordinatorLogic:
    """What any coordinator does with a transaction: send the Prepares, count
    the votes, announce the decision, collect acknowledgements, answer
    questions. How a decision and an end become durable is left to the
    class that mixes this in (:meth:`_decide`, :meth:`_end`,
    :meth:`_presume_abort`): a single coordinator writes them to its own
    log, a replicated one agrees on them with its replicas."""

    twopc_options: TwoPCOptions
    rounds: dict[int, Round]
    decisions: dict[int, str]  # every decision made durable

    def _step(self, ctx: Context, src: Hashable, msg: Any) -> None:
        if isinstance(msg, Begin):
            self._begin(ctx, src, msg.txn, msg.writes)
        elif isinstance(msg, CommitVote):
            self._vote(ctx, src, msg)
        elif isinstance(msg, Ack):
            self._ack(ctx, src, msg.txn)
        elif isinstance(msg, DecisionRequest):
            self._request(ctx, src, msg.txn)

    def _begin(self, ctx: Context, client: Hashable,
               txn: int, writes: tuple[tuple[Hashable, Writes], ...]) -> None:
        if txn in self.rounds or txn in self.decisions:
            return  # a repeated Begin
        participants = tuple(p for p, _w in writes)
        self.rounds[txn] = Round(participants, client)
        for participant, part in writes:
            ctx.send(participant, PrepareToCommit(txn, part, participants))
        ctx.set_timer(self.twopc_options.vote_timeout, ("votes", txn))

    def _vote(self, ctx: Context, src: Hashable, msg: CommitVote) -> None:
        r = self.rounds.get(msg.txn)
        if r is None or src not in r.participants:
            if msg.txn in self.decisions:  # a late or repeated vote: it may still need to hear
                ctx.send(src, Decision(msg.txn, self.decisions[msg.txn]))
            return
        if r.stage != VOTING:
            return
        if not msg.yes:
            self._decide(ctx, msg.txn, ABORT)
            return
        r = self.rounds[msg.txn] = replace(r, yes=r.yes | {src})
        if r.yes == set(r.participants):
            self._decide(ctx, msg.txn, COMMIT)

    def _decide(self, ctx: Context, txn: int, outcome: str) -> None:
        """Make ``outcome`` for ``txn`` durable; :meth:`_announce` once it is."""
        raise NotImplementedError

    def _end(self, ctx: Context, txn: int) -> None:
        """Every participant acknowledged ``txn``: record that it is done."""
        raise NotImplementedError

    def _presume_abort(self, ctx: Context, src: Hashable, txn: int) -> None:
        """``src`` asks about ``txn``, of which nothing is known: abort it durably."""
        raise NotImplementedError

    def _announce(self, ctx: Context, txn: int) -> None:
        """Phase 2: the decision is durable; tell everyone."""
        r = self.rounds[txn] = replace(self.rounds[txn], stage=DECIDED,
                                       outcome=self.decisions[txn])
        if r.client is not None:
            ctx.send(r.client, Result(txn, r.outcome))
        self._send_decision(ctx, txn, r.participants)
        ctx.set_timer(self.twopc_options.retry_interval, "retry")

    def _send_decision(self, ctx: Context, txn: int, to: tuple[Hashable, ...]) -> None:
        for participant in to:
            ctx.send(participant, Decision(txn, self.decisions[txn]))

    def _ack(self, ctx: Context, src: Hashable, txn: int) -> None:
        r = self.rounds.get(txn)
        if r is None or r.stage != DECIDED or src not in r.participants:
            return
        r = self.rounds[txn] = replace(r, acked=r.acked | {src})
        if r.acked == set(r.participants):
            del self.rounds[txn]
            self._end(ctx, txn)
            if not any(r.stage == DECIDED for r in self.rounds.values()):
                ctx.cancel_timer("retry")

    def _request(self, ctx: Context, src: Hashable, txn: int) -> None:
        """A participant in doubt asks. Tell it the decision once it is durable;
        if there is none and no vote is being counted, abort."""
        if txn not in self.decisions:
            if txn not in self.rounds:
                self._presume_abort(ctx, src, txn)
            return
        if self.rounds.get(txn, Round((), None, DECIDED)).stage == DECIDED:
            ctx.send(src, Decision(txn, self.decisions[txn]))

    def _on_timer(self, ctx: Context, name: Any) -> None:
        if name == "retry":
            for txn, r in self.rounds.items():
                if r.stage == DECIDED:
                    self._send_decision(ctx, txn, tuple(p for p in r.participants
                                                        if p not in r.acked))
            if any(r.stage == DECIDED for r in self.rounds.values()):
                ctx.set_timer(self.twopc_options.retry_interval, "retry")
        elif name[0] == "votes" and self.rounds.get(name[1], Round((), None)).stage == VOTING:
            self._decide(ctx, name[1], ABORT)

    def coordinator_view(self) -> dict:
        """What a reader sees of the coordinator's work, as plain values."""
        stages = {r.stage for r in self.rounds.values()}
        return {
            "phase": 1 if VOTING in stages else 2 if stages else None,
            "votes": {txn_label(t): sorted(map(str, r.yes)) for t, r in self.rounds.items()
                      if r.stage == VOTING},
            "decided": {txn_label(t): o for t, o in sorted(self.decisions.items())},
            "awaiting_acks": {txn_label(t): sorted(str(p) for p in r.participants
                                                   if p not in r.acked)
                              for t, r in self.rounds.items() if r.stage != VOTING},
        }


class Coordinator(CoordinatorLogic, Published, Process):
    """The single coordinator: it decides alone and keeps its decisions on its own log."""

    def __init__(self, options: TwoPCOptions) -> None:
        self.twopc_options = options
        self.rounds: dict[int, Round] = {}
        self.decisions: dict[int, str] = {}
        self.wal_length = 0
        self._published: dict = {}

    def on_start(self, ctx: Context) -> None:
        records = wal.records(ctx.stable)
        self.wal_length = len(records)
        for record in records:
            if record[0] == "decision":
                _kind, txn, outcome, participants = record
                self.decisions[txn] = outcome
                if participants:
                    self.rounds[txn] = Round(participants, None, DECIDED, outcome=outcome)
            elif record[0] == "end":
                self.rounds.pop(record[1], None)
        for txn in self.rounds:  # decided before the crash, not known to be done: say it again
            self._send_decision(ctx, txn, self.rounds[txn].participants)
        if self.rounds:
            ctx.set_timer(self.twopc_options.retry_interval, "retry")
        self._publish(ctx)

    def on_message(self, ctx: Context, src: Hashable, msg: Any) -> None:
        self._step(ctx, src, msg)
        self._publish(ctx)

    def on_timer(self, ctx: Context, name: Any) -> None:
        if isinstance(name, tuple) and name[0] == "logged":
            self._announce(ctx, name[1])
        else:
            self._on_timer(ctx, name)
        self._publish(ctx)

    def _decide(self, ctx: Context, txn: int, outcome: str) -> None:
        """Force the decision to the log: the point of no return. It goes out
        once the write is done."""
        r = self.rounds[txn]
        ctx.cancel_timer(("votes", txn))
        self._log_decision(ctx, txn, outcome, r.participants)
        self.rounds[txn] = replace(r, stage=LOGGING, outcome=outcome)
        if self.twopc_options.log_write:
            ctx.set_timer(self.twopc_options.log_write, ("logged", txn))
        else:
            self._announce(ctx, txn)

    def _log_decision(self, ctx: Context, txn: int, outcome: str,
                      participants: tuple[Hashable, ...]) -> None:
        self.wal_length = wal.append(ctx, self.wal_length,
                                     ("decision", txn, outcome, participants))
        self.decisions[txn] = outcome
        ctx.report(Decided(ctx.pid, txn, outcome, participants))

    def _end(self, ctx: Context, txn: int) -> None:
        self.wal_length = wal.append(ctx, self.wal_length, ("end", txn))

    def _presume_abort(self, ctx: Context, src: Hashable, txn: int) -> None:
        """Nothing on the log: the transaction was never decided, so it aborts —
        written down first, so that it can never be committed afterwards."""
        self._log_decision(ctx, txn, ABORT, ())
        ctx.send(src, Decision(txn, ABORT))

    def view(self) -> dict:
        """What a reader sees of the coordinator, as plain values."""
        view = self.coordinator_view()
        phase = view.pop("phase")
        return {"role": f"phase {phase}" if phase else "coordinator", **view}


class Client(Process):
    """Hands transactions to a coordinator and waits for results; it never
    retries (a transaction whose Begin is lost simply never happens)."""

    def __init__(self) -> None:
        self.submitted = 0
        self.results: dict[int, str] = {}

    def submit(self, ctx: Context, coordinator: Hashable,
               writes: tuple[tuple[Hashable, Writes], ...]) -> int:
        """Send the next transaction to ``coordinator``; its number."""
        self.submitted += 1
        txn = self.submitted
        ctx.emit("invoke", txn=txn_label(txn), writes=_readable(writes))
        ctx.send(coordinator, Begin(txn, writes))
        return txn

    def on_message(self, ctx: Context, src: Hashable, msg: Any) -> None:
        if isinstance(msg, Result) and msg.txn not in self.results:
            self.results[msg.txn] = msg.outcome
            ctx.emit("return", txn=txn_label(msg.txn), outcome=msg.outcome)


def _readable(writes: tuple[tuple[Hashable, Writes], ...]) -> dict:
    return {str(p): {row: delta for row, delta in part} for p, part in writes}
