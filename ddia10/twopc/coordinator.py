"""The coordinator of two-phase commit, and the client that hands it transactions.

Phase 1: on ``Begin`` the coordinator sends each participant its writes in a
``Prepare`` and collects votes. One no, or silence until ``vote_timeout``,
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
    Decision,
    DecisionRequest,
    Prepare,
    Result,
    Vote,
    Writes,
    txn_label,
)
from .options import TwoPCOptions

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


class Coordinator(Process):
    """The single coordinator: decides, logs, tells."""

    def __init__(self, options: TwoPCOptions) -> None:
        self.options = options
        self.rounds: dict[int, Round] = {}
        self.decisions: dict[int, str] = {}  # every decision on the log
        self.wal_length = 0
        self._published: dict = {}

    def fingerprint(self) -> dict:
        """Its state without the annotation cache."""
        state = dict(vars(self))
        del state["_published"]
        return state

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
            ctx.set_timer(self.options.retry_interval, "retry")
        self._publish(ctx)

    # ------------------------------------------------------------------ messages
    def on_message(self, ctx: Context, src: Hashable, msg: Any) -> None:
        if isinstance(msg, Begin):
            self._begin(ctx, src, msg.txn, msg.writes)
        elif isinstance(msg, Vote):
            self._vote(ctx, src, msg)
        elif isinstance(msg, Ack):
            self._ack(ctx, src, msg.txn)
        elif isinstance(msg, DecisionRequest):
            self._request(ctx, src, msg.txn)
        self._publish(ctx)

    def _begin(self, ctx: Context, client: Hashable,
               txn: int, writes: tuple[tuple[Hashable, Writes], ...]) -> None:
        if txn in self.rounds or txn in self.decisions:
            return  # a repeated Begin
        participants = tuple(p for p, _w in writes)
        self.rounds[txn] = Round(participants, client)
        for participant, part in writes:
            ctx.send(participant, Prepare(txn, part, participants))
        ctx.set_timer(self.options.vote_timeout, ("votes", txn))

    def _vote(self, ctx: Context, src: Hashable, msg: Vote) -> None:
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
        """Force the decision to the log; it goes out once written."""
        r = self.rounds[txn]
        ctx.cancel_timer(("votes", txn))
        self.wal_length = wal.append(ctx, self.wal_length,
                                     ("decision", txn, outcome, r.participants))
        self.decisions[txn] = outcome
        ctx.report(Decided(ctx.pid, txn, outcome, r.participants))
        self.rounds[txn] = replace(r, stage=LOGGING, outcome=outcome)
        if self.options.log_write:
            ctx.set_timer(self.options.log_write, ("logged", txn))
        else:
            self._announce(ctx, txn)

    def _announce(self, ctx: Context, txn: int) -> None:
        """Phase 2: the decision is on the log; tell everyone."""
        r = self.rounds[txn] = replace(self.rounds[txn], stage=DECIDED)
        if r.client is not None:
            ctx.send(r.client, Result(txn, r.outcome))
        self._send_decision(ctx, txn, r.participants)
        ctx.set_timer(self.options.retry_interval, "retry")

    def _send_decision(self, ctx: Context, txn: int, to: tuple[Hashable, ...]) -> None:
        for participant in to:
            ctx.send(participant, Decision(txn, self.decisions[txn]))

    def _ack(self, ctx: Context, src: Hashable, txn: int) -> None:
        r = self.rounds.get(txn)
        if r is None or r.stage != DECIDED or src not in r.participants:
            return
        r = replace(r, acked=r.acked | {src})
        if r.acked == set(r.participants):
            del self.rounds[txn]
            self.wal_length = wal.append(ctx, self.wal_length, ("end", txn))
            if not any(r.stage == DECIDED for r in self.rounds.values()):
                ctx.cancel_timer("retry")
        else:
            self.rounds[txn] = r

    def _request(self, ctx: Context, src: Hashable, txn: int) -> None:
        """A participant in doubt asks. Tell it the logged decision; if there is
        none and no vote is being counted, abort — on the log first."""
        if txn not in self.decisions:
            if txn in self.rounds:
                return  # still counting votes: the answer comes with the decision
            self.wal_length = wal.append(ctx, self.wal_length, ("decision", txn, ABORT, ()))
            self.decisions[txn] = ABORT
            ctx.report(Decided(ctx.pid, txn, ABORT, ()))
        if self.rounds.get(txn, Round((), None, DECIDED)).stage == DECIDED:
            ctx.send(src, Decision(txn, self.decisions[txn]))

    # ------------------------------------------------------------------ timers
    def on_timer(self, ctx: Context, name: Any) -> None:
        if name == "retry":
            for txn, r in self.rounds.items():
                if r.stage == DECIDED:
                    self._send_decision(ctx, txn, tuple(p for p in r.participants
                                                        if p not in r.acked))
            if any(r.stage == DECIDED for r in self.rounds.values()):
                ctx.set_timer(self.options.retry_interval, "retry")
        elif name[0] == "votes" and self.rounds.get(name[1], Round((), None)).stage == VOTING:
            self._decide(ctx, name[1], ABORT)
        elif name[0] == "logged":
            self._announce(ctx, name[1])
        self._publish(ctx)

    # ------------------------------------------------------------------ the view
    def view(self) -> dict:
        """What a reader sees of the coordinator, as plain values."""
        stages = {r.stage for r in self.rounds.values()}
        role = ("phase 1" if VOTING in stages else "phase 2" if stages else "coordinator")
        return {
            "role": role,
            "votes": {txn_label(t): sorted(map(str, r.yes)) for t, r in self.rounds.items()
                      if r.stage == VOTING},
            "decided": {txn_label(t): o for t, o in sorted(self.decisions.items())},
            "awaiting_acks": {txn_label(t): sorted(str(p) for p in r.participants
                                                   if p not in r.acked)
                              for t, r in self.rounds.items() if r.stage != VOTING},
        }

    def _publish(self, ctx: Context) -> None:
        view = self.view()
        changed = {k: v for k, v in view.items() if self._published.get(k) != v}
        if changed:
            self._published = view
            ctx.annotate(**changed)


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
