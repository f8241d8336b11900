"""Chapter 4's player: five servers and a client through a kill, a partition and a heal."""

import pytest

from ddia10.scenarios.raft import (
    CLIENT,
    HEAL,
    KILL,
    PARTITION,
    STORY,
    STORY_STEPS,
    raft_cluster_scenario,
    rpc_table,
)
from ddia10.viz import cluster_view, static_player


@pytest.fixture(scope="module")
def story():
    scenario = raft_cluster_scenario()
    return scenario, scenario.run(STORY, steps=STORY_STEPS)


def _view(story, step):
    scenario, run = story
    return scenario.state_table(cluster_view(run.sim.trace, run.marks[step]))


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
    table = _view(story, _step_of(HEAL) - 1)
    leaders = table[table.role == "leader"].sort_values("term")
    assert len(leaders) == 2  # the old one, cut off, still thinks it leads
    old, new = leaders.iloc[0], leaders.iloc[1]
    assert old.term < new.term
    assert old["log (* = write)"].split()[-1].endswith("*")  # the client's write...
    assert old.commit < int(old["log (* = write)"].split()[-1].split(":")[0])  # ...waits


def test_after_the_heal_every_log_is_the_same_and_every_write_returned(story):
    scenario, run = story
    final = _view(story, STORY_STEPS)
    assert final["log (* = write)"].nunique() == 1
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
