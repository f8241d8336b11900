"""The key-value store on a real Raft cluster: exactly-once, redirects, reads under drift."""

from collections import Counter

import pytest

from ddia10.linearizability import LINEARIZABLE, NOT_LINEARIZABLE, check
from ddia10.raft.client import KVRun
from ddia10.raft.kv import ClientReply, KVCommand, KVServer
from ddia10.scenarios.raft_deep_dive import lease_drift_run


def values_of(run, key):
    return {node.kv.read(key) for node in run.cluster.nodes().values()}


def test_6_3_a_command_twice_in_the_log_is_applied_once():
    run = KVRun(1, clients=1)
    leader = run.cluster.wait_for_leader()
    command = KVCommand("ghost", 1, "append", "x", "A")
    run.cluster.submit(command)
    run.cluster.submit(command)  # a retry that reached the log a second time
    run.run(300)
    assert run.cluster.applied(leader).count(command) == 2
    assert values_of(run, "x") == {"A"}


def test_6_3_retried_and_duplicated_appends_apply_once():
    """Clients that time out before a commit resend; the network duplicates 30% of
    messages; the leader crashes mid-stream. Each append still lands once."""
    duplicated_in_log = 0
    for seed in range(8):
        run = KVRun(seed, clients=1, duplicate=0.3, client_timeout=4)
        old = run.cluster.wait_for_leader()
        for i in range(10):
            run.submit("c1", "append", "x", str(i))
        run.run(25)
        run.cluster.crash(old)
        assert run.run_until_idle(5000)
        assert run.settle(3000)
        assert values_of(run, "x") == {"0123456789"}
        applied = run.cluster.node(run.cluster.leader()).applied_commands
        counts = Counter((c.client, c.seq) for c in applied)
        duplicated_in_log += sum(n > 1 for n in counts.values())
        requests = [e for e in run.sim.trace.of_kind("send") if e.pid == "c1"]
        assert len(requests) > 10  # the client did resend
    assert duplicated_in_log > 0  # some retry really reached the log twice


def test_clients_follow_redirects_to_the_leader_after_it_changes():
    redirects = 0
    for seed in range(5):
        run = KVRun(seed, clients=1)
        old = run.cluster.wait_for_leader()
        run.submit("c1", "put", "x", "a")
        assert run.run_until_idle(2000)
        assert run.client("c1").leader_hint == old
        run.cluster.crash(old)
        run.submit("c1", "append", "x", "b")
        assert run.run_until_idle(5000)
        new = run.cluster.leader()
        assert new not in (None, old)
        assert run.client("c1").leader_hint == new
        assert run.settle(3000)
        assert values_of(run, "x") == {"ab"}
        redirects += sum(
            1 for e in run.sim.trace.of_kind("deliver")
            if isinstance(e.data["msg"], ClientReply) and e.data["msg"].status == "not_leader"
            and e.data["msg"].leader is not None
        )
        assert run.check_linearizable().ok
    assert redirects > 0


def test_a_write_whose_entry_was_overwritten_is_retried_not_acknowledged():
    """A leader cut off from the majority appends a put it can never commit. Once
    the partition heals, a newer leader's entry takes that index: the old leader
    tells the client to retry (it checks the term of the entry at the index), and
    the history stays linearizable."""
    run = KVRun(2, clients=2)
    old = run.cluster.wait_for_leader()
    run.submit("c1", "put", "x", "a")
    assert run.run_until_idle(2000)
    others = [s for s in run.servers if s != old]
    run.cluster.partition([old, "c1"], others + ["c2"])
    run.submit("c1", "put", "x", "lost?")
    run.run(1000)
    run.submit("c2", "put", "x", "b")
    assert run.run_until_idle(3000, ["c2"])
    run.cluster.heal()
    assert run.run_until_idle(5000)
    assert run.settle(3000)
    retries = [e for e in run.sim.trace.of_kind("deliver")
               if isinstance(e.data["msg"], ClientReply) and e.data["msg"].status == "retry"]
    assert [(e.data["src"], e.data["msg"].seq) for e in retries] == [(old, 2)]
    assert values_of(run, "x") == {"lost?"}  # the retry went through after "b"
    assert run.check_linearizable().ok


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_6_4_1_lease_read_with_a_slow_clock_returns_stale_data(seed):
    run = lease_drift_run(seed, "lease")
    run.cluster.check_invariants()  # Raft's log stays safe: only the read is wrong
    hist = run.history()
    write2 = next(op for op in hist.ops if op.process == "c2" and op.kind == "put")
    read = next(op for op in hist.ops if op.kind == "get")
    assert write2.value == "2" and read.output == "1"
    assert write2.ret < read.call  # the write had returned before the read began
    result = check(hist)
    assert result.verdict == NOT_LINEARIZABLE
    assert [op.kind for op in result.stuck] == ["get"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_6_4_read_index_in_the_same_scenario_stays_linearizable(seed):
    hist = lease_drift_run(seed, "read_index").history()
    read = next(op for op in hist.ops if op.kind == "get")
    assert read.output == "2"
    assert check(hist).verdict == LINEARIZABLE


def test_lease_reads_are_safe_while_clocks_keep_to_the_bound():
    run = lease_drift_run(0, "lease", clock_rate=1.0)
    assert run.check_linearizable().verdict == LINEARIZABLE


def test_server_and_scenario_reject_bad_options():
    with pytest.raises(ValueError, match="read_mode"):
        KVServer(read_mode="fast")
    with pytest.raises(ValueError, match="read_mode"):
        KVServer.factory("fast")
    with pytest.raises(ValueError, match="check_quorum"):
        KVRun(0, read_mode="lease")
    with pytest.raises(ValueError, match="clock_rate"):
        lease_drift_run(0, clock_rate=2.0)
    with pytest.raises(ValueError, match="clients"):
        KVRun(0, clients=0)
    run = KVRun(0, clients=1)
    with pytest.raises(ValueError, match="unknown client"):
        run.submit("c9", "get", "x")
