"""Chapter 1, "Linearizability": what the chapter stages for the checker.

**Reading from a follower**, the quickest way to lose linearizability. One
*leader* holds a register. It applies every write at once, acknowledges it,
and only then ships it to its *followers* (asynchronous replication). Reads
may go to any node. A read served by the leader sees every acknowledged
write; a read served by a follower sees whatever has reached that follower so
far. If the link to a follower is slow, a client can get the acknowledgement
of ``write(2)``, tell a friend, and the friend's read from the follower still
returns the old value: a *stale read*, exactly what linearizability forbids.

The protocol is deliberately tiny (no failover, no retries); its only job is to
produce real client histories the checker can judge. Clients are processes
too: each one runs a script of operations, one at a time, and records an
``invoke`` when it sends a request and a ``return`` when the reply arrives, so
the operation's interval includes the network delay both ways, as a real
client would see it. :func:`follower_read_run` stages it and
:func:`follower_read_history` reads the clients' history back;
:func:`follower_read_scenario` plays the same world step by step, the history
growing under the picture and the checker judging it after every step.

**The CAP map**: :func:`cap_systems` places configurations of real systems by
the guarantee their single-key reads get and by whether the minority side of
a partition still answers them, each with the documentation that says so;
:func:`cap_table` shows them with their links and :func:`draw_cap_map` on the
map.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from ..linearizability import History, check, history_from_trace
from ..sim import Context, Process, Simulation, Trace
from ..validate import check_choice, check_int, check_number
from ..viz import ClusterView, Scenario
from ..viz.history import history_svg
from ..viz.style import esc


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
class NewValue:
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
                ctx.send(follower, NewValue(self.version, self.value))
        elif isinstance(msg, ReadRequest):
            ctx.send(src, Reply(msg.seq, self.value))
        elif isinstance(msg, NewValue) and msg.version > self.version:
            self.version, self.value = msg.version, msg.value
            ctx.annotate(value=self.value, version=self.version)


@dataclass(frozen=True)
class ClientStep:
    """One scripted client operation: wait ``pause`` ms, then ``op`` at ``node``."""

    pause: float
    op: str  # "read" or "write"
    node: Hashable
    value: int | None = None


class ScriptedClient(Process):
    """Runs its steps in order, one outstanding operation at a time."""

    def __init__(self, steps: Sequence[ClientStep]) -> None:
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
    """A leader, two followers (``f2`` behind a slow link) and three clients, run
    for a second of simulated time (see :func:`follower_read_world`)."""
    sim = follower_read_world(seed, read_from=read_from, lag_ms=lag_ms, writes=writes,
                              reads=reads)
    sim.run(1000.0)
    return sim


def follower_read_world(
    seed: int = 1, *, read_from: str = "follower", lag_ms: float = 30.0, writes: int = 4,
    reads: int = 6,
) -> Simulation:
    """The world of :func:`follower_read_run` before anything has happened.

    ``alice`` writes 1, 2, ... to the leader; ``bob`` and ``carol`` read from
    ``f2`` and ``f1`` (or all from the leader when ``read_from="leader"``).
    """
    check_choice("read_from", read_from, ("follower", "leader"))
    check_number("lag_ms", lag_ms, min=0, unit="ms")
    check_int("writes", writes, min=1)
    check_int("reads", reads, min=1)
    sim = Simulation(seed, latency=(1.0, 3.0))
    sim.add("leader", lambda: RegisterNode(followers=("f1", "f2")))
    sim.add("f1", RegisterNode)
    sim.add("f2", RegisterNode)
    near, far = ("leader", "leader") if read_from == "leader" else ("f1", "f2")
    sim.add("alice", lambda: ScriptedClient(
        [ClientStep(8.0, "write", "leader", v) for v in range(1, writes + 1)]))
    sim.add("bob", lambda: ScriptedClient([ClientStep(5.0, "read", far) for _ in range(reads)]))
    sim.add("carol", lambda: ScriptedClient([ClientStep(7.0, "read", near) for _ in range(reads)]))
    sim.set_link("leader", "f2", latency=lag_ms, both_ways=False)
    return sim


def follower_read_history(sim: Simulation) -> History:
    """The clients' operations in a run of :func:`follower_read_run`, as a register history."""
    return history_from_trace(sim.trace, model="register", init=0)


PLAYER_STEPS = 24
"""Steps of the chapter's player: past bob's first stale read, which the checker rejects."""

