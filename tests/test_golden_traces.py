"""Golden traces: every run a chapter shows, pinned so that a change of behaviour shows.

Each entry of :data:`RUNS` names a run the book relies on (a worked example,
a player's scripted story, a chapter's experiment, one seed of a random
campaign) and builds it with one short call into the package. Its golden file
``tests/golden/<name>.txt`` holds the sha256 of the trace's JSON, the number
of events, a digest per chunk of 200 events, and the first and last events
rendered for people (see ``tests/golden_format.py``). A run that no longer matches
fails with the first chunk that differs, its events as they are now, and a
diff of the excerpts.

A change of behaviour that is meant (a new message field, a different
default) rewrites the golden files deliberately, and the diff goes in the
commit for review::

    DDIA10_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_golden_traces.py
    DDIA10_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_golden_traces.py -k ch04_story

Without that variable (set to exactly ``1``) nothing is ever written.
Where a function returns numbers and keeps its trace to itself (commit
latency, broadcast time, a rejoin's summary), the golden file pins the
result instead, item by item.
"""

import os
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, NamedTuple

import golden_format as golden
import pytest

from ddia10.caspaxos import caspaxos_campaign
from ddia10.explore import explore
from ddia10.scenarios import connections as ch10
from ddia10.scenarios import in_practice as ch8
from ddia10.scenarios import interview_arsenal as ch9
from ddia10.scenarios import linearizability, ordering, paxos, raft, the_problem
from ddia10.scenarios import raft_deep_dive as ch5
from ddia10.scenarios import two_phase_commit as ch3
from ddia10.scenarios import zab_and_others as ch7

GOLDEN_DIR = Path(__file__).parent / "golden"
UPDATE = os.environ.get("DDIA10_UPDATE_GOLDEN") == "1"


class Run(NamedTuple):
    name: str
    about: str
    build: Callable[[], Any]  # a Trace, or a result to pin item by item


# ---------------------------------------------------------------------- the registry
def _ran(world, ms):
    """A Simulation or RaftCluster run ``ms`` further: its trace."""
    world.run(ms)
    return world.trace


