"""An etcd-like coordination service on the book's Raft, its recipes, and fencing.

Start here::

    from ddia10.coord import CoordCluster, Put, Range
    svc = CoordCluster(n=3, seed=1)
    svc.request(Put("/leader", "a")).revision            # 2
    svc.request(Range("/leader")).kvs[0].create_revision  # 2

Modules, in the order the chapter meets them:

- :mod:`.messages` — the operations (etcd's v3 API), results, watch parts and
  the log's entries; :mod:`.errors` — etcd's error messages.
- :mod:`.store` — the replicated state: a multi-version store with one
  revision, transactions, leases, compaction.
- :mod:`.server` — a replica: a Raft server serving the store, leases on the
  leader's clock, watches, the request size limit.
- :mod:`.client` — requests that survive failover, a lease session, a watch
  that resumes.
- :mod:`.recipes` — a lock whose fencing token is its key's create revision,
  leader election, service discovery, a compare-and-swap counter.
- :mod:`.fencing` — a resource that rejects stale tokens.
- :mod:`.invariants` — replicas agree, watches are exact, fenced writes go in
  token order; :mod:`.harness` — :class:`CoordCluster`.

Chapter 8 (``notebooks/08_in_practice.ipynb``) teaches it; what it stages is in
:mod:`ddia10.scenarios.in_practice`.
"""

from ..invariants import InvariantViolation
from .client import CoordClient
from .errors import (
    ERR_COMPACTED,
    ERR_DUPLICATE_KEY,
    ERR_EMPTY_KEY,
    ERR_FUTURE_REV,
    ERR_LEASE_NOT_FOUND,
    ERR_TOO_LARGE,
    ERRORS,
    CoordError,
)
from .fencing import FencedAck, FencedResource, FencedWrite
from .harness import CALLER, CoordCluster
from .invariants import (
    COORD_FACTS,
    FENCING,
    INVARIANTS,
    ONE_HOLDER,
    STORE_AGREEMENT,
    WATCH_ORDER,
    CoordMonitor,
    ResourceAccepted,
    StoreChanged,
    WatchDelivered,
    WatchStarted,
)
from .messages import (
    WRITES,
    Compact,
    Compare,
    CoordCommand,
    CoordReply,
    CoordRequest,
    DeleteRange,
    KeyValue,
    LeaseExpiry,
    LeaseGrant,
    LeaseKeepAlive,
    LeaseResult,
    LeaseRevoke,
    LeaseTimeToLive,
    Put,
    Range,
    RangeResult,
    Txn,
    TxnResult,
    WatchCancel,
    WatchCreate,
    WatchEvent,
    WatchResponse,
    WriteResult,
    in_range,
    prefix_end,
)
from .recipes import (
    CasCounter,
    Compactor,
    Discoverer,
    ElectionCandidate,
    LeaderObserver,
    LockHolder,
    ServiceInstance,
)
from .server import MAX_REQUEST_BYTES, CoordOptions, CoordServer, CoordView, request_bytes
from .store import MVCCStore

__all__ = [
    "CALLER", "COORD_FACTS", "ERRORS", "ERR_COMPACTED", "ERR_DUPLICATE_KEY", "ERR_EMPTY_KEY",
    "ERR_FUTURE_REV", "ERR_LEASE_NOT_FOUND", "ERR_TOO_LARGE", "FENCING", "INVARIANTS",
    "MAX_REQUEST_BYTES", "ONE_HOLDER", "STORE_AGREEMENT", "WATCH_ORDER", "WRITES", "CasCounter",
    "Compact", "Compactor", "Compare", "CoordClient", "CoordCluster", "CoordCommand", "CoordError",
    "CoordMonitor", "CoordOptions", "CoordReply", "CoordRequest", "CoordServer", "CoordView",
    "DeleteRange", "Discoverer", "ElectionCandidate", "FencedAck", "FencedResource",
    "FencedWrite", "InvariantViolation", "KeyValue", "LeaderObserver", "LeaseExpiry",
    "LeaseGrant", "LeaseKeepAlive", "LeaseResult", "LeaseRevoke", "LeaseTimeToLive",
    "LockHolder", "MVCCStore", "Put", "Range", "RangeResult", "ResourceAccepted",
    "ServiceInstance", "StoreChanged", "Txn", "TxnResult", "WatchCancel", "WatchCreate",
    "WatchDelivered", "WatchEvent", "WatchResponse", "WatchStarted", "WriteResult", "in_range",
    "prefix_end", "request_bytes",
]
