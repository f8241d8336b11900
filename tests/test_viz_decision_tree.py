"""The decision tree: every walk ends at advice, and both faces carry the whole tree."""

from __future__ import annotations

import json
import re

import pytest

from ddia10.scenarios.connections import DECISION_TREE, TREE_START
from ddia10.viz.decision_tree import (
    TreeAdvice,
    TreeQuestion,
    check_tree,
    decision_tree_html,
    decision_tree_widget,
    tree_data,
)


def walks(nodes, name="start", trail=()):
    node = nodes[name]
    if isinstance(node, TreeAdvice):
        yield trail + (name,)
        return
    for _answer, nxt in node.answers:
        yield from walks(nodes, nxt, trail + (name,))


def test_the_books_tree_is_well_formed_and_every_walk_ends_in_advice():
    check_tree(DECISION_TREE, TREE_START)
    leaves = {walk[-1] for walk in walks(DECISION_TREE)}
    assert leaves == {n for n, v in DECISION_TREE.items() if isinstance(v, TreeAdvice)}


@pytest.mark.parametrize("nodes, problem", [
    ({"start": TreeQuestion("q", (("a", "missing"),))}, "unknown"),
    ({"start": TreeQuestion("q", (("a", "start"),))}, "loops"),
    ({"start": TreeAdvice("m", "t", "w"), "orphan": TreeAdvice("m", "t", "w")}, "no answer leads"),
])
def test_a_broken_tree_is_refused_with_its_flaw(nodes, problem):
    with pytest.raises(ValueError, match=problem):
        check_tree(nodes, "start")


def test_the_static_face_embeds_the_whole_tree_and_no_widget_state():
    page = decision_tree_html(DECISION_TREE, TREE_START, title="t")
    block = re.search(r'<script type="application/json" class="ddia10-data">(.*?)</script>',
                      page, re.S).group(1)
    assert json.loads(block) == tree_data(DECISION_TREE, TREE_START)
    assert "widget" not in page and "://" not in page


def test_the_widget_walks_to_advice_and_back():
    box = decision_tree_widget(DECISION_TREE, TREE_START)
    buttons = box.children[1].children
    buttons[0].click()  # coordination
    box.children[-2].children[0].click()  # yes: the resource checks a token
    assert "fencing token" in box.children[-2].value
    box.children[-1].children[1].click()  # start over
    assert DECISION_TREE[TREE_START].text in box.children[0].value
