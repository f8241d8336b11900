"""The live player: a run is its seed plus its presses, whatever the reader clicks."""

from __future__ import annotations

import dataclasses
import random
import re
from dataclasses import dataclass

import pytest

from ddia10.sim import Process, Simulation
from ddia10.viz import Player, Scenario, cluster_view
from ddia10.viz.demo import heartbeat_scenario


@dataclass(frozen=True)
class Ping:
    n: int


class Pinger(Process):
    """Sends three pings to ``b`` and stops: a run that ends."""

    def on_start(self, ctx):
        if ctx.pid == "a":
            for n in range(3):
                ctx.send("b", Ping(n))


def finite_scenario(**buttons) -> Scenario:
    def build():
        sim = Simulation(3, latency=(1, 4))
        sim.add("b", Pinger)
        sim.add("a", Pinger)
        return sim

    return Scenario("three pings", build, buttons=buttons)


def replayed(player: Player) -> str:
    return player.scenario.run(player.presses, steps=player.k).sim.trace.to_json()


def paused_panel(view) -> str:
    """A panel that fails while a process is paused, as a chapter's picture might."""
    if any(p.status == "paused" for p in view.processes.values()):
        raise ValueError("cannot draw a paused server")
    return f"<b>{len(view.in_flight)} in flight</b>"


@pytest.mark.parametrize("panels", [{}, {"In flight": paused_panel}])
def test_random_clicks_always_match_a_fresh_replay(panels):
    player = Player(dataclasses.replace(heartbeat_scenario(seed=7), panels=panels))
    names = list(player.scenario.buttons)
    rng = random.Random(2024)
    for i in range(1000):
        r = rng.random()
        if r < 0.45:
            player.step()
        elif r < 0.6:
            player.back()
        elif r < 0.85:
            player.press(rng.choice(names))
        elif r < 0.95:
            player.goto(rng.randrange(0, player.k + 5))
        else:
            player.reset()
        if i % 10 == 0 or player.message:
            assert player.sim.trace.to_json() == replayed(player), (i, player.presses)
        assert player.view.upto == len(player.sim.trace)
        for box in player._panels.values():
            paused = any(p.status == "paused" for p in player.view.processes.values())
            assert ("cannot draw a paused server" in box.value) == paused
    assert player.k >= 0


def test_back_is_a_replay_of_the_step_before():
    player = Player(heartbeat_scenario())
    for _ in range(6):
        player.step()
    player.press("Crash leader")
    for _ in range(4):
        player.step()
    at_10 = player.sim.trace.to_json()
    player.step()
    player.back()
    assert player.k == 10
    assert player.sim.trace.to_json() == at_10


def test_going_back_then_forward_redoes_the_presses():
    player = Player(heartbeat_scenario())
    player.goto(3)
    player.press("Crash leader")
    player.goto(8)
    before = player.sim.trace.to_json()
    player.goto(1)
    assert player.view.processes["a"].status == "up"
    player.goto(8)
    assert player.sim.trace.to_json() == before
    assert player.view.processes["a"].status == "crashed"


def test_a_new_press_in_the_past_forgets_the_old_future():
    player = Player(heartbeat_scenario())
    player.goto(3)
    player.press("Crash leader")
    player.goto(5)
    player.press("Restart crashed")
    player.goto(4)
    player.press("Heal")
    assert player.presses == [(3, "Crash leader"), (4, "Heal")]


def test_reset_forgets_every_press():
    player = Player(heartbeat_scenario())
    player.goto(2)
    player.press("Crash leader")
    player.reset()
    assert (player.k, player.presses) == (0, [])
    assert player.sim.trace.to_json() == heartbeat_scenario().fresh().trace.to_json()


