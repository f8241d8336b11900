"""Histories for teaching: correct by construction, or broken on purpose.

:func:`random_history` runs a real sequential object. Each client calls its
operations one after another; every operation gets a random interval and a
random instant inside it where it *actually* takes effect, and the object
executes the operations in the order of those instants. The clients' outputs
come from that execution, so the history is linearizable by construction —
the instants are a witness.

:func:`stale_read` and :func:`lost_write` start from such an execution and
break it the way real systems break: a read served from a replica that is
behind, or a write that was acknowledged and then vanished. Not every such
fault is visible (a lost write that nobody reads is indistinguishable from one
overwritten at once), so they retry until the checker sees the violation.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from ..validate import check_choice, check_int, check_probability
from .checker import check
from .history import READS, History, Operation

_KINDS = {
    "register": ("read", "write"),
    "cas-register": ("read", "write", "cas"),
    "kv": ("get", "put", "append"),
}


@dataclass(frozen=True)
class _Planned:
    """One operation before execution: its input, interval and moment of effect."""

    process: int
    kind: str
    key: str | None
    value: Any
    call: float
    ret: float | None
    point: float
    takes_effect: bool


def _plan(
    rng: random.Random, model: str, clients: int, ops_per_client: int, values: int,
    keys: int, pending: float, weighted: tuple[str, ...] | None = None,
    fresh: bool = False,
) -> list[_Planned]:
    """Each client's operations, one after another, with random intervals and moments.

    ``weighted`` is the bag of kinds drawn from (by default reads twice as likely
    as each other kind: more to observe); ``fresh`` makes every written value new.
    """
    kinds = _KINDS[model]
    if weighted is None:
        weighted = (kinds[0],) + kinds
    key_names = [chr(ord("a") + k) for k in range(keys)] if model == "kv" else [None]
    plan = []
    written = 0
    for client in range(clients):
        process = client
        t = round(rng.uniform(0, 2), 1)
        for n in range(ops_per_client):
            kind = rng.choice(weighted)
            if kind in ("write", "cas"):
                written += 1
                value = written if fresh else rng.randint(1, values)
                if kind == "cas":
                    value = (rng.randint(0, values) or None, value)
            elif kind in ("put", "append"):
                value = f"{process}.{n} "
            else:
                value = None
            end = round(t + rng.uniform(1, 4), 1)
            point = rng.uniform(t, end)
            if rng.random() < pending:
                plan.append(_Planned(process, kind, rng.choice(key_names), value, t, None,
                                     point, kind not in READS and rng.random() < 0.5))
                process += clients  # the client gave up and reconnects as a new process
            else:
                plan.append(_Planned(process, kind, rng.choice(key_names), value, t,
                                     end, point, True))
            t = round(end + rng.uniform(0.2, 2), 1)
    plan.sort(key=lambda p: p.call)
    return plan


def _execute(
    plan: list[_Planned], init: Any, lose: int | None = None, stale: tuple[int, float] | None = None
) -> list[Operation]:
    """Run the plan on a sequential object; optionally lose one write or age one read.

    ``lose=i`` acknowledges write ``i`` but never applies it; ``stale=(i, lag)``
    makes read ``i`` return the value its key held ``lag`` time units earlier.
    """
    state: dict[Any, Any] = {}
    history_of: dict[Any, list[tuple[float, Any]]] = {}
    outputs: dict[int, Any] = {}
    for i in sorted(range(len(plan)), key=lambda i: plan[i].point):
        p = plan[i]
        current = state.get(p.key, init)
        if p.kind in READS:
            outputs[i] = current
            if stale is not None and stale[0] == i:
                earlier = [v for t, v in history_of.get(p.key, []) if t <= p.point - stale[1]]
                outputs[i] = earlier[-1] if earlier else init
            continue
        if p.kind == "cas":
            outputs[i] = current == p.value[0]
            new = p.value[1] if outputs[i] else current
        elif p.kind == "append":
            new = current + p.value
        else:
            new = p.value
        if p.takes_effect and i != lose:
            state[p.key] = new
            history_of.setdefault(p.key, []).append((p.point, new))
    ops = []
    for i, p in enumerate(plan):
        output = outputs.get(i) if p.ret is not None else None
        status = "info" if p.ret is None else "fail" if output is False else "ok"
        ops.append(Operation(id=i, process=p.process, kind=p.kind, call=p.call, ret=p.ret,
                             key=p.key, value=p.value, output=output, status=status))
    return ops


def _validate(model: str, clients: int, ops_per_client: int, values: int, keys: int,
              pending: float) -> None:
    check_choice("model", model, tuple(_KINDS))
    for name, v in (("clients", clients), ("ops_per_client", ops_per_client),
                    ("values", values), ("keys", keys)):
        check_int(name, v, min=1)
    check_probability("pending", pending)


def random_history(
    seed: int = 0, *, model: str = "register", clients: int = 3, ops_per_client: int = 3,
    values: int = 3, keys: int = 1, pending: float = 0.0,
) -> History:
    """A random concurrent history that is linearizable by construction.

    ``pending`` is the chance that an operation never returns (it then takes
    effect or not, at random).
    """
    _validate(model, clients, ops_per_client, values, keys, pending)
    rng = random.Random(seed)
    plan = _plan(rng, model, clients, ops_per_client, values, keys, pending)
    init = "" if model == "kv" else None
    meta = {"source": f"random_history(seed={seed})", "perturbed": None}
    return History(tuple(_execute(plan, init)), model=model, init=init, expected=True, meta=meta)


def _broken(how: str, seed: int, model: str, clients: int, ops_per_client: int, values: int,
            keys: int, pending: float) -> History:
    _validate(model, clients, ops_per_client, values, keys, pending)
    init = "" if model == "kv" else None
    for attempt in range(200):
        rng = random.Random(f"{seed}/{how}/{attempt}")
        plan = _plan(rng, model, clients, ops_per_client, values, keys, pending)
        if how == "stale read":
            targets = [i for i, p in enumerate(plan) if p.kind in READS and p.ret is not None]
        else:
            targets = [i for i, p in enumerate(plan)
                       if p.kind in ("write", "put", "append") and p.ret is not None]
        rng.shuffle(targets)
        for i in targets:
            if how == "stale read":
                ops = _execute(plan, init, stale=(i, rng.uniform(1, 4)))
            else:
                ops = _execute(plan, init, lose=i)
            meta = {"source": f"{how.replace(' ', '_')}(seed={seed})", "perturbed": i}
            candidate = History(tuple(ops), model=model, init=init, expected=False, meta=meta)
            if check(candidate).ok is False:
                return candidate
    raise ValueError(f"no visible {how} found for seed {seed}; allow more operations per client")


def stale_read(
    seed: int = 0, *, model: str = "register", clients: int = 3, ops_per_client: int = 3,
    values: int = 3, keys: int = 1, pending: float = 0.0,
) -> History:
    """A history where one read returned a value its key held a little earlier.

    That is what a read served by a lagging follower looks like to a client.
    ``meta["perturbed"]`` is the id of the stale read.
    """
    return _broken("stale read", seed, model, clients, ops_per_client, values, keys, pending)


def lost_write(
    seed: int = 0, *, model: str = "register", clients: int = 3, ops_per_client: int = 3,
    values: int = 3, keys: int = 1, pending: float = 0.0,
) -> History:
    """A history where one acknowledged write never took effect.

    ``meta["perturbed"]`` is the id of the lost write.
    """
    return _broken("lost write", seed, model, clients, ops_per_client, values, keys, pending)


def write_heavy(
    seed: int = 0, *, model: str = "register", clients: int = 14, ops_per_client: int = 30,
    writes: float = 0.8, values: int | None = 50, keys: int = 1, stale: bool = True,
) -> History:
    """A history where most operations write: the hard case for a search.

    For a ``register``, a share ``writes`` of the operations write a value drawn
    from ``values`` (``None``: every write writes a new value, the case
    :mod:`.zones` decides without search); the rest read. For ``kv``, the
    writes are three appends to one put, each of a string no other operation
    writes, over ``keys`` keys; the rest are gets. With ``stale``, one read
    returns the value its key held a little earlier (if some read saw a change
    within the lag); whether that shows depends on the history, so
    ``expected`` is left unknown and ``meta["perturbed"]`` names the read.
    """
    if model not in ("register", "kv"):
        raise ValueError(f"model must be 'register' or 'kv', got {model!r}")
    if values is not None:
        _validate(model, clients, ops_per_client, values, keys, 0.0)
    else:
        _validate(model, clients, ops_per_client, 1, keys, 0.0)
    check_probability("writes", writes)
    rng = random.Random(f"write-heavy/{seed}")
    share = round(writes * 20)
    if model == "register":
        weighted = ("read",) * (20 - share) + ("write",) * share
    else:
        weighted = ("get",) * (20 - share) + ("put",) * (share // 4) + \
            ("append",) * (share - share // 4)
    plan = _plan(rng, model, clients, ops_per_client, values or 1, keys, 0.0,
                 weighted=weighted, fresh=values is None)
    init = "" if model == "kv" else None
    perturbed = None
    ops = _execute(plan, init)
    if stale:
        reads = [i for i, p in enumerate(plan) if p.kind in READS]
        rng.shuffle(reads)
        for i in reads:
            aged = _execute(plan, init, stale=(i, rng.uniform(1, 4)))
            if aged[i].output != ops[i].output:
                ops, perturbed = aged, i
                break
    meta = {"source": f"write_heavy(seed={seed})", "perturbed": perturbed}
    expected = True if perturbed is None else None
    return History(tuple(ops), model=model, init=init, expected=expected, meta=meta)
