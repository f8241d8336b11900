"""EPaxos: the fast and slow paths, execution order, recovery, and each safety rule shown
by a run that breaks when the rule alone is removed."""

import pytest

from ddia10.epaxos import (
    ACCEPTED,
    CONSISTENCY,
    EXECUTION_ORDER,
    NO_OP,
    AcceptAttributes,
    CommittedAttributes,
    EPaxosCluster,
    EPaxosMonitor,
    EPaxosOptions,
    EPaxosReplica,
    ExplicitPrepare,
    ExplicitPrepareReply,
    InvariantViolation,
    conflict_workload,
    execution_order,
    initial_ballot,
)
from ddia10.sim import Context, Send

LATENCY = 5.0  # one fixed one-way delay: a round trip is 10 ms


def message_types(cluster, kind="send"):
    return [type(e.data["msg"]).__name__ for e in cluster.trace.of_kind(kind)]


def commit_time(cluster, instance):
    return next(e.time for e in cluster.trace.of_kind("return")
                if e.data["instance"] == instance)


# ---------------------------------------------------------------- the two paths
def test_a_command_nothing_interferes_with_commits_on_the_fast_path_in_one_round_trip():
    e = EPaxosCluster(5, seed=1, latency=LATENCY, check_every_event=True)
    instance = e.submit(("set", "x", 1), node=3)
    e.run(30)
    assert instance == (3, 1) and e.paths() == {"fast": 1, "slow": 0}
    assert commit_time(e, instance) == 2 * LATENCY
    assert message_types(e).count("PreAccept") == 4
    assert message_types(e).count("AcceptAttributes") == 0
    assert all(e.applied(p) == [("set", "x", 1)] for p in e.ids)


def conflicting_pair(**options):
    """Replicas 1 and 2 receive commands on the same key at the same moment."""
    e = EPaxosCluster(5, seed=2, latency=LATENCY, check_every_event=True, **options)
    a = e.submit(("set", "k", "a"), node=1)
    b = e.submit(("set", "k", "b"), node=2)
    e.run(40)
    return e, a, b


def test_interfering_commands_take_the_slow_path_in_two_round_trips_and_one_order():
    e, a, b = conflicting_pair()
    assert e.paths() == {"fast": 0, "slow": 2}
    assert commit_time(e, a) == commit_time(e, b) == 4 * LATENCY
    committed = e.committed(3)
    assert b in committed[a][2] and a in committed[b][2]  # each depends on the other
    orders = {tuple(e.applied(p)) for p in e.ids}
    assert len(orders) == 1  # the cycle is broken by seq, the same way everywhere
    e.check_invariants()


def test_committing_on_the_fast_path_despite_an_added_dependency_breaks_the_order():
    with pytest.raises(InvariantViolation) as caught:
        conflicting_pair(bug_fast_path_on_changed_replies=True)
    assert caught.value.invariant == EXECUTION_ORDER


def test_executing_in_commit_order_instead_of_by_dependencies_breaks_the_order():
    with pytest.raises(InvariantViolation) as caught:
        conflicting_pair(bug_execute_in_commit_order=True)
    assert caught.value.invariant == EXECUTION_ORDER


def test_the_slow_path_is_taken_after_a_timeout_when_a_fast_quorum_cannot_answer():
    e = EPaxosCluster(5, seed=3, latency=LATENCY)
    e.crash(4)
    e.crash(5)
    instance = e.submit(("set", "x", 1), node=1)
    e.run(100)
    assert e.paths() == {"fast": 0, "slow": 1}
    assert e.committed(2)[instance][0] == ("set", "x", 1)


# ---------------------------------------------------------------- execution order
def test_execution_follows_dependencies_and_breaks_cycles_by_seq():
    committed = {"a": (1, frozenset()), "b": (3, frozenset({"a", "c"})),
                 "c": (2, frozenset({"b"}))}
    order, missing = execution_order("b", committed, set())
    assert order == ["a", "c", "b"] and missing == set()  # b and c: a cycle, c has the lower seq


