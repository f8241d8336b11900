"""ZAB's safety properties as code (Junqueira, Reed and Serafini 2011, §III).

Servers report facts as they happen (``ctx.report``) and the
:class:`ZabMonitor` of the harness judges them:

- **One leader per epoch**: at most one server ever establishes a given
  epoch (a quorum took its initial history).
- **Integrity**: a server delivers only transactions some leader broadcast.
- **Total order and agreement**: every server delivers the same transactions
  in the same order, so each server's deliveries are a prefix of one sequence
  (a server that restarts, or rebuilds its state from a leader's history,
  starts a new prefix of the same sequence); zxids increase along it, which is
  also the paper's local and global primary order.
- **Primary integrity**: before a new leader broadcasts anything, it has
  delivered every transaction of an earlier epoch that any server delivers,
  ever. This is what the synchronization phase is for.

A fact carries everything the monitor needs, so the monitor never reads a
server. Violations are recorded when heard; :meth:`ZabMonitor.check` raises
the first one.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from ..invariants import InvariantViolation
from .zxid import format_zxid

ONE_LEADER_PER_EPOCH = "one leader per epoch"
INTEGRITY = "integrity"
TOTAL_ORDER = "total order"
PRIMARY_INTEGRITY = "primary integrity"
INVARIANTS = (ONE_LEADER_PER_EPOCH, INTEGRITY, TOTAL_ORDER, PRIMARY_INTEGRITY)


@dataclass(frozen=True)
class Established:
    """``leader`` established ``epoch``: a quorum took its initial history, whose
    zxids are ``history`` (the leader has delivered all of them)."""

    leader: Hashable
    epoch: int
    history: tuple


@dataclass(frozen=True)
class LeaderProposed:
    """``leader`` of ``epoch`` proposed ``txn`` as ``zxid``."""

    leader: Hashable
    epoch: int
    zxid: int
    txn: Any


@dataclass(frozen=True)
class Delivered:
    """``server`` delivered ``txn`` (``zxid``) as the ``position``-th transaction of
    its state machine's life ``life`` (a restart or a rebuild starts a new life)."""

    server: Hashable
    life: tuple
    position: int
    zxid: int
    txn: Any


class ZabMonitor:
    """Hears what ZAB servers report and judges the properties of :data:`INVARIANTS`."""

    def __init__(self) -> None:
        self.leaders: dict[int, Hashable] = {}  # epoch -> who established it
        self.initial: dict[int, frozenset] = {}  # epoch -> zxids of its initial history
        self.broadcasting: set[int] = set()  # epochs whose leader has proposed something
        self.proposed: dict[int, Any] = {}  # zxid -> txn
        self.order: list[tuple[int, Any]] = []  # the one delivery sequence
        self.lengths: dict[tuple, int] = {}  # (server, life) -> how many it delivered
        self.violations: list[InvariantViolation] = []

    def hear(self, fact: Any) -> None:
        if isinstance(fact, Delivered):
            self._delivered(fact)
        elif isinstance(fact, LeaderProposed):
            self._broadcast(fact)
        elif isinstance(fact, Established):
            self._established(fact)

    def check(self) -> None:
        """Raise the first violation heard so far, if any."""
        if self.violations:
            raise self.violations[0]

    def fingerprint(self) -> tuple:
        return (tuple(sorted(self.leaders.items())), len(self.order), len(self.proposed),
                len(self.violations))

    # ---------------------------------------------------------------- the rules
    def _established(self, fact: Established) -> None:
        other = self.leaders.setdefault(fact.epoch, fact.leader)
        if other != fact.leader:
            self._fail(ONE_LEADER_PER_EPOCH, f"servers {other!r} and {fact.leader!r} both "
                       f"established epoch {fact.epoch}")
        self.initial[fact.epoch] = frozenset(fact.history)

    def _broadcast(self, fact: LeaderProposed) -> None:
        known = self.proposed.setdefault(fact.zxid, fact.txn)
        if known != fact.txn:
            self._fail(INTEGRITY, f"zxid {format_zxid(fact.zxid)} was proposed as {known!r} "
                       f"and as {fact.txn!r}")
        if fact.epoch not in self.broadcasting:
            self.broadcasting.add(fact.epoch)
            for zxid, txn in self.order:
                self._primary_integrity(fact.epoch, zxid, txn)

    def _delivered(self, fact: Delivered) -> None:
        where = (fact.server, fact.life)
        position = self.lengths.get(where, 0)
        self.lengths[where] = position + 1
        if self.proposed.get(fact.zxid, _NOTHING) != fact.txn:
            self._fail(INTEGRITY, f"server {fact.server!r} delivered {fact.txn!r} as "
                       f"{format_zxid(fact.zxid)}, which no leader proposed")
        if position != fact.position:
            self._fail(TOTAL_ORDER, f"server {fact.server!r} delivered its transaction "
                       f"#{fact.position} after {position} deliveries")
        if position < len(self.order):
            if self.order[position] != (fact.zxid, fact.txn):
                zxid, txn = self.order[position]
                self._fail(TOTAL_ORDER, f"server {fact.server!r} delivered {fact.txn!r} "
                           f"({format_zxid(fact.zxid)}) as transaction #{position + 1}, where "
                           f"another server delivered {txn!r} ({format_zxid(zxid)})")
            return
        if position > len(self.order):
            return  # its earlier deliveries already failed the check
        if self.order and fact.zxid <= self.order[-1][0]:
            self._fail(TOTAL_ORDER, f"{format_zxid(fact.zxid)} delivered after "
                       f"{format_zxid(self.order[-1][0])}: zxids must increase")
        self.order.append((fact.zxid, fact.txn))
        for epoch in self.broadcasting:
            self._primary_integrity(epoch, fact.zxid, fact.txn)

    def _primary_integrity(self, epoch: int, zxid: int, txn: Any) -> None:
        if zxid >> 32 < epoch and zxid not in self.initial.get(epoch, frozenset()):
            self._fail(PRIMARY_INTEGRITY, f"{txn!r} ({format_zxid(zxid)}) was delivered, but "
                       f"the leader of epoch {epoch} ({self.leaders.get(epoch)!r}) broadcast "
                       "without having delivered it")

    def _fail(self, invariant: str, evidence: str) -> None:
        self.violations.append(InvariantViolation(invariant, evidence))


_NOTHING = object()
