"""What EPaxos replicas say to each other, and what an instance holds.

Every command gets an *instance* ``(leader, number)``: the replica that received
it and that replica's next number. Replicas agree, per instance, on the command
and its two *attributes*: ``deps``, the instances of interfering commands it must
be ordered against, and ``seq``, a number that breaks ties inside a cycle of
dependencies.

- :class:`PreAccept` / :class:`PreAcceptReply` — phase 1: the leader proposes the
  attributes it knows; each replica adds the interfering instances it knows and
  says whether it changed anything.
- :class:`AcceptAttributes` / :class:`AcceptAttributesReply` — the slow path:
  Paxos's accept phase on the merged attributes, to a majority.
- :class:`CommitInstance` — the attributes are decided.
- :class:`ExplicitPrepare` / :class:`ExplicitPrepareReply` — recovery: another
  replica takes a higher ballot for the instance and learns what each replica
  has, to finish it (or to commit a no-op in its place).
- :class:`InstanceDigest` — now and then a replica tells one other the highest
  instance it knows of each leader; the other sends the commits it lacks and
  recovers the instances it has never heard of (a replica that was down or
  cut off while a command was decided has no other way to learn of it).

A *ballot* is ``(round, replica)``; the leader's first ballot for its instance
is ``(0, leader)``, and the fast path exists only in that ballot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

NONE, PREACCEPTED, ACCEPTED, COMMITTED = "none", "pre-accepted", "accepted", "committed"
"""The status of an instance at a replica, in the order it can only move."""

InstanceId = tuple  # (leader, number)
Ballot = tuple  # (round, replica)


@dataclass(frozen=True)
class NoOpCommand:
    """What recovery commits in an instance whose command nobody knows: it
    interferes with nothing and changes nothing."""

    def __repr__(self) -> str:
        return "no-op"


NO_OP = NoOpCommand()


def initial_ballot(instance: InstanceId) -> Ballot:
    """The ballot an instance's own leader starts in: the only one with a fast path."""
    return (0, instance[0])


@dataclass(frozen=True)
class PreAccept:
    """Phase 1 in ``ballot``: take ``cmd`` for ``instance`` with at least these attributes."""

    ballot: Ballot
    instance: InstanceId
    cmd: Any
    seq: int
    deps: frozenset


@dataclass(frozen=True)
class PreAcceptReply:
    """``ok=False`` refuses: the replica promised ``ballot``, a higher one.
    ``unchanged`` says the replica knew no interfering command the leader
    did not (the attributes came back as proposed)."""

    ballot: Ballot
    instance: InstanceId
    ok: bool
    seq: int
    deps: frozenset
    unchanged: bool


@dataclass(frozen=True)
class AcceptAttributes:
    """The slow path in ``ballot``: accept exactly these attributes."""

    ballot: Ballot
    instance: InstanceId
    cmd: Any
    seq: int
    deps: frozenset


@dataclass(frozen=True)
class AcceptAttributesReply:
    """``ok``: accepted; otherwise the replica promised ``ballot``, a higher one."""

    ballot: Ballot
    instance: InstanceId
    ok: bool


@dataclass(frozen=True)
class CommitInstance:
    """``instance`` is decided: ``cmd`` with these attributes."""

    instance: InstanceId
    cmd: Any
    seq: int
    deps: frozenset


@dataclass(frozen=True)
class ExplicitPrepare:
    """Recovery: promise ``ballot`` for ``instance`` and say what you hold."""

    ballot: Ballot
    instance: InstanceId


@dataclass(frozen=True)
class ExplicitPrepareReply:
    """What the replica holds for the instance: its ``status``, command and
    attributes, the ballot they were recorded in (``vballot``) and whether it
    pre-accepted them unchanged. ``ok=False``: it promised ``ballot``, higher."""

    ballot: Ballot
    instance: InstanceId
    ok: bool
    status: str
    cmd: Any
    seq: int
    deps: frozenset
    vballot: Ballot
    unchanged: bool


@dataclass(frozen=True)
class InstanceDigest:
    """The highest instance number the sender knows, per leader (as pairs)."""

    highest: tuple
