"""The key-value state machine, its client sessions, and the client process.

The client is exercised against a one-process stand-in server, so these rules
hold whatever consensus sits behind the store.
"""

import pytest

from ddia10.linearizability import HistoryError, check, history_from_trace
from ddia10.raft.client import KVClient, Workload
from ddia10.raft.kv import ClientReply, ClientRequest, KVCommand, KVStateMachine
from ddia10.sim import Process, Simulation


def cmd(client, seq, op, key, value=None):
    return KVCommand(client, seq, op, key, value)


# ---------------------------------------------------------------------- state machine
def test_operations_follow_their_sequential_meaning():
    sm = KVStateMachine()
    assert sm.apply(cmd("a", 1, "get", "x")) == ""
    assert sm.apply(cmd("a", 2, "put", "x", "1")) is None
    assert sm.apply(cmd("a", 3, "append", "x", "2")) is None
    assert sm.apply(cmd("a", 4, "cas", "x", ("0", "9"))) is False
    assert sm.apply(cmd("a", 5, "cas", "x", ("12", "9"))) is True
    assert sm.apply(cmd("a", 6, "get", "x")) == "9"


def test_6_3_session_table_applies_a_repeated_command_once():
    sm = KVStateMachine()
    sm.apply(cmd("a", 1, "append", "x", "A"))
    sm.apply(cmd("a", 1, "append", "x", "A"))  # a retry that reached the log twice
    sm.apply(cmd("b", 1, "append", "x", "B"))
    sm.apply(cmd("a", 1, "append", "x", "A"))  # a duplicate delayed past another client
    assert sm.read("x") == "AB"


def test_6_3_a_repeat_gets_the_result_of_the_first_application():
    sm = KVStateMachine()
    sm.apply(cmd("a", 1, "put", "x", "old"))
    first = sm.apply(cmd("b", 1, "cas", "x", ("old", "new")))
    again = sm.apply(cmd("b", 1, "cas", "x", ("old", "new")))  # would fail if re-executed
    assert first is True and again is True
    assert sm.cached("b", 1) == (True, True)
    assert sm.cached("b", 2) == (False, None)


def test_a_command_older_than_the_session_is_not_applied():
    sm = KVStateMachine()
    sm.apply(cmd("a", 1, "append", "x", "1"))
    sm.apply(cmd("a", 2, "append", "x", "2"))
    assert sm.apply(cmd("a", 1, "append", "x", "1")) is None
    assert sm.read("x") == "12"


def test_snapshot_restores_data_and_sessions():
    sm = KVStateMachine()
    sm.apply(cmd("a", 1, "append", "x", "1"))
    snap = sm.snapshot()
    sm.apply(cmd("a", 2, "append", "x", "2"))  # must not leak into the snapshot
    other = KVStateMachine()
    other.restore(snap)
    assert other.read("x") == "1"
    other.apply(cmd("a", 1, "append", "x", "1"))  # still recognised as a repeat
    assert other.read("x") == "1"


def test_state_machine_rejects_what_it_cannot_apply():
    with pytest.raises(ValueError, match="KVCommand"):
        KVStateMachine().apply(("put", "x", "1"))
    with pytest.raises(ValueError, match="unknown operation"):
        cmd("a", 1, "delete", "x")
    with pytest.raises(ValueError, match="cas needs"):
        cmd("a", 1, "cas", "x", "1")
    with pytest.raises(ValueError, match="sequence number must be an int >= 1"):
        ClientRequest("a", 0, "get", "x")
    with pytest.raises(ValueError, match="status"):
        ClientReply("a", 1, "maybe")
    with pytest.raises(ValueError, match="snapshot"):
        KVStateMachine().restore({"data": {}})


# ---------------------------------------------------------------------- the client
class StandIn(Process):
    """A single-copy store: answers from a state machine, or redirects to ``leader``."""

    def __init__(self, leader=None, silent=False):
        self.leader = leader
        self.silent = silent
        self.sm = KVStateMachine()
        self.requests = 0

    def on_message(self, ctx, src, msg):
        if not isinstance(msg, ClientRequest):
            return
        self.requests += 1
        if self.silent:
            return
        if self.leader is not None:
            ctx.send(src, ClientReply(msg.client, msg.seq, "not_leader", leader=self.leader))
            return
        result = self.sm.apply(KVCommand.of(msg))
        ctx.send(src, ClientReply(msg.client, msg.seq, "ok", result))


