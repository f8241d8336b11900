"""Registers whose writes all write distinct values: decided without search.

Gibbons and Korach (1997) showed that when every read can be matched to the one
write it read from, linearizability of a read/write register is decidable in
O(n log n). Group each write with the reads that returned its value: a
*cluster*. Let ``f`` be the earliest return and ``s`` the latest call among
the cluster's operations.

- If ``f < s``, the value must survive from ``f`` to ``s``: some operation of
  the cluster has returned by ``f``, so the write has taken effect, and the
  read called at ``s`` has yet to see it. That open interval is a *forward
  zone*; no other write may take effect inside it.
- If ``s <= f``, the whole cluster can take effect at one moment in
  ``[s, f]``: a *backward zone*.

The history is linearizable iff no two forward zones overlap and no backward
zone lies inside a forward zone. The initial value is a cluster whose write
comes before everything. Here the candidates of :mod:`.registers` do the
matching: a read with no candidate fails at once.

Pending writes: one that nobody read may never have happened and is left out
(by :func:`.registers.analyse`); one whose value was read happened, at some
moment after its call, so it is a write that never returns. Failed writes never
happened: a read of their value has no candidate.

When the history is linearizable the zones also give the witness: each forward
cluster's write takes effect at ``f`` and its reads at their call (or ``f``),
each backward cluster at one moment of ``[s, f]`` outside every forward zone.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from .history import READS, Operation
from .registers import INIT, RegisterFacts


def distinct_values(facts: RegisterFacts, init: Hashable) -> bool:
    """True for blind writes only, no two writing the same value and none the initial one."""
    if not all(facts.blind[i] for i, op in enumerate(facts.ops) if facts.changes[i]):
        return False
    values = [op.value for op in facts.ops if op.kind not in READS]
    return len(set(values)) == len(values) and init not in values


@dataclass(frozen=True)
class Zone:
    """A cluster's span: ``f`` (earliest return) and ``s`` (latest call), with who set them."""

    write: Operation | None  # None for the initial value
    reads: tuple[Operation, ...]
    f: float
    s: float
    returned_first: Operation | None
    called_last: Operation

    @property
    def forward(self) -> bool:
        return self.f < self.s

    @property
    def ops(self) -> tuple[Operation, ...]:
        return ((self.write,) if self.write is not None else ()) + self.reads

    def witnesses(self) -> tuple[Operation, ...]:
        """The operations that fix the zone: its write and the ops at its two ends."""
        picked = [self.write, self.returned_first, self.called_last]
        seen: list[Operation] = []
        for op in picked:
            if op is not None and op not in seen:
                seen.append(op)
        return tuple(seen)


@dataclass(frozen=True)
class ZoneVerdict:
    """``ok``; for a linearizable history the ``order`` (op, moment) pairs; otherwise the
    ``witness`` operations of the conflict and a sentence ``reason``."""

    ok: bool
    order: tuple[tuple[Operation, float], ...] = ()
    witness: tuple[Operation, ...] = ()
    reason: str = ""


def decide(facts: RegisterFacts, init: Any) -> ZoneVerdict:
    """Decide a distinct-value register history (see the module doc)."""
    if facts.orphans:
        r = min(facts.orphans, key=lambda o: (o.call, o.id))
        return ZoneVerdict(False, witness=(r,), reason=f"{r.describe(24)} returned a value "
                           "that no write can have supplied")
    zones = _zones(facts)
    forward = sorted((z for z in zones if z.forward), key=lambda z: (z.f, z.s))
    conflicts = []
    for a, b in zip(forward, forward[1:], strict=False):
        if b.f < a.s:
            conflicts.append((min(a.s, b.s), a, b))
            break
    starts = [z.f for z in forward]
    for d in sorted((z for z in zones if not z.forward), key=lambda z: (z.s, z.f)):
        k = bisect.bisect_left(starts, d.s) - 1
        if k >= 0 and d.f < forward[k].s:
            conflicts.append((d.f, forward[k], d))
            break
    if conflicts:
        _, a, b = min(conflicts, key=lambda c: c[0])
        return ZoneVerdict(False, witness=_merge(a.witnesses(), b.witnesses()),
                           reason=_conflict_reason(a, b))
    return ZoneVerdict(True, order=_order(zones, forward))


def _zones(facts: RegisterFacts) -> list[Zone]:
    readers = facts.readers()
    clusters: list[tuple[Operation | None, list[Operation]]] = []
    if INIT in readers:
        clusters.append((None, [facts.ops[i] for i in readers[INIT]]))
    for i, op in enumerate(facts.ops):
        if op.kind not in READS:
            clusters.append((op, [facts.ops[j] for j in readers.get(i, [])]))
    zones = []
    for write, reads in clusters:
        members = ([write] if write is not None else []) + reads
        called_last = max(members, key=lambda o: (o.call, -o.id))
        if write is None:
            f, returned_first = -math.inf, None
        else:
            returned_first = min(members, key=lambda o: (o.end, o.id))
            f = returned_first.end
        zones.append(Zone(write, tuple(reads), f, called_last.call, returned_first, called_last))
    return zones


def _merge(a: tuple, b: tuple) -> tuple[Operation, ...]:
    return tuple(sorted(set(a) | set(b), key=lambda o: (o.call, o.id)))


def _what(z: Zone) -> str:
    return "the initial value" if z.write is None else f"the value {z.write.value!r} " \
        f"written by {z.write.describe(24)}"


def _span(z: Zone) -> str:
    start = "the start" if z.write is None else \
        f"{z.f:g} (when {z.returned_first.describe(24)} returned)"
    return f"from {start} until {z.s:g} (when {z.called_last.describe(24)} was called)"


def _conflict_reason(a: Zone, b: Zone) -> str:
    if b.forward:
        return (f"{_what(a)} must survive {_span(a)}, and {_what(b)} {_span(b)}: the two "
                "spans overlap, so one of them is overwritten while it must still be read")
    who = b.write.describe(24) if not b.reads else \
        f"{b.write.describe(24)} and the reads of its value"
    return (f"{_what(a)} must survive {_span(a)}, but {who} must take effect between "
            f"{b.s:g} and {b.f:g}, inside that span")


def _order(zones: list[Zone], forward: list[Zone]) -> tuple[tuple[Operation, float], ...]:
    """Moments for every operation of a linearizable distinct-value history, in effect order."""
    starts = [z.f for z in forward]
    keyed = []
    for rank, z in enumerate(zones):
        if z.forward:
            if z.write is not None:
                keyed.append(((z.f, 2, rank, 0), z.write, z.f))
            for r in z.reads:
                moment = max(r.call, z.f)
                keyed.append(((moment, 2 if moment == z.f else 0, rank, 1), r, moment))
            continue
        moment = z.s
        k = bisect.bisect_left(starts, z.s) - 1
        if k >= 0 and z.s < forward[k].s:  # inside a forward zone: wait for its end
            moment = forward[k].s
        for role, op in enumerate(z.ops):
            keyed.append(((moment, 1, rank, min(role, 1)), op, moment))
    keyed.sort(key=lambda item: item[0])
    return tuple((op, moment) for _, op, moment in keyed)
