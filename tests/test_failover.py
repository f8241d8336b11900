"""Failover on a timeout vs failover with majorities (chapter 0).

The same fault schedule, run under both protocols: the leader A is cut off
from B and C while its own clients keep writing to it, then the network heals.
Naive failover must show split-brain (that is the lesson); quorum failover
must keep its three promises under that schedule and under random ones.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ddia10 import failover as fo
from ddia10.invariants import InvariantViolation
from ddia10.rsm import Add, Set, replay
from ddia10.scenarios import the_problem as ch0
from ddia10.sim import Simulation

MAJORITY_SIDE = ["B", "C"]


def partition_the_leader(protocol: str, seed: int = 0) -> tuple[Simulation, fo.FailoverMonitor]:
    """The chapter's worked example (A cut off at 100 ms, healed at 400 ms) and its monitor."""
    sim = ch0.leader_cut_off(protocol, seed=seed)
    return sim, fo.FailoverMonitor(sim)


def returns(sim: Simulation) -> dict[str, dict]:
    return {e.data["call"]: e.data for e in sim.trace.of_kind("return")}


def acknowledged(sim: Simulation) -> dict[str, dict]:
    return {c: r for c, r in returns(sim).items() if r["status"] == "ok"}


# ---------------------------------------------------------------- naive failover
def test_naive_partitioned_leader_gives_two_leaders_with_divergent_acknowledged_writes():
    sim, monitor = partition_the_leader("naive")
    monitor.run(300)
    assert fo.current_leaders(sim) == {"A": 1, "B": 2}
    ok = {r["op"]: r["node"] for r in acknowledged(sim).values()}
    assert ok == {"x=1": "A", "x=2": "A", "x=3": "B"}
    assert fo.states(sim) == {"A": {"x": 2}, "B": {"x": 3}, "C": {"x": 3}}
    calls = ch0.client_calls(sim)
    assert list(calls["status"]) == ["ok", "ok", "ok"]


def test_naive_heal_throws_away_a_write_the_old_leader_acknowledged():
    sim, monitor = partition_the_leader("naive")
    monitor.run(600)
    assert fo.current_leaders(sim) == {"B": 2}
    assert fo.states(sim) == {"A": {"x": 3}, "B": {"x": 3}, "C": {"x": 3}}
    x2 = next(c for c, r in acknowledged(sim).items() if r["op"] == "x=2")
    assert all(x2 not in {e.request for e in sim.process(p).replica.log} for p in sim.pids)
    notes = [e.data for e in sim.trace.of_kind("note") if e.pid == "A" and e.data.get("undone")]
    assert notes and notes[0]["undone"] == [x2]


def test_naive_breaks_every_promise_the_monitor_checks():
    sim, monitor = partition_the_leader("naive")
    monitor.run(600)
    assert all(isinstance(v, InvariantViolation) for v in monitor.violations)
    assert {v.invariant for v in monitor.violations} == {fo.NO_MINORITY_ACKNOWLEDGEMENT,
                                                         fo.NO_LOST_WRITE}
    text = "\n".join(map(str, monitor.violations))
    assert "acknowledged x=2 (A.2) stored on 1 of 3 nodes" in text
    assert "x=2 (A.2), acknowledged in term 1, is missing from B, leader of term 2" in text


def test_naive_two_leaders_can_share_a_term_and_the_lower_id_keeps_it():
    # B and C are cut off from A and from each other: both promote to term 2.
    sim = fo.build_cluster("naive", seed=3)
    sim.at(50, lambda s: s.partition(["A"], ["B"], ["C"]))
    monitor = fo.FailoverMonitor(sim)
    monitor.run(300)
    assert fo.current_leaders(sim) == {"A": 1, "B": 2, "C": 2}
    assert [(v.invariant, v.evidence) for v in monitor.violations][:1] == [
        (fo.ONE_LEADER_PER_TERM, "term 2 has two leaders: B and C")]
    sim.heal()
    monitor.run(200)
    assert fo.current_leaders(sim) == {"B": 2}


# ---------------------------------------------------------------- quorum failover
def test_quorum_minority_leader_refuses_to_acknowledge():
    sim, monitor = partition_the_leader("quorum")
    monitor.run(300)
    x2 = next(r for r in returns(sim).values() if r["op"] == "x=2")
    assert x2["node"] == "A" and x2["status"] == "info"
    assert "no majority" in x2["error"]
    calls = ch0.client_calls(sim).set_index("write")
    assert calls.loc["x=2", "status"] == "info" and calls.loc["x=3", "status"] == "ok"
    assert fo.states(sim)["A"] == {"x": 1}  # never applied on the minority side


