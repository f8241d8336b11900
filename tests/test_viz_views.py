"""Views are functions of a trace: live or loaded from JSON, they show the same thing."""

from __future__ import annotations

import re

import matplotlib
import pytest

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402

from ddia10.sim import Simulation, Trace  # noqa: E402
from ddia10.viz import (  # noqa: E402
    Scenario,
    cluster_geometry,
    cluster_graph,
    cluster_svg,
    cluster_view,
    describe,
    spacetime,
    spacetime_svg,
)
from ddia10.viz.demo import HeartbeatNode, heartbeat_scenario  # noqa: E402
from ddia10.viz.spacetime import diagram  # noqa: E402


def eventful_trace() -> Trace:
    """Heartbeats through a crash, a pause, a partition, losses and duplicates."""
    sim = Simulation(5, latency=(5, 15), duplicate=0.2)
    for p in "abc":
        sim.add(p, HeartbeatNode)
    sim.set_link("a", "c", loss=0.5)
    sim.run(120)
    sim.crash("a")
    sim.run(200)
    sim.pause("b")
    sim.run(60)
    sim.resume("b")
    sim.partition(["c"], ["a", "b"])
    sim.restart("a")
    sim.run(150)
    sim.heal()
    sim.note("healed")
    sim.run(40)
    return sim.trace


@pytest.fixture(scope="module")
def trace() -> Trace:
    return eventful_trace()


def test_view_follows_faults_and_annotations():
    sim = Simulation(1, latency=(5, 15))
    for p in "abc":
        sim.add(p, HeartbeatNode)
    sim.run(100)
    view = cluster_view(sim.trace)
    assert [view.role(p) for p in "abc"] == ["leader", "follower", "follower"]
    sim.crash("a")
    sim.pause("b")
    sim.partition(["c"])
    view = cluster_view(sim.trace)
    assert view.role("a") == "crashed" and view.role("b") == "paused"
    assert not view.reachable("a", "c") and view.reachable("a", "b")
    sim.resume("b")
    sim.heal()
    sim.disconnect("c")
    view = cluster_view(sim.trace)
    assert view.role("b") == "follower" and view.processes["c"].disconnected
    assert not view.reachable("b", "c")


def test_in_flight_messages_match_the_simulator(trace):
    sim = Simulation(2, latency=(5, 15), duplicate=0.3)
    for p in "abc":
        sim.add(p, HeartbeatNode)
    for _ in range(60):
        sim.step()
        view = cluster_view(sim.trace)
        assert sorted(m.id for m in view.in_flight) == sorted(m["id"] for m in sim.in_flight())


