"""Words in a space-time diagram never print over each other, in either face."""

from __future__ import annotations

import html
import re
from itertools import combinations

import matplotlib
import pytest

matplotlib.use("Agg")

from ddia10.scenarios.raft_deep_dive import worked_example_scenario  # noqa: E402
from ddia10.sim import Simulation  # noqa: E402
from ddia10.viz import spacetime, spacetime_svg  # noqa: E402
from ddia10.viz.demo import HeartbeatNode  # noqa: E402
from ddia10.viz.spacetime import diagram, place_labels, text_width  # noqa: E402

SIZE = 9  # the SVG face's font size
PLACED = "ok|dup|drop|fl|x|role|op|lbl|crash|pause|disconnect"


@pytest.fixture(scope="module")
def raft():
    """Chapter 5's worked example: a leader broadcasting AppendEntries to four followers."""
    return worked_example_scenario().run(steps=72).sim.trace


def svg_words(svg: str) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Every placed word of a space-time SVG with its estimated box."""
    out = []
    for _cls, body in re.findall(rf'<g class="({PLACED})" data-i="\d+">(.*?)</g>', svg):
        for x, y, text in re.findall(r'<text x="([\d.-]+)" y="([\d.-]+)">([^<]*)</text>', body):
            text = html.unescape(text)
            half, cy = text_width(text, SIZE) / 2, float(y) - 0.35 * SIZE
            out.append((text, (float(x) - half, cy - SIZE / 2, float(x) + half, cy + SIZE / 2)))
    return out


def overlaps(boxes) -> list:
    return [
        (a, b) for (a, p), (b, q) in combinations(boxes, 2)
        if p[0] < q[2] and q[0] < p[2] and p[1] < q[3] and q[1] < p[3]
    ]


def test_svg_words_of_a_raft_broadcast_do_not_overlap(raft):
    svg = spacetime_svg(raft)
    words = svg_words(svg)
    assert sum(text.startswith("AppendEntries") for text, _box in words) > 10
    assert overlaps(words) == []


def test_message_labels_stay_inside_the_picture(raft):
    svg = spacetime_svg(raft)
    width = float(re.search(r'width="(\d+)"', svg).group(1))
    left, right = (float(v) for v in re.search(r'data-left="(\d+)" data-right="(\d+)"',
                                                   svg).groups())
    messages = [box for text, box in svg_words(svg) if text.startswith("Append")]
    assert all(left <= b[0] and b[2] <= width - right for b in messages)


def test_matplotlib_words_do_not_overlap(raft):
    fig = spacetime(raft)
    renderer = fig.canvas.get_renderer()
    words = [(t.get_text(), t.get_window_extent(renderer).extents)
             for t in fig.axes[0].texts if t.get_ha() == "center"]
    assert len(words) > 20
    assert overlaps(words) == []


def test_a_broadcast_has_one_label_with_its_count(raft):
    dia = diagram(raft)
    arrows = {n: s for n, s in enumerate(dia.shapes) if s.kind == "arrow"}
    first = min((s for s in arrows.values() if s.text == "AppendEntries" and s.row == 0),
                key=lambda s: s.time)
    fan = [n for n, s in arrows.items() if (s.row, s.time, s.text) ==
           (0, first.time, "AppendEntries")]
    assert len(fan) == 4  # server 1's first AppendEntries go to the four others at once
    words = place_labels(dia, ms=10, row=64, size=SIZE)
    labelled = [words[n][2] for n in fan if n in words]
    assert labelled == ["AppendEntries ×4"]
    assert words == place_labels(dia, ms=10, row=64, size=SIZE)  # a function of the diagram
    assert "AppendEntries ×4" in spacetime_svg(raft)
    assert "AppendEntries ×4" in [t.get_text() for t in spacetime(raft).axes[0].texts]


def test_annotations_at_one_moment_stack_instead_of_overprinting():
    sim = Simulation(3, latency=(5, 15))
    for p in "abcd":
        sim.add(p, HeartbeatNode)
    sim.run(60)
    notes = lambda e: f"send #{e.index}" if e.kind == "send" else None  # noqa: E731
    words = [(t, box) for t, box in svg_words(spacetime_svg(sim.trace, annotate=notes))
             if t.startswith("send #")]
    assert len(words) == sum(e.kind == "send" for e in sim.trace) >= 6
    assert overlaps(words) == []


def cluster_words(geo) -> list[tuple[str, tuple[float, float, float, float]]]:
    """The words of a cluster picture as the geometry places them, with estimated boxes."""
    from ddia10.viz.cluster import _subtitle, pill_width

    words = []
    for n in geo.nodes:
        words.append((n.pid, (n.x - 12, n.y - 7, n.x + 12, n.y + 8)))
        if not n.labelled:
            continue
        width = text_width(_subtitle(n), 11)
        left = n.x + n.label_dx - {"start": 0, "middle": width / 2, "end": width}[n.anchor]
        words.append((_subtitle(n), (left, n.y + n.label_dy - 11, left + width,
                                     n.y + n.label_dy + 3)))
    for m in geo.pills:
        half = max(pill_width(m.label), text_width(m.label, 10)) / 2
        words.append((m.label, (m.x - half, m.y - 8, m.x + half, m.y + 8)))
    return words


@pytest.mark.parametrize("story", ["ch0", "ch1", "ch4", "ch6"])
def test_no_two_words_of_a_cluster_picture_overlap_in_any_step(story):
    from ddia10.scenarios import linearizability, paxos, raft, the_problem
    from ddia10.viz.cluster import cluster_geometry, node_positions
    from ddia10.viz.view import ViewFolder

    scenario, presses, steps = {
        "ch0": (the_problem.quorum_split_brain(), the_problem.STORY, the_problem.STORY_STEPS),
        "ch1": (linearizability.follower_read_scenario(), (), linearizability.PLAYER_STEPS),
        "ch4": (raft.raft_cluster_scenario(), raft.STORY, raft.STORY_STEPS),
        "ch6": (paxos.paxos_player(), paxos.STORY, paxos.STORY_STEPS),
    }[story]
    run = scenario.run(presses, steps=steps)
    pids = run.sim.pids
    positions = node_positions(pids, scenario.layout)
    folder, pills = ViewFolder(), 0
    for mark, timers in zip(run.marks, run.timers, strict=True):
        folder.feed(run.sim.trace.events[folder.count:mark])
        view = folder.view()
        geo = cluster_geometry(view, {p: positions[p] for p in view.pids}, timers)
        pills += len(geo.pills)
        assert overlaps(cluster_words(geo)) == [], f"at event {mark}, t={view.time}"
    assert pills > steps  # messages were drawn, not left out


def test_no_edge_label_of_the_role_diagram_overlaps_a_role_or_another_label():
    from ddia10.scenarios.raft import roles_run
    from ddia10.viz.state_diagram import role_transitions, state_diagram_svg

    svg = state_diagram_svg(role_transitions(roles_run()[0].trace))
    words = []
    for x, y, size, text in re.findall(
            r'<text x="([\d.-]+)" y="([\d.-]+)" font-size="([\d.]+)"[^>]*>([^<]*)</text>', svg):
        size, text = float(size), html.unescape(text)
        half = text_width(text + (" ×999" if float(size) < 11 else ""), size) / 2
        words.append((text, (float(x) - half, float(y) - size, float(x) + half, float(y) + 3)))
    assert len(words) > 8
    assert overlaps(words) == []
