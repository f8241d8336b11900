"""Log replication (§5.3), persistence and crash recovery (§5.1, Figure 2),
fast back-off, batching and pipelining."""

import pytest

from ddia10.raft import RaftCluster

SEEDS = [1, 2, 3]


def committed(c, index):
    """How many running servers have applied ``index``."""
    return sum(1 for n in c.nodes().values() if n.last_applied >= index)


def same_applied(c, ids=None):
    ids = c.ids if ids is None else ids
    lists = [c.applied(i) for i in ids]
    return all(x == lists[0] for x in lists)


@pytest.mark.parametrize("seed", SEEDS)
def test_5_3_basic_agreement(seed):
    c = RaftCluster(3, seed=seed)
    c.wait_for_leader()
    c.run(50)
    before = c.state(c.leader()).commit_index
    for k in range(1, 4):
        assert committed(c, before + k) == 0  # nothing commits before it is proposed
        assert c.agree(f"cmd{k}") == before + k
    assert all(c.applied(i) == ["cmd1", "cmd2", "cmd3"] for i in c.ids)
    c.check_invariants()


@pytest.mark.parametrize("seed", SEEDS)
def test_5_3_follower_failure(seed):
    c = RaftCluster(3, seed=seed)
    c.agree(101)
    leader = c.leader()
    follower = next(p for p in c.ids if p != leader)
    c.disconnect(follower)
    c.agree(102, servers=2)  # the leader and the other follower are a majority
    c.agree(103, servers=2)
    c.connect(follower)
    c.agree(104)
    assert same_applied(c) and c.applied(follower) == [101, 102, 103, 104]
    c.check_invariants()


@pytest.mark.parametrize("seed", SEEDS)
def test_5_3_leader_failure(seed):
    c = RaftCluster(3, seed=seed)
    c.agree(101)
    first = c.leader()
    c.disconnect(first)
    c.agree(102, servers=2)
    second = c.leader()
    assert second != first
    c.disconnect(second)
    rest = next(p for p in c.ids if p not in (first, second))
    for server in c.ids:  # whoever takes it, alone it cannot commit
        c.submit(103, node=server)
    c.run(1000)
    assert c.state(rest).role != "leader"
    assert all(103 not in c.applied(i) for i in c.ids)
    c.check_invariants()


@pytest.mark.parametrize("seed", SEEDS)
def test_5_3_partitioned_follower_rejoins(seed):
    c = RaftCluster(5, seed=seed)
    c.agree("a")
    leader = c.leader()
    lost = next(p for p in c.ids if p != leader)
    c.disconnect(lost)
    for k in range(5):
        c.agree(f"b{k}", servers=4)
    c.connect(lost)
    c.agree("c")
    assert c.applied(lost) == ["a", "b0", "b1", "b2", "b3", "b4", "c"]
    c.check_invariants()


@pytest.mark.parametrize("seed", SEEDS)
def test_5_3_no_agreement_without_a_majority(seed):
    c = RaftCluster(5, seed=seed)
    c.agree(10)
    leader = c.leader()
    others = [p for p in c.ids if p != leader]
    for p in others[:3]:
        c.disconnect(p)
    index, _term = c.submit(20, node=leader)
    c.run(2000)
    assert committed(c, index) == 0
    for p in others[:3]:
        c.connect(p)
    c.agree(30)
    assert same_applied(c) and c.applied(leader)[-1] == 30
    c.check_invariants()


@pytest.mark.parametrize("seed", SEEDS)
def test_5_3_concurrent_proposals_commit_in_one_order(seed):
    c = RaftCluster(3, seed=seed)
    leader = c.wait_for_leader()
    c.run(50)
    placed = [c.submit(f"x{k}", node=leader) for k in range(5)]
    assert len({term for _i, term in placed}) == 1
    assert [i for i, _t in placed] == list(range(placed[0][0], placed[0][0] + 5))
    c.run(300)
    assert all(c.applied(i) == [f"x{k}" for k in range(5)] for i in c.ids)
    c.check_invariants()


@pytest.mark.parametrize("seed", SEEDS)
def test_5_3_partitioned_old_leader_entries_are_overwritten_on_rejoin(seed):
    c = RaftCluster(3, seed=seed)
    c.agree(101)
    old = c.leader()
    c.disconnect(old)
    for k in range(3):  # the cut-off leader takes entries it can never commit
        c.submit(f"lost{k}", node=old)
    c.agree(103, servers=2)
    new = c.leader()
    c.disconnect(new)
    c.connect(old)
    c.agree(104, servers=2)
    c.connect(new)
    c.agree(105)
    for i in c.ids:
        assert c.applied(i) == [101, 103, 104, 105]
        assert not [cmd for _t, cmd in c.state(i).log if str(cmd).startswith("lost")]
    c.check_invariants()


