"""Quorum arithmetic, apart from any protocol.

Every consensus protocol in the book rests on one fact: any two majorities of
the same set of voters share at least one voter, so a decision taken by one
majority is seen by every later majority. This module holds that arithmetic
and nothing else, so Raft's commit rule, its joint-consensus membership
changes and the Flexible Paxos quorums of the last chapter all use one tested
implementation (as etcd's raft keeps its ``quorum`` package apart).

A *configuration* answers two questions: given who voted yes/no, has a
decision been won, lost, or is it still pending? And given how far each voter
has replicated a log, which index is stored by a quorum (hence committed)?
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from math import comb

from .validate import check_int, check_probability


class VoteResult(Enum):
    """The outcome of counting votes so far."""

    PENDING = "pending"
    WON = "won"
    LOST = "lost"


def majority(n: int) -> int:
    """The smallest number of voters out of ``n`` that forms a majority."""
    check_int("cluster size", n, min=1)
    return n // 2 + 1


def tolerated_failures(n: int) -> int:
    """How many of ``n`` voters may crash while a majority is still alive."""
    return n - majority(n)


def majority_available(n: int, up: float) -> float:
    """The chance that a majority of ``n`` voters is up, when each is up with
    probability ``up`` independently of the others (a binomial tail)."""
    need = majority(n)
    check_probability("the chance a voter is up", up)
    return sum(comb(n, k) * up**k * (1 - up) ** (n - k) for k in range(need, n + 1))


def majorities_can_be_disjoint(old: int, new: int, union: int) -> bool:
    """Whether a majority of an ``old`` configuration and a majority of a ``new``
    one can share no voter, when together they hold ``union`` distinct voters.
    If they can, a membership change from one to the other could elect two
    leaders in one term; it is why larger changes go through joint consensus."""
    for size in (old, new, union):
        check_int("cluster size", size, min=1)
    if union < max(old, new) or union > old + new:
        raise ValueError(
            f"{union} voters cannot be the union of configurations of {old} and {new}")
    return majority(old) + majority(new) <= union


@dataclass(frozen=True)
class MajorityConfig:
    """A set of voters deciding by simple majority."""

    voters: frozenset

    def __init__(self, voters: Iterable[Hashable]) -> None:
        object.__setattr__(self, "voters", frozenset(voters))

    def __len__(self) -> int:
        return len(self.voters)

    def vote_result(self, votes: Mapping[Hashable, bool]) -> VoteResult:
        """Count ``votes`` (voter -> granted); voters not in the map have not answered.
        An empty configuration wins every vote (it constrains nothing), which is
        what makes a joint configuration with an empty half behave as a simple one."""
        if not self.voters:
            return VoteResult.WON
        yes = sum(1 for v in self.voters if votes.get(v) is True)
        no = sum(1 for v in self.voters if votes.get(v) is False)
        need = len(self.voters) // 2 + 1
        if yes >= need:
            return VoteResult.WON
        if len(self.voters) - no < need:
            return VoteResult.LOST
        return VoteResult.PENDING

    def committed_index(self, match: Mapping[Hashable, int]) -> int:
        """The highest log index stored on a majority (missing voters count as 0).
        An empty configuration returns a huge number so it never holds a joint one back."""
        if not self.voters:
            return 2**62
        acked = sorted((match.get(v, 0) for v in self.voters), reverse=True)
        return acked[len(self.voters) // 2]


@dataclass(frozen=True)
class JointConfig:
    """Two configurations that must *both* agree: Raft's C_old,new during a
    membership change, so neither the old nor the new members can decide alone."""

    incoming: MajorityConfig
    outgoing: MajorityConfig

    @property
    def voters(self) -> frozenset:
        return self.incoming.voters | self.outgoing.voters

    def vote_result(self, votes: Mapping[Hashable, bool]) -> VoteResult:
        a = self.incoming.vote_result(votes)
        b = self.outgoing.vote_result(votes)
        if a is VoteResult.LOST or b is VoteResult.LOST:
            return VoteResult.LOST
        if a is VoteResult.WON and b is VoteResult.WON:
            return VoteResult.WON
        return VoteResult.PENDING

    def committed_index(self, match: Mapping[Hashable, int]) -> int:
        return min(self.incoming.committed_index(match), self.outgoing.committed_index(match))
