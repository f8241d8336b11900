"""The replicated state: a multi-version key-value store with a global revision.

Every replica applies the same committed commands in the same order to an
:class:`MVCCStore`, so every replica holds the same store at every revision
(this is etcd's ``mvcc`` package and ``lessor``, minus the clock):

- **One revision for the whole store.** It starts at 1 and every write — a
  put, a delete that deletes something, a transaction that writes, a lease
  whose revocation deletes keys — moves it up by one. Each key remembers the
  revision that created it (``create_revision``), the one that last wrote it
  (``mod_revision``) and how often it was written since (``version``).
- **Old versions stay** until a compaction: a read may ask for the store as it
  was at an older revision, and a watch may start from one. A compaction at
  ``r`` forgets what only revisions before ``r`` could show; asking for them
  afterwards gets etcd's ``required revision has been compacted``.
- **Transactions** compare keys' values, versions or revisions and then run
  one branch of puts, deletes and reads, all at one revision.
- **Leases** are granted here (their ids too, so every replica names a lease
  alike), keys are attached to them, and a revoked lease takes its keys with
  it, all at one revision. *When* a lease runs out is not the store's to say:
  the leader decides that on its clock and puts a
  :class:`~ddia10.coord.messages.LeaseExpiry` in the log
  (:mod:`~ddia10.coord.server`).
- **Exactly once**: the session table remembers each client's last write and
  its outcome, so a retried write is answered, not applied again (as the
  key-value store of chapter 5 does).

The store holds no clock and no randomness: it is a pure function of the
commands it has applied.
"""

from __future__ import annotations

import bisect
import copy
from collections.abc import Hashable
from typing import Any

from ..validate import check_instance, check_int
from .errors import (
    ERR_COMPACTED,
    ERR_DUPLICATE_KEY,
    ERR_EMPTY_KEY,
    ERR_FUTURE_REV,
    ERR_LEASE_NOT_FOUND,
    CoordError,
)
from .messages import (
    Compact,
    Compare,
    CoordCommand,
    DeleteRange,
    KeyValue,
    LeaseExpiry,
    LeaseGrant,
    LeaseResult,
    LeaseRevoke,
    Put,
    Range,
    RangeResult,
    Txn,
    TxnResult,
    WatchEvent,
    WriteResult,
    in_range,
)

_OPERATORS = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
}


