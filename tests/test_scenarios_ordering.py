"""Chapter 2's scenarios: the clock table and labels, the players, the runs the chapter
reads values off."""

from __future__ import annotations

import pytest

from ddia10.clocks import clock_events, final_clocks, happens_before
from ddia10.scenarios.ordering import (
    PROPOSALS,
    SEQUENCER_PLAN,
    WORKED_PIDS,
    clock_label,
    clock_table,
    consensus_run,
    delivery_label,
    lamport_scenario,
    lamport_worked_example,
    ordered_broadcasts,
    random_clock_run,
    sequencer_crash_scenario,
    sequencer_crash_world,
    split_sequencers_scenario,
    stalled_consensus,
    vector_scenario,
)
from ddia10.tob import decisions, deliveries
from ddia10.viz import cluster_view


def test_clock_table_lists_every_event_with_its_clocks():
    table = clock_table(lamport_worked_example(), WORKED_PIDS)
    assert list(table["event"]) == ["A1", "A2", "C1", "B1", "B2", "C2"]
    assert list(table["vector"]) == [
        "[1,0,0]", "[2,0,0]", "[0,0,1]", "[2,1,0]", "[2,2,0]", "[2,2,2]",
    ]
    # ties on the counter (A1 and C1 both 1) are broken by process id
    assert list(table.sort_values("total order")["event"]) == ["A1", "C1", "A2", "B1", "B2", "C2"]


def test_space_time_labels_carry_each_events_clocks():
    from ddia10.viz.spacetime import diagram

    sim = lamport_worked_example()
    shapes = diagram(sim.trace, annotate=clock_label(WORKED_PIDS, "both")).shapes
    labels = [s.text for s in shapes if s.kind == "label"]
    assert labels == [
        "A1: 1 [1,0,0]", "A2: 2 [2,0,0]", "C1: 1 [0,0,1]",
        "B1: 3 [2,1,0]", "B2: 4 [2,2,0]", "C2: 5 [2,2,2]",
    ]
    with pytest.raises(ValueError):
        clock_label(WORKED_PIDS, "wall clock")


def test_delivery_labels_name_position_and_payload():
    sim = sequencer_crash_world()
    sim.run(100)
    labels = [delivery_label(e) for e in sim.trace if e.pid == "A"]
    assert [x for x in labels if x] == [f"#{i + 1} {p}" for i, p in enumerate(deliveries(sim)["A"])]


def test_lamport_player_ends_on_the_worked_trace_and_its_buttons_add_events():
    scenario = lamport_scenario()
    run = scenario.run(steps=100)
    table = scenario.state_table(cluster_view(run.sim.trace)).set_index("process")
    assert table["Lamport"].to_dict() == {"A": 2, "B": 4, "C": 5}
    assert table["vector ABC"].to_dict() == {"A": "[2,0,0]", "B": "[2,2,0]", "C": "[2,2,2]"}
    pressed = scenario.run(presses=[(6, "C → A")], steps=100)
    assert max(final_clocks(pressed.sim)["A"][1].as_list(WORKED_PIDS)) == 3  # A saw C's send


def test_vector_player_shows_the_concurrent_pair():
    scenario = vector_scenario()
    run = scenario.run(steps=100)
    table = scenario.state_table(cluster_view(run.sim.trace)).set_index("process")
    assert (table.loc["B", "vector ABC"], table.loc["C", "vector ABC"]) == ("[2,1,0]", "[0,0,1]")


def test_sequencer_players_tell_their_stories():
    crash = sequencer_crash_scenario()
    run = crash.run(presses=[(13, "Restart S"), (13, "A broadcasts")], steps=40)
    view = cluster_view(run.sim.trace)
    assert view.processes["S"].status == "up"
    assert len({deliveries(run.sim)[p] for p in "ABCS"}) == 1  # S kept its log and numbering
    assert len(deliveries(run.sim)["A"]) == 4  # the broadcast made after the restart
    split = split_sequencers_scenario()
    table = split.state_table(cluster_view(split.run(steps=25).sim.trace)).set_index("process")
    assert table["follows"].to_dict() == {"A": "A", "B": "A", "C": "C", "D": "C"}


def test_the_broadcasts_are_delivered_in_one_order_that_is_not_the_order_sent():
    logs = deliveries(ordered_broadcasts())
    assert len(set(logs.values())) == 1
    assert logs["A"] != tuple(payload for _, _, payload in SEQUENCER_PLAN)


def test_consensus_runs_agree_on_a_proposed_value_and_stall_without_a_sequencer():
    decided = decisions(consensus_run(0))
    assert set(decided) == set(PROPOSALS) and len(set(decided.values())) == 1
    assert set(decided.values()) <= set(PROPOSALS.values())
    assert decisions(stalled_consensus()) == {}


def test_the_random_clock_run_has_concurrent_and_ordered_events():
    events = clock_events(random_clock_run())
    assert len(events) > 30 and happens_before(events)
    assert random_clock_run().trace.to_json() == random_clock_run().trace.to_json()
    with pytest.raises(ValueError):
        random_clock_run(pids=["A"])


def test_the_lamport_players_first_step_changes_the_picture():
    from ddia10.viz.cluster import cluster_svg

    run = lamport_scenario().run(steps=1)
    pictures = [cluster_svg(cluster_view(run.sim.trace, mark)) for mark in run.marks]
    assert pictures[0] != pictures[1] and "lamport 1" in pictures[1]
