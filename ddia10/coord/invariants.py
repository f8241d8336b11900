"""What the coordination service and its recipes promise, as code.

The replicas, the clients and the fenced resource report facts as they happen
(``ctx.report``); the harness hands them to a :class:`CoordMonitor`, which
judges each one against everything heard before:

- **Replicas agree** (:data:`STORE_AGREEMENT`): every replica that reaches a
  revision produced the same changes for it. Raft orders the commands; this
  checks that applying them is deterministic — that nothing, a clock say, is
  decided by a replica on its own.
- **Watches are exact** (:data:`WATCH_ORDER`): what a client's watch hands its
  application is every change to the watched keys, each once, in revision
  order, from the revision it started at, across every reconnection to
  another replica; nothing skipped, repeated or reordered.
- **Fenced writes go in token order** (:data:`FENCING`): the resource never
  accepts a write whose token is older than one it accepted before; so of two
  lock holders (or two election leaders) the older can never act after the
  newer has.
- **A token names one holder** (:data:`ONE_HOLDER`): two clients never write
  with the same token.

A :class:`CoordMonitor` built with ``strict=True`` raises
:class:`~ddia10.invariants.InvariantViolation` at the first broken promise;
with ``strict=False`` it keeps the violations in a list, so a chapter can
show what a run without fencing does to the data.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from ..invariants import InvariantViolation
from .messages import WatchEvent, in_range

STORE_AGREEMENT = "replicas agree on every revision"
WATCH_ORDER = "watch delivers every change once, in order"
FENCING = "fenced writes in token order"
ONE_HOLDER = "one holder per token"
INVARIANTS = (STORE_AGREEMENT, WATCH_ORDER, FENCING, ONE_HOLDER)


# ---------------------------------------------------------------------- facts
@dataclass(frozen=True)
class StoreChanged:
    """``server``'s store reached ``revision`` with these ``events``."""

    server: Hashable
    revision: int
    events: tuple[WatchEvent, ...]


@dataclass(frozen=True)
class WatchDelivered:
    """``client`` handed its application the changes to ``key`` (or ``[key,
    range_end)``) of revisions ``after + 1 .. revision`` of its watch ``watch``
    (one number per logical watch, kept across reconnections)."""

    client: Hashable
    watch: int
    key: str
    range_end: str | None
    after: int
    revision: int
    events: tuple[WatchEvent, ...]


@dataclass(frozen=True)
class WatchStarted:
    """``client`` began watch ``watch`` after revision ``after`` (a fresh start, as
    after listing the keys or after a compaction cancelled the previous one)."""

    client: Hashable
    watch: int
    after: int


@dataclass(frozen=True)
class ResourceAccepted:
    """``resource`` accepted ``writer``'s write of ``value`` with fencing ``token``."""

    resource: Hashable
    writer: Hashable
    token: int
    value: Any


COORD_FACTS = (StoreChanged, WatchDelivered, WatchStarted, ResourceAccepted)


class CoordMonitor:
    """Hears the facts of a run and judges them (see the module docstring)."""

    def __init__(self, strict: bool = True) -> None:
        self.strict = bool(strict)
        self.changes: dict[int, tuple[Hashable, tuple[WatchEvent, ...]]] = {}
        self.watches: dict[tuple[Hashable, int], int] = {}  # (client, watch) -> delivered to
        self.accepted: dict[Hashable, list[tuple[Hashable, int]]] = {}  # resource -> writes
        self.holders: dict[int, Hashable] = {}
        self.violations: list[InvariantViolation] = []
        self.deliveries = 0  # watch parts judged

    def hear(self, fact: Any) -> None:
        if isinstance(fact, StoreChanged):
            self._store_changed(fact)
        elif isinstance(fact, WatchStarted):
            self.watches[(fact.client, fact.watch)] = fact.after
        elif isinstance(fact, WatchDelivered):
            self._delivered(fact)
        elif isinstance(fact, ResourceAccepted):
            self._accepted(fact)
        else:
            raise ValueError(f"not a fact of the coordination service: {fact!r}")

    def _store_changed(self, fact: StoreChanged) -> None:
        known = self.changes.get(fact.revision)
        if known is None:
            self.changes[fact.revision] = (fact.server, fact.events)
        elif known[1] != fact.events:
            self._violate(STORE_AGREEMENT,
                          f"revision {fact.revision} is {_show(known[1])} on server "
                          f"{known[0]!r} but {_show(fact.events)} on server {fact.server!r}")

    def _delivered(self, fact: WatchDelivered) -> None:
        name = f"client {fact.client!r}'s watch {fact.watch} of {fact.key!r}"
        last = self.watches.get((fact.client, fact.watch))
        if last is None:
            self._violate(WATCH_ORDER, f"{name} delivered before it started")
            return
        if fact.after != last:
            what = "skipped" if fact.after > last else "repeated"
            self._violate(WATCH_ORDER, f"{name} {what} revisions: it had delivered up to "
                                       f"{last}, then delivered from {fact.after + 1}")
        expected = []
        for revision in range(fact.after + 1, fact.revision + 1):
            if revision in self.changes:
                expected += [e for e in self.changes[revision][1]
                             if in_range(e.key, fact.key, fact.range_end)]
        if tuple(expected) != fact.events:
            self._violate(WATCH_ORDER, f"{name} delivered {_show(fact.events)} for revisions "
                                       f"{fact.after + 1}..{fact.revision}; the store made "
                                       f"{_show(tuple(expected))}")
        self.watches[(fact.client, fact.watch)] = fact.revision
        self.deliveries += 1

    def _accepted(self, fact: ResourceAccepted) -> None:
        owner = self.holders.setdefault(fact.token, fact.writer)
        if owner != fact.writer:
            self._violate(ONE_HOLDER, f"token {fact.token} was used by {owner!r} and by "
                                      f"{fact.writer!r}")
        writes = self.accepted.setdefault(fact.resource, [])
        newest = max((token for _writer, token in writes), default=0)
        if fact.token < newest:
            self._violate(FENCING, f"{fact.resource!r} accepted {fact.writer!r}'s write with "
                                   f"token {fact.token} after one with token {newest}")
        writes.append((fact.writer, fact.token))

    def _violate(self, invariant: str, evidence: str) -> None:
        violation = InvariantViolation(invariant, evidence)
        self.violations.append(violation)
        if self.strict:
            raise violation



def _show(events: tuple[WatchEvent, ...]) -> str:
    return "[" + ", ".join(f"{e.type} {e.key}@{e.revision}" for e in events) + "]"
