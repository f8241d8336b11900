"""The knobs of an EPaxos replica, checked once, in one place.

``fast_quorum`` is how many replicas, the command's leader included, must
pre-accept a command's attributes unchanged for the leader to commit it after
one round trip. EPaxos needs ``N = 2F + 1`` replicas. This implementation is
the paper's basic protocol, whose fast quorum has at least ``2F`` replicas
(``None`` picks that); the paper's optimized protocol gets by with ``F +
⌊(F + 1)/2⌋`` (3 of 5) at the price of a subtler recovery, the part of EPaxos
where published bugs were later found. A fast quorum smaller than ``2F`` is
refused: with it, the recovery rule used here could not tell whether a
command whose leader failed had been committed on the fast path.

Times are simulated ms: the replicas' ``tick``; ``slow_path_timeout``, after
which a leader that has a majority of replies but not a fast quorum's takes
the slow path; ``recovery_timeout``, how long a replica waits on an instance
that is not committed before it recovers it itself (each replica waits a
random extra of up to the same again, so that two rarely duel);
``catch_up_interval``, how often a replica compares what it knows with one
other replica (each time the next one).

The ``bug_*`` switches each remove one rule, so the monitor can be seen
catching what it prevents:

- ``bug_fast_path_on_changed_replies`` — commit on the fast path when a fast
  quorum has replied, even if some replica added a dependency;
- ``bug_accept_any_preaccepted`` — recovery accepts the attributes of any
  replica that pre-accepted the command, instead of requiring enough
  unchanged ones or running phase 1 again;
- ``bug_one_ballot_variable`` — a replica reports the ballot it last
  promised as the one its attributes were recorded in (the single variable of
  the original specification and code that Sutra showed to be unsafe, 2019);
- ``bug_execute_in_commit_order`` — execute commands as they commit,
  ignoring their dependencies.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from ..validate import check_bool, check_int, check_number


@dataclass(frozen=True)
class EPaxosOptions:
    """Every option of an :class:`~ddia10.epaxos.EPaxosReplica` (times in simulated ms)."""

    fast_quorum: int | None = None
    tick: float = 10.0
    slow_path_timeout: float = 30.0
    recovery_timeout: float = 150.0
    catch_up_interval: float = 200.0
    bug_fast_path_on_changed_replies: bool = False
    bug_accept_any_preaccepted: bool = False
    bug_one_ballot_variable: bool = False
    bug_execute_in_commit_order: bool = False

    def __post_init__(self) -> None:
        check_int("fast_quorum", self.fast_quorum, min=1, none=True)
        for name in ("tick", "slow_path_timeout", "recovery_timeout", "catch_up_interval"):
            check_number(name, getattr(self, name), positive=True, unit="ms")
        for f in fields(self):
            if f.name.startswith("bug_"):
                check_bool(f.name, getattr(self, f.name))

    def fast_quorum_for(self, n: int) -> int:
        """The fast quorum for ``n`` replicas: the option, checked against ``n``, or ``2F``."""
        check_epaxos_size(n)
        f = (n - 1) // 2
        least = max(2 * f, f + 1)
        if self.fast_quorum is None:
            return least
        if self.fast_quorum < least:
            raise ValueError(
                f"a fast quorum of {self.fast_quorum} is too small for {n} replicas: this "
                f"EPaxos (the paper's basic protocol) needs at least 2F = {least} (F = {f}) to "
                "recover a command whose leader failed")
        if self.fast_quorum > n:
            raise ValueError(f"a fast quorum of {self.fast_quorum} is larger than the "
                             f"{n} replicas")
        return self.fast_quorum

    @classmethod
    def names(cls) -> frozenset:
        return frozenset(f.name for f in fields(cls))


def check_epaxos_size(n: int) -> int:
    """``n`` if EPaxos can run on that many replicas: an odd int ``2F + 1``."""
    check_int("cluster size", n, min=1)
    if n % 2 == 0:
        raise ValueError(f"EPaxos needs an odd number of replicas (N = 2F + 1), got {n}")
    return n
