"""Linearizability: histories, sequential models, a checker and history generators.

- :mod:`.history`: operations with call and return times, JSON load/save, validation.
- :mod:`.models`: sequential specifications (register, CAS register, key-value store)
  and :class:`Model`, for a reader's own.
- :mod:`.checker`: :func:`check` (Wing and Gong's search with Lowe's memoisation,
  one key at a time) and :func:`violation_core`.
- :mod:`.generate`: random histories that are linearizable by construction, and
  ones broken by a stale read or a lost write.

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
    violation_core,
)
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
