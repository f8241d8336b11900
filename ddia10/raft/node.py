"""A Raft server as a pure, message-driven state machine.

Raft (Ongaro & Ousterhout, 2014) keeps a replicated log consistent by putting
one leader in charge of it. Time is divided into *terms*; each term begins
with an election and has at most one leader. This module follows the shape of
etcd's raft library:

- **The role decides the step function.** A message first goes through the
  term rules every server applies (:meth:`RaftNode.step_term`: a higher term
  makes anyone a follower, a lower term is stale), then to
  :meth:`~RaftNode.step_follower`, :meth:`~RaftNode.step_candidate` or
  :meth:`~RaftNode.step_leader`.
- **Every reset happens in one place.** ``become_follower``,
  ``become_pre_candidate``, ``become_candidate`` and ``become_leader`` set the
  role and reset the volatile state that goes with it.
- **Time moves only through timers**: ``election`` (randomised, from
  ``ctx.rng``; on a leader it is the CheckQuorum tick), ``heartbeat``
  (leader), ``flush`` (a zero-delay timer that gathers the proposals and read
  requests of one instant into one batch) and ``fsync`` (a write to stable
  storage ending, below).
- **Effects are requests.** Everything a handler does to the world — send,
  arm a timer, persist, report a fact to the safety monitor — goes through
  its :class:`~ddia10.sim.Context`, which records it; so one server can be
  stepped alone and its outbox read (``tests/test_raft_interaction.py``).
- **The parts live apart**, as in etcd: what the leader knows of each
  follower in :mod:`~ddia10.raft.progress`, ReadIndex and leases in
  :mod:`~ddia10.raft.read_only`, the disk in :mod:`~ddia10.raft.disk`, the
  log's layout in stable storage in :mod:`~ddia10.raft.storage`.

**Persistence.** ``term``, ``voted_for`` and the log reach ``ctx.persist``
before the server answers anyone (the log in batches, see
:mod:`~ddia10.raft.storage`, so a long log costs no more per append than a
short one). A crash loses everything else: role, commit index, what the
leader knew of its followers. On restart the server rebuilds from
``ctx.stable`` and learns the commit index again from a leader.

**The disk.** With ``disk_latency`` > 0 a write to stable storage takes time,
and a server holds back every message that promises its stable state — a
granted vote, a successful AppendEntries or InstallSnapshot reply — until
the write ends (:mod:`~ddia10.raft.disk`). Rejections, pre-votes and requests
promise nothing and go at once: Figure 2 asks for stable state only "before
responding to RPCs". What a server must not do is count *itself* before its
own write ends. A leader sends its AppendEntries while it writes the same
entries (thesis §10.2.1, as etcd does) and counts itself towards a majority
for an entry only once its write of it has ended (``durable_index``). A
candidate sends RequestVote while its new term and vote are being written
and becomes leader only once that write has ended, however many grants are
in (etcd does the same with asynchronous storage writes). Were it to lead on
an unwritten vote, it could crash, restart in its old term, vote for another
candidate of that same term, and the term would have two leaders.

**The rules, by section of the paper**

- §5.1 terms: a server that sees a higher term takes it and becomes a
  follower; a request of a lower term is refused with the current term, so
  its sender learns it is stale.
- §5.2 election: a follower that hears nothing for its election timeout
  becomes a candidate, votes for itself and asks the others; a server grants
  one vote per term; a majority of votes (of each configuration, during a
  joint change) makes the candidate leader; hearing from a leader of its term
  makes it a follower again. When the election timer starts again is etcd's
  rule by default, Figure 2's with ``election_timer="paper"`` (see
  :mod:`~ddia10.raft.options`).
- §5.3 replication: AppendEntries carries ``prev_log_index``/``prev_log_term``;
  a follower accepts only if its log has that entry, then cuts its log only
  where it conflicts with the new entries (never for a duplicate) and appends
  what is new. A rejection carries a hint (conflict term and its first index)
  so the leader skips back a whole term at a time (``conflict_hints``;
  without it, one entry a time). The leader tracks each follower as etcd does
  (:mod:`~ddia10.raft.progress`): while it *probes* it sends one AppendEntries
  and waits; once the follower matches, the leader *pipelines* up to
  ``max_inflight`` messages of up to ``max_batch`` entries.
- §5.4.1 election restriction: a vote goes only to a candidate whose log is at
  least as up to date as the voter's.
- §5.4.2 commitment: the leader commits index N once a quorum stores it *and*
  entry N is from the leader's current term; earlier entries commit with it.
  That is why a new leader appends a no-op entry at once (as etcd and the
  thesis do): it commits what earlier terms left behind without waiting for a
  client. A follower commits what the leader says is committed, as far as
  its log matches the leader's.
- §7 log compaction: after ``snapshot_threshold`` applied entries the server
  snapshots its state machine and drops the log prefix; a follower that needs
  a dropped entry gets InstallSnapshot.
- §6 / thesis ch. 4 membership: a configuration entry takes effect as soon as
  it is in a server's log (committed or not). A leader proposes one change at
  a time, and only once it has committed an entry of its own term (the fix
  for the single-server-change bug, thesis §4.1). Single-server changes add
  or remove one voter; joint consensus goes through C_old,new (majorities of
  both) to C_new, which the leader appends by itself once C_old,new commits.
  Learners receive the log but never vote or stand for election. A leader
  that is not in C_new steps down once C_new commits; a server that an
  uncommitted configuration removed still stands for election, since it may
  be needed until that entry commits (thesis §4.2.2).
- thesis §6.4 reads: ReadIndex (note the commit index, confirm leadership with
  a heartbeat round, wait until applied) and lease reads (a leader that heard
  from a majority within the last lease period, on its own clock, answers
  alone — sound only with CheckQuorum, while clocks drift less than
  ``clock_drift_bound``, and while the followers remember vouching for it: a
  restarted server keeps quiet for a minimum election timeout,
  ``quiet_restart``).
- thesis §9.6 PreVote and CheckQuorum: a would-be candidate first asks whether
  it could win, without raising its term; voters who heard from a leader
  within the minimum election timeout say no; and a leader that has not heard
  from a majority for an election timeout steps down. CheckQuorum's refusal
  is also the thesis' rule for removed servers (§4.2.3): a server that heard
  from a leader within the minimum election timeout ignores RequestVote.

**Where each rule lives.** The methods a reader is asked to write (or to
break) have public names: :meth:`RaftNode.step_term` (§5.1),
:meth:`RaftNode.handle_request_vote` (§5.2, §5.4.1, PreVote),
:meth:`RaftNode.count_votes` (§5.2), :meth:`RaftNode.handle_append_entries`
(the §5.3 consistency check), :meth:`RaftNode.store_entries` (§5.3: cut only
on a conflict), :meth:`RaftNode.maybe_commit` (§5.4.2),
:meth:`RaftNode.send_append` (probe and pipeline),
:meth:`RaftNode.handle_install_snapshot` (§7).

Subclasses (the key-value store) override :meth:`apply_command`,
:meth:`on_client_message`, :meth:`on_read_ready`, :meth:`on_read_failed`,
:meth:`snapshot_state` and :meth:`restore_state`.

**What a node publishes.** After every step the node annotates the trace with
what changed in :meth:`RaftNode.view`, a :class:`RaftView`; the players and
the log views (:mod:`ddia10.viz.raft_log`) read those keys back:

==================  ===========================================================
key                 value
==================  ===========================================================
``role``            ``"follower"``, ``"pre-candidate"``, ``"candidate"`` or
                    ``"leader"``
``term``            the current term
``voted_for``       whom it voted for in this term (``None``: nobody yet)
``leader_id``       the leader it follows (itself when leading; ``None``)
``commit_index``    the highest index known committed
``last_applied``    the highest index applied to the state machine
``log_len``         the index of the last log entry (compacted ones count)
``log_start``       the index of the first entry listed in ``log``
``log``             ``[(term, short command), ...]`` from ``log_start`` to the
                    end: the whole log after the snapshot, at most the last 16
``snapshot_index``  the last index the snapshot covers (0: none)
``config``          the configuration in force, as ``repr(Configuration)``
``next_index``      leader only: ``{follower: next index to send}``; else ``None``
``match_index``     leader only: ``{follower: highest index known to match}``;
                    else ``None``
==================  ===========================================================
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any, TypedDict

from ..quorum import VoteResult
from ..sim import Context, Process
from ..validate import check_instance
from .disk import Disk
from .invariants import Applied, BecameLeader, Committed, Truncated
from .log import RaftLog
from .messages import (
    NOOP,
    RAFT_MESSAGES,
    AppendEntries,
    AppendEntriesReply,
    Configuration,
    InstallSnapshot,
    InstallSnapshotReply,
    NoOp,
    RequestVote,
    RequestVoteReply,
    Snapshot,
    short,
)
from .options import RaftOptions
from .progress import REPLICATE, Progress
from .read_only import ReadOnly
from .storage import DurableLog

FOLLOWER, PRE_CANDIDATE, CANDIDATE, LEADER = "follower", "pre-candidate", "candidate", "leader"
ROLES = (FOLLOWER, PRE_CANDIDATE, CANDIDATE, LEADER)
_LOG_SHOWN = 16  # annotations list the whole log up to this many entries, else its tail


class RaftView(TypedDict):
    """The state a node publishes (see the table in the module docstring)."""

    role: str
    term: int
    voted_for: Hashable | None
    leader_id: Hashable | None
    commit_index: int
    last_applied: int
    log_len: int
    log_start: int
    log: list[tuple[int, str]]
    snapshot_index: int
    config: str
    next_index: dict[Hashable, int] | None
    match_index: dict[Hashable, int] | None


class RaftNode(Process):
    """One Raft server. ``voters`` is the configuration it boots with (empty
    for a server that will join a running cluster and learn its configuration
    from the leader).

    ``applied_entries`` records ``(index, command)`` for every client command
    this server applied, whatever its state machine does with it. A snapshot
    (§7) carries a state, not the commands that made it: after restoring one
    (InstallSnapshot, or a restart) the record holds only what was applied
    after ``restored_index`` — unless the state machine's snapshot is the
    record itself, as the default one is.

    Every attribute is set here; :meth:`on_start` reloads them from stable
    storage. The safety monitor is not the node's: the node reports facts
    with ``ctx.report`` (see :mod:`~ddia10.raft.invariants`) and the harness's
    monitor hears them.
    """

    def __init__(self, options: RaftOptions | None = None, voters: Iterable[Hashable] = ()) -> None:
        if options is None:
            options = RaftOptions()
        self.options = check_instance("options", options, RaftOptions)
        self.bootstrap = Configuration(frozenset(voters))
        self.pid: Hashable = None
        # what survives a crash, reloaded by on_start
        self.term = 0
        self.voted_for: Hashable | None = None
        self.log = RaftLog()
        self.durable = DurableLog()  # how the log sits in stable storage
        self.snapshot: Snapshot | None = None
        # the state machine
        self.applied_entries: list[tuple[int, Any]] = []
        self.restored_index = 0
        self.commit_index = 0
        self.last_applied = 0
        # membership: the snapshot's configuration, then every one in the log
        self.base_config = self.bootstrap
        self.config_entries: list[tuple[int, Configuration]] = []
        # the role and what goes with it
        self.role = FOLLOWER
        self.leader_id: Hashable | None = None
        self.leader_contact = float("-inf")  # when a leader was last heard (local clock)
        self.restarted_at = float("-inf")  # when this incarnation restarted (local clock)
        self.votes: dict[Hashable, bool] = {}  # candidate: who answered, and how
        self.progress: dict[Hashable, Progress] = {}  # leader: each follower
        self.read_only = ReadOnly()  # leader: ReadIndex reads, heartbeat rounds, lease
        self.flush_due = False  # leader: a flush is armed for the end of this instant
        self.disk = Disk(options.disk_latency)
        self._published: dict = {}  # what the trace was last told (see view)

    def fingerprint(self) -> dict:
        """The node's state for the world's fingerprint, without readings of its
        clock (when the leader was last heard, when each heartbeat round left,
        when the lease ends) or what the trace was last told: two runs that
        reached the same state at different speeds hash alike."""
        state = dict(vars(self))
        del state["leader_contact"], state["restarted_at"], state["_published"]
        state["read_only"] = self.read_only.fingerprint()
        return state

    # ================================================================== hooks
    def apply_command(self, ctx: Context, index: int, command: Any) -> Any:
        """Apply one committed client command; called once per entry, in index
        order, after it joined ``applied_entries``. The default state machine
        is that record itself, so there is nothing more to do."""

    def on_client_message(self, ctx: Context, src: Hashable, msg: Any) -> None:
        """Any message that is not a Raft RPC lands here (client requests)."""

    def on_read_ready(self, ctx: Context, read_id: Hashable, index: int) -> None:
        """ReadIndex: a read issued by :meth:`request_read` may now be served from
        the state machine, which has applied at least ``index``."""

    def on_read_failed(self, ctx: Context, read_id: Hashable) -> None:
        """ReadIndex: this server is not (or no longer) leader; the read must go elsewhere."""

    def snapshot_state(self) -> Any:
        """The state machine as an immutable value, for a snapshot (§7): it is
        stored and sent as it is."""
        return tuple(self.applied_entries)

    def restore_state(self, state: Any) -> None:
        """Replace the state machine with a snapshot's value."""
        self.applied_entries = list(state)

    @property
    def applied_commands(self) -> list:
        """The commands of ``applied_entries``, in order."""
        return [command for _index, command in self.applied_entries]

    # ================================================================== client API
    def propose(self, ctx: Context, command: Any) -> tuple[int, int] | None:
        """Append ``command`` to the log if this server leads: ``(index, term)``,
        or ``None`` if it does not. Being appended is no promise of commitment."""
        if isinstance(command, (NoOp, Configuration)):
            raise ValueError(f"{command!r} is Raft's own entry; use propose_config for membership")
        if self.role != LEADER:
            return None
        return self._append_as_leader(ctx, command), self.term  # annotated when the batch flushes

    def propose_config(
        self, ctx: Context, voters: Iterable[Hashable], learners: Iterable[Hashable] = (),
        *, joint: bool | None = None,
    ) -> tuple[int, int] | None:
        """Propose a new configuration. One voter added or removed goes in one
        step; more (or ``joint=True``) goes through joint consensus. Returns
        ``None`` if this server is not leader, has not yet committed an entry of
        its term, or another change is still uncommitted (one at a time)."""
        new_voters, new_learners = frozenset(voters), frozenset(learners)
        if not new_voters:
            raise ValueError("a configuration needs at least one voter")
        if new_voters & new_learners:
            both = sorted(new_voters & new_learners)
            raise ValueError(f"servers {both} cannot be both voter and learner")
        if self.role != LEADER or self._config_pending() or not self._committed_in_term():
            return None
        old = self.config
        changed = old.voters ^ new_voters
        if joint is None:
            joint = len(changed) > 1
        if not joint and len(changed) > 1:
            raise ValueError(
                f"a single-server change adds or removes one voter, not {sorted(changed)}; "
                "use joint=True"
            )
        outgoing = old.voters if joint and changed else frozenset()
        index = self._append_as_leader(ctx, Configuration(new_voters, new_learners, outgoing))
        self._end_step(ctx)
        return index, self.term

    def request_read(self, ctx: Context, read_id: Hashable) -> None:
        """Start a ReadIndex read: later :meth:`on_read_ready` or :meth:`on_read_failed`."""
        if self.role != LEADER:
            self.on_read_failed(ctx, read_id)
            return
        self.read_only.request(read_id, self.commit_index if self._committed_in_term() else None)
        self._flush_soon(ctx)
        self._serve_reads(ctx)

    def lease_read_ok(self, ctx: Context) -> bool:
        """May this leader answer a read from its own state right now?

        Only with ``check_quorum`` (followers then refuse votes while they hear
        from a leader, which is what the lease leans on), only after it has
        committed an entry of its term, and only until its lease runs out on
        its *own* clock. A clock running slow stretches the lease in real time:
        that is the danger the book shows."""
        return (
            self.options.check_quorum
            and self.role == LEADER
            and self._committed_in_term()
            and self.read_only.lease_holds(ctx.now)
        )

    def campaign(self, ctx: Context) -> None:
        """Start an election now, as if the election timer had fired (etcd's
        ``MsgHup``): used by scripted scenarios that want exact control."""
        if self.role == LEADER:
            raise ValueError(f"server {self.pid!r} already leads term {self.term}")
        if not self._promotable():
            raise ValueError(f"server {self.pid!r} is not a voter of {self.config!r}")
        self._start_election(ctx)
        self._end_step(ctx)

    @property
    def config(self) -> Configuration:
        """The configuration in force: the latest one in the log, committed or not."""
        return self.config_entries[-1][1] if self.config_entries else self.base_config

    # ================================================================== start
    def on_start(self, ctx: Context) -> None:
        """Reload what stable storage holds; everything else starts afresh."""
        stable = ctx.stable
        self.pid = ctx.pid
        self.term = stable.get("term", 0)
        self.voted_for = stable.get("voted_for")
        self.snapshot, self.log, self.durable = DurableLog.load(stable)
        if self.snapshot is None:
            self.base_config = self.bootstrap
        else:
            self.base_config = self.snapshot.config
            self._restore(self.snapshot.index, self.snapshot.state)
        self.config_entries = [
            (i, cmd) for i, (_t, cmd) in enumerate(self.log.entries, self.log.snapshot_index + 1)
            if isinstance(cmd, Configuration)
        ]
        self.commit_index = self.last_applied = self.log.snapshot_index
        self.progress = {}
        self.votes = {}
        self.read_only = ReadOnly()
        self.leader_contact = float("-inf")
        if ctx.incarnation > 0 and self.options.quiet_restart:
            self.restarted_at = ctx.now  # it may have vouched for a lease it no longer recalls
        self.disk = Disk(self.options.disk_latency, self.log.last_index)
        self._published = {}
        self.become_follower(ctx, self.term, None)
        self._publish(ctx)

    # ================================================================== roles
    def _reset(self, ctx: Context, term: int) -> None:
        """What every role change resets (etcd's ``reset``)."""
        if term != self.term:
            self.term = term
            self.voted_for = None
            self._persist_vote(ctx)
        self.leader_id = None
        for read in self.read_only.reset():
            self.on_read_failed(ctx, read.read_id)
        self.votes = {}
        self.progress = {}
        ctx.cancel_timer("heartbeat")
        ctx.cancel_timer("flush")
        self.flush_due = False

    def become_follower(self, ctx: Context, term: int, leader_id: Hashable | None,
                        *, keep_timer: bool = False) -> None:
        self._reset(ctx, term)
        self.role = FOLLOWER
        self.leader_id = leader_id
        if not keep_timer:
            self._reset_election_timer(ctx)

    def become_pre_candidate(self, ctx: Context) -> None:
        """PreVote: ask whether we *would* win in ``term + 1``, keeping our term."""
        self._reset(ctx, self.term)
        self.role = PRE_CANDIDATE
        self._reset_election_timer(ctx)
        self._solicit_votes(ctx, self.term + 1, prevote=True)

    def become_candidate(self, ctx: Context) -> None:
        self._reset(ctx, self.term + 1)
        self.role = CANDIDATE
        self.voted_for = self.pid
        self._persist_vote(ctx)
        self._reset_election_timer(ctx)
        self._solicit_votes(ctx, self.term, prevote=False)

    def become_leader(self, ctx: Context) -> None:
        self._reset(ctx, self.term)
        self.role = LEADER
        self.leader_id = self.pid
        for peer in _ordered(self.config.members - {self.pid}):
            self.progress[peer] = Progress(self.log.last_index + 1)
        ctx.report(BecameLeader(self.pid, self.term, tuple(self.log.term_runs()),
                                self.log.last_index))
        # The no-op (§5.4.2, §8): commits every entry of earlier terms as soon
        # as it commits, and lets ReadIndex and lease reads begin.
        self._append_as_leader(ctx, NOOP)
        self._start_round(ctx)
        ctx.set_timer(self.options.heartbeat_interval, "heartbeat")
        ctx.set_timer(self.options.election_timeout[0], "election")  # the CheckQuorum tick

    # ================================================================== timers
    def on_timer(self, ctx: Context, name: Hashable) -> None:
        if name == "election":
            if self.role == LEADER:
                self._check_quorum(ctx)
            elif self._promotable():
                self._start_election(ctx)
            else:
                self._reset_election_timer(ctx)  # a server with no vote to win waits
        elif name == "heartbeat" and self.role == LEADER:
            self._heartbeat(ctx)
        elif name == "flush" and self.role == LEADER:
            self.flush_due = False  # only a leader arms it; stepping down disarms it
            if self.read_only.round_wanted:
                self._start_round(ctx)
            else:
                for peer in self.progress:
                    self.send_append(ctx, peer)
        elif name == "fsync":
            self._written(ctx)
        self._end_step(ctx)

    def _start_election(self, ctx: Context) -> None:
        if self.options.prevote:
            self.become_pre_candidate(ctx)
        else:
            self.become_candidate(ctx)

    def _heartbeat(self, ctx: Context) -> None:
        """Probe again where pipelined batches seem lost, then send a new round to everyone."""
        for pr in self.progress.values():
            pr.heartbeat_elapsed()
        self._start_round(ctx)
        ctx.set_timer(self.options.heartbeat_interval, "heartbeat")

    def _check_quorum(self, ctx: Context) -> None:
        """CheckQuorum: step down unless a quorum answered during the last election timeout."""
        ctx.set_timer(self.options.election_timeout[0], "election")
        if not self.options.check_quorum:
            return
        active = {peer: pr.recent_active for peer, pr in self.progress.items()}
        active[self.pid] = True
        for pr in self.progress.values():
            pr.recent_active = False
        if self.config.quorum().vote_result(active) is not VoteResult.WON:
            self.become_follower(ctx, self.term, None)

    def _reset_election_timer(self, ctx: Context) -> None:
        lo, hi = self.options.election_timeout
        ctx.set_timer(ctx.rng.uniform(lo, hi), "election")

    # ================================================================== messages
    def on_message(self, ctx: Context, src: Hashable, msg: Any) -> None:
        if not isinstance(msg, RAFT_MESSAGES):
            self.on_client_message(ctx, src, msg)
            return
        if not self.step_term(ctx, src, msg):
            return
        if isinstance(msg, RequestVote):
            self.handle_request_vote(ctx, src, msg)
        elif self.role == LEADER:
            self.step_leader(ctx, src, msg)
        elif self.role in (PRE_CANDIDATE, CANDIDATE):
            self.step_candidate(ctx, src, msg)
        else:
            self.step_follower(ctx, src, msg)
        self._end_step(ctx)

    def step_term(self, ctx: Context, src: Hashable, msg: Any) -> bool:
        """The term rules every role obeys (§5.1); False if the message is done with."""
        if msg.term > self.term:
            if isinstance(msg, RequestVote):
                if self._in_lease(ctx):
                    return False  # CheckQuorum: a live leader exists; ignore the disruption
                if msg.prevote:
                    return True  # a pre-vote never changes anyone's term
            if isinstance(msg, RequestVoteReply) and msg.prevote and msg.vote_granted:
                return True  # a granted pre-vote carries the term we would campaign in
            leader = src if isinstance(msg, (AppendEntries, InstallSnapshot)) else None
            self.become_follower(ctx, msg.term, leader, keep_timer=self._paper_timer())
            return True
        if msg.term < self.term:
            if isinstance(msg, AppendEntries):  # a stale leader: our term will depose it
                ctx.send(src, AppendEntriesReply(self.term, False, round=msg.round))
            elif isinstance(msg, InstallSnapshot):
                ctx.send(src, InstallSnapshotReply(self.term, 0, msg.round))
            elif isinstance(msg, RequestVote):
                ctx.send(src, RequestVoteReply(self.term, False, msg.prevote))
            return False
        return True

    # ---------------------------------------------------------------- votes (every role)
    def handle_request_vote(self, ctx: Context, src: Hashable, msg: RequestVote) -> None:
        """§5.2 one vote per term, §5.4.1 only for a log at least as up to date
        as ours; a pre-vote (thesis §9.6) only if we would vote and have not
        heard from a leader lately. A granted vote is persisted first and goes
        out once it is on disk."""
        opts = self.options
        log_ok = opts.bug_no_election_restriction or self.log.is_up_to_date(
            msg.last_log_index, msg.last_log_term
        )
        if msg.prevote:
            grant = msg.term > self.term and log_ok and not self._heard_from_leader(ctx)
            ctx.send(src, RequestVoteReply(msg.term if grant else self.term, grant, True))
            return
        if opts.bug_vote_per_term_not_candidate:
            # The drill's bug: the vote is keyed by term, so any candidate of
            # this term passes the check once anyone has got our vote.
            can_vote = self.voted_for in (None, msg.term)
        else:
            can_vote = self.voted_for in (None, msg.candidate_id)
        grant = can_vote and log_ok
        if grant:
            self.voted_for = msg.term if opts.bug_vote_per_term_not_candidate else msg.candidate_id
            self._persist_vote(ctx)
            self._reset_election_timer(ctx)
            self.disk.send_durable(ctx, src, RequestVoteReply(self.term, grant))
        else:
            ctx.send(src, RequestVoteReply(self.term, grant))

    def _solicit_votes(self, ctx: Context, term: int, prevote: bool) -> None:
        """Vote for ourselves and ask the others at once: a request promises
        nothing, so it need not wait for our own vote to be written."""
        if self.pid in self.config.all_voters:
            self.votes[self.pid] = True
        if self.count_votes(ctx):
            return
        request = RequestVote(term, self.pid, self.log.last_index, self.log.last_term, prevote)
        for peer in _ordered(self.config.all_voters - {self.pid}):
            ctx.send(peer, request)

    def count_votes(self, ctx: Context) -> bool:
        """Act on the votes so far (§5.2); True if the election is decided. A
        candidate that has won still waits for its own vote to be written: only
        a durable vote counts, and the end of the write counts again."""
        result = self.config.quorum().vote_result(self.votes)
        if result is VoteResult.WON:
            if self.role == PRE_CANDIDATE:
                self.become_candidate(ctx)
            elif self._vote_written():
                self.become_leader(ctx)
            return True
        if result is VoteResult.LOST:
            if not self._paper_timer():  # the paper's candidate waits out its timeout
                self.become_follower(ctx, self.term, None)
            return True
        return False

    # ---------------------------------------------------------------- follower
    def step_follower(self, ctx: Context, src: Hashable, msg: Any) -> None:
        """A follower hears only from the leader: AppendEntries and InstallSnapshot."""
        if isinstance(msg, AppendEntries):
            self._heard_from(ctx, src)
            self.handle_append_entries(ctx, src, msg)
        elif isinstance(msg, InstallSnapshot):
            self._heard_from(ctx, src)
            self.handle_install_snapshot(ctx, src, msg)

    def _heard_from(self, ctx: Context, leader: Hashable) -> None:
        self.leader_id = leader
        self.leader_contact = ctx.now
        self._reset_election_timer(ctx)

    def handle_append_entries(self, ctx: Context, src: Hashable, msg: AppendEntries) -> None:
        """§5.3: accept only if our log holds ``prev_log_index`` with
        ``prev_log_term``, else reject with a hint; then store the entries,
        commit what the leader has committed as far as we match, and reply
        once the entries are on disk."""
        prev, entries = msg.prev_log_index, msg.entries
        if prev < self.log.snapshot_index:  # the start is already in our snapshot: skip it
            skip = self.log.snapshot_index - prev
            if skip > len(entries):  # all of it is: nothing to learn from this message
                self.disk.send_durable(ctx, src, AppendEntriesReply(
                    self.term, True, prev + len(entries), round=msg.round))
                return
            prev, entries = self.log.snapshot_index, entries[skip:]
            prev_term = self.log.snapshot_term
        else:
            prev_term = msg.prev_log_term
        if prev > self.log.last_index:
            ctx.send(src, AppendEntriesReply(
                self.term, False, reject_index=msg.prev_log_index,
                conflict_index=self.log.last_index + 1, conflict_term=None, round=msg.round))
            return
        mine = self.log.term_at(prev)
        if mine != prev_term:
            ctx.send(src, AppendEntriesReply(
                self.term, False, reject_index=msg.prev_log_index,
                conflict_index=self.log.first_index_of_term(prev), conflict_term=mine,
                round=msg.round))
            return
        self.store_entries(ctx, prev, entries)
        match = prev + len(entries)
        if msg.leader_commit > self.commit_index:
            self._commit_to(ctx, min(msg.leader_commit, match))
        self.disk.send_durable(ctx, src, AppendEntriesReply(self.term, True, match,
                                                            round=msg.round))

    def store_entries(self, ctx: Context, prev: int, entries: tuple) -> None:
        """Append what is new after ``prev``; cut our log only where an entry
        contradicts the leader's (same index, other term), never for one we
        already hold (§5.3): a late duplicate must not erase newer entries."""
        for k, (term, _command) in enumerate(entries):
            index = prev + 1 + k
            if index <= self.log.last_index:
                if self.log.term_at(index) == term:
                    continue  # already have it (a duplicate or an overlapping batch)
                self._truncate_after(ctx, index - 1)
            self._append_entries(ctx, entries[k:])
            return

    def handle_install_snapshot(self, ctx: Context, src: Hashable, msg: InstallSnapshot) -> None:
        """§7: a snapshot beyond our commit index replaces the state machine and
        the log up to its index (a matching suffix is kept)."""
        index = msg.last_included_index
        if index > self.commit_index:
            self.log.compact(index, msg.last_included_term)  # keeps a matching suffix, if any
            self.base_config = msg.configuration
            self.config_entries = [(i, c) for i, c in self.config_entries
                                   if index < i <= self.log.last_index]
            self._restore(index, msg.state)
            self.commit_index = self.last_applied = index
            self.snapshot = Snapshot(index, msg.last_included_term, msg.configuration, msg.state)
            self.durable.compact(ctx, self.log, self.snapshot)
            self._wrote()
        self.disk.send_durable(ctx, src, InstallSnapshotReply(
            self.term, max(index, self.commit_index), msg.round))

    def _restore(self, index: int, state: Any) -> None:
        """The state machine becomes a snapshot's, up to ``index``: what this
        server applied before is replaced, so its record starts again."""
        self.applied_entries = []
        self.restored_index = index
        self.restore_state(state)

    # ---------------------------------------------------------------- candidate
    def step_candidate(self, ctx: Context, src: Hashable, msg: Any) -> None:
        """A (pre-)candidate counts the answers to its (pre-)vote requests and
        yields to a leader it hears from."""
        if isinstance(msg, (AppendEntries, InstallSnapshot)):
            # A leader of our term exists (a pre-candidate hears of one at any term >= ours).
            self.become_follower(ctx, msg.term, src)
            self.step_follower(ctx, src, msg)
        elif isinstance(msg, RequestVoteReply) and msg.prevote == (self.role == PRE_CANDIDATE):
            if src in self.config.all_voters:
                self.votes[src] = msg.vote_granted
                self.count_votes(ctx)

    # ---------------------------------------------------------------- leader
    def step_leader(self, ctx: Context, src: Hashable, msg: Any) -> None:
        """A leader hears its followers' replies: each moves that follower's
        :class:`~ddia10.raft.progress.Progress`, may commit, confirms
        heartbeat rounds, and is answered with whatever the follower lacks."""
        pr = self.progress.get(src)
        if pr is None or not isinstance(msg, (AppendEntriesReply, InstallSnapshotReply)):
            return
        if pr.heard(msg.round):
            self._confirm_rounds(ctx)
        if isinstance(msg, InstallSnapshotReply) or msg.success:
            if pr.maybe_update(msg.match_index):
                self.maybe_commit(ctx)
        else:
            pr.maybe_decrease(msg.reject_index, self._probe_hint(msg))
        if src in self.progress:  # (a commit may have ended our leadership or its membership)
            self.send_append(ctx, src)

    def _probe_hint(self, reply: AppendEntriesReply) -> int:
        """Where to probe after a rejection. With ``conflict_hints`` (§5.3, last
        paragraphs) skip the follower's whole conflicting term, or jump to its
        log end; without, one entry per rejection, as the paper's basic rule does."""
        if not self.options.conflict_hints:
            return reply.reject_index
        if reply.conflict_term is not None:
            last = self.log.last_index_of_term(reply.conflict_term)
            if last is not None:
                return last + 1
        return reply.conflict_index

    def send_append(self, ctx: Context, peer: Hashable, heartbeat: bool = False) -> None:
        """Send ``peer`` what it lacks: one probe at a time while probing, as
        much as the pipeline has room for while replicating; the snapshot if
        what it needs is compacted away. A heartbeat round (the timer's, or a
        read's) reaches it in any case, empty if nothing else is due."""
        pr = self.progress[peer]
        log = self.log
        if pr.state == REPLICATE and pr.next_index <= log.snapshot_index:
            pr.become_probe(pr.next_index)  # what it needs is compacted away: a snapshot probes
        sent = False
        max_inflight = self.options.max_inflight
        while pr.next_index <= log.last_index and not pr.is_paused(max_inflight):
            if pr.next_index > log.snapshot_index:
                pr.sent(self._send_entries(ctx, peer, pr.next_index))
            else:
                pr.sent(self._send_snapshot(ctx, peer))
            sent = True
        if heartbeat and not sent:
            prev = max(pr.heartbeat_prev(), log.snapshot_index)
            ctx.send(peer, AppendEntries(self.term, self.pid, prev, log.term_at(prev), (),
                                         min(self.commit_index, prev), self.read_only.round))

    def _send_snapshot(self, ctx: Context, peer: Hashable) -> int:
        """InstallSnapshot with our snapshot; the index it covers."""
        snap = self.snapshot
        ctx.send(peer, InstallSnapshot(self.term, self.pid, snap.index, snap.term, snap.config,
                                       snap.state, self.read_only.round))
        return snap.index

    def _send_entries(self, ctx: Context, peer: Hashable, first: int) -> int:
        """One AppendEntries with up to ``max_batch`` entries from ``first``; its last index."""
        log = self.log
        prev = first - 1
        last = min(log.last_index, prev + self.options.max_batch)
        ctx.send(peer, AppendEntries(self.term, self.pid, prev, log.term_at(prev),
                                     tuple(log.slice(first, last)), self.commit_index,
                                     self.read_only.round))
        return last

    def _start_round(self, ctx: Context) -> None:
        """A new heartbeat round: everyone hears from us, and its echoes confirm
        leadership for the reads waiting on it."""
        self.read_only.start_round(ctx.now)
        for peer in self.progress:
            self.send_append(ctx, peer, heartbeat=True)
        self._confirm_rounds(ctx)

    def _confirm_rounds(self, ctx: Context) -> None:
        """The latest round a quorum has echoed extends the lease and releases reads."""
        echoes = {peer: pr.acked_round for peer, pr in self.progress.items()}
        echoes[self.pid] = self.read_only.round
        self.read_only.confirm(self.config.quorum().committed_index(echoes),
                               self.options.lease_duration)
        self._serve_reads(ctx)

    def _serve_reads(self, ctx: Context) -> None:
        if not self.read_only.pending:
            return
        index = self.commit_index if self._committed_in_term() else None
        for read in self.read_only.ready(index, self.last_applied):
            self.on_read_ready(ctx, read.read_id, read.index)

    def maybe_commit(self, ctx: Context) -> None:
        """§5.4.2: commit the highest index a quorum stores, if it is of our
        term. Our own copy counts once it is on disk."""
        match = {peer: pr.match_index for peer, pr in self.progress.items()}
        match[self.pid] = self.disk.durable_index
        index = self.config.quorum().committed_index(match)
        if index <= self.commit_index:
            return
        if self.log.term_at(index) != self.term and not self.options.bug_commit_old_terms:
            return  # only counting replicas of our own term makes an entry safe
        self._commit_to(ctx, index)

    # ================================================================== log, commit, apply
    def _append_as_leader(self, ctx: Context, command: Any) -> int:
        self._append_entries(ctx, ((self.term, command),))
        self._flush_soon(ctx)
        config = self.config
        if len(config.voters) <= 1 and config.all_voters <= {self.pid}:
            self.maybe_commit(ctx)  # a lone voter commits at once
        return self.log.last_index

    def _flush_soon(self, ctx: Context) -> None:
        """Send what is new once this instant's other events are done: the
        proposals and reads of one instant share a round of AppendEntries."""
        if not self.flush_due:
            self.flush_due = True
            ctx.set_timer(0, "flush")

    def _append_entries(self, ctx: Context, entries: tuple) -> None:
        first = self.log.last_index + 1
        self.log.append(entries)
        self.durable.append(ctx, first, entries)
        self._wrote()
        for index, (_term, command) in enumerate(entries, first):
            if isinstance(command, Configuration):
                self.config_entries.append((index, command))
                self._on_config_change()

    def _truncate_after(self, ctx: Context, index: int) -> None:
        # Below the commit index only a broken protocol cuts (see the bug
        # switches): the monitor judges that from this fact.
        ctx.report(Truncated(self.pid, self.term, self.role, self.leader_id, index,
                             self.commit_index))
        self.log.truncate_after(index)
        self.durable.truncate(ctx, self.log, index)
        self._wrote()
        if self.config_entries and self.config_entries[-1][0] > index:
            self.config_entries = [(i, c) for i, c in self.config_entries if i <= index]
            self._on_config_change()

    def _on_config_change(self) -> None:
        """A configuration takes effect when appended: track the new members."""
        if self.role != LEADER:
            return
        members = self.config.members - {self.pid}
        for peer in _ordered(members - set(self.progress)):
            self.progress[peer] = Progress(self.log.last_index + 1)
        for peer in set(self.progress) - members:
            del self.progress[peer]

    def _commit_to(self, ctx: Context, index: int) -> None:
        if index <= self.commit_index:
            return
        first = max(self.commit_index, self.log.snapshot_index) + 1
        ctx.report(Committed(self.pid, self.term, first,
                             tuple([term for term, _command in self.log.slice(first, index)])))
        self.commit_index = index
        self._apply_committed(ctx)

    def _apply_committed(self, ctx: Context) -> None:
        first = self.last_applied + 1
        if first <= self.commit_index:
            applied = []
            record = self.applied_entries.append
            # the default state machine is the record itself: nothing to call
            apply = None if type(self).apply_command is RaftNode.apply_command \
                else self.apply_command
            for index, (term, command) in enumerate(self.log.slice(first, self.commit_index),
                                                    first):
                self.last_applied = index
                applied.append((index, term, command))
                if command.__class__ not in _RAFT_COMMANDS:
                    record((index, command))
                    if apply is not None:
                        apply(ctx, index, command)
            ctx.report(Applied(self.pid, tuple(applied)))
        self._after_commit(ctx)
        threshold = self.options.snapshot_threshold
        if threshold is not None and self.last_applied - self.log.snapshot_index >= threshold:
            self._take_snapshot(ctx)
        if self.role == LEADER:
            self._serve_reads(ctx)

    def _after_commit(self, ctx: Context) -> None:
        """A leader finishes membership changes once their entries commit."""
        if self.role != LEADER or not self.config_entries:
            return
        index, config = self.config_entries[-1]
        if index > self.commit_index:
            return
        if config.joint:  # C_old,new is committed: now C_new alone
            self._append_as_leader(ctx, Configuration(config.voters, config.learners))
        elif self.pid not in config.voters:  # we managed our own removal: step aside
            self.become_follower(ctx, self.term, None)

    def _take_snapshot(self, ctx: Context) -> None:
        index = self.last_applied
        term = self.log.term_at(index)
        config = self._config_at(index)
        state = self.snapshot_state()
        self.log.compact(index, term)
        self.base_config = config
        self.config_entries = [(i, c) for i, c in self.config_entries if i > index]
        self.snapshot = Snapshot(index, term, config, state)
        self.durable.compact(ctx, self.log, self.snapshot)
        self._wrote()

    def _config_at(self, index: int) -> Configuration:
        config = self.base_config
        for i, c in self.config_entries:
            if i > index:
                break
            config = c
        return config

    # ================================================================== small predicates
    def _promotable(self) -> bool:
        """May this server stand for election? A voter may. So may a server that
        an *uncommitted* configuration removed (thesis §4.2.2): until that entry
        commits it may still be needed, though it will not count its own vote."""
        if self.pid in self.config.all_voters:
            return True
        return self._config_pending() and self.pid in self._config_at(self.commit_index).all_voters

    def _committed_in_term(self) -> bool:
        return self.log.term_at(self.commit_index) == self.term

    def _config_pending(self) -> bool:
        return bool(self.config_entries) and self.config_entries[-1][0] > self.commit_index

    def _heard_from_leader(self, ctx: Context) -> bool:
        """Did we hear from a live leader within the minimum election timeout —
        or, with ``quiet_restart``, restart within it (we may have heard from
        one just before the crash, and vouched for its lease)?"""
        if self.role == LEADER:
            return True
        window = self.options.election_timeout[0]
        if ctx.now - self.restarted_at < window:
            return True
        return self.leader_id is not None and ctx.now - self.leader_contact < window

    def _paper_timer(self) -> bool:
        """Figure 2's timer rules: stepping down keeps the running election timer
        (only a leader, which runs none, starts one), and a refused candidate waits."""
        return self.options.election_timer == "paper" and self.role != LEADER

    def _in_lease(self, ctx: Context) -> bool:
        return self.options.check_quorum and self._heard_from_leader(ctx)

    def _persist_vote(self, ctx: Context) -> None:
        ctx.persist("term", self.term)
        ctx.persist("voted_for", self.voted_for)
        self._wrote()

    # ================================================================== the disk
    def _wrote(self) -> None:
        """Something went to stable storage (see :mod:`~ddia10.raft.disk`)."""
        self.disk.wrote(self.log.last_index)

    def _end_step(self, ctx: Context) -> None:
        """The end of every step: start a write if one is due, then annotate."""
        self.disk.start_write(ctx, self.log.last_index)
        self._publish(ctx)

    def _written(self, ctx: Context) -> None:
        """The running write ended: what it covered is durable, its messages go,
        and our own vote or entries may now complete a majority."""
        self.disk.written(ctx)
        if self.role == LEADER:
            self.maybe_commit(ctx)
        elif self.role == CANDIDATE:
            self.count_votes(ctx)

    def _vote_written(self) -> bool:
        """Is our own vote on disk? A candidate writes nothing after its term and
        vote, so it is once the disk is idle (always, without a disk latency)."""
        return self.disk.idle()

    # ================================================================== annotations
    def _publish(self, ctx: Context) -> None:
        """Annotate the trace with whatever a reader can see that changed."""
        view = self.view()
        changed = {k: v for k, v in view.items() if self._published.get(k, _MISSING) != v}
        if changed:
            self._published = view
            ctx.annotate(**changed)

    def view(self) -> RaftView:
        """The state a reader of the chapter sees, as plain values (the table in
        the module docstring)."""
        log = self.log
        first = max(log.snapshot_index + 1, log.last_index - _LOG_SHOWN + 1)
        leading = self.role == LEADER
        followers = [(p, self.progress[p]) for p in _ordered(self.progress)] if leading else []
        return RaftView(
            role=self.role,
            term=self.term,
            voted_for=self.voted_for,
            leader_id=self.leader_id,
            commit_index=self.commit_index,
            last_applied=self.last_applied,
            log_len=log.last_index,
            log_start=first,
            log=[(t, short(c)) for t, c in log.slice(first, log.last_index)],
            snapshot_index=log.snapshot_index,
            config=repr(self.config),
            next_index={p: pr.next_index for p, pr in followers} if leading else None,
            match_index={p: pr.match_index for p, pr in followers} if leading else None,
        )


_MISSING = object()
_RAFT_COMMANDS = frozenset({NoOp, Configuration})  # Raft's own entries: no client applies them


def _ordered(pids: Iterable[Hashable]) -> list:
    """Server ids in a fixed order (numbers, then names), so that sends, and
    with them the trace, never depend on how a set happens to iterate."""
    return sorted(pids, key=lambda p: (isinstance(p, str), p))
