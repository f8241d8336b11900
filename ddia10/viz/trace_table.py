"""A trace as a table: one row per event, for reading a run in a notebook.

The simulator imports no pandas; this view turns any
:class:`~ddia10.sim.Trace` (live, or loaded from JSON) into a DataFrame.
"""

from __future__ import annotations

from ..sim.trace import Trace, abbreviate

COLUMNS = ("index", "time", "kind", "pid", "src", "dst", "id", "msg_type", "msg", "detail")
"""The table's columns: where and when, the message fields, then the rest of the event."""


def trace_table(trace: Trace):
    """One row per event of ``trace`` (pandas DataFrame, :data:`COLUMNS`): its
    index, time, kind and process, a message's source, destination, id, type
    and contents, and the event's other fields as ``detail``."""
    import pandas as pd

    if not isinstance(trace, Trace):
        raise TypeError(f"trace_table takes a Trace, got {type(trace).__name__}")
    rows = []
    for e in trace.events:
        d = e.data
        detail = {k: v for k, v in d.items() if k not in ("id", "src", "dst", "msg")}
        rows.append({
            "index": e.index,
            "time": e.time,
            "kind": e.kind,
            "pid": e.pid,
            "src": d.get("src"),
            "dst": d.get("dst"),
            "id": d.get("id"),
            "msg_type": e.msg_type,
            "msg": abbreviate(d["msg"]) if "msg" in d else None,
            "detail": abbreviate(detail) if detail else "",
        })
    return pd.DataFrame(rows, columns=list(COLUMNS))
