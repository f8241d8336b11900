"""The messages of two-phase commit, and the records of its write-ahead logs.

Every message is a small frozen dataclass: the simulator copies nothing, the
trace shows its fields, and a snapshot of the world shares it. Transactions
are numbered ``1, 2, ...``; a transaction's writes at one participant are a
sorted tuple of ``(row, delta)`` pairs (a transfer of 100 from row ``A`` is
``(("A", -100),)``).

=======================  ==========================  =====================================
message                  from → to                   meaning
=======================  ==========================  =====================================
``Begin``                client → coordinator        run this transaction
``PrepareToCommit``      coordinator → participant   lock, check, and promise to commit
``CommitVote``           participant → coordinator   yes (promised, logged) or no
``Decision``             coordinator → participant   the outcome: ``commit`` or ``abort``
``Ack``                  participant → coordinator   the outcome is applied and logged
``DecisionRequest``      participant → anyone        what became of this transaction?
``Result``               coordinator → client        the outcome, once it is logged
=======================  ==========================  =====================================
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

Writes = tuple[tuple[str, int], ...]
"""One participant's part of a transaction: ``(row, delta)`` pairs, sorted by row."""

COMMIT = "commit"
ABORT = "abort"
OUTCOMES = (COMMIT, ABORT)


@dataclass(frozen=True)
class Begin:
    txn: int
    writes: tuple[tuple[Hashable, Writes], ...]


@dataclass(frozen=True)
class PrepareToCommit:
    txn: int
    writes: Writes
    participants: tuple[Hashable, ...]


@dataclass(frozen=True)
class CommitVote:
    txn: int
    yes: bool


@dataclass(frozen=True)
class Decision:
    txn: int
    outcome: str


@dataclass(frozen=True)
class Ack:
    txn: int


@dataclass(frozen=True)
class DecisionRequest:
    txn: int


@dataclass(frozen=True)
class Result:
    txn: int
    outcome: str


TWOPC_MESSAGES = (Begin, PrepareToCommit, CommitVote, Decision, Ack, DecisionRequest, Result)


def txn_label(txn: int) -> str:
    """``T7``: how the views name transaction 7."""
    return f"T{txn}"
