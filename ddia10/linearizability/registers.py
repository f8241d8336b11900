"""What a register history says before any search: which write each read could have read.

For a register whose operations are reads and blind writes (``read``/``write``,
or ``get``/``put`` on one key), a read that returned ``v`` read from *some*
write of ``v`` (or from the initial value). Real time alone rules most writes
out:

- a write called after the read returned comes too late;
- a write ``x`` is *overwritten for sure* if another completed write ``y``
  runs entirely after ``x`` and entirely before the read: ``x → y → read``
  in real time puts ``y`` between them in every linearization;
- the initial value is overwritten for sure once any completed write
  returned before the read was called.

What survives is the read's *candidate* set, a necessary condition: in every
linearization, the write a read reads from is one of its candidates. Three
things follow, each used by the checker:

- a read with no candidate makes the history non-linearizable at once;
- a completed write that is nobody's candidate (a *dead* write) can only be
  overwritten unseen, and a pending one may be dropped (it may never have
  happened);
- when every write writes a distinct value, each read has at most one
  candidate and :mod:`.zones` decides the history without search.

A key-value key with appends fits the same frame when every string put or
appended is distinct (as in Jepsen's and Porcupine's tests, where each append
carries its client and sequence number): a get's string then spells out, one
way only, the put (or initial string) it starts from and the appends after
it, in order. So each state a get saw was made by one known operation, and an
append seen in some get *read* the state it was applied to — it can only take
effect on exactly that state. An append no get ever saw is dead: after it no
get can be served until a put, so it is treated like a dead write.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .history import READS, Operation

WRITES = ("write", "put")
INIT = -1
"""The candidate standing for the initial value."""

NOTHING: Any = object()
"""In :attr:`RegisterFacts.needs`: the operation needs no particular state."""


def is_register_like(ops: Sequence[Operation]) -> bool:
    """True when every operation is a read, a blind write or an append (no cas)."""
    return all(op.kind in READS or op.kind in WRITES or op.kind == "append" for op in ops)


@dataclass(frozen=True)
class RegisterFacts:
    """The analysis of one register's (or key's) operations, failed ones left out.

    ``ops`` keeps what matters: pending reads (they constrain nothing) and
    pending writes nobody can have read (they may never have happened) are
    dropped. For each kept operation ``i``:

    - ``needs[i]``: the state it must see (a read's output, the state a seen
      append was applied to), or :data:`NOTHING`;
    - ``makes[i]``: the state it leaves, or :data:`NOTHING` (a read, or an
      append no get saw);
    - ``candidates[i]``: for those, the indices of the operations that may have
      made that state (:data:`INIT` for the initial value), else ``None``;
    - ``changes[i]``: it changes the state (a write, put or append);
    - ``blind[i]``: it sets the state whatever it was (a write or put);
    - ``dead[i]``: it changes the state and no operation can need the result.

    ``orphans`` are the operations that need a state nobody can have made;
    ``init`` is the initial state.
    """

    ops: tuple[Operation, ...]
    init: Any
    needs: tuple[Any, ...]
    makes: tuple[Any, ...]
    candidates: tuple[tuple[int, ...] | None, ...]
    changes: tuple[bool, ...]
    blind: tuple[bool, ...]
    dead: tuple[bool, ...]
    orphans: tuple[Operation, ...]

    def readers(self) -> dict[int, list[int]]:
        """Operation index (or :data:`INIT`) → indices of the operations that may read it."""
        found: dict[int, list[int]] = {}
        for i, cands in enumerate(self.candidates):
            for w in cands or ():
                found.setdefault(w, []).append(i)
        return found

    def orphan_reason(self, op: Operation) -> str:
        """Why no operation can have made the state ``op`` (an orphan) needs, in words."""
        i = self.ops.index(op)
        needed = self.needs[i]
        shown = _short(needed)
        what = f"{op.describe(24)} needs the state {shown}" if op.kind == "append" else \
            f"{op.describe(24)} returned {shown}"
        makers = [o for o, made in zip(self.ops, self.makes, strict=True)
                  if made is not NOTHING and made == needed and o is not op]
        if needed != self.init and not any(o.call <= op.end for o in makers):
            if not makers:
                return f"{what}, which no operation that took part made"
            return f"{what}, but every operation that made it was called after it returned"
        done = [o for o, changes in zip(self.ops, self.changes, strict=True)
                if changes and not o.pending and o.ret < op.call]
        last = max(done, key=lambda o: (o.call, o.id)).describe(24)
        if needed == self.init and not makers:
            return f"{what}, the initial state, but {last} had returned before it began"
        return (f"{what}, but {last} ran entirely after every operation that made that "
                "state and before the read: it was overwritten")


def _short(value: Any, width: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= width else text[:width - 1] + "…"


def analyse(ops: Sequence[Operation], init: Any) -> RegisterFacts | None:
    """The facts of a register or append-only key (module doc), or None if they do not apply.

    They do not apply with compare-and-set, nor to a key with appends unless
    every string put or appended is distinct, non-empty, never the initial
    string, and every string a get returned spells out one way only.
    """
    if not is_register_like(ops):
        return None
    appends = any(op.kind == "append" for op in ops)
    makes: dict[int, Any] = {}  # op id -> state it makes (absent: unknown, an unseen append)
    needs: dict[int, Any] = {}
    if appends:
        spelt = _spell_gets(ops, init)
        if spelt is None:
            return None
        makes, needs = spelt
    else:
        makes = {op.id: op.value for op in ops if op.kind in WRITES}
        needs = {op.id: op.output for op in ops if op.kind in READS and not op.pending}
    changers = [op for op in ops if op.kind not in READS]
    cands = _candidates([op for op in ops if op.id in needs], needs, changers, makes, init)
    read_by: set[int] = set()
    for found in cands.values():
        read_by.update(found)
    kept = [op for op in ops
            if op.id in needs or (op.kind not in READS and (not op.pending or op.id in read_by))]
    index = {op.id: i for i, op in enumerate(kept)}
    return RegisterFacts(
        ops=tuple(kept),
        init=init,
        needs=tuple(needs.get(op.id, NOTHING) for op in kept),
        makes=tuple(makes.get(op.id, NOTHING) for op in kept),
        candidates=tuple(
            tuple(INIT if w == INIT else index[w] for w in cands[op.id])
            if op.id in needs else None
            for op in kept
        ),
        changes=tuple(op.kind not in READS for op in kept),
        blind=tuple(op.kind in WRITES for op in kept),
        dead=tuple(op.kind not in READS and op.id not in read_by for op in kept),
        orphans=tuple(op for op in kept if op.id in needs and not cands[op.id]),
    )


def _candidates(needers: list[Operation], needs: dict, changers: list[Operation],
                makes: dict, init: Any) -> dict:
    """Needing op id → ids of the operations that may have made its state (INIT first)."""
    done = sorted((w for w in changers if not w.pending), key=lambda w: w.ret)
    rets = [w.ret for w in done]
    latest_call = []  # latest call among done[:k+1]
    running = -math.inf
    for w in done:
        running = max(running, w.call)
        latest_call.append(running)
    by_state: dict[Any, list[Operation]] = {}
    for w in changers:
        if w.id in makes:
            by_state.setdefault(makes[w.id], []).append(w)
    calls_of = {}
    for state, group in by_state.items():
        group.sort(key=lambda w: w.call)
        calls_of[state] = [w.call for w in group]
    found = {}
    for r in needers:
        needed = needs[r.id]
        k = bisect.bisect_left(rets, r.call)  # changes returning strictly before r's call
        overwritten_before = latest_call[k - 1] if k else -math.inf
        group = by_state.get(needed, ())
        called_in_time = bisect.bisect_right(calls_of.get(needed, ()), r.end)
        out = [w.id for w in group[:called_in_time]
               if w.end >= overwritten_before and w.id != r.id]
        if k == 0 and needed == init:
            out.insert(0, INIT)
        found[r.id] = out
    return found


def _spell_gets(ops: Sequence[Operation], init: Any) -> tuple[dict, dict] | None:
    """For a key with appends: the state each op makes and the state each op needs.

    None when the strings are not distinct enough for every get to spell out one
    way only (then the plain search decides).
    """
    pieces = {}
    for op in ops:
        if op.kind in ("put", "append"):
            if not op.value or op.value in pieces or op.value == init:
                return None
            pieces[op.value] = op
    appended = {v: op for v, op in pieces.items() if op.kind == "append"}
    by_id = {op.id: op for op in appended.values()}
    starts = {v: op for v, op in pieces.items() if op.kind == "put"}
    lengths = sorted({len(v) for v in appended})
    makes = {op.id: op.value for op in starts.values()}
    needs: dict[int, Any] = {}
    applied_to: dict[int, str] = {}
    for op in ops:
        if op.kind not in READS or op.pending:
            continue
        spelling = _spell(op.output, init, starts, appended, lengths)
        if spelling is None:
            return None  # two spellings: ambiguous
        needs[op.id] = op.output
        for at, piece in spelling:
            prefix = op.output[:at]
            if applied_to.setdefault(piece.id, prefix) != prefix:
                return None  # seen on two different states: leave it to the search
    for op_id, prefix in applied_to.items():
        needs[op_id] = prefix
        makes[op_id] = prefix + by_id[op_id].value
    return makes, needs


def _spell(target: Any, init: Any, starts: dict, appended: dict,
           lengths: list[int]) -> list[tuple[int, Operation]] | None:
    """The appends (position, op) spelling ``target`` after its start; [] if none fits.

    Returns None when two spellings fit.
    """
    if not isinstance(target, str):
        return []
    n = len(target)
    ways = [0] * (n + 1)
    back: list[tuple[int, Operation] | None] = [None] * (n + 1)
    if isinstance(init, str) and target.startswith(init):
        ways[len(init)] += 1
    for value in starts:
        if target.startswith(value):
            ways[len(value)] += 1
    for at in range(n + 1):
        if not ways[at]:
            continue
        for size in lengths:
            piece = appended.get(target[at:at + size])
            if piece is not None and at + size <= n:
                ways[at + size] = min(2, ways[at + size] + ways[at])
                back[at + size] = (at, piece)
    if ways[n] == 0:
        return []
    if ways[n] > 1:
        return None
    spelling = []
    at = n
    while back[at] is not None:
        start, piece = back[at]
        spelling.append((start, piece))
        at = start
    return spelling[::-1]
