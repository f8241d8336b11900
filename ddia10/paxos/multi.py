"""Multi-Paxos: a replicated log, one Paxos instance per slot, under a stable leader.

Every server plays all three roles. Running both phases for every command
would cost two round trips each; Multi-Paxos saves one by noticing that
phase 1 does not depend on the slot:

- **Electing a leader is phase 1 for every slot at once.** A server whose
  election timer fires (no word from a leader for a random while) takes a
  ballot higher than any it has seen and sends ``PrepareFrom(ballot, slot)``:
  "promise me every slot from ``slot`` on". Each promise lists what that
  acceptor accepted in those slots. With a majority of promises the server
  leads.
- **A new leader first finishes what its predecessors started.** For every
  slot some promise reports, it proposes the value accepted in the highest
  ballot, the single-decree rule slot by slot. A slot below the highest
  reported one that nobody reported is a hole (its command reached no
  majority of this quorum); the leader fills it with a no-op, since the log
  is applied in slot order and cannot skip it.
- **From then on, one round trip per command.** The leader puts each new
  command in the next free slot and sends ``AcceptSlot``; a majority of
  ``AcceptedSlot`` replies make it chosen. Every leader message says how far
  the log is chosen, so followers learn decisions for free; a follower that
  finds it cannot (it missed a slot) asks for what it lacks (``CatchUp``)
  and is sent the chosen values (``Chosen``).
- **Leader change is the livelock fix of single-decree Paxos:** random
  election timeouts, and a server that sees a higher ballot steps aside.

Every server applies the log in slot order, no-ops skipped, to its state
machine (here: the list of commands, :attr:`MultiPaxosNode.applied_commands`).
Acceptors write promises and accepted values to stable storage before
answering; what a server has learned it can learn again from the leader.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, fields
from typing import Any

from ..quorum import majority
from ..sim import Context, Process
from ..validate import check_instance, check_int, check_number
from .invariants import Learned, Proposed, Voted
from .messages import (
    NOOP,
    AcceptedSlot,
    AcceptSlot,
    CatchUp,
    Chosen,
    LeaderHeartbeat,
    PrepareFrom,
    PromiseFrom,
    Rejected,
    next_ballot,
)

FOLLOWER, CANDIDATE, LEADER = "follower", "candidate", "leader"
ELECTION, HEARTBEAT = "election", "heartbeat"


@dataclass(frozen=True)
class MultiPaxosOptions:
    """Every option of a :class:`MultiPaxosNode` (times in simulated ms), with
    Raft's defaults so the two can be measured side by side. ``max_batch``
    bounds the chosen values one ``Chosen`` message carries to a laggard."""

    election_timeout: tuple[float, float] = (150.0, 300.0)
    heartbeat_interval: float = 50.0
    max_batch: int = 64

    def __post_init__(self) -> None:
        timeout = check_instance("election_timeout", self.election_timeout, (tuple, list))
        if len(timeout) != 2:
            raise ValueError(f"election_timeout must be a (min, max) pair of ms, got {timeout!r}")
        lo = check_number("election_timeout min", timeout[0], positive=True, unit="ms")
        check_number("election_timeout max", timeout[1], min=lo, unit="ms")
        object.__setattr__(self, "election_timeout", (float(timeout[0]), float(timeout[1])))
        check_number("heartbeat_interval", self.heartbeat_interval, positive=True, below=lo,
                     unit="ms")
        check_int("max_batch", self.max_batch, min=1)

    @classmethod
    def names(cls) -> frozenset[str]:
        return frozenset(f.name for f in fields(cls))


class MultiPaxosNode(Process):
    """One server of a Multi-Paxos cluster: proposer, acceptor and learner."""

    def __init__(self, pid: Hashable, servers: tuple, options: MultiPaxosOptions) -> None:
        self.pid = pid
        self.servers = servers
        self.options = options
        self.index = servers.index(pid) + 1  # owns ballots index, index + n, ...
        self.quorum = majority(len(servers))
        self.role = FOLLOWER
        self.leader_id: Hashable | None = None
        self.ballot = 0  # the ballot this server follows, stands in or leads
        # acceptor: durable
        self.promised = 0
        self.accepted: dict[int, tuple[int, Any]] = {}  # slot -> (ballot, value)
        # learner: the log applied in slot order, and decisions beyond it
        self.log: list = []  # the values of slots 1..len(log), no-ops included
        self.chosen: dict[int, Any] = {}  # chosen slots above len(log)
        # candidate and leader: volatile
        self.prepare_from = 0
        self.promises: dict[Hashable, tuple] = {}
        self.proposals: dict[int, Any] = {}  # slot -> value proposed in self.ballot, undecided
        self.acks: dict[int, set] = {}  # slot -> acceptors that accepted it in self.ballot
        self.next_slot = 1
        self._shown: dict = {}  # the annotations last written, to write only changes

    @property
    def last_applied(self) -> int:
        """Every slot up to here is chosen and applied."""
        return len(self.log)

    @property
    def applied_commands(self) -> list:
        """The client commands applied, in order (the state machine)."""
        return [v for v in self.log if v is not NOOP]

    @property
    def peers(self) -> tuple:
        return tuple(s for s in self.servers if s != self.pid)

    # ------------------------------------------------------------------ lifecycle
    def on_start(self, ctx: Context) -> None:
        stable = ctx.stable
        self.promised = stable.get("promised", 0)
        self.ballot = self.promised
        self.accepted = {int(k.split()[1]): v for k, v in stable.items()
                         if k.startswith("accepted ")}
        self._arm_election(ctx)
        self._publish(ctx)

    def on_message(self, ctx: Context, src: Hashable, msg: Any) -> None:
        handler = _HANDLERS.get(type(msg))
        if handler is not None:
            handler(self, ctx, src, msg)
            self._publish(ctx)

    def on_timer(self, ctx: Context, name: Hashable) -> None:
        if name == ELECTION and self.role != LEADER:
            self._campaign(ctx)
        elif name == HEARTBEAT and self.role == LEADER:
            self._heartbeat(ctx)
        self._publish(ctx)

    def _arm_election(self, ctx: Context) -> None:
        lo, hi = self.options.election_timeout
        ctx.set_timer(ctx.rng.uniform(lo, hi), ELECTION)

    # ------------------------------------------------------------------ phase 1: leader election
    def _campaign(self, ctx: Context) -> None:
        self.ballot = next_ballot(self.index, len(self.servers), max(self.promised, self.ballot))
        self.role, self.leader_id = CANDIDATE, None
        self._promise(ctx, self.ballot)
        self.prepare_from = self.last_applied + 1
        self.promises = {self.pid: self._accepted_from(self.prepare_from)}
        for peer in self.peers:
            ctx.send(peer, PrepareFrom(self.ballot, self.prepare_from))
        self._arm_election(ctx)  # no majority by then: try again, higher
        if len(self.promises) >= self.quorum:
            self._lead(ctx)

    def _on_prepare_from(self, ctx: Context, src: Hashable, msg: PrepareFrom) -> None:
        if msg.ballot < self.promised:
            ctx.send(src, Rejected(msg.ballot, self.promised))
            return
        self._step_aside(msg.ballot)
        self._promise(ctx, msg.ballot)
        self._arm_election(ctx)
        ctx.send(src, PromiseFrom(msg.ballot, msg.slot, self._accepted_from(msg.slot)))

    def _on_promise_from(self, ctx: Context, src: Hashable, msg: PromiseFrom) -> None:
        if self.role != CANDIDATE or msg.ballot != self.ballot:
            return
        self.promises[src] = msg.accepted
        if len(self.promises) >= self.quorum:
            self._lead(ctx)

    def _lead(self, ctx: Context) -> None:
        """Phase 1 won: re-propose what the promises report, fill the holes with no-ops."""
        reported: dict[int, tuple[int, Any]] = {}
        for entries in self.promises.values():
            for slot, ballot, value in entries:
                if slot not in reported or ballot > reported[slot][0]:
                    reported[slot] = (ballot, value)
        top = max(reported, default=self.prepare_from - 1)
        self.role, self.leader_id = LEADER, self.pid
        self.promises, self.proposals, self.acks = {}, {}, {}
        ctx.cancel_timer(ELECTION)
        for slot in range(self.prepare_from, top + 1):
            self._propose(ctx, slot, reported[slot][1] if slot in reported else NOOP)
        self.next_slot = top + 1
        self._heartbeat(ctx)

    # ------------------------------------------------------------------ phase 2: one per command
    def submit(self, ctx: Context, command: Any) -> int | None:
        """A client's command: its slot, or ``None`` if this server does not lead."""
        if self.role != LEADER:
            return None
        ctx.report(Proposed(command))
        slot, self.next_slot = self.next_slot, self.next_slot + 1
        self._propose(ctx, slot, command)
        self._publish(ctx)
        return slot

    def _propose(self, ctx: Context, slot: int, value: Any) -> None:
        self.proposals[slot] = value
        self.acks[slot] = set()
        self._accept(ctx, slot, value)
        self._count_ack(ctx, self.pid, slot)
        for peer in self.peers:
            ctx.send(peer, AcceptSlot(self.ballot, slot, value, self.last_applied))

    def _on_accept_slot(self, ctx: Context, src: Hashable, msg: AcceptSlot) -> None:
        if msg.ballot < self.promised:
            ctx.send(src, Rejected(msg.ballot, self.promised))
            return
        self._follow(ctx, src, msg.ballot)
        self._accept(ctx, msg.slot, msg.value)
        ctx.send(src, AcceptedSlot(msg.ballot, msg.slot))
        self._learn_through(ctx, msg.ballot, msg.chosen)

    def _on_accepted_slot(self, ctx: Context, src: Hashable, msg: AcceptedSlot) -> None:
        if self.role == LEADER and msg.ballot == self.ballot and msg.slot in self.proposals:
            self._count_ack(ctx, src, msg.slot)

    def _count_ack(self, ctx: Context, acceptor: Hashable, slot: int) -> None:
        self.acks[slot].add(acceptor)
        if len(self.acks[slot]) >= self.quorum:
            del self.acks[slot]
            self._learn(ctx, slot, self.proposals.pop(slot))

    def _on_rejected(self, ctx: Context, src: Hashable, msg: Rejected) -> None:
        if msg.promised > self.ballot and self.role != FOLLOWER:
            self._step_aside(msg.promised)
            self._arm_election(ctx)

    # ------------------------------------------------------------------ the leader's heartbeat
    def _heartbeat(self, ctx: Context) -> None:
        """Tell followers the leader lives and how far the log is chosen, and resend
        every proposal a follower has not acknowledged."""
        for peer in self.peers:
            ctx.send(peer, LeaderHeartbeat(self.ballot, self.last_applied))
            for slot, value in self.proposals.items():
                if peer not in self.acks[slot]:
                    ctx.send(peer, AcceptSlot(self.ballot, slot, value, self.last_applied))
        ctx.set_timer(self.options.heartbeat_interval, HEARTBEAT)

    def _on_heartbeat(self, ctx: Context, src: Hashable, msg: LeaderHeartbeat) -> None:
        if msg.ballot < self.promised:
            ctx.send(src, Rejected(msg.ballot, self.promised))
            return
        self._follow(ctx, src, msg.ballot)
        self._learn_through(ctx, msg.ballot, msg.chosen)
        if self.last_applied < msg.chosen:
            ctx.send(src, CatchUp(msg.ballot, self.last_applied))

    def _on_catch_up(self, ctx: Context, src: Hashable, msg: CatchUp) -> None:
        if self.role != LEADER or msg.ballot != self.ballot:
            return
        first = msg.applied + 1
        last = min(self.last_applied, msg.applied + self.options.max_batch)
        ctx.send(src, Chosen(tuple((s, self.log[s - 1]) for s in range(first, last + 1))))

    def _on_chosen(self, ctx: Context, src: Hashable, msg: Chosen) -> None:
        for slot, value in msg.entries:
            self._learn(ctx, slot, value)

    # ------------------------------------------------------------------ acceptor and learner
    def _promise(self, ctx: Context, ballot: int) -> None:
        if ballot > self.promised:
            self.promised = ballot
            ctx.persist("promised", ballot)

    def _accept(self, ctx: Context, slot: int, value: Any) -> None:
        """Accept ``value`` in slot ``slot`` at the ballot this server follows."""
        self._promise(ctx, self.ballot)
        if self.accepted.get(slot) != (self.ballot, value):
            self.accepted[slot] = (self.ballot, value)
            ctx.persist(f"accepted {slot}", (self.ballot, value))
            ctx.report(Voted(self.pid, self.ballot, value, slot))

    def _accepted_from(self, first: int) -> tuple:
        return tuple((s, b, v) for s, (b, v) in sorted(self.accepted.items()) if s >= first)

    def _learn_through(self, ctx: Context, ballot: int, chosen: int) -> None:
        """The leader of ``ballot`` says every slot up to ``chosen`` is chosen: what
        this acceptor accepted in that ballot there is the chosen value."""
        for slot in range(self.last_applied + 1, chosen + 1):
            accepted = self.accepted.get(slot)
            if accepted is not None and accepted[0] == ballot:
                self._learn(ctx, slot, accepted[1])

    def _learn(self, ctx: Context, slot: int, value: Any) -> None:
        if slot <= self.last_applied or slot in self.chosen:
            return
        self.chosen[slot] = value
        ctx.report(Learned(self.pid, value, slot))
        while self.last_applied + 1 in self.chosen:  # apply in slot order, never past a hole
            self.log.append(self.chosen.pop(self.last_applied + 1))

    # ------------------------------------------------------------------ following
    def _follow(self, ctx: Context, leader: Hashable, ballot: int) -> None:
        self._step_aside(ballot)
        self.ballot, self.leader_id = ballot, leader
        self._arm_election(ctx)

    def _step_aside(self, ballot: int) -> None:
        """A ballot at least as high as ours is in play: stop leading or standing."""
        if ballot > self.ballot:
            self.leader_id = None
        if ballot > self.ballot or self.role == FOLLOWER:
            if self.role != FOLLOWER:
                self.proposals, self.acks, self.promises = {}, {}, {}
            self.role = FOLLOWER
            self.ballot = max(self.ballot, ballot)

    # ------------------------------------------------------------------ the trace
    def _publish(self, ctx: Context) -> None:
        shown = {"role": self.role, "ballot": self.ballot, "leader": self.leader_id,
                 "applied": self.last_applied}
        if shown != self._shown:
            ctx.annotate(**{k: v for k, v in shown.items() if self._shown.get(k, _UNSET) != v})
            self._shown = shown


_UNSET = object()

_HANDLERS = {
    PrepareFrom: MultiPaxosNode._on_prepare_from,
    PromiseFrom: MultiPaxosNode._on_promise_from,
    AcceptSlot: MultiPaxosNode._on_accept_slot,
    AcceptedSlot: MultiPaxosNode._on_accepted_slot,
    Rejected: MultiPaxosNode._on_rejected,
    LeaderHeartbeat: MultiPaxosNode._on_heartbeat,
    CatchUp: MultiPaxosNode._on_catch_up,
    Chosen: MultiPaxosNode._on_chosen,
}
