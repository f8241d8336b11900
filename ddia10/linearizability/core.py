"""The violation core: a small piece of a non-linearizable history that still fails, and why.

A core must not mislead. Drop every write from a history and any read of a
written value becomes "illegal" — a one-operation "core" that says nothing
about the real bug. So a core here is a sub-history that is

- **well-formed**: every value a read returns (and every value a successful
  compare-and-set expects) is the initial value or is written by an operation
  of the core; for a key-value store, every string a get returns can be spelt
  from the initial string or a value put, followed by values appended, all by
  operations of the core. A write that failed counts as a writer here: "the
  write of 3 failed, yet a read returned 3" is the bug, so the core shows both
  (the check still leaves the failed write out). Only when a read returns a
  value no operation ever tried to write is there no well-formed core; then the
  core is that read;
- **on the failing key**: the key :func:`~.checker.check` reports;
- **real**: operations keep their intervals, so their real-time order;
- **1-minimal**: it is not linearizable, and removing any one operation makes
  it linearizable or ill-formed. That is *smallest under removal*, not the
  minimum over all sub-histories (finding that is as hard as the check itself).

The shrinking is deterministic: drop chunks of operations, halving the chunk
size, latest first, together with the reads the drop leaves without a writer;
keep each drop after which the history still fails; finish with single
operations until none can go.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from .checker import DEFAULT_MEMORY_MB, check
from .history import READS, History, Operation
from .models import Model


def violation_core(
    history: History, model: Model | None = None, *, timeout_s: float | None = None,
    max_memory_mb: float = DEFAULT_MEMORY_MB,
) -> History:
    """A well-formed, 1-minimal non-linearizable sub-history on the failing key (module doc).

    ``timeout_s`` bounds the first check and then each check of the shrinking
    (a trial the checker cannot decide is kept, not dropped).
    """
    first = check(history, model, timeout_s=timeout_s, max_memory_mb=max_memory_mb)
    if first.ok is None:
        left = ", ".join(repr(k) for k in first.keys_left[:5])
        raise ValueError(
            f"the checker could not decide this history ({first.limit} limit reached; "
            f"undecided: {left}), so no core can be certified: raise timeout_s or "
            "max_memory_mb")
    if first.ok:
        raise ValueError("only a non-linearizable history has a core; this one is linearizable")
    partition = model.partition if model is not None else None
    if model is None and history.model == "kv":
        partition = _key_of
    ops = sorted(
        (op for op in history.ops if partition is None or partition(op) == first.key),
        key=lambda o: (o.call, o.id),
    )
    name = model.name if model is not None else history.model
    closure = _closure_for(name, history.init if model is None else model.init)

    def fails(trial: Sequence[Operation]) -> bool:
        sub = replace(history, ops=tuple(trial), expected=False, meta={})
        return check(sub, model, timeout_s=timeout_s, max_memory_mb=max_memory_mb,
                     evidence=False).ok is False

    kept = closure(ops)
    if not fails(kept):
        # A read of a value nobody ever wrote, not even an operation that failed: no
        # well-formed core exists, and that read is the honest answer.
        kept, closure = ops, list
    kept = _shrink(kept, fails, closure)
    meta = {"core of": history.meta.get("source", "a history"), "key": first.key}
    return replace(history, ops=tuple(kept), expected=False, meta=meta)


def _key_of(op: Operation):
    return op.key


def _shrink(kept: list[Operation], fails: Callable, closure: Callable) -> list[Operation]:
    size = max(1, len(kept) // 2)
    while True:
        shrunk = False
        end = len(kept)
        while end > 0:  # chunks of `size`, latest first
            start = max(0, end - size)
            drop = {op.id for op in kept[start:end]}
            trial = closure([op for op in kept if op.id not in drop])
            if trial and len(trial) < len(kept) and fails(trial):
                kept, shrunk = trial, True
                end = min(start, len(kept))
            else:
                end = start
        if size == 1 and not shrunk:
            return kept  # no single operation can go: 1-minimal
        size = max(1, min(size // 2, len(kept) // 2))


def is_well_formed(ops: Sequence[Operation], model_name: str, init) -> bool:
    """True when every value observed is the initial value or written within ``ops``."""
    return len(_closure_for(model_name, init)(list(ops))) == len(ops)


def _closure_for(model_name: str, init) -> Callable[[list[Operation]], list[Operation]]:
    """A function dropping, to a fixpoint, the observers whose value nobody in the set wrote."""
    if model_name in ("register", "cas-register"):
        def explained(op: Operation, kept: list[Operation]) -> bool:
            needed = _observed(op)
            if needed is _NOTHING or needed == init:
                return True
            return any(_writes(o) == needed for o in kept if o is not op)
    elif model_name == "kv":
        def explained(op: Operation, kept: list[Operation]) -> bool:
            needed = _observed(op)
            if needed is _NOTHING:
                return True
            others = [o for o in kept if o is not op]
            starts = [init] + [_writes(o) for o in others if o.kind in ("put", "cas")]
            pieces = [o.value for o in others if o.kind == "append"]
            return _spellable(needed, starts, pieces)
    else:
        return list

    def closure(ops: list[Operation]) -> list[Operation]:
        kept = list(ops)
        while True:
            shorter = [op for op in kept if explained(op, kept)]
            if len(shorter) == len(kept):
                return kept
            kept = shorter

    return closure


_NOTHING = object()


def _observed(op: Operation):
    """The value ``op`` needs to have been written, or _NOTHING."""
    if op.pending:
        return _NOTHING
    if op.kind in READS:
        return op.output
    if op.kind == "cas" and op.output is True:
        return op.value[0]
    return _NOTHING


def _writes(op: Operation):
    """The value ``op`` may leave (a put or write's value, a cas's new value), or _NOTHING.

    Failed operations count: they explain a read of their value (see the module doc).
    """
    if op.kind in ("write", "put"):
        return op.value
    if op.kind == "cas" and op.output is not False:
        return op.value[1]
    return _NOTHING


def _spellable(target: str, starts: list, pieces: list) -> bool:
    """Can ``target`` be written as one start followed by appended pieces?"""
    if not isinstance(target, str):
        return False
    reach = [False] * (len(target) + 1)
    for s in starts:
        if isinstance(s, str) and target.startswith(s):
            reach[len(s)] = True
    for at in range(len(target) + 1):
        if not reach[at]:
            continue
        for piece in pieces:
            if piece and target.startswith(piece, at):
                reach[at + len(piece)] = True
    return reach[len(target)]