RUNS = [
    # chapter 0: the problem
    Run("ch00_naive_cut_off", "naive failover, leader A cut off and healed, "
        "checked by the FailoverMonitor to 600 ms",
        lambda: the_problem.checked(the_problem.leader_cut_off("naive"), 600).sim.trace),
    Run("ch00_quorum_cut_off", "quorum failover, the same cut and heal, monitored to 600 ms",
        lambda: the_problem.checked(the_problem.leader_cut_off("quorum"), 600).sim.trace),
    Run("ch00_naive_player", "naive_split_brain() player, its STORY for STORY_STEPS steps",
        lambda: the_problem.naive_split_brain().run(
            the_problem.STORY, steps=the_problem.STORY_STEPS).sim.trace),
    Run("ch00_quorum_player", "quorum_split_brain() player, its STORY for STORY_STEPS steps",
        lambda: the_problem.quorum_split_brain().run(
            the_problem.STORY, steps=the_problem.STORY_STEPS).sim.trace),
    Run("ch00_rsm_script", "five commands through quorum failover (seed 4), run 200 ms",
        lambda: the_problem.replicated_script().trace),
    Run("ch00_first_ack", "one write through quorum failover (seed 4), until A acknowledges",
        lambda: the_problem.first_acknowledgement().trace),
    Run("ch00_slow_network", "partial synchrony: slow_network(seed=2), monitored to 2100 ms",
        lambda: the_problem.checked(the_problem.slow_network(), 2100).sim.trace),
    # chapter 1: linearizability
    Run("ch01_follower_reads", "follower_read_run(seed=1): reads from lagging followers",
        lambda: linearizability.follower_read_run(seed=1, read_from="follower").trace),
    Run("ch01_leader_reads", "follower_read_run(seed=1, read_from='leader')",
        lambda: linearizability.follower_read_run(seed=1, read_from="leader").trace),
    Run("ch01_follower_read_player", "follower_read_scenario() player, PLAYER_STEPS steps",
        lambda: linearizability.follower_read_scenario().run(
            steps=linearizability.PLAYER_STEPS).sim.trace),
    # chapter 2: ordering
    Run("ch02_lamport_worked", "lamport_worked_example(): final counters A=2, B=4, C=5",
        lambda: ordering.lamport_worked_example().trace),
    Run("ch02_vector_worked", "vector_worked_example(): B=[2,1,0] and C=[0,0,1] concurrent",
        lambda: ordering.vector_worked_example().trace),
    Run("ch02_lamport_player", "lamport_scenario() player, 60 steps",
        lambda: ordering.lamport_scenario().run(steps=60).sim.trace),
    Run("ch02_vector_player", "vector_scenario() player, 60 steps",
        lambda: ordering.vector_scenario().run(steps=60).sim.trace),
    Run("ch02_random_schedule", "random_clock_run(): random_schedule(7) of 30 steps on A-D",
        lambda: ordering.random_clock_run().trace),
    Run("ch02_sequencer", "ordered_broadcasts(): sequencer D orders four broadcasts (seed 2)",
        lambda: ordering.ordered_broadcasts().trace),
    Run("ch02_sequencer_crash", "sequencer_crash_world(): S crashes at 15 ms, run 300 ms",
        lambda: _ran(ordering.sequencer_crash_world(), 300)),
    Run("ch02_sequencer_failover", "sequencer_crash_world(failover_ms=30), run 300 ms",
        lambda: _ran(ordering.sequencer_crash_world(failover_ms=30), 300)),
    Run("ch02_sequencer_crash_player", "sequencer_crash_scenario() player, 60 steps",
        lambda: ordering.sequencer_crash_scenario().run(steps=60).sim.trace),
    Run("ch02_split_sequencers", "split_sequencers_world(): two sequencers, run 400 ms",
        lambda: _ran(ordering.split_sequencers_world(), 400)),
    Run("ch02_split_sequencers_player", "split_sequencers_scenario() player, 25 steps",
        lambda: ordering.split_sequencers_scenario().run(steps=25).sim.trace),
    Run("ch02_consensus_via_tob", "consensus_run(0): seed 0 of the chapter's 20",
        lambda: ordering.consensus_run(0).trace),
    Run("ch02_consensus_stalled", "stalled_consensus(): sequencer A crashed, 500 ms",
        lambda: ordering.stalled_consensus().trace),
    Run("ch02_raft_tob_crash", "raft_tob_crash_run(): the leader crashes between broadcasts",
        lambda: ordering.raft_tob_crash_run().trace),
    Run("ch02_raft_tob_partition", "raft_tob_partition_run(): the leader cut off, then healed",
        lambda: ordering.raft_tob_partition_run()[0].trace),
    # chapter 4: Raft
    Run("ch04_roles", "roles_run(): leader crashed, restarted (the role diagram)",
        lambda: raft.roles_run()[0].trace),
    Run("ch04_story", "raft_cluster_scenario() player, its STORY for STORY_STEPS steps",
        lambda: raft.raft_cluster_scenario().run(raft.STORY, steps=raft.STORY_STEPS).sim.trace),
    Run("ch04_commit_latency_dc_ssd", "commit_latency(SAME_DC, SSD): 20 writes, by stage",
        lambda: raft.commit_latency(raft.SAME_DC, disk_latency=raft.SSD_FSYNC)),
    Run("ch04_commit_latency_dc_slow", "commit_latency(SAME_DC, slow disk)",
        lambda: raft.commit_latency(raft.SAME_DC, disk_latency=raft.SLOW_DISK_FSYNC)),
    Run("ch04_commit_latency_regions_ssd", "commit_latency(THREE_REGIONS, SSD)",
        lambda: raft.commit_latency(raft.THREE_REGIONS, disk_latency=raft.SSD_FSYNC)),
    Run("ch04_commit_latency_regions_slow", "commit_latency(THREE_REGIONS, slow disk)",
        lambda: raft.commit_latency(raft.THREE_REGIONS, disk_latency=raft.SLOW_DISK_FSYNC)),
    Run("ch04_broadcast_times", "broadcast_time (ms) for the chapter's four networks",
        lambda: {"calibrated network + disk": raft.broadcast_time(
                     raft.CALIBRATED_NETWORK, disk_latency=raft.CALIBRATED_DISK),
                 "paper latency, no disk": raft.broadcast_time(raft.PAPER_LATENCY),
                 "mostly disk": raft.broadcast_time((1.5, 3.0), disk_latency=9.0),
                 "LAN, no disk": raft.broadcast_time((0.5, 1.0))}),
    Run("ch04_figure16_trial_etcd", "traced_trial('etcd'): one Figure 16 trial, 150-150 ms",
        lambda: raft.traced_trial("etcd")[1].trace),
    Run("ch04_figure16_trial_paper", "traced_trial('paper'): one Figure 16 trial, 150-150 ms "
        "(no leader within 60 s)", lambda: raft.traced_trial("paper")[1].trace),
    # chapter 3: two-phase commit
    Run("ch03_transfer", "transfer_run(): 100 from A to B, 5 ms a message, 2 ms a write",
        lambda: ch3.transfer_run().trace),
    Run("ch03_phase1_player", "commit_scenario() player, STORY_PHASE1 for STORY_STEPS steps",
        lambda: ch3.commit_scenario().run(ch3.STORY_PHASE1, steps=ch3.STORY_STEPS).sim.trace),
    Run("ch03_phase2_player", "commit_scenario() player, STORY_PHASE2 for STORY_STEPS steps",
        lambda: ch3.commit_scenario().run(ch3.STORY_PHASE2, steps=ch3.STORY_STEPS).sim.trace),
    Run("ch03_blocked", "blocked_run(): T2 waits at P1 behind T1, in doubt",
        lambda: ch3.blocked_run()[0].trace),
    Run("ch03_time_in_doubt", "time_in_doubt for seeds 0-4, alone and replicated (ms, outcome)",
        lambda: {f"replicas={r} seed={s}": [d.in_doubt_ms, d.outcome]
                 for r in (1, 3) for s in range(5) for d in [ch3.time_in_doubt(r, s)]}),
    Run("ch03_campaign_seed0", "campaign_run(0), alone and replicated: how each transaction ended",
        lambda: {f"replicas={r}": sorted(ch3.campaign_run(0, replicas=r).outcomes.items())
                 for r in (1, 3)}),
    Run("ch03_counterexample", "the explorer's shortest schedule breaking atomicity with "
        "bug_abort_in_doubt (two participants), replayed",
        lambda: explore(ch3.explorer_model(bug=True), losses=False,
                        progress=False).counterexample.replay().trace),
    # chapter 9: the interview arsenal
    Run("ch09_lock_placements", "lock_service_placements(): median acquire latency (ms) per "
        "placement, from us-east and us-west",
        lambda: {r.placement: [round(r.east_ms, 6), round(r.west_ms, 6)]
                 for r in ch9.lock_service_placements()}),
    # chapter 10: connections
    Run("ch10_caspaxos_player", "caspaxos_scenario() player, 30 steps",
        lambda: ch10.caspaxos_scenario().run(steps=30).sim.trace),
    Run("ch10_caspaxos_campaigns", "caspaxos_campaign for seeds 0-9 (states chosen, forked)",
        lambda: {f"seed={s} bug={b}": [r.chosen, r.violation is not None]
                 for s in range(10) for b in (False, True)
                 for r in [caspaxos_campaign(s, bug_ignore_accepted=b)]}),
    # chapter 5: Raft in depth
    Run("ch05_fault_campaign", "fault_campaign(0): seed 0 of the chapter's correct campaigns",
        lambda: ch5.fault_campaign(0, trace=True).trace),
    Run("ch05_fault_campaign_no_restriction", "fault_campaign(0) without the election "
        "restriction: caught by leader completeness",
        lambda: ch5.fault_campaign(0, bug_no_election_restriction=True, trace=True).trace),
    Run("ch05_worked_example", "worked_example(): two writes, a crash, server 3 wins term 2",
        lambda: ch5.worked_example().cluster.trace),
    Run("ch05_worked_example_fork", "worked_example(candidate=4): server 4 is refused",
        lambda: ch5.worked_example(candidate=4).cluster.trace),
    Run("ch05_worked_example_player", "worked_example_scenario() player, 72 steps",
        lambda: ch5.worked_example_scenario().run(steps=72).sim.trace),
    Run("ch05_diverged_hints", "diverged_cluster(hints=True) run 200 ms: server 5 repaired",
        lambda: _ran(ch5.diverged_cluster(hints=True), 200)),
    Run("ch05_diverged_no_hints", "diverged_cluster(hints=False) run 200 ms, one entry a time",
        lambda: _ran(ch5.diverged_cluster(hints=False), 200)),
    Run("ch05_reconcile_player_hints", "reconcile_scenario(hints=True) player, 30 steps",
        lambda: ch5.reconcile_scenario(hints=True).run(steps=30).sim.trace),
    Run("ch05_reconcile_player_no_hints", "reconcile_scenario(hints=False) player, 45 steps",
        lambda: ch5.reconcile_scenario(hints=False).run(steps=45).sim.trace),
    Run("ch05_figure8_bug", "figure8(bug=True): X committed by counting, then overwritten",
        lambda: ch5.figure8(bug=True).trace),
    Run("ch05_figure8_d", "figure8(variant='d'): the current-term rule holds X back",
        lambda: ch5.figure8(bug=False, variant="d").trace),
    Run("ch05_figure8_e", "figure8(variant='e'): X committed through S1's term-4 entry",
        lambda: ch5.figure8(bug=False, variant="e").trace),
    Run("ch05_membership", "membership_run(): a learner promoted, then a joint change",
        lambda: ch5.membership_run().cluster.trace),
    Run("ch05_membership_refused", "membership_refused(): a change refused before the "
        "leader's no-op commits", lambda: ch5.membership_refused()[0].trace),
    Run("ch05_reads_read_index", "run_workload(1, 1500 ms, ReadIndex, no faults, CheckQuorum)",
        lambda: ch5.run_workload(1, duration=1500, read_mode="read_index", faults=False,
                                 check_quorum=True).sim.trace),
    Run("ch05_reads_lease", "run_workload(1, 1500 ms, lease reads, no faults, CheckQuorum)",
        lambda: ch5.run_workload(1, duration=1500, read_mode="lease", faults=False,
                                 check_quorum=True).sim.trace),
    Run("ch05_lease_drift", "lease_drift_run(0, 'lease', clock_rate=0.1): a stale lease read",
        lambda: ch5.lease_drift_run(0, "lease", clock_rate=0.1).sim.trace),
    Run("ch05_lease_drift_read_index", "lease_drift_run(0, 'read_index'): linearizable",
        lambda: ch5.lease_drift_run(0, "read_index").sim.trace),
    Run("ch05_rejoin_plain", "rejoin_run(seed 0), no PreVote, no CheckQuorum",
        lambda: ch5.rejoin_run(False, False, 0)),
    Run("ch05_rejoin_check_quorum", "rejoin_run(seed 0), CheckQuorum only",
        lambda: ch5.rejoin_run(False, True, 0)),
    Run("ch05_rejoin_prevote", "rejoin_run(seed 0), PreVote only",
        lambda: ch5.rejoin_run(True, False, 0)),
    Run("ch05_rejoin_both", "rejoin_run(seed 0), PreVote and CheckQuorum",
        lambda: ch5.rejoin_run(True, True, 0)),
    Run("ch05_rejoin_player", "rejoin_scenario() player, no guards, 24 steps",
        lambda: ch5.rejoin_scenario(prevote=False, check_quorum=False).run(steps=24).sim.trace),
    Run("ch05_rejoin_player_guarded", "rejoin_scenario(PreVote, CheckQuorum) player, 8 steps",
        lambda: ch5.rejoin_scenario(prevote=True, check_quorum=True).run(steps=8).sim.trace),
    Run("ch05_double_vote_bug", "double_vote(bug=True): two leaders of term 1",
        lambda: ch5.double_vote(bug=True).trace),
    Run("ch05_double_vote", "double_vote(bug=False): one leader of term 1",
        lambda: ch5.double_vote(bug=False).trace),
    # chapter 6: Paxos
    Run("ch06_seed_round", "seed_round(): P1 gets red chosen, each phase sent to A1, A2, A3",
        lambda: paxos.seed_round().trace),
    Run("ch06_overlap_round", "overlap_round(): P2 hears of red from A3 alone and proposes it",
        lambda: paxos.overlap_round().trace),
    Run("ch06_duel_fixed", "duel(): fixed 7 ms retry timers, run 300 ms, nothing chosen",
        lambda: _ran(paxos.duel(), 300)),
    Run("ch06_duel_backoff", "duel(backoff=10.0): randomized back-off, run 300 ms",
        lambda: _ran(paxos.duel(backoff=10.0), 300)),
    Run("ch06_player", "paxos_player() player, its STORY for STORY_STEPS steps",
        lambda: paxos.paxos_player().run(paxos.STORY, steps=paxos.STORY_STEPS).sim.trace),
    Run("ch06_hole", "hole_run(): a new Multi-Paxos leader fills slot 2 with a no-op",
        lambda: paxos.hole_run().trace),
    Run("ch06_counterexample", "the explorer's shortest schedule choosing two values without "
        "the adopt rule (2 proposers, 2 acceptors), replayed",
        lambda: explore(paxos.paxos_model(2, 2, bug=True), losses=False,
                        progress=False).counterexample.replay().trace),
    Run("ch06_paxos_vs_raft", "paxos_vs_raft(): steady-state cost per decision",
        lambda: [asdict(c) for c in paxos.paxos_vs_raft()]),
    Run("ch06_campaign", "multi_paxos_campaign(range(5)): five seeded fault schedules",
        lambda: [asdict(r) for r in paxos.multi_paxos_campaign(range(5))]),
    # chapter 7: ZAB and others
    Run("ch07_zab_player", "zab_leader_change() player, its STORY for STORY_STEPS steps",
        lambda: ch7.zab_leader_change().run(ch7.STORY, steps=ch7.STORY_STEPS).sim.trace),
    Run("ch07_zab_new_leader", "proposals_a_new_leader_finds(): the election picks 3, b dropped",
        lambda: ch7.proposals_a_new_leader_finds()[0].trace),
    Run("ch07_zab_new_leader_4", "proposals_a_new_leader_finds(4): server 4 leads, b kept",
        lambda: ch7.proposals_a_new_leader_finds(4)[0].trace),
    Run("ch07_zab_stale_then_sync", "stale_then_sync(): local reads, then follower 1 after sync",
        lambda: ch7.stale_then_sync()),
    Run("ch07_vr_view_change", "view_change_run(): view 2 takes the log of view 1",
        lambda: ch7.view_change_run()[0].trace),
    Run("ch07_vr_longest_log", "view_change_run(longest_log=True): x lost, caught",
        lambda: ch7.view_change_run(longest_log=True)[0].trace),
    Run("ch07_epaxos_fast", "epaxos_paths()[0]: one command, the fast path",
        lambda: ch7.epaxos_paths()[0].trace),
    Run("ch07_epaxos_slow", "epaxos_paths()[1]: two interfering commands, the slow path",
        lambda: ch7.epaxos_paths()[1].trace),
    Run("ch07_flp", "flp_run(1500): the adversary for 1.5 s, then messages on time",
        lambda: ch7.flp_run(1500)[1].trace),
    Run("ch07_split_votes", "split votes of 20 elections per range (150-155, 150-300 ms)",
        lambda: {f"{lo}-{hi}": list(line.extra_terms) for line in
                 ch7.split_vote_frequencies([(150, 155), (150, 300)], trials=20)
                 for lo, hi in [line.election_timeout]}),
    Run("ch07_comparison", "comparison(decisions=6): five protocols measured, with and "
        "without a conflict", lambda: [asdict(c) for c in ch7.comparison(decisions=6)]),
    Run("ch07_conflict_curve", "conflict_curve((0, 0.5, 1), commands=8): EPaxos, five regions",
        lambda: ch7.conflict_curve((0.0, 0.5, 1.0), commands=8)),
    # chapter 8: consistency in practice
    Run("ch08_fencing_unfenced", "fencing_run(fencing=False): A (token 33) paused, B (34) writes, "
        "A's late write accepted", lambda: ch8.fencing_run(fencing=False).trace),
    Run("ch08_fencing_fenced", "fencing_run(fencing=True): A's late write refused",
        lambda: ch8.fencing_run(fencing=True).trace),
    Run("ch08_fencing_player", "fencing_scenario(False) player, fencing_presses, FENCING_STEPS",
        lambda: ch8.fencing_scenario(False).run(ch8.fencing_presses(False),
                                                steps=ch8.FENCING_STEPS).sim.trace),
    Run("ch08_quorum_player", "quorum_scenario() player, quorum_presses(), QUORUM_STEPS",
        lambda: ch8.quorum_scenario().run(ch8.quorum_presses(),
                                          steps=ch8.QUORUM_STEPS).sim.trace),
    Run("ch08_drift_player", "drift_scenario(0.5) player, DRIFT_STORY, DRIFT_STEPS",
        lambda: ch8.drift_scenario(0.5).run(
            ch8.presses_at(ch8.drift_scenario(0.5), ch8.DRIFT_STORY),
            steps=ch8.DRIFT_STEPS).sim.trace),
    Run("ch08_drift", "drift_run at clock rates 1 and 0.5 (overlap ms, writes out of order)",
        lambda: {f"rate={r}": [d.overlap, d.out_of_order]
                 for r in (1.0, 0.5) for d in [ch8.drift_run(r)]}),
    Run("ch08_quorum_probes", "quorum_probe in each state: write and read times, what was read",
        lambda: {s: [p.write_ms, p.linearizable_read_ms, p.serializable_read,
                     p.holder_stopped_after_ms]
                 for s in ch8.STATES for p in [ch8.quorum_probe(s)]}),
    Run("ch08_designs", "scheduler_run for each design, with and without a paused worker",
        lambda: {f"{d} paused={p}": [r.consensus_writes, r.finished_ms, r.ran_twice]
                 for d in ch8.DESIGNS for p in (False, True)
                 for r in [ch8.scheduler_run(d, pause=p)]}),
    Run("ch08_discovery", "discovery_run(): the discoverer's views over time",
        lambda: ch8.discovery_run().views),
    # the random campaigns that only tests and benchmarks stage
    Run("coord_lock_campaign_seed1", "the lock campaign's run of seed 1 (6 s of faults)",
        lambda: ch8.recipe_run(1, "lock", trace=True)[0].sim.trace),
    Run("zab_campaign_seed0", "protocol_campaign('zab', 0): 3 s of faults, then a heal",
        lambda: ch7.protocol_campaign("zab", 0, trace=True).trace),
    Run("epaxos_campaign_seed0", "protocol_campaign('epaxos', 0): 3 s of faults, then a heal",
        lambda: ch7.protocol_campaign("epaxos", 0, trace=True).trace),
    Run("kv_campaign_seed1", "the key-value campaign's run of seed 1 (3000 ms of faults)",
        lambda: ch5.run_workload(1, duration=3000.0, **ch5.campaign_options(1)).sim.trace),
    Run("raft_leader_churn_seed1", "leader_churn(1, rounds=300): leaders crash while proposing",
        lambda: ch5.leader_churn(1, rounds=300, trace=True).trace),
]

