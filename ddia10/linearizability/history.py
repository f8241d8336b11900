"""Operations and histories: what clients saw, as a linearizability checker reads it.

A *history* is the record of a concurrent test: every operation a client
process invoked, when it was called, when (and whether) it returned, and what
it returned. Time only matters through its order: operation A *precedes* B in
real time when A returned strictly before B was called; otherwise the two are
concurrent and either may take effect first.

Statuses follow Jepsen's meaning:

- ``ok``: the operation happened, and ``output`` is what it returned.
- ``fail``: the operation certainly did *not* happen. It drops out of the check;
  only a compare-and-set that reports ``output: false`` still says something:
  its compare ran and saw another value.
- ``info`` (or ``pending``): nobody knows. The operation may have taken effect at
  any moment after its call, or never, and its output is unknown; it has no
  return time (one given with ``info`` is ignored, since the effect may come
  later still). The client that gave up continues, if at all, as a new process.

One process runs one operation at a time: two operations of the same process
that overlap are an error, as is a missing ``output`` on a completed read or a
missing ``value`` on a write.

The JSON format is the one of the book's shared history files::

    {"model": "cas-register" | "register" | "kv", "init": ..., "expected": true | false,
     "ops": [{"process": 0, "call": 0, "return": 3 | null, "op": "read",
              "key": null, "value": null, "output": 1, "status": "ok"}, ...]}
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

KINDS = ("read", "write", "cas", "get", "put", "append")
STATUSES = ("ok", "fail", "info", "pending")
READS = ("read", "get")
"""Kinds that observe the state and change nothing (when they return)."""
MODEL_NAMES = ("register", "cas-register", "kv")
"""Built-in models; a history naming another model is checked with the reader's own."""


class HistoryError(ValueError):
    """A history that no checker should accept: it names the offending operation."""


@dataclass(frozen=True)
class Operation:
    """One client operation: who called it, when, what it asked and what it got.

    ``ret`` is ``None`` for a pending operation. ``value`` is the argument
    (the value written, ``(expected, new)`` for a compare-and-set, the string
    put or appended); ``output`` is what the client saw (the value read, the
    boolean a compare-and-set returned).
    """

    id: int
    process: int | str
    kind: str
    call: float
    ret: float | None
    value: Any = None
    output: Any = None
    key: str | None = None
    status: str = "ok"

    @property
    def pending(self) -> bool:
        """True when the operation never returned: it may or may not have happened."""
        return self.ret is None

    @property
    def failed(self) -> bool:
        """True for status ``fail``: the operation certainly did not take effect."""
        return self.status == "fail"

    @property
    def end(self) -> float:
        """The return time, or infinity for a pending operation."""
        return math.inf if self.ret is None else self.ret

    def precedes(self, other: Operation) -> bool:
        """Real-time order: self returned strictly before ``other`` was called."""
        return self.ret is not None and self.ret < other.call

    def describe(self, width: int | None = None) -> str:
        """A short human label such as ``p3 cas(1→2)=false`` or ``bob read→0``.

        ``width`` shortens each value shown to that many characters.
        """
        def show(v: Any) -> str:
            text = repr(v)
            return text if width is None or len(text) <= width else text[:width - 1] + "…"

        key = f"[{self.key}]" if self.key is not None else ""
        who = row_label(self.process)
        if self.kind in READS:
            shown = "?" if self.pending else "failed" if self.failed else show(self.output)
            return f"{who} {self.kind}{key}→{shown}"
        if self.kind == "cas":
            old, new = self.value
            result = "?" if self.pending else "failed" if self.output is None \
                else str(self.output).lower()
            return f"{who} cas{key}({show(old)}→{show(new)})={result}"
        failed = " failed" if self.failed else ""
        if self.kind in KINDS:
            return f"{who} {self.kind}{key}({show(self.value)}){failed}"
        shown = "?" if self.pending else show(self.output)
        return f"{who} {self.kind}{key}({show(self.value)})→{shown}"


