"""The role diagram read from real traces: which transitions a run took, and why."""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from ddia10.raft import RaftCluster  # noqa: E402
from ddia10.scenarios.raft import election_trial_cluster  # noqa: E402
from ddia10.viz.state_diagram import (  # noqa: E402
    PAPER_EDGES,
    START,
    Transition,
    draw_state_diagram,
    role_transitions,
    state_diagram_html,
    state_diagram_svg,
    state_graph,
)


@pytest.fixture(scope="module")
def crash_run():
    c = RaftCluster(5, seed=3)
    first = c.wait_for_leader()
    c.run(200)
    c.crash(first)
    c.run(1000)
    c.restart(first)
    c.run(500)
    return c, first


def test_every_server_starts_as_a_follower(crash_run):
    c, _ = crash_run
    starts = [t for t in role_transitions(c.trace) if t.src == START]
    assert {t.pid for t in starts} == set(c.ids)
    assert all(t.dst == "follower" for t in starts)


def test_5_2_a_follower_becomes_candidate_only_on_its_election_timeout(crash_run):
    c, _ = crash_run
    moves = [t for t in role_transitions(c.trace) if (t.src, t.dst) == ("follower", "candidate")]
    assert moves and all(t.cause == "timeout" for t in moves)


def test_5_2_a_candidate_leads_only_with_a_majority_of_votes(crash_run):
    c, _ = crash_run
    wins = [t for t in role_transitions(c.trace) if t.dst == "leader"]
    assert len(wins) == 2 and all(t.src == "candidate" and t.cause == "majority" for t in wins)


def test_a_restarted_leader_comes_back_as_a_follower(crash_run):
    c, first = crash_run
    back = [t for t in role_transitions(c.trace) if t.pid == first and t.src == START]
    assert [t.cause for t in back] == ["start", "restart"]


def test_no_server_ever_goes_from_follower_straight_to_leader():
    c = RaftCluster(5, seed=11, latency=(1.0, 10.0), loss=0.05)
    for _ in range(6):
        c.run(400)
        leader = c.leader()
        if leader is not None:
            c.crash(leader)
        c.run(300)
        for pid in c.ids:
            if not c.sim.is_up(pid):
                c.restart(pid)
    pairs = {(t.src, t.dst) for t in role_transitions(c.trace)}
    assert ("follower", "leader") not in pairs
    assert ("follower", "candidate") in pairs and ("candidate", "leader") in pairs


def test_a_split_vote_lights_the_arrows_figure_4_lacks():
    # Equal timeouts split the vote; our candidates step down as soon as a
    # majority refuses them (as etcd's do): an arrow of the implementation.
    _trial, c = election_trial_cluster((150, 150), 1)
    g = state_graph(c.trace)
    extra = [(a, b, d) for a, b, d in g.edges(data=True) if not d["paper"] and d["count"]]
    assert ("candidate", "follower") in {(a, b) for a, b, _ in extra}


def test_the_graph_keeps_every_paper_arrow_and_counts_every_transition(crash_run):
    c, _ = crash_run
    transitions = role_transitions(c.trace)
    g = state_graph(transitions)
    paper = {(a, b) for a, b, d in g.edges(data=True) if d["paper"]}
    assert paper == set(PAPER_EDGES)
    assert sum(d["count"] for _a, _b, d in g.edges(data=True)) == len(transitions)
    steps = sorted(s for _a, _b, d in g.edges(data=True) for s in d["steps"])
    assert steps == list(range(len(transitions)))
    assert sum(d["count"] for *_e, d in state_graph(transitions, upto=3).edges(data=True)) == 3


def test_the_svg_marks_each_edge_with_the_steps_that_took_it(crash_run):
    c, _ = crash_run
    svg = state_diagram_svg(c.trace)
    g = state_graph(c.trace)
    assert svg.count('<g class="edge') == g.number_of_edges()
    assert svg.count('class="edge lit"') == sum(1 for *_e, d in g.edges(data=True) if d["count"])


def test_the_stepper_is_self_contained_and_unique(crash_run):
    c, _ = crash_run
    a, b = state_diagram_html(c.trace), state_diagram_html(c.trace)
    assert "http" not in a.replace('xmlns="http://www.w3.org/2000/svg"', "")
    ids = [h.split('id="', 1)[1].split('"', 1)[0] for h in (a, b)]
    assert ids[0] != ids[1]
    assert a.count("<script") == 2


def test_matplotlib_face_draws_a_figure(crash_run):
    c, _ = crash_run
    fig = draw_state_diagram(c.trace)
    assert fig.axes and fig.axes[0].patches


def test_bad_inputs_are_refused():
    with pytest.raises(TypeError, match="Trace"):
        role_transitions([1, 2])
    with pytest.raises(ValueError, match="upto"):
        state_graph([], upto=-1)
    with pytest.raises(TypeError, match="Transition"):
        state_graph(["x"])
    t = Transition(0, 0.0, 1, "follower", "candidate", 1, "timeout")
    assert "follower → candidate" in t.describe()
