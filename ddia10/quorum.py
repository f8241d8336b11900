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
from itertools import combinations
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


# ---------------------------------------------------------------------- quorum systems
@dataclass(frozen=True)
class QuorumSystem:
    """Which sets of voters decide each phase, given as lists of quorums.

    Paxos and Raft use majorities for both phases, but safety needs less.
    Flexible Paxos (Howard, Malkhi and Spiegelman, 2016) observed that only
    one thing matters: every *phase-1* quorum (the voters a new leader or
    proposer hears from before it proposes: Raft's election, Paxos' promises)
    must share a voter with every *phase-2* quorum (the voters that accept a
    value: Raft's replication, Paxos' accepts). Two phase-2 quorums need not
    intersect. So a system can make its frequent phase small (fast commits)
    and its rare phase large (slow leader changes). :meth:`disjoint_pair`
    checks the condition for any system, quorum by quorum.
    """

    voters: frozenset
    phase1: tuple[frozenset, ...]
    phase2: tuple[frozenset, ...]

    def __init__(self, voters: Iterable[Hashable], phase1: Iterable[Iterable[Hashable]],
                 phase2: Iterable[Iterable[Hashable]]) -> None:
        voters = frozenset(voters)
        if not voters:
            raise ValueError("a quorum system needs at least one voter")
        for name, quorums in (("phase1", phase1), ("phase2", phase2)):
            sets = tuple(frozenset(q) for q in quorums)
            if not sets:
                raise ValueError(f"{name} needs at least one quorum")
            for q in sets:
                if not q or not q <= voters:
                    raise ValueError(f"a {name} quorum must be a non-empty set of voters, "
                                     f"got {sorted(q, key=repr)}")
            object.__setattr__(self, name, sets)
        object.__setattr__(self, "voters", voters)

    @classmethod
    def of_sizes(cls, n: int, q1: int, q2: int) -> QuorumSystem:
        """Every set of ``q1`` of ``n`` voters decides phase 1, every set of ``q2`` phase 2."""
        check_int("cluster size", n, min=1)
        check_int("phase-1 quorum size", q1, min=1, max=n)
        check_int("phase-2 quorum size", q2, min=1, max=n)
        voters = range(1, n + 1)
        return cls(voters, combinations(voters, q1), combinations(voters, q2))

    @classmethod
    def grid(cls, rows: int, columns: int) -> QuorumSystem:
        """Voters on a ``rows`` x ``columns`` grid: a whole column decides phase 1
        and a whole row decides phase 2; every row crosses every column once."""
        check_int("rows", rows, min=1)
        check_int("columns", columns, min=1)
        cells = [[(r, c) for c in range(columns)] for r in range(rows)]
        return cls([cell for row in cells for cell in row],
                   [[cells[r][c] for r in range(rows)] for c in range(columns)], cells)

    def disjoint_pair(self) -> tuple[frozenset, frozenset] | None:
        """A phase-1 quorum and a phase-2 quorum that share no voter (the system
        is unsafe: two values could be chosen), or ``None`` if every pair meets."""
        for a in self.phase1:
            for b in self.phase2:
                if not a & b:
                    return a, b
        return None

    def safe(self) -> bool:
        """Does every phase-1 quorum meet every phase-2 quorum?"""
        return self.disjoint_pair() is None

    def decides(self, phase: int, voters: Iterable[Hashable]) -> bool:
        """Do ``voters`` include a quorum of ``phase`` (1 or 2)?"""
        check_int("phase", phase, min=1, max=2)
        present = frozenset(voters)
        return any(q <= present for q in (self.phase1 if phase == 1 else self.phase2))

    def survives(self, down: Iterable[Hashable]) -> tuple[bool, bool]:
        """With ``down`` crashed, can phase 1 still be decided, and phase 2?"""
        alive = self.voters - frozenset(down)
        return self.decides(1, alive), self.decides(2, alive)
