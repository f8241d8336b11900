"""Sequential specifications: what one copy of the object would do, one call at a time.

Linearizability is always *relative to a sequential model*: a history is
linearizable when its operations can be put in one order that (1) respects
real time and (2) the model accepts, step by step, with the outputs the
clients actually saw.

A model here is small: an initial ``init`` state and a ``step(state, op)``
that returns the next state, or :data:`ILLEGAL` when the operation could not
have returned ``op.output`` from ``state``. States must be hashable and compare
by value (ints, strings, tuples, frozen dataclasses): the checker memoises
the states it has explored. A ``partition`` function splits a history into
independent sub-histories (one per key of a key-value store) — Herlihy and
Wing's *locality*: a history is linearizable iff each object's sub-history is.

For a pending operation (``op.pending``) the output is unknown, so ``step``
must accept it in every state where its *input* makes sense.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from .history import READS, Operation


class _Illegal:
    """The step result meaning "the model could not have produced this output"."""

    _instance: _Illegal | None = None

    def __new__(cls) -> _Illegal:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ILLEGAL"


ILLEGAL: Any = _Illegal()
"""Returned by a step when the operation's output is impossible in that state."""

Step = Callable[[Any], Any]


@dataclass(frozen=True)
class Model:
    """A sequential specification the checker can search with.

    ``step(state, op)`` returns the new state or :data:`ILLEGAL`. ``compile``
    (optional) turns one operation into a one-argument function of the state —
    the same rule, specialised once per operation so the search does not
    re-dispatch on the operation's kind millions of times. ``observer(op)``
    (optional) says that ``op`` never changes the state when it is legal (a
    read, a failed compare-and-set); the checker may then place it greedily.
    """

    name: str
    init: Hashable
    step: Callable[[Any, Operation], Any] | None = None
    compile: Callable[[Operation], Step] | None = None
    observer: Callable[[Operation], bool] | None = None
    partition: Callable[[Operation], Hashable] | None = None

    def __post_init__(self) -> None:
        if self.step is None and self.compile is None:
            raise ValueError(f"model {self.name!r} needs a step or a compile function")
        try:
            hash(self.init)
        except TypeError:
            raise ValueError(
                f"model {self.name!r}: the initial state must be hashable, got {self.init!r}"
            ) from None

    def step_fn(self, op: Operation) -> Step:
        """The model's rule for ``op`` as a function of the state alone."""
        if self.compile is not None:
            return self.compile(op)
        step = self.step
        return lambda state: step(state, op)

    def apply(self, state: Any, op: Operation) -> Any:
        """One step: the state after ``op``, or :data:`ILLEGAL`."""
        if self.step is not None:
            return self.step(state, op)
        return self.compile(op)(state)

    def is_observer(self, op: Operation) -> bool:
        return self.observer is not None and self.observer(op)


def _register_rule(op: Operation) -> Step:
    """Read/write/compare-and-set on one register; state is the current value."""
    kind, out = op.kind, op.output
    if kind in READS:
        if op.pending:
            return lambda s: s
        return lambda s: s if s == out else ILLEGAL
    if kind in ("write", "put"):
        new = op.value
        return lambda s: new
    if kind == "append":
        suffix = op.value
        return lambda s: s + suffix
    if kind == "cas":
        old, new = op.value
        if op.pending:
            return lambda s: new if s == old else s
        if out:
            return lambda s: new if s == old else ILLEGAL
        return lambda s: ILLEGAL if s == old else s
    raise ValueError(f"operation {op.id}: no rule for {kind!r}")


def _is_observer(op: Operation) -> bool:
    if op.pending:
        return False
    return op.kind in READS or (op.kind == "cas" and op.output is False)


def register(init: Hashable = None) -> Model:
    """A read/write register (reads return the last value written)."""
    return Model("register", init, compile=_register_rule, observer=_is_observer)


def cas_register(init: Hashable = None) -> Model:
    """A register with compare-and-set: ``cas(old, new)`` swaps only if it holds ``old``."""
    return Model("cas-register", init, compile=_register_rule, observer=_is_observer)


def kv(init: str = "") -> Model:
    """A key-value store of strings (get/put/append/cas), checked one key at a time."""
    return Model(
        "kv", init, compile=_register_rule, observer=_is_observer, partition=lambda op: op.key
    )


def is_builtin(model: Model) -> bool:
    """True for the register, CAS register and key-value models of this module, whose
    reads and writes the checker may reason about without search."""
    return model.compile is _register_rule and model.step is None


def model_for(name: str, init: Any = None) -> Model:
    """The built-in model a history file names (``register``, ``cas-register``, ``kv``)."""
    if name == "register":
        return register(init)
    if name == "cas-register":
        return cas_register(init)
    if name == "kv":
        return kv("" if init is None else init)
    raise ValueError(f"unknown model {name!r}; expected register, cas-register or kv")
