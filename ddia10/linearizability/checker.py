"""Is this history linearizable? One key at a time, by the fastest method that is exact.

A key-value history is linearizable iff each key's sub-history is
(P-compositionality: Horn and Kroening 2015, after Herlihy and Wing's
locality), so each key is decided on its own, smallest first, and the first
key that fails decides. Operations that failed (Jepsen's ``:fail``) take no
part: they did not happen.

Each key is decided by one of three methods, named in the result:

- ``"zones"``: a register (reads and blind writes) whose writes all write
  distinct values is decided without search, in O(n log n)
  (Gibbons and Korach 1997; :mod:`.zones`).
- ``"reads-from"``: a register read that no write can have supplied (every
  write of its value was overwritten for sure before it began, or none
  exists) fails the history at once (:mod:`.registers`).
- ``"search"``: everything else, by Wing and Gong's search with Lowe's memo
  (:mod:`.search`), pruned by the register facts when the key is a register.

The search is bounded by ``timeout_s`` and by ``max_memory_mb`` for its memo;
past either the verdict is ``"unknown"`` — never a guess — with what was
decided and the longest order found. A violation comes with evidence: the
longest order the search could build, the state it reached and the
operations that could have come next and could not, each with the model's
reason; :meth:`CheckResult.explain` tells it in a bounded number of lines.
"""

from __future__ import annotations

import math
import textwrap
import time
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from ..validate import check_choice, check_int, check_number
from .history import MODEL_NAMES, READS, History, Operation
from .models import ILLEGAL, Model, is_builtin, model_for
from .registers import analyse
from .search import MEMORY, TIME, GiveUp, search
from .zones import decide, distinct_values

LINEARIZABLE = "linearizable"
NOT_LINEARIZABLE = "not linearizable"
UNKNOWN = "unknown"

SEARCH = "search"
ZONES = "zones"
READS_FROM = "reads-from"
METHODS = ("auto", SEARCH, ZONES)
"""What :func:`check` may be asked to use: ``auto`` picks the fastest exact method."""

DEFAULT_MEMORY_MB = 1024
"""The memo's default bound: past it the verdict is unknown instead of swapping."""

EVIDENCE_STEPS = 50_000
"""Search steps spent finding a longest order for a violation decided without search."""

