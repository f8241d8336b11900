"""What chapter 8 claims of its stagings, checked on values."""

import pytest

from ddia10.coord import ERR_COMPACTED, ERR_LEASE_NOT_FOUND, ERR_TOO_LARGE
from ddia10.scenarios import in_practice as ch8


def test_the_paused_holder_corrupts_the_data_without_fencing_and_is_refused_with_it():
    unfenced, fenced = ch8.fencing_run(fencing=False), ch8.fencing_run(fencing=True)
    assert unfenced.tokens == fenced.tokens == {"A": 33, "B": 34}
    assert unfenced.out_of_order == fenced.refused == [("A", 33, "A:5")]
    assert fenced.out_of_order == [] and unfenced.refused == []
    story = list(unfenced.timeline()["what"])
    assert story.index("is paused") < story.index("deletes /lock/1 (its lease ran out)") \
        < story.index("holds the lock, token 34") < story.index("wakes up")


@pytest.mark.parametrize("fencing", [False, True])
def test_the_fencing_player_tells_the_same_story(fencing):
    presses = ch8.fencing_presses(fencing)
    assert [button for _step, button in presses] == [ch8.PAUSE_A, ch8.RESUME_A]
    db = ch8.fencing_scenario(fencing).run(presses, steps=ch8.FENCING_STEPS).sim.process("db")
    late = [("A", 33, "A:5")]
    assert (db.rejected, db.out_of_order()) == (([], late) if not fencing else (late, []))


def test_a_slow_clock_makes_two_holders_and_a_true_one_does_not():
    true, slow = ch8.drift_run(1.0), ch8.drift_run(0.5)
    assert true.overlap == 0 and true.a_last_write < true.b_first_write
    assert slow.overlap > 1000 and slow.out_of_order > 0
    assert ch8.drift_run(0.5, fencing=True).out_of_order == 0


@pytest.mark.parametrize("rate, late", [(1.0, []), (0.5, [("A", 33, "A:10")])])
def test_the_drift_player_shows_two_holders_only_with_the_slow_clock(rate, late):
    scenario = ch8.drift_scenario(rate)
    presses = ch8.presses_at(scenario, ch8.DRIFT_STORY)
    db = scenario.run(presses, steps=ch8.DRIFT_STEPS).sim.process("db")
    assert db.out_of_order() == late


def test_a_lost_quorum_stalls_writes_and_serves_only_stale_serializable_reads():
    degraded, lost = ch8.quorum_probe("degraded"), ch8.quorum_probe("lost")
    assert degraded.write_ms is not None and degraded.holder_stopped_after_ms is None
    assert lost.write_ms is None and lost.linearizable_read_ms is None
    assert (lost.serializable_read, lost.latest_value) == ("v1", "v2")
    assert 0 < lost.holder_stopped_after_ms <= 2000  # its own lease timer, at most the TTL


def test_the_quorum_player_holder_stops_then_takes_the_lock_again():
    sim = ch8.quorum_scenario().run(ch8.quorum_presses(), steps=ch8.QUORUM_STEPS).sim
    roles = [(ev.time, ev.data["role"]) for ev in sim.trace.of_kind("state")
             if ev.pid == "L" and "role" in ev.data]
    holding = [t for t, role in roles if role == "holding"]
    assert holding[0] < 1500 and holding[-1] > 6500  # before the crashes, after the restart
    assert any(3000 < t < 6500 and role == "idle" for t, role in roles)


def test_the_designs_spend_consensus_as_the_chapter_says():
    lock, cas, parts = (ch8.scheduler_run(d) for d in ch8.DESIGNS)
    assert lock.writes_per_task > cas.writes_per_task > 5 * parts.writes_per_task
    assert lock.ran_twice == cas.ran_twice == parts.ran_twice == 0
    assert ch8.scheduler_run("lock", pause=True).ran_twice >= 1
    assert ch8.ceiling(2.0, 30_000) == 15_000


def test_a_consensus_write_per_request_adds_a_round_trip_to_each():
    cost = ch8.increment_cost(api_servers=5, duration=100.0)
    assert cost.writes_per_request >= 1 and cost.median_ms > 2 and cost.requests > 50


def test_the_history_a_store_keeps_until_compaction():
    history = ch8.history_cost(updates=50, value_bytes=100)
    assert (history.live_bytes, history.kept_bytes, history.after_compaction_bytes) == (
        100, 5000, 100)


def test_the_error_table_speaks_etcd():
    said = dict(zip(ch8.error_table()["request"], ch8.error_table()["answer"], strict=True))
    assert said["keep-alive of an expired lease"] == ERR_LEASE_NOT_FOUND
    assert said["get /k at revision 2 (compacted at 3)"] == ERR_COMPACTED
    assert said["put of a 1.6 MB value"] == ERR_TOO_LARGE
    assert said["lease grant with TTL 0"].startswith("refused by the client")


def test_a_lease_s_key_goes_a_ttl_after_the_last_keep_alive():
    run = ch8.lease_run(ttl=2)
    assert 2000 <= run.gone - run.last_keep_alive <= 2300


@pytest.mark.parametrize("call, message", [
    (lambda: ch8.quorum_probe("half"), "state"),
    (lambda: ch8.scheduler_run("queue"), "design"),
    (lambda: ch8.drift_run(0.0), "a_clock"),
    (lambda: ch8.ceiling(0, 10), "writes per task"),
    (lambda: ch8.increment_cost(api_servers=0), "api_servers"),
])
def test_bad_input_fails_with_a_clear_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()
