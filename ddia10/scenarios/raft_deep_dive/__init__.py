"""Chapter 5, "Raft deep dive": what the chapter stages on :mod:`ddia10.raft`.

- :mod:`.scripted`: runs whose every election the script starts — the worked
  example and its player, log reconciliation with and without hints, Figure 8,
  membership changes, the election drill whose vote is keyed by term, and a
  restart after an installed snapshot.
- :mod:`.reads`: two ways to break a lease — a slow clock
  (:func:`lease_drift_run`) and followers that restart and forget it
  (:func:`lease_restart_run`) — and ReadIndex on the same runs.
- :mod:`.guards`: a cut-off follower rejoins, and removed servers are left
  running, with and without PreVote and CheckQuorum (:func:`rejoin_run`,
  :func:`rejoin_scenario`, :func:`removed_run`).
- :mod:`.campaigns`: random faults thrown at Raft with every invariant checked
  (:func:`fault_campaign`, :func:`leader_churn`), and the key-value campaign
  judged by the linearizability checker (:func:`run_workload`,
  :func:`campaign_seed`).

The chapter imports this package as ``ch5``; everything above is a name of it.
"""

from .campaigns import (
    CAMPAIGN_FAULTS,
    CampaignReport,
    CampaignResult,
    ChurnResult,
    campaign_options,
    campaign_seed,
    fault_campaign,
    leader_churn,
    run_workload,
    snapshot_heavy_options,
)
from .guards import (
    REJOIN_AWAY_MS,
    REMOVED_WATCH_MS,
    RejoinResult,
    RemovedResult,
    rejoin_run,
    rejoin_scenario,
    removed_run,
)
from .reads import LEASE_AWAY_MS, lease_drift_run, lease_restart_run, read_history_figure
from .scripted import (
    DIVERGED,
    RAFT_STEPS,
    SCRIPTED_LATENCY,
    SCRIPTED_TIMEOUT,
    SLOW_LATENCY,
    WORKED_TIMES,
    Ballot,
    MembershipRun,
    WorkedExample,
    ballots,
    diverged_cluster,
    double_vote,
    figure8,
    membership_refused,
    membership_run,
    reconcile_scenario,
    snapshot_and_restart,
    states_table,
    vote_answers,
    worked_example,
    worked_example_scenario,
)

__all__ = [
    "Ballot", "CAMPAIGN_FAULTS", "CampaignReport", "CampaignResult", "ChurnResult", "DIVERGED",
    "LEASE_AWAY_MS", "MembershipRun", "RAFT_STEPS", "REJOIN_AWAY_MS", "REMOVED_WATCH_MS",
    "RejoinResult", "RemovedResult", "SCRIPTED_LATENCY", "SCRIPTED_TIMEOUT", "SLOW_LATENCY",
    "WORKED_TIMES", "WorkedExample", "ballots", "campaign_options", "campaign_seed",
    "diverged_cluster", "double_vote", "fault_campaign", "figure8", "leader_churn",
    "lease_drift_run", "lease_restart_run", "membership_refused", "membership_run",
    "read_history_figure",
    "reconcile_scenario", "rejoin_run", "rejoin_scenario", "removed_run", "run_workload",
    "snapshot_and_restart", "snapshot_heavy_options", "states_table", "vote_answers",
    "worked_example", "worked_example_scenario",
]
