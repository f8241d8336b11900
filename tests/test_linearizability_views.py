"""History pictures: what the checker found is what the reader sees."""

from __future__ import annotations

import re

import matplotlib
import pytest

matplotlib.use("Agg")

from ddia10.linearizability import check, history  # noqa: E402
from ddia10.linearizability.generate import random_history  # noqa: E402
from ddia10.viz.history import (  # noqa: E402
    guess_game_html,
    history_figure,
    history_layout,
    history_svg,
    puzzle_histories,
)

STALE = history(
    [("A", "write", 1, None, 0, 2), ("B", "read", None, 1, 1, 3),
     ("C", "read", None, 0, 2.5, 3.5)],
    model="register", init=0,
)


def test_violation_highlights_exactly_the_operations_that_could_not_come_next() -> None:
    layout = history_layout(STALE, check(STALE))
    assert [b.op.process for b in layout.bars if b.offending] == ["C"]
    assert [b.order for b in layout.bars if b.point is not None] == [1, 2]


def test_linearizable_history_gets_one_point_per_placed_operation_inside_its_bar() -> None:
    h = random_history(2, model="cas-register", clients=3, ops_per_client=4, pending=0.3)
    result = check(h)
    layout = history_layout(h, result)
    pointed = [b for b in layout.bars if b.point is not None]
    assert len(pointed) == len(result.linearization)
    assert all(b.start <= b.point <= b.end for b in pointed)
    assert not any(b.offending for b in layout.bars)


def test_pending_operations_are_drawn_open_to_the_right_edge() -> None:
    h = history([("A", "write", 1, None, 0, None), ("B", "read", None, 1, 1, 2)],
                model="register", init=0)
    layout = history_layout(h)
    assert layout.bars[0].end == layout.t_max > 2


def test_svg_is_self_contained_and_outlines_the_offender_in_red() -> None:
    svg = history_svg(STALE, check(STALE))
    assert svg.startswith("<svg") and "http" not in svg.replace("http://www.w3.org/2000/svg", "")
    assert svg.count('stroke="#c62828"') == 1


def test_guess_game_page_holds_both_faces_of_every_history_and_no_external_script() -> None:
    hs = puzzle_histories(0, 3)
    page = guess_game_html(hs)
    assert page.count('class="lz-card"') == 3
    answers = re.findall(r'data-answer="(yes|no)"', page)
    assert answers == ["yes" if check(h).ok else "no" for h in hs]
    assert "<script src" not in page


def test_figure_draws_one_patch_per_operation() -> None:
    fig = history_figure(STALE, check(STALE))
    assert len(fig.axes[0].patches) == len(STALE)


def test_views_reject_wrong_inputs_clearly() -> None:
    with pytest.raises(TypeError, match="expected a History"):
        history_layout([1, 2])
    with pytest.raises(ValueError, match="width must be"):
        history_svg(STALE, width=10)
    with pytest.raises(ValueError, match="at least one history"):
        guess_game_html([])


def _buttons(widget) -> dict:
    import ipywidgets as widgets

    found = {}
    stack = [widget]
    while stack:
        w = stack.pop()
        if isinstance(w, widgets.Button):
            found[w.description] = w
        stack.extend(getattr(w, "children", ()))
    return found


def test_live_game_reveals_the_checkers_verdict_after_a_guess() -> None:
    from ddia10.viz.history import guess_widget

    game = guess_widget(seed=3)
    picture, _, feedback = game.children
    buttons = _buttons(game)

    def shown() -> str:
        (output,) = picture.outputs
        return output["data"]["text/html"]

    before = shown()
    assert '"complete":false' in before and '"points":[]' in before  # no evidence yet
    buttons["Linearizable"].click()
    assert feedback.value.startswith("<b>Right!</b>") or feedback.value.startswith(
        "<b>Not quite.</b>")
    assert '"points":[]' not in shown()  # the checker's points are drawn
    buttons["New history"].click()
    assert "Is it linearizable?" in feedback.value
