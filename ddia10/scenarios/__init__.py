"""What each chapter stages: one module (or package) per chapter, named after its notebook.

A chapter notebook imports its module (``from ddia10.scenarios import raft as
ch4``) and the few protocol names its prose uses. A scenario module builds
worked runs and experiments on the protocols, the players a reader steps
through, the tables and figures the chapter shows, and the random campaigns
its tests and benchmarks run; the golden traces (``tests/golden``) pin its runs.

- :mod:`.the_problem` — chapter 0: the leader cut off under naive and quorum
  failover, partial synchrony, the replicated state machine, cluster sizes.
- :mod:`.linearizability` — chapter 1: stale reads from a lagging follower, the
  CAP map.
- :mod:`.ordering` — chapter 2: Lamport and vector clocks' worked traces, total
  order broadcast with a sequencer and on Raft, consensus from broadcast.
- :mod:`.two_phase_commit` — chapter 3: the transfer, the stories of a
  coordinator crash, recovery, the replicated coordinator, real PostgreSQL.
- :mod:`.raft` — chapter 4 (a package): the five-server player, the RPCs, commit
  latency, Figure 16.
- :mod:`.raft_deep_dive` — chapter 5 (a package): the worked example, log
  repair, Figure 8, membership, reads under clock drift, PreVote and
  CheckQuorum, the fault and key-value campaigns.
- :mod:`.paxos` — chapter 6: a round with five acceptors, the three-proposer
  player, dueling proposers, Multi-Paxos's holes and its fault campaign, Paxos
  beside Raft measured, the explorer's Paxos model and counterexample player.
- :mod:`.zab_and_others` — chapter 7 (a package): ZAB's leader change in zxids
  (simulated and on a real ZooKeeper ensemble), VR's view change, EPaxos'
  paths, conflicts and five regions, the random campaigns, FLP's adversary
  and split votes.
- :mod:`.in_practice` — chapter 8 (a package): the coordination service's
  tour, fencing and drift, quorum loss, the task-scheduler designs, the cost
  of consensus, the recipe campaigns, a real etcd cluster.
- :mod:`.interview_arsenal` — chapter 9: the consistency ladder's histories,
  the two-region lock service measured, the practice set of drills.
- :mod:`.connections` — chapter 10: quorum systems, CASPaxos runs, the
  decision tree, the reading list.
"""
