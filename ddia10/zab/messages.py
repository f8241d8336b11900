"""What ZAB servers say to each other, phase by phase.

**Leader election** (phase 0; ZooKeeper's *fast leader election*): a server
that is looking for a leader sends a :class:`Notification` with its vote — the
server it would have lead, and how up to date that server is — and adopts any
better vote it hears. The election only proposes a leader: what makes ZAB safe
happens in the next two phases.

**Discovery** (phase 1): each follower sends :class:`FollowerInfo` with the
last epoch it promised; the prospective leader picks an epoch above all of a
quorum's and proposes it with :class:`NewEpoch`; a follower that promises it
answers :class:`AckEpoch` with its current epoch and its whole history.

**Synchronization** (phase 2): the leader sends the history it settled on in
:class:`NewLeader`; a follower that takes it answers :class:`AckNewLeader`; once
a quorum has, :class:`UpToDate` tells them to deliver it and start serving.

**Broadcast** (phase 3): :class:`Proposal`, :class:`AckProposal` and
:class:`CommitUpTo` per transaction; :class:`Ping` keeps followers in touch and
repairs a lost commit. A follower forwards a client's write to the leader
as :class:`ForwardedWrite`; :class:`SyncRequest` and :class:`SyncReply` make a
follower's next read fresh.

A transaction is ``(zxid, txn)``; a history is a tuple of them in zxid order.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

LOOKING, FOLLOWING, LEADING = "looking", "following", "leading"
"""A server's state as ZooKeeper names it."""


@dataclass(frozen=True)
class ElectionVote:
    """Who a looking server would have lead: ``leader``, whose history ends with
    a transaction of ``epoch`` at ``zxid``. Votes compare by (epoch, zxid,
    leader id): the most up-to-date history wins, the higher id breaks ties."""

    leader: Hashable
    epoch: int
    zxid: int

    def key(self) -> tuple:
        return (self.epoch, self.zxid, _id_key(self.leader))


@dataclass(frozen=True)
class Notification:
    """A server's vote in election ``round``, and its own ``state``: a server
    that already follows or leads answers a looking one with the leader it has."""

    round: int
    vote: ElectionVote
    state: str


@dataclass(frozen=True)
class FollowerInfo:
    """Discovery: "I will follow you; the last epoch I promised is ``accepted_epoch``".
    ``join`` numbers the follower's attempts to join (its incarnation, then a
    count), so a copy of an old one, delayed or duplicated, is not taken for a
    new attempt."""

    accepted_epoch: int
    join: tuple = (0, 0)


@dataclass(frozen=True)
class NewEpoch:
    """Discovery: the prospective leader proposes ``epoch``. ``session`` numbers
    this follower's connection to the leader: the messages of the follower's
    later answers carry it, so that one left over from an earlier connection
    (ZooKeeper's TCP connection would have closed with it) is recognised."""

    epoch: int
    session: int


@dataclass(frozen=True)
class AckEpoch:
    """Discovery: the follower promised ``epoch``; its ``current_epoch`` (the last
    epoch it was synchronized in) and ``history`` let the leader find the most
    up-to-date history of a quorum. ``promised=False``: it had already promised
    this very epoch to another prospective leader, so it follows without a
    promise, which does not count towards the leader's quorum (ZooKeeper
    acknowledges such an epoch with a current epoch of -1)."""

    epoch: int
    session: int
    current_epoch: int
    history: tuple
    promised: bool = True


@dataclass(frozen=True)
class NewLeader:
    """Synchronization: the initial history of ``epoch``, which replaces the
    follower's (transactions the follower has beyond it are dropped)."""

    epoch: int
    session: int
    history: tuple


@dataclass(frozen=True)
class AckNewLeader:
    """Synchronization: the follower's history is now the leader's, up to ``zxid``."""

    epoch: int
    session: int
    zxid: int


@dataclass(frozen=True)
class UpToDate:
    """Synchronization done: deliver the initial history, up to ``zxid``, and serve."""

    epoch: int
    zxid: int


@dataclass(frozen=True)
class Proposal:
    """Broadcast: accept ``txn`` as ``zxid``; ``prev_zxid`` is the transaction before
    it, so a follower takes proposals in order, as ZooKeeper's TCP channel would."""

    epoch: int
    zxid: int
    prev_zxid: int
    txn: Any


@dataclass(frozen=True)
class AckProposal:
    """Broadcast: the follower has logged every proposal of ``epoch`` up to ``zxid``."""

    epoch: int
    session: int
    zxid: int


@dataclass(frozen=True)
class CommitUpTo:
    """Broadcast: every transaction up to ``zxid`` is committed: deliver them."""

    epoch: int
    zxid: int


@dataclass(frozen=True)
class Ping:
    """The leader is alive; ``committed`` is its last committed zxid."""

    epoch: int
    committed: int


@dataclass(frozen=True)
class PingReply:
    """The follower is alive and has logged up to ``zxid``."""

    epoch: int
    session: int
    zxid: int


@dataclass(frozen=True)
class ForwardedWrite:
    """A client's write that reached a follower, forwarded to the leader."""

    txn: Any


@dataclass(frozen=True)
class SyncRequest:
    """A follower asks the leader to flush the channel between them (``sync``)."""

    request: int


@dataclass(frozen=True)
class SyncReply:
    """Everything the leader had proposed when the sync arrived is committed, up to
    ``zxid``; a read the follower serves after delivering it is not stale."""

    request: int
    zxid: int


def _id_key(pid: Hashable) -> tuple:
    return (0, pid, "") if isinstance(pid, int) else (1, 0, str(pid))