def client_world(seed=1, **sim_options):
    sim = Simulation(seed, latency=(1, 3), **sim_options)
    sim.add(1, lambda: StandIn(leader=2))
    sim.add(2, StandIn)
    sim.add(3, lambda: StandIn(silent=True))
    sim.add("c", lambda: KVClient([1, 2, 3], timeout=30))
    return sim


def test_client_follows_redirects_and_retries_until_answered():
    sim = client_world()
    for i in range(6):
        sim.call("c", lambda c, ctx, i=i: c.submit(ctx, "append", "x", str(i)))
    sim.run(2000)
    client = sim.process("c")
    assert client.idle and client.completed == 6
    assert sim.process(2).sm.read("x") == "012345"
    assert client.leader_hint == 2


def test_client_retry_over_a_duplicating_network_applies_once():
    sim = client_world(seed=3, duplicate=0.5)
    sim.set_link("c", 2, loss=0.5)
    for i in range(10):
        sim.call("c", lambda c, ctx, i=i: c.submit(ctx, "append", "x", str(i)))
    sim.run(5000)
    assert sim.process("c").completed == 10
    assert sim.process(2).sm.read("x") == "0123456789"
    assert sim.process(2).requests > 10  # the client did resend


def test_client_history_is_timed_by_true_time_and_linearizable():
    sim = client_world(seed=5)
    sim.set_clock("c", rate=3.0)  # a fast client clock must not bend the history
    sim.call("c", lambda c, ctx: c.submit(ctx, "put", "x", "a"))
    sim.call("c", lambda c, ctx: c.submit(ctx, "get", "x"))
    sim.run(1000)
    sim.call("c", lambda c, ctx: c.submit(ctx, "append", "x", "b"))
    hist = history_from_trace(sim.trace, model="kv")
    invokes = sim.trace.of_kind("invoke")
    returns = sim.trace.of_kind("return")
    assert [op.call for op in hist.ops] == [e.time for e in invokes]
    assert [op.ret for op in hist.ops[:2]] == [e.time for e in returns]
    assert hist.ops[1].output == "a"
    assert hist.ops[2].ret is None and hist.ops[2].status == "pending"
    assert check(hist).ok


def test_history_cut_early_turns_later_returns_into_pending_operations():
    sim = client_world(seed=6)
    sim.call("c", lambda c, ctx: c.submit(ctx, "put", "x", "a"))
    sim.run(1000)
    (returned,) = sim.trace.of_kind("return")
    cut = history_from_trace(sim.trace, model="kv", until=returned.time - 0.001)
    assert cut.ops[0].ret is None and cut.ops[0].status == "pending"
    assert history_from_trace(sim.trace, model="kv", until=returned.time).ops[0].status == "ok"
    assert history_from_trace(sim.trace, model="kv", clients=["someone else"]).ops == ()


def test_workload_client_runs_until_stopped():
    sim = Simulation(2, latency=1)
    sim.add(1, StandIn)
    sim.add("c", lambda: KVClient([1], workload=Workload(keys=("k",), think=(5, 5))))
    sim.run(200)
    sim.call("c", lambda c, ctx: c.stop(ctx))
    sim.run(100)
    done = sim.process("c").completed
    sim.run(500)
    assert done > 10 and sim.process("c").completed == done
    hist = history_from_trace(sim.trace, model="kv")
    assert {op.kind for op in hist.ops} == {"get", "put", "append"}
    assert check(hist).ok


def test_client_and_workload_reject_bad_input():
    with pytest.raises(ValueError, match="at least one server"):
        KVClient([])
    with pytest.raises(ValueError, match="timeout"):
        KVClient([1], timeout=0)
    with pytest.raises(ValueError, match="get, put or append"):
        Workload(mix=(("cas", 1.0),))
    sim = client_world()
    with pytest.raises(ValueError, match="string value"):
        sim.call("c", lambda c, ctx: c.submit(ctx, "put", "x", 3))
    with pytest.raises(HistoryError, match="Trace"):
        history_from_trace([], model="kv")


def test_a_logged_command_reads_as_client_seq_op_key_value():
    from ddia10.raft.messages import short

    assert short(KVCommand("c1", 3, "put", "x", "a")) == "c1#3 put x='a'"
    assert short(KVCommand("c2", 7, "get", "y")) == "c2#7 get y"
