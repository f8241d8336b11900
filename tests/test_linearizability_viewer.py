"""The history viewer in a real browser: a 2,000-operation history renders, zooms, scrolls and
jumps to the first error, with no console error and no request outside the page."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import test_site

from ddia10.linearizability import check, history, violation_core
from ddia10.linearizability.generate import write_heavy
from ddia10.viz.history_viewer import history_report, history_viewer, viewer_data

browser = test_site.browser  # Chromium, launched as the site's own test launches it

BIG = write_heavy(0, clients=20, ops_per_client=100)  # 2,000 operations, one stale read
BIG_RESULT = check(BIG)
BIG_CORE = violation_core(BIG)


def test_the_big_history_is_what_the_browser_test_needs() -> None:
    assert len(BIG) == 2000 and BIG_RESULT.ok is False and 2 <= len(BIG_CORE) <= 5


def test_viewer_data_marks_core_stuck_pending_and_failed_operations() -> None:
    h = history([{"process": "A", "op": "write", "value": 1, "call": 0, "return": 2},
                 {"process": "B", "op": "write", "value": 2, "call": 0, "return": 1,
                  "status": "fail"},
                 {"process": "C", "op": "write", "value": 3, "call": 0, "return": None},
                 {"process": "D", "op": "read", "output": 0, "call": 3, "return": 4}],
                model="register", init=0)
    result = check(h)
    data = viewer_data(h, result, core=violation_core(h))
    flags = [op[6] for op in data["ops"]]
    assert flags == [4, 2, 1, 4 | 8]  # A and D the core; B failed; C pending; D stuck
    assert data["error"] == [0, 4] and data["lanes"] == ["A", "B", "C", "D"]
    assert [p[0] for p in data["points"]] == [0]  # the longest order: A's write
    assert data["complete"] is False


def test_a_linearizable_history_shows_its_whole_order_with_states() -> None:
    h = history([("A", "write", 1, None, 0, 2), ("B", "read", None, 1, 1, 3)],
                model="register", init=0)
    data = viewer_data(h, check(h))
    assert data["complete"] and [p[2] for p in data["points"]] == ["1", "1"]
    assert data["error"] is None


def test_the_viewer_block_is_self_contained() -> None:
    page = history_viewer(BIG, BIG_RESULT, core=BIG_CORE)
    assert "<script src" not in page and "http" not in page
    assert re.search(r'<script type="application/json" class="lz-data">', page)
    small = history([("A", "write", 1, None, 0, 2)], model="register", init=0)
    assert "<svg" in history_viewer(small)  # a static picture until the script runs
    with pytest.raises(TypeError, match="core must be a History"):
        viewer_data(small, core=[1])


@pytest.fixture
def report_page(browser, tmp_path: Path):
    path = tmp_path / "report.html"
    path.write_text(history_report(BIG, BIG_RESULT, core=BIG_CORE, name="write-heavy"),
                    encoding="utf-8")
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda m: problems.append(f"console: {m.text}")
            if m.type == "error" else None)
    page.on("request", lambda r: problems.append(f"request: {r.url}")
            if not r.url.startswith(("file:", "data:")) else None)
    page.goto(path.as_uri(), wait_until="load")
    yield page, problems
    page.close()


def window(page) -> tuple[float, float]:
    a, b = page.locator(".ddia10-history").get_attribute("data-window").split()
    return float(a), float(b)


def visible(page) -> int:
    return int(page.locator(".ddia10-history").get_attribute("data-visible"))


def test_viewer_renders_zooms_scrolls_and_jumps_to_the_first_error(report_page) -> None:
    page, problems = report_page
    viewer = page.locator(".ddia10-history")
    data = json.loads(page.locator("script.lz-data").text_content())
    assert len(data["ops"]) == 2000
    assert visible(page) == 2000 and page.locator("rect.lz-op").count() == 2000
    assert page.locator("g.lz-pt").count() > 0  # the longest order the checker found

    whole = window(page)
    viewer.locator('button[data-lz="in"]').click()
    viewer.locator('button[data-lz="in"]').click()
    zoomed = window(page)
    assert zoomed[1] - zoomed[0] == pytest.approx((whole[1] - whole[0]) / 4, rel=1e-3)
    assert 0 < visible(page) < 2000
    assert page.locator("rect.lz-op").count() == visible(page)

    page.locator("input.lz-scroll").fill("1000")  # scroll to the end
    assert window(page)[1] == pytest.approx(whole[1], rel=1e-6)

    viewer.locator('button[data-lz="error"]').click()
    a, b = window(page)
    start, end = data["error"]
    assert a <= start and end <= b and b - a < (whole[1] - whole[0]) / 10
    core = page.locator("rect.lz-core")
    assert core.count() == len(BIG_CORE)
    assert all(core.nth(i).is_visible() for i in range(core.count()))

    core.first.click()
    index = int(core.first.get_attribute("data-op"))
    assert page.locator(".lz-info").inner_text().startswith(data["ops"][index][5])

    viewer.locator('button[data-lz="fit"]').click()
    assert window(page) == pytest.approx(whole)
    assert not problems, "\n".join(problems)


def test_the_guessing_game_hides_the_evidence_until_the_guess(browser, tmp_path) -> None:
    from ddia10.viz.history import guess_game_html, puzzle_histories

    path = tmp_path / "game.html"
    game = guess_game_html(puzzle_histories(1, 2))
    path.write_text(f"<!DOCTYPE html><meta charset='utf-8'>{game}", encoding="utf-8")
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri())
    card = page.locator(".lz-card").first
    assert card.locator("g.lz-pt").count() == 0
    assert not card.locator(".lz-verdict").is_visible()
    page.locator("button[data-guess=yes]").click()
    assert card.locator(".lz-verdict").is_visible()
    assert card.locator("g.lz-pt").count() > 0
    assert page.locator(".lz-feedback").inner_text() in ("Right!", "Not quite: see why above.")
    page.locator("button[data-next]").click()
    assert page.locator(".lz-card").nth(1).is_visible()
    assert not errors, errors
    page.close()


def test_after_a_limit_the_viewer_shows_the_longest_order_found_so_far() -> None:
    from ddia10.linearizability import Model
    from ddia10.linearizability.models import kv

    plain = Model("plain kv", "", step=kv().apply, partition=lambda op: op.key)
    h = write_heavy(0, model="kv", clients=8, stale=False)
    result = check(h, plain, max_memory_mb=0.05)
    assert result.ok is None
    data = viewer_data(h, result)
    assert not data["complete"] and data["error"] is None
    assert len(data["points"]) == len(result.longest) > 0
    assert "unknown: the checker stopped at its limit" in history_viewer(h, result)
