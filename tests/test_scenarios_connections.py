"""What chapter 10 claims: the quorum table and the CASPaxos campaign."""

from __future__ import annotations

from ddia10.scenarios import connections as ch10
from ddia10.sim import Simulation


def test_the_quorum_table_marks_exactly_the_halves_unsafe():
    table = ch10.quorum_table()
    unsafe = list(table.index[~table["safe"]])
    assert unsafe == ["5 servers: phase 1 any 2, phase 2 any 2",
                      "6 servers: phase 1 any 3, phase 2 any 3"]
    grid = table.loc["3 x 3 grid: phase 1 a column, phase 2 a row"]
    assert grid["crashes phase 1 survives"] == grid["crashes phase 2 survives"] == 2


def test_the_caspaxos_campaign_forks_only_without_the_rule():
    table = ch10.caspaxos_table(range(5))
    assert table.loc["the highest accepted state (the rule)", "runs where two states forked"] == 0
    assert table.loc["its own last state", "runs where two states forked"] == 5


def test_the_caspaxos_player_builds_a_fresh_world():
    scenario = ch10.caspaxos_scenario()
    assert isinstance(scenario.fresh(), Simulation)
    run = scenario.run(steps=30)
    assert run.k > 0
