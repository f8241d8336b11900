"""Raft's safety properties (Figure 3 of the paper) as code.

The paper proves five properties; each is checked here against a running
cluster, and a violation raises :class:`~ddia10.invariants.InvariantViolation`
naming the property and showing the evidence.

- **Election safety**: at most one leader per term — over the whole history,
  not only at this instant (two leaders of one term who never overlap in time
  are still a violation).
- **Leader append-only**: a leader never overwrites or deletes entries in its
  log; it only appends.
- **Log matching**: if two logs hold an entry with the same index and term,
  the logs are identical in every entry up to that index.
- **Leader completeness**: an entry committed in a term is in the log of every
  leader of every later term.
- **State machine safety**: no two servers apply different entries at one index.

Some of these are about *history* (what was ever committed, who was ever
leader), which a look at the servers now cannot see: a server that committed
an entry may since have crashed. So every server reports the facts as they
happen, with ``ctx.report``: it became leader (:class:`BecameLeader`),
advanced its commit index (:class:`Committed`), applied entries
(:class:`Applied`), cut its log (:class:`Truncated`). A fact carries all the
monitor needs, so the monitor never reads a server to judge one. The
:class:`RaftMonitor` belongs to the harness
(:class:`~ddia10.raft.cluster.RaftCluster`), which hands it the facts through
the world's observer hook; a server never holds or reads it. The facts are
recorded as they arrive; the checks run when the harness asks (after every
event with ``check_every_event=True``), so the protocol never checks itself.
"""

from __future__ import annotations

import bisect
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from ..invariants import InvariantViolation

ELECTION_SAFETY = "election safety"
LEADER_APPEND_ONLY = "leader append-only"
LOG_MATCHING = "log matching"
LEADER_COMPLETENESS = "leader completeness"
STATE_MACHINE_SAFETY = "state machine safety"
INVARIANTS = (ELECTION_SAFETY, LEADER_APPEND_ONLY, LOG_MATCHING, LEADER_COMPLETENESS,
              STATE_MACHINE_SAFETY)


# ---------------------------------------------------------------------- facts
@dataclass(frozen=True)
class BecameLeader:
    """``server`` won the election of ``term``. Its log then ended at
    ``last_index``, in runs of equal terms: ``log_runs`` holds ``(first index,
    term)`` per run, the first being the snapshot's ``(index, term)``."""

    server: Hashable
    term: int
    log_runs: tuple[tuple[int, int], ...]
    last_index: int


@dataclass(frozen=True)
class Committed:
    """``server``, in its ``term``, advanced its commit index over the entries
    ``first, first + 1, ...``, whose terms are ``terms``."""

    server: Hashable
    term: int
    first: int
    terms: tuple[int, ...]


@dataclass(frozen=True)
class Applied:
    """``server`` applied ``entries``, ``(index, term, command)`` each, in order."""

    server: Hashable
    entries: tuple[tuple[int, int, Any], ...]


@dataclass(frozen=True)
class Truncated:
    """``server`` (``role`` in ``term``, following ``leader``) cut its log
    after ``index`` while its commit index was ``commit_index``."""

    server: Hashable
    term: int
    role: str
    leader: Hashable | None
    index: int
    commit_index: int


RAFT_FACTS = (BecameLeader, Committed, Applied, Truncated)


# ---------------------------------------------------------------------- the monitor
class _LeaderLog:
    """The shape of a log when its owner became leader: enough to answer
    "did it hold entry (index, term)?" without copying the log."""

    __slots__ = ("pid", "snapshot_index", "last_index", "starts", "terms")

    def __init__(self, fact: BecameLeader) -> None:
        self.pid = fact.server
        self.snapshot_index = fact.log_runs[0][0]
        self.last_index = fact.last_index
        self.starts = [start for start, _term in fact.log_runs]
        self.terms = [term for _start, term in fact.log_runs]

    def holds(self, index: int, term: int) -> bool:
        if index > self.last_index:
            return False
        if index < self.snapshot_index:
            return True  # compacted: only committed entries are ever compacted
        return self.terms[bisect.bisect_right(self.starts, index) - 1] == term


