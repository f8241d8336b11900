"""The static player: self-contained HTML that steps through a precomputed run."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

from ddia10.scenarios.raft_deep_dive import worked_example_scenario
from ddia10.viz import cluster_view, log_panel, show, static_player
from ddia10.viz.demo import heartbeat_scenario
from ddia10.viz.static import Frame, FrameEvent, FrameNode, PlayerData
from ddia10.viz.stepper import script

STORY = [(4, "Crash leader"), (20, "Partition a|bc"), (30, "Restart crashed"), (45, "Heal")]


@pytest.fixture(scope="module")
def page() -> str:
    return static_player(heartbeat_scenario(), presses=STORY, steps=60, spacetime=True)


def frames(html: str) -> dict:
    blob = re.search(r'<script type="application/json" class="ddia10-data">(.*?)</script>', html)
    return json.loads(blob.group(1))


def test_markup_contract(page):
    assert page.startswith('<div class="ddia10-player" id="ddia10-player-')
    for action in ("prev", "next", "play", "reset"):
        assert f'data-action="{action}"' in page
    assert '<input type="range"' in page
    assert 'class="ddia10-frame"><svg' in page
    assert 'class="ddia10-counter">step 0 / 60<' in page


def test_nothing_is_fetched_from_anywhere(page):
    assert "http" not in page
    assert not re.search(r"""(src|href)\s*=|url\((?!#)|@import""", page)


def test_frames_follow_the_story(page):
    data = frames(page)
    assert len(data["frames"]) == 61
    s = data["strings"]
    roles = [[s[FrameNode(*n).role] for n in f["nodes"]] for f in data["frames"]]
    assert roles[3][0] != "crashed" and roles[4][0] == "crashed"
    assert roles[30][0] != "crashed"
    assert data["frames"][19]["broken"] == [] and data["frames"][20]["broken"] == [[0, 1], [0, 2]]
    assert data["frames"][45]["broken"] == []
    events = [FrameEvent(*e) for e in data["frames"][4]["recent"]]
    assert any("▶ Crash leader" in s[e.text] and e.tone == 1 for e in events)


def test_the_page_and_its_script_use_exactly_the_keys_the_formats_declare(page):
    data = frames(page)
    frame_keys = Frame.__required_keys__ | Frame.__optional_keys__
    assert set(data) == set(PlayerData.__annotations__)
    assert all(Frame.__required_keys__ <= set(f) <= frame_keys for f in data["frames"])
    code = script("cluster_player.js")
    assert set(re.findall(r"\bD\.(\w+)", code)) == set(PlayerData.__annotations__)
    assert set(re.findall(r"\bf\.(\w+)", code)) == frame_keys


def test_ids_are_unique_and_the_page_stays_small(page):
    other = static_player(heartbeat_scenario(), presses=STORY, steps=60, spacetime=True)
    ids = re.findall(r'id="([^"]+)"', page + other)
    assert len(ids) == len(set(ids)) >= 2
    assert len(page.encode()) < 300_000


def test_same_inputs_same_frames(page):
    again = static_player(heartbeat_scenario(), presses=STORY, steps=60, spacetime=True)
    assert frames(again) == frames(page)


def test_a_diagram_too_long_for_a_page_is_refused(monkeypatch):
    monkeypatch.setattr("ddia10.viz.static.MAX_DIAGRAM_EVENTS", 50)
    with pytest.raises(ValueError, match="spacetime=False"):
        static_player(heartbeat_scenario(), steps=60, spacetime=True)
    assert "ddia10-player" in static_player(heartbeat_scenario(), steps=60)


def test_bad_arguments_fail_clearly():
    with pytest.raises(TypeError, match="Scenario"):
        static_player("nope")
    with pytest.raises(ValueError, match="steps"):
        static_player(heartbeat_scenario(), steps=-1)
    with pytest.raises(ValueError, match="no button"):
        static_player(heartbeat_scenario(), presses=[(1, "Explode")])


# ---------------------------------------------------------------- panels
def roles_panel(view) -> str:
    """Who is what: changes when a role does, not with every step."""
    roles = " ".join(f"{pid}={p.role}" for pid, p in view.processes.items())
    return f'<svg width="300" height="20"><text x="4" y="14">{roles}</text></svg>'


def panel_at(data: dict, step: int, which: int = 0) -> str:
    """What the page's script puts in panel ``which`` at ``step``."""
    fragment = data["fragments"][data["frames"][step]["panels"][which]]
    return "".join(data["strings"][t] for t in fragment)


PANEL_STORY = [(4, "Crash leader"), (20, "Restart crashed")]


@pytest.fixture(scope="module")
def panel_page() -> str:
    scenario = dataclasses.replace(heartbeat_scenario(), panels={"Roles": roles_panel})
    return static_player(scenario, presses=PANEL_STORY, steps=30)


def test_panels_are_in_the_page_and_change_with_the_step(panel_page):
    assert panel_page.count('class="ddia10-panel-name">Roles<') == 1
    assert 'class="ddia10-panel-body"' in panel_page
    data = frames(panel_page)
    assert "a=crashed" not in panel_at(data, 3)
    assert "a=crashed" in panel_at(data, 4)
    assert "a=crashed" not in panel_at(data, 30)
    run = heartbeat_scenario().run(PANEL_STORY, steps=30)
    assert panel_at(data, 30) == roles_panel(cluster_view(run.sim.trace))


def test_each_distinct_fragment_is_stored_once(panel_page):
    data = frames(panel_page)
    shown = [panel_at(data, k) for k in range(len(data["frames"]))]
    assert len(data["fragments"]) == len(set(shown)) < len(shown) / 3
    assert len(data["strings"]) == len(set(data["strings"]))  # each tag of a fragment once


def test_a_page_without_panels_carries_none():
    data = frames(static_player(heartbeat_scenario(), steps=5))
    assert data["fragments"] == [] and all("panels" not in f for f in data["frames"])


def test_a_fragment_cannot_end_the_script_or_the_player():
    hostile = "<svg><text>&lt;/script&gt; <!-- </script> </div></div></div></text></svg>"
    scenario = dataclasses.replace(heartbeat_scenario(), panels={"Hostile": lambda v: hostile})
    html = static_player(scenario, steps=3)
    assert html.count("</script>") == 2  # the data block's and the script's own
    assert "<!--" not in html
    assert panel_at(frames(html), 2) == hostile
    assert html.endswith("})();\n</script></div>")


def test_a_raft_page_with_its_logs_stays_small():
    scenario = worked_example_scenario()
    without = static_player(scenario, steps=100)
    html = static_player(dataclasses.replace(scenario, panels={"Logs": log_panel}), steps=100)
    data = frames(html)
    grids = ["".join(data["strings"][t] for t in f) for f in data["fragments"]]
    assert len(grids) > 10 and all("<svg" in g for g in grids)
    # grids that differ by a cell share the rest: far less than storing each grid whole
    assert len(html.encode()) - len(without.encode()) < sum(map(len, grids)) / 4


def test_show_picks_the_face_for_where_it_runs(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    monkeypatch.setenv("DDIA10_STATIC", "1")
    show(heartbeat_scenario(), steps=5)
    assert 'class="ddia10-player"' in shown[-1].data
    monkeypatch.setenv("DDIA10_STATIC", "0")
    show(heartbeat_scenario())
    assert type(shown[-1]).__name__ == "Player"


needs_chromium = pytest.mark.skipif(
    not Path("/usr/bin/chromium").exists(), reason="needs /usr/bin/chromium"
)


@contextmanager
def browse(html: str, tmp_path: Path):
    """A headless Chromium tab showing ``html``; yields the tab and the problems it saw
    (script errors, console errors, anything fetched)."""
    playwright = pytest.importorskip("playwright.sync_api")
    doc = tmp_path / "players.html"
    doc.write_text(f"<!doctype html><meta charset=utf-8><body>{html}</body>")
    problems = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        tab = browser.new_page()
        tab.on("pageerror", lambda e: problems.append(str(e)))
        tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        tab.on("request", lambda r: None if r.url.startswith("file:") else problems.append(r.url))
        tab.goto(doc.as_uri())
        try:
            yield tab, problems
        finally:
            browser.close()


@needs_chromium
def test_steps_in_a_real_browser(page, tmp_path):
    second = static_player(heartbeat_scenario(seed=2), steps=10)
    with browse(page + second, tmp_path) as (tab, problems):
        first, other = tab.locator(".ddia10-player").nth(0), tab.locator(".ddia10-player").nth(1)
        frame0 = first.locator(".ddia10-frame").inner_html()
        for _ in range(5):
            first.locator('[data-action="next"]').click()
        assert first.locator(".ddia10-counter").inner_text().startswith("step 5 / 60")
        assert "crashed" in first.locator(".ddia10-frame").inner_html()
        assert first.locator(".ddia10-frame").inner_html() != frame0
        first.locator('[data-action="prev"]').click()
        assert first.locator(".ddia10-counter").inner_text().startswith("step 4 / 60")
        assert other.locator(".ddia10-counter").inner_text().startswith("step 0 / 10")
        hidden = first.locator(".ddia10-diagram [data-i]").evaluate_all(
            "els => els.filter(e => e.style.display === 'none').length"
        )
        assert hidden > 0
        first.locator('[data-action="reset"]').click()
        assert first.locator(".ddia10-counter").inner_text().startswith("step 0 / 60")
    assert problems == []


@needs_chromium
def test_panels_step_in_a_real_browser(tmp_path):
    logs = dataclasses.replace(worked_example_scenario(), panels={"Logs": log_panel})
    hostile = dataclasses.replace(
        heartbeat_scenario(),
        panels={"Stray tags": lambda view: f"<b>{view.upto}</b></div></div><!-- </script>"},
    )
    html = static_player(logs, steps=40) + static_player(hostile, steps=5)
    with browse(html + static_player(heartbeat_scenario(), steps=5), tmp_path) as (tab, problems):
        players = tab.locator(".ddia10-player")
        assert players.count() == 3  # a fragment's stray tags stay inside its own box
        grid = players.nth(0).locator(".ddia10-panel-body")
        at_0 = grid.inner_html()
        assert at_0.startswith("<svg") and "<rect" not in at_0  # no entries yet
        players.nth(0).locator('input[type="range"]').fill("40")
        at_40 = grid.inner_html()
        assert at_40.startswith("<svg") and "<rect" in at_40
        players.nth(0).locator('[data-action="reset"]').click()
        assert grid.inner_html() == at_0
        stray = players.nth(1).locator(".ddia10-panel-body")
        before = stray.inner_text()
        assert before.isdigit()
        players.nth(1).locator('[data-action="next"]').click()
        assert stray.inner_text() != before
        players.nth(2).locator('[data-action="next"]').click()
        assert players.nth(2).locator(".ddia10-counter").inner_text().startswith("step 1 / 5")
    assert problems == []
