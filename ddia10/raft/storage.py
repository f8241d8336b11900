"""How a server's log sits in stable storage.

Raft asks for the log to be durable before a server answers (Figure 2). Each
batch of entries appended together is written under one key,
``entries@<first index>``, and ``last_index`` says where the log ends, so an
append costs one write however long the log is. The batches chain: a batch
starting at ``i`` with ``k`` entries is followed by the batch at ``i + k``.
Cutting the log rewrites the one batch that straddles the cut; compaction
rewrites the one batch that straddles the snapshot, which is stored whole
under ``snapshot`` (a :class:`~ddia10.raft.messages.Snapshot`). On restart
the chain is walked from the snapshot to ``last_index``.
"""

from __future__ import annotations

import bisect

from ..sim import Context
from .log import RaftLog
from .messages import Snapshot


class DurableLog:
    """The stable-storage side of a :class:`RaftLog`; ``starts`` mirrors the
    batch keys in memory (it is rebuilt on restart)."""

    __slots__ = ("starts",)

    def __init__(self, starts: list[int] | None = None) -> None:
        self.starts: list[int] = starts if starts is not None else []

    @classmethod
    def load(cls, stable: dict) -> tuple[Snapshot | None, RaftLog, DurableLog]:
        """``(snapshot or None, log, durable log)`` from what a server persisted."""
        snapshot = stable.get("snapshot")
        index, term = (snapshot.index, snapshot.term) if snapshot else (0, 0)
        log = RaftLog(index, term)
        last = stable.get("last_index", index)
        starts = []
        i = index + 1
        while i <= last:
            batch = stable[f"entries@{i}"]
            log.entries.extend(batch[: last - i + 1])
            starts.append(i)
            i += len(batch)
        return snapshot, log, cls(starts)

    def append(self, ctx: Context, first: int, entries: tuple) -> None:
        ctx.persist(f"entries@{first}", entries)
        ctx.persist("last_index", first + len(entries) - 1)
        self.starts.append(first)

    def truncate(self, ctx: Context, log: RaftLog, index: int) -> None:
        """``log`` was just cut after ``index``: make storage agree."""
        keep = bisect.bisect_right(self.starts, index)
        if keep:
            start = self.starts[keep - 1]
            ctx.persist(f"entries@{start}", tuple(log.slice(start, index)))
        del self.starts[keep:]
        ctx.persist("last_index", index)

    def compact(self, ctx: Context, log: RaftLog, snapshot: Snapshot) -> None:
        """``log`` was just compacted up to ``snapshot``'s index: store the snapshot
        and restart the chain right after it."""
        index = snapshot.index
        ctx.persist("snapshot", snapshot)
        later = self.starts[bisect.bisect_right(self.starts, index):]
        if log.last_index > index and (not later or later[0] != index + 1):
            end = later[0] - 1 if later else log.last_index
            ctx.persist(f"entries@{index + 1}", tuple(log.slice(index + 1, end)))
            later.insert(0, index + 1)
        self.starts = later
        ctx.persist("last_index", log.last_index)
