"""The disk: when what a server wrote is durable, and the messages that wait for it.

``ctx.persist`` is instantaneous; a real ``fsync`` is not, and it sits on
Raft's critical path, because a server may promise nothing about its stable
state before that state is on disk. With ``disk_latency`` d > 0 ms a server
holds back every message that makes such a promise until a write of d ms
that began after the state was written has ended: a granted vote (its term
and vote are durable), a successful AppendEntries or InstallSnapshot reply
(the entries or snapshot are durable). Everything else goes at once.

The held messages wait in :attr:`Disk.held`. At the end of a step that wrote
anything, one write starts if none is running, and everything that asked for
a write while one was running goes out with the next one (group commit: one
``fsync`` for many writes). The timer ``fsync`` ends a write; the trace
records it as the annotation ``fsync`` (the log index now durable). A crash
loses the held messages, which is safe: nothing in them was promised to
anyone yet. With d = 0 every message goes out at once, as if the disk were
infinitely fast.

:class:`Disk` only keeps time and holds messages; what is written, and where,
is :mod:`~ddia10.raft.storage`'s business.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from ..sim import Context


class Disk:
    """One server's disk: ``latency`` ms per write, ``durable_index`` the last
    log index known to be on it."""

    __slots__ = ("latency", "durable_index", "writing_index", "writing", "unwritten", "held")

    def __init__(self, latency: float, durable_index: int = 0) -> None:
        self.latency = latency
        self.durable_index = durable_index
        self.writing_index = durable_index  # what the running write will make durable
        self.writing: list[tuple[Hashable, Any]] | None = None  # its held messages, if it runs
        self.unwritten = False  # written to since the running write began (or none runs)
        self.held: list[tuple[Hashable, Any]] = []  # messages waiting for the next write

    def wrote(self, last_index: int) -> None:
        """Something went to stable storage, the log then ending at
        ``last_index``: durable once a write that begins after it ends (at
        once without a latency)."""
        if self.latency:
            self.unwritten = True
        else:
            self.durable_index = last_index

    def send_durable(self, ctx: Context, dst: Hashable, msg: Any) -> None:
        """Send a message that promises our stable state once that state is on
        disk: with the next write if something is still unwritten, with the
        running write if one runs, else now."""
        if self.unwritten:
            self.held.append((dst, msg))
        elif self.writing is not None:
            self.writing.append((dst, msg))
        else:
            ctx.send(dst, msg)

    def start_write(self, ctx: Context, last_index: int) -> None:
        """The end of a step: start a write if something is unwritten and the
        disk is free; the messages held so far go out when it ends."""
        if self.unwritten and self.writing is None:
            self.writing, self.held, self.unwritten = self.held, [], False
            self.writing_index = last_index
            ctx.set_timer(self.latency, "fsync")

    def written(self, ctx: Context) -> None:
        """The running write ended (the ``fsync`` timer): what it covered is
        durable and its messages go."""
        released, self.writing = self.writing, None
        self.durable_index = self.writing_index
        ctx.annotate(fsync=self.durable_index)
        for dst, msg in released:
            ctx.send(dst, msg)

    def idle(self) -> bool:
        """Is everything written on disk (no write running or waiting)?"""
        return not self.unwritten and self.writing is None