class RaftMonitor:
    """Hears every server's facts and checks the five properties.

    ``leaders``, ``committed`` and ``applied`` are the history heard so far
    (who led each term; each committed index with its entry's term and the
    term it was first known committed in; what was applied at each index);
    ``violations`` lists what failed, in the order found.
    """

    def __init__(self) -> None:
        self.leaders: dict[int, list[Hashable]] = {}  # term -> who became its leader
        self.leader_logs: dict[int, _LeaderLog] = {}  # term -> its first leader's log then
        self.committed: dict[int, tuple[int, int]] = {}  # index -> (entry term, term committed in)
        self.applied: dict[int, tuple[int, Any, Hashable]] = {}  # index -> (term, command, by)
        self.leader_tails: dict[tuple[Hashable, int], tuple[int, int]] = {}
        self.violations: list[InvariantViolation] = []

    # ---------------------------------------------------------------- facts from servers
    def hear(self, fact: Any) -> None:
        """Record one fact a server reported (the world's observer hook)."""
        if isinstance(fact, Committed):
            self._committed(fact)
        elif isinstance(fact, Applied):
            self._applied(fact)
        elif isinstance(fact, BecameLeader):
            self._became_leader(fact)
        elif isinstance(fact, Truncated):
            self._truncated(fact)
        else:
            raise ValueError(f"not a Raft fact: {fact!r}; expected one of "
                             f"{[f.__name__ for f in RAFT_FACTS]}")

    def _became_leader(self, fact: BecameLeader) -> None:
        term = fact.term
        others = self.leaders.setdefault(term, [])
        if others and fact.server not in others:
            self._violate(ELECTION_SAFETY, f"servers {others[0]!r} and {fact.server!r} were "
                                           f"both elected leader of term {term}")
        others.append(fact.server)
        shape = _LeaderLog(fact)
        self.leader_logs.setdefault(term, shape)
        for index, (entry_term, commit_term) in self.committed.items():
            if commit_term < term and not shape.holds(index, entry_term):
                self._violate(LEADER_COMPLETENESS,
                              _missing(index, entry_term, commit_term, shape, term))
                break

    def _committed(self, fact: Committed) -> None:
        term = fact.term
        later = [(t, shape) for t, shape in self.leader_logs.items() if t > term]
        for index, entry_term in enumerate(fact.terms, fact.first):
            known = self.committed.get(index)
            if known is None:
                self.committed[index] = (entry_term, term)
                for leader_term, shape in later:
                    if not shape.holds(index, entry_term):
                        self._violate(LEADER_COMPLETENESS,
                                      _missing(index, entry_term, term, shape, leader_term))
            elif known[0] != entry_term:
                self._violate(STATE_MACHINE_SAFETY,
                              f"index {index} committed with term {known[0]}, and later on server "
                              f"{fact.server!r} with term {entry_term}")
            elif term < known[1]:
                self.committed[index] = (entry_term, term)

    def _applied(self, fact: Applied) -> None:
        applied = self.applied
        for index, term, command in fact.entries:
            first = applied.get(index)
            if first is None:
                applied[index] = (term, command, fact.server)
            elif (first[0], first[1]) != (term, command):
                self._violate(STATE_MACHINE_SAFETY,
                              f"server {first[2]!r} applied (term {first[0]}, {first[1]!r}) at "
                              f"index {index}, server {fact.server!r} applied (term {term}, "
                              f"{command!r})")

    def _truncated(self, fact: Truncated) -> None:
        if fact.index < fact.commit_index:  # only a broken protocol gets here (the bug switches)
            self._violate(LEADER_COMPLETENESS,
                          f"leader {fact.leader!r} of term {fact.term} overwrites entry "
                          f"{fact.index + 1}, committed on server {fact.server!r} "
                          f"(commit index {fact.commit_index})")
        if fact.role == "leader":
            self._violate(LEADER_APPEND_ONLY,
                          f"leader {fact.server!r} of term {fact.term} cut its log after "
                          f"{fact.index}")

    # ---------------------------------------------------------------- checks of the present
    def observe(self, nodes: dict) -> None:
        """Look at the running servers now: leaders only grew their logs, logs match."""
        for pid, node in nodes.items():
            if node.role != "leader":
                continue
            key = (pid, node.term)
            log = node.log
            seen = self.leader_tails.get(key)
            if seen is not None:
                index, term = seen
                if log.last_index < index or (
                    index > log.snapshot_index and log.term_at(index) != term
                ):
                    self._violate(LEADER_APPEND_ONLY,
                                  f"leader {pid!r} of term {node.term} had entry {index} of term "
                                  f"{term}; now its log ends at {log.last_index} with "
                                  f"term {log.term_at(index)} there")
            self.leader_tails[key] = (log.last_index, log.last_term)
        self._check_log_matching(nodes)

    def _check_log_matching(self, nodes: dict) -> None:
        logs = [(pid, node.log) for pid, node in nodes.items()]
        for i, (pid_a, a) in enumerate(logs):
            for pid_b, b in logs[i + 1:]:
                lo = max(a.snapshot_index, b.snapshot_index) + 1
                hi = min(a.last_index, b.last_index)
                k = hi
                while k >= lo and a.term_at(k) != b.term_at(k):
                    k -= 1
                if k < lo or a.slice(lo, k) == b.slice(lo, k):
                    continue
                first = next(j for j in range(lo, k + 1) if a.entry(j) != b.entry(j))
                self._violate(LOG_MATCHING,
                              f"servers {pid_a!r} and {pid_b!r} agree on entry {k} "
                              f"(term {a.term_at(k)}) but differ at index {first}: "
                              f"{a.entry(first)!r} vs {b.entry(first)!r}")

    def check(self, nodes: dict) -> None:
        """Raise the first violation seen so far, after a look at ``nodes`` now."""
        if not self.violations:
            self.observe(nodes)
        if self.violations:
            raise self.violations[0]

    def _violate(self, invariant: str, evidence: str) -> None:
        self.violations.append(InvariantViolation(invariant, evidence))

    def fingerprint(self) -> tuple:
        """The history heard so far as plain values, for the harness's fingerprint
        (see :meth:`~ddia10.raft.cluster.RaftCluster.fingerprint`)."""
        shapes = {term: (s.pid, s.snapshot_index, s.last_index, s.starts, s.terms)
                  for term, s in self.leader_logs.items()}
        return (self.leaders, shapes, self.committed, self.applied, self.leader_tails,
                [str(v) for v in self.violations])


def _missing(index: int, entry_term: int, commit_term: int, shape: _LeaderLog, term: int) -> str:
    return (f"entry {index} (term {entry_term}) was committed in term {commit_term}, but server "
            f"{shape.pid!r} became leader of term {term} without it")

