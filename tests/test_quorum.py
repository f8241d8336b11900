"""Quorum arithmetic: majorities, joint configurations, committed indexes."""

import itertools

import pytest

from ddia10.quorum import (
    JointConfig,
    MajorityConfig,
    QuorumSystem,
    VoteResult,
    majority,
    tolerated_failures,
)


@pytest.mark.parametrize("n, need, survive", [(1, 1, 0), (2, 2, 0), (3, 2, 1), (4, 3, 1),
                                              (5, 3, 2), (7, 4, 3)])
def test_majority_and_tolerated_failures(n, need, survive):
    assert majority(n) == need
    assert tolerated_failures(n) == survive


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "3"])
def test_cluster_size_is_validated(bad):
    with pytest.raises(ValueError, match="cluster size"):
        majority(bad)


def test_any_two_majorities_intersect():
    voters = range(1, 6)
    quorums = [set(q) for k in range(majority(5), 6) for q in itertools.combinations(voters, k)]
    assert all(a & b for a in quorums for b in quorums)


def test_even_sizes_tolerate_no_more_than_the_odd_size_below():
    for n in (2, 4, 6):
        assert tolerated_failures(n) == tolerated_failures(n - 1)
        assert majority(n) == majority(n - 1) + 1


def test_vote_result_pending_won_lost():
    config = MajorityConfig({1, 2, 3, 4, 5})
    assert config.vote_result({1: True, 2: True}) is VoteResult.PENDING
    assert config.vote_result({1: True, 2: True, 3: True}) is VoteResult.WON
    assert config.vote_result({1: False, 2: False, 3: False}) is VoteResult.LOST
    outsiders = {1: True, 9: True, 8: True}  # only voters count
    assert config.vote_result(outsiders) is VoteResult.PENDING


def test_committed_index_is_the_median_of_a_majority():
    config = MajorityConfig({1, 2, 3, 4, 5})
    assert config.committed_index({1: 9, 2: 7, 3: 5, 4: 1}) == 5
    assert config.committed_index({1: 9}) == 0


def test_joint_config_needs_both_majorities():
    joint = JointConfig(MajorityConfig({4, 5, 6}), MajorityConfig({1, 2, 3}))
    assert joint.vote_result({1: True, 2: True, 4: True}) is VoteResult.PENDING
    assert joint.vote_result({1: True, 2: True, 4: True, 5: True}) is VoteResult.WON
    assert joint.vote_result({1: False, 2: False, 4: True, 5: True}) is VoteResult.LOST
    assert joint.committed_index({1: 10, 2: 10, 3: 10, 4: 3, 5: 2, 6: 0}) == 2
    assert joint.voters == {1, 2, 3, 4, 5, 6}


def test_joint_config_with_an_empty_half_is_a_simple_majority():
    simple = MajorityConfig({1, 2, 3})
    joint = JointConfig(simple, MajorityConfig(()))
    for votes in ({1: True}, {1: True, 2: True}, {1: False, 2: False}):
        assert joint.vote_result(votes) is simple.vote_result(votes)
    match = {1: 4, 2: 6, 3: 1}
    assert joint.committed_index(match) == simple.committed_index(match) == 4


def test_majority_available_is_the_binomial_tail():
    from ddia10.quorum import majority_available

    assert majority_available(1, 0.9) == pytest.approx(0.9)
    assert majority_available(3, 0.9) == pytest.approx(0.9**3 + 3 * 0.9**2 * 0.1)
    assert majority_available(5, 0.99) > majority_available(3, 0.99) > 0.99
    assert majority_available(4, 0.5) < majority_available(3, 0.5)  # even sizes buy nothing
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        majority_available(3, 1.5)


def test_single_server_changes_keep_majorities_overlapping_and_larger_ones_do_not():
    from ddia10.quorum import majorities_can_be_disjoint

    assert not majorities_can_be_disjoint(3, 4, 4)  # add one
    assert not majorities_can_be_disjoint(4, 3, 4)  # remove one
    assert majorities_can_be_disjoint(3, 5, 5)  # add two at once
    assert majorities_can_be_disjoint(3, 3, 5)  # replace two at once
    with pytest.raises(ValueError, match="cannot be the union"):
        majorities_can_be_disjoint(3, 3, 7)


# ---------------------------------------------------------------------- Flexible Paxos


@pytest.mark.parametrize("n", range(1, 8))
def test_flexible_paxos_sizes_are_safe_exactly_when_they_add_up_to_more_than_n(n):
    for q1 in range(1, n + 1):
        for q2 in range(1, n + 1):
            system = QuorumSystem.of_sizes(n, q1, q2)
            assert system.safe() == (q1 + q2 > n), (n, q1, q2)


def test_two_phase_2_quorums_need_not_intersect():
    system = QuorumSystem.of_sizes(6, 5, 2)  # replication by any two of six
    assert system.safe()
    assert any(not a & b for a in system.phase2 for b in system.phase2)


def test_an_unsafe_system_names_a_disjoint_pair():
    a, b = QuorumSystem.of_sizes(4, 2, 2).disjoint_pair()
    assert not a & b and len(a) == len(b) == 2


def test_grid_quorums_meet_and_are_small():
    grid = QuorumSystem.grid(3, 4)
    assert grid.safe()
    assert {len(q) for q in grid.phase2} == {4} and {len(q) for q in grid.phase1} == {3}
    assert grid.survives([(0, 0), (1, 1)]) == (True, True)


def test_a_hand_made_system_is_checked_quorum_by_quorum():
    broken = QuorumSystem("abcd", ["ab", "cd"], ["ac", "bd"])
    assert broken.safe()
    assert QuorumSystem("abcd", ["ab", "cd"], ["ac", "cd"]).disjoint_pair() == (
        frozenset("ab"), frozenset("cd"))


def test_a_quorum_system_checks_its_quorums():
    with pytest.raises(ValueError, match="non-empty set of voters"):
        QuorumSystem("abc", ["ad"], ["a"])
    with pytest.raises(ValueError, match="phase-1 quorum size"):
        QuorumSystem.of_sizes(3, 4, 1)
