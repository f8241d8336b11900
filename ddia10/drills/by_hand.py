"""Drill, chapter 1: check a tiny history for linearizability by hand.

The reader is given a history of a few operations on one register and writes
down an order for them — a list of operation ids, their linearization — or
``None`` if they believe no order exists. :func:`check_linearization` judges
the answer against the rules of chapter 1, one at a time, and names the first
one it breaks: every completed operation appears once; an operation that
returned before another was invoked comes first (real time); each read
returns the value of the latest write before it (the register). A ``None``
is checked against the book's checker; if the history *is* linearizable the
report says so and points at the overlapping operations, where the freedom
is.

The classic mistakes it catches: ordering the operations by when they were
invoked, ignoring real time (a stale read placed before the write it should
see), leaving out an operation, and calling a history with overlapping
operations non-linearizable.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..linearizability import History, check, history, violation_core
from ..validate import check_instance
from .report import DrillReport, failed, passed

DRILL = "linearizability by hand"
ONCE = "every completed operation appears once in the order (a pending one may be left out)"
REAL_TIME = "real time: an operation that returned before another was invoked comes first"
REGISTER = "the register: each read returns the value of the latest write before it"
EXISTS = "a history is linearizable when some order respects real time and the register"


def tiny_history() -> History:
    """The drill's history: four operations on a register that starts at 0.

    A writes 1 from t=0 to t=4 and B writes 2 from t=1 to t=2; C reads 1
    from t=3 to t=5, and D reads 1 from t=6 to t=7."""
    return history([
        ("A", "write", 1, None, 0, 4),
        ("B", "write", 2, None, 1, 2),
        ("C", "read", None, 1, 3, 5),
        ("D", "read", None, 1, 6, 7),
    ], model="register", init=0)


def tiny_stale_history() -> History:
    """A second history, not linearizable: B reads 0 after A's write of 1 returned."""
    return history([
        ("A", "write", 1, None, 0, 2),
        ("B", "read", None, 1, 1, 3),
        ("B", "read", None, 0, 4, 5),
    ], model="register", init=0)


def check_linearization(hist: History, order: Sequence[int] | None) -> DrillReport:
    """Judge the reader's ``order`` (operation ids) for ``hist``, or their ``None``."""
    check_instance("history", hist, History)
    if order is ...:
        return DrillReport(DRILL, "not yet", explanation="write your order (a list of "
                           "operation ids), or None if you think there is none.")
    verdict = check(hist)
    if order is None:
        if verdict.ok:
            pairs = [(a.id, b.id) for a in hist for b in hist
                     if a.id < b.id and not a.precedes(b) and not b.precedes(a)]
            return failed(DRILL, EXISTS, "this history is linearizable: an order exists. "
                          f"Look at the operations that overlap ({pairs}): either of two "
                          "overlapping operations may take effect first.", history=hist)
        return passed(DRILL, ["you saw that no order exists: "
                              f"{len(violation_core(hist))} operations already rule it out"])
    if not isinstance(order, (list, tuple)):
        raise ValueError(f"your order must be a list of operation ids or None, got {order!r}")
    by_id = {op.id: op for op in hist}
    unknown = [i for i in order if i not in by_id]
    missing = [op.id for op in hist if not op.pending and op.id not in order]
    twice = sorted({i for i in order if list(order).count(i) > 1})
    if unknown or missing or twice:
        what = "; ".join(x for x in (
            f"no operation has id {unknown}" if unknown else "",
            f"operations {missing} are missing" if missing else "",
            f"operations {twice} appear more than once" if twice else "") if x)
        return failed(DRILL, ONCE, what + ".", history=hist)
    ops = [by_id[i] for i in order]
    for k, later in enumerate(ops):
        for earlier in ops[k + 1:]:
            if earlier.precedes(later):
                return failed(DRILL, REAL_TIME,
                              f"you put {later.id} ({later.describe()}, invoked at "
                              f"{later.call:g}) before {earlier.id} ({earlier.describe()}), "
                              f"which returned at {earlier.ret:g}, before {later.id} began.",
                              history=hist)
    value = hist.init
    for k, op in enumerate(ops):
        if op.kind == "write":
            value = op.value
        elif op.output != value:
            return failed(DRILL, REGISTER,
                          f"in your order, operation {op.id} ({op.describe()}) comes at "
                          f"position {k + 1}, where the register holds {value!r}.",
                          history=hist)
    return passed(DRILL, ["every completed operation once", "real time respected",
                          "every read returns the latest write before it"])
