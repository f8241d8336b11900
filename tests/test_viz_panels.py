"""A scenario's own pictures: checked, and redrawn by the live player after every step.

The static page's panels are tested with the rest of the static player.
"""

from __future__ import annotations

import dataclasses

import pytest

from ddia10.scenarios.raft_deep_dive import worked_example_scenario
from ddia10.viz import Player, Scenario, ScenarioError, cluster_view, log_panel, static_player
from ddia10.viz.demo import heartbeat_scenario


def down_panel(view) -> str:
    """Which servers are down: changes with a crash or a restart, not with every step."""
    down = [str(pid) for pid, p in view.processes.items() if p.status != "up"]
    return f"<b>down: {' '.join(down) or 'none'}</b>"


def with_panels(scenario: Scenario | None = None, **panels) -> Scenario:
    return dataclasses.replace(scenario or heartbeat_scenario(), panels=panels)


# ---------------------------------------------------------------- the scenario
@pytest.mark.parametrize(
    "panels, message",
    [
        (["Logs"], "dict of name"),
        ({"": down_panel}, "non-empty strings"),
        ({3: down_panel}, "non-empty strings"),
        ({"Logs": "<svg/>"}, "'Logs' must be a function"),
    ],
)
def test_panels_are_a_mapping_of_names_to_functions(panels, message):
    with pytest.raises(ValueError, match=message):
        Scenario("t", heartbeat_scenario().build, panels=panels)


@pytest.mark.parametrize(
    "fn, message",
    [
        (lambda view: 1 / 0, r"panel 'P' failed after \d+ events: ZeroDivisionError"),
        (lambda view: None, "must return an SVG or HTML string, got NoneType"),
        (lambda view: "<svg><script>alert(1)</script></svg>", "<script> or <style>"),
        (lambda view: "<STYLE>body{display:none}</STYLE>", "<script> or <style>"),
    ],
)
def test_a_bad_panel_is_a_clear_scenario_error(fn, message):
    scenario = with_panels(P=fn)
    view = cluster_view(scenario.fresh().trace)
    with pytest.raises(ScenarioError, match=message):
        scenario.panel("P", view)
    with pytest.raises(ScenarioError, match=message):
        static_player(scenario, steps=3)


def test_panel_arguments_are_checked():
    scenario = with_panels(Down=down_panel)
    with pytest.raises(ValueError, match="no panel 'Logs'; panels: \\['Down'\\]"):
        scenario.panel("Logs", cluster_view(scenario.fresh().trace))
    with pytest.raises(TypeError, match="ClusterView"):
        scenario.panel("Down", scenario.fresh().trace)


# ---------------------------------------------------------------- the live player
def test_the_live_player_redraws_each_panel_after_every_step():
    player = Player(with_panels(Down=down_panel, Time=lambda v: f"<b>t={v.time:.1f}</b>"))
    assert set(player._panels) == {"Down", "Time"}
    player.goto(3)
    assert player._panels["Down"].value == down_panel(player.view)
    assert player._panels["Down"].value == "<b>down: none</b>"
    before = player._panels["Time"].value
    player.press("Crash leader")
    player.step()
    assert player._panels["Down"].value == "<b>down: a</b>"
    assert player._panels["Time"].value != before
    player.back()
    assert player._panels["Down"].value == down_panel(player.view)


def test_a_failing_panel_shows_in_its_place_and_nothing_else_breaks():
    def fragile(view):
        if any(p.status == "crashed" for p in view.processes.values()):
            raise KeyError("no log for a crashed server")
        return down_panel(view)

    player = Player(with_panels(Fragile=fragile, Down=down_panel))
    player.goto(2)
    assert player.press("Crash leader") is True
    assert player.message == ""
    shown = player._panels["Fragile"].value
    assert "panel 'Fragile' failed" in shown and "no log for a crashed server" in shown
    assert player._panels["Down"].value == "<b>down: a</b>"
    assert player.step() and player._graph.value.startswith("<svg")
    player.press("Restart crashed")
    player.goto(60)
    assert player._panels["Fragile"].value == down_panel(player.view)


# ---------------------------------------------------------------- the Raft log grid
def test_log_panel_is_the_grid_of_the_view_without_the_clock():
    run = worked_example_scenario().run(steps=40)
    svg = log_panel(cluster_view(run.sim.trace))
    assert svg.startswith("<svg") and "leader" in svg and "t = " not in svg
    with pytest.raises(TypeError, match="ClusterView"):
        log_panel(run.sim.trace)


def test_the_live_player_shows_the_raft_logs():
    player = Player(with_panels(worked_example_scenario(), Logs=log_panel))
    player.goto(40)
    assert player._panels["Logs"].value == log_panel(player.view)
    assert "<rect" in player._panels["Logs"].value