_LAYOUT = {"alice": (-1, -1), "leader": (1, -1), "carol": (-1, 0), "f1": (1, 0),
           "bob": (-1, 1), "f2": (1, 1)}


def follower_read_scenario(seed: int = 1) -> Scenario:
    """The follower-read world as a player: under the cluster, the clients' history
    so far and the checker's verdict on it, redone after every step."""
    played: dict[str, Simulation] = {}  # the world being played, whose trace the panel reads

    def build() -> Simulation:
        played["sim"] = follower_read_world(seed)
        return played["sim"]

    def history_panel(view: ClusterView) -> str:
        return history_so_far_html(Trace(played["sim"].trace.events[: view.upto]))

    return Scenario(
        "A stale read from a lagging follower",
        build,
        description=("alice writes to the leader, which answers before its followers have "
                     "the value; bob reads from f2, behind a slow link, and carol from f1. "
                     "Under the picture: the history so far, and the checker's verdict."),
        layout=_LAYOUT,
        panels={"the history so far, checked": history_panel},
    )


def history_so_far_html(trace: Trace) -> str:
    """The clients' operations in ``trace`` drawn as a history, under the checker's verdict
    on them (operations still waiting for their reply may take effect later, or never)."""
    ops = history_from_trace(trace, model="register", init=0)
    if not ops.ops:
        return "<p>No client has called yet.</p>"
    result = check(ops)
    waiting = sum(op.pending for op in ops.ops)
    if result.ok:
        verdict = (f"linearizable so far: {_count(len(ops), 'operation')}, "
                   f"{waiting} still waiting for a reply")
    else:
        stuck = ", ".join(op.describe() for op in result.stuck)
        verdict = f"not linearizable: no single copy could answer {stuck}"
    color = "#2e7d32" if result.ok else "#c62828"
    return (f'<p style="font-weight:600;color:{color};margin:2px 0">{esc(verdict)}</p>'
            + history_svg(ops, result, width=560, caption=False))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


# ---------------------------------------------------------------------- the CAP map
LEVELS = ("may be stale", "stale, in one order", "linearizable", "strict serializable")
"""The guarantees a single-key read can get, weakest first (the map's rows)."""

_ETCD = "https://etcd.io/docs/v3.5/learning/api_guarantees/"
_CONSUL = "https://developer.hashicorp.com/consul/api-docs/features/consistency"
_DYNAMO = ("https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/"
           "HowItWorks.ReadConsistency.html")
_CASSANDRA = "https://cassandra.apache.org/doc/latest/cassandra/architecture/"

SYSTEMS: tuple[tuple[str, str, str, bool, str], ...] = (
    ("etcd", "reads (default)", "linearizable", False, _ETCD),
    ("etcd", "serializable reads", "may be stale", True, _ETCD),
    ("ZooKeeper", "reads", "stale, in one order", False,
     "https://zookeeper.apache.org/doc/current/zookeeperProgrammers.html#ch_zkGuarantees"),
    ("Consul", "consistent reads", "linearizable", False, _CONSUL),
    ("Consul", "stale reads", "may be stale", True, _CONSUL),
    ("Spanner", "strong reads, read-write txns", "strict serializable", False,
     "https://cloud.google.com/spanner/docs/true-time-external-consistency"),
    ("CockroachDB", "serializable txns", "linearizable", False,
     "https://www.cockroachlabs.com/blog/consistency-model/"),
    ("DynamoDB", "strongly consistent reads", "linearizable", False, _DYNAMO),
    ("DynamoDB", "eventually consistent reads", "may be stale", True, _DYNAMO),
    ("Cassandra", "lightweight transactions (SERIAL)", "linearizable", False,
     _CASSANDRA + "guarantees.html"),
    ("Cassandra", "QUORUM reads and writes", "may be stale", False, _CASSANDRA + "dynamo.html"),
    ("Cassandra", "ONE", "may be stale", True, _CASSANDRA + "dynamo.html"),
    ("MongoDB", "primary, readConcern linearizable", "linearizable", False,
     "https://www.mongodb.com/docs/manual/reference/read-concern-linearizable/"),
    ("MongoDB", "secondary reads", "may be stale", True,
     "https://www.mongodb.com/docs/manual/core/read-preference/"),
    ("Redis", "primary + async replicas", "may be stale", True,
     "https://redis.io/docs/latest/operate/oss_and_stack/management/replication/"),
)
"""``(system, configuration, single-key reads, minority answers, source)``: where
each configuration sits during a partition, and the documentation that says so.

"Stale, in one order" is ZooKeeper's alone: a session remembers the last zxid it
saw, and a server behind it will not take the session, so a client's reads never
go back in time even when it moves to another server. etcd's serializable read
is served by whichever member the client asks, so a client that switches
members can read an older revision after a newer one; Consul documents its
stale reads as arbitrarily stale."""

