"""A decision tree a reader walks, answer by answer, to a recommendation.

The tree is data (:class:`TreeQuestion` and :class:`TreeAdvice` nodes, in a dict by
name); this module draws it twice. :func:`decision_tree_widget` is an
ipywidgets face for a live kernel: the question, a button per answer, a back
button. :func:`decision_tree_html` is the static face for the site, the same
walk in a few lines of our own JavaScript (``assets/decision_tree.js``),
reading the tree from a JSON block: no kernel, no widget state, nothing
fetched. :func:`show_decision_tree` picks the face, as :func:`~ddia10.viz.show`
does for players.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..runtime import static_build
from ..validate import check_instance, check_str
from .stepper import data_block, player_id, script
from .style import FONT, INK, MUTED, esc


@dataclass(frozen=True)
class TreeQuestion:
    """A question, and for each answer the name of the next node."""

    text: str
    answers: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class TreeAdvice:
    """A leaf: the consistency ``model`` to ask for, the tool (``text``), and
    where the book shows it (``where``)."""

    model: str
    text: str
    where: str


def check_tree(nodes: Mapping[str, TreeQuestion | TreeAdvice], start: str) -> None:
    """Every answer leads to a node of the tree, every node is reachable from
    ``start``, and every walk ends at advice (no cycles)."""
    check_instance("nodes", nodes, Mapping)
    check_str("start", start)
    if start not in nodes:
        raise ValueError(f"the tree has no start node {start!r}")
    seen: set[str] = set()

    def walk(name: str, trail: tuple[str, ...]) -> None:
        if name in trail:
            raise ValueError(f"the tree loops: {' -> '.join(trail + (name,))}")
        node = nodes[name]
        seen.add(name)
        if isinstance(node, TreeQuestion):
            if not node.answers:
                raise ValueError(f"question {name!r} has no answers")
            for answer, nxt in node.answers:
                if nxt not in nodes:
                    raise ValueError(f"answer {answer!r} of {name!r} leads to unknown {nxt!r}")
                walk(nxt, trail + (name,))
        elif not isinstance(node, TreeAdvice):
            raise ValueError(f"node {name!r} is a {type(node).__name__}, "
                             "not a TreeQuestion or TreeAdvice")

    walk(start, ())
    unreachable = sorted(set(nodes) - seen)
    if unreachable:
        raise ValueError(f"nodes no answer leads to: {unreachable}")


def tree_data(nodes: Mapping[str, TreeQuestion | TreeAdvice], start: str) -> dict:
    """The tree as the static face reads it."""
    check_tree(nodes, start)
    out = {}
    for name, node in nodes.items():
        if isinstance(node, TreeQuestion):
            out[name] = {"text": node.text, "answers": [list(a) for a in node.answers]}
        else:
            out[name] = {"model": node.model, "text": node.text, "where": node.where}
    return {"start": start, "nodes": out}


_STYLE = (f".ddia10-tree{{font-family:{FONT};color:{INK};border:1px solid {MUTED};"
          "border-radius:6px;padding:12px;margin:8px 0}"
          ".ddia10-tree button{margin:4px 6px 4px 0;padding:4px 10px;cursor:pointer}"
          ".ddia10-tree-question{font-weight:600}.ddia10-tree-model{font-weight:700}"
          f".ddia10-tree-path{{color:{MUTED};font-size:90%}}")


def decision_tree_html(nodes: Mapping[str, TreeQuestion | TreeAdvice], start: str, *,
                       title: str = "") -> str:
    """The static face: self-contained HTML and JavaScript."""
    data = data_block(tree_data(nodes, start))
    pid = player_id("tree", data)
    code = script("decision_tree.js").replace("__ID__", pid)
    heading = f"<p><strong>{esc(title)}</strong></p>" if title else ""
    return (f'<div class="ddia10-tree" id="{pid}"><style>{_STYLE}</style>{heading}'
            f'<div class="ddia10-tree-view"></div>'
            f'<script type="application/json" class="ddia10-data">{data}</script>'
            f"<script>{code}</script></div>")


def decision_tree_widget(nodes: Mapping[str, TreeQuestion | TreeAdvice], start: str):
    """The live face: an ipywidgets box that walks the tree."""
    import ipywidgets as widgets

    check_tree(nodes, start)
    box = widgets.VBox()
    path: list[tuple[str, str, str]] = []  # (question, answer, next)

    def draw() -> None:
        at = path[-1][2] if path else start
        node = nodes[at]
        trail = [widgets.HTML("<ol>" + "".join(f"<li>{esc(q)} — {esc(a)}</li>"
                                               for q, a, _n in path) + "</ol>")] if path else []
        if isinstance(node, TreeQuestion):
            buttons = []
            for answer, nxt in node.answers:
                b = widgets.Button(description=answer, layout=widgets.Layout(width="auto"))
                b.on_click(lambda _b, q=node.text, a=answer, n=nxt: (path.append((q, a, n)),
                                                                       draw()))
                buttons.append(b)
            body = [widgets.HTML(f"<b>{esc(node.text)}</b>"), widgets.VBox(buttons)]
        else:
            body = [widgets.HTML(f"<p><b>{esc(node.model)}</b></p><p>{esc(node.text)}</p>"
                                 f"<p>{esc(node.where)}</p>")]
        controls = []
        if path:
            back = widgets.Button(description="Back")
            back.on_click(lambda _b: (path.pop(), draw()))
            again = widgets.Button(description="Start over")
            again.on_click(lambda _b: (path.clear(), draw()))
            controls = [widgets.HBox([back, again])]
        box.children = trail + body + controls

    draw()
    return box


def show_decision_tree(nodes: Mapping[str, TreeQuestion | TreeAdvice], start: str, *,
                       title: str = "") -> None:
    """The widget with a live kernel, the static face while the site builds."""
    from IPython.display import HTML, display

    if static_build():
        display(HTML(decision_tree_html(nodes, start, title=title)))
    else:
        display(decision_tree_widget(nodes, start))
