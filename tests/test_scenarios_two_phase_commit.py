"""Chapter 3's stagings: each claim the chapter makes from them, checked on values."""

import pytest

from ddia10.scenarios import two_phase_commit as ch3
from ddia10.viz import static_player
from ddia10.viz.view import cluster_view


def test_the_transfer_takes_two_round_trips_and_two_forced_writes():
    t = ch3.transfer_run()
    rt, w = 2 * ch3.LATENCY, ch3.LOG_WRITE
    # the request (half a round trip), prepare and vote, the answer (half a round trip)
    assert ch3.milestones(t) == {"client hears": 2 * rt + 2 * w,
                                 "participants committed": 2 * rt + 2 * w,
                                 "coordinator done": 2.5 * rt + 2 * w}
    table = ch3.timeline(t.trace)
    prepare = table[table["what"] == "sends PrepareToCommit"].iloc[0]
    assert (prepare["t (ms)"], prepare["to"]) == (ch3.LATENCY, "P1, P2")


def story_end(presses):
    run = ch3.commit_scenario().run(presses, ch3.STORY_STEPS)
    return run, cluster_view(run.sim.trace)


def outcomes(sim, txn):
    from ddia10.twopc import wal
    said = {}
    for pid in ("P1", "P2", "P3"):
        kinds = [r[0] for r in wal.records(sim.storage(pid)) if r[1] == txn]
        said[pid] = kinds[-1] if kinds else None
    return said


def test_the_phase_one_story_blocks_a_second_transfer_then_aborts_the_first():
    run, view = story_end(ch3.STORY_PHASE1)
    assert outcomes(run.sim, 1) == dict.fromkeys(("P1", "P2", "P3"), "abort")
    assert outcomes(run.sim, 2) == dict.fromkeys(("P1", "P2", "P3"), "commit")
    blocked = [k for k in range(ch3.STORY_STEPS)
               if cluster_view(run.sim.trace, run.marks[k]).processes["P1"].annotations
               .get("waiting") == ["T2"]]
    assert blocked, "the second transfer never waited behind the first"
    assert view.processes["P1"].annotations["rows"] == {"A": 70}


def test_the_phase_two_story_commits_once_the_coordinator_is_back():
    run, view = story_end(ch3.STORY_PHASE2)
    killed_at = run.marks[10]
    before = cluster_view(run.sim.trace, run.marks[13])
    assert {before.processes[p].role for p in ("P1", "P2", "P3")} == {"in doubt"}
    assert killed_at < run.marks[14]
    assert outcomes(run.sim, 1) == dict.fromkeys(("P1", "P2", "P3"), "commit")


def test_a_kill_button_pressed_in_the_wrong_phase_only_says_so():
    run = ch3.commit_scenario().run([], 0)
    run.press(ch3.KILL_PHASE2)
    assert run.sim.is_up("C")
    assert "not in phase 2" in run.sim.trace.of_kind("note")[-1].data["text"]


def test_the_static_players_build():
    for story in (ch3.STORY_PHASE1, ch3.STORY_PHASE2):
        html = static_player(ch3.commit_scenario(), presses=story, steps=ch3.STORY_STEPS)
        assert "Kill coordinator" in html


def test_a_second_transaction_waits_behind_one_in_doubt():
    t, first, second = ch3.blocked_run()
    table = ch3.participant_table(t).set_index("participant")
    assert table.loc["P1", "locks"] == "A=T1" and table.loc["P1", "in doubt"] == "T1"
    assert table.loc["P1", "waiting for locks"] == "T2"
    logs = ch3.wal_table(t)
    assert list(logs["record"]) == ["prepare", "prepare"]  # nothing on the coordinator's log


def test_asking_peers_helps_only_when_one_never_voted_yes():
    table = ch3.termination_table()
    rows = {(r["participants ask each other"], r["P2 voted yes before the crash"]):
            r["P1 after 1 s"] for _i, r in table.iterrows()}
    assert rows == {(False, False): "in-doubt", (False, True): "in-doubt",
                    (True, False): "aborted", (True, True): "in-doubt"}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_replicated_coordinator_shortens_the_doubt_to_a_failover(seed):
    alone = ch3.time_in_doubt(1, seed, restart_after=1000.0)
    replicated = ch3.time_in_doubt(3, seed)
    assert alone.in_doubt_ms >= 1000.0 > replicated.in_doubt_ms
    assert alone.outcome == replicated.outcome == "aborted"
