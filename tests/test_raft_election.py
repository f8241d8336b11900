"""Leader election (§5.2), the election restriction (§5.4.1), PreVote and
CheckQuorum (thesis §9.6), and the cost of elections and heartbeats."""

import random

import pytest

from ddia10.raft import InvariantViolation, RaftCluster
from ddia10.scenarios.raft_deep_dive import double_vote

SEEDS = [1, 2, 3]
QUIET = (100_000, 200_000)  # timeouts no test reaches: only campaign() starts elections


def leaders(c, among=None):
    among = c.ids if among is None else among
    return {pid: n.term for pid, n in c.nodes().items() if n.role == "leader" and pid in among}


def one_leader_among(c, group, timeout_ms=5000):
    """Wait until ``group`` has a leader in the highest term any of its members knows."""
    def ok(cl):
        nodes = {p: n for p, n in cl.nodes().items() if p in group}
        top = max(n.term for n in nodes.values())
        return sum(1 for n in nodes.values() if n.role == "leader" and n.term == top) == 1

    c.run_until(ok, timeout_ms)
    top = max(n.term for p, n in c.nodes().items() if p in group)
    return next(p for p, n in c.nodes().items()
                if p in group and n.role == "leader" and n.term == top)


@pytest.mark.parametrize("seed", SEEDS)
def test_5_2_initial_election(seed):
    c = RaftCluster(3, seed=seed)
    leader = c.wait_for_leader(2000)
    c.run(100)
    terms = {c.state(i).term for i in c.ids}
    assert len(terms) == 1 and terms.pop() >= 1
    assert all(c.state(i).leader_id == leader for i in c.ids)
    term = c.state(leader).term
    c.run(2000)  # no failures: no new elections
    assert c.leader() == leader and c.state(leader).term == term
    c.check_invariants()


@pytest.mark.parametrize("seed", SEEDS)
def test_5_2_reelection_after_leader_loss(seed):
    c = RaftCluster(3, seed=seed)
    old = c.wait_for_leader()
    c.disconnect(old)
    new = one_leader_among(c, [p for p in c.ids if p != old])
    assert new != old and c.state(new).term > c.state(old).term
    c.connect(old)  # the old leader hears of the new term and steps down
    c.run(500)
    assert c.state(old).role == "follower" and len(leaders(c)) == 1
    c.check_invariants()


@pytest.mark.parametrize("seed", SEEDS)
def test_5_2_no_leader_without_a_quorum(seed):
    c = RaftCluster(3, seed=seed)
    leader = c.wait_for_leader()
    for p in c.ids:
        if p != leader:
            c.disconnect(p)
    c.run(2000)
    assert not [p for p, t in leaders(c).items() if p != leader]  # nobody else could win
    c.connect(next(p for p in c.ids if p != leader))
    one_leader_among(c, c.ids)
    c.check_invariants()


@pytest.mark.parametrize("seed", SEEDS)
def test_5_2_many_elections_with_random_disconnections_7_nodes(seed):
    c = RaftCluster(7, seed=seed)
    rng = random.Random(seed)
    c.wait_for_leader()
    for _ in range(10):
        out = rng.sample(c.ids, 3)
        for p in out:
            c.disconnect(p)
        one_leader_among(c, [p for p in c.ids if p not in out])  # four of seven still elect
        for p in out:
            c.connect(p)
    c.check_invariants()
    assert max(len(ps) for ps in c.monitor.leaders.values()) == 1


def _stale_cluster(**options):
    """S5 misses two committed entries; then the leader crashes."""
    c = RaftCluster(5, seed=4, latency=5.0, election_timeout=QUIET, **options)
    c.campaign(1)
    c.run(50)
    c.partition([1, 2, 3, 4], [5])
    c.agree("a", servers=4)
    c.agree("b", servers=4)
    c.crash(1)
    c.heal()
    return c


def _stale_candidate(bug: bool):
    """:func:`_stale_cluster`, and S5 campaigns."""
    c = _stale_cluster(bug_no_election_restriction=bug)
    c.campaign(5)
    return c


def test_5_4_1_election_restriction_refuses_a_stale_candidate():
    c = _stale_candidate(bug=False)
    c.run(200)
    assert c.state(5).role == "follower"  # S2..S4 refused: their logs are more up to date
    c.campaign(2)
    c.run(200)
    assert c.leader() == 2
    c.check_invariants()


def test_5_4_1_without_the_restriction_a_stale_leader_erases_committed_entries():
    c = _stale_candidate(bug=True)
    with pytest.raises(InvariantViolation, match="leader completeness"):
        c.run(200)
        c.check_invariants()


