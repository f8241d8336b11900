"""Chapter 4's runs and players: five servers through crashes, a partition and a heal.

:func:`roles_run` is the run the role diagram is drawn from: a leader
elected, crashed, replaced and restarted. :func:`raft_cluster_scenario`
builds the key-value store of :mod:`ddia10.raft.client` (five
:class:`~ddia10.raft.kv.KVServer` servers and one client ``c1``) on the
simulator, slowed down so a reader sees each message in flight. The buttons
are a client write, killing the leader, restarting what is down, cutting the
leader off with one follower, and healing. :func:`server_table` shows what
Figure 2 of the Raft paper lists for a server: role, term, vote, log, commit
index, and on the leader ``nextIndex``/``matchIndex`` per follower.
:data:`STORY` is the sequence of presses the chapter plays;
:func:`server_logs` and :func:`last_log_index` read the logs as values.

:func:`rpc_table` turns the Raft messages of any trace into a table of their
fields, for showing the RPCs as they really went by; :func:`first_write_round`
finds the round that replicated the first client write and
:func:`one_message` shows a broadcast once.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

from ...raft import RaftCluster
from ...raft.client import KVRun
from ...raft.cluster import leader_of
from ...raft.kv import KVCommand
from ...raft.messages import RAFT_MESSAGES, AppendEntries, AppendEntriesReply, short
from ...sim import Event, Simulation, Trace
from ...validate import check_int
from ...viz import ClusterView, ProcessView, Scenario

SERVERS = (1, 2, 3, 4, 5)
CLIENT = "c1"
LATENCY = (4.0, 12.0)
"""One-way delays (ms): slow enough to watch, varied enough to reorder."""

TIMING = {"election_timeout": (300.0, 600.0), "heartbeat_interval": 100.0}
"""Slower than the defaults, in the same proportions (heartbeat well under the timeout)."""

WRITE = "Client writes x"
KILL = "Kill the leader"
RESTART = "Restart crashed servers"
PARTITION = "Cut the leader off (with one follower and the client)"
HEAL = "Heal the network"

STORY: list[tuple[int, str]] = [
    (8, WRITE),
    (24, KILL),
    (40, WRITE),
    (54, RESTART),
    (66, PARTITION),
    (72, WRITE),
    (100, HEAL),
]
"""The presses the chapter plays: ``(step, button)``."""

STORY_STEPS = 130
"""How many steps of :data:`STORY` the static player shows."""

STEP_KINDS = frozenset(
    "state drop invoke return note crash restart partition heal disconnect reconnect".split()
)
"""A step ends when a server's state changes, a client call starts or ends, or
the world changes; quiet heartbeats never cost more than a few events."""

# The servers on a pentagon, the client to its right.
LAYOUT = {
    1: (-0.35, -0.65), 2: (0.27, -0.2), 3: (0.03, 0.53), 4: (-0.73, 0.53), 5: (-0.97, -0.2),
    CLIENT: (1.0, 0.1),
}


def roles_run(seed: int = 3) -> tuple[RaftCluster, Hashable]:
    """Five servers elect a leader; 200 ms later it crashes; 1 s later it
    restarts and follows the leader elected meanwhile; 500 ms more. The
    finished cluster and the first leader's id."""
    cluster = RaftCluster(5, seed=seed)
    first_leader = cluster.wait_for_leader()
    cluster.run(200)
    cluster.crash(first_leader)
    cluster.run(1000)
    cluster.restart(first_leader)
    cluster.run(500)
    return cluster, first_leader


def _servers(sim: Simulation) -> list[Hashable]:
    return [p for p in sim.pids if p != CLIENT]


def _leader(sim: Simulation) -> Hashable | None:
    """The leader the buttons aim at, found as the harness finds it."""
    return leader_of({p: sim.process(p) for p in _servers(sim) if sim.is_up(p)})


def _write(sim: Simulation) -> None:
    value = f"v{1 + sum(1 for e in sim.trace.of_kind('invoke'))}"
    sim.call(CLIENT, lambda client, ctx: client.submit(ctx, "put", "x", value))


