"""One process of single-decree Paxos, playing any of the three roles.

A :class:`Cast` says who plays what: the proposers, the acceptors, and the
learners (every proposer learns too, so it knows when to stop). A process
reads its roles off the cast by its own id, and has one handler per message
per role, in the order the protocol runs:

- proposer: :meth:`PaxosNode.propose` starts a round; ``Promise`` may end
  phase 1; ``Rejected`` means a higher ballot won; the ``retry`` timer starts
  another round.
- acceptor: ``Prepare`` and ``Accept`` — each answered only after what it
  promised or accepted is in stable storage.
- learner: ``Accepted`` — a value accepted by a majority in one ballot is
  chosen.

Every attribute of a node is an immutable value (ints, tuples, frozensets,
frozen dataclasses) that handlers replace and never change in place, so a
copy of the attributes is a copy of the node.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from ..quorum import majority
from ..sim import Context, Process
from .invariants import Learned, Proposed, Voted
from .messages import Accept, Accepted, Prepare, Promise, Rejected, next_ballot
from .options import PaxosOptions

PROPOSER, ACCEPTOR, LEARNER = "proposer", "acceptor", "learner"

# what a proposer is doing
IDLE = "idle"  # no value to propose yet
PREPARING = "preparing"  # phase 1 sent, collecting promises
ACCEPTING = "accepting"  # phase 2 sent, waiting to learn the outcome
PREEMPTED = "preempted"  # an acceptor reported a higher ballot; waiting to retry
DONE = "done"  # learned the chosen value

RETRY = "retry"
"""The proposer's one timer: start a new round if nothing is learned by then."""


@dataclass(frozen=True)
class Cast:
    """Who plays which role. Learners include every proposer."""

    proposers: tuple
    acceptors: tuple
    learners: tuple

    @property
    def quorum(self) -> int:
        """How many acceptors make a majority."""
        return majority(len(self.acceptors))

    def roles(self, pid: Hashable) -> tuple[str, ...]:
        """The roles ``pid`` plays, in the order proposer, acceptor, learner."""
        return tuple(role for role, group in ((PROPOSER, self.proposers),
                                              (ACCEPTOR, self.acceptors),
                                              (LEARNER, self.learners)) if pid in group)


