"""Chapter 5, "Raft deep dive": what the chapter stages on :mod:`ddia10.raft`.

- :mod:`.scripted`: runs whose every election the script starts — the worked
  example and its player, log reconciliation with and without hints, Figure 8,
  membership changes, and the election drill whose vote is keyed by term.
- :mod:`.reads`: a lease read made stale by a slow clock, and ReadIndex on the
  same run (:func:`lease_drift_run`).
- :mod:`.guards`: a cut-off follower rejoins, with and without PreVote and
  CheckQuorum (:func:`rejoin_run`, :func:`rejoin_scenario`).
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
)
from .guards import REJOIN_AWAY_MS, RejoinResult, rejoin_run, rejoin_scenario
from .reads import lease_drift_run
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
    states_table,
    vote_answers,
    worked_example,
    worked_example_scenario,
)

__all__ = [
    "CAMPAIGN_FAULTS", "DIVERGED", "RAFT_STEPS", "REJOIN_AWAY_MS", "SCRIPTED_LATENCY",
    "SCRIPTED_TIMEOUT", "SLOW_LATENCY", "WORKED_TIMES", "Ballot", "CampaignReport",
    "CampaignResult", "ChurnResult", "MembershipRun", "RejoinResult", "WorkedExample", "ballots",
    "campaign_options", "campaign_seed", "diverged_cluster", "double_vote", "fault_campaign",
    "figure8", "lease_drift_run", "leader_churn", "membership_refused", "membership_run",
    "reconcile_scenario", "rejoin_run", "rejoin_scenario", "run_workload", "states_table",
    "vote_answers", "worked_example", "worked_example_scenario",
]
