"""Paxos's safety properties as code: the monitor a harness feeds.

A value is *chosen* in a slot once a majority of acceptors has accepted it in
the same ballot, whether or not anyone has noticed yet. Acceptors move on to
higher ballots and forget what they accepted before, so "chosen" is a fact
about the history, not about the current state: the monitor hears every vote
as it is cast (:class:`Voted`), and keeps them.

The properties it checks, for every slot (single-decree Paxos has one):

- **at most one value chosen**;
- **a chosen value was proposed** (by a client, or as a new leader's no-op);
- **no learner learns two values**, and a learner learns only a chosen value;
- for a log, **applied in slot order**: a server's applied log holds the
  chosen value of slot 1, then of slot 2, and so on, none skipped
  (:meth:`PaxosMonitor.check_applied`, given the servers' logs).

Everything the monitor knows is in four frozensets, so a snapshot of it is a
tuple of references and its fingerprint is their hash. A violation, once
heard, stays: checking at the end of a run judges every event of it.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from ..invariants import InvariantViolation
from .messages import NOOP

AT_MOST_ONE_CHOSEN = "at most one value chosen"
CHOSEN_WAS_PROPOSED = "a chosen value was proposed"
LEARNERS_AGREE = "no learner learns two values"
LEARNED_WAS_CHOSEN = "a learned value was chosen"
APPLIED_IN_ORDER = "the log is applied in slot order"


@dataclass(frozen=True)
class Proposed:
    """A client asked for ``value`` to be chosen."""

    value: Any


@dataclass(frozen=True)
class Voted:
    """``acceptor`` accepted ``value`` in ``ballot`` for ``slot``."""

    acceptor: Hashable
    ballot: int
    value: Any
    slot: int = 0


@dataclass(frozen=True)
class Learned:
    """``learner`` learned that ``value`` is chosen in ``slot``."""

    learner: Hashable
    value: Any
    slot: int = 0


class PaxosMonitor:
    """Hears proposals, votes and learnings; :meth:`check` raises on the first
    property broken. ``quorum`` is how many acceptors make a majority."""

    def __init__(self, quorum: int) -> None:
        if isinstance(quorum, bool) or not isinstance(quorum, int) or quorum < 1:
            raise ValueError(f"quorum must be an int >= 1, got {quorum!r}")
        self.quorum = quorum
        self.proposed: frozenset = frozenset({NOOP})
        self.votes: frozenset = frozenset()  # (slot, ballot, value, acceptor)
        self.chosen: frozenset = frozenset()  # (slot, ballot, value)
        self.learned: frozenset = frozenset()  # (learner, slot, value)
        self._passed: tuple = ()  # the last state() that check() found sound

    def hear(self, fact: Any) -> None:
        """Take in one fact (:class:`Proposed`, :class:`Voted` or :class:`Learned`)."""
        if isinstance(fact, Voted):
            vote = (fact.slot, fact.ballot, fact.value, fact.acceptor)
            if vote in self.votes:
                return
            self.votes |= {vote}
            key = vote[:3]
            voters = sum(1 for v in self.votes if v[:3] == key)
            if voters >= self.quorum:
                self.chosen |= {(fact.slot, fact.ballot, fact.value)}
        elif isinstance(fact, Learned):
            self.learned |= {(fact.learner, fact.slot, fact.value)}
        elif isinstance(fact, Proposed):
            self.proposed |= {fact.value}
        else:
            raise ValueError(f"a Paxos monitor hears Proposed, Voted or Learned, got {fact!r}")

    def chosen_values(self, slot: int = 0) -> set:
        """Every value chosen in ``slot`` (more than one only if safety broke)."""
        return {v for s, _b, v in self.chosen if s == slot}

    def check(self) -> None:
        """Raise :class:`~ddia10.invariants.InvariantViolation` for the first broken property."""
        state = self.state()
        if self._passed and all(a is b for a, b in zip(state, self._passed, strict=True)):
            return  # nothing heard since the last check passed
        self._check()
        self._passed = state

    def _check(self) -> None:
        by_slot: dict[int, set] = {}
        for slot, ballot, value in sorted(self.chosen, key=repr):
            by_slot.setdefault(slot, set()).add(value)
            if value not in self.proposed:
                raise InvariantViolation(
                    CHOSEN_WAS_PROPOSED, f"{value!r} chosen in slot {slot}, ballot {ballot}, "
                    "but nobody proposed it")
        for slot, values in sorted(by_slot.items()):
            if len(values) > 1:
                raise InvariantViolation(
                    AT_MOST_ONE_CHOSEN, f"slot {slot} has {len(values)} values chosen: "
                    + ", ".join(self._how(slot, v) for v in sorted(values, key=repr)))
        learned: dict[tuple, set] = {}
        for learner, slot, value in sorted(self.learned, key=repr):
            learned.setdefault((learner, slot), set()).add(value)
            if value not in by_slot.get(slot, ()):
                raise InvariantViolation(
                    LEARNED_WAS_CHOSEN, f"{learner!r} learned {value!r} for slot {slot}, "
                    "which no majority accepted in one ballot")
        for (learner, slot), values in sorted(learned.items(), key=repr):
            if len(values) > 1:
                raise InvariantViolation(
                    LEARNERS_AGREE, f"{learner!r} learned {sorted(values, key=repr)} "
                    f"for slot {slot}")

    def check_applied(self, logs: dict) -> None:
        """Raise unless each log (server -> applied values) holds, at position ``i``,
        the value chosen in slot ``i + 1``."""
        chosen = {s: v for s, _b, v in self.chosen}
        for server, log in sorted(logs.items(), key=repr):
            for slot, value in enumerate(log, start=1):
                if chosen.get(slot, _NOTHING) != value:
                    raise InvariantViolation(
                        APPLIED_IN_ORDER, f"server {server!r} applied {value!r} as slot {slot}, "
                        f"where {_say(chosen.get(slot, _NOTHING))} is chosen")

    def _how(self, slot: int, value: Any) -> str:
        ballot = min(b for s, b, v in self.chosen if s == slot and v == value)
        voters = sorted((a for s, b, v, a in self.votes if (s, b, v) == (slot, ballot, value)),
                        key=repr)
        return f"{value!r} (ballot {ballot}, accepted by {', '.join(map(str, voters))})"

    def state(self) -> tuple:
        """Everything heard, as immutable values: a snapshot, and what a fingerprint hashes."""
        return self.proposed, self.votes, self.chosen, self.learned

    def restore(self, state: tuple) -> None:
        """Return to :meth:`state`."""
        self.proposed, self.votes, self.chosen, self.learned = state


_NOTHING = object()


def _say(value: Any) -> str:
    return "nothing" if value is _NOTHING else repr(value)