_SHOWN_STEPS = 5
_SHOWN_STUCK = 6
_WIDTH = 77  # the width of a code column in the book
_VALUE = 24  # characters of a value shown inside an operation's label


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
    (a limit was reached: ``limit`` says which, ``keys_left`` what was not
    decided). A linearizable history comes with ``linearization``, a list of
    :class:`Point` in effect order (pending operations that never took effect
    are absent). A violation comes with the ``key`` that failed, the
    ``longest`` partial linearization found, the ``state`` it reached, the
    operations ``stuck`` there (the ones that could have come next and could
    not) with the model's ``reasons``, and for a violation decided without
    search the ``witness`` operations and the ``reason`` in words.
    ``methods`` maps each decided key to the method that decided it.
    """

    verdict: str
    linearization: list[Point] | None = None
    longest: list[Point] = field(default_factory=list)
    stuck: list[Operation] = field(default_factory=list)
    state: Any = None
    key: Hashable = None
    explored: int = 0
    elapsed_s: float = 0.0
    methods: dict = field(default_factory=dict)
    witness: tuple[Operation, ...] = ()
    reason: str = ""
    reasons: dict[int, str] = field(default_factory=dict)
    limit: str | None = None
    keys_left: list = field(default_factory=list)
    size: int = 0  # operations of the failing (or unfinished) key
    counts: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool | None:
        """True, False, or None when the answer is unknown."""
        if self.verdict == UNKNOWN:
            return None
        return self.verdict == LINEARIZABLE

    @property
    def method(self) -> str:
        """The method that decided: of the failing key, or every method used."""
        if self.key in self.methods and self.verdict == NOT_LINEARIZABLE:
            return self.methods[self.key]
        return " + ".join(sorted(set(self.methods.values()))) or SEARCH

    def explain(self, order: bool = False, limit: int = 50) -> str:
        """What was decided and why, in a bounded number of lines of bounded width.

        For a linearizable history ``order=True`` adds the order itself, at most
        ``limit`` steps of it.
        """
        check_int("limit", limit, min=1)
        if self.verdict == LINEARIZABLE:
            lines = self._summary().splitlines()
            if order:
                lines += _steps(self.linearization or [], 0, limit)
            else:
                lines.append("explain(order=True), or --order on the command line, lists "
                             "the order.")
            return _fit(lines)
        if self.verdict == UNKNOWN:
            lines = self._unknown_lines()
        else:
            lines = self._violation_lines()
        return _fit(lines)

    def _summary(self) -> str:
        c = self.counts
        took = sum(1 for p in self.linearization or [] if p.op.pending)
        parts = [f"{c.get('completed', 0)} completed"]
        if c.get("pending"):
            parts.append(f"{c['pending']} pending, {took} of which took effect")
        if c.get("failed"):
            parts.append(f"{c['failed']} failed and left out")
        keys = len(self.methods)
        return (f"linearizable: {c.get('ops', 0)} operations on {keys} "
                f"key{'s' if keys != 1 else ''}, decided by {self.method} in "
                f"{self.elapsed_s:.2f} s\n({'; '.join(parts)})")

    def _where(self) -> str:
        return f" on key {self.key!r}" if self.key is not None else ""

    def _violation_lines(self) -> list[str]:
        method = self.methods.get(self.key, SEARCH)
        lines = [f"not linearizable{self._where()}: no order of its {self.size} operations "
                 f"fits the model (decided by {method} in {self.elapsed_s:.2f} s)"]
        if self.reason:
            lines += textwrap.wrap(f"Why: {self.reason}.", _WIDTH - 10,
                                   subsequent_indent="  ")
        lines += self._prefix_lines("the longest order the checker built")
        if self.stuck:
            lines.append(f"None of the {len(self.stuck)} operations that could come next fits:")
            for op in self.stuck[:_SHOWN_STUCK]:
                why = self.reasons.get(op.id, "")
                lines.append(f"  - {op.describe(_VALUE)} {_interval(op)}" +
                             (f": {why}" if why else ""))
            if len(self.stuck) > _SHOWN_STUCK:
                lines.append(f"  (and {len(self.stuck) - _SHOWN_STUCK} more)")
        return lines

    def _unknown_lines(self) -> list[str]:
        what = {TIME: "time limit", MEMORY: "memory bound"}.get(self.limit, "limit")
        lines = [f"unknown: the checker reached its {what} after {self.elapsed_s:.2f} s and "
                 f"{self.explored:,} search steps"]
        decided = len(self.methods)
        total = decided + len(self.keys_left)
        if total > 1 or self.key is not None:
            left = ", ".join(repr(k) for k in self.keys_left[:8])
            more = f" (and {len(self.keys_left) - 8} more)" if len(self.keys_left) > 8 else ""
            lines.append(f"{decided} of {total} keys decided linearizable; left: {left}{more}")
        where = (self._where() or " on the history").strip()
        lines += self._prefix_lines(f"{where}, the longest order found so far")
        return lines

    def _prefix_lines(self, what: str) -> list[str]:
        if not self.longest:
            why = "nothing could go first" if self.ok is False else "the limit came first"
            return [f"{what[0].upper()}{what[1:]} is empty: {why}."]
        lines = [f"{what[0].upper()}{what[1:]} places {len(self.longest)} of {self.size} "
                 "operations; its last steps:"]
        start = max(0, len(self.longest) - _SHOWN_STEPS)
        lines += _steps(self.longest, start, _SHOWN_STEPS)
        lines.append(f"State reached: {_short(self.state)}")
        return lines

    def __repr__(self) -> str:
        return f"CheckResult({self.verdict!r}, method={self.method!r}, explored={self.explored})"


def _steps(points: list[Point], start: int, limit: int) -> list[str]:
    lines = ["  …"] if start else []
    for k, p in enumerate(points[start:start + limit], start=start + 1):
        lines.append(f"  {k}. {p.op.describe(_VALUE)} {_interval(p.op)} → {_short(p.state)}")
    if len(points) > start + limit:
        lines.append(f"  (and {len(points) - start - limit} more)")
    return lines


def _interval(op: Operation) -> str:
    end = "never returned" if op.pending else f"{op.ret:g}"
    return f"[{op.call:g}, {end}]"


def _short(value: Any, width: int = 32) -> str:
    text = repr(value)
    return text if len(text) <= width else text[:width - 1] + "…"


def _fit(lines: list[str]) -> str:
    """The lines, each longer than the page's width wrapped onto indented lines below it."""
    return "\n".join(
        part for line in lines
        for part in textwrap.wrap(line, _WIDTH, subsequent_indent="    ") or [""]
    )


