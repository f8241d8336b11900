"""What chapter 7's stagings claim: zxid epochs in the player, a new leader's choice of
history, VR's view change, EPaxos' paths, the campaigns, FLP, split votes, the geo setting."""

import pytest

from ddia10.scenarios import zab_and_others as ch7
from ddia10.viz import cluster_view
from ddia10.vr import COMMITTED_SURVIVE


# ---------------------------------------------------------------- ZAB
def test_the_player_story_moves_the_epoch_and_starts_the_counter_again():
    run = ch7.zab_leader_change().run(ch7.STORY, steps=ch7.STORY_STEPS)
    proposed = ch7.proposed_zxids(run.sim.trace)
    assert [(p["epoch"], p["counter"]) for p in proposed] == [(1, 1), (1, 2), (2, 1), (2, 2)]
    assert proposed[0]["leader"] != proposed[2]["leader"]
    table = ch7.zab_table(cluster_view(run.sim.trace))
    assert set(table["role"]) == {"leader", "follower"}
    assert set(table["epoch"]) == {2}


def test_a_new_leader_keeps_one_history_and_drops_what_is_not_in_it():
    for leader, kept in ((None, ["a", "d"]), (4, ["a", "b", "d"])):
        z, before = ch7.proposals_a_new_leader_finds(leader)
        assert before[4] == ["a", "b"] and before[5] == ["a", "b", "c"]
        for pid in z.ids:  # c (only on the crashed leader) is gone everywhere
            assert [txn[2] for txn in z.applied(pid)] == kept
        table = ch7.history_table(z)
        if leader == 4:  # b is kept with its epoch-1 zxid, delivered in epoch 2
            b = table[(table.value == "b") & (table.server == 1)].iloc[0]
            assert (b.epoch, b.counter, b.delivered) == (1, 2, True)
        z.check_invariants()


def test_a_local_read_on_a_lagging_follower_is_stale_and_sync_makes_it_fresh():
    seen = ch7.stale_then_sync()
    assert seen["local reads"][seen["follower"]] is None
    assert seen["local reads"][seen["leader"]] == "new"
    assert seen["after sync"] == "new" and seen["sync took (ms)"] >= 30


# ---------------------------------------------------------------- VR
def test_vr_takes_the_log_of_the_latest_normal_view_and_the_longest_log_loses_x():
    v, violation = ch7.view_change_run()
    assert violation is None and v.applied(3) == ["a", "x"]
    v, violation = ch7.view_change_run(longest_log=True)
    assert violation.invariant == COMMITTED_SURVIVE and "'x'" in violation.evidence
    assert list(ch7.vr_log_table(v).loc[3, "log"].split()) == list("abcd")


# ---------------------------------------------------------------- EPaxos
def test_epaxos_fast_path_is_one_round_trip_and_the_slow_path_two():
    alone, pair = ch7.epaxos_paths()
    rtt = 2 * ch7.EPAXOS_LATENCY
    fast = ch7.attributes_table(alone)
    assert list(fast["path"]) == ["fast"] and list(fast["committed at (ms)"]) == [rtt]
    slow = ch7.attributes_table(pair)
    assert list(slow["path"]) == ["slow", "slow"]
    assert list(slow["committed at (ms)"]) == [2 * rtt, 2 * rtt]
    assert ch7.message_counts(alone) == {"PreAccept": 4, "PreAcceptReply": 4,
                                         "CommitInstance": 4}


def test_conflicts_push_epaxos_onto_the_slow_path_and_up_in_latency():
    none, every = ch7.conflict_curve((0.0, 1.0), commands=8)
    assert none["slow path"] == 0 and every["slow path"] > 0.5
    assert every["mean (ms)"] > none["mean (ms)"]


def test_far_from_the_leader_epaxos_wins_beside_it_and_under_conflicts_it_does_not():
    table = ch7.geo_table({"leader-based": 75.0}, (0.0, 1.0), commands=8)
    no_conflicts, conflicts = "EPaxos, 0% conflicts (ms)", "EPaxos, 100% conflicts (ms)"
    tokyo, east = table.loc[5], table.loc[1]
    assert tokyo[no_conflicts] < tokyo["leader-based (ms)"]
    assert east[no_conflicts] > east["leader-based (ms)"]
    assert east[conflicts] > 1.5 * east["leader-based (ms)"]


def test_the_geo_setting_keeps_chapter_4s_regions_and_delays():
    assert ch7.mean_delay(ch7.FIVE_REGIONS, 1, 4) == pytest.approx(41.5)
    assert ch7.leader_client_ms(75.0, 1, 5) == pytest.approx(75.0 + 2 * 80.0)


