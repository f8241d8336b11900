"""A numbered figure with a caption and alt text, the same in Lab and on the site.

A chapter's static pictures (matplotlib figures) are shown with
:func:`show_figure`: the picture as an image whose ``alt`` text says what it
shows for a reader who cannot see it, inside a ``<figure>`` with its number
(``Figure 2.1``) and caption. Interactive views (players, the history
viewer) carry their caption in the Markdown cell that follows them, numbered
in the same sequence.
"""

from __future__ import annotations

import base64
import io
import re
from typing import Any

from ..validate import check_str
from .style import esc

NUMBER = re.compile(r"\d+\.\d+")


def figure_html(fig: Any, number: str, caption: str, alt: str) -> str:
    """``fig`` (a matplotlib figure) as a numbered ``<figure>`` with alt text."""
    check_str("caption", caption)
    check_str("alt", alt)
    if not isinstance(number, str) or not NUMBER.fullmatch(number):
        raise ValueError(f"a figure number is 'chapter.n', such as '2.1', got {number!r}")
    if not hasattr(fig, "savefig"):
        raise ValueError(f"show_figure takes a matplotlib figure, got {type(fig).__name__}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    anchor = "figure-" + number.replace(".", "-")
    return (f'<figure class="ddia10-figure" id="{anchor}" style="margin:8px 0">'
            f'<img src="data:image/png;base64,{data}" alt="{esc(alt)}" style="max-width:100%">'
            f"<figcaption><strong>Figure {number}.</strong> {esc(caption)}</figcaption>"
            "</figure>")


def show_figure(fig: Any, number: str, caption: str, *, alt: str) -> None:
    """Display ``fig`` as Figure ``number`` with ``caption`` and ``alt`` text."""
    from IPython.display import HTML, display

    display(HTML(figure_html(fig, number, caption, alt)))
