"""The consistency ladder: checkers for the models weaker than linearizability.

Chapter 1 checks linearizability (:mod:`ddia10.linearizability`). Chapter 9's
ladder needs the rungs below it, each a weaker promise about the same kind of
history (clients reading and writing registers, one register per key):

- **Linearizable**: one order of all operations that respects real time and
  that a single copy accepts (Herlihy and Wing).
- **Sequentially consistent**: one order of all operations that keeps each
  client's own order (its *program order*) and that a single copy accepts;
  real time between clients does not count (Lamport, 1979). A read may be
  stale, as long as every client sees the same story.
- **Causally consistent** (causal memory, Ahamad et al. 1995): writes that
  are causally related — by a client's own order, or because a client read
  one value before writing the next — are seen by everyone in that order;
  concurrent writes may be seen in different orders by different clients.
  Formally, following Bouajjani et al. (2017): let *causal order* be the
  transitive closure of program order and *reads-from* (a write before every
  read that returns its value); it must be acyclic, and for every client
  there must be an order of *all writes and that client's reads* that
  extends causal order and in which each of its reads returns the latest
  write to its key.
- **Eventually consistent**: a liveness promise (replicas converge once
  writes stop) that no finite history can break; its safety part is that a
  read returns the initial value or some value that was written, never one
  out of thin air. That is what this checker checks.

The checkers take complete histories (every operation returned) of reads and
writes (``read``/``get`` and ``write``/``put``) in which no two writes to one
key write the same value, so a read names the write it read from. Each
returns a :class:`ModelVerdict` with a witness (an order) or the reason none
exists. :func:`ladder` asks every rung at once; :func:`strongest_model`
names the highest the history reaches.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from .linearizability import History, Operation, check
from .validate import check_instance

LINEARIZABLE = "linearizable"
SEQUENTIAL = "sequentially consistent"
CAUSAL = "causally consistent"
EVENTUAL = "eventually consistent"
LADDER = (LINEARIZABLE, SEQUENTIAL, CAUSAL, EVENTUAL)
"""The rungs, strongest first: each history a rung accepts, every rung below accepts too."""

_READS, _WRITES = ("read", "get"), ("write", "put")
_LIMIT = 22  # operations: the searches below are exponential in the worst case


@dataclass(frozen=True)
class ModelVerdict:
    """Whether a history satisfies ``model``; ``order`` is a witness (operation
    ids), per client for causal consistency (``orders``); ``reason`` says why not."""

    model: str
    ok: bool
    order: tuple[int, ...] = ()
    orders: tuple[tuple[Hashable, tuple[int, ...]], ...] = ()
    reason: str = ""


def _checked(history: History) -> list[Operation]:
    check_instance("history", history, History)
    ops = list(history.ops)
    if len(ops) > _LIMIT:
        raise ValueError(f"these checkers search every order; give them at most {_LIMIT} "
                         f"operations, not {len(ops)}")
    for op in ops:
        if op.pending or op.failed:
            raise ValueError(f"operation {op.id} ({op.describe()}) did not complete: the weaker "
                             "models here take complete histories")
        if op.kind not in _READS + _WRITES:
            raise ValueError(f"operation {op.id} is a {op.kind!r}: these checkers know reads "
                             "and writes only")
    written: dict = {}
    for op in ops:
        if op.kind in _WRITES:
            if (op.key, op.value) in written:
                raise ValueError(f"operations {written[(op.key, op.value)]} and {op.id} both "
                                 f"write {op.value!r}: give every write its own value")
            written[(op.key, op.value)] = op.id
    return ops


def _program_order(ops: list[Operation]) -> dict[Hashable, list[Operation]]:
    by_client: dict[Hashable, list[Operation]] = {}
    for op in sorted(ops, key=lambda o: (o.call, o.id)):
        by_client.setdefault(op.process, []).append(op)
    return by_client


def linearizable(history: History) -> ModelVerdict:
    """The top rung, by the book's checker (:func:`ddia10.linearizability.check`)."""
    _checked(history)
    result = check(history)
    if result.ok:
        return ModelVerdict(LINEARIZABLE, True, tuple(p.op.id for p in result.linearization))
    return ModelVerdict(LINEARIZABLE, False, reason=result.reason or "no order respects "
                        "real time and the register")


def sequentially_consistent(history: History) -> ModelVerdict:
    """Is there one order of all operations that keeps every client's own order
    and in which each read returns the latest write to its key?"""
    ops = _checked(history)
    clients = list(_program_order(ops).values())
    init = history.init
    seen: set = set()

    def search(positions: tuple[int, ...], store: tuple) -> tuple[int, ...] | None:
        if all(p == len(c) for p, c in zip(positions, clients, strict=True)):
            return ()
        if (positions, store) in seen:
            return None
        seen.add((positions, store))
        values = dict(store)
        for i, client in enumerate(clients):
            if positions[i] == len(client):
                continue
            op = client[positions[i]]
            if op.kind in _READS:
                if values.get(op.key, init) != op.output:
                    continue
                after = store
            else:
                after = tuple(sorted({**values, op.key: op.value}.items(), key=repr))
            rest = search(positions[:i] + (positions[i] + 1,) + positions[i + 1:], after)
            if rest is not None:
                return (op.id,) + rest
        return None

    order = search(tuple(0 for _ in clients), ())
    if order is not None:
        return ModelVerdict(SEQUENTIAL, True, order)
    return ModelVerdict(SEQUENTIAL, False, reason="no single order of all operations keeps "
                        "every client's own order and gives every read its value")


