"""What chapter 6 claims about its runs: the seed's round, the overlap that saves
a chosen value, the duel and its end, the hole filled with a no-op, Paxos beside
Raft, the Multi-Paxos campaign, the explorer's model and its counterexample player."""

import pytest

from ddia10.explore import explore
from ddia10.paxos import NOOP, Accept, Prepare, Promise
from ddia10.scenarios import paxos as ch6


def test_the_seeds_round_is_twelve_messages_and_red_is_chosen():
    p = ch6.seed_round()
    table = ch6.message_table(p)
    assert len(table) == 12 and list(table["sent (ms)"]) == [0.0] * 3 + [1.0] * 3 + [2.0] * 3 \
        + [3.0] * 3
    assert set(table["to"][:3]) == {"A1", "A2", "A3"}  # a bare majority, as the seed has it
    assert p.chosen() == "red" and p.learned("P1") == "red"


def test_a_later_proposer_hears_of_red_from_one_acceptor_and_proposes_it():
    p = ch6.overlap_round()
    promises = [e for e in p.trace.of_kind("deliver")
                if e.pid == "P2" and isinstance(e.data["msg"], Promise)]
    reported = {e.data["src"]: e.data["msg"].accepted_value for e in promises}
    assert reported == {"A3": "red", "A4": None, "A5": None}
    accepts = {e.data["msg"] for e in p.trace.of_kind("send") if e.pid == "P2"
               and isinstance(e.data["msg"], Accept)}
    assert accepts == {Accept(2, "red")}
    assert p.chosen() == "red" and p.learned("P2") == "red"


def test_the_duel_with_fixed_timers_never_decides_and_alternates():
    p = ch6.duel()
    p.run(300)
    rounds = ch6.round_table(p)
    assert p.chosen() is None and len(rounds) > 60
    assert list(rounds["proposer"][:6]) == ["P1", "P2"] * 3
    assert (rounds["ended"][:-2].str.startswith("beaten by ballot")).all()


@pytest.mark.parametrize("seed", range(5))
def test_the_duel_with_randomized_backoff_decides(seed):
    p = ch6.duel(backoff=10.0, seed=seed)
    p.run(300)
    assert p.chosen() in ("v1", "v2")
    assert "chosen" in set(ch6.round_table(p)["ended"])


def test_a_new_multi_paxos_leader_fills_the_hole_with_a_no_op():
    c = ch6.hole_run()
    c.check_invariants()
    table = ch6.slot_table(c)
    assert table.shape == (3, 2) and list(table.iloc[:, 0]) == ["c1", str(NOOP), "c3"]


def test_multi_paxos_and_raft_cost_the_same_per_steady_decision():
    costs = {c.protocol: c for c in ch6.paxos_vs_raft(servers=5, decisions=10)}
    for cost in costs.values():
        assert cost.round_trips == pytest.approx(1.0)
        assert cost.messages == 8 and cost.disk_writes == 5  # 2(n - 1) and n
    assert list(ch6.cost_table(list(costs.values())).index) == ["Multi-Paxos", "Raft"]


def test_decision_cost_checks_its_input():
    with pytest.raises(ValueError, match="decisions must be an int >= 1"):
        ch6.decision_cost("x", ch6.MultiPaxos, one_way=1.0, decisions=0)


def test_multi_paxos_keeps_its_invariants_under_fifty_random_fault_schedules():
    runs = ch6.multi_paxos_campaign(range(50))
    assert [r.violation for r in runs] == [None] * 50
    assert sum(r.faults for r in runs) > 500 and all(r.recovered for r in runs)


def test_the_models_sometimes_properties_are_all_reached():
    report = explore(ch6.paxos_model(2, 2), properties=ch6.paxos_sometimes(2), progress=False)
    assert (report.verdict, report.exhausted, report.unreached()) == ("holds", True, [])


def test_the_counterexample_plays_step_by_step():
    report = explore(ch6.paxos_model(2, 2, bug=True), losses=False, progress=False)
    player = ch6.counterexample_player(report.counterexample, "two values chosen")
    run = player.run(steps=len(report.counterexample) + 5)
    assert run.k == len(report.counterexample) and run.ended
    delivered = [e.data["msg"] for e in run.sim.trace.of_kind("deliver")]
    assert delivered[:2] == [Prepare(1), Prepare(1)]


def test_the_player_story_stalls_without_a_majority_then_decides_once():
    run = ch6.paxos_player().run(ch6.STORY, steps=ch6.STORY_STEPS)
    trace = run.sim.trace
    assert [e.pid for e in trace.of_kind("crash")] == ["A5", "A4", "A3"]
    restarted = trace.of_kind("restart")[0].index
    learned = [e for e in trace.of_kind("state") if e.data.get("learned", "—") != "—"]
    assert learned and all(e.index > restarted for e in learned)  # nothing before a majority
    assert {e.data["learned"] for e in learned} == {"blue"}
    assert {e.pid for e in learned} == set(ch6.PROPOSERS)


def test_the_players_check_their_seed():
    with pytest.raises(ValueError, match="seed must be an int"):
        ch6.paxos_player(seed="0")
