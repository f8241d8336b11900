"""One ZAB server: election, discovery, synchronization and broadcast.

The rules follow Junqueira, Reed and Serafini, *Zab: High-performance
broadcast for primary-backup systems* (DSN 2011), and ZooKeeper where the
paper leaves a choice open.

**Stable state.** ``accepted_epoch`` (the paper's f.p, ZooKeeper's
``acceptedEpoch``: the last epoch this server promised, with the leader it
promised it to), ``current_epoch`` (f.a, ``currentEpoch``: the last epoch
whose initial history it took) and the ``history`` of proposals it accepted.
All three are written before the message that promises them is sent. What a
server has *delivered* is not stable: after a restart its state machine
starts empty and is rebuilt when it synchronizes with a leader.

**Phase 0, election.** A looking server votes for itself, shows how up to
date its history is (current epoch, last zxid) and adopts any better vote;
once a quorum of the votes it heard agree and ``finalize_wait`` brings nothing
better, the winner leads and the others follow it. A looking server that
hears from a server that already leads follows it. The election only picks a
candidate; nothing about safety depends on it.

**Phase 1, discovery.** Each follower tells the prospective leader the last
epoch it promised. With a quorum, the leader proposes an epoch above all of
them; a follower promises it only if it is above the one it promised before
(or it is the same epoch from the same leader), and answers with its
current epoch and its history. A follower that promised this very epoch to
another prospective leader answers too, without a promise, which does not
count (a lower epoch it refuses). From a quorum of promises the leader takes the
history of the follower with the highest current epoch and, among those, the
highest last zxid: the most up-to-date history of the quorum. It does not
merge histories; any proposal that is not in that one history is dropped
everywhere.

**Phase 2, synchronization.** The leader sends that history; a follower
that answered for the epoch takes it in place of its own, records the epoch as
its current one, and acknowledges. Once a quorum has, the leader delivers the
whole initial history and tells the followers to do the same and to start
serving. Only then does it propose anything new (primary integrity).

**Phase 3, broadcast.** The leader gives each transaction the next zxid of
its epoch (the counter restarts at 1 in every epoch), logs it, and proposes
it to the synchronized followers; a follower logs proposals in order and
acknowledges; when a quorum has logged a zxid the leader commits it and
everything before it, and tells the followers. Followers serve reads from
what they delivered, so a read may be stale; ``sync`` asks the leader to
flush the channel first, after which the read sees every write committed
before the sync reached the leader.

**Liveness.** A leader that has not heard from a quorum within
``sync_limit`` gives up and looks for a leader again; so does a follower that
has not heard from its leader, or that was not synchronized within
``init_limit``.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from ..sim import Context, Process
from .invariants import Delivered, Established, LeaderProposed
from .messages import (
    FOLLOWING,
    LEADING,
    LOOKING,
    AckEpoch,
    AckNewLeader,
    AckProposal,
    CommitUpTo,
    ElectionVote,
    FollowerInfo,
    ForwardedWrite,
    NewEpoch,
    NewLeader,
    Notification,
    Ping,
    PingReply,
    Proposal,
    SyncReply,
    SyncRequest,
    UpToDate,
)
from .options import ZabOptions
from .zxid import make_zxid

DISCOVERY, SYNCHRONIZATION, BROADCAST = "discovery", "synchronization", "broadcast"
"""The phases of a server that leads or follows."""


class ZabServer(Process):
    """Server ``pid`` of the ensemble ``servers`` (every attribute is set here;
    :meth:`on_start` reloads the stable ones)."""

    def __init__(self, pid: Hashable, servers: tuple, options: ZabOptions) -> None:
        self.id = pid
        self.servers = tuple(servers)
        self.options = options
        self.quorum = len(self.servers) // 2 + 1
        # stable
        self.accepted_epoch = 0
        self.accepted_leader: Hashable | None = None
        self.current_epoch = 0
        self.history: list[tuple[int, Any]] = []
        self.early: dict[int, Proposal] = {}  # proposals that arrived before the one they follow
        # what the server does now
        self.state = LOOKING
        self.leader: Hashable | None = None
        self.phase: str | None = None
        self.epoch = 0  # the epoch being established or served
        # election
        self.round = 0
        self.vote: ElectionVote | None = None
        self.votes: dict[Hashable, ElectionVote] = {}
        self.retry = options.notify_interval
        self.finalizing = False
        # the state machine
        self.life = (0, 0)  # (incarnation, rebuilds): a new life starts from an empty state
        self.delivered = 0  # history[:delivered] has been delivered
        self.data: dict = {}
        self.commit_to = 0  # deliver every logged transaction up to this zxid
        self.reads: list[tuple[int, Hashable, int | None]] = []  # (request, key, zxid to await)
        self.requests = 0
        # leading
        self.infos: dict[Hashable, int] = {}  # discovery: the accepted epochs heard
        self.acks: dict[Hashable, tuple[int, tuple]] = {}  # discovery: (current epoch, history)
        self.unpromised: set = set()  # discovery: followers whose promise went to another
        self.synced: set = set()  # who took the initial history
        self.followers: set = set()  # who gets proposals (took or is taking our history)
        self.logged: dict[Hashable, int] = {}  # the last zxid each follower logged
        self.stalled: dict[Hashable, int] = {}  # its mark at the last tick
        self.heard: dict[Hashable, float] = {}  # when each follower last answered
        self.sessions: dict[Hashable, int] = {}  # each follower's connection, numbered
        self.joined: dict[Hashable, tuple] = {}  # the latest join attempt seen from each
        self.counter = 0
        self.committed = 0
        self.pending_syncs: list[tuple[Hashable, int, int]] = []  # (follower, request, zxid)
        # following
        self.last_contact = 0.0  # when the leader was last heard
        self.session = 0  # our connection to the leader
        self.joins = 0  # how many times this incarnation set out to follow a leader
        self.incarnation = 0

    # ---------------------------------------------------------------- life
    def on_start(self, ctx: Context) -> None:
        stable = ctx.stable
        self.accepted_epoch = stable.get("accepted_epoch", 0)
        self.accepted_leader = stable.get("accepted_leader")
        self.current_epoch = stable.get("current_epoch", 0)
        self.history = list(stable.get("history", ()))
        self.life, self.incarnation = (ctx.incarnation, 0), ctx.incarnation
        self._look(ctx, at_once=False)  # the other servers may not exist yet

    @property
    def last_zxid(self) -> int:
        return self.history[-1][0] if self.history else 0

    def view(self) -> dict:
        """The state the trace shows (``role`` colours the node in every view)."""
        return {
            "role": {LEADING: "leader", FOLLOWING: "follower"}.get(self.state, "looking"),
            "epoch": self.current_epoch,
            "phase": self.phase or "election",
            "zxid": f"{self.last_zxid:#x}",
            "history": [f"{zxid:#x}:{_short(txn)}" for zxid, txn in self.history],
            "delivered": self.delivered,
            "data": dict(self.data),
        }

    def _show(self, ctx: Context) -> None:
        ctx.annotate(**self.view())

    def _look(self, ctx: Context, at_once: bool = True) -> None:
        """Phase 0: look for a leader, voting for ourselves first."""
        self.state, self.leader, self.phase = LOOKING, None, None
        self.infos, self.acks, self.synced, self.followers = {}, {}, set(), set()
        self.logged, self.stalled, self.heard, self.pending_syncs = {}, {}, {}, []
        self.joined, self.unpromised = {}, set()
        self.round += 1
        self.vote = ElectionVote(self.id, self.current_epoch, self.last_zxid)
        self.votes = {self.id: self.vote}
        self.retry = self.options.notify_interval
        self.finalizing = False
        for name in ("init", "tick", "finalize"):
            ctx.cancel_timer(name)
        if at_once:
            self._notify(ctx)
        else:
            ctx.set_timer(0.0, "notify")
        self._show(ctx)
        self._maybe_finalize(ctx)

    def _notify(self, ctx: Context) -> None:
        msg = Notification(self.round, self.vote, LOOKING)
        for peer in self.servers:
            if peer != self.id:
                ctx.send(peer, msg)
        ctx.set_timer(self.retry, "notify")
        self.retry = min(self.retry * 2, 8 * self.options.notify_interval)

    # ---------------------------------------------------------------- timers
    def on_timer(self, ctx: Context, name: Hashable) -> None:
        if name == "notify" and self.state == LOOKING:
            self._notify(ctx)
        elif name == "finalize" and self.state == LOOKING:
            self.finalizing = False
            if self._agreed():
                self._decide(ctx, self.vote.leader)
        elif name == "init" and self.state != LOOKING and self.phase != BROADCAST:
            ctx.emit("note", text=f"server {self.id}: not synchronized in time; looking again")
            self._look(ctx)
        elif name == "tick" and self.state != LOOKING:
            self._tick(ctx)

    def _tick(self, ctx: Context) -> None:
        now, limit = ctx.now, self.options.sync_limit
        if self.state == LEADING:
            alive = [f for f in self.followers if now - self.heard[f] <= limit]
            if self.phase == BROADCAST and len(alive) + 1 < self.quorum:
                ctx.emit("note", text=f"server {self.id}: lost its quorum; looking again")
                self._look(ctx)
                return
            for follower in sorted(self.followers, key=repr):
                ctx.send(follower, Ping(self.epoch, self.committed))
                self._resend(ctx, follower)
        elif self.phase == BROADCAST and now - self.last_contact > limit:
            ctx.emit("note", text=f"server {self.id}: leader {self.leader} is silent; "
                                  "looking again")
            self._look(ctx)
            return
        elif self.phase == DISCOVERY and not self.epoch:  # the leader may not lead yet: ask again
            ctx.send(self.leader, self._follower_info())
        ctx.set_timer(self.options.tick, "tick")

    # ---------------------------------------------------------------- messages
    def on_message(self, ctx: Context, src: Hashable, msg: Any) -> None:
        if isinstance(msg, Notification):
            self._on_notification(ctx, src, msg)
            return
        if self.state == LEADING:
            self.heard[src] = ctx.now
            handler = _LEADER.get(type(msg))
        elif self.state == FOLLOWING and src == self.leader:
            self.last_contact = ctx.now
            handler = _FOLLOWER.get(type(msg))
        else:
            return
        if handler is not None:
            handler(self, ctx, src, msg)

    # ---------------------------------------------------------------- phase 0: election
    def _on_notification(self, ctx: Context, src: Hashable, msg: Notification) -> None:
        if self.state != LOOKING:
            if msg.state == LOOKING:  # tell it who leads
                mine = ElectionVote(self.leader, self.current_epoch, self.last_zxid)
                ctx.send(src, Notification(self.round, mine,
                                           LEADING if self.state == LEADING else FOLLOWING))
            return
        if msg.state == LEADING and msg.vote.leader == src:
            self._decide(ctx, src)
            return
        if msg.state != LOOKING:
            return
        if msg.round < self.round:
            ctx.send(src, Notification(self.round, self.vote, LOOKING))
            return
        changed = False
        if msg.round > self.round:
            self.round, self.votes = msg.round, {}
            self.vote, changed = ElectionVote(self.id, self.current_epoch, self.last_zxid), True
        if msg.vote.key() > self.vote.key():
            self.vote, changed = msg.vote, True
        self.votes[src] = msg.vote
        self.votes[self.id] = self.vote
        if changed:
            self.retry = self.options.notify_interval
            self._notify(ctx)
        self._maybe_finalize(ctx)

    def stand(self, ctx: Context) -> None:
        """Lead now, without an election, and say so to everyone (for scripted
        scenarios: discovery and synchronization still decide what we may do)."""
        if self.state != LOOKING:
            self._look(ctx)
        self._decide(ctx, self.id)
        mine = ElectionVote(self.id, self.current_epoch, self.last_zxid)
        msg = Notification(self.round, mine, LEADING)
        for peer in self.servers:
            if peer != self.id:
                ctx.send(peer, msg)

    def _agreed(self) -> bool:
        return sum(v == self.vote for v in self.votes.values()) >= self.quorum

    def _maybe_finalize(self, ctx: Context) -> None:
        if self._agreed() and not self.finalizing:
            self.finalizing = True
            ctx.set_timer(self.options.finalize_wait, "finalize")

    def _decide(self, ctx: Context, leader: Hashable) -> None:
        for name in ("notify", "finalize"):
            ctx.cancel_timer(name)
        self.leader, self.phase, self.epoch = leader, DISCOVERY, 0
        if leader == self.id:
            self.state = LEADING
            self.infos = {self.id: self.accepted_epoch}
            self._maybe_new_epoch(ctx)
        else:
            self.state = FOLLOWING
            self.last_contact = ctx.now
            self.joins += 1
            ctx.send(leader, self._follower_info())
        ctx.set_timer(self.options.init_limit, "init")
        ctx.set_timer(self.options.tick, "tick")
        self._show(ctx)

    # ---------------------------------------------------------------- phase 1: discovery
    def _follower_info(self) -> FollowerInfo:
        return FollowerInfo(self.accepted_epoch, (self.incarnation, self.joins))

    def _on_follower_info(self, ctx: Context, src: Hashable, msg: FollowerInfo) -> None:
        if msg.join <= self.joined.get(src, (-1, -1)):
            return  # a copy of an attempt we already answered
        self.joined[src] = msg.join
        self.followers.discard(src)  # (re)joining: it takes our history again
        self.synced.discard(src)
        self.sessions[src] = self.sessions.get(src, 0) + 1
        if self.phase == DISCOVERY and not self.acks:
            self.infos[src] = msg.accepted_epoch
            self._maybe_new_epoch(ctx)
        else:
            ctx.send(src, NewEpoch(self.epoch, self.sessions[src]))

    def _maybe_new_epoch(self, ctx: Context) -> None:
        """With a quorum of followers, propose an epoch above every one they promised."""
        if len(self.infos) < self.quorum:
            return
        self.epoch = max(self.infos.values()) + 1
        make_zxid(self.epoch, 0)  # refuses an epoch that does not fit in a zxid
        self._promise(ctx, self.epoch, self.id)
        self.acks = {self.id: (self.current_epoch, tuple(self.history))}
        for follower in self.infos:
            if follower != self.id:
                ctx.send(follower, NewEpoch(self.epoch, self.sessions[follower]))
        self._maybe_new_leader(ctx)

    def _promise(self, ctx: Context, epoch: int, leader: Hashable) -> None:
        self.accepted_epoch, self.accepted_leader = epoch, leader
        ctx.persist("accepted_epoch", epoch)
        ctx.persist("accepted_leader", leader)

    def _on_new_epoch(self, ctx: Context, src: Hashable, msg: NewEpoch) -> None:
        if self.phase != DISCOVERY:
            return  # a copy of one we answered: we are past discovery with this leader
        if msg.epoch < self.accepted_epoch:
            ctx.emit("note", text=f"server {self.id}: refuses epoch {msg.epoch} from {src} "
                                  f"(it promised epoch {self.accepted_epoch})")
            self._look(ctx)
            return
        promise = msg.epoch > self.accepted_epoch or self.accepted_leader == src \
            or self.options.bug_promise_epoch_twice
        self.epoch, self.session = msg.epoch, msg.session
        if promise:
            self._promise(ctx, msg.epoch, src)
        ctx.send(src, AckEpoch(msg.epoch, msg.session, self.current_epoch, tuple(self.history),
                               promise))

    def _current(self, src: Hashable, msg: Any) -> bool:
        """Is ``msg`` from ``src``'s present connection, in our epoch?"""
        return msg.epoch == self.epoch and msg.session == self.sessions.get(src)

    def _on_ack_epoch(self, ctx: Context, src: Hashable, msg: AckEpoch) -> None:
        if not self._current(src, msg):
            return
        if self.phase == DISCOVERY and not msg.promised:
            self.unpromised.add(src)  # it follows, but its promise went to another
        elif self.phase == DISCOVERY:
            self.acks[src] = (msg.current_epoch, msg.history)
            self._maybe_new_leader(ctx)
        else:  # a follower joining an established epoch gets the history as it is now
            self._send_history(ctx, src)

    def _maybe_new_leader(self, ctx: Context) -> None:
        """With a quorum of promises, settle on the most up-to-date history among
        them (highest current epoch, then highest last zxid) and send it."""
        if len(self.acks) < self.quorum:
            return
        history = self.history
        if not self.options.bug_leader_keeps_own_history:
            _epoch, best = max(self.acks.values(), key=lambda a: (a[0], a[1][-1][0] if a[1] else 0))
            history = list(best)
        self._take_history(ctx, self.epoch, history)
        self.phase, self.synced = SYNCHRONIZATION, {self.id}
        for follower in sorted(set(self.acks) | self.unpromised, key=repr):
            if follower != self.id:
                self._send_history(ctx, follower)
        self._maybe_establish(ctx)
        self._show(ctx)

    # ---------------------------------------------------------------- phase 2: synchronization
    def _send_history(self, ctx: Context, follower: Hashable) -> None:
        self.followers.add(follower)
        self.logged[follower] = self.stalled[follower] = 0
        self.heard[follower] = ctx.now
        ctx.send(follower, NewLeader(self.epoch, self.sessions[follower], tuple(self.history)))

    def _take_history(self, ctx: Context, epoch: int, history: list) -> None:
        """Take ``history`` as ours and ``epoch`` as our current one. A delivered
        transaction that is not in it means our state is rebuilt from it."""
        if list(history[: self.delivered]) != self.history[: self.delivered]:
            self.life, self.delivered, self.data = (self.life[0], self.life[1] + 1), 0, {}
        self.history, self.current_epoch, self.commit_to = list(history), epoch, 0
        self.early = {}
        ctx.persist("history", tuple(self.history))
        ctx.persist("current_epoch", epoch)

    def _on_new_leader(self, ctx: Context, src: Hashable, msg: NewLeader) -> None:
        if self.phase != DISCOVERY or msg.session != self.session:
            return  # left over from an earlier connection
        if msg.epoch != self.epoch or msg.epoch < self.accepted_epoch:
            self._look(ctx)  # we promised a later epoch since
            return
        self.phase = SYNCHRONIZATION
        self._take_history(ctx, msg.epoch, list(msg.history))
        ctx.send(src, AckNewLeader(msg.epoch, self.session, self.last_zxid))
        self._show(ctx)

    def _on_ack_new_leader(self, ctx: Context, src: Hashable, msg: AckNewLeader) -> None:
        if not self._current(src, msg) or src not in self.followers:
            return
        self.logged[src] = max(self.logged[src], msg.zxid)
        self.synced.add(src)
        if self.phase == SYNCHRONIZATION:
            self._maybe_establish(ctx)
        else:
            ctx.send(src, UpToDate(self.epoch, self.committed))

    def _maybe_establish(self, ctx: Context) -> None:
        """A quorum took the initial history: deliver it, tell them, and serve."""
        if len(self.synced) < self.quorum and not self.options.bug_establish_without_quorum:
            return
        self.phase, self.counter = BROADCAST, 0
        self.committed = self.last_zxid
        ctx.report(Established(self.id, self.epoch, tuple(z for z, _ in self.history)))
        ctx.emit("note", text=f"server {self.id} leads epoch {self.epoch}")
        self._deliver(ctx, self.committed)
        for follower in sorted(self.synced - {self.id}, key=repr):
            ctx.send(follower, UpToDate(self.epoch, self.committed))
        self._show(ctx)

    def _on_up_to_date(self, ctx: Context, src: Hashable, msg: UpToDate) -> None:
        if msg.epoch == self.current_epoch and self.phase == SYNCHRONIZATION:
            self.phase = BROADCAST
            self._deliver(ctx, msg.zxid)
            self._show(ctx)

    # ---------------------------------------------------------------- phase 3: broadcast
    def propose(self, ctx: Context, txn: Any) -> int | None:
        """Broadcast ``txn`` if we lead an established epoch: its zxid, or ``None``.
        A leader whose counter is used up looks for a leader again instead."""
        if self.state != LEADING or self.phase != BROADCAST:
            return None
        if self.counter >= self.options.max_counter:
            ctx.emit("note", text=f"server {self.id}: the zxid counter of epoch {self.epoch} "
                                  "is used up; an election will start a new epoch")
            self._look(ctx)
            return None
        self.counter += 1
        zxid = make_zxid(self.epoch, self.counter)
        prev = self.last_zxid
        self.history.append((zxid, txn))
        ctx.persist("history", tuple(self.history))
        ctx.report(LeaderProposed(self.id, self.epoch, zxid, txn))
        for follower in sorted(self.followers, key=repr):
            ctx.send(follower, Proposal(self.epoch, zxid, prev, txn))
        self._maybe_commit(ctx)
        self._show(ctx)
        return zxid

    def _resend(self, ctx: Context, follower: Hashable) -> None:
        """A synchronized follower whose mark has not moved for a tick gets the
        proposals after it again (what TCP's retransmissions would do)."""
        mark = self.logged[follower]
        stuck = (self.phase == BROADCAST and follower in self.synced
                 and mark == self.stalled[follower])
        self.stalled[follower] = mark
        if not stuck:
            return
        for i, (zxid, txn) in enumerate(self.history):
            if zxid > mark:
                prev = self.history[i - 1][0] if i else 0
                ctx.send(follower, Proposal(self.epoch, zxid, prev, txn))

    def _on_proposal(self, ctx: Context, src: Hashable, msg: Proposal) -> None:
        if msg.epoch != self.current_epoch or self.phase == DISCOVERY:
            return
        if msg.zxid > self.last_zxid and msg.prev_zxid != self.last_zxid:
            self.early[msg.prev_zxid] = msg  # one before it is missing: wait, as TCP would
            return
        if msg.prev_zxid == self.last_zxid:
            self.history.append((msg.zxid, msg.txn))
            while self.last_zxid in self.early:
                waiting = self.early.pop(self.last_zxid)
                self.history.append((waiting.zxid, waiting.txn))
            ctx.persist("history", tuple(self.history))
        ctx.send(src, AckProposal(msg.epoch, self.session, self.last_zxid))
        if self.phase == BROADCAST:
            self._deliver(ctx, self.commit_to)
        self._show(ctx)

    def _on_ack_proposal(self, ctx: Context, src: Hashable, msg: AckProposal) -> None:
        if self._current(src, msg) and src in self.followers:
            self.logged[src] = max(self.logged[src], msg.zxid)
            self._maybe_commit(ctx)

    def _maybe_commit(self, ctx: Context) -> None:
        """Commit up to the highest zxid of our epoch that a quorum has logged."""
        if self.phase != BROADCAST:
            return
        marks = sorted([self.last_zxid] + [self.logged[f] for f in self.followers], reverse=True)
        if len(marks) < self.quorum:
            return
        zxid = marks[self.quorum - 1]
        if zxid <= self.committed or zxid >> 32 != self.epoch:
            return
        self.committed = zxid
        self._deliver(ctx, zxid)
        for follower in sorted(self.followers, key=repr):
            ctx.send(follower, CommitUpTo(self.epoch, zxid))
        waiting = []
        for follower, request, upto in self.pending_syncs:
            if upto <= zxid:
                ctx.send(follower, SyncReply(request, zxid))
            else:
                waiting.append((follower, request, upto))
        self.pending_syncs = waiting

    def _on_commit(self, ctx: Context, src: Hashable, msg: CommitUpTo | Ping) -> None:
        zxid = msg.zxid if isinstance(msg, CommitUpTo) else msg.committed
        if msg.epoch == self.current_epoch and self.phase == BROADCAST:
            self._deliver(ctx, zxid)
        if isinstance(msg, Ping):
            ctx.send(src, PingReply(msg.epoch, self.session, self.last_zxid))

    def _on_ping_reply(self, ctx: Context, src: Hashable, msg: PingReply) -> None:
        if self._current(src, msg) and src in self.synced and msg.zxid >> 32 == self.epoch:
            self.logged[src] = max(self.logged[src], msg.zxid)

    def _deliver(self, ctx: Context, zxid: int) -> None:
        """Deliver, in order, every logged transaction up to ``zxid``."""
        self.commit_to = max(self.commit_to, zxid)
        before = self.delivered
        history = self.history
        while self.delivered < len(history) and history[self.delivered][0] <= self.commit_to:
            zxid_, txn = history[self.delivered]
            ctx.report(Delivered(self.id, self.life, self.delivered, zxid_, txn))
            _apply(self.data, txn)
            self.delivered += 1
        if self.delivered != before:
            self._answer_reads(ctx)
            self._show(ctx)

    # ---------------------------------------------------------------- clients
    def write(self, ctx: Context, txn: Any) -> int | None:
        """A client's write at this server: proposed here if we lead, forwarded
        to the leader if we follow one; its zxid if we lead, else ``None``."""
        if self.state == LEADING:
            return self.propose(ctx, txn)
        if self.state == FOLLOWING and self.phase == BROADCAST:
            ctx.send(self.leader, ForwardedWrite(txn))
        return None

    def _on_forwarded(self, ctx: Context, src: Hashable, msg: ForwardedWrite) -> None:
        self.propose(ctx, msg.txn)

    def read(self, key: Hashable) -> Any:
        """What this server's state machine holds for ``key`` now: a local read."""
        return self.data.get(key)

    def sync_read(self, ctx: Context, key: Hashable) -> int | None:
        """``sync`` then read ``key``: the request's number (``None`` if this server
        serves nobody now). A ``return`` event answers it once this server has
        delivered everything the leader had proposed when the sync reached it."""
        if self.phase != BROADCAST:
            return None
        self.requests += 1
        ctx.emit("invoke", client=f"reader@{self.id}", op="sync+read", key=key,
                 request=self.requests)
        if self.state == LEADING:
            self.reads.append((self.requests, key, self.last_zxid))
            self._answer_reads(ctx)
        else:
            self.reads.append((self.requests, key, None))
            ctx.send(self.leader, SyncRequest(self.requests))
        return self.requests

    def _on_sync_request(self, ctx: Context, src: Hashable, msg: SyncRequest) -> None:
        if self.phase != BROADCAST:
            return
        if self.last_zxid <= self.committed:
            ctx.send(src, SyncReply(msg.request, self.committed))
        else:
            self.pending_syncs.append((src, msg.request, self.last_zxid))

    def _on_sync_reply(self, ctx: Context, src: Hashable, msg: SyncReply) -> None:
        self.reads = [(r, key, msg.zxid if r == msg.request else z) for r, key, z in self.reads]
        self._deliver(ctx, msg.zxid)
        self._answer_reads(ctx)

    def _answer_reads(self, ctx: Context) -> None:
        done = self.history[self.delivered - 1][0] if self.delivered else 0
        waiting = []
        for request, key, zxid in self.reads:
            if zxid is not None and zxid <= done:
                ctx.emit("return", client=f"reader@{self.id}", op="sync+read", key=key,
                         request=request, value=self.data.get(key), zxid=done)
            else:
                waiting.append((request, key, zxid))
        self.reads = waiting


