"""The replicated log: entries from index 1, the oldest possibly compacted away.

Indices start at 1 as in the paper; index 0 with term 0 stands for the empty
log. After a snapshot (§7) the entries up to ``snapshot_index`` are gone and
only their last term, ``snapshot_term``, is kept, so the consistency check of
AppendEntries still works at the boundary.

Two properties a reader should see in this class:

- *Up to date* (§5.4.1) compares logs by the term of their last entry first
  and by length only when those terms are equal.
- Entries are only ever appended, or cut off at the end when a leader's log
  contradicts them; the middle of a log never changes.
"""

from __future__ import annotations

from collections.abc import Iterable

Entry = tuple  # (term, command)


class RaftLog:
    """Entries ``(term, command)`` after a compacted prefix."""

    __slots__ = ("snapshot_index", "snapshot_term", "entries")

    def __init__(self, snapshot_index: int = 0, snapshot_term: int = 0,
                 entries: Iterable[Entry] = ()) -> None:
        self.snapshot_index = snapshot_index
        self.snapshot_term = snapshot_term
        self.entries: list[Entry] = list(entries)

    @property
    def last_index(self) -> int:
        return self.snapshot_index + len(self.entries)

    @property
    def last_term(self) -> int:
        return self.entries[-1][0] if self.entries else self.snapshot_term

    def term_at(self, index: int) -> int | None:
        """The term of entry ``index``; ``None`` if compacted away or beyond the end."""
        offset = index - self.snapshot_index
        if offset == 0:
            return self.snapshot_term
        if 0 < offset <= len(self.entries):
            return self.entries[offset - 1][0]
        return None

    def entry(self, index: int) -> Entry:
        offset = index - self.snapshot_index
        if not 0 < offset <= len(self.entries):
            raise IndexError(
                f"log has no entry {index} (holds {self.snapshot_index + 1}..{self.last_index})")
        return self.entries[offset - 1]

    def slice(self, first: int, last: int) -> list[Entry]:
        """Entries ``first..last`` inclusive (all must be present)."""
        base = self.snapshot_index + 1
        return self.entries[first - base: last - base + 1]

    def is_up_to_date(self, last_index: int, last_term: int) -> bool:
        """Is a log ending at ``(last_index, last_term)`` at least as up to date as this one?"""
        mine = self.last_term
        return last_term > mine or (last_term == mine and last_index >= self.last_index)

    def first_index_of_term(self, index: int) -> int:
        """Walk back from ``index`` to the first entry of the same term (for back-off hints)."""
        term = self.term_at(index)
        first = index
        while first - 1 > self.snapshot_index and self.term_at(first - 1) == term:
            first -= 1
        return first

    def last_index_of_term(self, term: int) -> int | None:
        """The last index holding ``term``, if this log has one (after the snapshot)."""
        for offset in range(len(self.entries) - 1, -1, -1):
            t = self.entries[offset][0]
            if t == term:
                return self.snapshot_index + offset + 1
            if t < term:
                return None
        return None

    def append(self, entries: Iterable[Entry]) -> None:
        self.entries.extend(entries)

    def truncate_after(self, index: int) -> None:
        """Drop every entry after ``index``."""
        del self.entries[max(0, index - self.snapshot_index):]

    def compact(self, index: int, term: int) -> None:
        """Forget entries up to ``index`` (term ``term``), keeping any after it."""
        if index <= self.last_index and self.term_at(index) == term:
            del self.entries[: index - self.snapshot_index]
        else:
            self.entries = []
        self.snapshot_index, self.snapshot_term = index, term

    def term_runs(self) -> list[tuple[int, int]]:
        """``(first_index, term)`` for each run of equal terms: a log's shape in a few numbers."""
        runs = [(self.snapshot_index, self.snapshot_term)]
        for offset, (term, _command) in enumerate(self.entries):
            if term != runs[-1][1]:
                runs.append((self.snapshot_index + offset + 1, term))
        return runs

    def __repr__(self) -> str:
        return (f"RaftLog(snapshot={self.snapshot_index}@t{self.snapshot_term}, "
                f"entries={self.entries!r})")

