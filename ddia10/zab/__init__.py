"""ZAB: ZooKeeper's atomic broadcast, a leader, epochs and zxids.

ZAB (Junqueira, Reed and Serafini, *Zab: High-performance broadcast for
primary-backup systems*, DSN 2011; first sketched by Reed and Junqueira in
2008) delivers the same transactions in the same order at every server of a
ZooKeeper ensemble. A leader proposes, a quorum acknowledges, the leader
commits. What sets it apart from Raft is how a new leader starts: it
establishes a new *epoch* with a quorum (discovery), brings a quorum up to
one history — the most up-to-date of its quorum — before it proposes
anything (synchronization), and only then broadcasts. A zxid (the epoch in
its high 32 bits, a counter in the low 32) names every transaction.

- :mod:`~ddia10.zab.zxid` — packing and reading zxids
- :mod:`~ddia10.zab.messages` — the messages of each phase
- :mod:`~ddia10.zab.options` — timeouts, the counter limit, bug switches
- :mod:`~ddia10.zab.server` — one server, phase by phase
- :mod:`~ddia10.zab.invariants` — the facts servers report and the monitor
  of the paper's properties
- :mod:`~ddia10.zab.cluster` — the harness

Chapter 7 teaches it (:mod:`ddia10.scenarios.zab_and_others`).
"""

from ..invariants import InvariantViolation
from .cluster import ZabCluster
from .invariants import (
    INTEGRITY,
    INVARIANTS,
    ONE_LEADER_PER_EPOCH,
    PRIMARY_INTEGRITY,
    TOTAL_ORDER,
    Delivered,
    Established,
    LeaderProposed,
    ZabMonitor,
)
from .messages import (
    FOLLOWING,
    LEADING,
    LOOKING,
    AckEpoch,
    AckNewLeader,
    AckProposal,
    CommitUpTo,
    ElectionVote,
    FollowerInfo,
    ForwardedWrite,
    NewEpoch,
    NewLeader,
    Notification,
    Ping,
    PingReply,
    Proposal,
    SyncReply,
    SyncRequest,
    UpToDate,
)
from .options import ZabOptions
from .server import BROADCAST, DISCOVERY, SYNCHRONIZATION, ZabServer
from .zxid import MAX_COUNTER, MAX_EPOCH, format_zxid, make_zxid, zxid_counter, zxid_epoch

__all__ = [
    "BROADCAST", "DISCOVERY", "FOLLOWING", "INTEGRITY", "INVARIANTS", "LEADING", "LOOKING",
    "MAX_COUNTER", "MAX_EPOCH", "ONE_LEADER_PER_EPOCH", "PRIMARY_INTEGRITY", "SYNCHRONIZATION",
    "TOTAL_ORDER", "AckEpoch", "AckNewLeader", "AckProposal", "CommitUpTo", "LeaderProposed",
    "Delivered", "ElectionVote", "Established", "FollowerInfo", "ForwardedWrite",
    "InvariantViolation", "NewEpoch", "NewLeader", "Notification", "Ping", "PingReply",
    "Proposal", "SyncReply", "SyncRequest", "UpToDate", "ZabCluster", "ZabMonitor",
    "ZabOptions", "ZabServer", "format_zxid", "make_zxid", "zxid_counter", "zxid_epoch",
]
