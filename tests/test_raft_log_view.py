"""The log grid shows what the trace's annotations say, in every face."""

from __future__ import annotations

import html
import json
import re

import matplotlib
import pytest

from ddia10.scenarios.raft_deep_dive import diverged_cluster, figure8, reconcile_scenario
from ddia10.sim import Trace
from ddia10.viz import cluster_view
from ddia10.viz.raft_log import (
    LogFrame,
    LogGrid,
    LogPlayerData,
    LogRow,
    leaders,
    log_grid,
    log_grid_figure,
    log_grid_svg,
    log_player,
    log_table,
    next_index_history,
    term_color,
)
from ddia10.viz.spacetime import text_width
from ddia10.viz.stepper import script

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def repaired():
    c = diverged_cluster()
    before = len(c.trace)
    c.run(200)
    return c, before


def test_grid_rows_are_the_servers_logs(repaired):
    c, _ = repaired
    grid = log_grid(c.trace)
    for pid in c.ids:
        state = c.state(pid)
        assert grid.terms(pid) == [t for t, _cmd in state.log]
        assert grid.row(pid).commit_index == state.commit_index or state.role == "crashed"
    assert grid.leader == c.leader() == 3 and grid.leader_term == 4


def test_grid_of_a_prefix_is_the_past(repaired):
    c, before = repaired
    then = log_grid(c.trace, upto=before)
    assert then.terms(5) == [1, 1] + [2] * 7
    assert then.row(5).role == "leader" and then.row(5).term == 2
    assert then.row(5).commit_index == 3
    now = log_grid(c.trace)
    assert now.terms(5) == now.terms(3)


def test_leader_progress_comes_from_the_leaders_annotations(repaired):
    c, _ = repaired
    grid = log_grid(c.trace)
    leader = c.node(3)
    assert grid.next_index == {str(p): pr.next_index for p, pr in leader.progress.items()}
    assert grid.match_index == {str(p): pr.match_index for p, pr in leader.progress.items()}


def test_a_trace_loaded_from_json_gives_the_same_grid(repaired):
    c, before = repaired
    loaded = Trace.from_json(c.trace.to_json())
    for upto in (before, len(c.trace)):
        a, b = log_grid(c.trace, upto), log_grid(loaded, upto)
        assert [(r.pid, r.entries, r.commit_index) for r in a.rows] == \
               [(r.pid, r.entries, r.commit_index) for r in b.rows]
        assert (a.next_index, a.match_index) == (b.next_index, b.match_index)


def test_svg_marks_commit_and_uncommitted_entries(repaired):
    c, before = repaired
    grid = log_grid(c.trace, upto=before)
    svg = log_grid_svg(grid)
    uncommitted = sum(1 for r in grid.rows for k in range(len(r.entries))
                      if r.first + k > r.commit_index)
    assert uncommitted > 0
    assert svg.count('stroke-dasharray="3 2"') == uncommitted
    assert svg.count("(not committed)") == uncommitted
    assert term_color(2) in svg and "http://www.w3.org/2000/svg" in svg


def test_svg_shows_the_leaders_next_and_match():
    c2 = diverged_cluster()
    c2.run(22)  # server 3 leads, has sent its first probe to 5
    grid = log_grid(c2.trace)
    assert grid.leader == 3 and grid.next_index["5"] == 9
    assert "next 9 · match 0" in log_grid_svg(grid)


def test_figure_draws_one_patch_per_entry(repaired):
    c, _ = repaired
    grid = log_grid(c.trace)
    fig = log_grid_figure(grid)
    cells = sum(len(r.entries) for r in grid.rows)
    assert len(fig.axes[0].patches) == cells
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()][2] == "3 · leader · t4"


def test_table_puts_a_bar_after_the_commit_index(repaired):
    c, before = repaired
    table = log_table(cluster_view(c.trace, before)).set_index("server")
    assert table.loc["5", "log (terms)"] == "1 1 2 | 2 2 2 2 2 2"
    assert table.loc["5", "role"] == "leader"
    assert table.loc["2", "role"] == "crashed"


def test_next_index_history_is_the_back_off(repaired):
    c, _ = repaired
    assert next_index_history(c.trace, 3, 5) == [9, 4, 10]


def test_leaders_lists_every_election_with_its_term():
    c = figure8(bug=False)
    assert [(pid, term) for _t, pid, term in leaders(c.trace)] == \
           [(2, 1), (1, 2), (5, 3), (1, 4), (5, 5)]


