"""The errors the service answers with, worded exactly as etcd words them.

A client of etcd sees a status code and a message such as ``etcdserver:
mvcc: required revision has been compacted``. The simulated service answers
the same conditions with the same message, so what a reader learns here reads
the same against a real etcd (chapter 8 runs both).
"""

from __future__ import annotations

ERR_COMPACTED = "etcdserver: mvcc: required revision has been compacted"
"""A read, watch or compaction asked for a revision older than the last compaction."""

ERR_FUTURE_REV = "etcdserver: mvcc: required revision is a future revision"
"""A read or compaction asked for a revision the store has not reached."""

ERR_LEASE_NOT_FOUND = "etcdserver: requested lease not found"
"""A put, keep-alive or revoke named a lease that never existed, was revoked or expired."""

ERR_TOO_LARGE = "etcdserver: request is too large"
"""A request over the size limit (etcd's ``--max-request-bytes``, 1.5 MiB by default)."""

ERR_DUPLICATE_KEY = "etcdserver: duplicate key given in txn request"
"""A transaction branch that writes one key twice."""

ERR_EMPTY_KEY = "etcdserver: key is not provided"
"""A request with an empty key."""

ERRORS = (ERR_COMPACTED, ERR_FUTURE_REV, ERR_LEASE_NOT_FOUND, ERR_TOO_LARGE, ERR_DUPLICATE_KEY,
          ERR_EMPTY_KEY)


class CoordError(Exception):
    """The service refused a request; ``message`` is etcd's wording (one of :data:`ERRORS`)."""

    def __init__(self, message: str) -> None:
        if message not in ERRORS:
            raise ValueError(f"not one of the service's errors: {message!r}")
        self.message = message
        super().__init__(message)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CoordError) and other.message == self.message

    def __hash__(self) -> int:
        return hash(self.message)

    def __repr__(self) -> str:
        return f"CoordError({self.message!r})"
