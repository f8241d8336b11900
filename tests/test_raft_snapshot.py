"""Log compaction (§7): snapshots taken by each server, InstallSnapshot for
followers that fell behind the compacted prefix, and recovery from a snapshot."""

import pytest

from ddia10.raft import RaftCluster

SEEDS = [1, 2, 3]


def sent(c, kind, since=0):
    return [e for e in c.trace.events[since:] if e.kind == "send" and e.msg_type == kind]


@pytest.mark.parametrize("seed", SEEDS)
def test_7_servers_compact_their_logs(seed):
    c = RaftCluster(3, seed=seed, snapshot_threshold=10)
    for k in range(50):
        c.agree(k)
    for i in c.ids:
        s = c.state(i)
        assert s.snapshot_index >= 40 and len(s.log) <= 12  # at most threshold + a little
        assert c.applied(i) == list(range(50))  # the state machine came through whole
    c.check_invariants()


@pytest.mark.parametrize("seed", SEEDS)
def test_7_install_snapshot_on_a_lagging_follower(seed):
    c = RaftCluster(3, seed=seed, snapshot_threshold=10)
    c.agree("first")
    leader = c.leader()
    lagging = next(p for p in c.ids if p != leader)
    c.disconnect(lagging)
    for k in range(30):
        c.agree(k, servers=2)
    mark = len(c.trace)
    c.connect(lagging)
    c.agree("last")
    snapshots = [e for e in sent(c, "InstallSnapshot", mark) if e.data["dst"] == lagging]
    assert snapshots  # what it needed was compacted away on the leader
    assert c.applied(lagging) == ["first", *range(30), "last"]
    c.check_invariants()


@pytest.mark.parametrize("seed", SEEDS)
def test_7_install_snapshot_on_a_crashed_follower(seed):
    c = RaftCluster(5, seed=seed, snapshot_threshold=8)
    c.agree("first")
    leader = c.leader()
    down = next(p for p in c.ids if p != leader)
    c.crash(down)
    for k in range(25):
        c.agree(k, servers=4)
    c.restart(down)
    c.agree("last")
    assert c.applied(down) == ["first", *range(25), "last"]
    assert c.state(down).snapshot_index > 0
    c.check_invariants()


@pytest.mark.parametrize("seed", SEEDS)
def test_7_restart_recovers_state_from_snapshot_and_log(seed):
    c = RaftCluster(3, seed=seed, snapshot_threshold=7)
    for k in range(20):
        c.agree(k)
    before = {i: c.state(i) for i in c.ids}
    for i in c.ids:
        c.crash(i)
        assert c.state(i).snapshot_index == before[i].snapshot_index
        assert c.state(i).log == before[i].log
    for i in c.ids:
        c.restart(i)
        assert c.state(i).last_applied == before[i].snapshot_index  # restored, not replayed
    c.agree(20)
    assert all(c.applied(i) == list(range(21)) for i in c.ids)
    c.check_invariants()


def test_7_snapshot_threshold_is_validated():
    with pytest.raises(ValueError, match="snapshot_threshold"):
        RaftCluster(3, snapshot_threshold=0)