@dataclass(frozen=True)
class History:
    """An immutable list of operations plus the model they are checked against."""

    ops: tuple[Operation, ...]
    model: str = "cas-register"
    init: Any = None
    expected: bool | None = None
    meta: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.model, str) or not self.model:
            raise HistoryError(f"a history names its model with a string, got {self.model!r}")
        ops = tuple(self.ops)
        object.__setattr__(self, "ops", ops)
        seen: set[int] = set()
        for op in ops:
            if not isinstance(op, Operation):
                raise HistoryError(f"history entries must be Operation, got {type(op).__name__}")
            if op.id in seen:
                raise HistoryError(f"operation id {op.id} appears twice")
            seen.add(op.id)
            validate_operation(op, self.model)
        _check_one_at_a_time(ops)

    def __len__(self) -> int:
        return len(self.ops)

    def __iter__(self):
        return iter(self.ops)

    def __getitem__(self, op_id: int) -> Operation:
        for op in self.ops:
            if op.id == op_id:
                return op
        raise KeyError(f"no operation with id {op_id}")

    @property
    def processes(self) -> list:
        """Client processes in order of first call."""
        order: dict = {}
        for op in sorted(self.ops, key=lambda o: o.call):
            order.setdefault(op.process, None)
        return list(order)

    def by_key(self) -> dict[str | None, list[Operation]]:
        """Operations grouped by key (``None`` for a single register)."""
        groups: dict[str | None, list[Operation]] = {}
        for op in self.ops:
            groups.setdefault(op.key, []).append(op)
        return groups

    def renumbered(self, mapping: dict[int, int] | None = None) -> History:
        """The same history with operation ids remapped (default 0..n-1 by call time)."""
        if mapping is None:
            ordered = sorted(self.ops, key=lambda o: (o.call, o.id))
            mapping = {op.id: i for i, op in enumerate(ordered)}
        return replace(self, ops=tuple(replace(op, id=mapping[op.id]) for op in self.ops))

    def with_processes(self, mapping: dict) -> History:
        """The same history with client processes renamed."""
        return replace(
            self, ops=tuple(replace(op, process=mapping[op.process]) for op in self.ops)
        )

    def ignoring_real_time(self) -> History:
        """Every operation stretched over the whole history, so all overlap.

        Checking the result asks only "is there *some* serial order the model
        accepts?" — serializability of one-operation transactions — because no
        operation precedes another any more. Pending operations stay optional.
        A client with several operations becomes one client per operation
        (``A:1``, ``A:2``, ...), since one client's operations may not overlap.
        """
        if not self.ops:
            return self
        start = min(op.call for op in self.ops)
        end = max(op.ret if op.ret is not None else op.call for op in self.ops)
        per_client: dict = {}
        for op in self.ops:
            per_client[op.process] = per_client.get(op.process, 0) + 1
        seen: dict = {}
        stretched = []
        for op in sorted(self.ops, key=lambda o: (o.call, o.id)):
            process = op.process
            if per_client[process] > 1:
                seen[process] = seen.get(process, 0) + 1
                process = f"{row_label(process)}:{seen[process]}"
            stretched.append(replace(op, process=process, call=start,
                                     ret=None if op.pending else end))
        order = {op.id: i for i, op in enumerate(self.ops)}
        stretched.sort(key=lambda o: order[o.id])
        return replace(self, ops=tuple(stretched))

    def to_dict(self) -> dict:
        """The shared JSON form of this history."""
        data: dict[str, Any] = {"model": self.model, "init": self.init}
        if self.expected is not None:
            data["expected"] = self.expected
        data.update({k: v for k, v in self.meta.items() if k not in data})
        data["ops"] = [_op_to_dict(op) for op in self.ops]
        return data


