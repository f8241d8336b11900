"""Graded drills: the reader writes the code, a check runs it and says what broke.

Each drill gives the reader a skeleton in a chapter and a check, such as
``check_vector_clock(MyVectorClock)``, that runs the reader's code inside the
simulator, beside the book's invariants and checkers, on scripted runs from
the smallest up (and, where it helps, random ones, shrunk). It returns a
:class:`~ddia10.drills.report.DrillReport` and never raises at the reader: a
skeleton still raising ``NotImplementedError`` is "not yet"; a failure names
the rule as the chapter names it, explains what happened in the reader's
terms, points at the line of the reader's code that acted
(:mod:`~ddia10.drills.reader`), and carries the smallest run that breaks it,
which :func:`ddia10.viz.show_drill` plays in the book's players. Each drill
module holds a reference solution (``Solution...``), revealed in its chapter.

==========================================  ========  ==========================================
check                                       chapter   module
==========================================  ========  ==========================================
:func:`check_linearization`                 1         :mod:`~ddia10.drills.by_hand`
:func:`check_vector_clock`                  2         :mod:`~ddia10.drills.vector_clock`
:func:`check_sequencer_broadcast`           2         :mod:`~ddia10.drills.broadcast`
:func:`check_raft_broadcast`                2         :mod:`~ddia10.drills.broadcast`
:func:`check_participant_recovery`          3         :mod:`~ddia10.drills.twopc_recovery`
:func:`check_request_vote`                  4, 5      :mod:`~ddia10.drills.raft_votes`
:func:`check_commit_rule`                   5         :mod:`~ddia10.drills.raft_commit`
:func:`check_acceptor`                      6         :mod:`~ddia10.drills.paxos_acceptor`
:func:`check_lock_service`                  8         :mod:`~ddia10.drills.fencing`
==========================================  ========  ==========================================

Chapter 9 gathers them all as the interview arsenal's practice set.
"""

from .broadcast import (
    Broadcast,
    RaftBroadcaster,
    SolutionMember,
    SolutionRaftBroadcast,
    check_raft_broadcast,
    check_sequencer_broadcast,
)
from .by_hand import check_linearization, tiny_history, tiny_stale_history
from .fencing import SolutionFencedStore, SolutionLockService, check_lock_service
from .paxos_acceptor import AcceptorBase, SolutionAcceptor, check_acceptor
from .raft_commit import SolutionLeader, check_commit_rule
from .raft_script import RaftDrillServer
from .raft_votes import SolutionVoter, check_request_vote
from .report import CodeLine, DrillReport, DrillRun
from .twopc_recovery import SolutionParticipant, check_participant_recovery
from .vector_clock import SolutionVectorClock, check_vector_clock

__all__ = [
    "AcceptorBase", "Broadcast", "CodeLine", "DrillReport", "DrillRun", "RaftBroadcaster",
    "RaftDrillServer", "SolutionAcceptor",
    "SolutionFencedStore", "SolutionLeader", "SolutionLockService", "SolutionMember",
    "SolutionParticipant", "SolutionRaftBroadcast", "SolutionVectorClock", "SolutionVoter",
    "check_acceptor", "check_commit_rule", "check_linearization", "check_lock_service",
    "check_participant_recovery", "check_raft_broadcast", "check_request_vote",
    "check_sequencer_broadcast", "check_vector_clock", "tiny_history", "tiny_stale_history",
]
