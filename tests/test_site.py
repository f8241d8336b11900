"""The published site, checked the way a reader meets it: built, served, opened in Chromium.

The book is built once per session exactly as ``make book`` builds it (every
chapter executed, warnings are errors, ``DDIA10_STATIC=1``), served on
127.0.0.1 and opened in headless Chromium. Every page must load without
errors, carry no ipywidgets state (the site has no widget manager: its
players are our own HTML/JS), stay under 5 MB, open its answers on click and
step its players. Set ``DDIA10_SITE=_build/html`` to check an existing build
instead of building again.
"""

from __future__ import annotations

import importlib.util
import os
import pkgutil
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest
import yaml
from link_check import broken_links

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PAGE_LIMIT_BYTES = 5 * 1024 * 1024
MAX_QUIET_STEPS = 10  # events that leave the picture unchanged (a timer, say) before one moves it
# External resources the site may ask for: none. Formulas are written in Unicode
# rather than MathJax, so an offline reader sees every page as it is meant to look.
ALLOWED_EXTERNAL: tuple[str, ...] = ()
KINDS = ("Concept check", "Interview question", "Debug scenario", "Design question",
         "Frontier question")
WIDGET_MIME_TYPES = ("application/vnd.jupyter.widget-state+json",
                     "application/vnd.jupyter.widget-view+json")


def toc_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return [f"{file}.html" for file in files]


PAGES = toc_pages()
CHAPTERS = [page for page in PAGES if page.startswith("notebooks/")]


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The built HTML folder: built here, once, unless DDIA10_SITE names one."""
    if os.environ.get("DDIA10_SITE"):
        return Path(os.environ["DDIA10_SITE"]).resolve()
    if importlib.util.find_spec("jupyter_book") is None:
        pytest.skip("jupyter-book is not installed: pip install -r requirements.txt")
    cli = Path(sys.executable).with_name("jupyter-book")
    command = str(cli) if cli.exists() else shutil.which("jupyter-book")
    out = tmp_path_factory.mktemp("book")
    build = subprocess.run(
        [command, "build", "-W", "-n", "--keep-going", "--path-output", str(out), str(ROOT)],
        env={**os.environ, "DDIA10_STATIC": "1"}, capture_output=True, text=True,
    )
    if build.returncode != 0:
        lines = re.sub(r"\x1b\[[0-9;]*m", "", build.stdout + build.stderr).splitlines()
        problems = [line for line in lines
                    if re.search(r"WARNING|ERROR|Error", line) and "IPKernelApp" not in line]
        report = "\n".join(problems[-30:] + ["...", *lines[-15:]])
        pytest.fail(f"the book does not build with warnings as errors:\n{report}", pytrace=False)
    return out / "_build" / "html"


@pytest.fixture(scope="module")
def server(site):
    """The site on a free local port, as ``python -m http.server`` serves it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port),
         "--directory", str(site)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")  # closed before other modules start their own Playwright
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    if importlib.util.find_spec("playwright") is None:
        pytest.skip("playwright is not installed: pip install playwright")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Visit:
    """A page opened in the browser, with every error and failed request it produced."""

    def __init__(self, browser, url: str, width: int = 1280) -> None:
        self.page = browser.new_page(viewport={"width": width, "height": 900})
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        self.page.on("console", self._console)
        self.page.on("request", self._request)
        self.page.on("requestfailed", self._failed)
        self.page.on("response", self._response)
        self.page.goto(url, wait_until="load")

    @staticmethod
    def _local(url: str) -> bool:
        return urlparse(url).hostname in ("127.0.0.1", "localhost")

    def _console(self, message) -> None:
        if message.type != "error":
            return
        source = message.location.get("url", "")
        if message.text.startswith("Failed to load resource") and not self._local(source):
            return  # an external host this machine cannot reach; judged in _request
        self.errors.append(f"console error: {message.text} ({source})")

    def _request(self, request) -> None:
        url = request.url
        if not self._local(url) and not url.startswith(("data:", *ALLOWED_EXTERNAL)):
            self.errors.append(f"request to an external host: {url}")

    def _failed(self, request) -> None:
        if self._local(request.url):
            self.errors.append(f"request failed: {request.url} ({request.failure})")

    def _response(self, response) -> None:
        if response.status >= 400 and self._local(response.url):
            self.errors.append(f"HTTP {response.status}: {response.url}")


