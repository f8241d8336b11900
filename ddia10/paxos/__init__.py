"""Paxos: single-decree agreement, and Multi-Paxos for a replicated log.

Paxos (Lamport, *The Part-Time Parliament*, 1998; *Paxos Made Simple*, 2001)
gets a set of processes to agree on one value while any minority of them may
crash and messages may be lost, delayed or duplicated. It is easiest read
backwards, from the moment a value is decided.

**Phase 2: accept.** A proposer asks every acceptor to accept a value in a
*ballot* (a number no other proposer uses). An acceptor accepts unless it has
promised a higher ballot. Once a majority of acceptors has accepted the same
value in the same ballot, that value is *chosen*; learners find out by
counting the acceptors' ``Accepted`` messages.

**Phase 1: prepare.** Phase 2 alone is unsafe: a second proposer could get a
second value accepted by another majority. So before phase 2 a proposer asks
a majority to *promise* to ignore lower ballots, and each promise reports what
that acceptor last accepted. Any two majorities share an acceptor, so if some
value may already be chosen, at least one promise reports it, and the rule
"propose the value accepted in the highest ballot reported, your own only if
none is" makes every later ballot propose that same value.

**Liveness.** Two proposers can keep preempting each other's ballots forever
(a livelock). Paxos is safe regardless; to make progress, one proposer at a
time must be left alone to finish, which randomized back-off arranges.

**Multi-Paxos** decides a log, one Paxos instance per slot. A stable leader
runs phase 1 once for all future slots and then needs only phase 2 per
command: one round trip, as Raft's.

What is here:

- :mod:`ddia10.paxos.messages` — the messages and ballot numbering;
- :class:`PaxosNode` — one process playing proposer, acceptor and/or learner;
- :class:`PaxosMonitor` — the safety properties, fed every vote as it is cast;
- :class:`MultiPaxosNode` — one server of a replicated log (:mod:`ddia10.paxos.multi`);
- :class:`SingleDecree` and :class:`MultiPaxos` — the harnesses of chapter 6.
"""

from ..invariants import InvariantViolation
from .harness import MultiPaxos, SingleDecree
from .invariants import (
    APPLIED_IN_ORDER,
    AT_MOST_ONE_CHOSEN,
    CHOSEN_WAS_PROPOSED,
    LEARNED_WAS_CHOSEN,
    LEARNERS_AGREE,
    Learned,
    PaxosMonitor,
    Proposed,
    Voted,
)
from .messages import (
    NOOP,
    Accept,
    Accepted,
    AcceptedSlot,
    AcceptSlot,
    CatchUp,
    Chosen,
    LeaderHeartbeat,
    NoOpValue,
    Prepare,
    PrepareFrom,
    Promise,
    PromiseFrom,
    Rejected,
    ballot_owner,
    next_ballot,
)
from .multi import MultiPaxosNode, MultiPaxosOptions
from .node import Cast, PaxosNode
from .options import PaxosOptions

__all__ = [
    "APPLIED_IN_ORDER",
    "AT_MOST_ONE_CHOSEN",
    "CHOSEN_WAS_PROPOSED",
    "LEARNED_WAS_CHOSEN",
    "LEARNERS_AGREE",
    "NOOP",
    "Accept",
    "Accepted",
    "AcceptedSlot",
    "AcceptSlot",
    "Cast",
    "CatchUp",
    "Chosen",
    "LeaderHeartbeat",
    "InvariantViolation",
    "Learned",
    "MultiPaxos",
    "MultiPaxosNode",
    "MultiPaxosOptions",
    "NoOpValue",
    "PaxosMonitor",
    "PaxosNode",
    "PaxosOptions",
    "Prepare",
    "PrepareFrom",
    "Promise",
    "PromiseFrom",
    "Proposed",
    "Rejected",
    "SingleDecree",
    "Voted",
    "ballot_owner",
    "next_ballot",
]
