"""Running the reader's code and remembering what each of its lines did.

A check hands the reader's class to a simulated world and, afterwards, must
point at the line that acted: the ``send`` of a vote, the ``return`` of a
wrong comparison, the call that read the wall clock. :class:`ReaderCode`
does that with Python's profiling hook, switched on only while the reader's
own methods run (:meth:`ReaderCode.call`, or a class from
:meth:`ReaderCode.watched`). It records

- every call the reader's code makes into other code (``ctx.send``,
  ``ctx.persist``, ``self.deliver``, ...) with its arguments and the reader's
  line, as an :class:`Act`;
- every read of the wall clock (``time.time``, ``time.monotonic``,
  ``datetime.now`` ...) or of the global ``random`` module from the reader's
  code: inside a simulation, time is ``ctx.now`` and chance is ``ctx.rng``;
- the line the reader's method last returned from.

The reader's code is recognised by its code objects (its methods and any
function nested in them), so a solution that sits next to the harness in one
file is told apart from the harness.
"""

from __future__ import annotations

import datetime
import linecache
import random
import sys
import time
import types
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from .report import CodeLine

_WALL_CLOCKS = frozenset({time.time, time.time_ns, time.monotonic, time.monotonic_ns,
                          time.perf_counter, time.perf_counter_ns, time.process_time})
_DATE_NOW = frozenset({"now", "utcnow", "today"})


@dataclass(frozen=True)
class Act:
    """One call the reader's code made: the function called (``what``), its
    arguments, the reader's line, and the process it ran in (``who``)."""

    what: str
    args: dict
    line: CodeLine
    who: Hashable | None
    at: float | None


def _codes(obj: Any) -> set[types.CodeType]:
    """The code objects of a function (and the functions nested in it)."""
    found: set[types.CodeType] = set()
    todo = [obj.__code__] if hasattr(obj, "__code__") else []
    while todo:
        code = todo.pop()
        found.add(code)
        todo.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    return found


def own_methods(cls: type, stop: type | None = None) -> dict[str, Callable]:
    """The functions ``cls`` and its bases define, up to (not including) ``stop``
    and ``object``: the reader's methods when ``stop`` is the book's base class."""
    found: dict[str, Callable] = {}
    for klass in reversed(cls.__mro__):
        if klass is object or (stop is not None and issubclass(stop, klass)):
            continue
        for name, value in vars(klass).items():
            if isinstance(value, (staticmethod, classmethod)):
                value = value.__func__
            if isinstance(value, types.FunctionType):
                found[name] = value
    return found


def code_line(frame: types.FrameType) -> CodeLine:
    code = frame.f_code
    text = linecache.getline(code.co_filename, frame.f_lineno, frame.f_globals) or "?"
    return CodeLine(code.co_filename, frame.f_lineno, code.co_qualname, text.strip())


