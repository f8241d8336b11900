"""Chapter 4's commit latency: where the time of a committed write goes.

:func:`commit_latency` follows client writes through a
:class:`~ddia10.raft.client.KVRun` trace: client to leader, the leader's
append, the AppendEntries to the follower whose copy completes a majority,
that follower's disk write, its reply and the commit, apply, and the reply to
the client (:data:`STAGES`); the leader's own disk write runs alongside.
Every figure is a difference of two trace timestamps. :data:`SAME_DC` and
:data:`THREE_REGIONS` place the servers; :func:`latency_table` gives the
median of each stage per run.
"""

from __future__ import annotations

import statistics
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from ...raft.client import KVRun
from ...raft.kv import ClientRequest, KVCommand
from ...raft.messages import AppendEntries, AppendEntriesReply
from ...sim import Trace
from ...validate import check_instance, check_int

STAGES: tuple[str, ...] = (
    "client → leader",
    "leader append",
    "AppendEntries → follower",
    "follower's disk write",
    "reply → leader, commit",
    "commit → apply",
    "leader → client",
)
"""The stages of one write, in order; they add up to the client's latency.
The follower is the one whose copy completed the majority; the leader writes
its own copy while the AppendEntries travel, and a commit that still waits
for that write shows in "reply → leader, commit"."""

SSD_FSYNC = 0.5
"""ms of one ``fsync`` on a datacenter SSD (a setting: they take 0.1–1 ms)."""

SLOW_DISK_FSYNC = 5.0
"""ms of one ``fsync`` on a slow disk: a spinning one (7,200 rpm is 8.3 ms per
turn) or a busy network-attached volume (a setting, not a measurement)."""


@dataclass(frozen=True)
class Placement:
    """Where five servers and one client sit, and the one-way delay between
    places. ``places`` maps a process id to a place name; ``delay`` maps a
    pair of place names (either order) to a latency (a number or a
    ``(lo, hi)`` range of ms); ``local`` is the delay within one place."""

    name: str
    places: dict
    local: Any
    delay: dict

    def latency(self, a: Hashable, b: Hashable) -> Any:
        pa, pb = self.places[a], self.places[b]
        if pa == pb:
            return self.local
        return self.delay.get((pa, pb), self.delay.get((pb, pa)))


SAME_DC = Placement("same datacenter", {p: "dc" for p in (1, 2, 3, 4, 5, "c1")},
                    (0.2, 1.0), {})
"""Every process in one datacenter: one-way delays of 0.2–1 ms."""

THREE_REGIONS = Placement(
    "three regions",
    {1: "us-east", 2: "us-east", 3: "us-west", 4: "us-west", 5: "europe", "c1": "us-east"},
    (0.2, 1.0),
    {("us-east", "us-west"): (30.0, 35.0), ("us-east", "europe"): (38.0, 45.0),
     ("us-west", "europe"): (70.0, 80.0)},
)
"""Two servers in us-east (with the client and the leader), two in us-west,
one in Europe. The one-way delays are of the order public cloud regions show
between the US coasts and across the Atlantic; they are a setting, not a
measurement."""


@dataclass(frozen=True)
class WriteLatency:
    """Where the time of one acknowledged write went (ms); ``stages`` follows
    :data:`STAGES` and sums to ``total``. ``majority`` lists the servers whose
    copies made the entry committed, leader first. ``leader_write`` is how long
    after sending the entry the leader's own write of it ended (``None``
    without a disk latency): it overlaps the stages, it is not one of them."""

    seq: int
    index: int
    stages: dict
    total: float
    majority: tuple
    leader_write: float | None = None


def commit_latency(placement: Placement = SAME_DC, *, disk_latency: float = 0.0,
                   writes: int = 20, seed: int = 0) -> list[WriteLatency]:
    """Run ``writes`` client puts one after another through server 1 (which
    leads) under ``placement``, every server's disk taking ``disk_latency`` ms
    per write, and break each one down from the trace."""
    check_instance("placement", placement, Placement)
    check_int("writes", writes, min=1)
    servers = [1, 2, 3, 4, 5]
    missing = [p for p in servers + ["c1"] if p not in placement.places]
    if missing:
        raise ValueError(f"placement {placement.name!r} does not place {missing}")
    run = KVRun(seed, n=5, clients=1, trace=True, latency=placement.local,
                disk_latency=disk_latency, election_timeout=(1000.0, 2000.0),
                heartbeat_interval=100.0)
    pids = servers + ["c1"]
    for i, a in enumerate(pids):
        for b in pids[i + 1:]:
            run.sim.set_link(a, b, latency=placement.latency(a, b))
    led_by_server_1(run)
    start = len(run.sim.trace)
    for k in range(writes):
        run.submit("c1", "put", "x", f"v{k + 1}")
    if not run.run_until_idle(1000.0 * writes):
        raise RuntimeError("the writes did not complete; is a majority reachable?")
    return write_latencies(Trace(run.sim.trace.events[start:]), leader=1, client="c1",
                           quorum=3)


