"""Raft: a leader, a replicated log, and the rules that keep it safe.

- :mod:`~ddia10.raft.messages` — the RPCs and what a log entry holds
- :mod:`~ddia10.raft.log` — the log with its compacted prefix
- :mod:`~ddia10.raft.storage` — how the log sits in stable storage
- :mod:`~ddia10.raft.node` — one server, a message-driven state machine
- :mod:`~ddia10.raft.options` — timeouts, batching, PreVote/CheckQuorum, bug switches
- :mod:`~ddia10.raft.invariants` — the five safety properties as code
- :mod:`~ddia10.raft.cluster` — the harness: servers, faults, checks
- :mod:`~ddia10.raft.scenarios` — scripted runs the chapters replay (Figure 8, ...)
"""

from ..invariants import InvariantViolation
from . import scenarios
from .cluster import RaftCluster, ServerState
from .invariants import INVARIANTS, RaftMonitor
from .log import RaftLog
from .messages import (
    NOOP,
    AppendEntries,
    AppendEntriesReply,
    Configuration,
    InstallSnapshot,
    InstallSnapshotReply,
    NoOp,
    RequestVote,
    RequestVoteReply,
)
from .node import ROLES, RaftNode
from .options import RaftOptions

__all__ = [
    "INVARIANTS", "NOOP", "ROLES", "AppendEntries", "AppendEntriesReply", "Configuration",
    "InstallSnapshot", "InstallSnapshotReply", "InvariantViolation", "NoOp", "RaftCluster",
    "RaftLog", "RaftMonitor", "RaftNode", "RaftOptions", "RequestVote", "RequestVoteReply",
    "ServerState", "scenarios",
]