def takes_part(op: Operation) -> bool:
    """False for an operation that certainly did not happen and says nothing.

    A failed operation drops out, except a compare-and-set that reports
    ``output: false``: its compare ran and saw another value.
    """
    return not op.failed or (op.kind == "cas" and op.output is False)


def check(
    history: History,
    model: Model | str | None = None,
    *,
    timeout_s: float | None = None,
    max_memory_mb: float = DEFAULT_MEMORY_MB,
    method: str = "auto",
    evidence: bool = True,
) -> CheckResult:
    """Decide whether ``history`` is linearizable with respect to ``model``.

    ``model`` is a :class:`Model` or the name of a built-in one (``register``,
    ``cas-register``, ``kv``, started from the history's ``init``); it defaults
    to the built-in model the history names. Past
    ``timeout_s`` seconds, or once the search memo would pass
    ``max_memory_mb``, the verdict is ``"unknown"``. ``method`` forces
    ``"search"`` (or ``"zones"``, where it applies) instead of ``"auto"``.
    ``evidence=False`` skips the short search for a longest order when a
    violation was decided without search (only the verdict is wanted).
    """
    if not isinstance(history, History):
        raise TypeError(f"check() needs a History, got {type(history).__name__}")
    check_number("timeout_s", timeout_s, positive=True, none=True)
    max_memory_mb = float(check_number("max_memory_mb", max_memory_mb, positive=True))
    check_choice("method", method, METHODS)
    if model is None:
        if history.model not in MODEL_NAMES:
            raise ValueError(
                f"the history names model {history.model!r}, which is not built in: "
                "pass model=Model(...) to check it"
            )
        model = model_for(history.model, history.init)
    elif isinstance(model, str):
        if model not in MODEL_NAMES:
            raise ValueError(
                f"unknown model {model!r}: the built-in models are {', '.join(MODEL_NAMES)}; "
                "for another, pass model=Model(...)"
            )
        model = model_for(model, history.init)
    elif not isinstance(model, Model):
        raise ValueError(
            f"model must be a Model or one of {', '.join(MODEL_NAMES)}, "
            f"got {type(model).__name__}"
        )
    builtin = is_builtin(model)
    if method == ZONES and not builtin:
        raise ValueError("method='zones' needs a built-in register or kv model")
    started = time.perf_counter()
    deadline = None if timeout_s is None else started + timeout_s

    parts: dict[Hashable, list[Operation]] = {}
    for op in history.ops:
        key = model.partition(op) if model.partition is not None else None
        parts.setdefault(key, []).append(op)
    counts = {"ops": len(history.ops), "failed": sum(op.failed for op in history.ops),
              "pending": sum(op.pending for op in history.ops)}
    counts["completed"] = counts["ops"] - counts["pending"] - counts["failed"]

    placed: list[Point] = []
    methods: dict[Hashable, str] = {}
    explored = 0
    unfinished: _KeyOutcome | None = None
    keys_left: list = []
    for key in sorted(parts, key=lambda k: (len(parts[k]), repr(k))):
        ops = [op for op in parts[key] if takes_part(op)]
        if deadline is not None and time.perf_counter() > deadline:
            keys_left.append(key)
            continue
        outcome = _decide_key(ops, model, builtin, method, deadline, max_memory_mb, evidence)
        explored += outcome.steps
        if outcome.ok is None:
            keys_left.append(key)
            unfinished = unfinished or outcome
            continue
        methods[key] = outcome.method
        if outcome.ok is False:
            return CheckResult(
                NOT_LINEARIZABLE, longest=outcome.points, stuck=outcome.stuck,
                state=outcome.state, key=key, explored=explored,
                elapsed_s=time.perf_counter() - started, methods=methods,
                witness=outcome.witness, reason=outcome.reason,
                reasons=_reasons(outcome.stuck, outcome.state, model), size=len(ops),
                counts=counts,
            )
        placed.extend(outcome.points)
    elapsed = time.perf_counter() - started
    if keys_left:
        first = unfinished
        return CheckResult(
            UNKNOWN, longest=first.points if first else [],
            state=first.state if first else None, key=first.key if first else None,
            explored=explored, elapsed_s=elapsed, methods=methods,
            limit=first.limit if first else TIME, keys_left=keys_left,
            size=first.size if first else 0, counts=counts,
        )
    placed.sort(key=lambda p: p.time)
    return CheckResult(LINEARIZABLE, linearization=placed, explored=explored,
                       elapsed_s=elapsed, methods=methods, counts=counts)


