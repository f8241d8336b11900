"""Viewstamped Replication: normal operation, the view change's choice of log, recovery."""

import pytest

from ddia10.vr import (
    AGREEMENT,
    COMMITTED_SURVIVE,
    NORMAL,
    RECOVERING,
    ExecutedOp,
    InvariantViolation,
    ViewStarted,
    VRCluster,
    VRMonitor,
    VROptions,
)


def test_the_primary_of_view_0_commits_with_a_majority_and_every_replica_executes():
    v = VRCluster(5, seed=1, check_every_event=True)
    assert v.leader() == 1
    assert [v.submit(op) for op in "abc"] == [1, 2, 3]
    v.run(50)
    assert all(v.applied(p) == ["a", "b", "c"] for p in v.ids)
    assert v.submit("d", node=2) is None  # a backup takes no requests


def test_a_view_change_moves_to_the_next_primary_and_keeps_every_committed_op():
    v = VRCluster(5, seed=2, check_every_event=True)
    v.submit("a")
    v.run(30)
    v.crash(1)
    v.run_until(lambda c: c.leader() is not None, 1000)
    assert v.leader() == 2 and v.node(2).view == 1
    v.submit("b")
    v.run(50)
    assert all(v.applied(p) == ["a", "b"] for p in (2, 3, 4, 5))


def test_a_restarted_replica_recovers_its_state_from_the_others_before_it_votes():
    v = VRCluster(3, seed=3, check_every_event=True)
    v.submit("a")
    v.run(30)
    v.crash(3)
    v.restart(3)
    assert v.node(3).status == RECOVERING and v.node(3).log == []  # it forgot everything
    v.run(50)
    assert v.node(3).status == NORMAL and v.applied(3) == ["a"]
    assert v.sim.storage(3) == {}  # VR writes nothing to disk


def old_view_longer_log(**options):
    """Three replicas. Op ``a`` commits in view 0. Primary 1 is cut off and takes
    ``b``, ``c``, ``d`` that nobody else sees; 2 and 3 move to view 1, whose
    primary 2 commits ``x``. Then 2 crashes and the network heals: 1 (longer
    log, last normal in view 0) and 3 (log with ``x``, normal in view 1) start
    view 2, whose primary is 3."""
    v = VRCluster(3, seed=4, check_every_event=True, **options)
    v.submit("a")
    v.run(30)
    v.partition([1], [2, 3])
    for op in "bcd":
        v.submit(op, node=1)
    v.run_until(lambda c: c.sim.is_up(2) and c.node(2).status == NORMAL
                and c.node(2).view == 1, 1000)
    v.submit("x", node=2)
    v.run(30)
    assert v.applied(3) == ["a", "x"] and v.node(1).log == list("abcd")
    v.crash(2)
    v.heal()
    v.run_until(lambda c: c.node(3).view == 2 and c.node(3).status == NORMAL, 2000)
    return v


def test_the_new_primary_takes_the_log_of_the_latest_normal_view_not_the_longest():
    v = old_view_longer_log()
    assert v.node(3).log == ["a", "x"]
    v.run(50)
    assert v.applied(1) == ["a", "x"]  # 1's ops from the old view are gone; none committed
    v.check_invariants()


def test_taking_the_longest_log_loses_an_operation_a_later_view_committed():
    with pytest.raises(InvariantViolation) as caught:
        old_view_longer_log(bug_longest_log=True)
    assert caught.value.invariant == COMMITTED_SURVIVE
    assert "'x'" in caught.value.evidence


def test_the_monitor_sees_two_ops_executed_at_one_op_number():
    m = VRMonitor()
    m.hear(ExecutedOp(1, 1, "a"))
    m.hear(ExecutedOp(2, 1, "b"))
    m.hear(ViewStarted(3, 1, ("a",)))
    with pytest.raises(InvariantViolation, match=AGREEMENT):
        m.check()


def test_bad_options_fail_clearly():
    with pytest.raises(ValueError, match="view_timeout .* must be longer than the heartbeat"):
        VROptions(heartbeat=50, view_timeout=40)
    with pytest.raises(ValueError, match="unknown VR option"):
        VRCluster(3, heartbeats=1)
