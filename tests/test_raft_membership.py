"""Membership change (§6 and thesis ch. 4): learners, single-server changes,
joint consensus; configurations take effect when appended."""

import pytest

from ddia10.raft import Configuration, RaftCluster

SEEDS = [1, 2, 3]


def config_of(c, i):
    return c.state(i).config


@pytest.mark.parametrize("seed", SEEDS)
def test_6_learner_catches_up_without_voting_then_is_promoted(seed):
    c = RaftCluster(3, seed=seed)
    for k in range(5):
        c.agree(k)
    c.add_server(4)
    c.run(500)
    assert c.state(4).log == [] and c.state(4).role == "follower"  # outside: nobody talks to it
    c.change_membership([1, 2, 3], learners=[4])
    c.run(500)
    assert c.applied(4) == list(range(5))  # caught up
    assert not [e for e in c.trace if e.kind == "send" and e.msg_type == "RequestVote"
                and e.data["dst"] == 4]
    leader = c.leader()
    c.crash(leader)  # a learner never campaigns, and its vote would not count
    c.run(1000)
    assert c.state(4).role == "follower"
    assert not [e for e in c.trace
                if e.kind == "send" and e.pid == 4 and e.msg_type == "RequestVote"]
    c.restart(leader)
    c.change_membership([1, 2, 3, 4])
    c.run(300)
    assert all(config_of(c, i) == Configuration({1, 2, 3, 4}) for i in c.ids)
    c.agree("after")
    assert c.applied(4)[-1] == "after"
    c.check_invariants()


@pytest.mark.parametrize("seed", SEEDS)
def test_6_promoted_server_counts_towards_the_majority(seed):
    c = RaftCluster(3, seed=seed)
    c.agree("a")
    c.add_voter(4)
    assert all(c.state(i).config == Configuration({1, 2, 3, 4}) for i in c.ids)
    leader = c.leader()
    for p in [p for p in (1, 2, 3) if p != leader][:1]:
        c.crash(p)
    c.agree("b", servers=3)  # 3 of 4: needs the new server
    victim = next(p for p in (1, 2, 3, 4) if p != leader and c.sim.is_up(p))
    c.crash(victim)
    placed = c.submit("c")
    c.run(1000)
    assert placed is None or all(c.state(i).commit_index < placed[0]
                                 for i in c.ids if c.sim.is_up(i))  # 2 of 4 is not a majority
    c.check_invariants()


@pytest.mark.parametrize("seed", SEEDS)
def test_6_remove_a_follower(seed):
    c = RaftCluster(5, seed=seed)
    c.agree("a")
    leader = c.leader()
    gone = next(p for p in c.ids if p != leader)
    keep = [p for p in c.ids if p != gone]
    assert c.change_membership(keep) is not None
    c.run(300)
    c.crash(gone)
    c.crash(next(p for p in keep if p != leader))
    c.agree("b", servers=3)  # 3 of the 4 that remain
    c.check_invariants()


@pytest.mark.parametrize("seed", SEEDS)
def test_6_remove_the_leader_which_steps_down_once_committed(seed):
    c = RaftCluster(3, seed=seed)
    c.agree("a")
    old = c.leader()
    rest = [p for p in c.ids if p != old]
    c.change_membership(rest)
    c.run_until(lambda cl: cl.leader() not in (None, old), 3000)
    assert c.state(old).role == "follower"
    c.agree("b", servers=2)
    assert config_of(c, c.leader()) == Configuration(rest)
    c.run(2000)
    assert c.state(old).role == "follower"  # not a voter: it never campaigns
    c.check_invariants()


@pytest.mark.parametrize("seed", SEEDS)
def test_6_joint_consensus_replaces_the_whole_configuration(seed):
    c = RaftCluster(3, seed=seed)
    c.agree("a")
    for new in (4, 5, 6):
        c.add_server(new)
    c.change_membership([1, 2, 3], learners=[4, 5, 6])
    c.run(500)
    assert c.change_membership([4, 5, 6]) is not None  # three voters out, three in: joint
    leader = c.leader()
    joint = [cmd for _t, cmd in c.state(leader).log if isinstance(cmd, Configuration)]
    assert joint[-1] == Configuration({4, 5, 6}, outgoing={1, 2, 3})
    c.run(1000)
    configs = [cmd for _t, cmd in c.state(4).log if isinstance(cmd, Configuration)]
    assert configs[-2:] == [Configuration({4, 5, 6}, outgoing={1, 2, 3}), Configuration({4, 5, 6})]
    for old in (1, 2, 3):
        if c.sim.is_up(old):
            c.crash(old)
    c.agree("b", servers=3)  # the new configuration decides alone
    assert c.leader() in (4, 5, 6)
    c.check_invariants()


@pytest.mark.parametrize("seed", SEEDS)
def test_6_membership_changes_under_faults_keep_the_invariants(seed):
    c = RaftCluster(5, seed=seed, loss=0.05, check_every_event=True)
    c.agree("a")
    c.add_server(6)
    c.change_membership([1, 2, 3, 4, 5], learners=[6])
    c.run(300)
    c.crash(c.leader())
    c.run(500)
    c.change_membership([2, 3, 4, 5, 6], joint=True)
    c.run(500)
    c.agree("b", servers=4)
    c.check_invariants()


def test_6_config_takes_effect_when_appended_not_when_committed():
    c = RaftCluster(3, seed=1)
    c.agree("a")
    c.add_server(4)
    leader = c.leader()
    for p in c.ids:
        if p != leader:
            c.disconnect(p)  # the change cannot commit
    c.change_membership([1, 2, 3], learners=[4])
    node = c.node(leader)
    assert node.config.learners == {4} and node.commit_index < node.log.last_index


def test_6_one_change_at_a_time_and_only_one_voter_per_single_change():
    c = RaftCluster(3, seed=1)
    c.agree("a")
    for p in (4, 5):
        c.add_server(p)
    with pytest.raises(ValueError, match="single-server"):
        c.change_membership([1, 2, 3, 4, 5], joint=False)
    leader = c.leader()
    for p in c.ids:
        if p != leader:
            c.disconnect(p)
    assert c.change_membership([1, 2, 3], learners=[4]) is not None
    assert c.change_membership([1, 2, 3], learners=[4, 5]) is None  # the first is uncommitted
    with pytest.raises(ValueError, match="voter"):
        c.change_membership([])
    with pytest.raises(KeyError):
        c.change_membership([1, 2, 9])
