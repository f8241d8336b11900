"""The search for an order the model accepts: Wing and Gong, Lowe's memo, and register facts.

Wing and Gong (1993): walk the operations in call order; at each point any
operation whose call comes before the earliest return not yet placed may take
effect next. Try one, step the model, and recurse; when the model rejects every
candidate, undo the last choice and try the next. If every completed operation
gets placed, the order found *is* a linearization.

What keeps it fast:

- **Lowe's memo** (2017): the future of the search depends only on *which*
  operations are placed and the model's state, so each ``(placed set, state)``
  pair is explored once. The pair is packed into one integer.
- **Observers first**: an operation that never changes the state when legal
  (a read, a failed compare-and-set) is placed as soon as it is legal, with no
  alternative tried at that step: moving it to the front of any order that works
  keeps it working.
- **Pending operations are optional**: one that never returned may be left out,
  so it is only worth placing when it changes the state.
- **Dancing links**: calls and returns live in a doubly linked list (as in
  Porcupine); placing an operation lifts its two entries out in O(1), undoing
  puts them back.

For a register of reads and blind writes (or a key whose appends spell out
uniquely), the facts of :mod:`.registers` cut the search further. A *dead*
write (no read can have read it) is only ever overwritten unseen, so it is
never a choice of its own: it takes effect just before the next blind write
the search places while it is callable (that changes nothing anyone sees), or
alone when its return is the earliest one left. An append a get saw is only
tried on the state it was seen applied to. And once every operation that could
need the current state is placed, the state is recorded in the memo as *dead*:
whatever it is, nobody will read it, so histories that differ only in such a
state are explored once.

The search is bounded: past the deadline or the memo size it raises
:class:`GiveUp` with the longest order it had built.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .history import Operation
from .models import ILLEGAL, Model
from .registers import NOTHING, RegisterFacts

TIME = "time"
MEMORY = "memory"
STEPS = "steps"


class GiveUp(Exception):
    """The search stopped before deciding: ``reason`` is TIME, MEMORY or STEPS."""

    def __init__(self, reason: str, steps: int, longest: list[Operation]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.steps = steps
        self.longest = longest


@dataclass(frozen=True)
class Outcome:
    """``found``: a linearization in ``order``; otherwise ``order`` is the longest prefix."""

    found: bool
    order: list[Operation]
    steps: int


def search(
    ops: Sequence[Operation], model: Model, *, deadline: float | None = None,
    max_bytes: int | None = None, max_steps: int | None = None,
    facts: RegisterFacts | None = None,
) -> Outcome:
    """Search one partition for a linearization (see the module doc).

    With ``facts`` (and then ``ops`` must be ``facts.ops``) the register
    pruning applies. Raises :class:`GiveUp` once it could not free its memo
    before ``deadline`` (a ``time.perf_counter()`` value), once the memo would
    pass ``max_bytes``, or past ``max_steps`` steps.
    """
    enabled = gc.isenabled()
    gc.disable()  # millions of memo keys and no cycles: the collector only costs time
    try:
        return _search(list(ops), model, deadline, max_bytes, max_steps, facts)
    finally:
        if enabled:
            gc.enable()


def _search(ops, model, deadline, max_bytes, max_steps, facts) -> Outcome:  # noqa: C901
    n = len(ops)
    # Node ids: 0 is the list head, 1..n are calls of ops 0..n-1,
    # n+1..2n their returns (absent for pending operations).
    events = []
    for i, op in enumerate(ops):
        events.append((op.call, 0, 1 + i))
        if not op.pending:
            events.append((op.ret, 1, 1 + n + i))
    events.sort()
    nxt = [0] * (2 * n + 2)
    prv = [0] * (2 * n + 2)
    last = 0
    for _, _, node in events:
        nxt[last] = node
        prv[node] = last
        last = node
    nxt[last] = 2 * n + 1  # a tail sentinel, never reached while returns remain

    steps = []
    for op in ops:
        f = model.step_fn(op)
        steps.append(_effect_only(f) if op.pending else f)
    pending = [op.pending for op in ops]
    observer = [model.is_observer(op) and not op.pending for op in ops]
    bit = [1 << i for i in range(n)]
    remaining = n - sum(pending)  # completed operations still to place

    registers = facts is not None
    if registers:
        dead = list(facts.dead)
        sources = [c or () for c in facts.candidates]
        changes = list(facts.changes)
        blind = list(facts.blind)
        readers_left = [0] * (n + 1)  # index n: the initial value
        for cands in sources:
            for w in cands:
                readers_left[w] += 1
        for i, needed in enumerate(facts.needs):
            if changes[i] and needed is not NOTHING:  # an append seen applied to `needed`
                steps[i] = _only_from(steps[i], needed)
    else:
        dead = blind = changes = [False] * n
        sources = [()] * n
        readers_left = [1]
    src = n if registers else 0  # who wrote the current value (n: the initial value)

    # Memo keys are one int: the placed bits, and above them the state's number
    # (0: dead). `shifted` maps each state seen to its number, already shifted.
    shifted: dict = {}
    key_bytes = 28 + 4 * ((n + 59) // 30)  # an int of n + 30 bits
    entry_bytes = key_bytes + 64  # and its share of the set's table
    state_bytes = 0  # the states numbered so far, with their shifted numbers

    state = model.init
    bits = 0
    seen: set = set()
    # Stack entries: (call node, state before, writer before, forced, hidden dead writes)
    stack: list[tuple[int, Any, int, bool, tuple[int, ...]]] = []
    longest: list[tuple[int, Any, int, bool, tuple[int, ...]]] = []
    placed_count = 0
    longest_count = -1
    count = 0

    def order_of(entries) -> list[Operation]:
        out = []
        for entry in entries:
            out.extend(ops[h - 1] for h in entry[4])
            out.append(ops[entry[0] - 1])
        return out

    node = nxt[0]
    scan = True  # at a new level, look for an observer to place first
    while remaining:
        count += 1
        if not count & 1023:
            # Freeing the memo takes time too (about 0.1 µs an entry): stop early enough.
            if deadline is not None and time.perf_counter() + 1e-7 * len(seen) > deadline:
                raise GiveUp(TIME, count, order_of(longest))
            if max_bytes is not None and len(seen) * entry_bytes + state_bytes > max_bytes:
                raise GiveUp(MEMORY, count, order_of(longest))
            if max_steps is not None and count > max_steps:
                raise GiveUp(STEPS, count, order_of(longest))
        # Choose the next operation to place: `forced` ones are the only choice at their
        # level, so when they fail the level fails.
        forced = False
        if scan:
            # A new level. A legal observer (a read that fits) is placed first and
            # alone: if that fails, every other choice at this level fails too.
            scan = False
            node = nxt[0]
            while node <= n and not (observer[node - 1] and
                                     steps[node - 1](state) is not ILLEGAL):
                node = nxt[node]
            forced = node <= n
            new = state
            if not forced:
                node = nxt[0]
        if not forced:
            while node <= n and (observer[node - 1] or dead[node - 1]):
                node = nxt[node]  # observers were tried by the scan; dead writes hide
            if n < node <= 2 * n and dead[node - n - 1]:
                node -= n  # the earliest return is a dead write's: it must go now, alone
                forced = True
            if node <= n:
                new = steps[node - 1](state)
                if new is ILLEGAL and not forced:
                    node = nxt[node]
                    continue
        if node <= n and new is not ILLEGAL:
            i = node - 1
            hidden: tuple[int, ...] = ()
            if blind[i] and not forced:  # a blind write hides the dead ones before it
                hidden = _callable_dead(nxt, node, n, dead)
            placed = bits | bit[i]
            for h in hidden:
                placed |= bit[h - 1]
            for w in sources[i]:  # a read, or an append, reads the state it sees
                readers_left[w] -= 1
            writer = i if changes[i] else src
            if registers and not readers_left[writer]:
                sk = 0
            else:
                sk = shifted.get(new)
                if sk is None:
                    sk = shifted[new] = (len(shifted) + 1) << n
                    state_bytes += sys.getsizeof(new) + key_bytes + 64
            size = len(seen)
            seen.add(placed | sk)
            if len(seen) != size:
                for h in hidden:
                    _lift(nxt, prv, h, h + n)
                stack.append((node, state, src, forced, hidden))
                state, bits, src = new, placed, writer
                placed_count += 1 + len(hidden)
                remaining -= len(hidden)
                if pending[i]:
                    _lift(nxt, prv, node, None)
                else:
                    remaining -= 1
                    _lift(nxt, prv, node, node + n)
                scan = True
                continue
            for w in sources[i]:  # explored before, and it failed
                readers_left[w] += 1
            if not forced:
                node = nxt[node]
                continue
        # Nothing fits before the earliest pending return: backtrack.
        if placed_count > longest_count:
            longest = list(stack)
            longest_count = placed_count
        while True:
            if not stack:
                return Outcome(False, order_of(longest), count)
            node, state, src, forced, hidden = stack.pop()
            i = node - 1
            bits ^= bit[i]
            placed_count -= 1 + len(hidden)
            for w in sources[i]:
                readers_left[w] += 1
            if pending[i]:
                _unlift(nxt, prv, node, None)
            else:
                remaining += 1
                _unlift(nxt, prv, node, node + n)
            for h in reversed(hidden):
                bits ^= bit[h - 1]
                remaining += 1
                _unlift(nxt, prv, h, h + n)
            if not forced:
                break
        node = nxt[node]
    return Outcome(True, order_of(stack), count)


def _callable_dead(nxt: list[int], placing: int, n: int, dead: list[bool]) -> tuple[int, ...]:
    """Call nodes of the dead writes callable now (before the earliest return), but ``placing``."""
    found = []
    node = nxt[0]
    while node <= n:
        if dead[node - 1] and node != placing:
            found.append(node)
        node = nxt[node]
    return tuple(found)


def _lift(nxt: list[int], prv: list[int], call: int, ret: int | None) -> None:
    """Unlink an operation's call (and return) entries: it has been placed."""
    nxt[prv[call]] = nxt[call]
    prv[nxt[call]] = prv[call]
    if ret is not None:
        nxt[prv[ret]] = nxt[ret]
        prv[nxt[ret]] = prv[ret]


def _unlift(nxt: list[int], prv: list[int], call: int, ret: int | None) -> None:
    """Undo :func:`_lift`: the unlinked entries still know their old neighbours."""
    if ret is not None:
        nxt[prv[ret]] = ret
        prv[nxt[ret]] = ret
    nxt[prv[call]] = call
    prv[nxt[call]] = call


def _only_from(step, needed):
    """An append seen in some get: it can only have been applied to exactly ``needed``."""

    def applied(state):
        return step(state) if state == needed else ILLEGAL

    return applied


def _effect_only(step):
    """A pending operation may be left out, so it only matters when it changes the state."""

    def changed(state):
        new = step(state)
        return ILLEGAL if new == state else new

    return changed


__all__ = ["GiveUp", "MEMORY", "Outcome", "STEPS", "TIME", "search"]
