"""Chapter 0's players tell the story the chapter says they tell."""

from __future__ import annotations

import itertools

import pytest

from ddia10 import failover as fo
from ddia10.scenarios import split_brain as sb
from ddia10.viz import Player, Scenario, cluster_view, static_player

SCENARIOS = {"naive": sb.naive_split_brain, "quorum": sb.quorum_split_brain}


def story(protocol: str):
    """Play :data:`STORY` step by step; return the run and the roles seen after each step."""
    run = SCENARIOS[protocol]().run(sb.STORY, steps=0)
    monitor = fo.FailoverMonitor(run.sim)
    leaders_seen = []
    while run.k < sb.STORY_STEPS and run.step():
        monitor.check()
        view = cluster_view(run.sim.trace)
        leaders_seen.append({
            str(p): v.annotations["term"] for p, v in view.processes.items() if v.role == "leader"
        })
    return run, monitor, leaders_seen


def returns(run) -> dict[str, dict]:
    return {e.data["op"]: e.data for e in run.sim.trace.of_kind("return")}


def test_the_two_scenarios_offer_the_same_buttons():
    naive, quorum = sb.naive_split_brain(), sb.quorum_split_brain()
    assert isinstance(naive, Scenario) and isinstance(quorum, Scenario)
    assert list(naive.buttons) == list(quorum.buttons)
    assert {name for _, name in sb.STORY} <= set(naive.buttons)


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
    html = static_player(scenario, presses=sb.STORY, steps=sb.STORY_STEPS)
    assert "ddia10-player" in html and sb.PARTITION in html
    player = Player(scenario, presses=sb.STORY)
    assert player.goto(sb.STORY_STEPS) and player.message == ""


def test_same_seed_same_story():
    traces = [SCENARIOS["quorum"](seed=5).run(sb.STORY, steps=sb.STORY_STEPS).sim.trace.to_json()
              for _ in range(2)]
    assert traces[0] == traces[1]


def test_seed_must_be_an_int():
    with pytest.raises(ValueError, match="seed must be an int"):
        sb.naive_split_brain(seed="1")
