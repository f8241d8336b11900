"""Reading histories in the formats people have: the book's JSON, Jepsen's EDN, Jepsen logs.

- **json**: the shared format of :mod:`.history` (``{"model": ..., "ops": [...]}``).
- **edn**: a Jepsen history, one map per event — ``{:process 0, :type :invoke,
  :f :write, :value 3}`` — either as one vector or as one map per line (the
  form of Knossos' test histories and of Porcupine's key-value logs, whose maps
  carry a ``:key``).
- **jepsen-log**: the ``INFO jepsen.util - 3 :invoke :cas [1 2]`` lines of a
  Jepsen run's log (Porcupine's etcd test data).

Events become operations by pairing each ``:invoke`` with the next completion
of the same process, with Jepsen's meaning: ``:ok`` happened; ``:fail``
certainly did not (it drops out of the check); ``:info`` may have happened at
any time after the call, or never. Times are event positions (the line, for a
one-event-per-line file), and an operation read from these formats is
numbered by the line of its invocation, so an error points into the file.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .history import READS, History, HistoryError, history_from_dict

FORMATS = ("json", "edn", "jepsen-log")


def parse(text: str, format: str | None = None) -> History:
    """A History from the text of a file in one of :data:`FORMATS` (guessed if None)."""
    if not text.strip():
        raise HistoryError("the file is empty: there is no history to check")
    if format is None:
        format = guess_format(text)
    if format == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise HistoryError(
                f"not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}"
            ) from None
        return history_from_dict(data)
    if format == "edn":
        return _from_events(_edn_events(text))
    if format == "jepsen-log":
        return _from_events(_log_events(text))
    raise HistoryError(f"unknown history format {format!r}; expected one of {FORMATS}")


def guess_format(text: str) -> str:
    """``json``, ``edn`` or ``jepsen-log``, from the first characters of ``text``."""
    head = text.lstrip()
    if "jepsen.util" in head[:500] and re.search(r":(invoke|ok|fail|info)\b", head[:2000]):
        return "jepsen-log"
    if re.match(r"[\[(]?\s*(#[\w.]+)?\{\s*:", head) or head[:1] in ("(", ";"):
        return "edn"
    return "json"


# ---------------------------------------------------------------- EDN

_TOKEN = re.compile(r"""
    (?P<space>[\s,]+|;[^\n]*)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<open>\#\{|[\[({])
  | (?P<close>[\])}])
  | (?P<discard>\#_)
  | (?P<tag>\#[A-Za-z][\w.\-/]*)
  | (?P<char>\\(?:newline|space|tab|.))
  | (?P<atom>[^\s,;"\[\](){}]+)
""", re.VERBOSE)


class Keyword(str):
    """An EDN keyword such as ``:invoke`` (kept apart from strings)."""

    def __repr__(self) -> str:
        return ":" + str(self)


_CLOSERS = {"[": "]", "(": ")", "{": "}", "#{": "}"}


def read_edn(text: str) -> list[tuple[int, Any]]:
    """Every top-level EDN form in ``text``, each with the line it starts on (for a
    file that is one vector, every item of it).

    The subset histories use: maps, vectors, lists, sets, keywords, strings,
    numbers, ``nil``/``true``/``false``, symbols; tags such as
    ``#jepsen.history.Op`` are dropped and their form kept, ``#_`` discards.
    """
    tokens = []
    line = 1
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise HistoryError(f"line {line}: cannot read EDN at {text[pos:pos + 20]!r}")
        kind = m.lastgroup
        if kind != "space":
            tokens.append((kind, m.group(), line))
        line += m.group().count("\n")
        pos = m.end()
    forms = []
    at = 0
    while at < len(tokens):
        start = tokens[at][2]
        form, at = _form(tokens, at)
        if form is not _DISCARDED:
            forms.append((start, form))
    if len(forms) == 1 and isinstance(forms[0][1], list):  # one vector: its items, each
        items, starts = forms[0][1], []                     # with the line it starts on
        _form(tokens, 0, starts)
        forms = list(zip(starts, items, strict=True))
    return forms


_DISCARDED = object()


def _form(tokens: list, at: int, starts: list | None = None) -> tuple[Any, int]:
    """The form at ``tokens[at]`` and the index after it; ``starts`` collects the line
    each direct item of a collection starts on."""
    kind, text, line = tokens[at]
    if kind == "open":
        items = []
        at += 1
        while True:
            if at >= len(tokens):
                raise HistoryError(f"line {line}: {text!r} is never closed")
            if tokens[at][0] == "close":
                if tokens[at][1] != _CLOSERS[text]:
                    raise HistoryError(
                        f"line {tokens[at][2]}: {tokens[at][1]!r} closes {text!r} "
                        f"opened on line {line}")
                break
            first = tokens[at][2]
            item, at = _form(tokens, at)
            if item is not _DISCARDED:
                items.append(item)
                if starts is not None:
                    starts.append(first)
        if text == "{":
            if len(items) % 2:
                raise HistoryError(f"line {line}: a map needs key-value pairs")
            return {_hashable(k): v for k, v in zip(items[::2], items[1::2], strict=True)}, at + 1
        if text == "#{":
            return frozenset(_hashable(i) for i in items), at + 1
        return items, at + 1
    if kind == "close":
        raise HistoryError(f"line {line}: unexpected {text!r}")
    if kind in ("tag", "discard"):
        if at + 1 >= len(tokens):
            raise HistoryError(f"line {line}: {text} is not followed by a form")
        form, nxt = _form(tokens, at + 1)
        return (_DISCARDED if kind == "discard" else form), nxt
    if kind == "string":
        return json.loads(text.replace("\\'", "'")), at + 1
    if kind == "char":
        return {"\\newline": "\n", "\\space": " ", "\\tab": "\t"}.get(text, text[1:]), at + 1
    return _atom(text), at + 1


def _hashable(x: Any) -> Any:
    return tuple(x) if isinstance(x, list) else x


def _atom(text: str) -> Any:
    if text == "nil":
        return None
    if text in ("true", "false"):
        return text == "true"
    if text.startswith(":"):
        return Keyword(text[1:])
    number = text.rstrip("NM")
    if re.fullmatch(r"[+-]?\d+", number):
        return int(number)
    if re.fullmatch(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?", number):
        return float(number)
    return text  # a symbol: keep its name


def _edn_events(text: str) -> list[tuple[int, dict]]:
    events = []
    for line, form in read_edn(text):
        if not isinstance(form, dict):
            raise HistoryError(f"line {line}: expected an operation map, got {form!r}")
        events.append((line, {str(k): v for k, v in form.items()}))
    return events


# ---------------------------------------------------------------- Jepsen logs

_LOG_LINE = re.compile(r"jepsen\.util\s+-\s+(\S+)\s+(:\w+)\s+(:[\w-]+)\s*(.*)$")


def _log_events(text: str) -> list[tuple[int, dict]]:
    events = []
    for number, line in enumerate(text.splitlines(), start=1):
        m = _LOG_LINE.search(line)
        if m is None:
            continue
        process, kind, f, rest = m.groups()
        forms = read_edn(f"{process} {kind} {f} [{rest}]")
        process, kind, f, rest = (form for _, form in forms)
        event = {"process": process, "type": kind, "f": f,
                 "value": rest[0] if len(rest) == 1 else (rest or None)}
        events.append((number, event))
    if not events:
        raise HistoryError("no 'jepsen.util - PROCESS :TYPE :F VALUE' lines found")
    return events


# ---------------------------------------------------------------- events → operations

_REGISTER_FS = {"read", "write", "cas"}
_KV_FS = {"get", "put", "append"}


def _from_events(events: list[tuple[int, dict]]) -> History:
    """Pair invocations with completions, Jepsen's way, into a History."""
    ops: list[dict] = []
    open_ops: dict = {}
    fs: set = set()
    for line, event in events:
        kind, process, f = event.get("type"), event.get("process"), event.get("f")
        if not isinstance(process, int) or isinstance(process, bool):
            continue  # the nemesis and other non-client processes
        if kind not in ("invoke", "ok", "fail", "info"):
            raise HistoryError(f"line {line}: unknown :type {kind!r}; expected :invoke, :ok, "
                               ":fail or :info")
        if not isinstance(f, str) or str(f) not in _REGISTER_FS | _KV_FS:
            raise HistoryError(f"line {line}: unknown operation :f {f!r}; expected one of "
                               f"{sorted(_REGISTER_FS | _KV_FS)}")
        f = str(f)
        fs.add(f)
        if kind == "invoke":
            if process in open_ops:
                before = open_ops[process]
                raise HistoryError(
                    f"line {line}: process {process} invokes {f} while its {before['op']} "
                    f"invoked on line {before['id']} has not completed (a process that gets "
                    ":info continues as a new process)")
            op = {"id": line, "process": process, "call": line, "return": None,
                  "op": f, "key": _key(event), "status": "info"}
            if f in ("write", "put", "append", "cas"):
                op["value"] = _value(event, line)
            ops.append(op)
            open_ops[process] = op
            continue
        op = open_ops.pop(process, None)
        if op is None:
            raise HistoryError(f"line {line}: process {process} completes a {f} it never "
                               "invoked")
        if op["op"] != f:
            raise HistoryError(f"line {line}: process {process} completes {f} but invoked "
                               f"{op['op']} on line {op['id']}")
        if kind == "info":
            continue  # indeterminate: stays pending
        op.update({"return": line, "status": kind})
        if kind == "ok" and f in READS:
            op["output"] = _value(event, line)
        elif kind == "ok" and f == "cas":
            op["output"] = True
    if fs & _KV_FS and fs & _REGISTER_FS:
        raise HistoryError(f"the history mixes register and key-value operations: {sorted(fs)}")
    if fs & _KV_FS:
        model, init = "kv", ""
    else:
        model, init = ("cas-register" if "cas" in fs else "register"), None
    return history_from_dict({"model": model, "init": init, "ops": ops})


def _key(event: dict) -> Any:
    key = event.get("key")
    return None if key is None else str(key)


def _value(event: dict, line: int) -> Any:
    if "value" not in event:
        raise HistoryError(f"line {line}: :{event.get('f')} by process {event.get('process')} "
                           "has no :value")
    value = event["value"]
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, Keyword):
        raise HistoryError(f"line {line}: :{event.get('f')} by process {event.get('process')} "
                           f"has value {value!r}, which no register holds")
    return value