def test_a_failing_button_shows_in_the_player_and_changes_nothing():
    def broken(sim):
        sim.crash("a")
        raise RuntimeError("the disk is on fire")

    player = Player(finite_scenario(Broken=broken))
    player.step()
    before = player.sim.trace.to_json()
    assert player.press("Broken") is False
    assert "the disk is on fire" in player.message
    assert "the disk is on fire" in player._alert.value
    assert player.presses == []
    assert player.sim.trace.to_json() == before
    assert player.view.processes["a"].status == "up"


def test_a_button_that_is_not_possible_now_explains_itself():
    player = Player(heartbeat_scenario())
    player.press("Resume a")
    assert "not paused" in player.message
    player.step()
    assert player.message == ""


def test_the_end_of_a_run_is_a_message_not_an_error():
    player = Player(finite_scenario())
    steps = 0
    while player.step():
        steps += 1
    assert steps == 3  # three deliveries; the sends all happened at step 0
    assert player.k == 3
    assert "Nothing more happens" in player.message
    assert player.back() and player.k == 2


def test_a_failing_protocol_shows_in_the_player():
    class Fragile(Process):
        def on_start(self, ctx):
            ctx.set_timer(5, "boom")
            ctx.send(ctx.pid, Ping(0))

        def on_timer(self, ctx, name):
            raise ZeroDivisionError("bad arithmetic in the protocol")

    def build():
        sim = Simulation(1)
        sim.add("a", Fragile)
        return sim

    player = Player(Scenario("fragile", build))
    player.step()
    assert player.step() is False
    assert "bad arithmetic" in player.message
    assert player.k == 1
    assert player.sim.trace.to_json() == replayed(player)


def test_presses_given_up_front_are_played_as_the_reader_steps():
    sc = heartbeat_scenario()
    player = Player(sc, presses=[(2, "Crash leader")])
    player.goto(1)
    assert player.view.processes["a"].status == "up"
    player.step()
    assert player.view.processes["a"].status == "crashed"


def test_widget_shows_the_picture_table_and_events():
    player = Player(heartbeat_scenario())
    player.goto(4)
    assert player._graph.value.startswith("<svg")
    assert "follower" in player._table.value or "leader" in player._table.value
    assert "Heartbeat" in player._events.value
    assert "step 4" in player._status.value
    assert player._slider.value == 4
    player._slider.value = 2  # the reader drags the slider
    assert player.k == 2


def test_the_player_view_is_the_view_of_the_trace():
    player = Player(heartbeat_scenario())
    player.goto(9)
    assert player.view == cluster_view(player.sim.trace)


@pytest.mark.parametrize(
    "bad, message",
    [
        (lambda: Player("not a scenario"), "Scenario"),
        (lambda: Player(heartbeat_scenario()).press("Nope"), "no button"),
        (lambda: Player(heartbeat_scenario()).goto(-1), "step number"),
        (lambda: Player(heartbeat_scenario(), presses=[(0, "Nope")]), "no button"),
        (lambda: Player(heartbeat_scenario(), presses=[("x", "Heal")]), "step"),
    ],
)
def test_bad_arguments_fail_clearly(bad, message):
    with pytest.raises((TypeError, ValueError), match=message):
        bad()


def test_the_live_space_time_window_follows_the_run():
    player = Player(heartbeat_scenario(), spacetime=True)
    player.goto(30)
    svg = player._diagram.value
    assert svg.startswith("<svg") and "Heartbeat" in svg
    indexes = [int(i) for i in re.findall(r'data-i="(\d+)"', svg)]
    assert indexes and max(indexes) < len(player.sim.trace)
    assert min(indexes) > 0  # the start of the run has scrolled out of the window


def test_a_failing_state_table_shows_in_its_place():
    def table(view):
        raise KeyError("no such column")

    base = heartbeat_scenario()
    player = Player(Scenario("bad table", base.build, buttons=base.buttons, table=table))
    assert player.step()
    assert "state table failed" in player._table.value and "no such column" in player._table.value
    assert player._graph.value.startswith("<svg")
