"""Chapter 8, "Consistency in practice": what the chapter stages on :mod:`ddia10.coord`.

- :mod:`.service` — a tour of the service: revisions and a transaction, a
  lease running out, service discovery, every kind of bad request.
- :mod:`ddia10.scenarios.in_practice.fencing` — the paused lock holder with
  and without fencing (a run, its timeline and a player), and a lock that
  trusts a drifting clock.
- :mod:`.quorum` — a three-replica service healthy, degraded and lost,
  probed and played.
- :mod:`.scheduler` — the design challenge: a lock per task, compare-and-swap
  claims and leader-assigned partitions, measured.
- :mod:`.costs` — what one consensus write per request costs a rate limiter,
  and why the service is not a database.
- :mod:`.campaigns` — every recipe under random crashes, partitions and pauses.
- :mod:`.real` — the same recipes against a real etcd cluster, when one can run.
"""

from .campaigns import (
    BUGS,
    CAMPAIGN_DURATION,
    RECIPES,
    RecipeCampaign,
    RecipeRun,
    recipe_campaign,
    recipe_cluster,
    recipe_run,
)
from .costs import HistoryCost, IncrementCost, history_cost, increment_cost
from .fencing import (
    CUT_A,
    DRIFT_STEPS,
    DRIFT_STORY,
    FENCING_STEPS,
    PAUSE_A,
    RESUME_A,
    DriftRun,
    FencingStory,
    drift_run,
    drift_scenario,
    fencing_presses,
    fencing_run,
    fencing_scenario,
    lock_table,
    presses_at,
    story_timeline,
    story_world,
)
from .quorum import (
    QUORUM_STEPS,
    QUORUM_STORY,
    STATES,
    QuorumProbe,
    quorum_loss_table,
    quorum_presses,
    quorum_probe,
    quorum_scenario,
)
from .real import RealEtcdRun, real_etcd
from .scheduler import DESIGNS, SchedulerRun, ceiling, design_table, scheduler_run
from .service import (
    DiscoveryRun,
    LeaseRun,
    discovery_run,
    error_table,
    lease_run,
    revisions_tour,
)

__all__ = [
    "BUGS", "CAMPAIGN_DURATION", "CUT_A", "DESIGNS", "DRIFT_STEPS", "DRIFT_STORY", "FENCING_STEPS",
    "PAUSE_A", "QUORUM_STEPS", "QUORUM_STORY", "RECIPES", "RESUME_A", "STATES", "DiscoveryRun",
    "DriftRun", "FencingStory", "HistoryCost", "IncrementCost", "LeaseRun", "QuorumProbe",
    "RealEtcdRun", "RecipeCampaign", "RecipeRun", "SchedulerRun", "ceiling", "design_table",
    "discovery_run", "drift_run", "drift_scenario", "error_table", "fencing_presses",
    "fencing_run", "fencing_scenario", "history_cost", "increment_cost", "lease_run", "lock_table",
    "presses_at", "quorum_loss_table", "quorum_presses", "quorum_probe", "quorum_scenario",
    "real_etcd",
    "recipe_campaign", "recipe_cluster", "recipe_run", "revisions_tour", "scheduler_run",
    "story_timeline", "story_world",
]
