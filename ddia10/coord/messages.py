"""What clients ask the service, what it answers, and what goes into the Raft log.

The operations follow etcd's v3 API, one small frozen dataclass each:

==========================  ===================================================
operation                   what it does (etcd's RPC)
==========================  ===================================================
:class:`Put`                write a key, optionally attached to a lease
                            (``Put``)
:class:`Range`              read a key or a range ``[key, range_end)``, now or
                            at an older revision; linearizable unless
                            ``serializable`` (``Range``)
:class:`DeleteRange`        delete a key or a range (``DeleteRange``)
:class:`Txn`                compare, then the ``success`` or the ``failure``
                            operations, atomically, at one revision (``Txn``)
:class:`LeaseGrant`         a lease of ``ttl`` seconds (``LeaseGrant``)
:class:`LeaseRevoke`        end a lease now, deleting its keys
                            (``LeaseRevoke``)
:class:`LeaseKeepAlive`     restart a lease's TTL (``LeaseKeepAlive``)
:class:`LeaseTimeToLive`    how long a lease has left (``LeaseTimeToLive``)
:class:`Compact`            forget the history before a revision (``Compact``)
:class:`WatchCreate`        stream every change to a key or range from a
                            revision on
:class:`WatchCancel`        stop a stream
==========================  ===================================================

A client wraps an operation in a :class:`CoordRequest` numbered by the
client (so a retried write is applied once) and gets a :class:`CoordReply`;
a watch answers with a stream of :class:`WatchResponse`. Writes reach the
Raft log as :class:`CoordCommand`; the leader's decision that a lease ran
out reaches it as :class:`LeaseExpiry`, so every replica deletes the same
keys at the same revision.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from ..validate import check_choice, check_instance, check_int, check_str
from .errors import CoordError

COMPARE_TARGETS = ("value", "version", "create", "mod", "lease")
"""What a :class:`Compare` looks at: the value, the version, the create or mod revision,
the lease."""

COMPARE_RESULTS = ("=", "!=", "<", ">")
REPLY_STATUSES = ("ok", "error", "not_leader", "retry")


def prefix_end(prefix: str) -> str:
    """The ``range_end`` that makes ``[prefix, range_end)`` every key starting with
    ``prefix`` (etcd's ``GetPrefixRangeEnd``: the last character, plus one)."""
    check_str("prefix", prefix)
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def in_range(candidate: str, key: str, range_end: str | None) -> bool:
    """Is ``candidate`` the key ``key`` (``range_end`` None) or in ``[key, range_end)``?"""
    return candidate == key if range_end is None else key <= candidate < range_end


def _check_range(key: Any, range_end: Any) -> None:
    check_instance("key", key, str)
    check_instance("range_end", range_end, str, none=True)
    if range_end is not None and range_end <= key:
        raise ValueError(f"range_end must sort after key {key!r}, got {range_end!r}")


# ---------------------------------------------------------------------- stored values
@dataclass(frozen=True)
class KeyValue:
    """One version of a key: ``create_revision`` when the key was (last) created,
    ``mod_revision`` when this version was written, ``version`` how many writes since
    the creation (1 for the first), ``lease`` the lease it is attached to (0: none)."""

    key: str
    value: str
    create_revision: int
    mod_revision: int
    version: int
    lease: int = 0


@dataclass(frozen=True)
class WatchEvent:
    """One change, as a watch delivers it: ``"put"`` with the new version, or
    ``"delete"`` with the key and the revision that deleted it."""

    type: str
    key: str
    revision: int
    kv: KeyValue | None = None

    def __post_init__(self) -> None:
        check_choice("event type", self.type, ("put", "delete"))


# ---------------------------------------------------------------------- operations
@dataclass(frozen=True)
class Put:
    key: str
    value: str
    lease: int = 0

    def __post_init__(self) -> None:
        check_instance("key", self.key, str)
        check_instance("value", self.value, str)
        check_int("lease", self.lease, min=0)


@dataclass(frozen=True)
class Range:
    """Read ``key`` (or ``[key, range_end)``) as of ``revision`` (0: the latest)."""

    key: str
    range_end: str | None = None
    revision: int = 0
    serializable: bool = False

    def __post_init__(self) -> None:
        _check_range(self.key, self.range_end)
        check_int("revision", self.revision, min=0)


@dataclass(frozen=True)
class DeleteRange:
    key: str
    range_end: str | None = None

    def __post_init__(self) -> None:
        _check_range(self.key, self.range_end)


@dataclass(frozen=True)
class Compare:
    """``target`` of ``key`` ``result`` ``value``: ``Compare("k", "create", "=", 0)``
    holds when ``k`` does not exist (a missing key has revisions and version 0)."""

    key: str
    target: str
    result: str
    value: Any

    def __post_init__(self) -> None:
        check_instance("key", self.key, str)
        check_choice("compare target", self.target, COMPARE_TARGETS)
        check_choice("compare result", self.result, COMPARE_RESULTS)
        if self.target == "value":
            check_instance("a value compare's value", self.value, str)
        else:
            check_int(f"a {self.target} compare's value", self.value, min=0)


@dataclass(frozen=True)
class Txn:
    """If every compare holds, do ``success``, else ``failure``: puts, deletes and
    reads, all at one revision."""

    compare: tuple[Compare, ...] = ()
    success: tuple[Put | Range | DeleteRange, ...] = ()
    failure: tuple[Put | Range | DeleteRange, ...] = ()

    def __post_init__(self) -> None:
        for c in self.compare:
            check_instance("a txn compare", c, Compare)
        for op in self.success + self.failure:
            check_instance("a txn operation", op, (Put, Range, DeleteRange))


@dataclass(frozen=True)
class LeaseGrant:
    """A lease of ``ttl`` seconds. The client checks ``ttl >= 1``; the service, as
    etcd does, raises a TTL below its minimum to the minimum."""

    ttl: int

    def __post_init__(self) -> None:
        check_int("lease TTL (seconds)", self.ttl, min=1)


@dataclass(frozen=True)
class LeaseRevoke:
    id: int

    def __post_init__(self) -> None:
        check_int("lease id", self.id, min=1)


@dataclass(frozen=True)
class LeaseKeepAlive:
    id: int

    def __post_init__(self) -> None:
        check_int("lease id", self.id, min=1)


@dataclass(frozen=True)
class LeaseTimeToLive:
    id: int

    def __post_init__(self) -> None:
        check_int("lease id", self.id, min=1)


@dataclass(frozen=True)
class Compact:
    revision: int

    def __post_init__(self) -> None:
        check_int("compact revision", self.revision, min=1)


@dataclass(frozen=True)
class WatchCreate:
    """Stream the changes to ``key`` (or ``[key, range_end)``) from ``start_revision``
    on (0: from the next change); ``watch_id`` is the client's name for the stream."""

    watch_id: int
    key: str
    range_end: str | None = None
    start_revision: int = 0

    def __post_init__(self) -> None:
        check_int("watch id", self.watch_id, min=1)
        _check_range(self.key, self.range_end)
        check_int("start revision", self.start_revision, min=0)


@dataclass(frozen=True)
class WatchCancel:
    watch_id: int


OPERATIONS = (Put, Range, DeleteRange, Txn, LeaseGrant, LeaseRevoke, LeaseKeepAlive,
              LeaseTimeToLive, Compact, WatchCreate, WatchCancel)
WRITES = (Put, DeleteRange, Txn, LeaseGrant, LeaseRevoke, Compact)
"""The operations that go through the Raft log."""


# ---------------------------------------------------------------------- results
@dataclass(frozen=True)
class RangeResult:
    revision: int
    kvs: tuple[KeyValue, ...]


@dataclass(frozen=True)
class WriteResult:
    """A put, delete or compaction: the store's revision after it, and for a delete
    how many keys went."""

    revision: int
    deleted: int = 0


@dataclass(frozen=True)
class TxnResult:
    revision: int
    succeeded: bool
    responses: tuple[Any, ...]


@dataclass(frozen=True)
class LeaseResult:
    """A grant, keep-alive or time-to-live: the lease, its TTL left (s, -1: gone),
    the TTL granted and its keys."""

    id: int
    ttl: int
    granted_ttl: int = 0
    keys: tuple[str, ...] = ()


# ---------------------------------------------------------------------- on the wire
@dataclass(frozen=True)
class CoordRequest:
    """Operation ``op`` of ``client``, its ``seq``-th request (a retry keeps its seq)."""

    client: Hashable
    seq: int
    op: Any

    def __post_init__(self) -> None:
        check_int("a request's sequence number", self.seq, min=1)
        check_instance("operation", self.op, OPERATIONS)


@dataclass(frozen=True)
class CoordReply:
    """``ok`` with its ``result``; ``error`` with etcd's ``error``; ``not_leader`` with a
    ``leader`` hint; ``retry`` when the write was lost from the log."""

    client: Hashable
    seq: int
    status: str
    result: Any = None
    error: CoordError | None = None
    leader: Hashable | None = None

    def __post_init__(self) -> None:
        check_choice("reply status", self.status, REPLY_STATUSES)


@dataclass(frozen=True)
class WatchResponse:
    """Part of a watch stream: every event of revisions ``after + 1 .. revision`` in the
    watched range. A stream whose next part does not start where the last one ended
    has lost a part. ``compact_revision`` > 0 means the stream was cancelled because
    its start had been compacted away; start again from there."""

    watch_id: int
    after: int
    revision: int
    events: tuple[WatchEvent, ...] = ()
    compact_revision: int = 0


# ---------------------------------------------------------------------- the log
@dataclass(frozen=True)
class CoordCommand:
    """A client's write, as the Raft log holds it."""

    client: Hashable
    seq: int
    op: Any

    def __str__(self) -> str:
        return f"{self.client}#{self.seq} {type(self.op).__name__}"


@dataclass(frozen=True)
class LeaseExpiry:
    """The leader saw lease ``id`` run out on its clock: every replica revokes it."""

    id: int

    def __str__(self) -> str:
        return f"expire lease {self.id}"