def test_execution_waits_for_a_dependency_that_is_not_committed():
    committed = {"a": (1, frozenset({"z"})), "b": (2, frozenset({"a"}))}
    assert execution_order("b", committed, set()) == ([], {"z"})
    assert execution_order("b", committed, {"a"}) == (["b"], set())


# ---------------------------------------------------------------- recovery
def test_another_replica_finishes_a_command_whose_leader_crashed_after_phase_1():
    e = EPaxosCluster(5, seed=4, latency=LATENCY, check_every_event=True)
    instance = e.submit(("set", "x", 1), node=1)
    e.run(LATENCY + 1)  # the others pre-accepted; their answers will find 1 crashed
    e.crash(1)
    e.run(500)
    assert all(e.committed(p)[instance] == (("set", "x", 1), 1, frozenset())
               for p in (2, 3, 4, 5))
    assert any("recovers instance (1, 1)" in n.data["text"] for n in e.trace.of_kind("note"))
    assert all(e.applied(p) == [("set", "x", 1)] for p in (2, 3, 4, 5))


def test_recovery_commits_a_no_op_in_an_instance_whose_command_a_majority_never_saw():
    e = EPaxosCluster(5, seed=5, latency=LATENCY, recovery_timeout=1000.0,
                      check_every_event=True)
    for other in (3, 4, 5):
        e.sim.set_link(1, other, loss=1.0, both_ways=False)
    lost = e.submit(("set", "k", "lost"), node=1)  # only replica 2 hears of it
    e.run(LATENCY + 1)
    e.crash(1)
    later = e.submit(("set", "k", "later"), node=2)  # depends on the lost one
    e.run(LATENCY + 1)
    e.crash(2)
    e.recover(3, lost)
    e.recover(4, later)
    e.run(200)
    assert e.committed(3)[lost][0] is NO_OP
    assert e.applied(3) == e.applied(4) == e.applied(5) == [("set", "k", "later")]
    assert later in e.committed(4)


def hidden_conflict(**options):
    """Replica 1 leads ``alpha`` but only replica 2 hears of it, and 1 crashes.
    Cut off from 2, replicas 3, 4, 5 commit ``gamma``, on the same key, without
    it. Then replica 2, cut off from 3 only, recovers ``alpha`` with 4 and 5."""
    e = EPaxosCluster(5, seed=6, latency=LATENCY, recovery_timeout=2000.0,
                      check_every_event=True, **options)
    for other in (3, 4, 5):
        e.sim.set_link(1, other, loss=1.0, both_ways=False)
    alpha = e.submit(("set", "k", "alpha"), node=1)
    e.run(LATENCY + 1)
    e.crash(1)
    e.partition([2], [3, 4, 5])
    gamma = e.submit(("set", "k", "gamma"), node=3)
    e.run(60)
    assert alpha not in e.committed(3)[gamma][2]
    e.partition([3], [2, 4, 5])
    e.recover(2, alpha)
    e.run(60)
    e.heal()
    e.run(600)
    return e, alpha, gamma


def test_recovery_runs_phase_1_again_when_too_few_replicas_pre_accepted_unchanged():
    e, alpha, gamma = hidden_conflict()
    assert gamma in e.committed(2)[alpha][2]  # phase 1 again found gamma at 4 and 5
    assert {tuple(e.applied(p)) for p in (2, 3, 4, 5)} == {(("set", "k", "gamma"),
                                                             ("set", "k", "alpha"))}
    e.check_invariants()


def test_recovery_that_accepts_any_pre_accepted_attributes_breaks_the_order():
    with pytest.raises(InvariantViolation) as caught:
        hidden_conflict(bug_accept_any_preaccepted=True)
    assert caught.value.invariant == EXECUTION_ORDER


# ---------------------------------------------------------------- one replica, stepped alone
def replica(pid=3, **options):
    r = EPaxosReplica(pid, (1, 2, 3), EPaxosOptions(**options))
    ctx = Context(pid, peers=tuple(p for p in (1, 2, 3) if p != pid))
    r.on_start(ctx)
    ctx.take()
    return r, ctx


