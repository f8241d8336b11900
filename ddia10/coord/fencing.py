"""A storage service that checks fencing tokens, and the messages to it.

A lock (or a leader's term) is only as safe as what the *resource* does with
a writer that no longer holds it. A lock holder can be paused — a garbage
collection, a swapped-out page, a suspended virtual machine — after it last
checked its lease and before its write arrives; by then the lease may have
run out and another client may hold the lock. No check on the client's side
can close that gap, because the pause can fall after any check.

Fencing closes it on the resource's side (Kleppmann 2016): every grant of
the lock comes with a number that grows with every grant — here, as in etcd,
the *create revision* of the holder's lock key — and the client sends it
with every write. :class:`FencedResource` remembers the largest token it has
accepted and rejects any write with a smaller one. A write with the *same*
token is accepted: the current holder writes again. Built with
``fencing=False`` it accepts everything, which is how the chapter shows the
corruption fencing prevents.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from ..sim import Context, Process
from ..validate import check_bool, check_int
from .invariants import ResourceAccepted


@dataclass(frozen=True)
class FencedWrite:
    """``writer``'s ``seq``-th write of ``value``, with its fencing ``token``."""

    writer: Hashable
    seq: int
    token: int
    value: Any

    def __post_init__(self) -> None:
        check_int("fencing token", self.token, min=1)


@dataclass(frozen=True)
class FencedAck:
    """The answer to write ``seq``: accepted or not, and the largest token seen."""

    seq: int
    accepted: bool
    newest_token: int


class FencedResource(Process):
    """A store of writes that rejects tokens older than the newest it has seen
    (unless ``fencing=False``). Its state survives nothing: it is the part of
    the world the chapter watches, not a protocol under test."""

    def __init__(self, fencing: bool = True) -> None:
        self.fencing = check_bool("fencing", fencing)
        self.newest_token = 0
        self.writes: list[tuple[Hashable, int, Any]] = []  # accepted: (writer, token, value)
        self.rejected: list[tuple[Hashable, int, Any]] = []

    def on_message(self, ctx: Context, src: Hashable, msg: Any) -> None:
        if not isinstance(msg, FencedWrite):
            return
        if self.fencing and msg.token < self.newest_token:
            self.rejected.append((msg.writer, msg.token, msg.value))
            ctx.annotate(rejected=len(self.rejected), last=f"rejected {msg.value} "
                                                          f"(token {msg.token})")
            ctx.send(src, FencedAck(msg.seq, False, self.newest_token))
            return
        self.newest_token = max(self.newest_token, msg.token)
        self.writes.append((msg.writer, msg.token, msg.value))
        ctx.report(ResourceAccepted(ctx.pid, msg.writer, msg.token, msg.value))
        ctx.annotate(newest_token=self.newest_token, writes=len(self.writes),
                     last=f"{msg.value} (token {msg.token})")
        ctx.send(src, FencedAck(msg.seq, True, self.newest_token))

    def out_of_order(self) -> list[tuple[Hashable, int, Any]]:
        """The accepted writes whose token was older than one accepted before them:
        the writes of a holder that had already lost the lock."""
        late, newest = [], 0
        for writer, token, value in self.writes:
            if token < newest:
                late.append((writer, token, value))
            newest = max(newest, token)
        return late