@pytest.fixture
def visit(browser, server):
    opened: list[Visit] = []

    def open_page(path: str, width: int = 1280) -> Visit:
        opened.append(Visit(browser, f"{server}/{path}", width))
        return opened[-1]

    yield open_page
    for seen in opened:
        seen.page.close()


def local_assets(site: Path, page: Path) -> set[Path]:
    """Files the page pulls in from the site itself: scripts, styles, images, frames."""
    html = page.read_text(encoding="utf-8")
    found = set()
    for reference in re.findall(r'(?:src|href)="([^"#?]+)', html):
        if "://" in reference or reference.startswith("data:") or reference.endswith(".html"):
            continue  # another page, another host, or inline (already in the page's size)
        target = (page.parent / reference).resolve()
        if target.is_file() and target.is_relative_to(site.resolve()):
            found.add(target)
    return found


def test_api_appendix_documents_every_module_of_the_package():
    import ddia10

    listed = set(re.findall(r"automodule:: ddia10\.(\w+)", (ROOT / "book/api.md").read_text()))
    modules = {m.name for m in pkgutil.iter_modules(ddia10.__path__) if not m.name.startswith("_")}
    missing = sorted(modules - listed)
    assert not missing, "add to book/api.md: " + ", ".join(f"ddia10.{name}" for name in missing)
    assert not listed - modules, f"book/api.md documents missing modules {listed - modules}"


def test_no_internal_link_or_anchor_of_the_site_is_broken(site):
    problems = broken_links(site)
    assert not problems, f"{len(problems)} broken links:\n  " + "\n  ".join(problems[:30])


def test_the_link_check_finds_a_missing_page_and_a_missing_anchor(tmp_path):
    (tmp_path / "a.html").write_text(
        '<a href="b.html#there">ok</a><a href="b.html#gone">anchor</a>'
        '<a href="c.html">file</a><a href="https://example.org/x">out</a><p id="here"></p>'
        '<a href="#here">self</a>', encoding="utf-8")
    (tmp_path / "b.html").write_text('<h2 id="there">b</h2>', encoding="utf-8")
    assert broken_links(tmp_path) == ["a.html -> b.html#gone (no element with id 'gone')",
                                      "a.html -> c.html (no such file)"]


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_without_errors_or_broken_local_requests(visit, path):
    seen = visit(path)
    assert seen.page.title(), f"{path} has no title"
    assert not seen.errors, f"{path}:\n  " + "\n  ".join(seen.errors)


@pytest.mark.parametrize("path", PAGES)
def test_page_carries_no_widget_state_and_stays_under_5_mb(site, path):
    page = site / path
    html = page.read_text(encoding="utf-8")
    embedded = [mime for mime in WIDGET_MIME_TYPES if mime in html]
    assert not embedded, f"{path} embeds ipywidgets {embedded}: the site needs static players"
    weight = page.stat().st_size + sum(f.stat().st_size for f in local_assets(site, page))
    assert weight < PAGE_LIMIT_BYTES, f"{path} weighs {weight / 1e6:.1f} MB"


@pytest.mark.parametrize("path", CHAPTERS)
def test_launch_buttons_open_the_ref_the_colab_cell_installs(site, path):
    """Binder and Colab open the notebook at the repository and ref its hidden cell installs
    ddia10 from (both come from _config.yml's repository: see tools/release.py)."""
    first_cell = nbformat.read(ROOT / path.replace(".html", ".ipynb"), as_version=4).cells[0]
    installed = re.findall(r'"git\+https://github\.com/([\w.-]+/[\w.-]+)@([^"]+)"',
                           first_cell.source)
    html = (site / path).read_text(encoding="utf-8")
    notebook = re.escape(path.replace(".html", ".ipynb"))
    binder = re.findall(rf'href="https://mybinder\.org/v2/gh/([\w.-]+/[\w.-]+)/([^?"]+)'
                        rf'\?urlpath=lab/tree/{notebook}"', html)
    colab = re.findall(rf'href="https://colab\.research\.google\.com/github/'
                       rf'([\w.-]+/[\w.-]+)/blob/([^"]+)/{notebook}"', html)
    assert len(installed) == 1, f"{path}: the first cell installs {installed}"
    assert binder and colab, f"{path} lacks its Binder or Colab button"
    assert set(binder) == set(colab) == set(installed), (
        f"{path}: Binder opens {binder}, Colab {colab}, the Colab cell installs {installed}")