def _kill_leader(sim: Simulation) -> None:
    leader = _leader(sim)
    if leader is None:
        sim.note("no server leads right now: nothing to kill")
    else:
        sim.crash(leader)


def _restart(sim: Simulation) -> None:
    down = [p for p in _servers(sim) if not sim.is_up(p)]
    if not down:
        sim.note("every server is running")
    for p in down:
        sim.restart(p)


def _partition(sim: Simulation) -> None:
    leader = _leader(sim)
    if leader is None:
        sim.note("no server leads right now: nothing to cut off")
        return
    others = [p for p in _servers(sim) if p != leader]
    sim.partition([leader, others[0], CLIENT], others[1:])


def raft_cluster_scenario(seed: int = 4) -> Scenario:
    """Five Raft servers and a client: write, kill the leader, partition, heal."""
    check_int("seed", seed)

    def build() -> Simulation:
        return KVRun(seed, n=len(SERVERS), clients=1, latency=LATENCY, client_timeout=250.0,
                     **TIMING).sim

    return Scenario(
        title="Raft: five servers and a client",
        build=build,
        buttons={WRITE: _write, KILL: _kill_leader, RESTART: _restart,
                 PARTITION: _partition, HEAL: _heal},
        table=server_table,
        description=(
            "Servers 1–5 elect a leader; client c1 writes x through it. A write is "
            "acknowledged once a majority stores it and the leader has applied it. Kill the "
            "leader and watch the others elect a new one. Cut the leader off with one follower "
            "and the client: the client's write reaches the old leader but can never commit, "
            "while the other three elect a leader of a higher term."
        ),
        step_kinds=STEP_KINDS,
        max_events=12,
        layout=LAYOUT,
    )


def _heal(sim: Simulation) -> None:
    sim.heal()


def _per_follower(value: Any) -> str:
    """``{2: 5, 3: 4}`` (or its JSON form with string keys) as ``2:5 3:4``."""
    if not isinstance(value, Mapping):
        return ""
    return " ".join(f"{k}:{v}" for k, v in sorted(value.items(), key=lambda kv: str(kv[0])))


def _entries(a: Mapping[str, Any]) -> list[tuple[int, int, Any]]:
    """The log a server annotated, as ``(index, term, command)``."""
    start = a.get("log_start", 1)
    return [(i, term, command) for i, (term, command) in enumerate(a.get("log", ()), start)]


def last_log_index(process: ProcessView) -> int:
    """The index of the last entry in the log a server annotated (0: empty)."""
    a = process.annotations
    return a.get("log_start", 1) + len(a.get("log", ())) - 1


def server_logs(view: ClusterView) -> dict[Hashable, tuple]:
    """Each server's log in ``view`` as ``(index, term, command)`` entries, the
    commands as the log grid writes them (the client is left out)."""
    return {pid: tuple((i, term, short(command)) for i, term, command in _entries(p.annotations))
            for pid, p in view.processes.items() if pid != CLIENT}


def _log(a: Mapping[str, Any]) -> str:
    """The log's last entries as ``index:term``, a star marking client commands
    (the other entries are the no-ops new leaders append)."""
    cells = [f"{i}:t{term}" + ("" if command == "no-op" else "*")
             for i, term, command in _entries(a)]
    return " ".join(cells[-6:]) if cells else "—"


def server_table(view: ClusterView):
    """One row per server: Figure 2's state, as the trace annotated it. A
    crashed server keeps what it persisted (term, vote, log) and shows none of
    its volatile state."""
    import pandas as pd

    rows = []
    for pid, p in view.processes.items():
        if pid == CLIENT:
            continue
        a = p.annotations
        if p.status == "crashed":
            a = {k: v for k, v in a.items() if k in ("term", "voted_for", "log", "log_start")}
        rows.append({
            "server": str(pid),
            "role": p.role,
            "term": a.get("term", 0),
            "voted for": "" if a.get("voted_for") is None else str(a.get("voted_for")),
            "log (* = write)": _log(a),
            "commit": a.get("commit_index", ""),
            "applied": a.get("last_applied", ""),
            "nextIndex": _per_follower(a.get("next_index")),
            "matchIndex": _per_follower(a.get("match_index")),
        })
    return pd.DataFrame(rows)