# ---------------------------------------------------------------- campaigns
@pytest.mark.parametrize("protocol", ["zab", "epaxos"])
def test_fifty_random_fault_campaigns_break_nothing_and_converge(protocol):
    counts = ch7.campaign_counts(protocol, range(50))
    assert counts["clean"] == 50, counts
    assert counts["faults"] > 500


def test_vr_campaigns_break_nothing():
    counts = ch7.campaign_counts("vr", range(50))
    assert counts["violations"] == 0, counts


@pytest.mark.parametrize("protocol, bug", [
    ("epaxos", "bug_fast_path_on_changed_replies"),
    ("epaxos", "bug_execute_in_commit_order"),
])
def test_the_campaigns_catch_a_rule_removed(protocol, bug):
    counts = ch7.campaign_counts(protocol, range(20), **{bug: True})
    assert counts["violations"] >= 1, counts


def test_a_campaign_checks_its_arguments():
    with pytest.raises(ValueError, match="protocol must be one of"):
        ch7.protocol_campaign("raft", 0)
    with pytest.raises(ValueError, match="conflict_rate must be a probability"):
        ch7.protocol_campaign("zab", 0, conflict_rate=2)


# ---------------------------------------------------------------- FLP and split votes
def test_the_adversary_keeps_raft_undecided_term_after_term_and_safe():
    result, cluster = ch7.flp_run(1500)
    assert not result.decided_under_adversary
    assert result.terms >= 4 and result.held > 0
    assert result.decided_after_ms is not None  # once messages flow on time, it decides
    cluster.check_invariants()


def test_would_decide_steps_a_copy_and_leaves_the_world_alone():
    from ddia10.raft import RaftCluster
    from ddia10.raft.messages import AppendEntriesReply

    c = RaftCluster(3, seed=1, latency=1.0)
    leader = c.wait_for_leader()
    node = c.node(leader)
    before = (node.commit_index, c.sim.fingerprint())
    reply = AppendEntriesReply(term=node.term, success=True, match_index=node.log.last_index)
    decides = ch7.would_decide(c.sim, leader, 1 if leader != 1 else 2, reply, ch7.raft_decided)
    assert decides == (node.commit_index < node.log.last_index)
    assert (node.commit_index, c.sim.fingerprint()) == before


def test_identical_timeouts_split_every_vote_and_randomized_ones_rarely():
    assert ch7.split_vote_trial((150, 150), 0) >= 3
    lines = ch7.split_vote_frequencies([(150, 300)], trials=40)
    assert lines[0].at_least(1) < 0.25 and lines[0].at_least(3) == 0
    table = ch7.split_vote_table(lines)
    assert list(table.columns[:2]) == ["elections", "≥ 1 split"]


# ---------------------------------------------------------------- the comparison, measured
def test_the_measured_table_shows_one_round_trip_for_leaders_and_epaxos_fast_path():
    table = ch7.comparison_table(ch7.comparison(decisions=6))
    leader_based = ["Multi-Paxos", "Raft", "ZAB", "VR"]
    assert (table.loc[leader_based, "RTTs, no conflict"] == 1).all()
    assert (table.loc[leader_based, "RTTs, conflict"] == 1).all()
    assert table.loc["EPaxos", "RTTs, no conflict"] == 1
    assert table.loc["EPaxos", "RTTs, conflict"] >= 2
    assert table.loc["Raft", "messages"] == table.loc["Multi-Paxos", "messages"] == 8
    assert table.loc["ZAB", "messages"] == 12 and table.loc["EPaxos", "messages"] == 12
    assert table.loc["EPaxos", "messages, conflict"] == 20
    assert list(table["disk writes"]) == [5, 5, 5, 0, 10]
    assert table.loc["Raft", "syllabus: messages"] == "N"


def test_multi_paxos_and_raft_decide_with_the_same_two_waves_of_messages():
    kinds = {}
    for protocol in ("Multi-Paxos", "Raft"):
        harness, start = ch7.message_pattern(protocol)
        sent = [e for e in harness.trace.of_kind("send") if e.time >= start]
        kinds[protocol] = [type(e.data["msg"]).__name__ for e in sent]
    assert kinds["Multi-Paxos"] == ["AcceptSlot"] * 4 + ["AcceptedSlot"] * 4
    assert kinds["Raft"][:4] == ["AppendEntries"] * 4
    assert sorted(kinds["Raft"]) == sorted(["AppendEntries"] * 4 + ["AppendEntriesReply"] * 4)
