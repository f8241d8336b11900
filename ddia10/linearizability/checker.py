"""Is this history linearizable? A search for an order the model accepts.

The search is Wing and Gong's (1993): walk the operations in call order; at
each point any operation whose call comes before the earliest return not yet
placed may take effect next. Try one, step the model, and recurse; when the
model rejects every candidate, undo the last choice and try the next. If every
completed operation gets placed, the order found *is* a linearization.

Three ideas make it fast enough for real Jepsen histories:

- **Lowe's memoisation** (2017): the future of the search depends only on
  *which* operations are placed and the model's state, not on the order that
  got there. Each ``(placed set, state)`` pair is explored once; the placed set
  is an integer bitset, so the pair is a cheap hashable key.
- **P-compositionality** (Horn and Kroening 2015; Herlihy and Wing's locality):
  a key-value history is linearizable iff each key's sub-history is, so each
  key is searched on its own, and the first key that fails decides.
- **Two safe prunings**: a pending operation (never returned) may be left out,
  so it is only worth placing when it *changes* the state; and an operation
  that never changes the state when legal (a read, a failed compare-and-set)
  may be placed as soon as it is legal, with no alternative tried at that step
  — moving it to the front of any linearization that works keeps it working.

Calls and returns live in a doubly linked list (as in the Porcupine checker):
placing an operation *lifts* its two entries out in O(1), and undoing it puts
them back in the reverse order ("dancing links").

When the search fails, the explanation is the longest prefix it managed to
place, the state it reached, and the operations that could have come next and
could not. Past ``timeout_s`` the answer is ``unknown``, never a guess.
"""

from __future__ import annotations

import time
from collections.abc import Hashable
from dataclasses import dataclass, field, replace
from typing import Any

from .history import MODEL_NAMES, History, Operation
from .models import ILLEGAL, Model, model_for

LINEARIZABLE = "linearizable"
NOT_LINEARIZABLE = "not linearizable"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Point:
    """An operation placed in the linearization, at ``time`` inside its interval."""

    op: Operation
    time: float
    state: Any  # the model's state right after the operation took effect


@dataclass
class CheckResult:
    """The checker's answer, with the evidence for it.

    ``verdict`` is ``"linearizable"``, ``"not linearizable"`` or ``"unknown"``
    (time budget exhausted). A linearizable history comes with
    ``linearization``, a list of :class:`Point` in effect order (pending
    operations that never took effect are absent). A violation comes with the
    ``key`` that failed, the ``longest`` partial linearization found, the
    ``state`` it reached and the operations ``stuck`` there: the ones that could
    have come next and could not.
    """

    verdict: str
    linearization: list[Point] | None = None
    longest: list[Point] = field(default_factory=list)
    stuck: list[Operation] = field(default_factory=list)
    state: Any = None
    key: Hashable = None
    explored: int = 0
    elapsed_s: float = 0.0

    @property
    def ok(self) -> bool | None:
        """True, False, or None when the answer is unknown."""
        if self.verdict == UNKNOWN:
            return None
        return self.verdict == LINEARIZABLE

    def explain(self) -> str:
        """A few lines a reader can follow."""
        if self.verdict == LINEARIZABLE:
            steps = " → ".join(p.op.describe() for p in self.linearization or [])
            return f"linearizable: {steps}"
        if self.verdict == UNKNOWN:
            return f"unknown: gave up after {self.elapsed_s:.2f} s ({self.explored} steps)"
        where = f" on key {self.key!r}" if self.key is not None else ""
        prefix = " → ".join(p.op.describe() for p in self.longest) or "(nothing)"
        stuck = "; ".join(op.describe() for op in self.stuck)
        return (
            f"not linearizable{where}: the longest order the checker could build is "
            f"{prefix}, leaving the state {self.state!r}; none of the operations that "
            f"could come next fits: {stuck}"
        )

    def __repr__(self) -> str:
        return f"CheckResult({self.verdict!r}, explored={self.explored})"


class _Timeout(Exception):
    pass


def check(
    history: History,
    model: Model | None = None,
    *,
    timeout_s: float | None = None,
) -> CheckResult:
    """Decide whether ``history`` is linearizable with respect to ``model``.

    ``model`` defaults to the built-in model the history names. Past
    ``timeout_s`` seconds the verdict is ``"unknown"``.
    """
    if not isinstance(history, History):
        raise TypeError(f"check() needs a History, got {type(history).__name__}")
    if timeout_s is not None and not timeout_s > 0:
        raise ValueError(f"timeout_s must be > 0 or None, got {timeout_s!r}")
    if model is None:
        if history.model not in MODEL_NAMES:
            raise ValueError(
                f"the history names model {history.model!r}, which is not built in: "
                "pass model=Model(...) to check it"
            )
        model = model_for(history.model, history.init)
    elif not isinstance(model, Model):
        raise TypeError(f"model must be a Model, got {type(model).__name__}")
    started = time.perf_counter()
    deadline = None if timeout_s is None else started + timeout_s

    parts: dict[Hashable, list[Operation]] = {}
    for op in history.ops:
        key = model.partition(op) if model.partition is not None else None
        parts.setdefault(key, []).append(op)

    placed: list[Point] = []
    explored = 0
    for key in sorted(parts, key=lambda k: (len(parts[k]), repr(k))):
        try:
            found, order, count = _search(parts[key], model, deadline)
        except _Timeout as stop:
            return CheckResult(
                UNKNOWN, explored=explored + stop.args[0],
                elapsed_s=time.perf_counter() - started,
            )
        explored += count
        if not found:
            longest, state, stuck = _explain(parts[key], model, order)
            return CheckResult(
                NOT_LINEARIZABLE, longest=longest, stuck=stuck, state=state, key=key,
                explored=explored, elapsed_s=time.perf_counter() - started,
            )
        placed.extend(_with_points(order, model))
    placed.sort(key=lambda p: p.time)
    return CheckResult(
        LINEARIZABLE, linearization=placed, explored=explored,
        elapsed_s=time.perf_counter() - started,
    )