_FIELDS = ("term", "candidate_id", "leader_id", "last_log_index", "last_log_term",
           "prev_log_index", "prev_log_term", "entries", "leader_commit", "vote_granted",
           "success", "match_index", "conflict_index", "conflict_term")


def rpc_table(trace: Trace, *, kinds: Iterable[str] = ("send",), limit: int | None = None):
    """The Raft messages of ``trace`` as rows of their fields (one column per
    field name of the RPCs; blank where a message has no such field).
    ``kinds`` picks the events (``send``, ``deliver``, ``drop``)."""
    import pandas as pd

    if not isinstance(trace, Trace):
        raise TypeError(f"rpc_table takes a Trace, got {type(trace).__name__}")
    kinds = set(kinds)
    bad = kinds - {"send", "deliver", "drop", "duplicate"}
    if bad:
        raise ValueError(f"kinds must be message events (send, deliver, drop), got {sorted(bad)}")
    check_int("limit", limit, min=1, none=True)
    rows = []
    for e in trace:
        if e.kind not in kinds or not isinstance(e.data.get("msg"), RAFT_MESSAGES):
            continue
        msg = e.data["msg"]
        row = {"t (ms)": round(e.time, 2), "event": e.kind, "from": e.data["src"],
               "to": e.data["dst"], "RPC": type(msg).__name__}
        for name in _FIELDS:
            if hasattr(msg, name):
                value = getattr(msg, name)
                if name == "entries":
                    value = ", ".join(f"t{t}:{short(c)}" for t, c in value) or "(heartbeat)"
                row[name] = str(value)
        rows.append(row)
        if limit is not None and len(rows) >= limit:
            break
    used = [name for name in _FIELDS if any(name in row for row in rows)]
    return pd.DataFrame(rows, columns=["t (ms)", "event", "from", "to", "RPC", *used]).fillna("")


def first_write_round(trace: Trace) -> tuple[list[Event], list[Event]]:
    """The round that replicated the first client command of ``trace``: the
    leader's AppendEntries carrying it (one per follower) and each follower's
    first AppendEntries reply after it, as the send events."""
    if not isinstance(trace, Trace):
        raise TypeError(f"first_write_round takes a Trace, got {type(trace).__name__}")
    start = next((e for e in trace.of_kind("send") if isinstance(e.data["msg"], AppendEntries)
                  and any(isinstance(c, KVCommand) for _t, c in e.data["msg"].entries)), None)
    if start is None:
        raise ValueError("no AppendEntries in this trace carries a client command")
    later = [e for e in trace.of_kind("send") if e.index >= start.index]
    sent = [e for e in later if e.pid == start.pid and e.data["msg"] == start.data["msg"]]
    replies: dict[Hashable, Event] = {}
    for e in later:
        if isinstance(e.data["msg"], AppendEntriesReply) and e.data["dst"] == start.pid:
            replies.setdefault(e.pid, e)
    return sent, [replies[e.data["dst"]] for e in sent if e.data["dst"] in replies]


def one_message(rows, fields: Sequence[str]):
    """The message sent to every server in ``rows`` (rows of :func:`rpc_table`,
    identical but for ``to``), field by field, as one column."""
    import pandas as pd

    if (rows[list(fields)].nunique() != 1).any():
        raise ValueError(f"the rows differ in {list(fields)}: not one message sent to many")
    first = rows.iloc[0]
    return pd.Series({"t (ms)": first["t (ms)"], "from": first["from"],
                      "to": ", ".join(str(to) for to in rows.to), **first[list(fields)]},
                     name=first.RPC).to_frame()