REWRITE = "DDIA10_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_golden_traces.py -k {name}"


@pytest.mark.parametrize("run", RUNS, ids=[r.name for r in RUNS])
def test_a_chapter_run_replays_its_golden_trace(run):
    snap = golden.snapshot(run.build())
    path = GOLDEN_DIR / f"{run.name}.txt"
    if UPDATE:
        GOLDEN_DIR.mkdir(exist_ok=True)
        golden.write(path, run.name, run.about, snap)
        return
    rewrite = REWRITE.format(name=run.name)
    if not path.exists():
        pytest.fail(f"no golden file {path.name}; write it with {rewrite}", pytrace=False)
    pinned = golden.read(path)
    if (pinned.sha256, pinned.count) != (snap.sha256, len(snap.records)):
        hint = f"If this change is meant, rewrite the golden file and review its diff: {rewrite}"
        pytest.fail(golden.mismatch(run.name, pinned, snap, hint), pytrace=False)


def test_every_golden_file_belongs_to_a_run():
    names = [r.name for r in RUNS]
    assert len(set(names)) == len(names), "two runs share a name"
    orphans = sorted(p.name for p in GOLDEN_DIR.glob("*.txt") if p.stem not in names)
    assert not orphans, f"golden files without a run in RUNS (delete them): {orphans}"


def test_a_changed_run_is_reported_by_its_first_differing_chunk(tmp_path):
    trace = ch5.figure8(bug=False).trace
    path = tmp_path / "run.txt"
    golden.write(path, "run", "a run", golden.snapshot(trace))
    trace.events[250].time += 1.0
    report = golden.mismatch("run", golden.read(path), golden.snapshot(trace), "hint")
    assert "first differing chunk: events 200–" in report
    assert "events 0–" not in report and "hint" in report