def test_prefix_views_equal_after_a_json_round_trip(trace):
    loaded = Trace.from_json(trace.to_json())
    for k in (0, 7, len(trace) // 2, len(trace)):
        live, back = cluster_view(trace, k), cluster_view(loaded, k)
        assert cluster_geometry(live) == cluster_geometry(back)
        assert [describe(e) for e in live.recent] == [describe(e) for e in back.recent]
    assert spacetime_svg(trace) == spacetime_svg(loaded)


def test_restart_forgets_the_roles_of_the_old_incarnation():
    sim = Simulation(1, latency=(5, 15))
    sim.add("a", HeartbeatNode)
    sim.add("b", HeartbeatNode)
    sim.run(50)
    sim.crash("b")
    sim.restart("b")
    view = cluster_view(sim.trace)
    assert view.processes["b"].status == "up"
    assert view.processes["b"].annotations["role"] == "follower"  # re-annotated on start


def test_cluster_svg_draws_cut_links_and_messages():
    sim = Simulation(1, latency=(5, 15))
    for p in "abc":
        sim.add(p, HeartbeatNode)
    sim.run(60)
    sim.partition(["a"], ["b", "c"])
    while not cluster_view(sim.trace).in_flight:
        sim.step()
    view = cluster_view(sim.trace)
    geo = cluster_geometry(view)
    assert sum(link.broken for link in geo.links) == 2
    assert len(geo.pills) == len(view.in_flight) > 0
    svg = cluster_svg(view)
    assert svg.count("<circle") == 3
    assert svg.count('stroke-dasharray="6 5"') == 2
    assert "Heartbeat" in svg


def test_cluster_graph_is_a_figure(trace):
    fig = cluster_graph(cluster_view(trace, len(trace) // 2))
    assert isinstance(fig, Figure)
    assert fig.axes[0].get_title().startswith("t = ")


def test_spacetime_shapes_cover_every_kind_of_event(trace):
    dia = diagram(trace)
    kinds = {s.kind for s in dia.shapes}
    assert {"arrow", "cross", "tick", "span", "band", "role", "note"} <= kinds
    styles = {s.style for s in dia.shapes if s.kind == "arrow"}
    assert {"ok", "drop", "dup"} <= styles
    reasons = {s.text for s in dia.shapes if s.kind == "cross"}
    assert {"loss", "partition"} <= reasons
    spans = {s.style for s in dia.shapes if s.kind == "span"}
    assert spans == {"crash", "pause"}
    delivered = sum(1 for e in trace if e.kind == "deliver")
    assert sum(s.style in ("ok", "dup") for s in dia.shapes if s.kind == "arrow") == delivered


def test_spacetime_figure_and_annotations(trace):
    fig = spacetime(trace, annotate=lambda e: f"#{e.index}" if e.kind == "crash" else None)
    assert isinstance(fig, Figure)
    texts = [t.get_text() for t in fig.axes[0].texts]
    crash = next(e for e in trace if e.kind == "crash")
    assert f"#{crash.index}" in texts
    assert any(t.startswith("Heartbeat") for t in texts)
    unlabeled = spacetime(trace, labels=False)
    assert not any(t.get_text().startswith("Heartbeat") for t in unlabeled.axes[0].texts)


def test_spacetime_until_and_pids_select(trace):
    early = diagram(trace, until=100, pids=["b", "a"])
    assert early.rows == ("b", "a") and early.end == 100
    assert all(trace[s.event].time <= 100 for s in early.shapes)
    with pytest.raises(ValueError, match="no process"):
        diagram(trace, pids=["zz"])


def test_spacetime_svg_tags_every_element_with_its_event(trace):
    svg = spacetime_svg(trace)
    tagged = re.findall(r'data-i="(\d+)"', svg)
    assert len(tagged) == len(diagram(trace).shapes)
    assert all(0 <= int(i) < len(trace) for i in tagged)
    assert svg.startswith("<svg") and svg.endswith("</svg>")


def test_describe_reads_like_a_sentence(trace):
    lines = [describe(e) for e in trace]
    assert any("drops Heartbeat" in x and "(loss)" in x for x in lines)
    assert any(x.endswith("a crashes") for x in lines)
    assert any("partition c | a b" in x for x in lines)


@pytest.mark.parametrize(
    "bad, message",
    [
        (lambda: cluster_view("trace"), "Trace"),
        (lambda: cluster_view(Trace(), upto=3), "upto"),
        (lambda: spacetime_svg([1, 2]), "Trace"),
        (lambda: spacetime(Trace(), annotate="x"), "annotate"),
        (lambda: cluster_geometry(None), "ClusterView"),
        (lambda: Scenario("", Simulation), "title"),
        (lambda: Scenario("t", Simulation, buttons={"x": 1}), "function"),
        (lambda: Scenario("t", lambda: 3).fresh(), "must return a Simulation"),
    ],
)
def test_bad_arguments_fail_clearly(bad, message):
    with pytest.raises(Exception, match=message):
        bad()


def test_default_state_table_has_a_row_per_process():
    sc = heartbeat_scenario()
    run = sc.run(steps=5)
    table = sc.state_table(cluster_view(run.sim.trace))
    assert list(table["process"]) == ["a", "b", "c"]
    assert {"status", "role", "leader"} <= set(table.columns)


def test_a_scenario_table_replaces_the_default_and_must_be_a_dataframe():
    import pandas as pd

    base = heartbeat_scenario()
    leaders = Scenario(
        "leaders",
        base.build,
        table=lambda v: pd.DataFrame({"leader": [p for p in v.pids if v.role(p) == "leader"]}),
    )
    view = cluster_view(leaders.run(steps=8).sim.trace)
    assert list(leaders.state_table(view)["leader"]) == ["a"]
    broken = Scenario("broken", base.build, table=lambda v: "a table")
    with pytest.raises(Exception, match="must return a pandas DataFrame"):
        broken.state_table(view)


def test_a_window_keeps_what_was_under_way_when_it_opened(trace):
    crash = next(e for e in trace if e.kind == "crash")
    restart = next(e for e in trace if e.kind == "restart")
    dia = diagram(trace, since=crash.time + 10, until=restart.time - 10)
    assert dia.start == crash.time + 10
    spans = [s for s in dia.shapes if s.kind == "span" and s.style == "crash"]
    assert len(spans) == 1 and spans[0].time == dia.start
    assert all(s.last >= dia.start for s in dia.shapes)
    with pytest.raises(ValueError, match="before"):
        diagram(trace, since=50, until=10)