def test_player_steps_the_scenario_with_shared_pictures():
    scenario = reconcile_scenario(hints=False)
    html = log_player(scenario, steps=40).html
    data = json.loads(re.search(r'class="ddia10-data">(.*?)</script>', html).group(1)
                      .replace("<\\/", "</"))
    frames = [LogFrame(*f) for f in data["frames"]]
    assert len(frames) == 41
    assert len(data["pictures"]) < len(frames)  # steps that change no log share a picture
    assert all(0 <= f.picture < len(data["pictures"]) for f in frames)
    assert "http" not in html.replace("http://www.w3.org/2000/svg", "")
    for action in ("prev", "next", "play", "reset", "seek"):
        assert f'data-action="{action}"' in html


def test_the_log_players_script_reads_the_keys_its_format_declares():
    assert set(re.findall(r"\bD\.(\w+)", script("log_player.js"))) == set(
        LogPlayerData.__annotations__)


def test_player_of_a_trace_steps_at_the_chosen_events():
    c = figure8(bug=True)
    notes = c.trace.of_kind("note")
    html = log_player(c.trace, step_kinds={"note"}).html
    data = json.loads(re.search(r'class="ddia10-data">(.*?)</script>', html).group(1))
    frames = [LogFrame(*f) for f in data["frames"]]
    assert len(frames) == len(notes) + 1
    assert [f.note for f in frames[1:]] == [n.data["text"] for n in notes]


def test_bad_inputs_fail_with_a_clear_message(repaired):
    c, _ = repaired
    with pytest.raises(ValueError, match="no server"):
        log_grid(c.trace, servers=[9])
    with pytest.raises(TypeError, match="Scenario or a Trace"):
        log_player("figure 8")
    with pytest.raises(TypeError, match="LogGrid"):
        log_grid_svg(c.trace)
    with pytest.raises(KeyError, match="no server 7"):
        log_grid(c.trace).row(7)
    assert isinstance(log_grid(c.trace), LogGrid)


def test_configuration_entries_are_marked():
    from ddia10.scenarios.raft_deep_dive import membership_run

    run = membership_run()
    grid = log_grid(run.cluster.trace)
    configs = [label for _t, label in grid.row(4).entries if label.startswith("config")]
    assert len(configs) == 4  # learner, promotion, C_old,new, C_new
    in_all_rows = sum(label.startswith("config") for r in grid.rows for _t, label in r.entries)
    assert log_grid_svg(grid).count(">C1</text>") == in_all_rows


def _wide_grid() -> LogGrid:
    """A long log deep into its indexes, with a long server name: every word is wide."""
    entries = tuple((12, "set") for _ in range(16))
    rows = tuple(
        LogRow(pid, "up", role, 12, 990, entries, 1004, 989)
        for pid, role in (("eu-west-1a", "leader"), ("eu-west-1b", "follower"),
                          ("eu-west-1c", "candidate"))
    )
    return LogGrid(123456.7, rows, "eu-west-1a", 12,
                   {"eu-west-1b": 1006, "eu-west-1c": 1006},
                   {"eu-west-1b": 1005, "eu-west-1c": 1005}, None)


def _text_extents(svg: str):
    """Each text's estimated left and right edge (the width estimate every view uses)."""
    for attrs, body in re.findall(r"<text ([^>]*)>([^<]*)</text>", svg):
        a = dict(re.findall(r'([\w-]+)="([^"]*)"', attrs))
        width = text_width(html.unescape(body), float(a["font-size"]))
        left = float(a["x"]) - {"start": 0, "middle": width / 2, "end": width}[
            a.get("text-anchor", "start")]
        yield left, left + width


@pytest.mark.parametrize("grid", ["membership", "wide"])
def test_svg_is_wide_enough_for_every_word(grid):
    from ddia10.scenarios.raft_deep_dive import membership_run

    if grid == "membership":
        run = membership_run()
        grid = log_grid(run.cluster.trace, servers=run.cluster.ids)
        assert grid.last >= 14
    else:
        grid = _wide_grid()
    svg = log_grid_svg(grid)
    width = float(re.search(r'viewBox="0 0 ([\d.]+) ', svg).group(1))
    extents = list(_text_extents(svg))
    assert any(right > width - 140 for _left, right in extents)  # words right of the grid
    assert all(0 <= left and right <= width for left, right in extents)


def test_figure_grows_for_its_words_instead_of_squeezing_the_cells():
    fig = log_grid_figure(_wide_grid())
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    for word in [*ax.texts, ax.title, *ax.get_yticklabels(), *ax.get_xticklabels()]:
        box = word.get_window_extent(renderer)
        assert fig.bbox.x0 <= box.x0 and box.x1 <= fig.bbox.x1, word.get_text()
    lo, hi = ax.get_xlim()
    assert ax.get_window_extent().width / (hi - lo) / fig.dpi >= 0.4  # inches per column
