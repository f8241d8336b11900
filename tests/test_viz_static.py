"""The static player: self-contained HTML that steps through a precomputed run."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from ddia10.viz import show, static_player
from ddia10.viz.demo import heartbeat_scenario

STORY = [(4, "Crash leader"), (20, "Partition a|bc"), (30, "Restart crashed"), (45, "Heal")]


@pytest.fixture(scope="module")
def page() -> str:
    return static_player(heartbeat_scenario(), presses=STORY, steps=60, spacetime=True)


def frames(html: str) -> dict:
    blob = re.search(r'<script type="application/json" class="ddia10-data">(.*?)</script>', html)
    return json.loads(blob.group(1).replace("<\\/", "</"))


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
    s = data["s"]
    roles = [[s[n[0]] for n in f["n"]] for f in data["frames"]]
    assert roles[3][0] != "crashed" and roles[4][0] == "crashed"
    assert roles[30][0] != "crashed"
    assert data["frames"][19]["b"] == [] and data["frames"][20]["b"] == [[0, 1], [0, 2]]
    assert data["frames"][45]["b"] == []
    events = [s[e[0]] for e in data["frames"][4]["e"]]
    assert any("▶ Crash leader" in e for e in events)


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


def test_show_picks_the_face_for_where_it_runs(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    monkeypatch.setenv("DDIA10_STATIC", "1")
    show(heartbeat_scenario(), steps=5)
    assert 'class="ddia10-player"' in shown[-1].data
    monkeypatch.setenv("DDIA10_STATIC", "0")
    show(heartbeat_scenario())
    assert type(shown[-1]).__name__ == "Player"


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs /usr/bin/chromium")
def test_steps_in_a_real_browser(page, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    doc = tmp_path / "players.html"
    second = static_player(heartbeat_scenario(seed=2), steps=10)
    doc.write_text(f"<!doctype html><meta charset=utf-8><body>{page}{second}</body>")
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
        browser.close()
    assert problems == []
