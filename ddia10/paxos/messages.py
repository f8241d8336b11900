"""What Paxos processes say to each other.

Single-decree Paxos needs four messages, two per phase, and one courtesy:

- :class:`Prepare` (phase 1a) — a proposer asks the acceptors to promise to
  ignore every ballot lower than ``ballot``.
- :class:`Promise` (phase 1b) — an acceptor makes that promise and reports
  the ballot and value it last accepted, if any (``accepted_ballot`` 0: none).
- :class:`Accept` (phase 2a) — the proposer asks the acceptors to accept
  ``value`` in ``ballot``.
- :class:`Accepted` (phase 2b) — an acceptor did, and tells every learner.
- :class:`Rejected` — an acceptor refuses a Prepare or an Accept because it
  promised a higher ballot (``promised``). Paxos is safe without it; it only
  saves the proposer a timeout (Lamport, *Paxos Made Simple*, §2.2).

Multi-Paxos runs phase 1 once for every slot of a log and phase 2 per slot,
so its messages carry slots:

- :class:`PrepareFrom` / :class:`PromiseFrom` — phase 1 for every slot from
  ``slot`` on; the promise lists what the acceptor accepted in those slots.
- :class:`AcceptSlot` / :class:`AcceptedSlot` — phase 2 for one slot. The
  leader's Accept also carries how far the log is chosen (``chosen``), so
  followers learn decisions without a message of their own, as Raft's
  ``leader_commit`` does.
- :class:`LeaderHeartbeat` — an idle leader's ``AcceptSlot`` with no slot: it keeps
  followers from starting elections and carries ``chosen`` too.
- :class:`CatchUp` / :class:`Chosen` — a follower that missed slots asks for
  the chosen values after ``applied``, and the leader sends them.

Ballots are plain ints. With ``n`` proposers, proposer ``i`` (1-based) owns
the ballots ``i, i + n, i + 2n, ...``: no two proposers ever use the same
ballot, which is all Paxos asks of ballot numbers (:func:`next_ballot`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def next_ballot(index: int, proposers: int, above: int) -> int:
    """The smallest ballot owned by proposer ``index`` (of ``proposers``) that is
    greater than ``above``: ballots ``index + k * proposers`` for k = 0, 1, ..."""
    if above < index:
        return index
    k = (above - index) // proposers + 1
    return index + k * proposers


def ballot_owner(ballot: int, proposers: int) -> int:
    """The 1-based index of the proposer that owns ``ballot``."""
    return (ballot - 1) % proposers + 1


@dataclass(frozen=True)
class Prepare:
    """Phase 1a: "promise to ignore ballots below ``ballot``"."""

    ballot: int


@dataclass(frozen=True)
class Promise:
    """Phase 1b: the promise, with the last ballot and value accepted (0, None: none)."""

    ballot: int
    accepted_ballot: int = 0
    accepted_value: Any = None


@dataclass(frozen=True)
class Accept:
    """Phase 2a: "accept ``value`` in ``ballot``"."""

    ballot: int
    value: Any


@dataclass(frozen=True)
class Accepted:
    """Phase 2b: the acceptor accepted ``value`` in ``ballot`` (sent to learners)."""

    ballot: int
    value: Any


@dataclass(frozen=True)
class Rejected:
    """The acceptor refused ``ballot``: it has promised ``promised``, which is higher."""

    ballot: int
    promised: int


@dataclass(frozen=True)
class NoOpValue:
    """The value a new Multi-Paxos leader proposes for a slot nobody accepted
    anything in, so the log has no hole below the slots it fills next."""

    def __repr__(self) -> str:
        return "no-op"


NOOP = NoOpValue()


@dataclass(frozen=True)
class PrepareFrom:
    """Multi-Paxos phase 1a for every slot from ``slot`` on."""

    ballot: int
    slot: int


@dataclass(frozen=True)
class PromiseFrom:
    """Multi-Paxos phase 1b: ``accepted`` holds ``(slot, ballot, value)`` for each
    slot from ``slot`` on in which the acceptor accepted something."""

    ballot: int
    slot: int
    accepted: tuple = ()


@dataclass(frozen=True)
class AcceptSlot:
    """Multi-Paxos phase 2a for one slot; every slot up to ``chosen`` is chosen."""

    ballot: int
    slot: int
    value: Any
    chosen: int = 0


@dataclass(frozen=True)
class AcceptedSlot:
    """Multi-Paxos phase 2b for one slot, sent to the leader that asked."""

    ballot: int
    slot: int


@dataclass(frozen=True)
class CatchUp:
    """A follower of ``ballot`` knows the log only up to ``applied``: send me the rest."""

    ballot: int
    applied: int


@dataclass(frozen=True)
class Chosen:
    """Chosen values a follower lacks: ``entries`` holds ``(slot, value)`` pairs."""

    entries: tuple


@dataclass(frozen=True)
class LeaderHeartbeat:
    """An idle leader is alive, leads ``ballot``, and every slot up to ``chosen`` is chosen."""

    ballot: int
    chosen: int = 0
