"""Chapter 7's worked runs of ZAB, Viewstamped Replication and EPaxos.

- :func:`proposals_a_new_leader_finds`: what a new ZAB leader does with the
  proposals it finds — it keeps one history, the most up-to-date of its
  quorum, and drops what is not in it; :func:`history_table` shows the
  servers' histories.
- :func:`stale_then_sync`: a follower's local read is stale, the same read
  after ``sync`` is not.
- :func:`view_change_run`: VR's new primary choosing between a longer log of
  an older view and a shorter one of a newer view (``longest_log=True`` is
  the rule the chapter's syllabus states, and it loses a committed operation).
- :func:`epaxos_paths`: one command nothing interferes with (fast path) and two
  that interfere (slow path), on fixed 5 ms links; :func:`attributes_table`
  shows what was committed.
"""

from __future__ import annotations

from typing import Any

from ...epaxos import EPaxosCluster
from ...harness import Harness
from ...invariants import InvariantViolation
from ...validate import check_bool, check_instance, check_int
from ...vr import VRCluster
from ...zab import ZabCluster, zxid_counter, zxid_epoch


def proposals_a_new_leader_finds(leader: int | None = None,
                                  seed: int = 1) -> tuple[ZabCluster, dict]:
    """Five ZAB servers; leader 5 commits ``a``; then its proposal ``b`` reaches
    only server 4, and ``c`` reaches nobody; 5 crashes. The others elect a
    leader of epoch 2 (``leader``, if given, stands at once), which writes
    ``d``; then 5 comes back. The cluster, and each server's history (as
    values) just before the crash."""
    check_int("leader", leader, min=1, max=4, none=True)
    z = ZabCluster(5, seed, latency=1.0, check_every_event=True)
    assert z.wait_for_leader() == 5
    z.submit(("set", "x", "a"))
    z.run(10)
    for server in (1, 2, 3):
        z.sim.set_link(5, server, loss=1.0, both_ways=False)
    z.submit(("set", "x", "b"))
    z.run(10)
    z.partition([5], [1, 2, 3, 4])
    z.submit(("set", "x", "c"))
    before = {pid: [txn[2] for _, txn in z.node(pid).history] for pid in z.ids}
    z.crash(5)
    z.heal()
    for server in (1, 2, 3):
        z.sim.set_link(5, server, loss=0.0, both_ways=False)
    if leader is not None:
        z.elect(leader)
    z.run_until(lambda c: c.leader() is not None, 2000)
    z.run(20)
    z.submit(("set", "x", "d"))
    z.run(20)
    z.restart(5)
    z.run(300)
    return z, before


def history_table(z: ZabCluster):
    """One row per transaction of each server's history: its value, zxid, epoch
    and counter, and whether that server has delivered it."""
    import pandas as pd

    check_instance("z", z, ZabCluster)
    rows = []
    for pid in z.ids:
        node = z.node(pid)
        for i, (zxid, txn) in enumerate(node.history):
            rows.append({"server": pid, "value": txn[2] if isinstance(txn, tuple) else txn,
                         "zxid": f"{zxid:#x}", "epoch": zxid_epoch(zxid),
                         "counter": zxid_counter(zxid), "delivered": i < node.delivered})
    return pd.DataFrame(rows)


def stale_then_sync(seed: int = 4) -> dict[str, Any]:
    """Three ZAB servers on 1 ms links, but the leader's links to follower 1 take
    30 ms. A write commits (leader and follower 2); 5 ms later each server
    reads locally, then follower 1 reads after ``sync``."""
    z = ZabCluster(3, seed, latency=1.0)
    leader = z.wait_for_leader()
    z.run(20)
    follower = min(p for p in z.ids if p != leader)
    z.sim.set_link(leader, follower, latency=30.0, both_ways=False)
    z.submit(("set", "x", "new"))
    z.run(5)
    local = {pid: z.read(pid, "x") for pid in z.ids}
    asked = z.sim.now
    synced = z.sync_read(follower, "x")
    z.check_invariants()
    return {"leader": leader, "follower": follower, "local reads": local,
            "after sync": synced, "sync took (ms)": round(z.sim.now - asked, 1)}


