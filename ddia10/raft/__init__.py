"""Raft: a leader, a replicated log, and the rules that keep it safe.

- :mod:`~ddia10.raft.messages` — the RPCs, what a log entry holds, the snapshot
- :mod:`~ddia10.raft.log` — the log with its compacted prefix
- :mod:`~ddia10.raft.storage` — how the log sits in stable storage
- :mod:`~ddia10.raft.disk` — when a write is durable, and the messages that wait for it
- :mod:`~ddia10.raft.progress` — what a leader knows of each follower, and its rules
- :mod:`~ddia10.raft.read_only` — ReadIndex and leases
- :mod:`~ddia10.raft.node` — one server, a message-driven state machine: the
  role step functions and the rules by section of the paper (§5.1 terms, §5.2
  election and its timers, §5.3 replication and the consistency check,
  §5.4.1 the election restriction, §5.4.2 commitment, persistence before
  replying, the disk, §7 snapshots, membership and learners, ReadIndex and
  leases, PreVote and CheckQuorum); each rule has an interaction test that
  steps one server alone (``tests/testdata/raft/``)
- :mod:`~ddia10.raft.options` — timeouts, batching, PreVote/CheckQuorum, bug switches
- :mod:`~ddia10.raft.rules` — the safety rules, each with the guard that enforces
  it and the test that fails without it (chapter 4's card, the mutation script)
- :mod:`~ddia10.raft.invariants` — the facts servers report and the monitor
  that checks the five safety properties
- :mod:`~ddia10.raft.cluster` — the harness: servers, faults, the monitor
- :mod:`~ddia10.raft.kv` and :mod:`~ddia10.raft.client` — a key-value store on Raft, its
  clients and their harness

What the chapters stage on Raft is in :mod:`ddia10.scenarios.raft` (chapter 4) and
:mod:`ddia10.scenarios.raft_deep_dive` (chapter 5).
"""

from ..invariants import InvariantViolation
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
    Snapshot,
)
from .node import ROLES, RaftNode, RaftView
from .options import RaftOptions

__all__ = [
    "INVARIANTS", "NOOP", "ROLES", "AppendEntries", "AppendEntriesReply", "Configuration",
    "InstallSnapshot", "InstallSnapshotReply", "InvariantViolation", "NoOp", "RaftCluster",
    "RaftLog", "RaftMonitor", "RaftNode", "RaftOptions", "RaftView", "RequestVote",
    "RequestVoteReply", "ServerState", "Snapshot",
]