def row_label(process) -> str:
    """How a client is named in labels: ``p3`` for numbered clients, the name otherwise."""
    return f"p{process}" if isinstance(process, int) else str(process)


def _check_one_at_a_time(ops: tuple[Operation, ...]) -> None:
    """A process is one client thread: its next call comes after its last return."""
    last: dict = {}
    for op in sorted(ops, key=lambda o: (o.call, o.id)):
        before = last.get(op.process)
        if before is not None and (before.ret is None or before.ret > op.call):
            when = ("never returned" if before.ret is None
                    else f"returned at {before.ret}")
            hint = (" (a client that gives up on an operation continues as a new process)"
                    if before.ret is None else "")
            raise HistoryError(
                f"operations {before.id} ({before.describe()}) and {op.id} ({op.describe()}) "
                f"of process {op.process!r} overlap: {op.id} is called at {op.call} while "
                f"{before.id}, called at {before.call}, {when}{hint}"
            )
        last[op.process] = op


def _op_to_dict(op: Operation) -> dict:
    value = list(op.value) if op.kind == "cas" else op.value
    return {
        "id": op.id,
        "process": op.process,
        "call": op.call,
        "return": op.ret,
        "op": op.kind,
        "key": op.key,
        "value": value,
        "output": op.output,
        "status": op.status,
    }


_KINDS_OF_MODEL = {
    "register": ("read", "write"),
    "cas-register": ("read", "write", "cas"),
    "kv": ("get", "put", "append", "cas"),
}


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and not math.isnan(x)


def _is_scalar(x: Any) -> bool:
    return x is None or isinstance(x, (int, float, str, bool))


def validate_operation(op: Operation, model: str) -> None:
    """Reject an operation the model cannot interpret, naming it in the message.

    Times and status are checked for every model; argument and output types only
    for the built-in ones (a reader's own model knows its own operations).
    """
    name = f"operation {op.id} ({op.kind!r} by process {op.process!r}, called at {op.call!r})"
    if not isinstance(op.kind, str) or not op.kind:
        raise HistoryError(f"operation {op.id}: op must be a non-empty string, got {op.kind!r}")
    if model in _KINDS_OF_MODEL and op.kind not in _KINDS_OF_MODEL[model]:
        raise HistoryError(
            f"{name}: unknown op for a {model} model, which knows {_KINDS_OF_MODEL[model]}"
        )
    if not _is_number(op.call):
        raise HistoryError(f"{name}: call time must be a number, got {op.call!r}")
    if op.ret is not None:
        if not _is_number(op.ret):
            raise HistoryError(f"{name}: return time must be a number or null, got {op.ret!r}")
        if op.ret < op.call:
            raise HistoryError(f"{name}: returns at {op.ret} before it was called at {op.call}")
    if op.status not in STATUSES:
        raise HistoryError(f"{name}: unknown status {op.status!r}; expected one of {STATUSES}")
    if (op.ret is None) != (op.status in ("info", "pending")):
        raise HistoryError(
            f"{name}: status {op.status!r} does not match return time {op.ret!r} "
            "(only 'info' or 'pending' operations lack a return)"
        )
    if model not in _KINDS_OF_MODEL:
        return
    if model == "kv":
        if not isinstance(op.key, str):
            raise HistoryError(f"{name}: a kv operation needs a string key, got {op.key!r}")
    elif op.key is not None:
        raise HistoryError(f"{name}: a single register takes no key, got {op.key!r}")
    answered = op.status == "ok"
    if op.kind == "write" and not _is_scalar(op.value):
        raise HistoryError(f"{name}: the value written must be a scalar, got {op.value!r}")
    if op.kind == "read" and answered and not _is_scalar(op.output):
        raise HistoryError(f"{name}: the value read must be a scalar, got {op.output!r}")
    if op.kind == "cas":
        if not (isinstance(op.value, tuple) and len(op.value) == 2):
            raise HistoryError(f"{name}: cas needs value [expected, new], got {op.value!r}")
        if not all(_is_scalar(v) for v in op.value):
            raise HistoryError(f"{name}: cas values must be scalars, got {op.value!r}")
        if answered and not isinstance(op.output, bool):
            raise HistoryError(f"{name}: cas output must be true or false, got {op.output!r}")
        if op.status == "fail" and op.output not in (None, False):
            raise HistoryError(f"{name}: a failed cas did not swap, yet its output is "
                               f"{op.output!r}")
    if op.kind in ("put", "append") and not isinstance(op.value, str):
        raise HistoryError(f"{name}: {op.kind} needs a string value, got {op.value!r}")
    if op.kind == "get" and answered and not isinstance(op.output, str):
        raise HistoryError(f"{name}: get must return a string, got {op.output!r}")


