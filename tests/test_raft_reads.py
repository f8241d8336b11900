"""Reads without writing to the log (thesis §6.4): ReadIndex and leases."""

import pytest

from ddia10.raft import RaftCluster, RaftNode

QUIET = (100_000, 200_000)


class Reader(RaftNode):
    """Records when reads become servable, and which failed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ready, self.failed = [], []

    def on_read_ready(self, ctx, read_id, index):
        self.ready.append((read_id, index, ctx.now))

    def on_read_failed(self, ctx, read_id):
        self.failed.append(read_id)


def read(c, node, read_id):
    c.sim.call(node, lambda n, ctx: n.request_read(ctx, read_id))


@pytest.mark.parametrize("seed", [1, 2])
def test_6_4_read_index_waits_for_a_heartbeat_round(seed):
    c = RaftCluster(3, seed=seed, latency=10.0, node_class=Reader)
    c.agree("a")
    leader = c.leader()
    node = c.node(leader)
    commit, asked = node.commit_index, c.sim.now
    read(c, leader, "r1")
    assert node.ready == []  # not before a majority confirms we still lead
    c.run(25)
    assert [(r, i) for r, i, _t in node.ready] == [("r1", commit)]
    assert node.ready[0][2] - asked >= 20  # one round trip at 10 ms each way


def test_6_4_reads_in_one_instant_share_one_round():
    c = RaftCluster(3, seed=1, latency=10.0, node_class=Reader)
    c.agree("a")
    leader = c.leader()
    mark = len(c.trace)
    for k in range(20):
        read(c, leader, k)
    c.run(25)
    assert [r for r, _i, _t in c.node(leader).ready] == list(range(20))
    beats = [e for e in c.trace.events[mark:] if e.kind == "send" and e.msg_type == "AppendEntries"]
    assert len(beats) == 2  # one heartbeat per follower for all twenty reads


def test_6_4_read_at_a_follower_fails_at_once():
    c = RaftCluster(3, seed=1, node_class=Reader)
    c.agree("a")
    follower = next(p for p in c.ids if p != c.leader())
    read(c, follower, "r")
    assert c.node(follower).failed == ["r"]


def test_6_4_deposed_leader_never_answers_a_read():
    c = RaftCluster(5, seed=2, node_class=Reader)
    c.agree("a")
    old = c.leader()
    c.partition([old], [p for p in c.ids if p != old])
    read(c, old, "r")
    c.run(1000)
    c.agree("b", servers=4)
    assert c.node(old).ready == []
    c.heal()
    c.run(300)
    assert c.node(old).failed == ["r"]  # it learned of the new term and gave up


def test_6_4_a_new_leader_reads_only_after_its_no_op_commits():
    c = RaftCluster(3, seed=1, latency=10.0, election_timeout=QUIET, node_class=Reader)
    c.campaign(1)
    c.run_until(lambda cl: cl.state(1).role == "leader", 100)
    node = c.node(1)
    assert node.commit_index == 0
    read(c, 1, "r")
    c.run(100)
    assert node.ready and node.ready[0][1] == 1  # the read index is the no-op's, not 0


def test_6_4_lease_reads_need_check_quorum():
    c = RaftCluster(3, seed=1)
    c.agree("a")
    assert not c.sim.call(c.leader(), lambda n, ctx: n.lease_read_ok(ctx))
    c = RaftCluster(3, seed=1, check_quorum=True)
    c.agree("a")
    assert c.sim.call(c.leader(), lambda n, ctx: n.lease_read_ok(ctx))


def test_6_4_lease_expires_without_a_majority():
    c = RaftCluster(3, seed=1, check_quorum=True)
    c.agree("a")
    leader = c.leader()
    c.partition([leader], [p for p in c.ids if p != leader])
    c.run(c.options.lease_duration + 1)
    assert not c.sim.call(leader, lambda n, ctx: n.lease_read_ok(ctx))
