"""The knobs of two-phase commit, all in simulated milliseconds.

Every process of a run shares one frozen :class:`TwoPCOptions`. The defaults
keep the timeouts a few round trips long for the default one-way latency of
1–5 ms: a coordinator gives up on votes after ``vote_timeout``, a prepare
that waits for locks gives up after ``lock_timeout`` (and votes no), and
whoever waits for an answer — a coordinator for acknowledgements, a
participant in doubt for the decision — asks again every ``retry_interval``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from ..validate import check_bool, check_number


@dataclass(frozen=True)
class TwoPCOptions:
    """How a run of two-phase commit behaves.

    ``log_write`` is how long a forced write to a log takes: a participant
    votes yes and a coordinator sends its decision only once the write is
    done (0: at once). ``cooperative`` lets a participant in doubt ask its
    peers as well as the coordinator (the cooperative termination protocol).
    ``bug_abort_in_doubt`` is a deliberate bug: a participant that voted yes
    and hears nothing for ``retry_interval`` aborts on its own.
    """

    vote_timeout: float = 40.0
    lock_timeout: float = 30.0
    retry_interval: float = 25.0
    log_write: float = 0.0
    cooperative: bool = False
    bug_abort_in_doubt: bool = False

    def __post_init__(self) -> None:
        for name in ("vote_timeout", "lock_timeout", "retry_interval"):
            check_number(name, getattr(self, name), positive=True, unit="ms")
        check_number("log_write", self.log_write, min=0, unit="ms")
        for name in ("cooperative", "bug_abort_in_doubt"):
            check_bool(name, getattr(self, name))

    @classmethod
    def names(cls) -> frozenset[str]:
        return frozenset(f.name for f in fields(cls))

