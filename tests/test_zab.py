"""ZAB: zxids, the three phases, reads and sync, and each safety rule shown by a run
that breaks when the rule alone is removed."""

import pytest

from ddia10.sim import Context, Persist, Send
from ddia10.zab import (
    LEADING,
    LOOKING,
    ONE_LEADER_PER_EPOCH,
    PRIMARY_INTEGRITY,
    TOTAL_ORDER,
    AckEpoch,
    AckProposal,
    Delivered,
    ElectionVote,
    Established,
    FollowerInfo,
    InvariantViolation,
    LeaderProposed,
    NewEpoch,
    NewLeader,
    Notification,
    Proposal,
    ZabCluster,
    ZabMonitor,
    ZabOptions,
    ZabServer,
    format_zxid,
    make_zxid,
    zxid_counter,
    zxid_epoch,
)
from ddia10.zab.server import BROADCAST, DISCOVERY, SYNCHRONIZATION


# ---------------------------------------------------------------- zxids
def test_a_zxid_is_the_epoch_in_the_high_32_bits_and_the_counter_in_the_low_32():
    assert make_zxid(5, 1) == 0x500000001 == (5 << 32) + 1
    assert (zxid_epoch(0x500000001), zxid_counter(0x500000001)) == (5, 1)
    assert make_zxid(1, 2**32 - 1) < make_zxid(2, 1)  # every later epoch sorts after
    assert format_zxid(0x200000003) == "0x200000003 (epoch 2, counter 3)"


