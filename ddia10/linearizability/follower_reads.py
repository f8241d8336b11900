"""Reading from a follower: the quickest way to lose linearizability.

One *leader* holds a register. It applies every write at once, acknowledges
it, and only then ships it to its *followers* (asynchronous replication).
Reads may go to any node. A read served by the leader sees every acknowledged
write; a read served by a follower sees whatever has reached that follower so
far. If the link to a follower is slow, a client can get the acknowledgement
of ``write(2)``, tell a friend, and the friend's read from the follower still
returns the old value: a *stale read*, exactly what linearizability forbids.

The protocol is deliberately tiny (no failover, no retries); its only job is to
produce real client histories the checker can judge. Clients are processes
too: each one runs a script of operations, one at a time, and records an
``invoke`` when it sends a request and a ``return`` when the reply arrives, so
the operation's interval includes the network delay both ways, as a real
client would see it.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from ..sim import Context, Process, Simulation
from .history import History, history_from_trace


@dataclass(frozen=True)
class WriteRequest:
    seq: int
    value: int


@dataclass(frozen=True)
class ReadRequest:
    seq: int


@dataclass(frozen=True)
class Reply:
    seq: int
    output: int | None


@dataclass(frozen=True)
class Replicate:
    """The leader's new value, numbered so a follower never goes backwards."""

    version: int
    value: int


class RegisterNode(Process):
    """A replica of the register; the leader is the one constructed with followers."""

    def __init__(self, followers: Sequence[Hashable] = ()) -> None:
        self.followers = tuple(followers)
        self.value = 0
        self.version = 0

    def on_start(self, ctx: Context) -> None:
        role = "leader" if self.followers else "follower"
        ctx.annotate(role=role, value=self.value, version=self.version)

    def on_message(self, ctx: Context, src: Hashable, msg) -> None:
        if isinstance(msg, WriteRequest):
            if not self.followers:
                raise ValueError(f"{ctx.pid!r} is a follower; writes go to the leader")
            self.version += 1
            self.value = msg.value
            ctx.annotate(value=self.value, version=self.version)
            ctx.send(src, Reply(msg.seq, None))  # acknowledged before any follower has it
            for follower in self.followers:
                ctx.send(follower, Replicate(self.version, self.value))
        elif isinstance(msg, ReadRequest):
            ctx.send(src, Reply(msg.seq, self.value))
        elif isinstance(msg, Replicate) and msg.version > self.version:
            self.version, self.value = msg.version, msg.value
            ctx.annotate(value=self.value, version=self.version)


@dataclass(frozen=True)
class Step:
    """One scripted client operation: wait ``pause`` ms, then ``op`` at ``node``."""

    pause: float
    op: str  # "read" or "write"
    node: Hashable
    value: int | None = None


class ScriptedClient(Process):
    """Runs its steps in order, one outstanding operation at a time."""

    def __init__(self, steps: Sequence[Step]) -> None:
        self.steps = tuple(steps)
        self.next = 0

    def on_start(self, ctx: Context) -> None:
        if self.steps:
            ctx.set_timer(self.steps[0].pause, "next")

    def on_timer(self, ctx: Context, name: Hashable) -> None:
        step = self.steps[self.next]
        ctx.emit("invoke", client=ctx.pid, seq=self.next, op=step.op, key=None, value=step.value)
        request = WriteRequest(self.next, step.value) if step.op == "write" else \
            ReadRequest(self.next)
        ctx.send(step.node, request)

    def on_message(self, ctx: Context, src: Hashable, msg) -> None:
        if not isinstance(msg, Reply) or msg.seq != self.next:
            return
        ctx.emit("return", client=ctx.pid, seq=msg.seq, output=msg.output)
        self.next += 1
        if self.next < len(self.steps):
            ctx.set_timer(self.steps[self.next].pause, "next")


def follower_read_run(
    seed: int = 1, *, read_from: str = "follower", lag_ms: float = 30.0, writes: int = 4,
    reads: int = 6,
) -> Simulation:
    """A leader, two followers (``f2`` behind a slow link) and three clients.

    ``alice`` writes 1, 2, ... to the leader; ``bob`` and ``carol`` read from
    ``f2`` and ``f1`` (or all from the leader when ``read_from="leader"``).
    """
    if read_from not in ("follower", "leader"):
        raise ValueError(f"read_from must be 'follower' or 'leader', got {read_from!r}")
    if not lag_ms >= 0:
        raise ValueError(f"lag_ms must be >= 0, got {lag_ms!r}")
    for name, n in (("writes", writes), ("reads", reads)):
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {n!r}")
    sim = Simulation(seed, latency=(1.0, 3.0))
    sim.add("leader", lambda: RegisterNode(followers=("f1", "f2")))
    sim.add("f1", RegisterNode)
    sim.add("f2", RegisterNode)
    near, far = ("leader", "leader") if read_from == "leader" else ("f1", "f2")
    sim.add("alice", lambda: ScriptedClient(
        [Step(8.0, "write", "leader", v) for v in range(1, writes + 1)]))
    sim.add("bob", lambda: ScriptedClient([Step(5.0, "read", far) for _ in range(reads)]))
    sim.add("carol", lambda: ScriptedClient([Step(7.0, "read", near) for _ in range(reads)]))
    sim.set_link("leader", "f2", latency=lag_ms, both_ways=False)
    sim.run(1000.0)
    return sim


def follower_read_history(sim: Simulation) -> History:
    """The clients' operations in a run of :func:`follower_read_run`, as a register history."""
    return history_from_trace(sim.trace, model="register", init=0)
