"""The chapter's measurements: Figure 16's election times and the commit latency breakdown."""

import math

import pytest

from ddia10.raft.experiments import (
    FIGURE16_BOTTOM,
    FIGURE16_TOP,
    PAPER_LATENCY,
    SAME_DC,
    STAGES,
    THREE_REGIONS,
    ElectionTimes,
    broadcast_time,
    commit_latency,
    draw_figure16,
    election_trial,
    figure16,
    figure16_table,
    latency_table,
)


@pytest.fixture(scope="module")
def top_lines():
    return {line.election_timeout: line
            for line in figure16([(150, 151), (150, 300)], trials=40, seed=3)}


def test_ranges_are_the_papers():
    assert FIGURE16_TOP[0] == (150, 150) and FIGURE16_TOP[-1] == (150, 300)
    assert len(FIGURE16_TOP) == 6 and len(FIGURE16_BOTTOM) == 5
    assert FIGURE16_BOTTOM[0] == (12, 24)


def test_broadcast_time_is_about_the_papers_15_ms():
    lo, hi = PAPER_LATENCY
    measured = broadcast_time()
    assert 2 * lo <= measured <= 2 * hi
    assert 13 <= measured <= 17


def test_randomized_timeouts_elect_sooner_than_nearly_equal_ones(top_lines):
    tight, wide = top_lines[(150, 151)], top_lines[(150, 300)]
    assert wide.percentile(50) < tight.percentile(50)
    assert wide.percentile(90) < tight.percentile(90)
    # without randomness nearly every election needs more than one term
    assert wide.summary()["split or wasted terms"] < tight.summary()["split or wasted terms"]


def test_no_downtime_is_shorter_than_the_timeout_minus_the_heartbeat(top_lines):
    # The leader crashes within a heartbeat interval (half the minimum timeout)
    # of the broadcast that reset every timer: half the timeout is the floor.
    for (lo, _hi), line in top_lines.items():
        assert all(t.downtime >= lo / 2 for t in line.trials)


def test_followers_logs_differ_so_some_candidates_cannot_win(top_lines):
    for line in top_lines.values():
        for t in line.trials:
            assert len(set(t.log_lengths.values())) >= 2


def test_5_4_1_every_winner_had_a_log_at_least_as_long_as_two_voters(top_lines):
    for line in top_lines.values():
        for t in line.trials:
            assert t.new_leader != t.crashed and t.new_leader in t.log_lengths
            mine = t.log_lengths[t.new_leader]
            voters = [p for p, n in t.log_lengths.items() if p != t.new_leader and n <= mine]
            assert len(voters) >= 2


def test_a_trial_is_determined_by_its_seed():
    assert election_trial((150, 300), 7) == election_trial((150, 300), 7)
    assert election_trial((150, 300), 7) != election_trial((150, 300), 8)


def test_figure16_runs_the_trials_it_is_asked_for():
    lines = figure16([(50, 100), (150, 150)], trials=3, trials_for={(150, 150): 2})
    assert [len(line.trials) for line in lines] == [3, 2]
    assert all(isinstance(line, ElectionTimes) for line in lines)
    assert lines[0].times == sorted(lines[0].times)


@pytest.mark.parametrize("bad", [(200, 100), (0, 10), "150-300", (150,), (True, 2)])
def test_bad_timeout_ranges_are_refused(bad):
    with pytest.raises(ValueError, match="election_timeout|election timeouts"):
        election_trial(bad, 1)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="trials"):
        figure16([(150, 300)], trials=0)
    with pytest.raises(ValueError, match="at least one"):
        figure16([], trials=1)
    with pytest.raises(ValueError, match="seed"):
        election_trial((150, 300), "x")
    with pytest.raises(ValueError, match="percentile"):
        figure16([(150, 300)], trials=1)[0].percentile(101)


@pytest.fixture(scope="module")
def latencies():
    return {"dc": commit_latency(SAME_DC, writes=10), "wan": commit_latency(THREE_REGIONS,
                                                                           writes=10)}


def test_the_stages_add_up_to_what_the_client_waited(latencies):
    for writes in latencies.values():
        assert len(writes) == 10
        for w in writes:
            assert list(w.stages) == list(STAGES)
            assert all(v >= 0 for v in w.stages.values())
            assert math.isclose(sum(w.stages.values()), w.total, abs_tol=1e-9)


def test_a_commit_waits_for_a_majority_of_distinct_servers(latencies):
    for writes in latencies.values():
        for w in writes:
            assert w.majority[0] == 1 and len(set(w.majority)) == 3


def test_across_regions_the_majority_round_trip_crosses_a_continent(latencies):
    # us-east holds the leader and one follower: the third copy is at least
    # a us-east <-> us-west round trip away.
    for w in latencies["wan"]:
        assert w.stages["AppendEntries round trip to a majority"] >= 2 * 30.0
    for w in latencies["dc"]:
        assert w.stages["AppendEntries round trip to a majority"] <= 2 * 1.0
    table = latency_table(latencies)
    assert table.loc["total (client's view)", "wan"] > 20 * table.loc["total (client's view)",
                                                                     "dc"]


def test_commit_latency_refuses_bad_arguments():
    with pytest.raises(ValueError, match="Placement"):
        commit_latency("same datacenter")
    with pytest.raises(ValueError, match="writes"):
        commit_latency(SAME_DC, writes=0)
    with pytest.raises(ValueError, match="at least one"):
        latency_table({})


def test_the_progress_wrapper_sees_every_trial():
    seen = []

    def wrap(jobs):
        for job in jobs:
            seen.append(job)
            yield job

    figure16([(150, 300), (50, 100)], trials=2, progress=wrap)
    assert seen == [((150.0, 300.0), 0), ((150.0, 300.0), 1), ((50.0, 100.0), 0),
                    ((50.0, 100.0), 1)]


def test_prevote_is_passed_to_the_servers_and_the_timing_is_not_overridable():
    assert election_trial((150, 300), 2, prevote=True) != election_trial((150, 300), 2)
    with pytest.raises(ValueError, match="set by the experiment"):
        election_trial((150, 300), 2, heartbeat_interval=10.0)
    with pytest.raises(ValueError, match="unknown Raft option"):
        election_trial((150, 300), 2, prevot=True)


def test_the_table_and_the_plot_take_only_figure16_lines(top_lines):
    import matplotlib

    matplotlib.use("Agg")
    lines = list(top_lines.values())
    table = figure16_table(lines)
    assert list(table.index) == [line.label for line in lines]
    assert table.loc["150–300 ms", "the paper reports"] == ""
    ax = draw_figure16(lines)
    assert len(ax.get_lines()) == len(lines)
    for bad in ([], [1, 2]):
        with pytest.raises(ValueError, match="figure16"):
            figure16_table(bad)
        with pytest.raises(ValueError, match="figure16"):
            draw_figure16(bad)