@pytest.mark.parametrize("seed", SEEDS)
def test_5_3_fast_backup_of_50_stranded_entries_on_both_sides(seed):
    c = RaftCluster(5, seed=seed)
    c.agree("start")
    leader1 = c.leader()
    follower = next(p for p in c.ids if p != leader1)
    rest = [p for p in c.ids if p not in (leader1, follower)]
    c.partition([leader1, follower], rest)  # 50 entries on the minority side, never committed
    for k in range(50):
        c.submit(f"minority{k}", node=leader1)
    c.run(50)
    for k in range(50):  # 50 committed on the majority side
        c.agree(f"majority{k}", servers=3)
    leader2 = c.leader()
    other = next(p for p in rest if p != leader2)
    c.partition([leader2, other], [p for p in c.ids if p not in (leader2, other)])
    for k in range(50):  # 50 more stranded on the new minority
        c.submit(f"stranded{k}", node=leader2)
    c.run(50)
    mark = len(c.trace)
    new_majority = [leader1, follower, next(p for p in rest if p not in (leader2, other))]
    c.partition(new_majority, [leader2, other])
    for k in range(50):
        c.agree(f"again{k}", servers=3)
    c.heal()
    c.agree("end")
    expected = ["start"] + [f"majority{k}" for k in range(50)] + [f"again{k}" for k in range(50)]
    assert all(c.applied(i) == expected + ["end"] for i in c.ids)
    rejections = [e for e in c.trace.events[mark:] if e.kind == "send"
                  and e.msg_type == "AppendEntriesReply" and not e.data["msg"].success]
    per_follower = {}
    for e in rejections:
        per_follower[e.pid] = per_follower.get(e.pid, 0) + 1
    # one rejection per conflicting term, not one per entry
    assert max(per_follower.values()) <= 6
    c.check_invariants()


def test_5_3_batching_and_pipelining():
    c = RaftCluster(3, seed=5, latency=10.0, max_batch=8, max_inflight=3)
    leader = c.wait_for_leader()
    c.run(100)
    mark = len(c.trace)
    for k in range(100):
        c.submit(k, node=leader)
    c.run(10)  # one latency: the first sends are on the wire, no reply yet
    on_wire = {}
    for e in c.trace.events[mark:]:
        if e.kind == "send" and e.msg_type == "AppendEntries" and e.data["msg"].entries:
            on_wire[e.data["dst"]] = on_wire.get(e.data["dst"], 0) + 1
    assert set(on_wire.values()) == {3}  # pipelined: max_inflight messages before any reply
    c.run(1000)
    sizes = [len(e.data["msg"].entries) for e in c.trace.events[mark:]
             if e.kind == "send" and e.msg_type == "AppendEntries" and e.data["msg"].entries]
    assert max(sizes) == 8 and sum(sizes) == 200  # 100 entries to each of 2 followers
    assert all(c.applied(i) == list(range(100)) for i in c.ids)


# ---------------------------------------------------------------- persistence
@pytest.mark.parametrize("seed", SEEDS)
def test_5_1_persistence_across_restarts_of_all_leader_and_follower(seed):
    c = RaftCluster(3, seed=seed)
    c.agree(11)
    for i in c.ids:  # everyone at once
        c.crash(i)
    for i in c.ids:
        c.restart(i)
    c.agree(12)
    leader = c.leader()
    c.crash(leader)
    c.restart(leader)
    c.agree(13)
    follower = next(p for p in c.ids if p != c.leader())
    c.crash(follower)
    c.agree(14, servers=2)
    c.restart(follower)
    c.agree(15)
    assert all(c.applied(i) == [11, 12, 13, 14, 15] for i in c.ids)
    c.check_invariants()


def test_5_1_crash_keeps_term_vote_and_log_and_loses_the_rest():
    c = RaftCluster(3, seed=3)
    c.agree("a")
    leader = c.leader()
    before = c.state(leader)
    c.crash(leader)
    assert c.state(leader).role == "crashed"
    assert c.state(leader).log == before.log and c.state(leader).term == before.term
    c.restart(leader)
    after = c.state(leader)
    assert (after.term, after.voted_for, after.log) == (before.term, before.voted_for, before.log)
    assert (after.role, after.commit_index, after.last_applied) == ("follower", 0, 0)
    assert c.applied(leader) == []  # the state machine is rebuilt from the log once commit is known
    c.agree("b")
    assert c.applied(leader) == ["a", "b"]


