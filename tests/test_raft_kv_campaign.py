"""The randomized campaign: clients on a five-server store under seeded random faults.

Each seed crashes, restarts, partitions and disconnects servers while the
network loses, duplicates and reorders messages; Raft's options (PreVote,
CheckQuorum, log compaction) are drawn from the seed too. After every run:
no Raft invariant was violated, the clients' history is linearizable (whole,
and cut while faults were still active), and the servers' final state backs up
everything the clients saw. ``bench/bench_raft_campaign.py`` runs the same
check on a thousand seeds.
"""

import pytest

from ddia10.scenarios.raft_deep_dive import campaign_seed, run_workload


def assert_clean(report):
    assert report.violation is None, report.violation
    assert report.verdict == "linearizable", report
    assert report.verdict_at_cut == "linearizable", report
    assert report.unbacked == [], report.unbacked
    assert report.ops > 5  # more than the final reads: the workload ran


@pytest.mark.parametrize("seed", range(48))
def test_random_faults_keep_raft_safe_and_reads_linearizable(seed):
    assert_clean(campaign_seed(seed))


@pytest.mark.parametrize("seed", range(100, 110))
def test_invariants_hold_after_every_event(seed):
    assert_clean(campaign_seed(seed, check_every_event=True))


@pytest.mark.parametrize("read_mode", ["lease", "log"])
@pytest.mark.parametrize("seed", range(200, 204))
def test_lease_and_log_reads_stay_linearizable_without_clock_drift(seed, read_mode):
    assert_clean(campaign_seed(seed, read_mode=read_mode))


def test_campaign_histories_hold_operations_still_pending_at_the_cut():
    reports = [campaign_seed(seed) for seed in range(300, 306)]
    assert sum(r.pending for r in reports) > 0  # the checker also faced unknown outcomes


def test_campaign_catches_reads_served_by_any_server():
    """The same campaign with the deliberately unsafe local reads finds stale reads."""
    verdicts = [campaign_seed(seed, read_mode="local").verdict for seed in range(10)]
    assert "not linearizable" in verdicts


def test_same_seed_same_history():
    first = run_workload(7, duration=1000)
    again = run_workload(7, duration=1000)
    assert first.history() == again.history()
    assert first.sim.trace.to_json() == again.sim.trace.to_json()


def test_workload_rejects_bad_input():
    with pytest.raises(ValueError, match="seed"):
        run_workload("1")
    with pytest.raises(ValueError, match="duration"):
        run_workload(1, duration=-5)
