"""Latency distributions for simulated links, in simulated milliseconds.

A link's delay is drawn from one of these for every message, from the
simulation's seeded RNG, so a seed fixes every delay. ``as_latency`` turns the
shorthands the rest of the book uses (a number, a ``(lo, hi)`` pair) into one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..validate import check_number


class Latency:
    """A distribution of one-way message delays (ms)."""

    def sample(self, rng: random.Random) -> float:
        raise NotImplementedError

    #: ``(lo, span)`` when a delay is ``lo + span * U(0,1)``, read by the simulator's
    #: hot path (a zero span draws no random number); None for other shapes.
    fast: tuple[float, float] | None = None

    @property
    def mean(self) -> float:
        raise NotImplementedError


@dataclass(frozen=True)
class Fixed(Latency):
    """Every message takes exactly ``ms``."""

    ms: float

    def __post_init__(self) -> None:
        check_number("latency", self.ms, min=0, unit="ms")
        object.__setattr__(self, "fast", (float(self.ms), 0.0))

    def sample(self, rng: random.Random) -> float:
        return self.ms

    @property
    def mean(self) -> float:
        return self.ms


@dataclass(frozen=True)
class Uniform(Latency):
    """Delays spread evenly over ``[lo, hi]``: jitter, hence reordering."""

    lo: float
    hi: float

    def __post_init__(self) -> None:
        check_number("latency lower bound", self.lo, min=0, unit="ms")
        check_number("latency upper bound", self.hi, min=0, unit="ms")
        if self.hi < self.lo:
            raise ValueError(f"latency range is empty: lo={self.lo} > hi={self.hi}")
        object.__setattr__(self, "fast", (float(self.lo), float(self.hi - self.lo)))

    def sample(self, rng: random.Random) -> float:
        return self.lo + (self.hi - self.lo) * rng.random()

    @property
    def mean(self) -> float:
        return (self.lo + self.hi) / 2


@dataclass(frozen=True)
class Exponential(Latency):
    """``minimum`` plus an exponential tail of mean ``tail``: most messages are
    quick, a few are very late, as on real networks."""

    minimum: float
    tail: float

    def __post_init__(self) -> None:
        check_number("latency minimum", self.minimum, min=0, unit="ms")
        check_number("latency tail mean", self.tail, positive=True, unit="ms")

    def sample(self, rng: random.Random) -> float:
        return self.minimum + rng.expovariate(1.0 / self.tail)

    @property
    def mean(self) -> float:
        return self.minimum + self.tail


def as_latency(value: Latency | float | tuple[float, float]) -> Latency:
    """Accept ``5`` (fixed 5 ms), ``(1, 10)`` (uniform) or a ``Latency``."""
    if isinstance(value, Latency):
        return value
    if isinstance(value, (int, float)) and value.__class__ is not bool:
        return Fixed(float(value))
    if isinstance(value, tuple) and len(value) == 2:
        return Uniform(float(value[0]), float(value[1]))
    raise ValueError(f"latency must be a number of ms, a (lo, hi) pair or a Latency, got {value!r}")