def view_change_run(longest_log: bool = False, seed: int = 4) -> tuple[VRCluster, Any]:
    """Three VR replicas. Op ``a`` commits in view 0. Primary 1 is cut off and
    takes ``b``, ``c``, ``d`` that nobody else sees; 2 and 3 move to view 1,
    whose primary 2 commits ``x``. Then 2 crashes and the network heals: 1
    (longer log, last normal in view 0) and 3 (log with ``x``, normal in view
    1) start view 2, whose primary is 3. The cluster and the violation the
    monitor found (``None``: none)."""
    check_bool("longest_log", longest_log)
    v = VRCluster(3, seed, check_every_event=True, bug_longest_log=longest_log)
    violation = None
    try:
        v.submit("a")
        v.run(30)
        v.partition([1], [2, 3])
        for op in "bcd":
            v.submit(op, node=1)
        v.run_until(lambda c: c.node(2).status == "normal" and c.node(2).view == 1, 1000)
        v.submit("x", node=2)
        v.run(30)
        v.crash(2)
        v.heal()
        v.run_until(lambda c: c.node(3).view == 2 and c.node(3).status == "normal", 2000)
        v.run(50)
    except InvariantViolation as caught:
        violation = caught
    return v, violation


def vr_log_table(cluster: VRCluster):
    """One row per replica: its status, view, last normal view, log and commit number."""
    import pandas as pd

    check_instance("cluster", cluster, VRCluster)
    rows = []
    for pid in cluster.ids:
        if not cluster.sim.is_up(pid):
            rows.append({"replica": pid, "status": "crashed"})
            continue
        r = cluster.node(pid)
        rows.append({"replica": pid, "status": r.status, "view": r.view,
                     "last normal view": r.last_normal, "log": " ".join(map(str, r.log)),
                     "committed": r.commit})
    return pd.DataFrame(rows).set_index("replica")


EPAXOS_LATENCY = 5.0
"""The fixed one-way delay of :func:`epaxos_paths` (ms): a round trip is 10 ms."""


def epaxos_paths(seed: int = 2) -> tuple[EPaxosCluster, EPaxosCluster]:
    """Two runs on five replicas: replica 3 alone commits ``x=1`` (nothing
    interferes); replicas 1 and 2 receive ``k=a`` and ``k=b`` at the same moment
    (they interfere)."""
    alone = EPaxosCluster(5, seed, latency=EPAXOS_LATENCY, check_every_event=True)
    alone.submit(("set", "x", 1), node=3)
    alone.run(40)
    pair = EPaxosCluster(5, seed, latency=EPAXOS_LATENCY, check_every_event=True)
    pair.submit(("set", "k", "a"), node=1)
    pair.submit(("set", "k", "b"), node=2)
    pair.run(40)
    return alone, pair


def attributes_table(cluster: EPaxosCluster, replica: int = 3):
    """What ``replica`` committed: per instance the command, ``seq``, ``deps``, the
    path its leader took and when its leader committed it."""
    import pandas as pd

    check_instance("cluster", cluster, EPaxosCluster)
    returns = {e.data["instance"]: e for e in cluster.trace.of_kind("return")}
    rows = []
    for instance, (cmd, seq, deps) in cluster.committed(replica).items():
        done = returns.get(instance)
        rows.append({"instance": str(instance), "command": f"{cmd[1]}={cmd[2]}", "seq": seq,
                     "deps": ", ".join(map(str, sorted(deps))) or "—",
                     "path": done.data["path"] if done else "recovered",
                     "committed at (ms)": done.time if done else None})
    return pd.DataFrame(rows).set_index("instance")


def message_counts(harness: Harness) -> dict:
    """How many messages of each type a run sent."""
    counts: dict = {}
    for e in harness.trace.of_kind("send"):
        name = type(e.data["msg"]).__name__
        counts[name] = counts.get(name, 0) + 1
    return counts
