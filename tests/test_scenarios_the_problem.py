"""Chapter 0's scenarios: the players tell the story the chapter says they tell, and
the runs and tables show what the chapter reads off them."""

from __future__ import annotations

import itertools

import pytest

from ddia10 import failover as fo
from ddia10.scenarios import the_problem as ch0
from ddia10.viz import Player, Scenario, cluster_view, static_player

SCENARIOS = {"naive": ch0.naive_split_brain, "quorum": ch0.quorum_split_brain}


def story(protocol: str):
    """Play :data:`STORY` step by step; return the run and the roles seen after each step."""
    run = SCENARIOS[protocol]().run(ch0.STORY, steps=0)
    monitor = fo.FailoverMonitor(run.sim)
    leaders_seen = []
    while run.k < ch0.STORY_STEPS and run.step():
        monitor.check()
        view = cluster_view(run.sim.trace)
        leaders_seen.append({
            str(p): v.annotations["term"] for p, v in view.processes.items() if v.role == "leader"
        })
    return run, monitor, leaders_seen


def returns(run) -> dict[str, dict]:
    return {e.data["op"]: e.data for e in run.sim.trace.of_kind("return")}


def test_the_two_scenarios_offer_the_same_buttons():
    naive, quorum = ch0.naive_split_brain(), ch0.quorum_split_brain()
    assert isinstance(naive, Scenario) and isinstance(quorum, Scenario)
    assert list(naive.buttons) == list(quorum.buttons)
    assert {name for _, name in ch0.STORY} <= set(naive.buttons)


def test_naive_story_shows_two_leaders_and_a_lost_acknowledged_write():
    run, monitor, leaders_seen = story("naive")
    assert {"A": 1, "B": 2} in leaders_seen
    ops = returns(run)
    assert [ops[x]["status"] for x in ("x=1", "x=2", "x=3")] == ["ok", "ok", "ok"]
    assert (ops["x=2"]["node"], ops["x=3"]["node"]) == ("A", "B")
    final = cluster_view(run.sim.trace).processes
    assert all(p.annotations["data"] == {"x": 3} for p in final.values())
    assert any("missing from B" in v.evidence for v in monitor.violations)


def test_quorum_story_refuses_the_cut_off_write_and_loses_nothing():
    run, monitor, leaders_seen = story("quorum")
    assert monitor.violations == []
    ops = returns(run)
    assert ops["x=1"]["status"] == "ok" and ops["x=3"]["status"] == "ok"
    assert ops["x=2"]["status"] == "info" and ops["x=2"]["node"] == "A"
    for seen in leaders_seen:  # never two leaders of one term
        assert len(set(seen.values())) == len(seen)
    final = cluster_view(run.sim.trace).processes
    assert [p.annotations["role"] for p in final.values()].count("leader") == 1
    assert all(p.annotations["data"] == {"x": 3} for p in final.values())


@pytest.mark.parametrize("protocol", ["naive", "quorum"])
def test_every_button_works_in_every_order_without_raising(protocol):
    scenario = SCENARIOS[protocol]()
    for first, second in itertools.permutations(scenario.buttons, 2):
        run = scenario.run([(0, first), (0, second), (3, first)], steps=6)
        assert run.k == 6


@pytest.mark.parametrize("protocol", ["naive", "quorum"])
def test_both_faces_play_the_story(protocol):
    scenario = SCENARIOS[protocol]()
    html = static_player(scenario, presses=ch0.STORY, steps=ch0.STORY_STEPS)
    assert "ddia10-player" in html and ch0.PARTITION in html
    player = Player(scenario, presses=ch0.STORY)
    assert player.goto(ch0.STORY_STEPS) and player.message == ""


def test_same_seed_same_story():
    traces = [SCENARIOS["quorum"](seed=5).run(ch0.STORY, steps=ch0.STORY_STEPS).sim.trace.to_json()
              for _ in range(2)]
    assert traces[0] == traces[1]


def test_seed_must_be_an_int():
    with pytest.raises(ValueError, match="seed must be an int"):
        ch0.naive_split_brain(seed="1")


def test_checked_runs_a_world_under_the_failover_monitor():
    monitor = ch0.checked(ch0.leader_cut_off("naive"), ch0.HEAL_AT - 1)
    assert monitor.sim.now == ch0.HEAL_AT - 1
    assert fo.current_leaders(monitor.sim) == {"A": 1, "B": 2}
    assert {v.invariant for v in monitor.violations} == {fo.NO_MINORITY_ACKNOWLEDGEMENT,
                                                         fo.NO_LOST_WRITE}
    monitor.run(ch0.END - monitor.sim.now)
    assert fo.current_leaders(monitor.sim) == {"B": 2}
    with pytest.raises(ValueError, match=r"until must be a finite number >= \d+ ms \(now\)"):
        ch0.checked(monitor.sim, 10)


def test_client_calls_say_what_each_client_heard():
    calls = ch0.checked(ch0.leader_cut_off("quorum"), ch0.END).sim
    heard = ch0.client_calls(calls).set_index("write")
    assert list(heard["status"]) == ["ok", "info", "ok"]
    assert list(heard["node"]) == ["A", "A", "B"] and heard.loc["x=3", "term"] == 2


def test_the_size_table_shows_even_sizes_buying_no_tolerance():
    table = ch0.cluster_size_table(range(1, 8))
    assert list(table.index) == list(range(1, 8))
    assert list(table["majority"]) == [1, 2, 2, 3, 3, 4, 4]
    assert list(table["tolerated failures"]) == [0, 0, 1, 1, 2, 2, 3]


def test_replicas_of_the_script_agree_and_followers_apply_after_the_leader_answers():
    replicas = ch0.replica_table(ch0.replicated_script())
    assert len(set(replicas["log"])) == 1 and (replicas["committed"] == len(ch0.SCRIPT)).all()
    assert replicas.loc["A", "state"] == {"x": 16}
    at_ack = ch0.acknowledgement_table(ch0.first_acknowledgement())
    assert at_ack["stored"].sum() >= 2 and at_ack.loc["A", "applied"] == 1
    assert at_ack.loc[["B", "C"], "applied"].sum() == 0


def test_slow_network_and_progress_table_reject_bad_input():
    with pytest.raises(ValueError, match="slow_from <= slow_until <= horizon"):
        ch0.slow_network(slow_from=500, slow_until=100)
    with pytest.raises(ValueError, match="horizon must be a finite number"):
        ch0.slow_network(horizon=float("inf"))
    with pytest.raises(ValueError, match="window must be a finite number > 0 ms"):
        ch0.progress_table(fo.build_cluster("quorum"), window=0)
