"""Chapter 7, "ZAB and others": what the chapter stages on ZAB, VR, EPaxos and Raft.

- :mod:`.players`: the ZAB player of a leader change, the epoch moving in the
  zxids (:func:`zab_leader_change`, :data:`STORY`, :func:`zab_table`,
  :func:`proposed_zxids`).
- :mod:`.runs`: worked runs — what a new ZAB leader does with the proposals it
  finds, a stale read and ``sync``, VR's view change and the longest-log rule,
  EPaxos' fast and slow paths.
- :mod:`.campaigns`: random fault campaigns on ZAB, EPaxos and VR, every
  invariant checked after every event (:func:`protocol_campaign`,
  :func:`campaign_counts`).
- :mod:`.comparison`: the syllabus's comparison table measured with chapter 6's
  :func:`~ddia10.scenarios.paxos.decision_cost` for Multi-Paxos, Raft, ZAB, VR
  and EPaxos, without and with a conflict (:func:`comparison`,
  :func:`comparison_table`), and one decision of each to draw
  (:func:`message_pattern`).
- :mod:`.geo`: five replicas in five regions, EPaxos' closed-loop clients
  beside each, its latency against the conflict rate, and leader-based
  commit times (:data:`FIVE_REGIONS`, :func:`conflict_curve`, :func:`geo_table`).
- :mod:`.flp`: the FLP adversary on Raft, partial synchrony, and how often
  randomized timeouts still split votes (:func:`flp_run`,
  :func:`split_vote_frequencies`).
- :mod:`.real_zookeeper`: a real three-server ZooKeeper ensemble, its zxids
  across a leader kill, a stale read and ``sync`` (:func:`real_zookeeper`).

The chapter imports this package as ``ch7``; everything above is a name of it.
"""

from .campaigns import CAMPAIGN_PROTOCOLS, ProtocolCampaign, campaign_counts, protocol_campaign
from .comparison import (
    HARNESSES,
    PROTOCOLS,
    QUIET_TIMERS,
    SYLLABUS_TABLE,
    comparison,
    comparison_harness,
    comparison_table,
    message_pattern,
)
from .flp import (
    SPLIT_VOTE_CAP,
    SPLIT_VOTE_RANGES,
    DecisionAdversary,
    FLPRun,
    SplitVotes,
    flp_run,
    raft_decided,
    split_vote_frequencies,
    split_vote_table,
    split_vote_trial,
    would_decide,
)
from .geo import (
    FIVE_REGIONS,
    WAN_EPAXOS,
    WAN_RAFT,
    WAN_ZAB,
    ClientCommand,
    conflict_curve,
    epaxos_clients,
    geo_table,
    leader_client_ms,
    leader_commit_ms,
    mean_delay,
    place,
)
from .players import (
    KILL,
    RESTART,
    STORY,
    STORY_STEPS,
    WRITE,
    proposed_zxids,
    zab_leader_change,
    zab_table,
)
from .real_zookeeper import STALE_ATTEMPTS, ZooKeeperRun, ZxidSeen, real_zookeeper
from .runs import (
    EPAXOS_LATENCY,
    attributes_table,
    epaxos_paths,
    history_table,
    message_counts,
    proposals_a_new_leader_finds,
    stale_then_sync,
    view_change_run,
    vr_log_table,
)

__all__ = [
    "HARNESSES", "PROTOCOLS", "QUIET_TIMERS", "SYLLABUS_TABLE", "comparison",
    "comparison_harness", "comparison_table", "message_pattern",
    "CAMPAIGN_PROTOCOLS", "EPAXOS_LATENCY", "FIVE_REGIONS", "KILL", "RESTART", "SPLIT_VOTE_CAP",
    "SPLIT_VOTE_RANGES", "STALE_ATTEMPTS", "STORY", "STORY_STEPS", "WAN_EPAXOS", "WAN_RAFT",
    "WAN_ZAB", "WRITE", "ClientCommand", "DecisionAdversary", "FLPRun", "ProtocolCampaign",
    "SplitVotes", "ZooKeeperRun", "ZxidSeen", "attributes_table", "campaign_counts",
    "conflict_curve", "epaxos_clients", "epaxos_paths", "flp_run", "geo_table",
    "history_table", "leader_client_ms", "leader_commit_ms", "vr_log_table", "mean_delay",
    "message_counts", "place", "proposals_a_new_leader_finds", "proposed_zxids",
    "protocol_campaign", "raft_decided", "real_zookeeper", "split_vote_frequencies",
    "split_vote_table", "split_vote_trial", "stale_then_sync", "view_change_run",
    "would_decide", "zab_leader_change", "zab_table",
]
