"""Lamport and vector clocks: the chapter's worked traces and the rules they rest on."""

from __future__ import annotations

from itertools import permutations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ddia10.clocks import (
    ClockedProcess,
    LamportClock,
    Step,
    VectorClock,
    clock_events,
    compare,
    concurrent,
    concurrent_pairs,
    count_causal_orders,
    final_clocks,
    happened_before,
    happens_before,
    lamport_order,
    random_schedule,
    run_schedule,
)
from ddia10.scenarios.ordering import WORKED_PIDS, lamport_worked_example, vector_worked_example
from ddia10.sim import Trace


def by_id(sim):
    return {e.event: e for e in clock_events(sim)}


# ---------------------------------------------------------------- the worked traces


def test_lamport_worked_example_final_counters_are_A2_B4_C5():
    sim = lamport_worked_example()
    assert {p: lam for p, (lam, _) in final_clocks(sim).items()} == {"A": 2, "B": 4, "C": 5}


def test_lamport_worked_example_step_by_step():
    events = clock_events(lamport_worked_example())
    assert [(e.event, e.action, e.lamport) for e in events] == [
        ("A1", "local", 1),
        ("A2", "send", 2),
        ("C1", "local", 1),
        ("B1", "receive", 3),
        ("B2", "send", 4),
        ("C2", "receive", 5),
    ]


def test_lamport_worked_example_causal_chain_and_the_lonely_event():
    events = clock_events(lamport_worked_example())
    hb = happens_before(events)
    chain = ["A1", "A2", "B1", "B2", "C2"]
    assert all((a, b) in hb for a, b in zip(chain, chain[1:], strict=False))
    assert ("C1", "C2") in hb  # same process
    for other in ["A1", "A2", "B1", "B2"]:
        assert (other, "C1") not in hb and ("C1", other) not in hb


def test_vector_worked_example_B_is_210_and_C_is_001_and_they_are_concurrent():
    ev = by_id(vector_worked_example())
    b, c = ev["B1"].vector, ev["C1"].vector
    assert b.as_list(WORKED_PIDS) == [2, 1, 0]
    assert c.as_list(WORKED_PIDS) == [0, 0, 1]
    assert concurrent(b, c) and compare(b, c) == "concurrent"
    assert not happened_before(b, c) and not happened_before(c, b)


def test_lamport_cannot_see_the_concurrency_the_vectors_see():
    """The converse of the clock condition fails: L(C1) < L(B1), yet C1 did not
    happen before B1. The Lamport order puts C1 first; the vectors say: no order."""
    events = clock_events(vector_worked_example())
    ev = {e.event: e for e in events}
    assert (ev["C1"].lamport, ev["B1"].lamport) == (1, 3)
    assert ("C1", "B1") not in happens_before(events)
    assert concurrent(ev["B1"].vector, ev["C1"].vector)


def test_a_pair_of_vectors_from_the_text_is_concurrent():
    a = VectorClock.of(WORKED_PIDS, [2, 1, 0])
    b = VectorClock.of(WORKED_PIDS, [1, 3, 0])
    assert compare(a, b) == "concurrent"


# ---------------------------------------------------------------- the rules


def test_lamport_receive_rule_is_max_of_local_and_received_plus_one():
    assert LamportClock(7).receive(3) == LamportClock(8)
    assert LamportClock(2).receive(9) == LamportClock(10)
    assert LamportClock(4).receive(LamportClock(4)) == LamportClock(5)
    assert LamportClock().tick().tick() == LamportClock(2)


def test_vector_receive_merges_then_counts_the_receive():
    a = VectorClock().tick("A").tick("A")
    b = VectorClock().receive("B", a)
    assert b.as_list(WORKED_PIDS) == [2, 1, 0]
    assert a.merge(VectorClock({"C": 4})) == VectorClock({"A": 2, "C": 4})


def test_vector_order_is_partial():
    x = VectorClock({"A": 1})
    y = VectorClock({"A": 1, "B": 1})
    z = VectorClock({"B": 2})
    assert x < y and x <= y and y > x and compare(x, y) == "before" and compare(y, x) == "after"
    assert not (x < x) and x <= x and compare(x, x) == "equal"
    assert not (x <= z) and not (z <= x) and concurrent(x, z)
    assert VectorClock({"A": 0, "B": 2}) == z  # absent and zero are the same


