"""Raft's safety properties (Figure 3 of the paper) as code.

The paper proves five properties; each is checked here against a running
cluster, and a violation raises :class:`InvariantViolation` naming the
property and showing the evidence.

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
an entry may since have crashed. So every server reports to a
:class:`SafetyMonitor` (its ``observer``) the facts as they happen — a server
became leader, advanced its commit index, applied an entry, cut its log. The
monitor belongs to the harness, not to the servers' state: the simulation's
snapshots and fingerprints leave it out. The facts are recorded; the checks
run when the harness asks (after every event with ``check_every_event=True``),
so the protocol never checks itself.
"""

from __future__ import annotations

import bisect
from collections.abc import Hashable
from typing import Any

ELECTION_SAFETY = "election safety"
LEADER_APPEND_ONLY = "leader append-only"
LOG_MATCHING = "log matching"
LEADER_COMPLETENESS = "leader completeness"
STATE_MACHINE_SAFETY = "state machine safety"
INVARIANTS = (ELECTION_SAFETY, LEADER_APPEND_ONLY, LOG_MATCHING, LEADER_COMPLETENESS,
              STATE_MACHINE_SAFETY)


class InvariantViolation(AssertionError):
    """A safety property of Raft failed: ``invariant`` names it, ``evidence`` shows how."""

    def __init__(self, invariant: str, evidence: str) -> None:
        self.invariant = invariant
        self.evidence = evidence
        super().__init__(f"{invariant} violated: {evidence}")


class _LeaderLog:
    """The shape of a log when its owner became leader: enough to answer
    "did it hold entry (index, term)?" without copying the log."""

    __slots__ = ("pid", "snapshot_index", "last_index", "starts", "terms")

    def __init__(self, pid: Hashable, log: Any) -> None:
        runs = log.term_runs()
        self.pid = pid
        self.snapshot_index = log.snapshot_index
        self.last_index = log.last_index
        self.starts = [start for start, _term in runs]
        self.terms = [term for _start, term in runs]

    def holds(self, index: int, term: int) -> bool:
        if index > self.last_index:
            return False
        if index < self.snapshot_index:
            return True  # compacted: only committed entries are ever compacted
        return self.terms[bisect.bisect_right(self.starts, index) - 1] == term


class SafetyMonitor:
    """Hears every server's safety-relevant facts and checks the five properties."""

    def __init__(self) -> None:
        self.leaders: dict[int, list[Hashable]] = {}  # term -> who became its leader
        self.leader_logs: dict[int, _LeaderLog] = {}  # term -> its first leader's log then
        self.committed: dict[int, tuple[int, int]] = {}  # index -> (entry term, term committed in)
        self.applied: dict[int, tuple[int, Any, Hashable]] = {}  # index -> (term, command, by)
        self.leader_tails: dict[tuple[Hashable, int], tuple[int, int]] = {}
        self.violations: list[InvariantViolation] = []

    # ---------------------------------------------------------------- facts from servers
    def on_leader(self, node: Any) -> None:
        """``node`` just won an election."""
        term = node.term
        others = self.leaders.setdefault(term, [])
        if others and node.pid not in others:
            self._violate(ELECTION_SAFETY, f"servers {others[0]!r} and {node.pid!r} were both "
                                           f"elected leader of term {term}")
        others.append(node.pid)
        shape = _LeaderLog(node.pid, node.log)
        self.leader_logs.setdefault(term, shape)
        for index, (entry_term, commit_term) in self.committed.items():
            if commit_term < term and not shape.holds(index, entry_term):
                self._violate(LEADER_COMPLETENESS,
                              _missing(index, entry_term, commit_term, shape, term))
                break

    def on_commit(self, node: Any, old: int, new: int) -> None:
        """``node`` advanced its commit index from ``old`` to ``new`` in its current term."""
        log, term = node.log, node.term
        later = [(t, shape) for t, shape in self.leader_logs.items() if t > term]
        for index in range(max(old + 1, log.snapshot_index + 1), new + 1):
            entry_term = log.term_at(index)
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
                              f"{node.pid!r} with term {entry_term}")
            elif term < known[1]:
                self.committed[index] = (entry_term, term)

    def on_apply(self, node: Any, index: int, term: int, command: Any) -> None:
        first = self.applied.get(index)
        if first is None:
            self.applied[index] = (term, command, node.pid)
        elif (first[0], first[1]) != (term, command):
            self._violate(STATE_MACHINE_SAFETY,
                          f"server {first[2]!r} applied (term {first[0]}, {first[1]!r}) at index "
                          f"{index}, server {node.pid!r} applied (term {term}, {command!r})")

    def on_truncate(self, node: Any, index: int) -> None:
        if node.role == "leader":
            self._violate(LEADER_APPEND_ONLY,
                          f"leader {node.pid!r} of term {node.term} cut its log after {index}")

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


def _missing(index: int, entry_term: int, commit_term: int, shape: _LeaderLog, term: int) -> str:
    return (f"entry {index} (term {entry_term}) was committed in term {commit_term}, but server "
            f"{shape.pid!r} became leader of term {term} without it")