def _reads_from(ops: list[Operation], init) -> dict[int, int | None] | str:
    """Each read's write (None: the initial value), or why a read has none."""
    writer = {(op.key, op.value): op.id for op in ops if op.kind in _WRITES}
    out: dict[int, int | None] = {}
    for op in ops:
        if op.kind in _READS:
            if (op.key, op.output) in writer:
                out[op.id] = writer[(op.key, op.output)]
            elif op.output == init:
                out[op.id] = None
            else:
                return (f"operation {op.id} ({op.describe()}) read {op.output!r}, which no "
                        "write wrote: a value out of thin air")
    return out


def eventually_consistent(history: History) -> ModelVerdict:
    """The safety part of eventual consistency: no read returns a value out of thin air."""
    ops = _checked(history)
    found = _reads_from(ops, history.init)
    if isinstance(found, str):
        return ModelVerdict(EVENTUAL, False, reason=found)
    return ModelVerdict(EVENTUAL, True)


def causal_order(history: History) -> set[tuple[int, int]] | str:
    """Causal order as (earlier id, later id) pairs: the transitive closure of
    program order and reads-from; or why it does not exist (a read from thin
    air, or a cycle)."""
    ops = _checked(history)
    found = _reads_from(ops, history.init)
    if isinstance(found, str):
        return found
    edges: set[tuple[int, int]] = set()
    for client in _program_order(ops).values():
        edges |= {(a.id, b.id) for i, a in enumerate(client) for b in client[i + 1:]}
    edges |= {(w, r) for r, w in found.items() if w is not None}
    closure = set(edges)
    ids = [op.id for op in ops]
    for k in ids:  # Floyd-Warshall on a handful of operations
        for i in ids:
            if (i, k) in closure:
                closure |= {(i, j) for j in ids if (k, j) in closure}
    cyclic = sorted(i for i in ids if (i, i) in closure)
    if cyclic:
        return f"causal order has a cycle through operations {cyclic}"
    return closure


def causally_consistent(history: History) -> ModelVerdict:
    """Causal memory: for each client, an order of all writes and its own reads
    that extends causal order and gives each of its reads its value."""
    ops = _checked(history)
    co = causal_order(history)
    if isinstance(co, str):
        return ModelVerdict(CAUSAL, False, reason=co)
    writes = [op for op in ops if op.kind in _WRITES]
    orders = []
    for client, mine in _program_order(ops).items():
        events = writes + [op for op in mine if op.kind in _READS]
        order = _serialize(events, co, history.init)
        if order is None:
            return ModelVerdict(CAUSAL, False, reason=(
                f"client {client!r} cannot see the writes in any order that respects "
                "causality and still read what it read"))
        orders.append((client, order))
    return ModelVerdict(CAUSAL, True, orders=tuple(orders))


def _serialize(events: list[Operation], co: set, init) -> tuple[int, ...] | None:
    index = {op.id: i for i, op in enumerate(events)}
    needs = [0] * len(events)
    for a, b in co:
        if a in index and b in index:
            needs[index[b]] |= 1 << index[a]
    seen: set = set()

    def search(placed: int, store: tuple) -> tuple[int, ...] | None:
        if placed == (1 << len(events)) - 1:
            return ()
        if (placed, store) in seen:
            return None
        seen.add((placed, store))
        values = dict(store)
        for i, op in enumerate(events):
            if placed >> i & 1 or needs[i] & placed != needs[i]:
                continue
            if op.kind in _READS:
                if values.get(op.key, init) != op.output:
                    continue
                after = store
            else:
                after = tuple(sorted({**values, op.key: op.value}.items(), key=repr))
            rest = search(placed | 1 << i, after)
            if rest is not None:
                return (op.id,) + rest
        return None

    return search(0, ())


_CHECKERS = {LINEARIZABLE: linearizable, SEQUENTIAL: sequentially_consistent,
             CAUSAL: causally_consistent, EVENTUAL: eventually_consistent}


def ladder(history: History) -> dict[str, ModelVerdict]:
    """Every rung's verdict on ``history``, strongest first."""
    return {model: _CHECKERS[model](history) for model in LADDER}


def strongest_model(history: History) -> str | None:
    """The strongest rung ``history`` reaches (``None``: not even the weakest)."""
    verdicts = ladder(history)
    return next((m for m in LADDER if verdicts[m].ok), None)
