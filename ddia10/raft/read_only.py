"""Reads that skip the log: ReadIndex and leases (thesis §6.4).

A leader cannot answer a read from its own state machine just like that: a
newer leader may have been elected without it knowing, and its state may be
stale. Two ways out that write nothing to the log, kept here apart from the
node as etcd keeps them in ``read_only.go``:

- **ReadIndex.** Note the commit index (once the leader has committed an
  entry of its own term, so that it knows the true commit index), send a
  heartbeat *round* to everyone, and wait until a quorum has echoed that
  round — which proves no other leader had taken over when the read came
  in — and until the noted index is applied. Rounds are numbered; every
  AppendEntries carries the round it belongs to and every reply echoes it,
  so one echo confirms every earlier round too.
- **Lease.** A confirmed round also starts a lease: until ``lease_until``
  (the time the round left plus ``lease_duration``, on the leader's own
  clock) the leader answers reads alone. That is sound only while clocks
  drift less than ``clock_drift_bound`` and only with CheckQuorum, which
  makes followers refuse votes while they hear from a leader.

:class:`ReadOnly` holds the pending reads and the rounds; the node tells it
when a round leaves and how far a quorum has echoed, and asks it which reads
are ready. ``round_sent_at`` and ``lease_until`` are readings of the leader's
clock: they are left out of the node's fingerprint.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass


@dataclass
class PendingRead:
    """A ReadIndex request waiting for heartbeat round ``round`` and for
    ``index`` (``None`` until the leader knows its commit index) to apply."""

    read_id: Hashable
    round: int
    index: int | None


class ReadOnly:
    """A leader's pending ReadIndex reads, its heartbeat rounds, and its lease."""

    __slots__ = ("pending", "round", "round_wanted", "round_sent_at", "confirmed_round",
                 "lease_until")

    def __init__(self) -> None:
        self.pending: list[PendingRead] = []
        self.round = 0  # the latest heartbeat round sent
        self.round_wanted = False  # a read waits for a round not yet sent
        self.round_sent_at: dict[int, float] = {}  # round -> when it left (local clock)
        self.confirmed_round = 0  # the latest round a quorum has echoed
        self.lease_until = float("-inf")  # local time the lease ends

    def reset(self) -> list[PendingRead]:
        """A change of role: no rounds, no lease, and the pending reads, which
        this server can no longer serve, are returned to be failed."""
        failed, self.pending = self.pending, []
        self.round = 0
        self.round_wanted = False
        self.round_sent_at = {}
        self.confirmed_round = 0
        self.lease_until = float("-inf")
        return failed

    def request(self, read_id: Hashable, index: int | None) -> None:
        """A read arrives: it waits for the next round (which it asks for) and
        for ``index`` to apply."""
        self.pending.append(PendingRead(read_id, self.round + 1, index))
        self.round_wanted = True

    def start_round(self, now: float) -> int:
        """A new heartbeat round leaves at local time ``now``; its number."""
        self.round += 1
        self.round_wanted = False
        self.round_sent_at[self.round] = now
        return self.round

    def confirm(self, echoed: int, lease_duration: float) -> None:
        """A quorum has echoed round ``echoed`` (and so every round before it):
        the lease runs ``lease_duration`` from when that round left."""
        confirmed = min(echoed, self.round)
        sent = self.round_sent_at.get(confirmed)
        if sent is not None:
            self.lease_until = max(self.lease_until, sent + lease_duration)
            for r in [r for r in self.round_sent_at if r < confirmed]:
                del self.round_sent_at[r]
        self.confirmed_round = confirmed

    def ready(self, commit_index: int | None, last_applied: int) -> list[PendingRead]:
        """The reads that may be served now, removed from the pending ones.
        ``commit_index`` is ``None`` while the leader has not committed an
        entry of its term (reads taken before then note the index once it has)."""
        waiting, ready = [], []
        for read in self.pending:
            if read.index is None and commit_index is not None:
                read.index = commit_index
            if (read.index is not None and read.round <= self.confirmed_round
                    and last_applied >= read.index):
                ready.append(read)
            else:
                waiting.append(read)
        self.pending = waiting
        return ready

    def lease_holds(self, now: float) -> bool:
        """Is local time ``now`` within the lease?"""
        return now < self.lease_until

    def fingerprint(self) -> tuple:
        """What counts for state hashing: everything but the clock readings."""
        return self.pending, self.round, self.round_wanted, self.confirmed_round