def _search(
    ops: list[Operation], model: Model, deadline: float | None
) -> tuple[bool, list[Operation], int]:
    """Search one partition. Returns (found, order or longest prefix, steps)."""
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
    observer = [model.is_observer(op) and not op.pending for op in ops]
    pending = [op.pending for op in ops]
    bit = [1 << i for i in range(n)]
    remaining = n - sum(pending)  # completed operations still to place

    state = model.init
    bits = 0
    seen: set = set()
    stack: list[tuple[int, Any, bool]] = []  # (call node placed, state before it, forced)
    longest: list[tuple[int, Any, bool]] = []
    count = 0

    node = nxt[0]
    scan = True  # at a new level, look for an observer to place first
    while remaining:
        count += 1
        if not count & 4095 and deadline is not None and time.perf_counter() > deadline:
            raise _Timeout(count)
        if scan:
            # A new level. A legal observer (a read that fits) is placed first and
            # alone: if that fails, every other choice at this level fails too.
            scan = False
            node = nxt[0]
            while node <= n and not (observer[node - 1] and
                                     steps[node - 1](state) is not ILLEGAL):
                node = nxt[node]
            if node <= n:
                i = node - 1
                size = len(seen)
                seen.add((bits | bit[i], state))
                if len(seen) == size:
                    node = n + 1  # explored before and failed: backtrack
                    continue
                stack.append((node, state, True))
                bits |= bit[i]
                remaining -= 1
                _lift(nxt, prv, node, node + n)
                scan = True
                continue
            node = nxt[0]
        while node <= n and observer[node - 1]:  # observers were tried by the scan
            node = nxt[node]
        if node <= n:
            i = node - 1
            new = steps[i](state)
            if new is not ILLEGAL:
                key = (bits | bit[i], new)
                size = len(seen)
                seen.add(key)
                if len(seen) != size:
                    stack.append((node, state, False))
                    state = new
                    bits |= bit[i]
                    if pending[i]:
                        _lift(nxt, prv, node, None)
                    else:
                        remaining -= 1
                        _lift(nxt, prv, node, node + n)
                    node = nxt[0]
                    scan = True
                    continue
            node = nxt[node]
        else:
            # The earliest pending return: nothing after it may go first. Backtrack.
            if len(stack) > len(longest):
                longest = list(stack)
            while True:
                if not stack:
                    return False, [ops[entry[0] - 1] for entry in longest], count
                node, state, forced = stack.pop()
                i = node - 1
                bits ^= bit[i]
                if pending[i]:
                    _unlift(nxt, prv, node, None)
                else:
                    remaining += 1
                    _unlift(nxt, prv, node, node + n)
                if not forced:
                    break
            node = nxt[node]
    return True, [ops[entry[0] - 1] for entry in stack], count


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


def _effect_only(step):
    """A pending operation may be left out, so it only matters when it changes the state."""

    def changed(state):
        new = step(state)
        return ILLEGAL if new == state else new

    return changed


def _with_points(order: list[Operation], model: Model) -> list[Point]:
    """Give each operation of a valid order a time strictly inside its interval.

    The point of the k-th operation is halfway between the latest call among
    the first k and the earliest return among the rest: a valid order always
    leaves that gap open, and the points come out in order.
    """
    n = len(order)
    earliest_end = [0.0] * n
    running = float("inf")
    for k in range(n - 1, -1, -1):
        running = min(running, order[k].end)
        earliest_end[k] = running
    points = []
    latest_call = float("-inf")
    state = model.init
    for k, op in enumerate(order):
        latest_call = max(latest_call, op.call)
        hi = earliest_end[k]
        t = latest_call + 0.5 if hi == float("inf") else (latest_call + hi) / 2
        state = model.apply(state, op)
        points.append(Point(op, t, state))
    return points


def _explain(
    ops: list[Operation], model: Model, longest: list[Operation]
) -> tuple[list[Point], Any, list[Operation]]:
    """Replay the longest prefix and list the operations that could not follow it."""
    prefix = _with_points(longest, model)
    state = prefix[-1].state if prefix else model.init
    placed = {op.id for op in longest}
    rest = [op for op in ops if op.id not in placed]
    horizon = min((op.end for op in rest), default=float("inf"))
    stuck = [op for op in rest if op.call <= horizon and not op.pending]
    return prefix, state, sorted(stuck, key=lambda o: o.call)



def violation_core(
    history: History, model: Model | None = None, *, timeout_s: float | None = None
) -> History:
    """A small sub-history that is still not linearizable, every operation of it needed.

    Operations are dropped one at a time, keeping each drop that leaves the
    history non-linearizable, so removing any single remaining operation makes
    it linearizable. It is a *core*, not necessarily the smallest one: with a
    register, dropping a write can also remove the reason a read was legal.
    ``timeout_s`` bounds each check; an unknown answer keeps the operation.
    """
    first = check(history, model, timeout_s=timeout_s)
    if first.ok is not False:
        raise ValueError(f"only a non-linearizable history has a core; this one is {first.verdict}")
    kept = list(history.ops)
    shrinking = True
    while shrinking:  # dropping one operation can make another droppable: repeat to a fixpoint
        shrinking = False
        for op in sorted(kept, key=lambda o: (-o.call, o.id)):
            trial = replace(history, ops=tuple(o for o in kept if o.id != op.id))
            if check(trial, model, timeout_s=timeout_s).ok is False:
                kept = list(trial.ops)
                shrinking = True
    return replace(history, ops=tuple(kept))
