"""Every recipe under random crashes, partitions and pauses keeps every promise, and the
campaign notices when one rule is taken away.

CI runs fifty seeds of each recipe; ``bench/bench_coord.py`` runs a thousand.
"""

import pytest

from ddia10.coord import FENCING, STORE_AGREEMENT, WATCH_ORDER
from ddia10.scenarios.in_practice import RECIPES, recipe_campaign, recipe_run

SEEDS = range(50)


@pytest.mark.parametrize("recipe", RECIPES)
def test_every_recipe_keeps_its_promises_under_random_faults(recipe):
    result = recipe_campaign(SEEDS, recipe)
    assert result.violations == 0, result.first_violation
    assert result.not_linearizable == 0
    if recipe in ("lock", "election"):  # "sometimes": the runs did reach the dangerous states
        assert result.writes > 10 * len(SEEDS) and result.rejected > 0
    if recipe in ("lock", "election", "discovery"):
        assert result.watch_parts > 10 * len(SEEDS)
    if recipe == "counter":
        assert result.ops > 50 * len(SEEDS)


@pytest.mark.parametrize("recipe", ["lock", "election"])
def test_without_fencing_a_paused_holder_s_late_write_is_caught(recipe):
    result = recipe_campaign(SEEDS, recipe, bug="no fencing")
    assert result.violations > 0 and FENCING in result.first_violation


def test_replicas_expiring_leases_by_their_own_clocks_disagree():
    result = recipe_campaign(range(10), "discovery", bug="local expiry")
    assert result.violations == 10 and STORE_AGREEMENT in result.first_violation


def test_a_watch_that_accepts_a_gap_is_caught_skipping_changes():
    result = recipe_campaign(range(10), "discovery", bug="watch gaps")
    assert result.violations > 0 and WATCH_ORDER in result.first_violation


def test_a_counter_seed_counts_every_acknowledged_increment_once():
    _svc, run = recipe_run(3, "counter")
    final, done, unanswered = run.counter
    assert run.ok and done <= final <= done + unanswered and done > 0


def test_the_same_seed_gives_the_same_run():
    first, _ = recipe_run(5, "election", trace=True)
    again, _ = recipe_run(5, "election", trace=True)
    assert first.sim.trace.to_json() == again.sim.trace.to_json()


@pytest.mark.parametrize("call, message", [
    (lambda: recipe_run(1, "queue"), "recipe"),
    (lambda: recipe_run(1, "lock", bug="typo"), "bug"),
    (lambda: recipe_run(1.5, "lock"), "seed"),
])
def test_bad_input_fails_with_a_clear_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()
