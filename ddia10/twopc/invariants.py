"""Two-phase commit's safety properties as code.

- **Atomicity**: no transaction commits at one participant and aborts at
  another, and no participant commits a transaction the coordinator did not
  decide to commit (nor aborts one it decided to commit).
- **Commit validity**: the coordinator decides to commit only once every
  participant has durably voted yes, and it never changes a decision.
- **No lost locks**: a running participant holds the locks of exactly the
  transactions it voted yes on and has not finished — a participant in doubt
  keeps them through a crash and a restart, and a finished transaction holds
  none.

Atomicity and validity are about history: a participant that committed may
have crashed since. So the processes report facts as they happen
(``ctx.report``): :class:`Prepared` when a participant's yes vote is on its
disk, :class:`Decided` when a decision is (on the coordinator's log, or, for
a replicated coordinator, applied by a replica), :class:`Finished` when a
participant has logged an outcome. The :class:`TwoPCMonitor` belongs to the
harness and judges them; the processes never check themselves. Locks are a
property of the present, checked by looking at the running participants.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from ..invariants import InvariantViolation
from .messages import ABORT, COMMIT, txn_label

ATOMICITY = "atomicity"
COMMIT_VALIDITY = "commit validity"
NO_LOST_LOCKS = "no lost locks"
INVARIANTS = (ATOMICITY, COMMIT_VALIDITY, NO_LOST_LOCKS)


@dataclass(frozen=True)
class Prepared:
    """``participant`` logged its promise to commit ``txn`` (its yes vote)."""

    participant: Hashable
    txn: int


@dataclass(frozen=True)
class Decided:
    """``by`` decided ``outcome`` for ``txn``, whose participants are ``participants``."""

    by: Hashable
    txn: int
    outcome: str
    participants: tuple[Hashable, ...]


@dataclass(frozen=True)
class Finished:
    """``participant`` logged ``outcome`` for ``txn``."""

    participant: Hashable
    txn: int
    outcome: str


TWOPC_FACTS = (Prepared, Decided, Finished)


class TwoPCMonitor:
    """Hears the facts of a two-phase commit run and checks its properties.

    ``prepared`` maps a transaction to the participants that promised it,
    ``decided`` to its decision, ``finished`` to each participant's outcome;
    ``violations`` lists what failed, in the order found.
    """

    def __init__(self) -> None:
        self.prepared: dict[int, frozenset] = {}
        self.decided: dict[int, str] = {}
        self.finished: dict[int, dict[Hashable, str]] = {}
        self.violations: list[InvariantViolation] = []

    def hear(self, fact: Any) -> None:
        """Record one reported fact (the world's observer hook). Facts of other
        protocols sharing the world (a replicated coordinator's Raft) are left
        to their own monitor."""
        if isinstance(fact, Prepared):
            self.prepared[fact.txn] = self.prepared.get(fact.txn, frozenset()) | {
                fact.participant}
        elif isinstance(fact, Decided):
            self._decided(fact)
        elif isinstance(fact, Finished):
            self._finished(fact)

    def _decided(self, fact: Decided) -> None:
        txn, name = fact.txn, txn_label(fact.txn)
        before = self.decided.get(txn)
        if before is not None and before != fact.outcome:
            self._violate(COMMIT_VALIDITY, f"{name} was decided {before}, then {fact.by!r} "
                                           f"decided {fact.outcome}")
            return
        self.decided[txn] = fact.outcome
        if fact.outcome != COMMIT:
            return
        missing = [p for p in fact.participants if p not in self.prepared.get(txn, ())]
        if missing:
            self._violate(COMMIT_VALIDITY, f"{fact.by!r} decided to commit {name} before "
                                           f"{_names(missing)} voted yes")
        aborted = _having(self.finished.get(txn, {}), ABORT)
        if aborted:
            self._violate(ATOMICITY, f"{fact.by!r} decided to commit {name}, which "
                                     f"{_names(aborted)} had aborted")

    def _finished(self, fact: Finished) -> None:
        txn, who, name = fact.txn, fact.participant, txn_label(fact.txn)
        outcomes = self.finished.setdefault(txn, {})
        outcomes[who] = fact.outcome
        decided = self.decided.get(txn)
        if fact.outcome == COMMIT:
            if decided != COMMIT:
                self._violate(ATOMICITY, f"{who!r} committed {name}, which the coordinator "
                                         + ("had not decided" if decided is None
                                            else f"decided to {decided}"))
            others = _having(outcomes, ABORT)
        else:
            if decided == COMMIT:
                self._violate(ATOMICITY, f"{who!r} aborted {name}, which the coordinator "
                                         "decided to commit")
            others = _having(outcomes, COMMIT)
        if others:
            self._violate(ATOMICITY, f"{who!r} {_past(fact.outcome)} {name}, which "
                                     f"{_names(others)} {_past(outcomes[others[0]])}")

    def observe(self, participants: Mapping[Hashable, Any]) -> None:
        """Look at the running participants now: each holds the locks of exactly
        its transactions that voted yes and are not finished."""
        for pid, node in participants.items():
            expected = {row: txn for txn, t in node.txns.items() if t.holds_locks
                        for row, _delta in t.writes}
            if node.locks != expected:
                self._violate(NO_LOST_LOCKS, f"{pid!r} holds locks {_locks(node.locks)} but "
                                             f"its prepared transactions need "
                                             f"{_locks(expected)}")

    def check(self, participants: Mapping[Hashable, Any]) -> None:
        """Raise the first violation found so far, after a look at ``participants``."""
        if not self.violations:
            self.observe(participants)
        if self.violations:
            raise self.violations[0]

    def fingerprint(self) -> Any:
        """The history heard, for a harness's fingerprint."""
        return (self.prepared, self.decided, self.finished, len(self.violations))

    def _violate(self, invariant: str, evidence: str) -> None:
        self.violations.append(InvariantViolation(invariant, evidence))


def _having(outcomes: Mapping[Hashable, str], outcome: str) -> list:
    return sorted((p for p, o in outcomes.items() if o == outcome), key=repr)


def _names(pids: list) -> str:
    return ", ".join(repr(p) for p in pids)


def _past(outcome: str) -> str:
    return "committed" if outcome == COMMIT else "aborted"


def _locks(locks: Mapping[str, int]) -> str:
    return "{" + ", ".join(f"{row}: {txn_label(t)}" for row, t in sorted(locks.items())) + "}"