class ReaderCode:
    """The reader's code under watch: what it called, read, and returned from."""

    def __init__(self, objects: Iterable[Any]) -> None:
        self.codes: set[types.CodeType] = set()
        for obj in objects:
            self.codes |= _codes(obj)
        self.acts: list[Act] = []
        self.wall_clock: list[CodeLine] = []
        self.global_random: list[CodeLine] = []
        self.returned: CodeLine | None = None
        self.who: Hashable | None = None
        self.at: float | None = None
        self._depth = 0

    @classmethod
    def of_class(cls, reader: type, stop: type | None = None) -> ReaderCode:
        return cls(own_methods(reader, stop).values())

    # ------------------------------------------------------------------ running
    def call(self, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        """``fn(*args, **kwargs)`` with the reader's code watched."""
        if self._depth:
            return fn(*args, **kwargs)
        self._depth += 1
        previous = sys.getprofile()
        sys.setprofile(self._profile)
        try:
            return fn(*args, **kwargs)
        finally:
            sys.setprofile(previous)
            self._depth -= 1

    def watched(self, cls: type, names: Iterable[str]) -> type:
        """A subclass of ``cls`` whose methods ``names`` run watched."""
        namespace: dict[str, Any] = {}
        for name in names:
            namespace[name] = self._wrap(getattr(cls, name))
        return type(cls.__name__, (cls,), namespace)

    def _wrap(self, method: Callable) -> Callable:
        def watched_method(obj: Any, *args: Any, **kwargs: Any) -> Any:
            ctx = args[0] if args and hasattr(args[0], "pid") else None
            self.who = ctx.pid if ctx is not None else getattr(obj, "pid", None)
            self.at = getattr(ctx, "now", None)
            return self.call(method, obj, *args, **kwargs)

        watched_method.__name__ = getattr(method, "__name__", "method")
        return watched_method

    def _profile(self, frame: types.FrameType, event: str, arg: Any) -> None:
        if event == "call":
            back = frame.f_back
            if back is not None and back.f_code in self.codes and frame.f_code not in self.codes:
                args = dict(frame.f_locals)
                if args.get("self") is random._inst:
                    self.global_random.append(code_line(back))
                self.acts.append(Act(frame.f_code.co_name, args, code_line(back), self.who,
                                     self.at))
        elif event == "c_call":
            if frame.f_code in self.codes:
                if arg in _WALL_CLOCKS or (getattr(arg, "__self__", None) in (
                        datetime.datetime, datetime.date) and arg.__name__ in _DATE_NOW):
                    self.wall_clock.append(code_line(frame))
                elif getattr(arg, "__self__", None) is random._inst:
                    self.global_random.append(code_line(frame))
        elif event == "return" and frame.f_code in self.codes:
            self.returned = code_line(frame)

    # ------------------------------------------------------------------ reading
    def line_of(self, exc: BaseException) -> CodeLine | None:
        """The innermost line of the reader's code in ``exc``'s traceback."""
        found = None
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code in self.codes:
                found = CodeLine(tb.tb_frame.f_code.co_filename, tb.tb_lineno,
                                 tb.tb_frame.f_code.co_qualname,
                                 (linecache.getline(tb.tb_frame.f_code.co_filename,
                                                    tb.tb_lineno, tb.tb_frame.f_globals)
                                  or "?").strip())
            tb = tb.tb_next
        return found

    def acts_sending(self, kind: type) -> list[Act]:
        """The acts that handed a message of type ``kind`` to anything (``ctx.send``
        directly, or a helper that sends it later)."""
        return [a for a in self.acts if isinstance(a.args.get("msg"), kind)]


def unfinished(exc: BaseException) -> bool:
    """Is this the skeleton's ``raise NotImplementedError``?"""
    return isinstance(exc, NotImplementedError)


def report_exception(drill: str, code: ReaderCode, exc: BaseException, *,
                     run: Any = None) -> Any:
    """The report for the reader's code raising ``exc``: "not yet" for the
    skeleton's ``NotImplementedError``, else a failure pointing at the line."""
    from .report import failed, not_yet

    line = code.line_of(exc)
    where = f" ({line})" if line is not None else ""
    if unfinished(exc):
        return not_yet(drill, f"your code still raises NotImplementedError{where}: fill in "
                              "the skeleton, then run this check again.")
    what = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, AttributeError):
        what += (". Your code uses an attribute or method that does not exist: check "
                 "its name, and that the class you call it on defines it")
    return failed(drill, "the code runs without an error", what, line=line, run=run)


def report_wall_clock(drill: str, code: ReaderCode, *, run: Any = None) -> Any | None:
    """A failure if the reader's code read the wall clock or the global random
    module; ``None`` if it did neither."""
    from .report import failed

    if code.wall_clock:
        return failed(drill, "time comes only from the simulation's clock",
                      "your code read the wall clock of the machine running it. Inside the "
                      "simulation (as on a real server that can pause) that clock says nothing "
                      "about the protocol's time: a lease measured on it never expires while "
                      "the world runs ahead. Use the time you are given (`now`, `ctx.now`).",
                      line=code.wall_clock[0], run=run)
    if code.global_random:
        return failed(drill, "chance comes only from the simulation (ctx.rng)",
                      "your code used the global random module, so two runs with one seed "
                      "differ and no failure can be replayed. Use `ctx.rng`.",
                      line=code.global_random[0], run=run)
    return None