@dataclass
class _KeyOutcome:
    ok: bool | None
    method: str
    points: list[Point]
    steps: int = 0
    stuck: list[Operation] = field(default_factory=list)
    state: Any = None
    witness: tuple[Operation, ...] = ()
    reason: str = ""
    limit: str | None = None
    key: Hashable = None
    size: int = 0


def _decide_key(ops: list[Operation], model: Model, builtin: bool, method: str,
                deadline: float | None, max_memory_mb: float, evidence: bool) -> _KeyOutcome:
    key = model.partition(ops[0]) if ops and model.partition is not None else None
    facts = analyse(ops, model.init) if builtin else None
    distinct = facts is not None and distinct_values(facts, model.init)
    if method == ZONES and not distinct:
        raise ValueError(f"method='zones' needs registers (reads and writes only) whose writes "
                         f"all write distinct values, other than the initial one; key {key!r} "
                         "is not one")
    if facts is not None and facts.orphans and method == "auto":
        read = min(facts.orphans, key=lambda o: (o.call, o.id))
        return _with_evidence(READS_FROM, (read,), facts.orphan_reason(read), facts, model,
                              deadline if evidence else 0.0, len(ops))
    if distinct and method != SEARCH:
        verdict = decide(facts, model.init)
        if not verdict.ok:
            return _with_evidence(ZONES, verdict.witness, verdict.reason, facts, model,
                                  deadline if evidence else 0.0, len(ops))
        points = _points_at(verdict.order, model)
        if points is not None:
            return _KeyOutcome(True, ZONES, points, size=len(ops))
    searched = facts.ops if facts is not None else ops
    try:
        outcome = search(searched, model, deadline=deadline, facts=facts,
                         max_bytes=int(max_memory_mb * 2**20))
    except GiveUp as stop:
        return _KeyOutcome(None, SEARCH, _with_points(stop.longest, model), stop.steps,
                           state=_state_after(stop.longest, model), limit=stop.reason,
                           key=key, size=len(ops))
    if outcome.found:
        return _KeyOutcome(True, SEARCH, _with_points(outcome.order, model), outcome.steps,
                           size=len(ops))
    points, state, stuck = _evidence(searched, model, outcome.order)
    return _KeyOutcome(False, SEARCH, points, outcome.steps, stuck, state, size=len(ops))