REPLICATION: tuple[tuple[str, str, str], ...] = (
    ("single leader", "potentially",
     "if reads and writes go to the leader, and the leader is sure it still leads "
     "(a read index or a lease); reads from asynchronous followers may be stale"),
    ("consensus (Raft, Paxos, ZAB)", "yes",
     "every operation, reads included, goes through the one agreed order of the log"),
    ("multi-leader", "no",
     "two leaders accept conflicting writes at once and merge them later"),
    ("leaderless (Dynamo-style)", "probably not",
     "even strict quorums race: last-write-wins clocks and sloppy quorums reorder writes"),
)
"""``(replication method, can it be linearizable?, why)``: the chapter's summary of
which ways of keeping copies can give one-copy behaviour."""

NEEDS: tuple[tuple[str, str, str], ...] = (
    ("locks and leader election", "two clients must never both hold the lock",
     "a lock service on consensus (ZooKeeper, etcd) with fencing tokens"),
    ("uniqueness constraints", "two users must not claim one name or one seat",
     "a linearizable compare-and-set on the name or seat"),
    ("cross-channel timing", "a message on a second channel (a queue, a phone call) "
     "arrives before the data it refers to is visible", "read the data linearizably, "
     "or carry its version in the message and wait for it"),
)
"""``(situation, what goes wrong without linearizability, the usual remedy)``: when
an application needs linearizability."""


def replication_table():
    """:data:`REPLICATION` as a table (pandas DataFrame)."""
    import pandas as pd

    return pd.DataFrame(list(REPLICATION),
                        columns=["replication", "linearizable?", "why"])


def needs_table():
    """:data:`NEEDS` as a table (pandas DataFrame)."""
    import pandas as pd

    return pd.DataFrame(list(NEEDS),
                        columns=["the application needs it for", "what goes wrong without it",
                                 "what it uses"])


def cap_systems():
    """:data:`SYSTEMS` as a table (pandas DataFrame), one row per configuration."""
    import pandas as pd

    columns = ["system", "configuration", "single-key reads", "minority answers", "source"]
    systems = pd.DataFrame(list(SYSTEMS), columns=columns)
    unknown = set(systems["single-key reads"]) - set(LEVELS)
    if unknown:
        raise ValueError(f"read guarantees {sorted(unknown)} are not among {LEVELS}")
    return systems


def cap_table(systems) -> str:
    """The configurations as an HTML table, each row linking its source."""
    shown = systems.assign(
        **{"minority answers": systems["minority answers"].map({True: "yes", False: "no"})},
        source=[f'<a href="{url}">docs</a>' for url in systems["source"]],
    )
    return shown.to_html(escape=False, index=False)


def draw_cap_map(systems):
    """The map: one column per side of CAP's choice (the minority side refuses, or
    answers), one row per read guarantee (:data:`LEVELS`), each configuration in
    its cell. Returns the figure."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 5.6))
    for col, answers in enumerate([False, True]):
        for row, level in enumerate(LEVELS):
            cell = systems[(systems["minority answers"] == answers)
                           & (systems["single-key reads"] == level)]
            shade = "#e8f5e9" if row >= 2 else "#fff8e1"
            ax.add_patch(plt.Rectangle((col, row), 1, 1, facecolor=shade, edgecolor="white",
                                       lw=3))
            names = "\n".join(cell["system"] + ": " + cell["configuration"])
            ax.text(col + 0.5, row + 0.5, names or "—", ha="center", va="center", fontsize=9)
    ax.set_xlim(0, 2)
    ax.set_ylim(0, len(LEVELS))
    ax.set_xticks(
        [0.5, 1.5], ["minority side refuses\n(gives up A)", "minority side answers\n(gives up C)"]
    )
    ax.set_yticks([r + 0.5 for r in range(len(LEVELS))], LEVELS)
    ax.set_title("Where configurations of real systems sit during a partition", loc="left")
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    fig.tight_layout()
    return fig
