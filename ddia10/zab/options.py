"""The knobs of a ZAB server, checked once, in one place.

ZooKeeper counts its timeouts in *ticks* (``tickTime``, 2 s by default): a
follower has ``initLimit`` ticks to connect to a new leader and synchronize
with it, and may fall ``syncLimit`` ticks behind before the leader drops it.
The options here are the same ideas in simulated milliseconds, scaled to the
simulator's few-millisecond links.

``finalize_wait`` is how long a looking server waits, once a quorum agrees on
its vote, for a better vote to arrive (ZooKeeper's ``finalizeWait``, 200 ms);
``notify_interval`` how often it repeats its vote while no quorum agrees.
``max_counter`` is the largest counter a leader gives a zxid before it forces
a new election (and so a new epoch), as ZooKeeper does before the low 32 bits
run out; a small value shows the rollover in a short run.

The ``bug_*`` switches each remove one rule, so a reader can watch the monitor
catch what the rule prevents. They are off by default:

- ``bug_leader_keeps_own_history`` — a new leader skips discovery's choice of
  the most up-to-date history in its quorum and imposes its own;
- ``bug_promise_epoch_twice`` — a follower acknowledges a new epoch it has
  already promised to another prospective leader, so two leaders can
  establish one epoch;
- ``bug_establish_without_quorum`` — a new leader delivers its initial
  history and starts broadcasting as soon as it has taken that history
  itself, without waiting for a quorum of followers to take it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from ..validate import check_bool, check_int, check_number
from .zxid import MAX_COUNTER


@dataclass(frozen=True)
class ZabOptions:
    """Every option of a :class:`~ddia10.zab.ZabServer` (times in simulated ms)."""

    tick: float = 20.0
    init_limit: float = 200.0
    sync_limit: float = 100.0
    finalize_wait: float = 10.0
    notify_interval: float = 40.0
    max_counter: int = MAX_COUNTER
    bug_leader_keeps_own_history: bool = False
    bug_promise_epoch_twice: bool = False
    bug_establish_without_quorum: bool = False

    def __post_init__(self) -> None:
        for name in ("tick", "init_limit", "sync_limit", "notify_interval"):
            check_number(name, getattr(self, name), positive=True, unit="ms")
        check_number("finalize_wait", self.finalize_wait, min=0, unit="ms")
        if self.sync_limit <= self.tick:
            raise ValueError(f"sync_limit ({self.sync_limit:g} ms) must be longer than a tick "
                             f"({self.tick:g} ms), or a leader drops followers that are on time")
        check_int("max_counter", self.max_counter, min=1, max=MAX_COUNTER)
        for f in fields(self):
            if f.name.startswith("bug_"):
                check_bool(f.name, getattr(self, f.name))

    @classmethod
    def names(cls) -> frozenset:
        return frozenset(f.name for f in fields(cls))
