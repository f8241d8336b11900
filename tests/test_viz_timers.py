"""Timers a reader watches: the simulator's deadlines, followed event by event."""

import pytest

from ddia10.scenarios import the_problem as ch0
from ddia10.sim import Process, Simulation
from ddia10.viz import static
from ddia10.viz.cluster import arc_path, cluster_geometry
from ddia10.viz.timers import Countdown, TimerWatch
from ddia10.viz.view import cluster_view


class Sleeper(Process):
    """Arms an election timer of 10 ms and a flush it cancels at once."""

    def on_start(self, ctx):
        ctx.set_timer(10, "election")
        ctx.set_timer(3, "flush")
        ctx.cancel_timer("flush")

    def on_timer(self, ctx, name):
        ctx.set_timer(10, "election")


def test_deadlines_list_armed_timers_with_their_firing_time_and_skip_cancelled_ones():
    sim = Simulation(seed=1)
    sim.add("a", Sleeper)
    assert sim.deadlines() == {("a", "election"): 10.0}


def test_the_watch_sees_when_a_timer_is_armed_again():
    sim = Simulation(seed=1)
    sim.add("a", Sleeper)
    watch = TimerWatch()
    watch.observe(sim)
    assert watch.countdowns() == (Countdown("a", "election", 0.0, 10.0),)
    sim.step()  # fires at 10 and arms again
    watch.observe(sim)
    assert watch.countdowns() == (Countdown("a", "election", 10.0, 20.0),)


def test_a_countdown_runs_from_one_to_zero():
    c = Countdown("a", "election", 10.0, 30.0)
    assert [c.fraction(t) for t in (10, 20, 30, 40)] == [1.0, 0.5, 0.0, 0.0]
    assert c.left(25) == 5.0


def test_failover_followers_wait_for_their_leader_and_rearm_on_each_heartbeat():
    run = ch0.quorum_split_brain().run(ch0.STORY, steps=12)
    silent = [{c.pid: c for c in marks if c.name == "leader-silent"} for marks in run.timers]
    assert set(silent[1]) == {"B", "C"}
    arms = {c.armed for step in silent for c in step.values()}
    delivered = {ev.time for ev in run.sim.trace.events
                 if ev.kind == "deliver" and ev.data["dst"] in ("B", "C")}
    assert arms - {0.0} <= delivered  # re-armed only when a heartbeat arrives
    assert len(arms) > 3


def test_the_static_player_carries_rings_that_run_down_between_steps():
    data, _ = static._player_data(*_story())
    lefts = [tuple(r[2] for r in f["rings"]) for f in data["frames"]]
    assert all(lefts) and len(set(lefts)) > 5
    names = {data["strings"][r[3]] for f in data["frames"] for r in f["rings"]}
    assert names == {"heartbeat", "leader-silent"}


def _story():
    scenario = ch0.quorum_split_brain()
    return scenario, scenario.run(ch0.STORY, steps=12)


def test_rings_are_drawn_for_drawn_nodes_only_and_refuse_other_values():
    run = ch0.quorum_split_brain().run(ch0.STORY, steps=3)
    view = cluster_view(run.sim.trace, run.marks[3])
    geo = cluster_geometry(view, timers=run.timers[3])
    assert {geo.nodes[r.node].pid for r in geo.rings} == {"A", "B", "C"}
    assert cluster_geometry(view, timers=[Countdown("z", "election", 0, 1)]).rings == ()
    with pytest.raises(TypeError, match="Countdown"):
        cluster_geometry(view, timers=[("a", "election")])


def test_an_arc_is_a_full_circle_when_just_armed_and_half_way_round_at_half():
    assert arc_path(50, 50, 10, 1.0).count("a10.0,10.0") == 2
    assert arc_path(50, 50, 10, 0.5).endswith("0 0,1 50.0,60.0")



def test_the_live_player_draws_the_rings_and_says_how_long_each_has_left():
    from ddia10.viz import Player

    player = Player(ch0.quorum_split_brain(), presses=ch0.STORY)
    pictures = []
    for _ in range(3):
        player.step()
        pictures.append(player._graph.value)
    assert all('class="ddia10-ring"' in p for p in pictures) and len(set(pictures)) == 3
    assert "leader-silent" in player._timers.value and "ms left" in player._timers.value
