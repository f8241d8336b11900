"""Argument checks: the guards every public function runs first, written once.

A public function of ddia10 checks its arguments before it does anything, so a
bad one fails at once, with a :class:`ValueError` that names the argument, says
what it must be and shows what it got (``cluster size must be an int >= 1, got
0``), rather than with a traceback from deep inside a run. The functions here
write those checks and their messages once, in the spirit of QuantEcon's
``check_random_state`` and scikit-learn's ``check_scalar``:

==========================  =====================================================
``check_int``               an int (never a bool), optionally within bounds
``check_number``            an int or a float (never a bool, never NaN): finite
                            unless told otherwise, optionally within bounds and
                            in a unit (``"ms"``)
``check_probability``       a number in [0, 1]
``check_bool``              ``True`` or ``False``
``check_str``               a non-empty str
``check_pid``               a process id: an int or a str
``check_choice``            one of a few allowed values
``check_callable``          something to call
``check_instance``          an instance of a class
``check_known``             an id among the known ones (a :class:`KeyError`)
==========================  =====================================================

Each check returns the value unchanged, so it can sit in an assignment; none
converts (an int stays an int, so nothing a trace shows changes). ``bool`` is a
subclass of ``int`` in Python, but ``True`` is never a count, a time or a seed:
the numeric checks refuse it. ``none=True`` also accepts ``None`` (an option
left unset). Relations between arguments (``min <= max``) are the caller's to
check: they need words of their own.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable
from typing import Any


def check_int(name: str, value: Any, *, min: int | None = None, max: int | None = None,
              none: bool = False) -> Any:
    """``value`` if it is an int with ``min <= value <= max`` (bounds optional)."""
    if none and value is None:
        return value
    if (value.__class__ is bool or not isinstance(value, int)
            or (min is not None and value < min) or (max is not None and value > max)):
        _fail(name, value, "an int" + _bounds(min, max, None, False), none)
    return value


def check_number(
    name: str, value: Any, *, min: float | None = None, max: float | None = None,
    below: float | None = None, positive: bool = False, finite: bool = True, unit: str = "",
    none: bool = False,
) -> Any:
    """``value`` if it is a number within the bounds: ``min <= value <= max``,
    ``value < below``, ``value > 0`` when ``positive``, and not infinite when
    ``finite``. NaN is never a number here. ``unit`` only words the message."""
    if none and value is None:
        return value
    if (value.__class__ is bool or not isinstance(value, (int, float)) or value != value
            or (finite and not -math.inf < value < math.inf)
            or (positive and not value > 0)
            or (min is not None and value < min) or (max is not None and value > max)
            or (below is not None and not value < below)):
        bounds = _bounds(min, max, below, positive)
        what = "a finite number" if finite and not bounds.startswith(" in ") else "a number"
        if unit:  # "a finite number >= 0 ms", "a finite number of ms"
            what += f"{bounds} {unit}" if bounds else f" of {unit}"
        else:
            what += bounds
        _fail(name, value, what, none)
    return value


def check_probability(name: str, value: Any) -> Any:
    """``value`` if it is a probability: a number in [0, 1]."""
    if value.__class__ is bool or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        _fail(name, value, "a probability in [0, 1]", False)
    return value


def check_bool(name: str, value: Any) -> bool:
    """``value`` if it is ``True`` or ``False`` (not 0, 1 or ``None``)."""
    if value.__class__ is not bool:
        _fail(name, value, "True or False", False)
    return value


def check_str(name: str, value: Any, *, none: bool = False) -> Any:
    """``value`` if it is a non-empty str."""
    if none and value is None:
        return value
    if not isinstance(value, str) or not value:
        _fail(name, value, "a non-empty str", none)
    return value


def check_pid(name: str, value: Any) -> Any:
    """``value`` if it can be a process id: an int (not a bool) or a str."""
    if value.__class__ is bool or not isinstance(value, (int, str)):
        _fail(name, value, "an int or a str", False)
    return value


def check_choice(name: str, value: Any, choices: Collection) -> Any:
    """``value`` if it is one of ``choices``."""
    try:
        known = value in choices
    except TypeError:  # unhashable, so in no set
        known = False
    if not known:
        if isinstance(choices, (set, frozenset)):
            shown: Any = sorted(choices, key=repr)
        else:
            shown = choices if isinstance(choices, (tuple, list)) else tuple(choices)
        _fail(name, value, f"one of {shown}", False)
    return value


def check_callable(name: str, value: Any, *, what: str = "callable",
                   none: bool = False) -> Any:
    """``value`` if it can be called; ``what`` words the message (``"a function of
    the simulation"``)."""
    if none and value is None:
        return value
    if not callable(value):
        _fail(name, value, what, none)
    return value


def check_instance(name: str, value: Any, cls: type | tuple[type, ...], *,
                   none: bool = False) -> Any:
    """``value`` if it is an instance of ``cls`` (a class or a tuple of them)."""
    if none and value is None:
        return value
    if not isinstance(value, cls):
        classes = cls if isinstance(cls, tuple) else (cls,)
        _fail(name, value, " or ".join(_article(_class_name(c)) for c in classes), none)
    return value


def check_known(what: str, value: Any, known: Collection[Hashable]) -> Any:
    """``value`` if it is among ``known`` ids; a :class:`KeyError` otherwise, as a
    lookup of an unknown key would raise (``unknown server id 7; known: [1, 2, 3]``)."""
    try:
        found = value in known
    except TypeError:
        found = False
    if not found:
        raise KeyError(f"unknown {what} {value!r}; known: {list(known)}")
    return value


def _fail(name: str, value: Any, what: str, none: bool) -> None:
    raise ValueError(f"{name} must be {'None or ' if none else ''}{what}, got {_shown(value)}")


def _bounds(lo: float | None, hi: float | None, below: float | None, positive: bool) -> str:
    """`` >= 1``, `` > 0``, `` in [0, 1)``, ...: the bounds as a reader writes them."""
    if positive and (lo is None or lo <= 0):
        left = "(0"
    elif lo is not None:
        left = f"[{_num(lo)}"
    else:
        left = None
    right = f"{_num(hi)}]" if hi is not None else f"{_num(below)})" if below is not None else None
    if left and right:
        return f" in {left}, {right}"
    if left:
        return (" > " if left[0] == "(" else " >= ") + left[1:]
    if right:
        return (" <= " if right[-1] == "]" else " < ") + right[:-1]
    return ""


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(x)


def _class_name(cls: type) -> str:
    """``Trace`` for the book's classes and the builtins, ``random.Random`` for others."""
    module = cls.__module__
    if module == "builtins" or module.split(".")[0] == "ddia10":
        return cls.__qualname__
    return f"{module}.{cls.__qualname__}"


def _article(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def _shown(value: Any) -> str:
    """The value's repr, or its type's name when the repr would flood the message."""
    text = repr(value)
    return text if len(text) <= 120 else f"a {type(value).__name__}"


__all__ = [
    "check_bool", "check_callable", "check_choice", "check_instance", "check_int",
    "check_known", "check_number", "check_pid", "check_probability", "check_str",
]
