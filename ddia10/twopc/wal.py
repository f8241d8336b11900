"""A write-ahead log kept in a process's stable storage.

Record ``n`` is stored under the key ``wal:n`` (one ``persist`` per record,
so appending never copies the log), and :func:`records` reads them back in
order. A record is a plain tuple whose first item says what it is:

======================================================  ==========================
record                                                  written by
======================================================  ==========================
``("prepare", txn, writes, participants)``              a participant, before it
                                                        votes yes (forced)
``("commit", txn)`` / ``("abort", txn)``                a participant, the outcome
``("decision", txn, outcome, participants)``            the coordinator, before
                                                        anyone hears the outcome
``("end", txn)``                                        the coordinator, once every
                                                        participant acknowledged
======================================================  ==========================

Records may come back from JSON (the real coordinator's log file) with lists
where tuples were written; :func:`records` turns them back into tuples.
"""

from __future__ import annotations

from typing import Any

from ..sim.context import Context

PREFIX = "wal:"


def append(ctx: Context, length: int, record: tuple) -> int:
    """Write ``record`` as record ``length + 1``; the new length."""
    ctx.persist(f"{PREFIX}{length + 1}", record)
    return length + 1


def records(stable: dict) -> list[tuple]:
    """Every record in ``stable``, in the order written."""
    numbered = sorted(
        (int(key[len(PREFIX):]), value) for key, value in stable.items()
        if isinstance(key, str) and key.startswith(PREFIX)
    )
    return [_tuples(value) for _n, value in numbered]


def _tuples(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_tuples(v) for v in value)
    return value
