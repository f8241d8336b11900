"""Chapter 4, "Raft": what the chapter stages on :mod:`ddia10.raft`.

- :mod:`.story`: the run the role diagram is drawn from (:func:`roles_run`),
  the five-server player with its :data:`STORY`, the server table, and the
  RPCs as they went by (:func:`rpc_table`, :func:`first_write_round`).
- :mod:`.commit_latency`: where the time of a write goes, by stage, for two
  placements and two disks (:func:`commit_latency`, :func:`latency_table`).
- :mod:`.figure16`: the paper's Figure 16 in its own setup, under the paper's
  and etcd's timer rules (:func:`figure16`, :func:`figure16_lines`,
  :func:`draw_figure16_pair`, :func:`paper_comparison`), and the broadcast
  time it rests on (:func:`broadcast_time`).

The chapter imports this package as ``ch4``; everything above is a name of it.
"""

from .commit_latency import (
    LEADER_WRITE,
    SAME_DC,
    SLOW_DISK_FSYNC,
    SSD_FSYNC,
    STAGES,
    THREE_REGIONS,
    Placement,
    WriteLatency,
    commit_latency,
    latency_table,
    write_latencies,
)
from .figure16 import (
    FIGURE16_BOTTOM,
    FIGURE16_TOP,
    PAPER_DISK_LATENCY,
    PAPER_FIGURES,
    PAPER_LATENCY,
    PAPER_NETWORK,
    RANGES,
    TRIAL_LIMIT_MS,
    ElectionTimes,
    ElectionTrial,
    PaperFigure,
    broadcast_time,
    draw_figure16,
    draw_figure16_pair,
    election_trial,
    election_trial_cluster,
    figure16,
    figure16_lines,
    figure16_table,
    paper_comparison,
    paper_statistics,
    traced_trial,
)
from .story import (
    CLIENT,
    HEAL,
    KILL,
    PARTITION,
    RESTART,
    SERVERS,
    STORY,
    STORY_STEPS,
    WRITE,
    first_write_round,
    last_log_index,
    one_message,
    raft_cluster_scenario,
    roles_run,
    rpc_table,
    server_logs,
    server_table,
)

__all__ = [
    "CLIENT", "FIGURE16_BOTTOM", "FIGURE16_TOP", "HEAL", "KILL", "LEADER_WRITE",
    "PAPER_DISK_LATENCY", "PAPER_FIGURES", "PAPER_LATENCY", "PAPER_NETWORK", "PARTITION",
    "RANGES", "RESTART", "SAME_DC", "SERVERS", "SLOW_DISK_FSYNC", "SSD_FSYNC", "STAGES",
    "STORY", "STORY_STEPS", "THREE_REGIONS", "TRIAL_LIMIT_MS", "WRITE", "ElectionTimes",
    "ElectionTrial", "PaperFigure", "Placement", "WriteLatency", "broadcast_time",
    "commit_latency", "draw_figure16", "draw_figure16_pair", "election_trial",
    "election_trial_cluster", "figure16", "figure16_lines", "figure16_table",
    "first_write_round", "last_log_index", "latency_table", "one_message", "paper_comparison",
    "paper_statistics",
    "raft_cluster_scenario", "roles_run", "rpc_table", "server_logs", "server_table",
    "traced_trial", "write_latencies",
]