@pytest.mark.parametrize(
    "bad",
    [
        lambda: LamportClock(-1),
        lambda: LamportClock(1).receive("3"),
        lambda: VectorClock({"A": -1}),
        lambda: VectorClock({"A": 1.5}),
        lambda: VectorClock({None: 1}),
        lambda: VectorClock(5),
        lambda: VectorClock.of(["A", "B"], [1]),
        lambda: VectorClock({"D": 1}).as_list(WORKED_PIDS),
        lambda: concurrent(VectorClock(), [0, 0, 0]),
        lambda: Step(-1, "A"),
        lambda: Step(1, "A", "A"),
        lambda: run_schedule(["A", "B"], [Step(1, "A", "Z")]),
        lambda: run_schedule(["A", "A"], []),
        lambda: run_schedule(["A"], ["not a step"]),
        lambda: random_schedule(0, ["A"], 3),
    ],
)
def test_bad_input_fails_with_a_clear_error(bad):
    with pytest.raises(ValueError):
        bad()


def test_clocks_survive_a_crash_and_restart():
    """A clock that restarted from zero would stamp later events lower than
    earlier ones; the process persists its clocks so that cannot happen."""
    sim = run_schedule(["A", "B"], [Step(1, "A", "B"), Step(2, "B"), Step(3, "B", "A")])
    before = by_id(sim)["B2"]
    sim.crash("B")
    sim.restart("B")
    sim.call("B", ClockedProcess.local_event, "after restart")
    after = by_id(sim)["B4"]
    assert after.lamport > before.lamport and before.vector < after.vector


def test_the_lonely_event_can_go_anywhere_before_its_receive():
    events = clock_events(lamport_worked_example())
    assert concurrent_pairs(events) == [("A1", "C1"), ("A2", "C1"), ("C1", "B1"), ("C1", "B2")]
    assert count_causal_orders(events) == 5  # C1 fits into any of 5 gaps of the chain


@pytest.mark.parametrize("pids", [WORKED_PIDS, (0, 1, 2)])
def test_same_seed_same_trace_and_json_round_trip(pids):
    steps = random_schedule(3, pids, 20)
    one = run_schedule(pids, steps, latency=(0.5, 4), seed=9)
    two = run_schedule(pids, steps, latency=(0.5, 4), seed=9)
    assert one.trace.to_json() == two.trace.to_json()
    loaded = clock_events(Trace.from_json(one.trace.to_json()))
    assert [(e.event, e.lamport, e.vector) for e in loaded] == [
        (e.event, e.lamport, e.vector) for e in clock_events(one)
    ]


# ---------------------------------------------------------------- properties on random runs

PIDS = ["A", "B", "C", "D"]


@st.composite
def schedules(draw):
    n = draw(st.integers(2, 4))
    pids = PIDS[:n]
    t = 0.0
    steps = []
    for i in range(draw(st.integers(1, 25))):
        t += draw(st.sampled_from([0.0, 0.5, 1.0, 3.0]))
        src = draw(st.sampled_from(pids))
        dst = draw(st.sampled_from([None] + [p for p in pids if p != src]))
        steps.append(Step(t, src, dst, f"s{i}"))
    seed = draw(st.integers(0, 10_000))
    reorder = draw(st.sampled_from([0.0, 0.3]))
    return run_schedule(pids, steps, latency=(0.2, 5.0), seed=seed, reorder=reorder)


@settings(max_examples=60, deadline=None)
@given(schedules())
def test_happens_before_iff_vector_clock_strictly_less(sim):
    events = clock_events(sim)
    hb = happens_before(events)
    for a in events:
        for b in events:
            assert ((a.event, b.event) in hb) == (a.vector < b.vector), (a.event, b.event)


@settings(max_examples=60, deadline=None)
@given(schedules())
def test_clock_condition_happens_before_implies_smaller_lamport_time(sim):
    events = clock_events(sim)
    ev = {e.event: e for e in events}
    for a, b in happens_before(events):
        assert ev[a].lamport < ev[b].lamport


@settings(max_examples=40, deadline=None)
@given(schedules())
def test_lamport_total_order_extends_happens_before(sim):
    events = clock_events(sim)
    position = {e.event: i for i, e in enumerate(lamport_order(events))}
    assert len({(e.lamport, e.pid) for e in events}) == len(events)  # (L, pid) is unique
    for a, b in happens_before(events):
        assert position[a] < position[b]


@settings(max_examples=40, deadline=None)
@given(schedules())
def test_causal_orders_counted_match_brute_force(sim):
    events = clock_events(sim)[:7]
    hb = happens_before(events)
    ids = [e.event for e in events]
    brute = sum(
        all((b, a) not in hb for i, a in enumerate(order) for b in order[i + 1:])
        for order in permutations(ids)
    )
    assert count_causal_orders(events) == brute
    assert (brute == 1) == (not concurrent_pairs(events))