def test_5_1_a_vote_survives_a_crash():
    """A voter that crashes right after voting must not vote again in that term."""
    c = RaftCluster(3, seed=4, latency=5.0, election_timeout=(100_000, 200_000))
    c.campaign(1)
    c.run_until(lambda cl: cl.state(2).voted_for == 1, 100)
    c.crash(2)
    c.restart(2)
    assert c.state(2).voted_for == 1 and c.state(2).term == 1
    c.crash(1)
    c.campaign(3)
    c.run(50)
    assert c.state(3).role == "candidate" and c.state(3).term == 1  # S2 refused a second vote
    c.check_invariants()


# ---------------------------------------------------------------- back-off and probing
def stranded_follower(**options):
    """Server 1 led term 1 and took five entries nobody else has; server 2 led
    term 2 and committed three more. The network heals and server 3 stands
    for term 3: it will find server 1's log ending in entries it does not have."""
    c = RaftCluster(3, seed=1, latency=5.0, election_timeout=(100_000, 200_000), **options)
    c.campaign(1)
    c.run(30)
    c.partition([1], [2, 3])
    for k in range(5):
        c.submit(f"lost{k}", node=1)
    c.run(30)
    c.campaign(2)
    c.run(30)
    for k in range(3):
        c.submit(f"kept{k}", node=2)
    c.run(30)
    c.heal()
    c.campaign(3)
    return c


def rejections_by(c, pid, since=0):
    return [e.data["msg"].reject_index for e in c.trace.events[since:]
            if e.kind == "send" and e.pid == pid and e.msg_type == "AppendEntriesReply"
            and not e.data["msg"].success]


@pytest.mark.parametrize("hints", [True, False])
def test_5_3_without_conflict_hints_next_index_backs_off_one_entry_per_rejection(hints):
    c = stranded_follower(conflict_hints=hints)
    mark = len(c.trace)
    c.run(300)
    rejected = rejections_by(c, 1, mark)
    if hints:
        assert len(rejected) == 1  # one hint skips the whole conflicting term
    else:
        assert len(rejected) >= 4
        assert all(a - b == 1 for a, b in zip(rejected, rejected[1:], strict=False))
    assert c.applied(1) == c.applied(3) == ["kept0", "kept1", "kept2"]
    c.check_invariants()


def test_5_3_a_rejection_sends_a_replicating_follower_back_to_probing():
    c = RaftCluster(3, seed=3, latency=5.0, election_timeout=(100_000, 200_000), max_batch=1)
    c.campaign(1)
    c.agree("a")
    c.sim.set_link(1, 2, reorder=0.5, both_ways=False)  # batches overtake one another
    pr = c.node(1).progress[2]
    for k in range(30):
        c.submit(k, node=1)
    from_replicate = 0
    while c.applied(2) != ["a", *range(30)] and c.sim.now < 5000:
        was, match, mark = pr.state, pr.match_index, len(c.trace)
        c.sim.step()
        for e in c.trace.events[mark:]:
            if (e.kind == "deliver" and e.pid == 1 and e.msg_type == "AppendEntriesReply"
                    and not e.data["msg"].success and e.data["msg"].reject_index > match):
                assert pr.state == "probe"
                from_replicate += was == "replicate"
    assert from_replicate >= 1
    assert c.applied(2) == ["a", *range(30)]


def test_5_3_an_unreachable_follower_gets_one_probe_per_heartbeat_without_entries():
    c = RaftCluster(5, seed=1, latency=(1.0, 5.0), max_batch=64)
    leader = c.wait_for_leader()
    c.run(50)
    away = next(p for p in c.ids if p != leader)
    mark = len(c.trace)
    c.partition([away], [p for p in c.ids if p != away])
    for k in range(2000):  # 2 s, a command every millisecond
        c.submit(k, node=leader)
        c.run(1)
    events = c.trace.events[mark:]
    beats = [e.time for e in events if e.kind == "timer" and e.pid == leader
             and e.data["name"] == "heartbeat"]
    sent = [e for e in events if e.kind == "send" and e.pid == leader
            and e.data["dst"] == away and e.msg_type == "AppendEntries"]
    for start, end in zip(beats[1:], beats[2:], strict=False):  # once it is probing
        assert len([e for e in sent if start <= e.time < end]) == 1
    carried = [len(e.data["msg"].entries) for e in sent if e.time >= beats[1]]
    assert sum(carried) <= 64  # one probe with entries; the rest are empty
    c.heal()
    c.run_until(lambda cl: cl.state(away).last_applied == cl.state(leader).commit_index, 2000)
    assert c.applied(away) == c.applied(leader)
