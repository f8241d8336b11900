"""EPaxos: leaderless consensus, with dependencies instead of a log.

Egalitarian Paxos (Moraru, Andersen and Kaminsky, SOSP 2013) has no leader.
The replica that receives a command leads it: it gets the command's
*dependencies* (interfering commands to be ordered against) agreed by the
others. When no replica of a fast quorum knows an interfering command the
leader missed, one round trip commits it (the fast path); otherwise a second
round, Paxos's accept phase on the merged dependencies, does (the slow path).
Commands are executed in an order derived from the dependency graph, the same
at every replica for commands that interfere. When a command's leader fails,
another replica recovers the command (explicit prepare): the part of EPaxos
that later work (Sutra 2019; Ryabinin, Gotsman and Sutra 2025) showed to be
subtle.

- :mod:`~ddia10.epaxos.messages` — the messages, ballots and statuses
- :mod:`~ddia10.epaxos.options` — the fast quorum, timeouts, bug switches
- :mod:`~ddia10.epaxos.replica` — one replica: phase 1, the fast and slow
  paths, commit, recovery
- :mod:`~ddia10.epaxos.execution` — the execution order (strongly connected
  components of the dependency graph)
- :mod:`~ddia10.epaxos.invariants` — the facts replicas report and the monitor
- :mod:`~ddia10.epaxos.cluster` — the harness, and a workload with a tunable
  conflict rate

Chapter 7 teaches it (:mod:`ddia10.scenarios.zab_and_others`).
"""

from ..invariants import InvariantViolation
from .cluster import EPaxosCluster, conflict_workload
from .execution import execution_order
from .invariants import (
    CONSISTENCY,
    EXECUTED_WHEN_COMMITTED,
    EXECUTION_ORDER,
    INVARIANTS,
    CommittedAttributes,
    EPaxosMonitor,
    ExecutedCommand,
)
from .messages import (
    ACCEPTED,
    COMMITTED,
    NO_OP,
    NONE,
    PREACCEPTED,
    AcceptAttributes,
    AcceptAttributesReply,
    CommitInstance,
    ExplicitPrepare,
    ExplicitPrepareReply,
    NoOpCommand,
    PreAccept,
    PreAcceptReply,
    initial_ballot,
)
from .options import EPaxosOptions, check_epaxos_size
from .replica import EPaxosReplica, Instance, key_of

__all__ = [
    "ACCEPTED", "COMMITTED", "CONSISTENCY", "EXECUTED_WHEN_COMMITTED", "EXECUTION_ORDER",
    "INVARIANTS", "NONE", "NO_OP", "PREACCEPTED", "AcceptAttributes", "AcceptAttributesReply",
    "CommitInstance", "CommittedAttributes", "EPaxosCluster", "EPaxosMonitor", "EPaxosOptions",
    "EPaxosReplica", "ExecutedCommand", "ExplicitPrepare", "ExplicitPrepareReply", "Instance",
    "InvariantViolation", "NoOpCommand", "PreAccept", "PreAcceptReply", "check_epaxos_size",
    "conflict_workload", "execution_order", "initial_ballot", "key_of",
]