@pytest.mark.parametrize("path", CHAPTERS)
def test_chapter_ends_with_questions_of_all_five_kinds_whose_answers_open(visit, path):
    page = visit(path).page
    questions = page.locator("section#questions")
    labels = questions.locator("p > strong:first-child").evaluate_all(
        "labels => labels.map(label => label.textContent.trim())")
    kinds = {label.rstrip(".") for label in labels}
    assert kinds >= set(KINDS), f"{path} lacks question kinds {sorted(set(KINDS) - kinds)}"
    answers = questions.locator("details")
    assert answers.count() >= 5 and not questions.locator("details[open]").count()
    answer = answers.last
    answer.scroll_into_view_if_needed()
    closed = answer.bounding_box()["height"]
    answer.locator("summary").click()
    assert answer.evaluate("details => details.open")
    assert answer.bounding_box()["height"] > closed, f"{path}: the answer did not open"


@pytest.mark.parametrize("path", CHAPTERS)
def test_every_player_steps_forward_and_back_and_plays(visit, path):
    page = visit(path).page
    players = page.locator(".ddia10-player")
    if players.count() == 0:
        pytest.skip(f"{path} has no player")
    for index in range(players.count()):
        player = players.nth(index)
        player.scroll_into_view_if_needed()
        frame = player.locator(".ddia10-frame").first
        counter = player.locator(".ddia10-counter").first
        start, start_step = frame.inner_html(), counter.inner_text()
        forward = 0
        while frame.inner_html() == start and forward < MAX_QUIET_STEPS:
            before = counter.inner_text()
            player.locator('[data-action="next"]').first.click()
            assert counter.inner_text() != before, f"{path} player {index}: Next did not step"
            forward += 1
        assert frame.inner_html() != start, (
            f"{path} player {index}: the picture did not change in {forward} steps")
        for _ in range(forward):
            player.locator('[data-action="prev"]').first.click()
        assert (frame.inner_html(), counter.inner_text()) == (start, start_step), (
            f"{path} player {index}: stepping back did not return to the first picture")
        play = player.locator('[data-action="play"]').first
        play.click()
        page.wait_for_function(  # Play advances on its own: wait for the picture to move
            "([el, start]) => el.innerHTML !== start",
            arg=[frame.element_handle(), start], timeout=15_000,
        )
        play.click()


def test_the_decision_tree_walks_to_advice_without_a_kernel(visit):
    page = visit("notebooks/10_connections.html").page
    tree = page.locator(".ddia10-tree").first
    tree.scroll_into_view_if_needed()
    tree.locator(".ddia10-tree-answer").first.click()  # who leads, who holds a lock
    tree.locator(".ddia10-tree-answer").first.click()  # yes: the resource checks a token
    assert "fencing token" in tree.locator(".ddia10-tree-leaf").inner_text()
    tree.locator(".ddia10-tree-back").click()
    assert tree.locator(".ddia10-tree-answer").count() == 2
    tree.locator(".ddia10-tree-restart").click()
    assert tree.locator(".ddia10-tree-path").count() == 0


DRILL_CHAPTERS = ["notebooks/02_ordering.html", "notebooks/03_two_phase_commit.html",
                  "notebooks/09_interview_arsenal.html"]


@pytest.mark.parametrize("path", DRILL_CHAPTERS)
def test_a_drill_shows_its_skeleton_and_check_and_hides_its_solution(visit, path):
    page = visit(path).page
    assert page.locator("text=NotImplementedError").count() > 0  # the skeleton, unfilled
    assert page.locator("text=not yet").count() > 0  # its check's verdict
    solutions = page.locator("details.ddia10-solution")
    assert solutions.count() > 0 and not page.locator("details.ddia10-solution[open]").count()
    solution = solutions.first
    solution.scroll_into_view_if_needed()
    closed = solution.bounding_box()["height"]
    solution.locator("summary").click()
    assert solution.bounding_box()["height"] > closed


TIMER_PAGES = ["notebooks/00_the_problem.html", "notebooks/04_raft.html"]


