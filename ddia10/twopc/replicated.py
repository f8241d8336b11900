"""A coordinator whose decisions are agreed with Raft, so that losing it costs a failover.

Two-phase commit blocks when the coordinator is lost because its decision
lives in one place. Here the coordinator is a Raft group (``C1 .. Cn``): the
leader runs the transaction exactly as the single coordinator does — sends
the Prepares, counts the votes — but instead of writing the decision to its
own log it proposes a :class:`Decide` entry, and announces the decision only
once Raft has committed and applied it. The replicated state machine is tiny:
the first ``Decide`` for a transaction wins (a later one, from a leader that
did not know, changes nothing), and :class:`End` retires a transaction every
participant acknowledged.

When the leader crashes, the others elect a new one within an election
timeout. Whatever was decided is in its log; it resends every decision that
has not ended. A transaction that was still collecting votes is unknown to
it: the participants in doubt ask, and it aborts the transaction — through
the log, where an earlier commit of that transaction, if one was committed,
wins. Participants ask every replica; any replica that has applied the
decision may answer.

This is not three-phase commit. 3PC removes blocking with a third phase and
timeouts, and its correctness assumes that messages arrive within a known
bound and that the network does not partition. Here no timing assumption is
needed for safety: decisions are safe under any delays and partitions, and
progress needs only a majority of the coordinator's replicas.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from ..raft.node import LEADER, RaftNode
from ..raft.options import RaftOptions
from ..sim.context import Context
from .coordinator import DECIDED, LOGGING, CoordinatorLogic, Round
from .invariants import Decided
from .messages import ABORT, DecisionRequest, txn_label
from .options import TwoPCOptions


@dataclass(frozen=True)
class Decide:
    """A log entry: ``outcome`` for ``txn``, if nothing was decided for it before."""

    txn: int
    outcome: str
    participants: tuple[Hashable, ...]

    def __str__(self) -> str:
        return f"{txn_label(self.txn)} {self.outcome}"


@dataclass(frozen=True)
class End:
    """A log entry: every participant acknowledged ``txn``."""

    txn: int

    def __str__(self) -> str:
        return f"{txn_label(self.txn)} end"


class CoordinatorReplica(CoordinatorLogic, RaftNode):
    """One replica of the coordinator: a Raft server whose state machine holds
    the decisions. Only the leader coordinates; every replica answers a
    participant's question from the decisions it has applied."""

    def __init__(self, options: TwoPCOptions, raft: RaftOptions | None = None,
                 voters: Iterable[Hashable] = ()) -> None:
        super().__init__(raft, voters)
        self.twopc_options = options
        self.rounds: dict[int, Round] = {}  # the leader's transactions in progress (volatile)
        self.decisions: dict[int, str] = {}  # the state machine: applied decisions
        self.unended: dict[int, tuple[Hashable, ...]] = {}  # ... and those not yet ended

    # ---------------------------------------------------------------- the state machine
    def apply_command(self, ctx: Context, index: int, command: Any) -> None:
        if isinstance(command, End):
            self.unended.pop(command.txn, None)
            return
        txn = command.txn
        if txn not in self.decisions:
            self.decisions[txn] = command.outcome
            if command.participants:
                self.unended[txn] = command.participants
            ctx.report(Decided(ctx.pid, txn, command.outcome, command.participants))
        if self.role == LEADER:
            self._resume(ctx, txn)

    def snapshot_state(self) -> Any:
        return dict(self.decisions), dict(self.unended)

    def restore_state(self, state: Any) -> None:
        decisions, unended = state
        self.decisions, self.unended = dict(decisions), dict(unended)

    # ---------------------------------------------------------------- coordinating
    def on_client_message(self, ctx: Context, src: Hashable, msg: Any) -> None:
        if self.role == LEADER or isinstance(msg, DecisionRequest):
            self._step(ctx, src, msg)

    def on_timer(self, ctx: Context, name: Any) -> None:
        if name == "retry" or isinstance(name, tuple):
            if self.role == LEADER:
                self._on_timer(ctx, name)
            name = None  # Raft's own timers are not ours; let it finish its step
        super().on_timer(ctx, name)

    def become_leader(self, ctx: Context) -> None:
        super().become_leader(ctx)
        for txn in self.unended:  # decided under an earlier leader: see it through
            self._resume(ctx, txn)

    def become_follower(self, ctx: Context, term: int, leader_id: Hashable | None,
                        *, keep_timer: bool = False) -> None:
        super().become_follower(ctx, term, leader_id, keep_timer=keep_timer)
        self.rounds = {}  # only a leader coordinates

    def _resume(self, ctx: Context, txn: int) -> None:
        """Announce the applied decision for ``txn`` (once), keeping what this
        leader knew of the round (its client)."""
        r = self.rounds.get(txn)
        if r is not None and r.stage == DECIDED:
            return
        if txn not in self.unended:  # ended, or a presumed abort nobody waits for
            self.rounds.pop(txn, None)
            return
        if r is None:
            r = Round(self.unended[txn], None)
        self.rounds[txn] = r
        self._announce(ctx, txn)

    def _decide(self, ctx: Context, txn: int, outcome: str) -> None:
        """Propose the decision to the group; it is announced when applied."""
        ctx.cancel_timer(("votes", txn))
        r = self.rounds[txn]
        if self.propose(ctx, Decide(txn, outcome, r.participants)) is None:
            del self.rounds[txn]
            return
        self.rounds[txn] = replace(r, stage=LOGGING, outcome=outcome)

    def _end(self, ctx: Context, txn: int) -> None:
        self.propose(ctx, End(txn))

    def _presume_abort(self, ctx: Context, src: Hashable, txn: int) -> None:
        """Only the leader may decide, and only through the log; the asker
        hears the outcome when it asks again."""
        if self.role == LEADER and self.propose(ctx, Decide(txn, ABORT, ())) is not None:
            self.rounds[txn] = Round((), None, LOGGING, outcome=ABORT)

    def view(self) -> dict:
        view = super().view()
        coordinating = self.coordinator_view()
        coordinating.pop("phase")
        return {**view, **coordinating}
