"""The knobs of single-decree Paxos, checked once, in one place.

A proposer gives each round ``retry_timeout`` ms; if by then it has not
learned a chosen value it starts a new round with a higher ballot. With
``backoff`` 0 it does exactly that and nothing else, so two proposers whose
timers keep the same rhythm can preempt each other forever (the livelock of
the chapter). With ``backoff`` > 0 a proposer that hears its ballot was
beaten (a :class:`~ddia10.paxos.Rejected`) stops and leaves the field to the
proposer of the higher ballot, the *distinguished proposer* of the moment: it
waits a random time, up to ``backoff`` ms doubled for each round it lost in a
row, and tries again only if it has still not learned a chosen value.

``thrifty`` sends each phase to a bare majority instead of every acceptor:
phase 1 to a majority (a different one each round, so a crashed acceptor
cannot stall every round), phase 2 to the acceptors that promised. Fewer
messages; but one lost message stalls the round until its timeout.

``max_rounds`` caps the rounds one proposer starts (``None``: no cap): one
round each gives the explorer a finite world to exhaust.

``bug_ignore_accepted`` removes the rule that makes Paxos safe: a proposer
whose promises report accepted values must propose the one accepted in the
highest ballot. With the switch on it proposes its own value regardless, and
two different values can be chosen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class PaxosOptions:
    """Every option of a single-decree :class:`~ddia10.paxos.PaxosNode` (times in ms)."""

    retry_timeout: float = 20.0
    backoff: float = 0.0
    thrifty: bool = False
    max_rounds: int | None = None
    bug_ignore_accepted: bool = False

    def __post_init__(self) -> None:
        for name in ("retry_timeout", "backoff"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number of ms >= 0, got {value!r}")
        if self.retry_timeout <= 0:
            raise ValueError(f"retry_timeout must be > 0 ms, got {self.retry_timeout!r}")
        rounds = self.max_rounds
        if rounds is not None and (isinstance(rounds, bool) or not isinstance(rounds, int)
                                   or rounds < 1):
            raise ValueError(f"max_rounds must be an int >= 1 or None, got {rounds!r}")
        for name in ("thrifty", "bug_ignore_accepted"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be a bool, got {getattr(self, name)!r}")

    @classmethod
    def names(cls) -> frozenset[str]:
        return frozenset(f.name for f in fields(cls))