def _apply(data: dict, txn: Any) -> None:
    """The state machine: ``("set", key, value)`` sets a key; other transactions
    are delivered and change nothing here."""
    if isinstance(txn, tuple) and len(txn) == 3 and txn[0] == "set":
        data[txn[1]] = txn[2]


def _short(txn: Any) -> str:
    if isinstance(txn, tuple) and len(txn) == 3 and txn[0] == "set":
        return f"{txn[1]}={txn[2]}"
    return str(txn)


_LEADER = {
    FollowerInfo: ZabServer._on_follower_info,
    AckEpoch: ZabServer._on_ack_epoch,
    AckNewLeader: ZabServer._on_ack_new_leader,
    AckProposal: ZabServer._on_ack_proposal,
    PingReply: ZabServer._on_ping_reply,
    ForwardedWrite: ZabServer._on_forwarded,
    SyncRequest: ZabServer._on_sync_request,
}
_FOLLOWER = {
    NewEpoch: ZabServer._on_new_epoch,
    NewLeader: ZabServer._on_new_leader,
    UpToDate: ZabServer._on_up_to_date,
    Proposal: ZabServer._on_proposal,
    CommitUpTo: ZabServer._on_commit,
    Ping: ZabServer._on_commit,
    SyncReply: ZabServer._on_sync_reply,
}