def test_quorum_majority_side_elects_a_new_leader_in_a_higher_term_and_continues():
    sim, monitor = partition_the_leader("quorum")
    monitor.run(300)
    new = fo.leader(sim, MAJORITY_SIDE)
    assert new in MAJORITY_SIDE and fo.current_leaders(sim)[new] == 2
    x3 = next(r for r in returns(sim).values() if r["op"] == "x=3")
    assert x3["status"] == "ok" and x3["node"] == new and x3["term"] == 2


def test_quorum_old_leader_steps_down_on_the_higher_term_and_no_acknowledged_write_is_lost():
    sim, monitor = partition_the_leader("quorum")
    assert monitor.run(600) == []
    assert list(fo.current_leaders(sim).values()) == [2]
    assert sim.process("A").role == fo.FOLLOWER and sim.process("A").term == 2
    assert fo.states(sim) == {"A": {"x": 3}, "B": {"x": 3}, "C": {"x": 3}}
    for call in acknowledged(sim):
        assert all(call in {e.request for e in sim.process(p).replica.log} for p in sim.pids)


def ask_vote(sim: Simulation, voter: str, candidate: str, term: int) -> None:
    sim.call(voter, lambda node, ctx: node.on_vote_request(ctx, candidate, fo.VoteRequest(term)))


def votes_sent(sim: Simulation, voter: str) -> list[tuple[str, bool]]:
    return [(e.data["dst"], e.data["msg"].granted) for e in sim.trace.of_kind("send")
            if e.pid == voter and isinstance(e.data["msg"], fo.Vote)]


def test_quorum_a_node_votes_once_per_term_for_one_candidate():
    sim = fo.build_cluster("quorum", seed=0)
    ask_vote(sim, "C", "B", 2)
    ask_vote(sim, "C", "A", 2)  # a second candidate in the same term: refused
    ask_vote(sim, "C", "B", 2)  # the same candidate asking again (a lost reply): granted again
    ask_vote(sim, "C", "A", 3)  # a new term: a new vote
    assert votes_sent(sim, "C") == [("B", True), ("A", False), ("B", True), ("A", True)]
    assert sim.storage("C")["voted_for"] == "A" and sim.storage("C")["term"] == 3


def test_quorum_vote_survives_a_crash():
    sim = fo.build_cluster("quorum", seed=0)
    ask_vote(sim, "C", "B", 2)
    sim.crash("C")
    sim.restart("C")
    ask_vote(sim, "C", "A", 2)
    assert votes_sent(sim, "C") == [("B", True), ("A", False)]


def _random_schedule(draw_ops, nodes):
    """Turn drawn (time, action, node, split) tuples into a fault-and-client schedule."""

    def apply(sim: Simulation, action: str, node: str, split: int) -> None:
        if action == "write-leader":
            target = fo.leader(sim) or node
            fo.submit(sim, target, Add("n", 1), client="c-leader")
        elif action == "write-any":
            fo.write(sim, node, "x", f"{node}{sim.now:.0f}", client="c-any")
        elif action == "partition":
            side = [p for i, p in enumerate(nodes) if split >> i & 1]
            if 0 < len(side) < len(nodes):
                sim.partition(side, [p for p in nodes if p not in side])
        elif action == "heal":
            sim.heal()
        elif action == "crash" and sim.is_up(node):
            sim.crash(node)
        elif action == "restart" and not sim.is_up(node):
            sim.restart(node)

    def schedule(sim: Simulation) -> None:
        for time, action, node, split in draw_ops:
            sim.at(time, lambda s, a=action, n=node, k=split: apply(s, a, n, k), label=action)

    return schedule


ACTIONS = ["write-leader"] * 3 + ["write-any", "partition", "heal", "crash", "restart"]


TIMINGS = [
    None,  # the default: lower ids suspect first, a little jitter
    fo.Timing(stagger=0, jitter=20),  # everyone suspects at about the same time: split votes
    fo.Timing(heartbeat=5, failure_timeout=12, stagger=0, jitter=6, write_timeout=30),  # jumpy
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    size=st.sampled_from([3, 5]),
    lossy=st.booleans(),
    timing=st.sampled_from(TIMINGS),
    ops=st.lists(
        st.tuples(st.floats(0, 1200), st.sampled_from(ACTIONS), st.integers(0, 4),
                  st.integers(0, 31)),
        max_size=40,
    ),
)
def test_quorum_keeps_its_promises_under_random_partitions_crashes_and_lossy_links(
    seed, size, lossy, timing, ops
):
    nodes = list("ABCDE"[:size])
    ops = [(t, a, nodes[n % size], k) for t, a, n, k in ops]
    net = {"loss": 0.05, "duplicate": 0.05, "reorder": 0.1} if lossy else {}
    sim = fo.build_cluster("quorum", seed=seed, nodes=nodes, timing=timing, **net)
    _random_schedule(ops, nodes)(sim)
    monitor = fo.FailoverMonitor(sim)
    assert monitor.run(1300) == []
    # Then everything heals and comes back, links included (on a lossy link a jumpy
    # failure detector keeps re-electing, which is safe but never settles):
    # the cluster converges, nothing acknowledged is lost.
    sim.heal()
    for a in nodes:
        for b in nodes:
            if a < b:
                sim.set_link(a, b, loss=0.0, duplicate=0.0, reorder=0.0)
    for p in sim.pids:
        if not sim.is_up(p):
            sim.restart(p)
    assert monitor.run(1500) == []
    ok_terms: dict[int, set] = {}
    for r in acknowledged(sim).values():
        ok_terms.setdefault(r["term"], set()).add(r["node"])
    assert all(len(nodes_) == 1 for nodes_ in ok_terms.values())
    assert len(fo.current_leaders(sim)) == 1
    logs = {tuple(sim.process(p).replica.log) for p in sim.pids}
    assert len(logs) == 1
    (log,) = logs
    held = {e.request for e in log}
    assert set(acknowledged(sim)) <= held
    assert all(st_ == replay(e.command for e in log) for st_ in fo.states(sim).values())


