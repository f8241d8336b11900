"""What chapter 9 claims: the ladder's rungs, the two-region measurement, the practice set."""

from __future__ import annotations

import ddia10.drills as drills
from ddia10.consistency import LADDER, ladder, strongest_model
from ddia10.scenarios import interview_arsenal as ch9


def test_each_ladder_history_reaches_its_rung_and_no_higher():
    for rung, hist in ch9.LADDER_HISTORIES.items():
        assert strongest_model(hist) == rung
        i = LADDER.index(rung)
        assert i == 0 or not ladder(hist)[LADDER[i - 1]].ok


def test_surviving_a_region_costs_every_commit_a_cross_region_round_trip():
    by = {r.placement: r for r in ch9.lock_service_placements(writes=5)}
    local, split, spread = (by[p] for p in ch9.PLACEMENTS)
    assert local.east_ms < 10 and split.east_ms < 10
    assert split.west_ms > 50  # the client in the other region crosses the country
    assert not split.survives["us-east"] and all(spread.survives.values())
    assert spread.east_ms > 50 and spread.west_ms > spread.east_ms


def test_two_servers_are_less_available_than_one():
    available = ch9.two_node_availability(0.99)
    assert available[2] < available[1] < available[3] < available[5]


def test_the_practice_set_names_every_check_of_the_drills():
    checks = {d.check for d in ch9.PRACTICE_SET}
    assert checks == {name for name in drills.__all__ if name.startswith("check_")}
