"""The runs of the Raft deep-dive chapter (ddia10.scenarios.raft_deep_dive) do what the chapter
says they do."""

from __future__ import annotations

import pytest

from ddia10.raft import NOOP, Configuration
from ddia10.scenarios.raft_deep_dive import (
    WORKED_TIMES,
    ballots,
    diverged_cluster,
    lease_drift_run,
    membership_refused,
    membership_run,
    read_history_figure,
    reconcile_scenario,
    rejoin_run,
    rejoin_scenario,
    removed_run,
    vote_answers,
    worked_example,
    worked_example_scenario,
)
from ddia10.viz import static_player
from ddia10.viz.raft_log import leaders, log_grid, next_index_history

X, Y, Z = (1, "x=1"), (1, "y=2"), (2, "z=3")
N1, N2 = (1, NOOP), (2, NOOP)


@pytest.fixture(scope="module")
def worked():
    return worked_example()


def logs(stage: dict) -> dict:
    return {pid: s.log for pid, s in stage.items()}


def test_worked_example_states_are_the_storys(worked):
    s = worked.stages
    assert logs(s["x=1"]) == {1: [N1, X], 2: [N1, X], 3: [N1, X], 4: [N1, X], 5: [N1]}
    assert s["x=1"][1].commit_index == 2  # x=1 is committed: 4 of 5 servers hold it
    assert logs(s["y=2"]) == {1: [N1, X, Y], 2: [N1, X, Y], 3: [N1, X, Y], 4: [N1, X],
                              5: [N1, X]}
    assert s["y=2"][1].commit_index == 3  # y=2 on 1, 2, 3: a majority
    election = s["election"]
    assert election[1].role == "crashed"
    assert election[3].role == "leader" and election[3].term == 2
    assert election[3].log == [N1, X, Y, N2]  # the new leader's own no-op
    assert election[4].log == election[5].log == [N1, X]
    z = s["z=3"]
    assert z[3].log == z[2].log == z[4].log == [N1, X, Y, N2, Z]
    assert z[3].commit_index == 5 and z[5].log == [N1, X, Y, N2]
    assert all(st.log == [N1, X, Y, N2, Z] for pid, st in s["end"].items() if pid != 1)
    assert all(worked.cluster.applied(p) == ["x=1", "y=2", "z=3"] for p in (2, 3, 4, 5))
    worked.cluster.check_invariants()


def votes(trace, candidate, term) -> dict:
    return {b.voter: b.granted for b in ballots(trace, candidate, term)}


def test_worked_example_every_voter_grants_server_3_which_leads_after_two(worked):
    answers = ballots(worked.cluster.trace, 3, 2)
    assert {b.voter: b.granted for b in answers} == {2: True, 4: True, 5: True}
    became = [t for t, pid, term in leaders(worked.cluster.trace) if (pid, term) == (3, 2)]
    assert became == [answers[1].time] and answers[2].time >= became[0]


def test_5_4_1_a_candidate_missing_a_committed_entry_cannot_win():
    run = worked_example(candidate=4)
    assert votes(run.cluster.trace, 4, 2) == {2: False, 3: False, 5: True}
    assert all(st.role != "leader" for st in run.stages["election"].values())
    assert "z=3" not in run.stages or run.stages["z=3"][4].role != "leader"


def test_worked_example_rejects_server_1_as_the_candidate():
    with pytest.raises(ValueError, match="candidate must be 2..5"):
        worked_example(candidate=1)
    with pytest.raises(ValueError, match="no server 9"):
        worked_example(candidate=9)


@pytest.mark.parametrize("hints, backoff", [(True, [9, 4, 10]), (False, [9, 8, 7, 6, 5, 4, 10])])
def test_5_3_next_index_backs_off_until_the_logs_match(hints, backoff):
    c = diverged_cluster(hints=hints)
    assert log_grid(c.trace).terms(5) == [1, 1] + [2] * 7
    c.run(200)
    assert next_index_history(c.trace, 3, 5) == backoff
    assert c.state(5).log == c.state(3).log
    assert [t for t, _ in c.state(5).log] == [1, 1, 2, 3, 3, 3, 3, 3, 4]
    c.check_invariants()


def test_prevote_and_check_quorum_keep_a_returning_server_from_deposing_the_leader():
    bare = rejoin_run(prevote=False, check_quorum=False)
    assert bare.away_term > bare.term_before and bare.term_after > bare.term_before
    assert bare.elections_after >= 1
    guarded = rejoin_run(prevote=True, check_quorum=True)
    assert guarded.away_term == guarded.term_after == guarded.term_before
    assert guarded.elections_after == 0


def test_4_2_3_removed_servers_left_running_disrupt_the_cluster_unless_guarded():
    bare = removed_run(prevote=False, check_quorum=False)
    assert bare.term_after - bare.term_before > 5 and bare.elections_after > 3
    for prevote, check_quorum in ((True, False), (False, True)):
        guarded = removed_run(prevote=prevote, check_quorum=check_quorum)
        assert guarded.term_after == guarded.term_before and guarded.elections_after == 0


def test_learner_catches_up_then_joint_consensus_replaces_voters():
    run = membership_run()
    c, leader = run.cluster, run.leader
    assert run.learner_log_before == 0
    assert run.configs["learner"] == Configuration({1, 2, 3}, {4})
    assert run.configs["promoted"] == Configuration({1, 2, 3, 4})
    new = frozenset({leader, 4, 5, 6})
    assert run.configs["joint"] == Configuration(new, outgoing={1, 2, 3, 4})
    assert run.configs["new"] == Configuration(new)
    assert c.leader() == leader
    assert all(c.applied(p)[-1] == "after the change" for p in new)
    c.check_invariants()


@pytest.mark.parametrize("make", [worked_example_scenario, lambda: reconcile_scenario(True),
                                  lambda: reconcile_scenario(False),
                                  lambda: rejoin_scenario(prevote=True, check_quorum=True)])
def test_scenarios_play_in_the_static_player(make):
    html = static_player(make(), steps=30)
    assert 'class="ddia10-player"' in html and "step 0 / 30" in html


def test_worked_example_scenario_reaches_the_same_end():
    run = worked_example_scenario().run(steps=10_000)
    sim = run.sim
    assert sim.now >= WORKED_TIMES["end"]
    assert sim.process(5).log.entries == [N1, X, Y, N2, Z]


def test_a_fresh_leader_refuses_a_change_until_its_no_op_commits():
    cluster, refused, accepted = membership_refused()
    assert refused is None and accepted is not None
    assert cluster.state(1).config.learners == {4}


def test_vote_answers_name_who_granted_the_candidate():
    worked = worked_example()
    assert vote_answers(worked.cluster.trace, 3, 2) == {2: True, 4: True, 5: True}
    assert vote_answers(worked.cluster.trace, 4, 2) == {}


def test_the_read_history_figure_labels_every_operation_even_a_short_read():
    from ddia10.linearizability import check

    history = lease_drift_run(0, "lease").history()
    fig = read_history_figure(history, check(history), title="stale")
    texts = {text.get_text() for text in fig.axes[0].texts}
    assert "x: get→'1'" in texts and {"x: put '1'", "x: put '2'"} <= texts
    with pytest.raises(ValueError, match="history"):
        read_history_figure([], None, title="empty")
