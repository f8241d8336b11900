"""What Raft servers say to each other, and what their logs hold.

Raft needs two RPCs for its core (§5 of the paper) and a third for log
compaction (§7):

- :class:`RequestVote` — a candidate asks for a vote, showing how up to date
  its log is (``last_log_index``, ``last_log_term``). With PreVote (thesis
  §9.6) the same message, flagged ``prevote``, asks "*would* you vote for me?"
  without changing anyone's term.
- :class:`AppendEntries` — the leader's one message for three jobs: replicate
  entries (``entries``), prove the follower's log matches up to the new ones
  (``prev_log_index``/``prev_log_term``), and spread the commit index
  (``leader_commit``). Empty, it is the heartbeat.
- :class:`InstallSnapshot` — when the entries a follower needs were compacted
  away, the leader sends its state machine snapshot instead.

Every reply carries the replier's ``term`` so a stale leader or candidate
learns it is stale. Replies also echo the leader's heartbeat ``round``: a
majority of echoes of a round sent after a read request proves the leader was
still leader when it served the read (ReadIndex, thesis §6.4), and the local
time that round left the leader starts its lease.

A log entry is a plain ``(term, command)`` pair. Two kinds of command belong
to Raft itself: :data:`NOOP`, the entry a new leader appends to commit the
entries of earlier terms (§5.4.2, §8), and :class:`Configuration`, a change of
membership (§6, thesis chapter 4). What replaces a compacted log prefix is a
:class:`Snapshot` (§7).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from ..quorum import JointConfig, MajorityConfig


# ---------------------------------------------------------------------- log contents
@dataclass(frozen=True)
class NoOp:
    """The empty entry a new leader appends at once: committing an entry of its
    own term is the only way it may commit what earlier leaders left behind."""

    def __repr__(self) -> str:
        return "no-op"


NOOP = NoOp()


@dataclass(frozen=True)
class Configuration:
    """Who votes and who only listens.

    ``voters`` decide by majority; ``learners`` receive the log but neither
    vote nor count towards commitment. During joint consensus ``outgoing``
    holds the old voters (C_old) and ``voters`` the new ones (C_new): every
    election and every commit then needs a majority of *each*.
    """

    voters: frozenset
    learners: frozenset = frozenset()
    outgoing: frozenset = frozenset()

    def __post_init__(self) -> None:
        for name in ("voters", "learners", "outgoing"):
            object.__setattr__(self, name, frozenset(getattr(self, name)))
        if self.voters & self.learners:
            raise ValueError(
                f"a server cannot be both voter and learner: {sorted(self.voters & self.learners)}"
            )

    @property
    def joint(self) -> bool:
        """True while this is C_old,new of a joint-consensus change."""
        return bool(self.outgoing)

    @property
    def all_voters(self) -> frozenset:
        return self.voters | self.outgoing

    @property
    def members(self) -> frozenset:
        return self.voters | self.outgoing | self.learners

    def quorum(self):
        """The quorum rule of this configuration (joint when ``outgoing`` is set)."""
        return JointConfig(MajorityConfig(self.voters), MajorityConfig(self.outgoing))

    def __repr__(self) -> str:
        text = f"voters={sorted(self.voters)}"
        if self.learners:
            text += f", learners={sorted(self.learners)}"
        if self.outgoing:
            text += f", outgoing={sorted(self.outgoing)}"
        return f"Configuration({text})"


@dataclass(frozen=True)
class Snapshot:
    """What replaces a log prefix after compaction (§7): the state machine's
    ``state`` after applying every entry up to ``index``, that entry's
    ``term`` (for the consistency check at the boundary), and the
    configuration ``config`` in force there."""

    index: int
    term: int
    config: Configuration
    state: Any


def short(command: Any, limit: int = 24) -> str:
    """A few characters naming a command, for annotations and tables."""
    if type(command) is str and len(command) < limit - 2 and "'" not in command:
        return f"'{command}'"
    if isinstance(command, Configuration):
        text = "config " + ",".join(map(str, sorted(command.voters, key=repr)))
        if command.outgoing:
            text += " (joint)"
        return text
    # A command class that defines __str__ says how it wants to be read.
    text = str(command) if type(command).__str__ is not object.__str__ else repr(command)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------- RPCs
@dataclass(frozen=True)
class RequestVote:
    """A candidate asks for a vote in ``term`` (or, with ``prevote``, asks
    whether it would get one if it started an election in ``term``)."""

    term: int
    candidate_id: Hashable
    last_log_index: int
    last_log_term: int
    prevote: bool = False


@dataclass(frozen=True)
class RequestVoteReply:
    term: int
    vote_granted: bool
    prevote: bool = False


@dataclass(frozen=True)
class AppendEntries:
    """Replicate ``entries`` after ``prev_log_index``; empty, a heartbeat."""

    term: int
    leader_id: Hashable
    prev_log_index: int
    prev_log_term: int
    entries: tuple
    leader_commit: int
    round: int = 0


@dataclass(frozen=True)
class AppendEntriesReply:
    """``success`` with the highest index now known to match the leader's log,
    or a rejection of ``reject_index`` with a hint for a fast back-off: the
    follower's entry there has ``conflict_term`` whose first index is
    ``conflict_index`` (or, when the log is too short, ``conflict_term`` is
    ``None`` and ``conflict_index`` is one past its end)."""

    term: int
    success: bool
    match_index: int = 0
    reject_index: int = 0
    conflict_index: int = 0
    conflict_term: int | None = None
    round: int = 0


@dataclass(frozen=True)
class InstallSnapshot:
    """Replace everything up to ``last_included_index`` with a snapshot."""

    term: int
    leader_id: Hashable
    last_included_index: int
    last_included_term: int
    configuration: Configuration
    state: Any
    round: int = 0


@dataclass(frozen=True)
class InstallSnapshotReply:
    term: int
    match_index: int
    round: int = 0


RAFT_MESSAGES = (
    RequestVote, RequestVoteReply, AppendEntries, AppendEntriesReply,
    InstallSnapshot, InstallSnapshotReply,
)