def test_a_replica_reports_the_ballot_its_attributes_were_accepted_in_not_its_last_promise():
    """Sutra (2019): one variable for both ballots lets recovery pick stale attributes."""
    instance = (1, 1)
    for bug, expected in ((False, (1, 2)), (True, (3, 1))):
        r, ctx = replica(bug_one_ballot_variable=bug)
        r.on_message(ctx, 2, AcceptAttributes((1, 2), instance, ("set", "k", "A1"), 1,
                                              frozenset()))
        r.on_message(ctx, 1, ExplicitPrepare((3, 1), instance))
        reply = [e.msg for e in ctx.take() if isinstance(e, Send)][-1]
        assert reply.status == ACCEPTED and reply.vballot == expected


def test_recovery_accepts_again_the_attributes_accepted_in_the_highest_ballot():
    r, ctx = replica(pid=1)
    instance = (2, 1)
    r.recover(ctx, instance)
    ballot = r.coordinating[instance].ballot
    older = ExplicitPrepareReply(ballot, instance, True, ACCEPTED, ("set", "k", "A1"), 1,
                                 frozenset(), (1, 3), False)
    newer = ExplicitPrepareReply(ballot, instance, True, ACCEPTED, ("set", "k", "A2"), 2,
                                 frozenset({(3, 1)}), (2, 3), False)
    r.on_message(ctx, 3, newer)
    r.on_message(ctx, 2, older)  # with a promise of our ballot, a stale replica reports it
    sent = [e.msg for e in ctx.take() if isinstance(e, Send)]
    accepts = [m for m in sent if isinstance(m, AcceptAttributes)]
    assert accepts and accepts[0].cmd == ("set", "k", "A2")


def test_a_replica_refuses_a_lower_ballot_than_it_promised():
    r, ctx = replica()
    instance = (1, 1)
    r.on_message(ctx, 2, ExplicitPrepare((2, 2), instance))
    ctx.take()
    r.on_message(ctx, 1, AcceptAttributes(initial_ballot(instance), instance, "x", 1,
                                          frozenset()))
    reply = [e.msg for e in ctx.take() if isinstance(e, Send)][0]
    assert reply.ok is False and reply.ballot == (2, 2)


# ---------------------------------------------------------------- the monitor, the inputs
def test_the_monitor_sees_two_replicas_commit_one_instance_differently():
    m = EPaxosMonitor()
    m.hear(CommittedAttributes(1, (1, 1), "a", 1, frozenset(), "fast"))
    m.hear(CommittedAttributes(2, (1, 1), "a", 2, frozenset(), "learned"))
    with pytest.raises(InvariantViolation, match=CONSISTENCY):
        m.check()


def test_bad_inputs_fail_clearly():
    with pytest.raises(ValueError, match="a fast quorum of 3 is too small for 5 replicas: "
                                         "this EPaxos .* needs at least 2F = 4"):
        EPaxosCluster(5, fast_quorum=3)
    with pytest.raises(ValueError, match="larger than the 3 replicas"):
        EPaxosCluster(3, fast_quorum=4)
    with pytest.raises(ValueError, match="odd number of replicas"):
        EPaxosCluster(4)
    e = EPaxosCluster(3)
    with pytest.raises(KeyError, match="unknown server id 9"):
        e.submit(("set", "x", 1), node=9)
    with pytest.raises(KeyError, match="unknown server id 7"):
        e.recover(1, (7, 1))
    with pytest.raises(ValueError, match="conflict_rate must be a probability"):
        conflict_workload(5, 1.5)


def test_the_workload_puts_about_the_asked_share_of_commands_on_the_hot_key():
    commands = conflict_workload(1000, 0.25, seed=1)
    share = sum(c[1] == "hot" for c in commands) / len(commands)
    assert 0.2 < share < 0.3
    assert len({c[1] for c in commands if c[1] != "hot"}) == len(commands) - round(share * 1000)


def test_a_no_op_read_back_from_stable_storage_is_still_a_no_op():
    import copy

    from ddia10.epaxos import key_of

    stored = copy.deepcopy(NO_OP)  # what a restarted replica reads back
    assert key_of(stored) is None and stored == NO_OP