def led_by_server_1(run: KVRun) -> None:
    """Elect server 1, commit its no-op everywhere, and let every client
    complete one write so that it knows who leads (none of it measured)."""
    run.cluster.campaign(1)
    run.cluster.run_until(lambda c: c.leader() == 1 and all(
        n.commit_index >= 1 for n in c.nodes().values()), 5000)
    for client in run.clients:
        run.submit(client, "put", "x", "v0")
    if not run.run_until_idle(5000.0 * len(run.clients)):
        raise RuntimeError("the first write did not complete; is a majority reachable?")


def write_latencies(trace: Trace, *, leader: Hashable, client: Hashable,
                    quorum: int) -> list[WriteLatency]:
    """Break down every write ``client`` completed in ``trace`` (see :data:`STAGES`)."""
    t: dict[str, dict] = {k: {} for k in ("invoked", "arrived", "sent", "committed", "applied",
                                           "returned", "written")}
    index_of: dict[int, int] = {}
    seq_at: dict[int, int] = {}
    reached: dict[tuple, float] = {}  # (follower, seq) -> its copy arrived
    stored: dict[tuple, float] = {}  # (follower, seq) -> its reply left
    acks: dict[int, list] = {}  # seq -> [(follower, reply arrived)], in order
    commit_index = applied_index = 0

    def covered(last: int) -> list[int]:
        return [seq for index, seq in seq_at.items() if index <= last]

    for e in trace:
        kind, data, pid = e.kind, e.data, e.pid
        msg = data.get("msg")
        if kind in ("invoke", "return") and data.get("client") == client:
            t["invoked" if kind == "invoke" else "returned"][data["seq"]] = e.time
        elif kind == "deliver" and pid == leader and isinstance(msg, ClientRequest):
            t["arrived"].setdefault(msg.seq, e.time)
        elif kind == "send" and pid == leader and isinstance(msg, AppendEntries):
            for k, (_term, command) in enumerate(msg.entries):
                if isinstance(command, KVCommand) and command.client == client:
                    index_of.setdefault(command.seq, msg.prev_log_index + 1 + k)
                    seq_at[index_of[command.seq]] = command.seq
                    t["sent"].setdefault(command.seq, e.time)
        elif kind == "deliver" and isinstance(msg, AppendEntries) and pid != leader:
            for seq in covered(msg.prev_log_index + len(msg.entries)):
                if index_of[seq] > msg.prev_log_index:
                    reached.setdefault((pid, seq), e.time)
        elif kind == "send" and isinstance(msg, AppendEntriesReply) and msg.success:
            for seq in covered(msg.match_index):
                stored.setdefault((pid, seq), e.time)
        elif kind == "deliver" and pid == leader and isinstance(msg, AppendEntriesReply) \
                and msg.success:
            for seq in covered(msg.match_index):
                got = acks.setdefault(seq, [])
                if seq not in t["committed"] and data["src"] not in dict(got):
                    got.append((data["src"], e.time))
        elif kind == "state" and pid == leader:
            commit_index = data.get("commit_index", commit_index)
            applied_index = data.get("last_applied", applied_index)
            for name, done in (("committed", commit_index), ("applied", applied_index),
                               ("written", data.get("fsync", 0))):
                for seq in covered(done):
                    t[name].setdefault(seq, e.time)
    out = []
    for seq in sorted(t["returned"]):
        if seq not in t["committed"] or len(acks.get(seq, ())) < quorum - 1:
            continue
        follower, acked = acks[seq][quorum - 2]
        times = (t["invoked"][seq], t["arrived"][seq], t["sent"][seq], reached[follower, seq],
                 stored[follower, seq], t["committed"][seq], t["applied"][seq],
                 t["returned"][seq])
        stages = {name: b - a for name, a, b in zip(STAGES, times[:-1], times[1:], strict=True)}
        written = t["written"].get(seq)
        out.append(WriteLatency(seq, index_of[seq], stages, times[-1] - times[0],
                                (leader, *(p for p, _ in acks[seq][: quorum - 1])),
                                None if written is None else written - t["sent"][seq]))
    return out


LEADER_WRITE = "(alongside: the leader's own disk write)"
"""The last row of :func:`latency_table`: not a stage, it overlaps them."""


def latency_table(runs: dict[str, Sequence[WriteLatency]]):
    """Median ms per stage (rows) for each named run (columns), with the total,
    and then the leader's own disk write, which runs alongside the stages."""
    import pandas as pd

    if not runs:
        raise ValueError("latency_table needs at least one named run")
    columns = {}
    for name, writes in runs.items():
        if not writes:
            raise ValueError(f"run {name!r} has no completed writes")
        column = {stage: statistics.median(w.stages[stage] for w in writes) for stage in STAGES}
        column["total (client's view)"] = statistics.median(w.total for w in writes)
        own = [w.leader_write for w in writes if w.leader_write is not None]
        column[LEADER_WRITE] = statistics.median(own) if own else 0.0
        columns[name] = column
    return pd.DataFrame(columns).round(2)
