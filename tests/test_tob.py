"""Total order broadcast with a sequencer, its failure modes, and consensus built on it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ddia10.scenarios.ordering import (
    CRASH_AT,
    CRASH_PLAN,
    SPLIT_PIDS,
    raft_tob_crash_run,
    raft_tob_partition_run,
    sequencer_crash_world,
    split_sequencers_world,
)
from ddia10.tob import (
    SequencerTOB,
    consensus_via_tob,
    decisions,
    deliveries,
    prefix_consistent,
    raft_tob_cluster,
    schedule_broadcasts,
    sequencer_cluster,
)

PIDS = ["A", "B", "C", "D"]


@st.composite
def broadcast_runs(draw):
    sequencer = draw(st.sampled_from(PIDS))
    plan = []
    for i in range(draw(st.integers(1, 15))):
        plan.append((draw(st.floats(0, 30)), draw(st.sampled_from(PIDS)), f"m{i}"))
    sim = sequencer_cluster(
        PIDS, sequencer, seed=draw(st.integers(0, 10_000)), latency=(0.1, 8.0),
        reorder=draw(st.sampled_from([0.0, 0.4])), duplicate=draw(st.sampled_from([0.0, 0.3])),
    )
    schedule_broadcasts(sim, plan)
    return sim, plan


@settings(max_examples=60, deadline=None)
@given(broadcast_runs())
def test_every_process_delivers_the_same_sequence_each_message_once(run):
    sim, plan = run
    sim.run(200)
    logs = deliveries(sim)
    first = logs[PIDS[0]]
    assert all(log == first for log in logs.values())  # total order and agreement
    assert sorted(first) == sorted(p for _, _, p in plan)  # validity and integrity


@settings(max_examples=40, deadline=None)
@given(broadcast_runs(), st.floats(0, 40))
def test_delivery_sequences_are_prefixes_of_one_another_at_every_step(run, stop):
    sim, _ = run
    while sim.step() and sim.now <= stop:
        assert prefix_consistent(deliveries(sim))


def test_sequencer_crash_stops_delivery():
    sim = sequencer_crash_world()
    sim.run(500)
    logs = deliveries(sim)
    before = {p for t, _, p in CRASH_PLAN if t < CRASH_AT}
    assert all(set(logs[p]) == before for p in "ABC")
    assert len({logs[p] for p in "ABC"}) == 1
    # the later broadcasts went to a dead sequencer and nothing more is ever delivered
    drops = [e for e in sim.trace if e.kind == "drop" and e.data["dst"] == "S"]
    assert {e.data["msg"].payload for e in drops} == {p for t, _, p in CRASH_PLAN if t > CRASH_AT}


def test_naive_failover_restores_delivery_but_not_the_lost_broadcasts():
    sim = sequencer_crash_world(failover_ms=30)
    sim.run(500)
    logs = deliveries(sim)
    assert len({logs[p] for p in "ABC"}) == 1
    assert logs["A"][-1] == CRASH_PLAN[-1][2]  # broadcast after the takeover: delivered
    assert "y=4" not in logs["A"] and "x=5" not in logs["A"]  # sent into the crash: lost


def test_naive_failover_under_partition_gives_two_sequencers_and_two_orders():
    sim = split_sequencers_world()
    sim.run(500)
    logs = deliveries(sim)
    assert not prefix_consistent(logs)
    assert logs["A"] == logs["B"] and logs["C"] == logs["D"] and logs["A"] != logs["C"]
    assert len(logs["A"]) == len(logs["C"])  # same positions, different messages
    roles = {}
    for e in sim.trace:
        if e.kind == "state" and "role" in e.data:
            roles[e.pid] = e.data["role"]
    assert sorted(p for p in SPLIT_PIDS if roles[p] == "sequencer") == ["A", "C"]


def test_restarted_sequencer_never_reuses_a_number():
    sim = sequencer_cluster(PIDS, "A", seed=3)
    schedule_broadcasts(sim, [(1, "B", "x=1"), (2, "C", "x=2"), (40, "D", "x=3")])
    sim.at(20, lambda s: s.crash("A"))
    sim.at(30, lambda s: s.restart("A"))
    sim.run(200)
    logs = deliveries(sim)
    assert all(logs[p] == logs["B"] for p in "CD")
    assert set(logs["B"]) == {"x=1", "x=2", "x=3"}
    numbers = [e.data["msg"].number for e in sim.trace if e.kind == "send"
               and e.data["dst"] == "B" and type(e.data["msg"]).__name__ == "Ordered"]
    assert numbers == [1, 2, 3]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(PIDS), st.sampled_from([0.0, 0.5]))
def test_consensus_from_tob_agreement_validity_termination(seed, sequencer, reorder):
    proposals = {p: f"v{p}" for p in PIDS}
    sim = consensus_via_tob(proposals, sequencer, seed=seed, latency=(0.1, 8.0), reorder=reorder)
    sim.run(200)
    decided = decisions(sim)
    assert set(decided) == set(PIDS)  # everyone decides
    assert len(set(decided.values())) == 1  # the same value
    assert next(iter(decided.values())) in proposals.values()  # that someone proposed


def test_consensus_from_tob_never_decides_without_its_sequencer():
    sim = consensus_via_tob({p: p for p in PIDS}, "A", seed=1)
    sim.crash("A")
    sim.run(500)
    assert decisions(sim) == {}


@pytest.mark.parametrize(
    "bad",
    [
        lambda: SequencerTOB(None),
        lambda: SequencerTOB("A", failover_ms=0),
        lambda: sequencer_cluster(PIDS, "Z"),
        lambda: sequencer_cluster(["A", "A"], "A"),
        lambda: sequencer_cluster(PIDS, "A", loss=0.1),
        lambda: schedule_broadcasts(sequencer_cluster(PIDS, "A"), [(1, "Z", "x")]),
        lambda: schedule_broadcasts(sequencer_cluster(PIDS, "A"), [(1, "A")]),
        lambda: consensus_via_tob(["A", "B"], "A"),
        lambda: deliveries("not a trace"),
    ],
)
def test_bad_input_fails_with_a_clear_error(bad):
    with pytest.raises(ValueError):
        bad()


# ---------------------------------------------------------------- on top of consensus (Raft)


def test_raft_tob_keeps_delivering_after_the_leader_crashes():
    cluster = raft_tob_crash_run()
    logs = deliveries(cluster.sim)
    live = [p for p in cluster.ids if cluster.sim.is_up(p)]
    assert len(live) == 4
    assert all(logs[p] == ("x=1", "y=2", "x=3", "y=4") for p in live)
    assert prefix_consistent(logs)


def test_raft_tob_under_partition_keeps_one_order():
    """The partition that split the naive sequencers: Raft's minority side
    cannot commit, so after healing every server delivers one sequence."""
    cluster, old = raft_tob_partition_run()
    logs = deliveries(cluster.sim)
    assert len(set(logs.values())) == 1
    assert logs[old] == ("x=1", "x=3 (new leader)")


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.lists(st.tuples(st.floats(0, 600), st.integers(1, 5)),
                                         max_size=4))
def test_raft_tob_deliveries_stay_prefix_consistent_under_crashes(seed, crashes):
    cluster = raft_tob_cluster(5, seed=seed)
    for i in range(8):
        cluster.sim.at(50.0 * i + 300, lambda s, i=i: cluster.submit(f"m{i}"))
    for t, pid in crashes:
        cluster.sim.at(t, lambda s, p=pid: cluster.crash(p) if s.is_up(p) else cluster.restart(p))
    for _ in range(20):
        cluster.run(60)
        assert prefix_consistent(deliveries(cluster.sim))