def _ballots(c, voter):
    """Which candidates ``voter`` granted its vote to, in the order it answered."""
    asked = [e.data["msg"].candidate_id for e in c.trace
             if e.kind == "deliver" and e.pid == voter and e.msg_type == "RequestVote"]
    answers = [e.data["msg"].vote_granted for e in c.trace
               if e.kind == "send" and e.pid == voter and e.msg_type == "RequestVoteReply"]
    return dict(zip(asked, answers, strict=True))


def test_5_2_vote_keyed_by_candidate_allows_one_leader_per_term():
    c = double_vote(bug=False)
    assert _ballots(c, 3) == {1: True, 2: False}
    assert leaders(c) == {1: 1}
    c.check_invariants()


def test_drill_vote_keyed_by_term_elects_two_leaders_in_one_term():
    c = double_vote(bug=True)
    assert _ballots(c, 3) == {1: True, 2: True}  # voted_for held the term, 1: both matched
    assert leaders(c) == {1: 1, 2: 1}
    with pytest.raises(InvariantViolation, match="election safety") as caught:
        c.check_invariants()
    assert caught.value.invariant == "election safety"


def test_drill_vote_keyed_by_term_is_caught_by_random_faults():
    from ddia10.scenarios.raft_deep_dive import fault_campaign

    for seed in range(80):
        result = fault_campaign(seed, rounds=60, bug_vote_per_term_not_candidate=True)
        if result.violation is not None:
            assert result.violation.invariant == "election safety"
            return
    pytest.fail("80 random campaigns never caught the double vote")


# ---------------------------------------------------------------- the timer rules
def _election_due(c, pid):
    """When ``pid``'s election timer is queued to fire (simulated ms)."""
    return next(t for t, _seq, _kind, payload in c.sim.pending() if payload == (pid, "election"))


@pytest.mark.parametrize("rule", ["paper", "etcd"])
def test_figure2_a_follower_stepping_down_to_a_higher_term_keeps_its_timer_only_in_the_paper(
        rule):
    c = _stale_cluster(election_timer=rule)
    voters = (2, 3, 4)
    due = {p: _election_due(c, p) for p in voters}
    c.campaign(5)
    c.run(200)
    term = c.state(5).term
    assert all(c.state(p).term == term and c.state(p).voted_for is None for p in voters)
    kept = [_election_due(c, p) == due[p] for p in voters]
    assert all(kept) if rule == "paper" else not any(kept)


def test_figure2_a_refused_candidate_waits_out_its_timeout_then_starts_a_new_election():
    c = _stale_cluster(election_timer="paper")
    c.campaign(5)
    term, due = c.state(5).term, _election_due(c, 5)
    c.run(200)  # every vote refused: S5's log is behind
    assert c.state(5).role == "candidate" and c.state(5).term == term
    assert _election_due(c, 5) == due
    c.disconnect(5)  # from now on only its own timer can move it
    fired = c.run_until(lambda cl: cl.state(5).term != term, QUIET[1])
    assert fired == due
    assert c.state(5).role == "candidate" and c.state(5).term == term + 1


def test_figure2_a_deposed_leader_starts_a_whole_election_timeout():
    # A leader runs no election timer (ours runs its CheckQuorum tick, at most
    # the minimum timeout away), so stepping down starts one, as LogCabin does.
    c = RaftCluster(3, seed=1, latency=5.0, election_timeout=QUIET, election_timer="paper")
    c.campaign(1)
    c.run(50)
    c.disconnect(1)
    c.campaign(2)
    c.run(50)
    c.connect(1)
    deposed = c.run_until(lambda cl: cl.state(1).role == "follower", 1000)
    assert deposed + QUIET[0] <= _election_due(c, 1) <= deposed + QUIET[1]


@pytest.mark.parametrize("options", [{}, {"prevote": True, "check_quorum": True}])
def test_figure2_timer_rules_keep_every_invariant_under_random_faults(options):
    from ddia10.scenarios.raft_deep_dive import fault_campaign

    for seed in range(24):
        result = fault_campaign(seed, election_timer="paper", **options)
        assert result.violation is None, (seed, result.violation)
        assert result.committed_after_heal, (seed, result.faults)


@pytest.mark.parametrize("rule", ["paper", "etcd"])
def test_the_timer_rules_are_deterministic(rule):
    runs = []
    for _ in range(2):
        c = RaftCluster(5, seed=9, election_timer=rule)
        c.wait_for_leader()
        c.crash(c.leader())
        c.run(2000)
        runs.append(c.sim.fingerprint())
    assert runs[0] == runs[1]


