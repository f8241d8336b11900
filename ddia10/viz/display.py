"""One call in a notebook, the right player everywhere.

With a live kernel (Lab, Binder, Colab) :func:`show` displays the
ipywidgets :class:`~ddia10.viz.Player`; while the static site builds it
displays the self-contained HTML player of a precomputed run instead, since
no kernel will be there to answer clicks.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..runtime import static_build
from .player import Player
from .scenario import Scenario
from .static import static_player


def show(
    scenario: Scenario,
    *,
    presses: Iterable[tuple[int, str]] = (),
    steps: int = 60,
    spacetime: bool = False,
) -> None:
    """Display ``scenario``'s player (to keep a handle on a live one, use :class:`Player`).

    ``presses`` are ``(step, button)`` pairs: the static player plays them as a
    fixed story of ``steps`` steps; the live player redoes them as the reader
    steps through. ``spacetime`` adds the space-time diagram to either player;
    the scenario's ``panels`` are drawn by both.
    """
    from IPython.display import HTML, display

    if not isinstance(scenario, Scenario):
        raise TypeError(f"show takes a Scenario, got {type(scenario).__name__}")
    if static_build():
        display(HTML(static_player(scenario, presses=presses, steps=steps, spacetime=spacetime)))
    else:
        display(Player(scenario, presses=presses, spacetime=spacetime))