class PaxosNode(Process):
    """A proposer, an acceptor, a learner, or several of them in one process."""

    def __init__(self, pid: Hashable, cast: Cast, options: PaxosOptions) -> None:
        self.pid = pid
        self.cast = cast
        self.options = options
        self.roles = cast.roles(pid)
        # proposer
        self.value: Any = None  # what this proposer's client asked for
        self.ballot = 0  # its current ballot (0: none yet)
        self.rounds = 0  # rounds started, ever
        self.lost = 0  # rounds lost in a row, for the back-off
        self.phase = IDLE
        self.promised_by: frozenset = frozenset()
        self.prior: tuple[int, Any] = (0, None)  # highest (ballot, value) reported accepted
        self.proposal: Any = None  # the value sent in phase 2
        self.highest_seen = 0  # the highest ballot acceptors reported
        # acceptor
        self.promised = 0
        self.accepted: tuple[int, Any] = (0, None)
        # learner
        self.heard: frozenset = frozenset()  # (ballot, value, acceptor) of every Accepted
        self.learned: tuple = ()  # values seen accepted by a majority in one ballot, in order
        self._shown: tuple = ()  # the annotations last written, to write only changes
        self._published: tuple = ()  # the state they were written for

    def copy(self) -> PaxosNode:
        """A shallow copy is a full one: every attribute is an immutable value."""
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        return clone

    def fingerprint(self) -> tuple:
        """The protocol state: what an explorer compares (not the cast and options,
        which never change, nor what the trace was last told)."""
        return self.fingerprint_without_acceptors() + (self.promised_by, self.heard)

    def fingerprint_without_acceptors(self) -> tuple:
        """:meth:`fingerprint` less the two fields that name acceptors (who
        promised, who was heard accepting), for a fingerprint that does not
        care which acceptor is which (:meth:`SingleDecree.reduced_fingerprint`)."""
        return (self.value, self.ballot, self.rounds, self.lost, self.phase, self.prior,
                self.proposal, self.highest_seen, self.promised, self.accepted, self.learned)

    def ignores(self, src: Hashable, msg: Any) -> bool:
        """Whether ``msg`` from ``src`` would change nothing here, now or whenever it
        arrives, even after a restart: a promise for a round this proposer has
        left (its ballots only grow), a refusal once it may start no round."""
        if isinstance(msg, Promise):
            return msg.ballot != self.ballot or self.phase != PREPARING
        if isinstance(msg, Rejected):
            return not self._rounds_left()
        return False

    # ------------------------------------------------------------------ lifecycle
    def on_start(self, ctx: Context) -> None:
        stable = ctx.stable
        self.ballot, self.rounds = stable.get(PROPOSER, (0, 0))
        self.highest_seen = self.ballot
        self.promised = stable.get("promised", 0)
        self.accepted = stable.get("accepted", (0, None))
        self._publish(ctx)

    def on_message(self, ctx: Context, src: Hashable, msg: Any) -> None:
        handler = _HANDLERS.get(type(msg))
        if handler is not None:
            handler(self, ctx, src, msg)
            self._publish(ctx)

    def on_timer(self, ctx: Context, name: Hashable) -> None:
        if name == RETRY and self.phase not in (DONE, IDLE):
            self._start_round(ctx)
            self._publish(ctx)

    # ------------------------------------------------------------------ proposer
    def propose(self, ctx: Context, value: Any) -> None:
        """A client asks this proposer to get ``value`` chosen."""
        if PROPOSER not in self.roles:
            raise ValueError(f"{self.pid!r} is not a proposer")
        if self.value is not None:
            raise ValueError(f"proposer {self.pid!r} already proposes {self.value!r}")
        ctx.report(Proposed(value))
        self.value = value
        if self.learned:
            self.phase = DONE
        else:
            self._start_round(ctx)
        self._publish(ctx)

    def _start_round(self, ctx: Context) -> None:
        """Phase 1a: a ballot higher than any seen, written down before it is used."""
        index = self.cast.proposers.index(self.pid) + 1
        self.ballot = next_ballot(index, len(self.cast.proposers),
                                  max(self.ballot, self.highest_seen))
        self.rounds += 1
        ctx.persist(PROPOSER, (self.ballot, self.rounds))
        self.phase = PREPARING
        self.promised_by = frozenset()
        self.prior = (0, None)
        self.proposal = None
        acceptors = self.cast.acceptors
        if self.options.thrifty:
            turn = (self.rounds - 1) % len(acceptors)
            acceptors = (acceptors[turn:] + acceptors[:turn])[:self.cast.quorum]
        for acceptor in acceptors:
            ctx.send(acceptor, Prepare(self.ballot))
        self._arm_retry(ctx, self.options.retry_timeout + self._jitter(ctx, 0))

    def _on_promise(self, ctx: Context, src: Hashable, msg: Promise) -> None:
        if self.phase != PREPARING or msg.ballot != self.ballot:
            return  # a promise for a round this proposer has left
        self.promised_by |= {src}
        if msg.accepted_ballot > self.prior[0]:
            self.prior = (msg.accepted_ballot, msg.accepted_value)
        if len(self.promised_by) < self.cast.quorum:
            return
        # Phase 2a. The rule that makes Paxos safe: a value some majority may
        # already have chosen is the one accepted in the highest ballot reported.
        if self.prior[0] and not self.options.bug_ignore_accepted:
            self.proposal = self.prior[1]
        else:
            self.proposal = self.value
        self.phase = ACCEPTING
        for acceptor in self.cast.acceptors:
            if not self.options.thrifty or acceptor in self.promised_by:
                ctx.send(acceptor, Accept(self.ballot, self.proposal))

    def _on_rejected(self, ctx: Context, src: Hashable, msg: Rejected) -> None:
        if not self._rounds_left():
            return  # the news is of no use to a proposer that may start no round
        self.highest_seen = max(self.highest_seen, msg.promised)
        if msg.ballot != self.ballot or self.phase not in (PREPARING, ACCEPTING):
            return
        self.phase = PREEMPTED
        self.lost += 1
        if self.options.backoff:
            # Leave the field to the higher ballot for a random while.
            self._arm_retry(ctx, self._jitter(ctx, self.lost))

    def _jitter(self, ctx: Context, lost: int) -> float:
        """A random wait of up to ``backoff`` ms, doubled per round lost in a row."""
        if not self.options.backoff:
            return 0.0
        return ctx.rng.uniform(0.0, self.options.backoff * 2 ** min(lost, 6))

    def _rounds_left(self) -> bool:
        cap = self.options.max_rounds
        return cap is None or self.rounds < cap

    def _arm_retry(self, ctx: Context, delay: float) -> None:
        """Start another round after ``delay`` ms, unless ``max_rounds`` are used up."""
        if self._rounds_left():
            ctx.set_timer(delay, RETRY)

    # ------------------------------------------------------------------ acceptor
    def _on_prepare(self, ctx: Context, src: Hashable, msg: Prepare) -> None:
        if msg.ballot < self.promised:
            ctx.send(src, Rejected(msg.ballot, self.promised))
            return
        if msg.ballot > self.promised:
            self.promised = msg.ballot
            ctx.persist("promised", self.promised)
        ctx.send(src, Promise(msg.ballot, *self.accepted))

    def _on_accept(self, ctx: Context, src: Hashable, msg: Accept) -> None:
        if msg.ballot < self.promised:
            ctx.send(src, Rejected(msg.ballot, self.promised))
            return
        if (msg.ballot, msg.value) != self.accepted:
            self.promised = msg.ballot
            self.accepted = (msg.ballot, msg.value)
            ctx.persist("promised", self.promised)
            ctx.persist("accepted", self.accepted)
            ctx.report(Voted(self.pid, msg.ballot, msg.value))
        for learner in self.cast.learners:
            ctx.send(learner, Accepted(msg.ballot, msg.value))

    # ------------------------------------------------------------------ learner
    def _on_accepted(self, ctx: Context, src: Hashable, msg: Accepted) -> None:
        self.heard |= {(msg.ballot, msg.value, src)}
        votes = sum(1 for ballot, _value, _acc in self.heard if ballot == msg.ballot)
        if votes >= self.cast.quorum and msg.value not in self.learned:
            self.learned += (msg.value,)
            ctx.report(Learned(self.pid, msg.value))
            if PROPOSER in self.roles:
                self.phase = DONE
                ctx.cancel_timer(RETRY)

    # ------------------------------------------------------------------ the trace
    def view(self) -> dict[str, Any]:
        """What this process shows in the trace (``role`` first)."""
        shown: dict[str, Any] = {"role": self.roles[0] if self.roles else "idle"}
        if PROPOSER in self.roles:
            shown.update(ballot=self.ballot, phase=self.phase,
                         value=_shown_value(self.proposal if self.proposal is not None
                                            else self.value))
        if ACCEPTOR in self.roles:
            ballot, value = self.accepted
            shown.update(promised=self.promised,
                         accepted=f"{value}@{ballot}" if ballot else "—")
        if LEARNER in self.roles:
            shown["learned"] = self.learned[0] if self.learned else "—"
        return shown

    def _publish(self, ctx: Context) -> None:
        state = (self.ballot, self.phase, self.proposal, self.value, self.promised,
                 self.accepted, self.learned)
        if state == self._published:
            return
        self._published = state
        shown = tuple(self.view().items())
        if shown != self._shown:
            before = dict(self._shown)
            ctx.annotate(**{k: v for k, v in shown if before.get(k, _UNSET) != v})
            self._shown = shown


_UNSET = object()


def _shown_value(value: Any) -> Any:
    return "—" if value is None else value

_HANDLERS = {
    Prepare: PaxosNode._on_prepare,
    Promise: PaxosNode._on_promise,
    Accept: PaxosNode._on_accept,
    Accepted: PaxosNode._on_accepted,
    Rejected: PaxosNode._on_rejected,
}