@pytest.mark.parametrize("epoch, counter, message", [
    (2**32, 0, "zxid epoch must be an int in [0, 4294967295], got 4294967296"),
    (-1, 0, "zxid epoch must be an int in [0, 4294967295], got -1"),
    (1, 2**32, "zxid counter must be an int in [0, 4294967295], got 4294967296"),
    (1.0, 0, "zxid epoch must be an int"),
])
def test_a_zxid_half_that_does_not_fit_in_32_bits_is_refused(epoch, counter, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[")):
        make_zxid(epoch, counter)
    with pytest.raises(ValueError, match="a zxid must be an int"):
        zxid_epoch(-1)


def test_bad_options_and_arguments_fail_clearly():
    with pytest.raises(ValueError, match="unknown ZAB option"):
        ZabCluster(3, tickk=5)
    with pytest.raises(ValueError, match="sync_limit .* must be longer than a tick"):
        ZabOptions(tick=50, sync_limit=50)
    with pytest.raises(ValueError, match="max_counter must be an int"):
        ZabOptions(max_counter=2**32)
    with pytest.raises(ValueError, match="cluster size must be an int >= 1, got 0"):
        ZabCluster(0)
    z = ZabCluster(3, seed=1)
    with pytest.raises(KeyError, match="unknown server id 7"):
        z.crash(7)


# ---------------------------------------------------------------- the phases
def test_an_ensemble_elects_the_most_up_to_date_server_and_delivers_in_zxid_order():
    z = ZabCluster(5, seed=1, check_every_event=True)
    leader = z.wait_for_leader()
    assert leader == 5  # equal histories: the highest id wins the vote
    zxids = [z.submit(("set", "x", i)) for i in range(3)]
    z.run(50)
    assert zxids == [make_zxid(1, 1), make_zxid(1, 2), make_zxid(1, 3)]
    for pid in z.ids:
        assert z.applied(pid) == [("set", "x", 0), ("set", "x", 1), ("set", "x", 2)]
    z.check_invariants()


def test_a_new_leader_starts_a_new_epoch_and_its_counter_again_at_one():
    z = ZabCluster(3, seed=2, check_every_event=True)
    first = z.wait_for_leader()
    z.submit(("set", "x", 1))
    z.submit(("set", "x", 2))
    z.run(50)
    z.crash(first)
    second = z.wait_for_leader(2000)
    assert second != first
    zxid = z.submit(("set", "x", 3))
    z.run(50)
    assert (zxid_epoch(zxid), zxid_counter(zxid)) == (2, 1)
    assert z.applied(second)[-1] == ("set", "x", 3)
    z.restart(first)
    z.run(500)
    assert z.applied(first) == z.applied(second)  # the old leader caught up as a follower
    z.check_invariants()


def test_a_leader_whose_counter_is_used_up_makes_way_for_a_new_epoch():
    z = ZabCluster(3, seed=3, max_counter=2)
    z.wait_for_leader()
    assert [z.submit(("set", "x", i)) for i in (1, 2)] == [make_zxid(1, 1), make_zxid(1, 2)]
    assert z.submit(("set", "x", 3)) is None  # no third zxid in epoch 1
    z.wait_for_leader(2000)
    assert z.submit(("set", "x", 3)) == make_zxid(2, 1)


def slow_follower():
    """Three servers; the links from the leader to follower 1 take 30 ms."""
    z = ZabCluster(3, seed=4, latency=1.0)
    leader = z.wait_for_leader()
    assert leader == 3
    z.sim.set_link(3, 1, latency=30.0, both_ways=False)
    return z


def test_a_follower_serves_a_stale_read_locally_and_a_fresh_one_after_sync():
    z = slow_follower()
    z.submit(("set", "x", "new"))
    z.run(5)  # the leader and follower 2 have committed it; follower 1 has not heard yet
    assert z.read(3, "x") == z.read(2, "x") == "new"
    assert z.read(1, "x") is None  # a local read: stale
    assert z.sync_read(1, "x") == "new"  # sync first: waits for the channel to flush


def test_a_follower_forwards_a_write_to_its_leader():
    z = ZabCluster(3, seed=5)
    z.wait_for_leader()
    z.run(20)  # until the followers serve too
    assert z.submit(("set", "y", 1), node=1) is None  # 1 follows: it forwards
    z.run(30)
    assert all(z.read(p, "y") == 1 for p in z.ids)


# ---------------------------------------------------------------- the rules, in runs
def lost_commit(**options):
    """Server 1 misses a commit of epoch 1 (it is cut off); then the leader, 3,
    crashes, the network heals, and server 1 is made to stand for leader. A
    quorum of 1 and 2 has the transaction only in 2's history."""
    z = ZabCluster(3, seed=6, check_every_event=True, **options)
    assert z.wait_for_leader() == 3
    z.submit(("set", "x", 1))
    z.run(30)
    z.partition([1], [2, 3])
    z.submit(("set", "x", 2))
    z.run(30)
    assert z.applied(2)[-1] == ("set", "x", 2) and len(z.applied(1)) == 1
    z.crash(3)
    z.heal()
    z.elect(1)
    z.run_until(lambda c: c.leader() == 1, 2000)
    z.submit(("set", "x", 3))
    z.run(50)
    return z


def test_discovery_takes_the_most_up_to_date_history_of_the_quorum():
    z = lost_commit()
    history = [txn for _zxid, txn in z.node(1).history]
    assert history == [("set", "x", 1), ("set", "x", 2), ("set", "x", 3)]
    assert z.applied(1) == z.applied(2) == history
    z.check_invariants()


def test_a_leader_that_imposes_its_own_history_loses_a_committed_transaction():
    with pytest.raises(InvariantViolation) as caught:
        lost_commit(bug_leader_keeps_own_history=True)
    assert caught.value.invariant in (PRIMARY_INTEGRITY, TOTAL_ORDER)


def delivered_alone(**options):
    """Server 3 alone holds a proposal (it was cut off when it made it) and
    crashes; back, it leads again, and is cut off right after sending its
    initial history. The other two elect a leader of their own."""
    z = ZabCluster(3, seed=7, check_every_event=True, **options)
    assert z.wait_for_leader() == 3
    z.submit(("set", "x", 1))
    z.run(30)
    z.partition([3], [1, 2])
    z.submit(("set", "x", "only on 3"))
    z.crash(3)
    z.heal()
    z.restart(3)
    z.run_until(lambda c: c.sim.is_up(3) and c.node(3).phase in (SYNCHRONIZATION, BROADCAST),
                2000)
    z.partition([3], [1, 2])
    z.run_until(lambda c: c.leader() in (1, 2), 3000)
    z.submit(("set", "x", 2))
    z.run(50)
    return z


def test_a_leader_delivers_its_initial_history_only_once_a_quorum_has_it():
    z = delivered_alone()
    assert ("set", "x", "only on 3") not in z.applied(3)
    assert z.applied(1) == z.applied(2) == [("set", "x", 1), ("set", "x", 2)]
    z.check_invariants()


def test_a_leader_that_delivers_before_a_quorum_has_its_history_loses_what_it_delivered():
    with pytest.raises(InvariantViolation) as caught:
        delivered_alone(bug_establish_without_quorum=True)
    # the next leader broadcasts without what server 3 delivered, and delivers another
    # transaction in its place
    assert caught.value.invariant in (PRIMARY_INTEGRITY, TOTAL_ORDER)
    assert "only on 3" in caught.value.evidence


# ---------------------------------------------------------------- one server, stepped alone
def follower_of(leader, stable=None, **options):
    """Server 1 of (1, 2, 3), started on ``stable`` and told that ``leader`` leads."""
    server = ZabServer(1, (1, 2, 3), ZabOptions(**options))
    ctx = Context(1, peers=(2, 3), stable=stable or {})
    server.on_start(ctx)
    server.on_message(ctx, leader, Notification(1, ElectionVote(leader, 0, 0), LEADING))
    ctx.take()
    return server, ctx


def sent(ctx):
    return [(e.dst, e.msg) for e in ctx.take() if isinstance(e, Send)]


def test_a_follower_promises_a_new_epoch_on_disk_before_it_acknowledges():
    server, ctx = follower_of(2)
    server.on_message(ctx, 2, NewEpoch(4, 1))
    effects = ctx.take()
    assert effects[:2] == [Persist("accepted_epoch", 4), Persist("accepted_leader", 2)]
    assert effects[2] == Send(2, AckEpoch(4, 1, 0, ()))


def test_a_follower_refuses_an_epoch_below_its_promise():
    server, ctx = follower_of(2, {"accepted_epoch": 5, "accepted_leader": 3})
    server.on_message(ctx, 2, NewEpoch(4, 1))
    assert not any(isinstance(m, AckEpoch) for _, m in sent(ctx))
    assert server.state == LOOKING


def test_a_follower_follows_without_a_promise_an_epoch_it_promised_to_another_leader():
    server, ctx = follower_of(2, {"accepted_epoch": 4, "accepted_leader": 3})
    server.on_message(ctx, 2, NewEpoch(4, 1))
    effects = ctx.take()
    assert not any(isinstance(e, Persist) for e in effects)  # the promise stays with 3
    assert Send(2, AckEpoch(4, 1, 0, (), promised=False)) in effects
    assert server.accepted_leader == 3


def test_a_follower_that_promises_an_epoch_twice_lets_two_leaders_establish_it():
    server, ctx = follower_of(2, {"accepted_epoch": 4, "accepted_leader": 3},
                              bug_promise_epoch_twice=True)
    server.on_message(ctx, 2, NewEpoch(4, 1))
    assert (2, AckEpoch(4, 1, 0, (), promised=True)) in sent(ctx)
    monitor = ZabMonitor()  # both leaders then establish epoch 4 with quorums through it
    monitor.hear(Established(3, 4, ()))
    monitor.hear(Established(2, 4, ()))
    with pytest.raises(InvariantViolation, match=ONE_LEADER_PER_EPOCH):
        monitor.check()


def test_a_prospective_leader_proposes_an_epoch_above_every_one_its_quorum_promised():
    server = ZabServer(1, (1, 2, 3), ZabOptions())
    ctx = Context(1, peers=(2, 3), stable={"accepted_epoch": 2})
    server.on_start(ctx)
    server.stand(ctx)
    ctx.take()
    server.on_message(ctx, 3, FollowerInfo(7))
    assert server.epoch == 8 and (3, NewEpoch(8, 1)) in sent(ctx)


def test_a_follower_takes_the_initial_history_only_of_the_epoch_it_promised():
    server, ctx = follower_of(2)
    server.on_message(ctx, 2, NewEpoch(4, 1))
    ctx.take()
    server.on_message(ctx, 2, NewLeader(5, 1, ((make_zxid(5, 1), "t"),)))
    assert server.history == [] and server.state == LOOKING


def test_a_follower_logs_proposals_in_zxid_order_only():
    server, ctx = follower_of(2)
    server.on_message(ctx, 2, NewEpoch(1, 1))
    server.on_message(ctx, 2, NewLeader(1, 1, ()))
    ctx.take()
    second = Proposal(1, make_zxid(1, 2), make_zxid(1, 1), "b")
    server.on_message(ctx, 2, second)  # the first one is missing: nothing logged, no ack
    assert server.history == [] and sent(ctx) == []
    server.on_message(ctx, 2, Proposal(1, make_zxid(1, 1), 0, "a"))
    server.on_message(ctx, 2, second)
    assert [t for _, t in server.history] == ["a", "b"]
    assert sent(ctx)[-1] == (2, AckProposal(1, 1, make_zxid(1, 2)))
    assert server.phase == SYNCHRONIZATION and server.delivered == 0  # not before UpToDate


def test_the_election_votes_for_the_most_up_to_date_history():
    server = ZabServer(1, (1, 2, 3), ZabOptions())
    ctx = Context(1, peers=(2, 3), stable={"current_epoch": 1,
                                           "history": ((make_zxid(1, 1), "a"),)})
    server.on_start(ctx)
    behind = ElectionVote(3, 1, 0)
    server.on_message(ctx, 3, Notification(1, behind, LOOKING))
    assert server.vote == ElectionVote(1, 1, make_zxid(1, 1))  # ours is more up to date
    ahead = ElectionVote(2, 1, make_zxid(1, 2))
    server.on_message(ctx, 2, Notification(1, ahead, LOOKING))
    assert server.vote == ahead and server.phase is None
    assert server.state == LOOKING


# ---------------------------------------------------------------- the monitor
def test_the_monitor_sees_two_servers_deliver_different_transactions_at_one_place():
    m = ZabMonitor()
    for zxid, txn in ((make_zxid(1, 1), "a"), (make_zxid(1, 2), "b")):
        m.hear(LeaderProposed(1, 1, zxid, txn))
    m.hear(Delivered(1, (0, 0), 0, make_zxid(1, 1), "a"))
    m.hear(Delivered(2, (0, 0), 0, make_zxid(1, 2), "b"))
    with pytest.raises(InvariantViolation, match=TOTAL_ORDER):
        m.check()


def test_the_monitor_sees_a_delivery_nobody_broadcast():
    m = ZabMonitor()
    m.hear(Delivered(1, (0, 0), 0, make_zxid(1, 1), "forged"))
    with pytest.raises(InvariantViolation, match="integrity"):
        m.check()


def test_a_follow_without_a_promise_does_not_count_towards_the_leaders_quorum():
    server = ZabServer(1, (1, 2, 3), ZabOptions())
    ctx = Context(1, peers=(2, 3))
    server.on_start(ctx)
    server.stand(ctx)
    server.on_message(ctx, 2, FollowerInfo(0, (0, 1)))  # epoch 1 proposed to 2
    ctx.take()
    server.on_message(ctx, 2, AckEpoch(1, 1, 0, (), promised=False))
    assert server.phase == DISCOVERY and sent(ctx) == []  # 1 and a non-promise: no quorum
    server.on_message(ctx, 3, FollowerInfo(0, (0, 1)))
    server.on_message(ctx, 3, AckEpoch(1, 1, 0, (), promised=True))
    assert server.phase == SYNCHRONIZATION
    assert {dst for dst, m in sent(ctx) if isinstance(m, NewLeader)} == {2, 3}  # both follow
