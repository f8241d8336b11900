"""The harness: input validation, determinism, annotations, the log and its storage."""

from types import SimpleNamespace

import pytest

from ddia10.raft import NOOP, Configuration, RaftCluster, RaftLog, RaftOptions
from ddia10.raft.cluster import leader_of
from ddia10.raft.messages import Snapshot
from ddia10.raft.storage import DurableLog
from ddia10.sim import Context, Process


# ---------------------------------------------------------------- validation
@pytest.mark.parametrize("n", [0, -3, 2.0, True, "5"])
def test_cluster_size_is_validated(n):
    with pytest.raises(ValueError, match="cluster size"):
        RaftCluster(n)


@pytest.mark.parametrize("options, match", [
    ({"election_timeout": (300, 150)}, "min must be <= max"),
    ({"election_timeout": (0, 10)}, "election_timeout min"),
    ({"heartbeat_interval": 200}, "heartbeat_interval"),
    ({"max_batch": 0}, "max_batch"),
    ({"max_inflight": 1.5}, "max_inflight"),
    ({"prevote": "yes"}, "prevote"),
    ({"conflict_hints": 0}, "conflict_hints"),
    ({"clock_drift_bound": 1.0}, "clock_drift_bound"),
    ({"electon_timeout": (1, 2)}, "unknown Raft option"),
])
def test_bad_options_fail_clearly(options, match):
    with pytest.raises(ValueError, match=match):
        RaftCluster(3, **options)


def test_bad_calls_fail_clearly():
    c = RaftCluster(3, seed=1)
    with pytest.raises(KeyError, match="unknown server id 7"):
        c.crash(7)
    with pytest.raises(KeyError):
        c.state(0)
    with pytest.raises(ValueError, match="run time"):
        c.run(-1)
    c.crash(2)
    with pytest.raises(ValueError, match="already crashed"):
        c.crash(2)
    with pytest.raises(ValueError, match="is running"):
        c.restart(1)
    with pytest.raises(ValueError, match="crashed"):
        c.submit("x", node=2)
    with pytest.raises(ValueError, match="already exists"):
        c.add_server(3)
    with pytest.raises(ValueError, match="node_class"):
        RaftCluster(3, node_class=42)
    with pytest.raises(ValueError, match="Raft's own entry"):
        c.wait_for_leader()
        c.submit(NOOP)


def test_node_class_must_build_raft_nodes():
    with pytest.raises(ValueError, match="not a RaftNode"):
        RaftCluster(3, node_class=lambda options, voters: object())


# ---------------------------------------------------------------- the harness API
def test_submit_without_a_leader_returns_none_and_at_a_follower_too():
    c = RaftCluster(3, seed=1)
    assert c.leader() is None and c.submit("x") is None
    leader = c.wait_for_leader()
    follower = next(p for p in c.ids if p != leader)
    assert c.submit("x", node=follower) is None
    assert c.submit("x") == (2, c.state(leader).term)  # index 1 holds the leader's no-op


def test_state_of_a_crashed_server_shows_what_it_persisted():
    c = RaftCluster(3, seed=1)
    c.agree("a")
    c.crash(1)
    s = c.state(1)
    assert s.role == "crashed" and s.log[-1][1] == "a" and s.term >= 1
    with pytest.raises(ValueError, match="crashed"):
        c.applied(1)


def test_harness_views_leave_out_processes_that_are_not_servers():
    c = RaftCluster(3, seed=1)
    c.sim.add("client", Process)
    leader = c.wait_for_leader()
    c.agree("a")
    assert c.ids == [1, 2, 3] and set(c.nodes()) == {1, 2, 3}
    assert c.leader() == leader and "client" not in repr(c)
    c.check_invariants()
    with pytest.raises(KeyError, match="unknown server id 'client'"):
        c.crash("client")
    with pytest.raises(ValueError, match="process 'client' already exists"):
        c.add_server("client")
    c.add_server(4)
    assert c.ids == [1, 2, 3, 4]


def test_single_server_cluster_commits_alone():
    c = RaftCluster(1, seed=1)
    c.wait_for_leader()
    assert c.submit("x") == (2, 1)
    assert c.applied(1) == ["x"]


def test_same_seed_same_trace_different_seed_different_trace():
    def run(seed):
        c = RaftCluster(5, seed=seed, loss=0.1)
        c.run(500)
        c.submit("x")
        c.crash(c.leader() or 1)
        c.run(1000)
        return c.trace.to_json()

    assert run(4) == run(4)
    assert run(4) != run(5)


# ---------------------------------------------------------------- annotations
def test_annotations_describe_each_server_and_only_on_change():
    c = RaftCluster(3, seed=1)
    leader = c.wait_for_leader()
    c.agree("a")
    states = [e for e in c.trace.of_kind("state") if e.pid == leader]
    last = {}
    for e in states:
        last.update(e.data)
    assert last["role"] == "leader" and last["commit_index"] == 2
    assert last["log"] == [(last["term"], "no-op"), (last["term"], "'a'")]
    assert set(last["match_index"]) == set(c.ids) - {leader}
    mark = len(c.trace)
    c.run(1000)  # idle: heartbeats change nothing a reader sees
    assert not [e for e in c.trace.events[mark:] if e.kind == "state"]


