"""Linearizability: histories, sequential models, a checker and history generators.

- :mod:`.history`: operations with call and return times, JSON load/save, strict
  validation with Jepsen's meaning of ``ok``/``fail``/``info``.
- :mod:`.formats`: Jepsen EDN histories and Jepsen logs (Porcupine's test data).
- :mod:`.models`: sequential specifications (register, CAS register, key-value store)
  and :class:`Model`, for a reader's own.
- :mod:`.checker`: :func:`check`, one key at a time, by the fastest exact method:
  :mod:`.zones` (distinct-value registers, no search), :mod:`.registers` (what
  each read can have read) and :mod:`.search` (Wing and Gong with Lowe's memo),
  bounded in time and memory.
- :mod:`.core`: :func:`violation_core`, a well-formed 1-minimal failing piece.
- :mod:`.generate`: random histories that are linearizable by construction, ones
  broken by a stale read or a lost write, and write-heavy ones for benchmarks.
- ``python -m ddia10.linearizability check HISTORY``: the command line.

Chapter 1 (``notebooks/01_linearizability.ipynb``) introduces all of it; what it
stages (a leader with asynchronous followers whose follower reads the checker
catches, the CAP map) is in :mod:`ddia10.scenarios.linearizability`.
"""

from .checker import (
    LINEARIZABLE,
    NOT_LINEARIZABLE,
    UNKNOWN,
    CheckResult,
    Point,
    check,
)
from .core import violation_core
from .history import (
    History,
    HistoryError,
    Operation,
    history,
    history_from_dict,
    history_from_trace,
    load_history,
    save_history,
    trace_operations,
)
from .models import ILLEGAL, Model, cas_register, kv, model_for, register

__all__ = [
    "ILLEGAL",
    "LINEARIZABLE",
    "NOT_LINEARIZABLE",
    "UNKNOWN",
    "CheckResult",
    "History",
    "HistoryError",
    "Model",
    "Operation",
    "Point",
    "cas_register",
    "check",
    "history",
    "history_from_dict",
    "history_from_trace",
    "trace_operations",
    "kv",
    "load_history",
    "model_for",
    "register",
    "save_history",
    "violation_core",
]
