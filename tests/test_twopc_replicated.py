"""Two-phase commit with the coordinator's decisions agreed through Raft."""

import pytest

from ddia10.raft import InvariantViolation as RaftViolation
from ddia10.raft.invariants import BecameLeader
from ddia10.twopc import COMMIT, InvariantViolation, TwoPC
from ddia10.twopc.replicated import Decide, End

TRANSFER = {"P1": {"A": -100}, "P2": {"B": 100}}
ROWS = {"P1": {"A": 100}, "P2": {"B": 0}}


def replicated(**options):
    t = TwoPC(participants=2, seed=1, rows=ROWS, replicas=3, check_every_event=True, **options)
    return t, t.wait_for_coordinator()


def everywhere(t, txn, outcome):
    return all(t.outcome(txn, p) == outcome for p in t.participants)


def test_a_transfer_commits_through_the_log_of_the_coordinator_group():
    t, leader = replicated()
    txn = t.begin(TRANSFER)
    t.run(200)
    assert everywhere(t, txn, "committed") and t.result(txn) == COMMIT
    logs = [[e for _term, e in t.sim.process(c).log.entries if isinstance(e, (Decide, End))]
            for c in t.coordinators]
    assert logs == [[Decide(txn, COMMIT, ("P1", "P2")), End(txn)]] * 3
    assert {t.outcome(txn, c) for c in t.coordinators} == {"committed"}


def test_losing_the_leader_in_phase_one_costs_a_failover_not_a_block():
    t, leader = replicated()
    txn = t.begin(TRANSFER)
    t.run_until(lambda t: everywhere(t, txn, "in-doubt"), 100)
    t.crash(leader)
    t.run_until(lambda t: everywhere(t, txn, "aborted"), 2000)
    assert t.coordinator() not in (None, leader)
    later = t.begin(TRANSFER)
    t.run(200)
    assert everywhere(t, later, "committed")


def test_a_decision_the_group_committed_survives_its_leader():
    t, leader = replicated()
    txn = t.begin(TRANSFER)
    def proposed(t):
        return getattr(t.sim.process(leader).rounds.get(txn), "stage", "") == "logging"
    t.run_until(proposed, 100)
    for p in t.participants:
        t.disconnect(p)  # the decision will not reach them from this leader
    t.run_until(lambda t: t.outcome(txn, leader) == "committed", 100)
    t.crash(leader)
    for p in t.participants:
        t.connect(p)
    t.run_until(lambda t: everywhere(t, txn, "committed"), 2000)
    assert t.rows("P2") == {"B": 100}


def test_the_single_coordinator_blocks_where_the_group_does_not():
    single = TwoPC(participants=2, seed=1, rows=ROWS, check_every_event=True)
    txn = single.begin(TRANSFER)
    single.run_until(lambda t: everywhere(t, txn, "in-doubt"), 100)
    single.crash("C")
    single.run(2000)
    assert everywhere(single, txn, "in-doubt")


def test_the_abort_in_doubt_bug_is_caught_with_a_replicated_coordinator_too():
    t, leader = replicated(bug_abort_in_doubt=True)
    txn = t.begin(TRANSFER)
    t.run_until(lambda t: t.outcome(txn, leader) == "committed", 100)
    t.disconnect("P2")
    with pytest.raises(InvariantViolation, match="atomicity"):
        t.run(500)


def test_the_harness_checks_the_coordinator_group_s_raft_too():
    t, leader = replicated()
    term = t.sim.process(leader).term
    other = next(c for c in t.coordinators if c != leader)
    t.raft_monitor.hear(BecameLeader(other, term, ((0, 0),), 0))  # a second leader of the term
    with pytest.raises(RaftViolation, match="election safety"):
        t.check_invariants()


@pytest.mark.parametrize("call, words", [
    (lambda: TwoPC(replicas=0), "replicas must be an int >= 1"),
    (lambda: TwoPC(raft={"heartbeat_interval": 10}), "raft options apply to a replicated"),
])
def test_bad_replication_settings_fail_clearly(call, words):
    with pytest.raises(ValueError, match=words):
        call()
