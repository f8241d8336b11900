"""Zxids: ZooKeeper's transaction ids, an epoch and a counter in one 64-bit number.

A zxid packs the *epoch* of the leader that proposed a transaction into its
high 32 bits and that leader's *counter* into the low 32 bits. Comparing two
zxids as plain integers therefore compares epochs first and counters second:
every transaction of epoch 5 sorts after every transaction of epoch 4, which
is the whole order ZAB needs. A new leader starts its counter again at 1, so
the first zxid of epoch 5 is ``0x500000001``.

Both halves are bounded: an epoch or a counter that does not fit in 32 bits
is refused with a clear message. ZooKeeper itself forces a new leader
election when a leader's counter is about to run out, so that the next
transaction gets a fresh epoch rather than an overflowing counter
(:class:`~ddia10.zab.ZabOptions` ``max_counter`` does the same).
"""

from __future__ import annotations

from typing import Any

from ..validate import check_int

MAX_EPOCH = 2**32 - 1
"""The largest epoch a zxid can hold (its high 32 bits)."""

MAX_COUNTER = 2**32 - 1
"""The largest counter a zxid can hold (its low 32 bits)."""


def make_zxid(epoch: int, counter: int) -> int:
    """The zxid of transaction ``counter`` of ``epoch``: ``epoch << 32 | counter``."""
    check_int("zxid epoch", epoch, min=0, max=MAX_EPOCH)
    check_int("zxid counter", counter, min=0, max=MAX_COUNTER)
    return epoch << 32 | counter


def zxid_epoch(zxid: int) -> int:
    """The epoch in ``zxid`` (its high 32 bits)."""
    return _zxid(zxid) >> 32


def zxid_counter(zxid: int) -> int:
    """The counter in ``zxid`` (its low 32 bits)."""
    return _zxid(zxid) & MAX_COUNTER


def format_zxid(zxid: int) -> str:
    """``zxid`` as ZooKeeper's logs print it (hexadecimal) and as its two halves:
    ``0x500000001 (epoch 5, counter 1)``."""
    return f"{_zxid(zxid):#x} (epoch {zxid >> 32}, counter {zxid & MAX_COUNTER})"


def _zxid(zxid: Any) -> int:
    return check_int("a zxid", zxid, min=0, max=2**64 - 1)
