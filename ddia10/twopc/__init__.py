"""Two-phase commit: a coordinator, participants with write-ahead logs and
lock tables, crashes at every point, recovery from the logs, and its safety
properties as code.

Start here::

    from ddia10.twopc import TwoPC
    t = TwoPC(participants=3, seed=1)
    txn = t.begin({"P1": {"x": 1}, "P2": {"y": 1}})
    t.run(100)
    t.outcome(txn, "P1"), t.locks("P1")      # ('committed', {})

Modules: :mod:`.messages` (what goes over the wire), :mod:`.wal` (the
logs), :mod:`.options`, :mod:`.participant`, :mod:`.coordinator` (with the
client), :mod:`.replicated` (the coordinator as a Raft group),
:mod:`.invariants` (the monitor), :mod:`.harness` (:class:`TwoPC`). Chapter 3
teaches them; its stagings are in :mod:`ddia10.scenarios.two_phase_commit`.
"""

from ..invariants import InvariantViolation
from .coordinator import Client, Coordinator, Round
from .harness import CLIENT, COORDINATOR, OUTCOMES, TwoPC
from .invariants import (
    ATOMICITY,
    COMMIT_VALIDITY,
    INVARIANTS,
    NO_LOST_LOCKS,
    TWOPC_FACTS,
    Decided,
    Finished,
    Prepared,
    TwoPCMonitor,
)
from .messages import (
    ABORT,
    COMMIT,
    TWOPC_MESSAGES,
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
from .participant import Participant, TxnState
from .replicated import CoordinatorReplica, Decide, End

__all__ = [
    "ABORT",
    "ATOMICITY",
    "CLIENT",
    "COMMIT",
    "COMMIT_VALIDITY",
    "COORDINATOR",
    "INVARIANTS",
    "NO_LOST_LOCKS",
    "OUTCOMES",
    "TWOPC_FACTS",
    "TWOPC_MESSAGES",
    "Ack",
    "Begin",
    "Client",
    "Coordinator",
    "CoordinatorReplica",
    "Decide",
    "Decided",
    "Decision",
    "DecisionRequest",
    "End",
    "Finished",
    "InvariantViolation",
    "Participant",
    "PrepareToCommit",
    "Prepared",
    "Result",
    "Round",
    "TwoPC",
    "TwoPCMonitor",
    "TwoPCOptions",
    "TxnState",
    "CommitVote",
    "Writes",
    "txn_label",
]
