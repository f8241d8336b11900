"""A replicated key-value store: Raft's log feeding a deterministic state machine.

Raft agrees on a sequence of commands; the *state machine* turns that sequence
into a key-value map. Two things separate a toy from a store clients can trust
(Ongaro's thesis, chapter 6):

- **Exactly-once writes despite retries** (§6.3). A client that times out
  resends, and the network may duplicate a request, so the same append can
  reach the log twice. Each client numbers its operations; the state machine
  keeps a *session table* — per client, the last sequence number applied and
  its result — and answers a repeat from the table instead of applying it
  again. The table is part of the replicated state: it is in every snapshot.
- **Linearizable reads without writing to the log** (§6.4). A leader cannot
  simply answer from its own state: it may have been deposed without knowing.
  *ReadIndex* notes the commit index, confirms with a round of heartbeats that
  a majority still follows it, waits until that index is applied, then
  answers. A *lease read* skips the heartbeat round by trusting that no other
  leader can be elected before its lease runs out — on its own clock, so a
  drifting clock breaks it. A *log read* sends the get through the log like a
  write: always safe, and the slowest. A *local read* — any server answers
  from its own state — is the mistake all three avoid, kept as a switch so the
  checker can be watched catching it.

:class:`KVStateMachine` is the pure state machine; :class:`KVServer` is the
Raft node that serves clients with it. The client side lives in
:mod:`ddia10.raft.client`.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from ..sim import Context
from ..validate import check_choice, check_instance, check_int
from .node import RaftNode
from .options import RaftOptions

OPS = ("get", "put", "append", "cas")
WRITE_OPS = ("put", "append", "cas")
READ_MODES = ("read_index", "lease", "log", "local")
REPLY_STATUSES = ("ok", "not_leader", "retry")


# ---------------------------------------------------------------------- messages
@dataclass(frozen=True)
class ClientRequest:
    """A client operation: ``value`` is the string put or appended, or
    ``(expected, new)`` for a compare-and-set; ``seq`` numbers the client's
    operations from 1 so the store can recognise a retry."""

    client: Hashable
    seq: int
    op: str
    key: str
    value: Any = None

    def __post_init__(self) -> None:
        check_int("a client's sequence number", self.seq, min=1)
        check_kv_operation(self.op, self.key, self.value)


@dataclass(frozen=True)
class ClientReply:
    """The answer to request ``seq``: ``ok`` with its ``result``; ``not_leader``
    with a ``leader`` hint (``None`` when unknown); or ``retry`` when the entry
    was lost from the log and the client should send the request again."""

    client: Hashable
    seq: int
    status: str
    result: Any = None
    leader: Hashable | None = None

    def __post_init__(self) -> None:
        check_choice("reply status", self.status, REPLY_STATUSES)


@dataclass(frozen=True)
class KVCommand:
    """What goes into the Raft log: one client operation, named by (client, seq)."""

    client: Hashable
    seq: int
    op: str
    key: str
    value: Any = None

    def __post_init__(self) -> None:
        check_int("a client's sequence number", self.seq, min=1)
        check_kv_operation(self.op, self.key, self.value)

    def __str__(self) -> str:
        """How a log entry reads in tables and players: ``c1#3 put x='a'``."""
        arg = "" if self.op == "get" else f"={self.value!r}"
        return f"{self.client}#{self.seq} {self.op} {self.key}{arg}"

    @classmethod
    def of(cls, request: ClientRequest) -> KVCommand:
        return cls(request.client, request.seq, request.op, request.key, request.value)


def check_kv_operation(op: str, key: Any, value: Any) -> None:
    """Reject an operation the store cannot apply, with a message that says why."""
    if op not in OPS:
        raise ValueError(f"unknown operation {op!r}; expected one of {OPS}")
    if not isinstance(key, str):
        raise ValueError(f"a key must be a string, got {key!r}")
    if op in ("put", "append") and not isinstance(value, str):
        raise ValueError(f"{op} needs a string value, got {value!r}")
    if op == "cas" and not (
        isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, str) for v in value)
    ):
        raise ValueError(f"cas needs value (expected, new), two strings; got {value!r}")
    if op == "get" and value is not None:
        raise ValueError(f"get takes no value, got {value!r}")