@pytest.mark.parametrize("bad", ["raft", "", None, True])
def test_an_unknown_timer_rule_is_refused(bad):
    with pytest.raises(ValueError, match="election_timer must be one of"):
        RaftCluster(3, election_timer=bad)


# ---------------------------------------------------------------- PreVote and CheckQuorum
def _rejoin(seed, **options):
    """Cut a follower off for 2 s, then let it back.

    Returns (term before, its term when back, final term, leader kept?)."""
    c = RaftCluster(5, seed=seed, **options)
    leader = c.wait_for_leader()
    c.run(200)
    term = c.state(leader).term
    loner = next(p for p in c.ids if p != leader)
    c.disconnect(loner)
    c.run(2000)
    loner_term = c.state(loner).term
    c.connect(loner)
    c.run(1000)
    c.check_invariants()
    return term, loner_term, max(c.state(p).term for p in c.ids), c.leader() == leader


@pytest.mark.parametrize("seed", SEEDS)
def test_9_6_without_prevote_a_rejoining_node_disrupts_the_leader(seed):
    term, loner_term, final_term, kept = _rejoin(seed)
    assert loner_term > term  # it campaigned alone, again and again
    assert final_term > term  # ...and its term deposed the leader when it came back


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("options", [{"prevote": True}, {"prevote": True, "check_quorum": True}])
def test_9_6_prevote_keeps_a_rejoining_node_from_disrupting(seed, options):
    term, loner_term, final_term, kept = _rejoin(seed, **options)
    assert loner_term == term  # pre-votes failed, so its term never moved
    assert final_term == term and kept


@pytest.mark.parametrize("seed", SEEDS)
def test_9_6_checkquorum_alone_ignores_the_votes_but_not_the_higher_term(seed):
    # Voters that hear from a leader ignore the loner's RequestVote, yet its
    # higher term still reaches the leader in a reply and deposes it: etcd
    # recommends PreVote together with CheckQuorum for this reason.
    term, loner_term, final_term, _kept = _rejoin(seed, check_quorum=True)
    assert loner_term > term and final_term > term


@pytest.mark.parametrize("seed", SEEDS)
def test_9_6_checkquorum_leader_in_a_minority_steps_down(seed):
    for check, expect_leader in ((True, False), (False, True)):
        c = RaftCluster(5, seed=seed, check_quorum=check)
        leader = c.wait_for_leader()
        buddy = next(p for p in c.ids if p != leader)
        c.partition([leader, buddy], [p for p in c.ids if p not in (leader, buddy)])
        c.run(1000)
        assert (c.state(leader).role == "leader") is expect_leader
        c.check_invariants()


# ---------------------------------------------------------------- costs
def _requests(c, since=0):
    kinds = {"RequestVote", "AppendEntries", "InstallSnapshot"}
    return sum(1 for e in c.trace.events[since:] if e.kind == "send" and e.msg_type in kinds)


@pytest.mark.parametrize("seed", SEEDS)
def test_rpc_counts_are_bounded(seed):
    c = RaftCluster(3, seed=seed)
    c.wait_for_leader()
    assert _requests(c) <= 30  # one election, perhaps a split vote, not a storm
    c.run(100)
    mark, start = len(c.trace), c.sim.now
    for k in range(10):
        c.agree(f"cmd{k}")
    elapsed = c.sim.now - start
    heartbeat_rounds = elapsed / c.options.heartbeat_interval + 1
    # per agreement one AppendEntries per follower, plus the periodic heartbeats
    assert _requests(c, mark) <= 2 * (10 + heartbeat_rounds)
    mark = len(c.trace)
    c.run(1000)
    idle = _requests(c, mark)
    assert idle <= 2 * (1000 / c.options.heartbeat_interval + 1)  # heartbeats only
    assert not [e for e in c.trace.events[mark:] if e.msg_type == "RequestVote"]


def test_election_timeouts_are_randomized_per_server():
    c = RaftCluster(5, seed=7, election_timeout=(150, 300))
    first = [e for e in c.trace if e.kind == "timer" and e.data["name"] == "election"]
    c.run(400)
    fired = [(e.time, e.pid) for e in c.trace if e.kind == "timer" and e.data["name"] == "election"]
    assert not first and fired
    times = sorted(t for t, _ in fired)
    assert len(set(times)) == len(times)  # no two servers time out together
