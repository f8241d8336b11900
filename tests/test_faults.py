"""The one random fault generator: seeded, and never drawing a fault that cannot happen."""

import random

import pytest

from ddia10.sim import Process, Simulation
from ddia10.sim.faults import (
    Fault,
    FaultGenerator,
    apply_fault,
    random_faults,
    random_network,
    random_pauses,
)


def test_fault_schedule_is_seeded_and_keeps_a_majority_up():
    servers = [1, 2, 3, 4, 5]
    plan = random_faults(3, servers, 5000, clients=["c1", "c2"])
    assert plan == random_faults(3, servers, 5000, clients=["c1", "c2"])
    assert plan != random_faults(4, servers, 5000, clients=["c1", "c2"])
    assert {f.kind for f in plan} >= {"crash", "restart", "partition", "heal"}
    down = set()
    for fault in plan:
        assert isinstance(fault, Fault) and 0 <= fault.time < 5000
        if fault.kind == "crash":
            assert fault.target[0] not in down
            down.add(fault.target[0])
        elif fault.kind == "restart":
            assert fault.target[0] in down
            down.discard(fault.target[0])
        elif fault.kind == "partition":
            sides = [set(side) for side in fault.target]
            assert set().union(*sides) == set(servers) | {"c1", "c2"}
            assert sides[0].isdisjoint(sides[1])
        assert len(down) <= 2


def test_a_generator_draws_only_faults_that_can_happen_now():
    faults = FaultGenerator(random.Random(1), ["a", "b", "c"], max_down=1)
    assert not faults.possible("restart") and not faults.possible("connect")
    with pytest.raises(ValueError, match="no restart is possible"):
        faults.draw("restart")
    crash = faults.draw("crash", 5.0)
    assert crash.time == 5.0 and faults.down == [crash.target[0]]
    assert not faults.possible("crash")  # max_down reached
    assert faults.draw("restart").target == crash.target and faults.down == []
    cut = faults.draw("disconnect")
    assert faults.possible("connect")
    faults.draw("heal")
    assert not faults.possible("connect")  # a heal reconnects everyone
    assert faults.draw("crash", target=("b",)).target == ("b",)  # a target the campaign chose
    assert faults.up == ["a", "c"]
    assert cut.kind == "disconnect"


def test_a_roll_passes_an_impossible_kind_s_share_to_the_next_and_may_draw_nothing():
    weights = (("restart", 0.5), ("heal", 0.25))  # nothing is down: restart is impossible
    faults = FaultGenerator(random.Random(7), [1, 2, 3])
    kinds = [faults.roll(weights) for _ in range(400)]
    assert "restart" not in kinds
    assert 0.65 < kinds.count("heal") / 400 < 0.85  # its own quarter and restart's half
    assert 0.15 < kinds.count(None) / 400 < 0.35
    assert {faults.choose() for _ in range(50)} == {"partition", "disconnect", "heal", "crash"}


def test_applying_faults_changes_the_world_and_the_trace():
    sim = Simulation(0)
    for pid in (1, 2, 3):
        sim.add(pid, Process)
    for fault in (Fault(0, "crash", (1,)), Fault(0, "partition", ((2,), (3,))),
                  Fault(0, "disconnect", (2,)), Fault(0, "connect", (2,)), Fault(0, "heal"),
                  Fault(0, "restart", (1,))):
        apply_fault(sim, fault)
    kinds = [e.kind for e in sim.trace if e.kind != "start"]
    assert kinds == ["crash", "partition", "disconnect", "reconnect", "heal", "restart"]
    assert sim.is_up(1)


def test_pauses_never_overlap_on_one_process_and_end_by_the_deadline():
    plan = random_pauses(2, ["a", "b"], 5000, mean_gap=200, length=(300, 900))
    assert plan == random_pauses(2, ["a", "b"], 5000, mean_gap=200, length=(300, 900))
    paused: dict = {}
    for fault in plan:
        pid = fault.target[0]
        if fault.kind == "pause":
            assert pid not in paused
            paused[pid] = fault.time
        else:
            assert fault.kind == "resume" and fault.time - paused.pop(pid) <= 900
        assert fault.time <= 5000
    assert not paused and {f.target[0] for f in plan} == {"a", "b"}


def test_a_generator_pauses_only_what_it_may_and_resumes_only_what_it_paused():
    faults = FaultGenerator(random.Random(3), [1, 2, 3], pausable=[1, "c"])
    assert faults.possible("pause") and not faults.possible("resume")
    assert "pause" not in {FaultGenerator(random.Random(3), [1]).choose() for _ in range(30)}
    paused = faults.draw("pause").target[0]
    assert paused in (1, "c") and faults.draw("resume").target == (paused,)
    faults.draw("pause", target=(1,))
    faults.draw("crash", target=(1,))  # a crash ends the pause
    assert not faults.possible("resume")


def test_a_pause_of_a_process_that_is_down_or_paused_does_nothing():
    sim = Simulation(0)
    for pid in (1, 2):
        sim.add(pid, Process)
    sim.crash(1)
    for fault in (Fault(0, "pause", (1,)), Fault(0, "resume", (2,)), Fault(0, "pause", (2,)),
                  Fault(0, "pause", (2,)), Fault(0, "resume", (2,))):
        apply_fault(sim, fault)
    assert [e.kind for e in sim.trace if e.kind in ("pause", "resume")] == ["pause", "resume"]


def test_network_settings_are_seeded_and_bounded():
    net = random_network(5)
    assert net == random_network(5) and net != random_network(6)
    assert 0 <= net["loss"] <= 0.05 and 0 <= net["duplicate"] <= 0.05
    assert 0 <= net["reorder"] <= 0.1


@pytest.mark.parametrize("call, message", [
    (lambda: Fault(10.0, "explode"), "fault kind"),
    (lambda: Fault(-1, "heal"), "fault time"),
    (lambda: random_faults(1, [1, 2, 3], 100, mean_gap=0), "mean_gap"),
    (lambda: random_faults(1, [1, 2, 3], -1), "duration"),
    (lambda: FaultGenerator(random.Random(0), []), "at least one process"),
    (lambda: FaultGenerator(0, [1]), "random.Random"),
    (lambda: FaultGenerator(random.Random(0), [1], max_down=-1), "max_down"),
    (lambda: FaultGenerator(random.Random(0), [1]).possible("explode"), "fault kind"),
    (lambda: random_network(1, loss=2), "loss"),
    (lambda: random_pauses(1, [1], 100, length=(5, 1)), "longest pause"),
    (lambda: apply_fault(Simulation(0), ("crash", 1)), "fault must be a Fault"),
])
def test_bad_input_fails_with_a_clear_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()

