"""Chapter 4's runs and player: five servers and a client through a kill, a partition and a heal."""

import pytest

from ddia10.raft import RaftCluster
from ddia10.scenarios.raft import (
    CLIENT,
    HEAL,
    KILL,
    PARTITION,
    STORY,
    STORY_STEPS,
    first_write_round,
    last_log_index,
    one_message,
    raft_cluster_scenario,
    roles_run,
    rpc_table,
    server_logs,
)
from ddia10.sim import Trace
from ddia10.viz import cluster_view, static_player


@pytest.fixture(scope="module")
def story():
    scenario = raft_cluster_scenario()
    return scenario, scenario.run(STORY, steps=STORY_STEPS)


def _cluster(story, step):
    _scenario, run = story
    return cluster_view(run.sim.trace, run.marks[step])


def _view(story, step):
    return story[0].state_table(_cluster(story, step))


def _step_of(name):
    return next(step for step, button in STORY if button == name)


def test_the_story_replays_identically():
    scenario = raft_cluster_scenario()
    a = scenario.run(STORY, steps=STORY_STEPS).sim.trace.to_json()
    b = scenario.run(STORY, steps=STORY_STEPS).sim.trace.to_json()
    assert a == b


def test_killing_the_leader_gets_a_new_leader_of_a_higher_term(story):
    before = _view(story, _step_of(KILL) - 1)
    after = _view(story, _step_of(PARTITION) - 1)
    old = before[before.role == "leader"]
    new = after[after.role == "leader"]
    assert len(old) == 1 and len(new) == 1
    assert new.server.iloc[0] != old.server.iloc[0]
    assert new.term.iloc[0] > old.term.iloc[0]


def test_5_3_the_cut_off_leader_holds_an_entry_it_can_never_commit(story):
    view = _cluster(story, _step_of(HEAL) - 1)
    leaders = sorted((p.annotations["term"], pid) for pid, p in view.processes.items()
                     if p.role == "leader")
    assert len(leaders) == 2  # the old one, cut off, still thinks it leads
    (old_term, old), (new_term, _new) = leaders
    assert old_term < new_term
    stuck = last_log_index(view.processes[old])
    assert server_logs(view)[old][-1][2].startswith("c1#")  # the client's write...
    assert view.processes[old].annotations["commit_index"] < stuck  # ...waits


def test_after_the_heal_every_log_is_the_same_and_every_write_returned(story):
    scenario, run = story
    final = _view(story, STORY_STEPS)
    assert len(set(server_logs(_cluster(story, STORY_STEPS)).values())) == 1
    assert (final.commit == final.commit.iloc[0]).all()
    invoked = run.sim.trace.of_kind("invoke")
    returned = run.sim.trace.of_kind("return")
    assert len(invoked) == len(returned) == sum(1 for _s, b in STORY if b.startswith("Client"))


def test_only_the_leader_shows_next_and_match_index(story):
    table = _view(story, STORY_STEPS)
    leader = table[table.role == "leader"]
    assert (leader.nextIndex != "").all() and (leader.matchIndex != "").all()
    assert (table[table.role != "leader"].nextIndex == "").all()
    assert CLIENT not in set(table.server)


def test_buttons_without_a_leader_leave_a_note_instead_of_failing():
    scenario = raft_cluster_scenario()
    run = scenario.run([(0, KILL), (0, PARTITION)], steps=1)
    notes = [e.data["text"] for e in run.sim.trace.of_kind("note")]
    assert any("no server leads" in n for n in notes)


def test_the_rpc_table_shows_each_message_with_its_own_fields(story):
    _scenario, run = story
    table = rpc_table(run.sim.trace)
    votes = table[table.RPC == "RequestVote"]
    appends = table[table.RPC == "AppendEntries"]
    assert len(votes) and len(appends)
    assert (votes.candidate_id != "").all() and (votes.prev_log_index == "").all()
    assert (appends.prev_log_index != "").all() and (appends.candidate_id == "").all()
    assert "(heartbeat)" in set(appends.entries)
    assert not table.isin(["4.0", "nan"]).any().any()
    assert len(rpc_table(run.sim.trace, limit=5)) == 5


def test_rpc_table_refuses_bad_arguments(story):
    _scenario, run = story
    with pytest.raises(TypeError, match="Trace"):
        rpc_table([])
    with pytest.raises(ValueError, match="kinds"):
        rpc_table(run.sim.trace, kinds=["state"])
    with pytest.raises(ValueError, match="limit"):
        rpc_table(run.sim.trace, limit=0)
    with pytest.raises(ValueError, match="seed"):
        raft_cluster_scenario(seed="1")


def test_the_static_player_plays_the_story():
    html = static_player(raft_cluster_scenario(), presses=STORY, steps=STORY_STEPS)
    assert 'class="ddia10-player"' in html and "Kill the leader" in html


def test_a_crashed_server_shows_only_what_it_persisted(story):
    table = _view(story, _step_of(KILL) + 2)
    crashed = table[table.role == "crashed"]
    assert len(crashed) == 1
    row = crashed.iloc[0]
    assert row.term >= 1 and row["voted for"] != ""          # on disk
    assert row["log (* = write)"] != "—"
    assert row.commit == row.applied == row.nextIndex == row.matchIndex == ""  # volatile


def test_the_roles_run_replaces_its_crashed_leader_and_takes_it_back():
    cluster, first = roles_run()
    assert isinstance(cluster, RaftCluster)
    assert cluster.leader() not in (None, first) and cluster.state(first).role == "follower"


def test_the_first_write_goes_out_once_to_every_follower_and_each_acknowledges(story):
    _scenario, run = story
    sent, replies = first_write_round(run.sim.trace)
    assert len(sent) == len(replies) == 4
    assert {e.data["dst"] for e in sent} == {e.pid for e in replies}
    assert all(e.data["msg"].success for e in replies)
    shown = one_message(rpc_table(Trace(sent)), ["term", "prev_log_index", "entries"])
    assert shown.loc["to"].iloc[0].count(",") == 3 and "c1#1" in shown.loc["entries"].iloc[0]
    with pytest.raises(ValueError, match="not one message"):
        one_message(rpc_table(Trace(replies)), ["from"])  # four senders
    with pytest.raises(ValueError, match="client command"):
        first_write_round(roles_run()[0].trace)