# ---------------------------------------------------------------------- state machine
class KVStateMachine:
    """Strings by key, plus the session table that makes client writes exactly-once.

    A missing key reads as ``""``, so ``append`` on it starts a new string.
    ``apply`` returns the operation's result: the value for ``get``, ``None``
    for ``put`` and ``append``, ``True``/``False`` for ``cas``.
    """

    def __init__(self) -> None:
        self.data: dict[str, str] = {}
        self.sessions: dict[Hashable, tuple[int, Any]] = {}  # client -> (last seq, result)

    def read(self, key: str) -> str:
        """The current value of ``key`` (``""`` if never written)."""
        return self.data.get(key, "")

    def cached(self, client: Hashable, seq: int) -> tuple[bool, Any]:
        """``(True, result)`` if ``(client, seq)`` was already applied and is the
        client's latest operation; ``(False, None)`` otherwise."""
        last = self.sessions.get(client)
        if last is not None and last[0] == seq:
            return True, last[1]
        return False, None

    def apply(self, command: KVCommand) -> Any:
        """Apply one committed command, unless its client's session shows it was
        applied already (then the cached result; ``None`` for an older one)."""
        check_instance("a command the key-value store applies", command, KVCommand)
        last = self.sessions.get(command.client)
        if last is not None and command.seq <= last[0]:
            return last[1] if command.seq == last[0] else None
        result = self._execute(command)
        self.sessions[command.client] = (command.seq, result)
        return result

    def _execute(self, c: KVCommand) -> Any:
        if c.op == "get":
            return self.read(c.key)
        if c.op == "put":
            self.data[c.key] = c.value
            return None
        if c.op == "append":
            self.data[c.key] = self.read(c.key) + c.value
            return None
        expected, new = c.value
        if self.read(c.key) != expected:
            return False
        self.data[c.key] = new
        return True

    def snapshot(self) -> dict:
        """The whole replicated state, sessions included, as plain data."""
        return {"data": dict(self.data), "sessions": copy.deepcopy(self.sessions)}

    def restore(self, state: dict) -> None:
        """Replace this state machine's state with a :meth:`snapshot`."""
        if not isinstance(state, dict) or set(state) != {"data", "sessions"}:
            raise ValueError(f"not a key-value snapshot: {state!r}")
        self.data = dict(state["data"])
        self.sessions = {c: tuple(v) for c, v in copy.deepcopy(state["sessions"]).items()}


