"""Every static view steps the same way: one button bar, one control script."""

from __future__ import annotations

import re

import pytest
from test_viz_static import browse, needs_chromium

from ddia10.scenarios.raft_deep_dive import figure8
from ddia10.viz import log_player, static_player
from ddia10.viz.demo import heartbeat_scenario
from ddia10.viz.state_diagram import role_transitions, state_diagram_html
from ddia10.viz.stepper import script


@pytest.fixture(scope="module")
def trace():
    return figure8(bug=False).trace


@pytest.fixture(scope="module")
def pages(trace):
    """One player of each kind, with the number of its last step."""
    notes = len(trace.of_kind("note"))
    return {
        "cluster": (static_player(heartbeat_scenario(), steps=12), 12),
        "log": (log_player(trace, step_kinds={"note"}).html, notes),
        "roles": (state_diagram_html(trace, title="Roles"), len(role_transitions(trace))),
    }


def control_script(template: str) -> re.Pattern:
    """The template's lines (indentation aside) with its holes left open."""
    lines = [re.escape(line.strip()) for line in template.splitlines() if line.strip()]
    pattern = "\n".join(lines) + "\n"
    for hole, fill in [("__ID__", r"(?P<id>[\w-]+)"), ("__UNIT__", r'"\w+ "'),
                       ("__INTERVAL__", r"\d+"), ("__DRAW__", r"(?P<draw>function .+?)")]:
        pattern = pattern.replace(hole, fill)
    return re.compile(pattern, re.S)


@pytest.mark.parametrize("kind", ["cluster", "log", "roles"])
def test_each_view_is_stepped_by_the_shared_control_script(pages, kind):
    html, _ = pages[kind]
    code = re.search(r"<script>(.*)</script></div>$", html, re.S).group(1)
    filled = control_script(script("controls.js")).fullmatch(code)
    assert filled, f"the {kind} player does not use the shared control script"
    assert html.startswith(f'<div class="ddia10-player" id="{filled["id"]}">')
    assert "data-action" not in filled["draw"]  # moving between steps is not the view's job


@pytest.mark.parametrize("kind", ["cluster", "log", "roles"])
def test_each_view_keeps_the_markup_contract(pages, kind):
    html, last = pages[kind]
    assert html.startswith('<div class="ddia10-player" id="ddia10-')
    for action in ("prev", "next", "play", "reset"):
        assert html.count(f'<button type="button" data-action="{action}"') == 1
    seek = re.search(r'<input type="range" min="0" max="(\d+)" value="0" data-action="seek"', html)
    assert seek and int(seek.group(1)) == last
    assert html.count('class="ddia10-frame"') == 1
    assert re.search(r'class="ddia10-counter">\w+ 0 / \d+<', html)
    assert "http" not in html
    assert not re.search(r"""(?<![\w-])(src|href)\s*=|url\((?!#)|@import""", html)
    ids = re.findall(r'id="([^"]+)"', html)
    assert len(ids) == len(set(ids))


def test_the_same_run_drawn_twice_gets_two_ids(trace):
    def root_id(html: str) -> str:
        return re.match(r'<div class="ddia10-player" id="([^"]+)"', html).group(1)

    assert root_id(state_diagram_html(trace)) != root_id(state_diagram_html(trace))
    assert root_id(log_player(trace).html) != root_id(log_player(trace).html)


@needs_chromium
def test_all_three_kinds_step_and_play_on_one_page(pages, tmp_path):
    html = "".join(page for page, _ in pages.values())
    with browse(html, tmp_path) as (tab, problems):
        players = tab.locator(".ddia10-player")
        assert players.count() == 3
        for index, kind in enumerate(pages):
            player = players.nth(index)
            frame, counter = player.locator(".ddia10-frame"), player.locator(".ddia10-counter")
            start, start_step = frame.inner_html(), counter.inner_text()
            forward = 0
            while frame.inner_html() == start and forward < 10:
                before = counter.inner_text()
                player.locator('[data-action="next"]').click()
                assert counter.inner_text() != before, f"{kind}: Next did not step"
                forward += 1
            assert frame.inner_html() != start, f"{kind}: the picture never changed"
            for _ in range(forward):
                player.locator('[data-action="prev"]').click()
            assert (frame.inner_html(), counter.inner_text()) == (start, start_step), kind
            play = player.locator('[data-action="play"]')
            play.click()
            tab.wait_for_function("([el, start]) => el.innerHTML !== start",
                                  arg=[frame.element_handle(), start], timeout=10_000)
            play.click()
            paused = counter.inner_text()
            tab.wait_for_timeout(1000)
            assert counter.inner_text() == paused, f"{kind}: Pause did not stop it"
            assert play.inner_text() == "▶ Play"
            player.locator('[data-action="reset"]').click()
            assert counter.inner_text() == start_step, kind
    assert problems == []


def test_scripts_are_read_from_the_package_without_their_heading_comment():
    for name in ("controls.js", "cluster_player.js", "log_player.js", "role_diagram.js"):
        code = script(name)
        assert code.lstrip().startswith(("(function", "function")), name
    with pytest.raises(ValueError, match="no script 'nope.js'.*controls.js"):
        script("nope.js")
    with pytest.raises(ValueError, match="no script \\['controls.js'\\]"):
        script(["controls.js"])