def _with_evidence(method: str, witness: tuple[Operation, ...], reason: str, facts, model,
                   deadline: float | None, size: int) -> _KeyOutcome:
    """A violation decided without search, with a longest order from a short search
    (none when ``deadline`` is 0: only the verdict is wanted)."""
    if deadline == 0.0:
        return _KeyOutcome(False, method, [], 0, list(witness), model.init, witness=witness,
                           reason=reason, size=size)
    try:
        outcome = search(facts.ops, model, deadline=deadline, facts=facts,
                         max_steps=EVIDENCE_STEPS)
        order, steps = outcome.order, outcome.steps
    except GiveUp as stop:
        order, steps = stop.longest, stop.steps
    points, state, stuck = _evidence(facts.ops, model, order)
    return _KeyOutcome(False, method, points, steps, stuck or list(witness), state,
                       witness=witness, reason=reason, size=size)


def _state_after(order: list[Operation], model: Model) -> Any:
    state = model.init
    for op in order:
        state = model.apply(state, op)
    return state


def _points_at(order, model: Model) -> list[Point] | None:
    """Points at given moments, replayed through the model; None if the order is not valid."""
    points = []
    state = model.init
    last = -math.inf
    for op, moment in order:
        state = model.apply(state, op)
        if state is ILLEGAL or not op.call <= moment <= op.end or moment < last:
            return None
        last = moment
        points.append(Point(op, moment, state))
    return points


def _with_points(order: list[Operation], model: Model) -> list[Point]:
    """Give each operation of a valid order a time strictly inside its interval.

    The point of the k-th operation is halfway between the latest call among
    the first k and the earliest return among the rest (a valid order always
    leaves that gap open), or the previous point if that is later: the earliest
    return among the rest only grows, so the points stay in their intervals.
    """
    n = len(order)
    earliest_end = [0.0] * n
    running = math.inf
    for k in range(n - 1, -1, -1):
        running = min(running, order[k].end)
        earliest_end[k] = running
    points = []
    latest_call = -math.inf
    t = -math.inf
    state = model.init
    for k, op in enumerate(order):
        latest_call = max(latest_call, op.call)
        hi = earliest_end[k]
        t = max(t, latest_call + 0.5 if hi == math.inf else (latest_call + hi) / 2)
        state = model.apply(state, op)
        points.append(Point(op, t, state))
    return points


def _evidence(
    ops: list[Operation], model: Model, longest: list[Operation]
) -> tuple[list[Point], Any, list[Operation]]:
    """Replay the longest prefix and list the operations that could not follow it."""
    prefix = _with_points(longest, model)
    state = prefix[-1].state if prefix else model.init
    placed = {op.id for op in longest}
    rest = [op for op in ops if op.id not in placed]
    horizon = min((op.end for op in rest), default=math.inf)
    stuck = [op for op in rest if op.call <= horizon and not op.pending]
    return prefix, state, sorted(stuck, key=lambda o: (o.call, o.id))


def _reasons(stuck: list[Operation], state: Any, model: Model) -> dict[int, str]:
    """Why each operation could not come next, in the model's terms."""
    return {op.id: why_not(op, state, model) for op in stuck[:_SHOWN_STUCK]}


def why_not(op: Operation, state: Any, model: Model) -> str:
    """One phrase: what the model expected of ``op`` in ``state``."""
    new = model.apply(state, op)
    held = _short(state)
    thing = "key" if op.key is not None else "register"
    if new is not ILLEGAL:
        return (f"it fits (the state would become {_short(new)}), but no order continues "
                "from there")
    if op.kind in READS:
        return f"it returned {_short(op.output, _VALUE)}, but the {thing} holds {held}"
    if op.kind == "cas" and isinstance(op.value, tuple):
        old = _short(op.value[0])
        if op.output:
            return f"it swaps only from {old}, but the {thing} holds {held}"
        return f"it fails only when the {thing} does not hold {old}, but it does"
    return f"the model rejects it in state {held}"
