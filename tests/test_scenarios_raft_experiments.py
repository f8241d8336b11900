"""The chapter's measurements: Figure 16's election times and the commit latency breakdown."""

import math

import pytest

from ddia10.scenarios.raft import (
    CALIBRATED_DISK,
    CALIBRATED_NETWORK,
    FIGURE16_BOTTOM,
    FIGURE16_TOP,
    LEADER_WRITE,
    PAPER_FIGURES,
    PAPER_LATENCY,
    SAME_DC,
    SLOW_DISK_FSYNC,
    STAGES,
    THREE_REGIONS,
    ElectionTimes,
    broadcast_time,
    commit_latency,
    delay_sensitivity,
    draw_delay_sensitivity,
    draw_figure16,
    election_trial,
    election_trial_cluster,
    figure16,
    figure16_table,
    latency_table,
    load_run,
    network_of_delay,
    paper_comparison,
    paper_statistics,
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


def test_with_a_disk_an_election_waits_for_the_candidates_and_a_voters_write():
    # A crash at most half a timeout after the heartbeat, then the candidate's
    # write, its request, a voter's write, the grant and the first heartbeat.
    lo = 150
    floor = lo / 2 + 2 * CALIBRATED_DISK + 3 * CALIBRATED_NETWORK.minimum
    (line,) = figure16([(lo, 300)], trials=20, latency=CALIBRATED_NETWORK,
                       disk_latency=CALIBRATED_DISK, election_timer="paper")
    assert all(floor <= t.downtime < math.inf for t in line.trials)


def test_broadcast_time_includes_one_disk_write_of_the_followers():
    lo, hi = PAPER_LATENCY
    assert 2 * lo <= broadcast_time(PAPER_LATENCY) <= 2 * hi
    calibrated = broadcast_time(CALIBRATED_NETWORK, disk_latency=CALIBRATED_DISK)
    # the slowest of four replies: more than two mean delays and a write, short of 15 ms
    assert 2 * CALIBRATED_NETWORK.mean + CALIBRATED_DISK < calibrated < 13


def test_the_narrow_ranges_split_more_votes_the_longer_a_vote_takes_to_arrive():
    lines = delay_sensitivity([1.0, 5.0], trials=30)
    fast, slow = lines[1.0], lines[5.0]
    assert fast.percentile(50) < 200 < 400 < slow.percentile(50)
    assert fast.summary()["split or wasted terms"] < slow.summary()["split or wasted terms"]
    assert network_of_delay(5.0).mean == pytest.approx(5.0)
    draw_delay_sensitivity(lines)
    with pytest.raises(ValueError, match="a mean one-way delay must be"):
        network_of_delay(0)


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


def test_followers_logs_differ_so_two_of_the_four_cannot_win(top_lines):
    # Thesis §9.3: "two of the four servers were not eligible to become leader".
    for line in top_lines.values():
        for t in line.trials:
            shortest = min(t.log_lengths.values())
            assert sorted(n - shortest for n in t.log_lengths.values()) == [0, 1, 2, 3]


def test_5_4_1_every_winner_had_a_log_at_least_as_long_as_two_voters(top_lines):
    for line in top_lines.values():
        for t in line.trials:
            assert t.new_leader != t.crashed and t.new_leader in t.log_lengths
            mine = t.log_lengths[t.new_leader]
            voters = [p for p, n in t.log_lengths.items() if p != t.new_leader and n <= mine]
            assert len(voters) >= 2


@pytest.mark.parametrize("rule", ["paper", "etcd"])
def test_a_trial_is_determined_by_its_seed(rule):
    assert (election_trial((150, 300), 7, election_timer=rule)
            == election_trial((150, 300), 7, election_timer=rule))
    assert (election_trial((150, 300), 7, election_timer=rule)
            != election_trial((150, 300), 8, election_timer=rule))


@pytest.mark.parametrize("seed", range(5))
def test_9_3_the_last_the_followers_hear_is_one_synchronised_heartbeat(seed):
    trial, c = election_trial_cluster((150, 200), seed, election_timer="paper")
    sent, last = {}, {}
    for e in c.trace:
        if e.kind == "send" and e.pid == trial.crashed:
            sent[e.data["id"]] = e.time
        elif e.kind == "deliver" and e.data["src"] == trial.crashed:
            last[e.pid] = e
    assert sorted(last) == sorted(trial.log_lengths)
    assert len({e.time for e in last.values()}) == 1  # at one moment, to every follower
    assert all(e.msg_type == "AppendEntries" and not e.data["msg"].entries
               for e in last.values())
    broadcast = {sent[e.data["id"]] for e in last.values()}
    assert len(broadcast) == 1
    assert 0 <= trial.crashed_at - broadcast.pop() < 150 / 2  # within a heartbeat interval


@pytest.mark.parametrize("seed", range(5))
def test_9_3_downtime_ends_when_the_last_survivor_hears_the_new_leader(seed):
    trial, c = election_trial_cluster((150, 300), seed, election_timer="paper")
    new = trial.new_leader
    heard = {}
    for e in c.trace:
        if (e.kind == "deliver" and e.data["src"] == new and e.msg_type == "AppendEntries"
                and e.time > trial.crashed_at):
            heard.setdefault(e.pid, e.time)
    survivors = [p for p in c.ids if p not in (trial.crashed, new)]
    assert sorted(heard) == survivors
    assert max(heard.values()) == trial.crashed_at + trial.downtime


def test_equal_timeouts_stay_in_lockstep_under_the_papers_rules_but_not_under_etcds():
    # Four candidates that time out together vote for themselves; with Figure
    # 2's rules nothing but their own equal timeouts restarts their timers.
    paper, etcd = (figure16([(150, 150)], trials=6, limit_ms=20_000, election_timer=rule)[0]
                   for rule in ("paper", "etcd"))
    assert paper.unfinished == 6
    assert etcd.unfinished == 0


def test_a_trial_past_the_bound_is_reported_not_dropped():
    import matplotlib

    matplotlib.use("Agg")
    [line] = figure16([(150, 150)], trials=3, limit_ms=2000, election_timer="paper")
    assert len(line.trials) == 3 and line.unfinished == 3
    assert line.times == [math.inf] * 3 and all(t.new_leader is None for t in line.trials)
    table = figure16_table([line])
    assert table.loc["150–150 ms", "max"] == "> 2000"
    assert table.loc["150–150 ms", "mean"] == "> 2000.0"
    assert table.loc["150–150 ms", "no leader within 2 s"] == 3
    ax = draw_figure16([line])
    assert ax.get_legend().get_texts()[0].get_text() == "150–150 ms (3 > 2 s)"


def test_the_papers_numbers_sit_beside_each_runs():
    runs = {rule: figure16([(150, 155), (12, 24)], trials=5, election_timer=rule)
            for rule in ("paper", "etcd")}
    table = paper_comparison(runs)
    assert list(table.index) == [(f"{f.election_timeout[0]:g}–{f.election_timeout[1]:g} ms",
                                  f.statistic) for f in PAPER_FIGURES]
    assert table.loc[("150–150 ms", "min"), "the paper"] == "> 10000"
    assert table.loc[("150–150 ms", "min"), "etcd"] == ""  # a range the run lacks
    assert table.loc[("12–24 ms", "mean"), "the paper"] == "35"
    for rule, (narrow, short) in runs.items():
        assert table.loc[("150–155 ms", "median"), rule] == round(narrow.percentile(50), 1)
        assert table.loc[("12–24 ms", "max"), rule] == round(max(short.times), 1)
    for fig, ours in paper_statistics(runs):
        lines = {line.election_timeout: line for line in runs["paper"]}
        expected = lines[fig.election_timeout].statistic(fig.statistic) \
            if fig.election_timeout in lines else None
        assert ours["paper"] == expected
    for bad in ({}, {"the paper": runs["paper"]}):
        with pytest.raises(ValueError, match="at least one named run"):
            paper_comparison(bad)
    with pytest.raises(ValueError, match="statistic"):
        runs["paper"][0].statistic("p95")


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
    for bad in (0, -5, math.inf, "60 s", True):
        with pytest.raises(ValueError, match="limit_ms"):
            election_trial((150, 300), 1, limit_ms=bad)


@pytest.fixture(scope="module")
def latencies():
    return {"dc": commit_latency(SAME_DC, writes=10),
            "wan": commit_latency(THREE_REGIONS, writes=10),
            "dc, slow disk": commit_latency(SAME_DC, disk_latency=SLOW_DISK_FSYNC, writes=10)}


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
    def round_trip(w):
        return w.stages["AppendEntries → follower"] + w.stages["reply → leader, commit"]

    assert all(round_trip(w) >= 2 * 30.0 for w in latencies["wan"])
    assert all(round_trip(w) <= 2 * 1.0 for w in latencies["dc"])
    table = latency_table(latencies)
    assert table.loc["total (client's view)", "wan"] > 20 * table.loc["total (client's view)",
                                                                     "dc"]


def test_a_slow_disk_is_a_stage_of_every_write_and_the_leaders_own_write_is_hidden(latencies):
    for w in latencies["dc"]:
        assert w.stages["follower's disk write"] == 0 and w.leader_write is None
    for w in latencies["dc, slow disk"]:
        assert w.stages["follower's disk write"] >= SLOW_DISK_FSYNC
        assert w.leader_write == SLOW_DISK_FSYNC  # it ran while the entry travelled
        assert w.stages["reply → leader, commit"] <= 1.0  # so the commit did not wait for it
    table = latency_table(latencies)
    assert table.loc[LEADER_WRITE, "dc, slow disk"] == SLOW_DISK_FSYNC
    assert table.loc[LEADER_WRITE, "dc"] == 0


def test_commit_latency_refuses_bad_arguments():
    with pytest.raises(ValueError, match="Placement"):
        commit_latency("same datacenter")
    with pytest.raises(ValueError, match="writes"):
        commit_latency(SAME_DC, writes=0)
    with pytest.raises(ValueError, match="disk_latency"):
        commit_latency(SAME_DC, disk_latency=-1)
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


def test_without_batching_more_clients_only_queue():
    """One entry per message and one message in flight cap the writes per
    second: ten times the clients, the same throughput, ten times the wait."""
    few, many = (load_run(5.0, batching=False, clients=n, writes=2) for n in (5, 50))
    assert many.writes_per_s < 1.1 * few.writes_per_s
    assert many.median_ms > 5 * few.median_ms


def test_with_batching_a_slow_disk_does_not_cap_throughput():
    """Group commit and batching carry many writes per fsync: on a disk ten
    times slower, enough clients still write faster than a few on the fast one."""
    fast = load_run(0.5, clients=5, writes=2)
    slow_few, slow_many = (load_run(5.0, clients=n, writes=2) for n in (5, 50))
    assert slow_few.median_ms > 3 * fast.median_ms
    assert slow_many.writes_per_s > fast.writes_per_s
    assert slow_many.median_ms < 1.5 * slow_few.median_ms


def test_load_run_rejects_bad_settings():
    with pytest.raises(ValueError, match="clients"):
        load_run(1.0, clients=0)
    with pytest.raises(ValueError, match="disk_latency"):
        load_run(-1.0)
