"""Two-phase commit under random faults: every property checked after every event.

Fifty seeded schedules each (crashes, restarts, partitions, a network that
loses, duplicates and reorders), for the single coordinator and for the one
replicated with Raft: no run breaks a property, and once the faults stop and
everything restarts nothing is left in doubt. With a participant that may
abort in doubt, the same campaign finds the atomicity violation.
``bench/bench_twopc.py`` runs a thousand seeds of each.
"""

import pytest

from ddia10.scenarios import two_phase_commit as ch3
from ddia10.twopc import ATOMICITY

SEEDS = range(50)


@pytest.mark.parametrize("replicas", [1, 3])
def test_no_schedule_breaks_a_property_and_nothing_stays_in_doubt(replicas):
    result = ch3.campaign(SEEDS, replicas=replicas)
    assert result.violations == 0, result.first_violation
    assert result.in_doubt == 0
    assert result.committed > 0 and result.aborted > 0  # the runs did real work


@pytest.mark.parametrize("replicas", [1, 3])
def test_the_campaign_finds_a_participant_that_aborts_in_doubt(replicas):
    runs = [ch3.campaign_run(seed, replicas=replicas, bug=True) for seed in SEEDS]
    broken = [r.violation for r in runs if r.violation is not None]
    assert broken, "fifty schedules never caught the abort-in-doubt bug"
    assert {v.invariant for v in broken} == {ATOMICITY}


def test_a_campaign_run_is_a_function_of_its_seed():
    assert ch3.campaign_run(7, replicas=3) == ch3.campaign_run(7, replicas=3)
