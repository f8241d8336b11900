"""The replicated state machine: the state is a function of the log."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddia10 import failover as fo
from ddia10.rsm import Add, Delete, Entry, KeyValueStore, Replica, Set, replay

commands = st.one_of(
    st.builds(Set, st.sampled_from("xyz"), st.integers(-5, 5)),
    st.builds(Add, st.sampled_from("xyz"), st.integers(-5, 5)),
    st.builds(Delete, st.sampled_from("xyz")),
)


def log_of(cmds, term=1):
    return [Entry(term, c, f"r{i}") for i, c in enumerate(cmds)]


def test_commands_have_deterministic_outputs():
    store = KeyValueStore()
    assert store.apply(Set("x", 1)) is None
    assert store.apply(Set("x", 2)) == 1
    assert store.apply(Add("x", 5)) == 7
    assert store.apply(Add("n", 1)) == 1
    assert store.apply(Delete("x")) == 7
    assert store.apply(Delete("x")) is None
    assert store.apply(Set("s", "text")) is None
    assert store.apply(Add("s", 1)) == "error: s holds 'text', not a number"
    assert store.state == {"n": 1, "s": "text"}


def test_order_matters_so_replicas_must_agree_on_one_order():
    a, b = Set("x", 10), Add("x", 1)
    assert replay([a, b]) == {"x": 11}
    assert replay([b, a]) == {"x": 10}


@given(st.lists(commands, max_size=30), st.lists(st.integers(0, 30), max_size=10))
def test_replicas_applying_the_same_log_reach_the_same_state(cmds, commit_points):
    """Three replicas learn the commit index in different steps; they end equal."""
    log = log_of(cmds)
    replicas = [Replica(log) for _ in range(3)]
    for i, replica in enumerate(replicas):
        for point in commit_points[i::3]:
            replica.commit(point)
        replica.commit(len(log))
    assert all(r.state == replay(cmds) for r in replicas)
    assert all(r.outputs == replicas[0].outputs for r in replicas)


@given(st.lists(commands, max_size=20), st.lists(commands, max_size=20),
       st.integers(0, 20), st.integers(0, 40))
def test_state_is_always_the_replay_of_the_committed_prefix(first, second, keep, commit):
    replica = Replica(log_of(first))
    replica.commit(commit)
    new_log = log_of(first)[:keep] + log_of(second, term=2)
    undone = replica.replace_log(new_log)
    committed_before = log_of(first)[: min(commit, len(first))]
    assert undone == committed_before[keep:]  # exactly the applied entries the new log lacks
    assert replica.state == replay(e.command for e in replica.log[: replica.commit_index])
    replica.commit(len(new_log))
    assert replica.state == replay(e.command for e in new_log)


def test_commit_applies_each_entry_once_in_order_and_never_moves_back():
    replica = Replica(log_of([Set("x", 1), Add("x", 1), Add("x", 1)]))
    assert [str(e) for e, _ in replica.commit(2)] == ["x=1@1", "x+=1@1"]
    assert replica.commit(1) == []
    assert replica.commit_index == 2
    assert [out for _, out in replica.commit(99)] == [3]
    assert replica.commit_index == 3 and replica.state == {"x": 3}


def test_replacing_the_log_with_a_longer_copy_keeps_what_was_applied():
    log = log_of([Set("x", 1), Set("y", 2)])
    replica = Replica(log[:1])
    replica.commit(1)
    assert replica.replace_log(log) == []
    assert replica.commit_index == 1 and replica.state == {"x": 1}


def test_replacing_the_log_with_a_diverging_one_undoes_and_replays():
    replica = Replica(log_of([Set("x", 1), Set("x", 2)]))
    replica.commit(2)
    other = log_of([Set("x", 1)]) + [Entry(2, Set("x", 3), "other")]
    undone = replica.replace_log(other)
    assert [str(e) for e in undone] == ["x=2@1"]
    assert replica.commit_index == 1 and replica.state == {"x": 1}
    replica.commit(2)
    assert replica.state == {"x": 3}


def test_the_loop_runs_for_real_on_a_quorum_cluster():
    """The leader of quorum failover ships its log; every replica applies the same
    commands in the same order, so all three end in one state with one set of outputs."""
    sim = fo.build_cluster("quorum", seed=4)
    script = [Set("x", 10), Add("x", 1), Set("y", "hello"), Add("x", 5), Delete("y")]
    for i, command in enumerate(script):
        sim.at(10 + 15 * i, lambda s, c=command: fo.submit(s, "A", c))
    sim.run(200)
    logs = {p: sim.process(p).replica.log for p in sim.pids}
    assert [str(e.command) for e in logs["A"]] == [str(c) for c in script]
    assert logs["A"] == logs["B"] == logs["C"]
    assert fo.states(sim) == {p: {"x": 16} for p in sim.pids}
    outputs = [sim.process(p).replica.outputs for p in sim.pids]
    assert outputs[0] == outputs[1] == outputs[2]
    assert list(outputs[0].values()) == [None, 11, None, 16, "hello"]


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Set("", 1), "a key must be a non-empty str"),
        (lambda: Add("x", "1"), "Add amount must be a number"),
        (lambda: Delete(3), "a key must be a non-empty str"),
        (lambda: KeyValueStore().apply("x=1"), "a command must be Set, Add or Delete"),
        (lambda: Entry(-1, Set("x", 1), "r"), "entry term must be an int >= 0"),
        (lambda: Entry(1, "x=1", "r"), "a command must be Set, Add or Delete"),
        (lambda: Entry(1, Set("x", 1), ""), "request id must be a non-empty str"),
        (lambda: Replica().append(Set("x", 1)), "an appended entry must be an Entry"),
        (lambda: Replica([Set("x", 1)]), "a log holds Entry objects"),
        (lambda: Replica().commit(-1), "commit index must be an int >= 0"),
    ],
)
def test_bad_input_fails_with_a_clear_message(make, message):
    with pytest.raises(ValueError, match=message):
        make()
