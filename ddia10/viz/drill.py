"""A drill's verdict in a notebook: the words, then the failing run in a player.

:func:`show_drill` prints a :class:`~ddia10.drills.report.DrillReport` and,
when it failed, plays the smallest run that breaks the reader's code in the
same player every chapter uses (live in Lab, self-contained on the site), or
shows the history the reader was asked about in the history viewer.
:func:`show_solution` puts a reference solution's source behind a reveal.
"""

from __future__ import annotations

import html
import inspect
from typing import Any

from ..drills.report import DrillReport
from ..validate import check_instance
from .display import show
from .scenario import Scenario


def drill_scenario(report: DrillReport) -> Scenario | None:
    """The failing run of ``report`` as a scenario a player can step (``None``
    when the report has no run)."""
    check_instance("report", report, DrillReport)
    run = report.run
    if run is None:
        return None
    extra = {"step_kinds": run.step_kinds} if run.step_kinds else {}
    return Scenario(run.title, run.build, description=f"{report.drill}: {report.rule}",
                    **extra)


def show_drill(report: DrillReport) -> None:
    """Display the verdict; for a failure, the run (or history) that shows it."""
    from IPython.display import Markdown, display

    check_instance("report", report, DrillReport)
    display(Markdown(report._repr_markdown_()))
    if report.passed:
        return
    if report.history is not None:
        from .history import show_history

        display(show_history(report.history, title=report.rule))
    scenario = drill_scenario(report)
    if scenario is not None:
        show(scenario, steps=report.run.steps, spacetime=True)


def solution_html(*solutions: Any, title: str = "Solution") -> str:
    """The sources of ``solutions`` inside one collapsed ``<details>`` block."""
    if not solutions:
        raise ValueError("a solution needs at least one class or function to show")
    sources = []
    for solution in solutions:
        try:
            sources.append(inspect.getsource(solution))
        except (OSError, TypeError) as exc:
            raise ValueError(f"no source to show for {solution!r}: {exc}") from None
    body = html.escape("\n\n".join(sources))
    return (f"<details class=\"ddia10-solution\"><summary>{html.escape(title)}</summary>\n"
            f"<pre><code>{body}</code></pre>\n</details>")


def show_solution(*solutions: Any, title: str = "Solution") -> None:
    """Display the sources of ``solutions`` behind one reveal."""
    from IPython.display import HTML, display

    display(HTML(solution_html(*solutions, title=title)))