def test_quorum_stays_safe_while_the_network_is_slower_than_its_timeouts_and_recovers_after():
    """Partial synchrony: while delays exceed the failure timeout, elections repeat and
    nothing is acknowledged, yet nothing breaks; once delays are bounded again, it works."""
    sim = ch0.slow_network(seed=2, slow_from=200, slow_until=1500, horizon=2100)
    monitor = fo.FailoverMonitor(sim)
    assert monitor.run(2100) == []
    table = ch0.progress_table(sim, window=300)
    slow = table.loc[300:1200]
    assert (slow["acknowledged"] == 0).all()
    assert table.loc[1200, "highest term"] - table.loc[0, "highest term"] >= 5
    assert table.loc[1800, "acknowledged"] > 0


# ---------------------------------------------------------------- determinism and validation
@pytest.mark.parametrize("protocol", ["naive", "quorum"])
def test_same_seed_same_trace(protocol):
    traces = []
    for _ in range(2):
        sim, monitor = partition_the_leader(protocol, seed=7)
        monitor.run(600)
        traces.append(sim.trace.to_json())
    assert traces[0] == traces[1]


def test_protocols_annotate_role_term_and_data_for_the_players():
    sim, monitor = partition_the_leader("quorum")
    monitor.run(600)
    last = {}
    for e in sim.trace.of_kind("state"):
        last[e.pid] = e.data
    assert set(last) == {"A", "B", "C"}
    for data in last.values():
        assert {"role", "term", "leader", "log", "commit", "data"} <= set(data)
        assert data["data"] == {"x": 3}


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"protocol": "raft"}, "protocol must be one of"),
        ({"nodes": []}, "cluster size must be >= 1, got 0"),
        ({"nodes": "ABC"}, "nodes must be a list of ids"),
        ({"nodes": ["A", "A"]}, "node ids must be distinct"),
        ({"nodes": ["A", 1]}, "all str or all int"),
        ({"timing": "fast"}, "timing must be a Timing"),
    ],
)
def test_build_cluster_rejects_bad_input_with_a_clear_message(kwargs, message):
    kwargs = {"protocol": "quorum", **kwargs}
    with pytest.raises(ValueError, match=message):
        fo.build_cluster(kwargs.pop("protocol"), **kwargs)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"heartbeat": 0}, "heartbeat must be a finite number > 0 ms"),
        ({"failure_timeout": 5}, "must exceed the heartbeat interval"),
        ({"stagger": -1}, "stagger must be a finite number >= 0"),
        ({"write_timeout": float("nan")}, "write_timeout must be a finite number"),
    ],
)
def test_timing_rejects_bad_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        fo.Timing(**kwargs)


def test_clients_get_clear_errors_and_notes():
    sim = fo.build_cluster("quorum")
    with pytest.raises(ValueError, match="a client submits a Set, Add or Delete"):
        fo.submit(sim, "A", "x=1")
    with pytest.raises(ValueError, match="a key must be a non-empty str"):
        fo.write(sim, "A", "", 1)
    with pytest.raises(KeyError, match="unknown process id 'Z'"):
        fo.write(sim, "Z", "x", 1)
    sim.crash("A")
    assert fo.write(sim, "A", "x", 1) is None
    assert sim.trace[-1].data["text"] == "client: A does not answer (down)"
    call = fo.submit(sim, "B", Set("x", 1))
    refused = returns(sim)[call]
    assert refused["status"] == "fail" and "B is not the leader" in refused["error"]


def test_failover_monitor_needs_a_traced_simulation():
    with pytest.raises(ValueError, match="the sim a FailoverMonitor watches must be a Simulation"):
        fo.FailoverMonitor("sim")
    with pytest.raises(ValueError, match="trace=True"):
        fo.FailoverMonitor(fo.build_cluster("quorum", trace=False))