# ---------------------------------------------------------------------- the server
class KVServer(RaftNode):
    """A Raft node serving the key-value store to client processes.

    ``read_mode`` picks how a ``get`` is served: ``"read_index"`` (default,
    linearizable), ``"lease"`` (no heartbeat round while the lease holds; needs
    the ``check_quorum`` option, and trusts the leader's clock), ``"log"``
    (through the log like a write), or ``"local"`` — deliberately unsafe: any
    server, follower or deposed leader, answers from its own state at once.

    A write is answered when its entry is applied — if the entry at that index
    still carries the term it was proposed in; otherwise another leader
    overwrote it and the client is told to retry.
    """

    def __init__(
        self, options: RaftOptions | None = None, voters: Iterable[Hashable] = (), *,
        read_mode: str = "read_index",
    ) -> None:
        check_choice("read_mode", read_mode, READ_MODES)
        super().__init__(options, voters)
        if read_mode == "lease" and not self.options.check_quorum:
            raise ValueError("lease reads need the check_quorum option: without it nothing "
                             "stops a new leader being elected while the lease runs")
        self.read_mode = read_mode
        self.kv = KVStateMachine()
        # log index -> (client pid, command, term it was proposed in)
        self.waiting_writes: dict[int, tuple[Hashable, KVCommand, int]] = {}
        self.waiting_reads: dict[int, tuple[Hashable, ClientRequest]] = {}  # read id -> request
        self.next_read_id = 0

    @classmethod
    def factory(cls, read_mode: str = "read_index") -> Callable[..., KVServer]:
        """A ``node_class`` for :class:`~ddia10.raft.RaftCluster` with ``read_mode`` set."""
        check_choice("read_mode", read_mode, READ_MODES)
        return functools.partial(cls, read_mode=read_mode)

    # ---- the state machine hooks Raft calls
    def apply_command(self, ctx: Context, index: int, command: Any) -> Any:
        result = self.kv.apply(command)
        # Raft applies its own entries (no-ops, configurations) without this
        # hook, so a write waiting at an earlier index was displaced by one.
        for waiting_index in sorted(i for i in self.waiting_writes if i <= index):
            src, proposed, term = self.waiting_writes.pop(waiting_index)
            if waiting_index == index and self.log.term_at(index) == term:
                self._reply(ctx, src, proposed, "ok", result)
            else:  # another leader's entry took the index: ours was lost
                self._reply(ctx, src, proposed, "retry")
        return result

    def snapshot_state(self) -> Any:
        return self.kv.snapshot()

    def restore_state(self, state: Any) -> None:
        self.kv.restore(state)

    # ---- client requests
    def on_client_message(self, ctx: Context, src: Hashable, msg: Any) -> None:
        if not isinstance(msg, ClientRequest):
            return
        done, result = self.kv.cached(msg.client, msg.seq)
        if done:  # a retry or a duplicate of an operation already applied
            self._reply(ctx, src, msg, "ok", result)
            return
        if msg.op == "get" and self.read_mode == "local":
            self._reply(ctx, src, msg, "ok", self.kv.read(msg.key))
            return
        if self.role != "leader":
            self._reply(ctx, src, msg, "not_leader", leader=self.leader_id)
            return
        if msg.op == "get" and self.read_mode != "log":
            self._serve_read(ctx, src, msg)
            return
        command = KVCommand.of(msg)
        for index, (_src, proposed, term) in self.waiting_writes.items():
            if proposed == command and term == self.term:  # in our log, awaiting commit
                self.waiting_writes[index] = (src, command, term)
                return
        placed = self.propose(ctx, command)
        if placed is None:
            self._reply(ctx, src, msg, "not_leader", leader=self.leader_id)
            return
        index, term = placed
        self.waiting_writes[index] = (src, command, term)

    def _serve_read(self, ctx: Context, src: Hashable, msg: ClientRequest) -> None:
        if self.read_mode == "lease" and self.lease_read_ok(ctx):
            self._reply(ctx, src, msg, "ok", self.kv.read(msg.key))
            return
        self.next_read_id += 1
        self.waiting_reads[self.next_read_id] = (src, msg)
        self.request_read(ctx, self.next_read_id)

    def on_read_ready(self, ctx: Context, read_id: Hashable, index: int) -> None:
        waiting = self.waiting_reads.pop(read_id, None)
        if waiting is not None:
            src, msg = waiting
            self._reply(ctx, src, msg, "ok", self.kv.read(msg.key))

    def on_read_failed(self, ctx: Context, read_id: Hashable) -> None:
        waiting = self.waiting_reads.pop(read_id, None)
        if waiting is not None:
            src, msg = waiting
            self._reply(ctx, src, msg, "not_leader", leader=self.leader_id)

    def _reply(
        self, ctx: Context, src: Hashable, request: ClientRequest | KVCommand, status: str,
        result: Any = None, *, leader: Hashable | None = None,
    ) -> None:
        ctx.send(src, ClientReply(request.client, request.seq, status, result, leader))