class MVCCStore:
    """The store every replica keeps. ``min_ttl`` (seconds) is the shortest lease it
    grants: a shorter request gets ``min_ttl``, as etcd does."""

    def __init__(self, min_ttl: int = 1) -> None:
        check_int("min_ttl", min_ttl, min=1)
        self.min_ttl = min_ttl
        self.revision = 1
        self.compacted = 0
        self.live: dict[str, KeyValue] = {}
        # key -> [(revision, version or None for a deletion)], oldest first
        self.versions: dict[str, list[tuple[int, KeyValue | None]]] = {}
        self.events: list[WatchEvent] = []  # every change since the compaction, in order
        self.leases: dict[int, tuple[int, set[str]]] = {}  # id -> (granted ttl, its keys)
        self.next_lease = 1
        self.sessions: dict[Hashable, tuple[int, Any]] = {}  # client -> (last seq, outcome)

    # ---------------------------------------------------------------- applying the log
    def apply(self, command: CoordCommand | LeaseExpiry) -> Any:
        """Apply one committed command: its result, or the :class:`CoordError` a
        client is answered with. A client's repeat is answered from its session."""
        check_instance("a command the store applies", command, (CoordCommand, LeaseExpiry))
        if isinstance(command, LeaseExpiry):
            return self._revoke(command.id, quiet=True)
        last = self.sessions.get(command.client)
        if last is not None and command.seq <= last[0]:
            return last[1] if command.seq == last[0] else None
        try:
            outcome = self._execute(command.op)
        except CoordError as error:
            outcome = error
        self.sessions[command.client] = (command.seq, outcome)
        return outcome

    def cached(self, client: Hashable, seq: int) -> tuple[bool, Any]:
        """``(True, outcome)`` if ``(client, seq)`` is the client's last applied write."""
        last = self.sessions.get(client)
        if last is not None and last[0] == seq:
            return True, last[1]
        return False, None

    def _execute(self, op: Any) -> Any:
        if isinstance(op, Put):
            result = self._put(op, self.revision + 1)
            self.revision += 1
            return result
        if isinstance(op, DeleteRange):
            deleted = self._delete(op, self.revision + 1)
            if deleted:
                self.revision += 1
            return WriteResult(self.revision, deleted)
        if isinstance(op, Txn):
            return self._txn(op)
        if isinstance(op, LeaseGrant):
            lease = self.next_lease
            self.next_lease += 1
            ttl = max(op.ttl, self.min_ttl)
            self.leases[lease] = (ttl, set())
            return LeaseResult(lease, ttl, ttl)
        if isinstance(op, LeaseRevoke):
            return self._revoke(op.id)
        if isinstance(op, Compact):
            self._compact(op.revision)
            return WriteResult(self.revision)
        raise ValueError(f"not a write: {op!r}")

    def _put(self, op: Put, revision: int) -> WriteResult:
        if not op.key:
            raise CoordError(ERR_EMPTY_KEY)
        if op.lease and op.lease not in self.leases:
            raise CoordError(ERR_LEASE_NOT_FOUND)
        old = self.live.get(op.key)
        if old is not None and old.lease and old.lease != op.lease and old.lease in self.leases:
            self.leases[old.lease][1].discard(op.key)
        created = old.create_revision if old is not None else revision
        version = old.version + 1 if old is not None else 1
        kv = KeyValue(op.key, op.value, created, revision, version, op.lease)
        if op.lease:
            self.leases[op.lease][1].add(op.key)
        self._record(op.key, revision, kv)
        return WriteResult(revision)

    def _delete(self, op: DeleteRange, revision: int) -> int:
        doomed = self._matching(op.key, op.range_end)
        for key in doomed:
            lease = self.live[key].lease
            if lease in self.leases:
                self.leases[lease][1].discard(key)
            self._record(key, revision, None)
        return len(doomed)

    def _record(self, key: str, revision: int, kv: KeyValue | None) -> None:
        self.versions.setdefault(key, []).append((revision, kv))
        if kv is None:
            del self.live[key]
            self.events.append(WatchEvent("delete", key, revision))
        else:
            self.live[key] = kv
            self.events.append(WatchEvent("put", key, revision, kv))

    def _txn(self, op: Txn) -> TxnResult:
        succeeded = all(self._holds(c) for c in op.compare)
        branch = op.success if succeeded else op.failure
        written = [w.key for w in branch if isinstance(w, Put)]
        if len(written) != len(set(written)):
            raise CoordError(ERR_DUPLICATE_KEY)
        if any(isinstance(w, Put) and w.lease and w.lease not in self.leases for w in branch):
            raise CoordError(ERR_LEASE_NOT_FOUND)
        revision = self.revision + 1
        wrote = False
        responses = []
        for w in branch:
            if isinstance(w, Put):
                self._put(w, revision)
                wrote = True
                responses.append(WriteResult(revision))
            elif isinstance(w, DeleteRange):
                deleted = self._delete(w, revision)
                wrote = wrote or deleted > 0
                responses.append(WriteResult(revision if deleted else self.revision, deleted))
            else:
                responses.append(self.range(w, pending=revision if wrote else None))
        if wrote:
            self.revision = revision
        return TxnResult(self.revision, succeeded, tuple(responses))

    def _holds(self, c: Compare) -> bool:
        kv = self.live.get(c.key)
        if c.target == "value":
            if kv is None:
                return False  # etcd: a value compare on a missing key is false
            actual: Any = kv.value
        else:
            field = {"version": "version", "create": "create_revision",
                     "mod": "mod_revision", "lease": "lease"}[c.target]
            actual = 0 if kv is None else getattr(kv, field)
        return _OPERATORS[c.result](actual, c.value)

    def _revoke(self, lease: int, *, quiet: bool = False) -> Any:
        if lease not in self.leases:
            return None if quiet else CoordError(ERR_LEASE_NOT_FOUND)
        _ttl, keys = self.leases.pop(lease)
        if keys:
            self.revision += 1
            for key in sorted(keys):
                self._record(key, self.revision, None)
        return WriteResult(self.revision, len(keys))

    def _compact(self, revision: int) -> None:
        if revision <= self.compacted:
            raise CoordError(ERR_COMPACTED)
        if revision > self.revision:
            raise CoordError(ERR_FUTURE_REV)
        self.compacted = revision
        for key in list(self.versions):
            history = self.versions[key]
            cut = bisect.bisect_right(history, revision, key=lambda entry: entry[0])
            keep = history[cut:]
            if cut and history[cut - 1][1] is not None:  # the version in force at `revision`
                keep.insert(0, history[cut - 1])
            if keep:
                self.versions[key] = keep
            else:
                del self.versions[key]
        self.events = [e for e in self.events if e.revision >= revision]

    # ---------------------------------------------------------------- reading
    def range(self, op: Range, *, pending: int | None = None) -> RangeResult:
        """The keys ``op`` asks for, at its revision (0: now). Raises
        :class:`CoordError` for a compacted or a future revision."""
        check_instance("a range", op, Range)
        if not op.key:
            raise CoordError(ERR_EMPTY_KEY)
        now = self.revision if pending is None else pending
        at = op.revision or now
        if at > now:
            raise CoordError(ERR_FUTURE_REV)
        if at < self.compacted:
            raise CoordError(ERR_COMPACTED)
        if at == now:
            kvs = tuple(self.live[k] for k in self._matching(op.key, op.range_end))
        else:
            kvs = tuple(kv for kv in (self._at(k, at) for k in self._keys(op.key, op.range_end))
                        if kv is not None)
        return RangeResult(now, kvs)

    def _at(self, key: str, revision: int) -> KeyValue | None:
        history = self.versions.get(key, [])
        cut = bisect.bisect_right(history, revision, key=lambda entry: entry[0])
        return history[cut - 1][1] if cut else None

    def _matching(self, key: str, range_end: str | None) -> list[str]:
        if range_end is None:
            return [key] if key in self.live else []
        return sorted(k for k in self.live if key <= k < range_end)

    def _keys(self, key: str, range_end: str | None) -> list[str]:
        if range_end is None:
            return [key]
        return sorted(k for k in self.versions if key <= k < range_end)

    def events_after(self, revision: int, key: str, range_end: str | None) -> list[WatchEvent]:
        """Every change after ``revision`` to ``key`` (or ``[key, range_end)``), in
        order. Raises :class:`CoordError` if compaction has dropped some of them."""
        if revision + 1 < self.compacted:
            raise CoordError(ERR_COMPACTED)
        start = bisect.bisect_right(self.events, revision, key=lambda e: e.revision)
        return [e for e in self.events[start:] if in_range(e.key, key, range_end)]

    def lease_keys(self, lease: int) -> tuple[str, ...]:
        """The keys attached to ``lease`` (sorted); empty if it does not exist."""
        return tuple(sorted(self.leases[lease][1])) if lease in self.leases else ()

    # ---------------------------------------------------------------- snapshots
    def snapshot(self) -> dict:
        """The whole state as plain data, for a Raft snapshot."""
        return copy.deepcopy({name: getattr(self, name) for name in _STATE})

    def restore(self, state: dict) -> None:
        if not isinstance(state, dict) or set(state) != set(_STATE):
            raise ValueError(f"not a store snapshot: {state!r:.200}")
        for name, value in copy.deepcopy(state).items():
            setattr(self, name, value)


_STATE = ("min_ttl", "revision", "compacted", "live", "versions", "events", "leases",
          "next_lease", "sessions")