_ARGUMENTS = ("write", "cas", "put", "append")


def make_operation(
    data: dict, index: int, *, default_id: int | None = None
) -> Operation:
    """Build an Operation from one JSON object; ``index`` names it in errors.

    Strict: a completed read needs ``output`` (``null`` is a value: the empty
    register), a write, compare-and-set, put or append needs ``value``.
    """
    if not isinstance(data, dict):
        raise HistoryError(f"operation {index}: expected a JSON object, got {data!r}")
    missing = [k for k in ("process", "call", "op") if k not in data]
    if "return" not in data and "ret" not in data:
        missing.append("return")
    if missing:
        raise HistoryError(f"operation {index}: missing field(s) {', '.join(missing)}")
    ret = data["return"] if "return" in data else data["ret"]
    kind = data["op"]
    status = data.get("status") or ("pending" if ret is None else "ok")
    if status == "info":
        ret = None  # the effect may come at any time after the call, even after the info
    op_id = data.get("id", index if default_id is None else default_id)
    name = (f"operation {op_id} ({kind!r} by process {data['process']!r}, "
            f"called at {data['call']!r})")
    if kind in _ARGUMENTS and "value" not in data:
        raise HistoryError(f"{name}: no 'value' (what it wrote); write null explicitly if meant")
    completed = ret is not None and status == "ok"
    if completed and (kind in READS or kind == "cas") and "output" not in data:
        raise HistoryError(f"{name}: completed with status 'ok' but no 'output' "
                           "(what it returned); write null explicitly if meant")
    value = data.get("value")
    if kind == "cas" and isinstance(value, list):
        value = tuple(value)
    return Operation(
        id=op_id,
        process=data["process"],
        kind=kind,
        call=data["call"],
        ret=ret,
        value=value,
        output=data.get("output"),
        key=data.get("key"),
        status=status,
    )


def history_from_dict(data: dict) -> History:
    """Parse the shared JSON form into a validated History."""
    if not isinstance(data, dict):
        raise HistoryError(
            f"a history is a JSON object with an 'ops' list, got a {type(data).__name__}")
    if "ops" not in data:
        raise HistoryError("a history is a JSON object with an 'ops' list; this one has none")
    if not isinstance(data["ops"], list):
        raise HistoryError(f"'ops' must be a list of operations, got a {_json_type(data['ops'])}")
    model = data.get("model", "cas-register")
    init = data.get("init", "" if model == "kv" else None)
    ops = [make_operation(raw, i) for i, raw in enumerate(data["ops"])]
    meta = {k: v for k, v in data.items() if k not in ("model", "init", "expected", "ops")}
    return History(tuple(ops), model=model, init=init, expected=data.get("expected"), meta=meta)


def _json_type(x: Any) -> str:
    names = {dict: "JSON object", list: "list", str: "string", bool: "boolean"}
    return names.get(type(x), type(x).__name__)


