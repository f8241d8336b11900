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

from dataclasses import dataclass, fields

from ..validate import check_bool, check_int, check_number


@dataclass(frozen=True)
class PaxosOptions:
    """Every option of a single-decree :class:`~ddia10.paxos.PaxosNode` (times in ms)."""

    retry_timeout: float = 20.0
    backoff: float = 0.0
    thrifty: bool = False
    max_rounds: int | None = None
    bug_ignore_accepted: bool = False

    def __post_init__(self) -> None:
        check_number("retry_timeout", self.retry_timeout, positive=True, unit="ms")
        check_number("backoff", self.backoff, min=0, unit="ms")
        check_int("max_rounds", self.max_rounds, min=1, none=True)
        check_bool("thrifty", self.thrifty)
        check_bool("bug_ignore_accepted", self.bug_ignore_accepted)

    @classmethod
    def names(cls) -> frozenset[str]:
        return frozenset(f.name for f in fields(cls))
