"""Every view of a trace: space-time diagrams, cluster pictures, players.

All views are functions of a :class:`~ddia10.sim.Trace` (live or loaded from
JSON), never of protocol objects, so the Lab widget, the static page and the
tests see the same thing.

- :func:`spacetime` / :func:`spacetime_svg`: the Lamport diagram of a trace.
- :func:`cluster_view` and :func:`cluster_graph` / :func:`cluster_svg`: the
  cluster after the first ``k`` events (roles, faults, messages in flight).
- :class:`Scenario`: a world to build, the fault buttons a reader may press,
  and the chapter's own panels (pictures of the world after each step).
- :class:`Player`: the live ipywidgets player of a scenario;
  :func:`static_player`: the same player as self-contained HTML for the
  static site; :func:`show` picks the right one.
- :func:`log_grid` / :func:`log_grid_svg`, :func:`log_table`, :func:`log_panel`
  and :func:`log_player`: Raft's logs side by side (:mod:`.raft_log`).
- :func:`show_drill` and :func:`show_solution`: a drill's verdict with the run
  that breaks the reader's code, and its solution behind a reveal (:mod:`.drill`).
"""

from .cluster import cluster_geometry, cluster_graph, cluster_svg
from .display import show
from .drill import drill_scenario, show_drill, show_solution, solution_html
from .player import Player
from .raft_log import log_grid, log_grid_svg, log_panel, log_player, log_table
from .scenario import Run, Scenario, ScenarioError
from .spacetime import spacetime, spacetime_svg
from .static import static_player
from .view import ClusterView, Message, ProcessView, cluster_view, describe

__all__ = [
    "ClusterView",
    "Message",
    "Player",
    "ProcessView",
    "Run",
    "Scenario",
    "ScenarioError",
    "cluster_geometry",
    "cluster_graph",
    "cluster_svg",
    "cluster_view",
    "describe",
    "drill_scenario",
    "log_grid",
    "log_grid_svg",
    "log_panel",
    "log_player",
    "log_table",
    "show",
    "show_drill",
    "show_solution",
    "solution_html",
    "spacetime",
    "spacetime_svg",
    "static_player",
]