def load_history(path: str | Path, *, format: str | None = None) -> History:
    """Read a history file; every error names the file (and the operation).

    ``format`` is ``"json"`` (the book's shared format), ``"edn"`` (a Jepsen
    history of ``:invoke``/``:ok``/``:fail``/``:info`` maps) or ``"porcupine"``
    (the Jepsen etcd logs and key-value histories in Porcupine's test data);
    by default it is guessed from the file's first characters.
    """
    from . import formats

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise HistoryError(f"{path.name}: cannot read the file: {err}") from None
    try:
        return formats.parse(text, format)
    except HistoryError as err:
        raise HistoryError(f"{path.name}: {err}") from None


def save_history(history: History, path: str | Path) -> None:
    """Write a history in the shared JSON format."""
    Path(path).write_text(json.dumps(history.to_dict(), indent=1))


def history(
    ops: Iterable[Sequence | dict], model: str = "cas-register", init: Any = None
) -> History:
    """Build a history from short tuples ``(process, kind, value, output, call, ret)``.

    Handy for worked examples: ``history([(0, "write", 1, None, 0, 2), (1, "read",
    None, 1, 1, 3)])``. Dicts in the JSON form are accepted too.
    """
    built = []
    for i, item in enumerate(ops):
        if isinstance(item, dict):
            built.append(make_operation(item, i))
            continue
        if len(item) not in (6, 7):
            raise HistoryError(
                f"operation {i}: expected (process, kind, value, output, call, ret[, key]), "
                f"got {item!r}"
            )
        process, kind, value, output, call, ret, *key = item
        raw = {"process": process, "op": kind, "value": value, "output": output,
               "call": call, "return": ret, "key": key[0] if key else None}
        built.append(make_operation(raw, i))
    if model == "kv" and init is None:
        init = ""
    return History(tuple(built), model=model, init=init)


def trace_operations(trace, *, clients: Any = None, until: float | None = None) -> list:
    """``((client, seq), op)`` for every client operation recorded in a simulation
    trace, in call order, each ``op`` a dict in the shared JSON history format.

    A client records ``invoke`` (fields ``client``, ``seq``, ``op``, optional
    ``key`` and ``value``) when it sends a request and ``return`` (``client``,
    ``seq``, ``output``) when the reply arrives. Times are the simulation's
    true time, never a node's drifting clock. An invoke with no matching
    return is pending. ``clients`` keeps only those clients; ``until`` cuts
    the trace at that time, as if the run had stopped there.
    """
    from ..sim import Trace

    if not isinstance(trace, Trace):
        raise HistoryError(f"a history is read from a Trace, got {type(trace).__name__}")
    wanted = None if clients is None else set(clients)
    open_ops: dict[tuple, dict] = {}
    ops: list[tuple[tuple, dict]] = []
    for ev in trace.of_kind("invoke", "return"):
        if until is not None and ev.time > until:
            break
        d = ev.data
        if "client" not in d or "seq" not in d:
            continue
        if wanted is not None and d["client"] not in wanted:
            continue
        ident = (d["client"], d["seq"])
        if ev.kind == "invoke":
            value = d.get("value")
            if d.get("op") == "cas" and value is not None:
                value = list(value)  # [from, to], as the JSON format has it
            op = {"id": len(ops), "process": d["client"], "call": ev.time, "return": None,
                  "op": d.get("op"), "key": d.get("key"), "value": value, "output": None,
                  "status": "pending"}
            open_ops[ident] = op
            ops.append((ident, op))
        elif ident in open_ops:
            op = open_ops.pop(ident)
            op.update({"return": ev.time, "output": d.get("output"), "status": "ok"})
    return ops


def history_from_trace(trace, model: str = "register", init: Any = None, *,
                       clients: Any = None, until: float | None = None) -> History:
    """The client operations recorded in a simulation trace, as a History
    (see :func:`trace_operations` for what a client records)."""
    ops = [make_operation(op, i) for i, (_ident, op) in
           enumerate(trace_operations(trace, clients=clients, until=until))]
    if model == "kv" and init is None:
        init = ""
    return History(tuple(ops), model=model, init=init)