@pytest.mark.parametrize("path", TIMER_PAGES)
def test_a_static_players_timers_run_down_between_steps(visit, path):
    """The rings around the nodes are the protocol's own timers, drawn without a kernel."""
    page = visit(path).page
    player = page.locator(".ddia10-player").filter(has=page.locator(".ddia10-ring")).first
    assert player.count(), f"{path}: no player draws a timer"
    player.scroll_into_view_if_needed()

    def shown() -> tuple[list[str], str]:
        arcs = player.locator(".ddia10-frame .ddia10-ring").evaluate_all(
            "arcs => arcs.map(arc => arc.getAttribute('d'))")
        return arcs, player.locator(".ddia10-timers").inner_text()

    before = shown()
    player.locator('[data-action="next"]').first.click()
    after = shown()
    assert before[0] and after[0] and before[0] != after[0], f"{path}: the rings did not move"
    assert "ms left" in after[1] and after[1] != before[1], f"{path}: {after[1]!r}"


_OVERLAPS = """root => {
  const range = root.querySelector("input[data-action=seek]");
  const frame = root.querySelector(".ddia10-frame");
  const found = [];
  const cross = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 &&
    a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  for (let k = 0; k <= +range.max; k++) {
    range.value = k;
    range.dispatchEvent(new Event("input"));
    const words = [...frame.querySelectorAll("svg text")]
      .map(t => [t.textContent, t.getBoundingClientRect()]).filter(w => w[1].width > 0);
    for (let i = 0; i < words.length; i++) {
      for (let j = i + 1; j < words.length; j++) {
        if (cross(words[i][1], words[j][1])) {
          found.push(`step ${k}: "${words[i][0]}" and "${words[j][0]}"`);
        }
      }
    }
  }
  range.value = 0;
  range.dispatchEvent(new Event("input"));
  return found;
}"""


@pytest.mark.parametrize("path", CHAPTERS)
def test_no_two_words_of_any_players_picture_overlap_in_any_step(visit, path):
    page = visit(path).page
    players = page.locator(".ddia10-player")
    if players.count() == 0:
        pytest.skip(f"{path} has no player")
    found = []
    for index in range(players.count()):
        overlaps = players.nth(index).evaluate(_OVERLAPS)
        found += [f"player {index}, {o}" for o in overlaps]
    assert not found, f"{path}: {len(found)} overlapping words:\n  " + "\n  ".join(found[:20])


_SCROLLING = """() => [...document.querySelectorAll(
    ".bd-article pre, .bd-article .cell_output .output, .bd-article .cell_output .output > div")]
  .filter(e => e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1
    && !e.closest(".ddia10-player, .lz-frame"))
  .map(e => e.tagName.toLowerCase() + " " + (e.scrollWidth - e.clientWidth) + " px too wide: "
    + e.textContent.split("\\n").reduce((a, b) => (b.length > a.length ? b : a), "").trim()
      .slice(0, 70))"""


@pytest.mark.parametrize("path", CHAPTERS)
def test_no_code_block_or_output_scrolls_sideways_at_1280_px(visit, path):
    page = visit(path).page
    wide = page.evaluate(_SCROLLING)
    assert not wide, f"{path}: {len(wide)} blocks scroll sideways:\n  " + "\n  ".join(wide[:20])


_SPILLING = """() => {
  const inside = e => {
    for (let a = e; a && a !== document.body; a = a.parentElement) {
      const o = getComputedStyle(a).overflowX;
      if (o === "auto" || o === "scroll" || o === "hidden") { return a; }
    }
    return e;
  };
  const out = [...document.querySelectorAll(".bd-article table")]
    .filter(t => t.offsetParent !== null)
    .map(t => [t, inside(t).getBoundingClientRect()])
    .filter(([t, box]) => box.right > innerWidth + 1 || box.left < -1)
    .map(([t, box]) => Math.round(box.right) + " px: " + t.innerText.slice(0, 60));
  if (document.documentElement.scrollWidth > innerWidth + 1) {
    out.push("the page scrolls sideways: " + document.documentElement.scrollWidth + " px");
  }
  return out;
}"""


@pytest.mark.parametrize("path", PAGES)
def test_no_table_spills_out_of_its_box_at_390_px(visit, path):
    seen = visit(path, width=390)
    spilled = seen.page.evaluate(_SPILLING)
    assert not spilled, f"{path}: tables wider than the screen:\n  " + "\n  ".join(spilled)
    assert not seen.errors, f"{path}:\n  " + "\n  ".join(seen.errors)
