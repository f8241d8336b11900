"""Chapter 4, "Raft": what the chapter stages on :mod:`ddia10.raft`.

- :mod:`.story`: the run the role diagram is drawn from (:func:`roles_run`),
  the five-server player with its :data:`STORY`, the server table, and the
  RPCs as they went by (:func:`rpc_table`, :func:`first_write_round`).
- :mod:`.commit_latency`: where the time of a write goes, by stage, for two
  placements and two disks (:func:`commit_latency`, :func:`latency_table`).
- :mod:`.load`: writes per second and latency against the disk's ``fsync``
  time, with batching and pipelining on and off (:func:`load_run`, :func:`load_table`).
- :mod:`.rule_card`: Raft's rules as a card, each with the handler and line of
  its guard and its test, read from the code (:func:`rule_card`).
- :mod:`.figure16`: the paper's Figure 16 in a setup calibrated to the numbers
  it states, under the paper's and etcd's timer rules (:func:`figure16`,
  :func:`figure16_lines`, :func:`draw_figure16_pair`, :func:`paper_comparison`),
  how the narrow ranges depend on the one-way delay (:func:`delay_sensitivity`,
  :func:`draw_delay_sensitivity`), and the broadcast time (:func:`broadcast_time`).

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
    CALIBRATED_DISK,
    CALIBRATED_NETWORK,
    FIGURE16_BOTTOM,
    FIGURE16_TOP,
    PAPER_FIGURES,
    PAPER_LATENCY,
    RANGES,
    SENSITIVITY_DELAYS,
    TRIAL_LIMIT_MS,
    ElectionTimes,
    ElectionTrial,
    PaperFigure,
    broadcast_time,
    delay_sensitivity,
    draw_delay_sensitivity,
    draw_figure16,
    draw_figure16_pair,
    election_trial,
    election_trial_cluster,
    figure16,
    figure16_lines,
    figure16_table,
    network_of_delay,
    paper_comparison,
    paper_statistics,
    traced_trial,
)
from .load import Load, load_run, load_table
from .rule_card import rule_card
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
    "CALIBRATED_DISK", "CALIBRATED_NETWORK", "CLIENT", "ElectionTimes", "ElectionTrial",
    "FIGURE16_BOTTOM", "FIGURE16_TOP", "HEAL", "KILL", "LEADER_WRITE", "PAPER_FIGURES",
    "PAPER_LATENCY", "PARTITION", "PaperFigure", "Placement", "RANGES", "RESTART", "SAME_DC",
    "SENSITIVITY_DELAYS", "SERVERS", "SLOW_DISK_FSYNC", "SSD_FSYNC", "STAGES", "STORY",
    "STORY_STEPS", "THREE_REGIONS", "TRIAL_LIMIT_MS", "WRITE", "WriteLatency", "broadcast_time",
    "commit_latency", "delay_sensitivity", "draw_delay_sensitivity", "draw_figure16",
    "draw_figure16_pair", "election_trial", "election_trial_cluster", "figure16", "figure16_lines",
    "figure16_table", "first_write_round", "last_log_index", "latency_table", "load_run",
    "load_table", "Load", "network_of_delay",
    "one_message", "paper_comparison", "paper_statistics", "raft_cluster_scenario", "roles_run",
    "rpc_table", "rule_card", "server_logs", "server_table", "traced_trial", "write_latencies",
]
