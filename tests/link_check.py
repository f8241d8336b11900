"""Internal links and anchors of a built site: every one must lead somewhere."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse


class _Page(HTMLParser):
    """The hrefs of a page's links, and the ids (and names) of its elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.anchors: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        found = dict(attrs)
        for key in ("id", "name"):
            if found.get(key):
                self.anchors.add(found[key])
        if tag == "a" and found.get("href"):
            self.links.append(found["href"])


def _read(path: Path, cache: dict) -> _Page:
    if path not in cache:
        page = _Page()
        page.feed(path.read_text(encoding="utf-8", errors="replace"))
        cache[path] = page
    return cache[path]


def broken_links(site: Path, pages: list[Path] | None = None) -> list[str]:
    """Every internal link of ``pages`` (default: every HTML page of ``site``,
    sources and search pages aside) whose file is missing or whose ``#anchor``
    names no element of its page, as ``"page -> href (why)"``."""
    site = site.resolve()
    if pages is None:
        pages = [p for p in sorted(site.rglob("*.html"))
                 if "_sources" not in p.parts and p.name not in ("search.html",)]
    cache: dict = {}
    problems = []
    for page in pages:
        for href in _read(page, cache).links:
            parsed = urlparse(href)
            if parsed.scheme or parsed.netloc or href.startswith(("javascript:", "mailto:")):
                continue
            target = page if not parsed.path else (page.parent / unquote(parsed.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            where = f"{page.relative_to(site)} -> {href}"
            if not target.is_relative_to(site) or not target.exists():
                problems.append(f"{where} (no such file)")
                continue
            fragment = unquote(parsed.fragment)
            if fragment and target.suffix == ".html" and \
                    fragment not in _read(target, cache).anchors:
                problems.append(f"{where} (no element with id {fragment!r})")
    return problems