def test_annotations_of_a_long_log_show_its_tail():
    c = RaftCluster(1, seed=1)
    c.wait_for_leader()
    for k in range(40):
        c.submit(k)
    c.run(1)
    last = {}
    for e in c.trace.of_kind("state"):
        last.update(e.data)
    assert last["log_len"] == 41 and last["log_start"] == 26 and len(last["log"]) == 16


# ---------------------------------------------------------------- the log
def test_log_up_to_date_compares_last_term_then_length():
    log = RaftLog(0, 0, [(1, "a"), (2, "b")])
    assert log.is_up_to_date(2, 2) and log.is_up_to_date(1, 3)
    assert not log.is_up_to_date(5, 1) and not log.is_up_to_date(1, 2)


def test_log_indexes_terms_and_compaction():
    log = RaftLog(0, 0, [(1, "a"), (1, "b"), (2, "c"), (2, "d"), (3, "e")])
    assert (log.last_index, log.last_term, log.term_at(0), log.term_at(6)) == (5, 3, 0, None)
    assert log.first_index_of_term(4) == 3 and log.last_index_of_term(2) == 4
    assert log.last_index_of_term(4) is None
    assert log.term_runs() == [(0, 0), (1, 1), (3, 2), (5, 3)]
    log.compact(2, 1)
    assert (log.snapshot_index, log.term_at(1), log.term_at(2)) == (2, None, 1)
    assert log.entry(3) == (2, "c")
    log.truncate_after(3)
    assert log.last_index == 3 and log.slice(3, 3) == [(2, "c")]
    log.compact(9, 4)  # a snapshot beyond the log replaces it
    assert (log.last_index, log.entries) == (9, [])


def test_durable_log_survives_truncation_and_compaction_in_the_middle_of_batches():
    ctx = Context("n")  # stands alone: its storage is what the writes left
    log, durable = RaftLog(), DurableLog()

    def append(entries):
        first = log.last_index + 1
        log.append(entries)
        durable.append(ctx, first, tuple(entries))

    def reloaded():
        _snap, again, _d = DurableLog.load(ctx.stable)
        return again

    append([(1, "a"), (1, "b"), (1, "c")])
    append([(2, "d"), (2, "e")])
    log.truncate_after(4)
    durable.truncate(ctx, log, 4)
    append([(3, "f")])
    assert reloaded().entries == log.entries == [(1, "a"), (1, "b"), (1, "c"), (2, "d"), (3, "f")]
    log.truncate_after(2)
    durable.truncate(ctx, log, 2)
    append([(4, "g"), (4, "h")])
    log.compact(3, 4)
    durable.compact(ctx, log, Snapshot(3, 4, Configuration(()), ()))
    again = reloaded()
    assert (again.snapshot_index, again.entries) == (3, [(4, "h")])
    assert (log.snapshot_index, log.entries) == (3, [(4, "h")])


def test_options_expose_the_lease():
    opts = RaftOptions(election_timeout=(100, 200), clock_drift_bound=0.0)
    assert opts.lease_duration == 100
    assert RaftOptions().lease_duration < 150


def test_cluster_restore_rolls_the_safety_monitor_back_with_the_world():
    c = RaftCluster(5, seed=4)
    c.agree("a")
    snap = c.snapshot()
    heard = (dict(c.monitor.leaders), dict(c.monitor.committed))
    first = c.leader()
    c.crash(first)  # a new branch: another election, more commits
    c.agree("b", servers=4)
    assert (c.monitor.leaders, c.monitor.committed) != heard
    c.restore(snap)
    assert (c.monitor.leaders, c.monitor.committed) == heard
    assert c.leader() == first and c.sim.is_up(first)
    c.agree("c")  # the restored branch runs on, judged on its own history
    c.check_invariants()
    assert c.applied(first) == ["a", "c"]


def test_the_leader_is_the_one_leading_the_highest_term_and_a_tie_goes_to_the_lowest_id():
    def node(role, term):
        return SimpleNamespace(role=role, term=term)

    assert leader_of({}) is None
    assert leader_of({1: node("follower", 3), 2: node("candidate", 4)}) is None
    assert leader_of({1: node("leader", 2), 2: node("follower", 3), 3: node("leader", 3)}) == 3
    # two leaders of one term (only a broken rule makes them): the lowest id counts
    assert leader_of({4: node("leader", 5), 2: node("leader", 5), 3: node("leader", 4)}) == 2


def test_commands_proposed_in_one_instant_share_one_flush_and_one_append_entries_each():
    c = RaftCluster(3, seed=1)
    leader = c.wait_for_leader()
    c.run(50)
    mark = len(c.trace)
    for k in range(3):
        c.submit(f"c{k}", node=leader)
    c.run(0.5)  # the instant's events; no message arrives this soon
    events = c.trace.events[mark:]
    assert [e.data["name"] for e in events if e.kind == "timer"] == ["flush"]
    sent = {e.data["dst"]: e.data["msg"].entries for e in events if e.kind == "send"}
    assert sent == {p: ((1, "c0"), (1, "c1"), (1, "c2")) for p in c.ids if p != leader}
    c.submit("c3", node=leader)  # the flush fired, so the next proposal arms a new one
    c.run(0.5)
    assert [e.data["name"] for e in c.trace.events[mark + len(events):]
            if e.kind == "timer"] == ["flush"]
