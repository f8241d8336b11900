"""One EPaxos replica: leader of the commands it receives, acceptor of everyone's.

The rules follow Moraru, Andersen and Kaminsky, *There is more consensus in
egalitarian parliaments* (SOSP 2013), basic protocol, with two changes that
later work showed to be needed or wise (both marked in the code):

**Phase 1.** A replica that receives a command leads its instance: it sets
``deps`` to every interfering instance it knows and ``seq`` above theirs,
pre-accepts the command itself and sends :class:`PreAccept` to every other
replica. Each adds the interfering instances *it* knows, records the result
and answers, saying whether it changed anything.

**Fast path.** If a fast quorum (the leader and ``fast_quorum - 1`` others)
answered with the attributes unchanged, the leader commits them: one round
trip. *Change 1*: the paper's basic protocol asks only that the answers agree
with each other; asking that they agree with the proposal makes the recovery
rule below unambiguous for three replicas too.

**Slow path.** Otherwise the leader takes the union of a majority's answers
(the largest ``seq``, all the ``deps``) and runs Paxos's accept phase on it
(:class:`AcceptAttributes`); with a majority it commits: two round trips.

**Commit and execution.** :class:`CommitInstance` goes to everyone. A replica
executes a command once everything it can reach through ``deps`` is committed,
component by component (:mod:`~ddia10.epaxos.execution`).

**Recovery (explicit prepare).** A replica that waits too long on an instance
(its leader may have crashed) takes a higher ballot and asks everyone what
they hold (:class:`ExplicitPrepare`). From a majority: a commit wins; else the
attributes accepted in the highest ballot are accepted again; else, if the
leader did not answer and at least ``fast_quorum - F`` replicas pre-accepted
the attributes unchanged in the leader's own ballot, those may have been
committed on the fast path and are accepted; else, if anyone pre-accepted the
command, phase 1 runs again in the new ballot (no fast path outside the
leader's ballot); else nobody can have committed anything and a no-op is.
*Change 2* (Sutra, 2019): a replica keeps apart the ballot it last promised
and the ballot in which its attributes were recorded, as a Paxos acceptor
does; the original specification kept one variable, which breaks recovery.

Every durable fact about an instance (its command, attributes, status and both
ballots) is written before the message that depends on it is sent. What a
replica executed is not: after a restart it executes everything committed
again, into a fresh state.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from ..sim import Context, Process
from .execution import execution_order
from .invariants import CommittedAttributes, ExecutedCommand
from .messages import (
    ACCEPTED,
    COMMITTED,
    NO_OP,
    NONE,
    PREACCEPTED,
    AcceptAttributes,
    AcceptAttributesReply,
    Ballot,
    CommitInstance,
    ExplicitPrepare,
    ExplicitPrepareReply,
    InstanceDigest,
    InstanceId,
    PreAccept,
    PreAcceptReply,
    initial_ballot,
)
from .options import EPaxosOptions


def key_of(cmd: Any) -> Hashable | None:
    """What a command touches: two commands interfere when they touch the same
    key. ``("set", key, value)`` touches ``key``; a no-op touches nothing."""
    if cmd is None or cmd == NO_OP:  # (a stored no-op is a copy: compare, do not identify)
        return None
    if isinstance(cmd, tuple) and len(cmd) >= 2:
        return cmd[1]
    return cmd


@dataclass
class Instance:
    """What one replica holds for one instance: the command, its attributes, how
    far it got, the ballot it promised (``ballot``) and the one its attributes
    were recorded in (``vballot``), and whether it pre-accepted them unchanged."""

    cmd: Any
    seq: int
    deps: frozenset
    status: str
    ballot: Ballot
    vballot: Ballot
    unchanged: bool = False

    def stored(self) -> tuple:
        return (self.cmd, self.seq, self.deps, self.status, self.ballot, self.vballot,
                self.unchanged)


@dataclass
class Coordination:
    """An instance this replica is driving, in ``ballot``: its phase
    (``prepare``, ``preaccept`` or ``accept``), the attributes it proposes and
    the answers so far."""

    ballot: Ballot
    phase: str
    cmd: Any
    seq: int
    deps: frozenset
    sent_at: float
    replies: dict = field(default_factory=dict)


class EPaxosReplica(Process):
    """Replica ``pid`` of ``replicas`` (every attribute is set here; :meth:`on_start`
    reloads the instances from stable storage)."""

    def __init__(self, pid: Hashable, replicas: tuple, options: EPaxosOptions) -> None:
        self.id = pid
        self.replicas = tuple(replicas)
        self.options = options
        self.f = (len(self.replicas) - 1) // 2
        self.fast_quorum = options.fast_quorum_for(len(self.replicas))
        self.instances: dict[InstanceId, Instance] = {}
        self.by_key: dict[Hashable, set] = {}
        self.next_number = 1
        self.max_round = 0
        self.coordinating: dict[InstanceId, Coordination] = {}
        self.since: dict[InstanceId, float] = {}  # waiting on it (not committed) since
        self.blocked: dict[InstanceId, set] = {}  # missing instance -> who waits for it
        self.recovery_wait = options.recovery_timeout
        self.life = 0
        self.executed: set = set()
        self.order: list = []  # instances executed, in order
        self.data: dict = {}
        self.gossip = 0  # whom we compare notes with next

    # ---------------------------------------------------------------- life
    def on_start(self, ctx: Context) -> None:
        self.life = ctx.incarnation
        self.recovery_wait = self.options.recovery_timeout * (1 + ctx.rng.random())
        for name, stored in sorted(ctx.stable.items()):
            if not name.startswith("instance "):
                continue
            instance = tuple(int(part) for part in name.split()[1:])
            record = Instance(*stored)
            self.instances[instance] = record
            self._index(instance, record.cmd)
            self.max_round = max(self.max_round, record.ballot[0])
            if instance[0] == self.id:
                self.next_number = max(self.next_number, instance[1] + 1)
            if record.status != COMMITTED:
                self.since[instance] = ctx.now
        for instance in sorted(i for i, r in self.instances.items() if r.status == COMMITTED):
            self._execute_from(ctx, instance)
        ctx.set_timer(self.options.tick, "tick")
        ctx.set_timer(self.options.catch_up_interval, "catch up")
        self._show(ctx)

    def view(self) -> dict:
        """The state the trace shows."""
        committed = sum(r.status == COMMITTED for r in self.instances.values())
        return {"role": "replica", "committed": committed, "executed": len(self.order),
                "data": dict(self.data)}

    def _show(self, ctx: Context) -> None:
        ctx.annotate(**self.view())

    def _store(self, ctx: Context, instance: InstanceId, record: Instance) -> None:
        self.instances[instance] = record
        self._index(instance, record.cmd)
        ctx.persist(f"instance {instance[0]} {instance[1]}", record.stored())

    def _index(self, instance: InstanceId, cmd: Any) -> None:
        for members in self.by_key.values():
            members.discard(instance)
        key = key_of(cmd)
        if key is not None:
            self.by_key.setdefault(key, set()).add(instance)

    def _attributes(self, instance: InstanceId, cmd: Any, seq: int,
                    deps: frozenset) -> tuple[int, frozenset]:
        """``seq`` and ``deps`` grown by the interfering instances this replica knows."""
        others = self.by_key.get(key_of(cmd), set()) - {instance}
        if not others:
            return seq, deps
        top = max(self.instances[i].seq for i in others)
        return max(seq, top + 1), deps | others

    def _record(self, instance: InstanceId) -> Instance:
        record = self.instances.get(instance)
        if record is None:
            start = initial_ballot(instance)
            record = Instance(None, 0, frozenset(), NONE, start, start)
        return record

    # ---------------------------------------------------------------- phase 1, as leader
    def propose(self, ctx: Context, cmd: Any) -> InstanceId:
        """Lead a client's command in our next instance; its instance id."""
        instance = (self.id, self.next_number)
        self.next_number += 1
        seq, deps = self._attributes(instance, cmd, 1, frozenset())
        ballot = initial_ballot(instance)
        self._store(ctx, instance, Instance(cmd, seq, deps, PREACCEPTED, ballot, ballot, True))
        ctx.emit("invoke", client=f"client@{self.id}", op=repr(cmd), instance=instance)
        self.coordinating[instance] = Coordination(ballot, "preaccept", cmd, seq, deps, ctx.now)
        self._to_others(ctx, PreAccept(ballot, instance, cmd, seq, deps))
        self._preaccept_answered(ctx, instance)
        return instance

    def _on_preaccept_reply(self, ctx: Context, src: Hashable, msg: PreAcceptReply) -> None:
        c = self._coordination(ctx, msg.instance, msg.ballot, "preaccept", msg.ok)
        if c is not None:
            c.replies[src] = msg
            self._preaccept_answered(ctx, msg.instance)

    def _preaccept_answered(self, ctx: Context, instance: InstanceId,
                            timed_out: bool = False) -> None:
        c = self.coordinating[instance]
        answers = list(c.replies.values())
        fast_ballot = c.ballot == initial_ballot(instance)
        if fast_ballot and len(answers) + 1 >= self.fast_quorum:
            if self.options.bug_fast_path_on_changed_replies or all(a.unchanged for a in answers):
                self._commit(ctx, instance, c.cmd, c.seq, c.deps, "fast")
                return
        elif len(answers) < self.f or (fast_ballot and not timed_out):
            return
        seq = max([c.seq] + [a.seq for a in answers])
        deps = c.deps.union(*(a.deps for a in answers))
        self._accept(ctx, instance, c.cmd, seq, deps)

    # ---------------------------------------------------------------- the slow path
    def _accept(self, ctx: Context, instance: InstanceId, cmd: Any, seq: int,
                deps: frozenset) -> None:
        c = self.coordinating[instance]
        c.phase, c.cmd, c.seq, c.deps, c.replies, c.sent_at = "accept", cmd, seq, deps, {}, ctx.now
        self._store(ctx, instance, Instance(cmd, seq, deps, ACCEPTED, c.ballot, c.ballot))
        self._to_others(ctx, AcceptAttributes(c.ballot, instance, cmd, seq, deps))
        self._accept_answered(ctx, instance)

    def _on_accept_reply(self, ctx: Context, src: Hashable, msg: AcceptAttributesReply) -> None:
        c = self._coordination(ctx, msg.instance, msg.ballot, "accept", msg.ok)
        if c is not None:
            c.replies[src] = msg
            self._accept_answered(ctx, msg.instance)

    def _accept_answered(self, ctx: Context, instance: InstanceId) -> None:
        c = self.coordinating[instance]
        if len(c.replies) >= self.f:
            path = "slow" if c.ballot == initial_ballot(instance) else "recovered"
            self._commit(ctx, instance, c.cmd, c.seq, c.deps, path)

    def _coordination(self, ctx: Context, instance: InstanceId, ballot: Ballot, phase: str,
                      ok: bool) -> Coordination | None:
        """Our coordination of ``instance`` this answer belongs to, if it still
        stands: a refusal (which names a higher ballot) or a higher ballot we
        promised since ends it."""
        c = self.coordinating.get(instance)
        if not ok:
            self.max_round = max(self.max_round, ballot[0])
            if c is not None and ballot > c.ballot:
                self._abandon(ctx, instance)
            return None
        if c is None or c.phase != phase or c.ballot != ballot:
            return None
        if self.instances[instance].ballot != c.ballot:
            self._abandon(ctx, instance)
            return None
        return c

    def _abandon(self, ctx: Context, instance: InstanceId) -> None:
        """Leave ``instance`` to whoever holds the higher ballot (and recover it
        ourselves later if they do not finish it)."""
        del self.coordinating[instance]
        if self._record(instance).status != COMMITTED:
            self.since[instance] = ctx.now

    # ---------------------------------------------------------------- commit
    def _commit(self, ctx: Context, instance: InstanceId, cmd: Any, seq: int, deps: frozenset,
                path: str) -> None:
        record = self._record(instance)
        self.coordinating.pop(instance, None)
        self._store(ctx, instance, Instance(cmd, seq, deps, COMMITTED, record.ballot,
                                            record.vballot))
        ctx.report(CommittedAttributes(self.id, instance, cmd, seq, deps, path))
        if instance[0] == self.id and path in ("fast", "slow"):
            ctx.emit("return", client=f"client@{self.id}", op=repr(cmd), instance=instance,
                     path=path)
        if path != "learned":
            self._to_others(ctx, CommitInstance(instance, cmd, seq, deps))
        self._committed(ctx, instance)

    def _on_commit(self, ctx: Context, src: Hashable, msg: CommitInstance) -> None:
        if self._record(msg.instance).status != COMMITTED:
            self._commit(ctx, msg.instance, msg.cmd, msg.seq, msg.deps, "learned")

    # ---------------------------------------------------------------- as acceptor
    def _on_preaccept(self, ctx: Context, src: Hashable, msg: PreAccept) -> None:
        record = self._record(msg.instance)
        if self._refused(ctx, src, msg, record):
            return
        if record.status == PREACCEPTED and record.vballot == msg.ballot:
            pass  # answered already: the same answer again, never a new one
        elif record.status == ACCEPTED and record.vballot >= msg.ballot:
            return  # the coordinator has moved on to the accept phase
        else:
            seq, deps = self._attributes(msg.instance, msg.cmd, msg.seq, msg.deps)
            unchanged = seq == msg.seq and deps == msg.deps
            record = Instance(msg.cmd, seq, deps, PREACCEPTED, msg.ballot, msg.ballot, unchanged)
            self._store(ctx, msg.instance, record)
            self.since[msg.instance] = ctx.now
        ctx.send(src, PreAcceptReply(msg.ballot, msg.instance, True, record.seq, record.deps,
                                     record.unchanged))

    def _on_accept(self, ctx: Context, src: Hashable, msg: AcceptAttributes) -> None:
        record = self._record(msg.instance)
        if self._refused(ctx, src, msg, record):
            return
        self._store(ctx, msg.instance, Instance(msg.cmd, msg.seq, msg.deps, ACCEPTED,
                                                msg.ballot, msg.ballot))
        self.since[msg.instance] = ctx.now
        ctx.send(src, AcceptAttributesReply(msg.ballot, msg.instance, True))

    def _refused(self, ctx: Context, src: Hashable, msg: Any, record: Instance) -> bool:
        """Answer for a committed instance with its commit, and refuse a ballot
        lower than the one promised."""
        if record.status == COMMITTED:
            ctx.send(src, CommitInstance(msg.instance, record.cmd, record.seq, record.deps))
            return True
        if msg.ballot < record.ballot:
            if isinstance(msg, PreAccept):
                ctx.send(src, PreAcceptReply(record.ballot, msg.instance, False, 0, frozenset(),
                                             False))
            else:
                ctx.send(src, AcceptAttributesReply(record.ballot, msg.instance, False))
            return True
        return False

    # ---------------------------------------------------------------- recovery
    def recover(self, ctx: Context, instance: InstanceId) -> None:
        """Take a higher ballot for ``instance`` and finish it (explicit prepare)."""
        record = self._record(instance)
        if record.status == COMMITTED:
            return
        self.max_round = max(self.max_round, record.ballot[0]) + 1
        ballot = (self.max_round, self.id)
        record.ballot = ballot
        self._store(ctx, instance, record)
        ctx.emit("note", text=f"replica {self.id} recovers instance {instance} in ballot "
                              f"{ballot}")
        c = Coordination(ballot, "prepare", record.cmd, record.seq, record.deps, ctx.now)
        self.coordinating[instance] = c
        c.replies[self.id] = self._prepare_reply(ballot, instance, record)
        self._to_others(ctx, ExplicitPrepare(ballot, instance))
        self._prepared(ctx, instance)

    def _prepare_reply(self, ballot: Ballot, instance: InstanceId,
                       record: Instance) -> ExplicitPrepareReply:
        vballot = record.ballot if self.options.bug_one_ballot_variable else record.vballot
        return ExplicitPrepareReply(ballot, instance, True, record.status, record.cmd, record.seq,
                                    record.deps, vballot, record.unchanged)

    def _on_prepare(self, ctx: Context, src: Hashable, msg: ExplicitPrepare) -> None:
        record = self._record(msg.instance)
        if msg.ballot < record.ballot:
            ctx.send(src, ExplicitPrepareReply(record.ballot, msg.instance, False, NONE, None, 0,
                                               frozenset(), record.ballot, False))
            return
        record.ballot = msg.ballot
        self._store(ctx, msg.instance, record)
        if record.status != COMMITTED:
            self.since[msg.instance] = ctx.now
        ctx.send(src, self._prepare_reply(msg.ballot, msg.instance, record))

    def _on_prepare_reply(self, ctx: Context, src: Hashable, msg: ExplicitPrepareReply) -> None:
        c = self._coordination(ctx, msg.instance, msg.ballot, "prepare", msg.ok)
        if c is not None:
            c.replies[src] = msg
            self._prepared(ctx, msg.instance)

    def _prepared(self, ctx: Context, instance: InstanceId) -> None:
        """With a majority of answers, decide how to finish the instance."""
        c = self.coordinating[instance]
        answers = list(c.replies.values())
        if len(answers) < self.f + 1:
            return
        done = [a for a in answers if a.status == COMMITTED]
        if done:
            self._commit(ctx, instance, done[0].cmd, done[0].seq, done[0].deps, "recovered")
            return
        accepted = [a for a in answers if a.status == ACCEPTED]
        if accepted:
            best = max(accepted, key=lambda a: a.vballot)
            self._accept(ctx, instance, best.cmd, best.seq, best.deps)
            return
        seen = [a for a in answers if a.status == PREACCEPTED]
        if seen and self.options.bug_accept_any_preaccepted:
            self._accept(ctx, instance, seen[0].cmd, seen[0].seq, seen[0].deps)
            return
        fast = [a for a in seen if a.vballot == initial_ballot(instance) and a.unchanged]
        if instance[0] not in c.replies and len(fast) >= self.fast_quorum - self.f:
            self._accept(ctx, instance, fast[0].cmd, fast[0].seq, fast[0].deps)
        elif seen:
            self._preaccept_again(ctx, instance, seen)
        else:
            self._accept(ctx, instance, NO_OP, 0, frozenset())

    def _preaccept_again(self, ctx: Context, instance: InstanceId, seen: list) -> None:
        """Phase 1 again, in the recovery ballot (which has no fast path)."""
        c = self.coordinating[instance]
        cmd = seen[0].cmd
        seq = max(a.seq for a in seen)
        deps = frozenset().union(*(a.deps for a in seen))
        seq, deps = self._attributes(instance, cmd, seq, deps)
        c.phase, c.cmd, c.seq, c.deps, c.replies, c.sent_at = ("preaccept", cmd, seq, deps, {},
                                                               ctx.now)
        self._store(ctx, instance, Instance(cmd, seq, deps, PREACCEPTED, c.ballot, c.ballot))
        self._to_others(ctx, PreAccept(c.ballot, instance, cmd, seq, deps))
        self._preaccept_answered(ctx, instance)

    # ---------------------------------------------------------------- execution
    def _committed(self, ctx: Context, instance: InstanceId) -> None:
        self.since.pop(instance, None)
        if self.options.bug_execute_in_commit_order:
            self._run(ctx, [instance])
        else:
            self._execute_from(ctx, instance)
            for waiting in sorted(self.blocked.pop(instance, ())):
                if waiting not in self.executed:
                    self._execute_from(ctx, waiting)
        self._show(ctx)

    def _execute_from(self, ctx: Context, instance: InstanceId) -> None:
        if instance in self.executed:
            return
        committed = {i: (r.seq, r.deps) for i, r in self.instances.items()
                     if r.status == COMMITTED}
        order, missing = execution_order(instance, committed, self.executed)
        for m in missing:
            self.blocked.setdefault(m, set()).add(instance)
            self.since.setdefault(m, ctx.now)
        self._run(ctx, order)

    def _run(self, ctx: Context, order: list) -> None:
        for instance in order:
            if instance in self.executed:
                continue
            cmd = self.instances[instance].cmd
            self.executed.add(instance)
            self.order.append(instance)
            if isinstance(cmd, tuple) and len(cmd) == 3 and cmd[0] == "set":
                self.data[cmd[1]] = cmd[2]
            ctx.report(ExecutedCommand(self.id, self.life, instance, cmd, key_of(cmd)))

    # ---------------------------------------------------------------- timers
    def on_timer(self, ctx: Context, name: Hashable) -> None:
        if name == "catch up":
            others = [r for r in self.replicas if r != self.id]
            if others:
                self.gossip = (self.gossip + 1) % len(others)
                digest = InstanceDigest(tuple(sorted(self._highest().items())))
                ctx.send(others[self.gossip], digest)
            ctx.set_timer(self.options.catch_up_interval, "catch up")
            return
        now = ctx.now
        for instance, c in sorted(self.coordinating.items()):
            if now - c.sent_at < self.options.slow_path_timeout:
                continue
            if c.phase == "preaccept" and len(c.replies) >= self.f:
                self._preaccept_answered(ctx, instance, timed_out=True)
            else:
                self._resend(ctx, instance, c)
        for instance, since in sorted(self.since.items()):
            if self._record(instance).status == COMMITTED:
                del self.since[instance]
            elif instance not in self.coordinating and now - since >= self.recovery_wait:
                self.since[instance] = now
                self.recover(ctx, instance)
        ctx.set_timer(self.options.tick, "tick")

    def _resend(self, ctx: Context, instance: InstanceId, c: Coordination) -> None:
        """Ask again the replicas that have not answered (a message may be lost)."""
        c.sent_at = ctx.now
        if c.phase == "prepare":
            msg: Any = ExplicitPrepare(c.ballot, instance)
        elif c.phase == "preaccept":
            msg = PreAccept(c.ballot, instance, c.cmd, c.seq, c.deps)
        else:
            msg = AcceptAttributes(c.ballot, instance, c.cmd, c.seq, c.deps)
        for other in self.replicas:
            if other != self.id and other not in c.replies:
                ctx.send(other, msg)

    def _highest(self) -> dict:
        highest: dict = {}
        for leader, number in self.instances:
            highest[leader] = max(highest.get(leader, 0), number)
        return highest

    def _on_digest(self, ctx: Context, src: Hashable, msg: InstanceDigest) -> None:
        """Send the commits ``src`` lacks; mark for recovery what we lack."""
        theirs, mine = dict(msg.highest), self._highest()
        for instance, record in sorted(self.instances.items()):
            if record.status == COMMITTED and instance[1] > theirs.get(instance[0], 0):
                ctx.send(src, CommitInstance(instance, record.cmd, record.seq, record.deps))
        for leader in sorted(set(theirs) | set(mine)):
            for number in range(1, max(theirs.get(leader, 0), mine.get(leader, 0)) + 1):
                if (leader, number) not in self.instances:
                    self.since.setdefault((leader, number), ctx.now)

    # ---------------------------------------------------------------- messages
    def on_message(self, ctx: Context, src: Hashable, msg: Any) -> None:
        handler = _HANDLERS.get(type(msg))
        if handler is not None:
            handler(self, ctx, src, msg)

    def _to_others(self, ctx: Context, msg: Any) -> None:
        for other in self.replicas:
            if other != self.id:
                ctx.send(other, msg)


_HANDLERS = {
    PreAccept: EPaxosReplica._on_preaccept,
    PreAcceptReply: EPaxosReplica._on_preaccept_reply,
    AcceptAttributes: EPaxosReplica._on_accept,
    AcceptAttributesReply: EPaxosReplica._on_accept_reply,
    CommitInstance: EPaxosReplica._on_commit,
    ExplicitPrepare: EPaxosReplica._on_prepare,
    ExplicitPrepareReply: EPaxosReplica._on_prepare_reply,
    InstanceDigest: EPaxosReplica._on_digest,
}
