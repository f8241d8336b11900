"""Clients of the replicated key-value store, and the histories they leave behind.

A :class:`KVClient` runs one operation at a time. It numbers its operations,
sends each to the server it believes leads (a random one when it has no hint),
follows ``not_leader`` redirects, and on a timeout sends the *same* request
again — same sequence number — to another server. The store's session table
(:mod:`ddia10.raft.kv`) turns those retries into exactly-once effects.

Each operation is recorded in the trace as an ``invoke`` when first sent and a
``return`` when the reply that completes it arrives.
:func:`ddia10.linearizability.history_from_trace` turns those events into a
history timed by true simulated time (never a client's drifting clock), so
:mod:`ddia10.linearizability` can judge any run. An operation still unanswered
at the end of the run is *pending*: it may or may not have taken effect.

The harness puts it together: :class:`KVRun` is a cluster of
:class:`~ddia10.raft.kv.KVServer` plus clients on one network, with
:meth:`KVRun.schedule` for a fault schedule (:mod:`ddia10.sim.faults`) and the
checks a run ends with (:meth:`KVRun.check_linearizable`,
:meth:`KVRun.unbacked_observations`). The campaigns and the lease read under
clock drift that chapter 5 stages on it are in
:mod:`ddia10.scenarios.raft_deep_dive`.
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from ..invariants import InvariantViolation
from ..linearizability import (
    CheckResult,
    History,
    check,
    history_from_trace,
    trace_operations,
)
from ..sim import Context, Process, SimulationTimeout
from ..sim.faults import Fault, apply_fault
from ..validate import check_instance, check_int, check_number
from .cluster import RaftCluster
from .kv import (
    WRITE_OPS,
    ClientReply,
    ClientRequest,
    KVServer,
    KVStateMachine,
    check_kv_operation,
)


@dataclass(frozen=True)
class Workload:
    """What a client does on its own: a random ``get``/``put``/``append`` on one of
    ``keys`` (weights in ``mix``), then a pause drawn from ``think`` (ms), again.

    Every value written is unique (``"<client>.<seq>;"``), so an append that
    took effect twice, or a read of a value nobody wrote, shows in the history.
    """

    keys: tuple[str, ...] = ("x", "y", "z")
    mix: tuple[tuple[str, float], ...] = (("get", 0.5), ("put", 0.15), ("append", 0.35))
    think: tuple[float, float] = (0.0, 20.0)

    def __post_init__(self) -> None:
        if not self.keys or not all(isinstance(k, str) for k in self.keys):
            raise ValueError(f"a workload needs at least one string key, got {self.keys!r}")
        ops = [op for op, _w in self.mix]
        if not ops or any(op not in ("get", "put", "append") for op in ops):
            raise ValueError(f"workload ops must be get, put or append, got {ops!r}")
        if any(not (isinstance(w, (int, float)) and w >= 0) for _op, w in self.mix) or not sum(
            w for _op, w in self.mix
        ) > 0:
            raise ValueError(f"workload weights must be >= 0 with a positive sum: {self.mix!r}")
        lo, hi = self.think
        if not (0 <= lo <= hi and math.isfinite(hi)):
            raise ValueError(f"think time must be a range 0 <= lo <= hi, got {self.think!r}")

    def next_op(
        self, rng: random.Random, client: Hashable, seq: int,
    ) -> tuple[str, str, str | None]:
        """The next ``(op, key, value)`` this client issues."""
        op = rng.choices([o for o, _w in self.mix], [w for _o, w in self.mix])[0]
        key = rng.choice(self.keys)
        return op, key, (None if op == "get" else f"{client}.{seq};")


class KVClient(Process):
    """A client process of the store: one outstanding operation, retried until answered.

    ``servers`` is the server set (clients cannot tell servers from other
    clients in ``ctx.peers``). ``timeout`` (ms) is how long it waits for a reply
    before resending to another server; ``backoff`` how long it waits after a
    ``not_leader`` without a usable hint. With a ``workload`` it issues
    operations on its own until :meth:`stop`; operations can also be queued
    with :meth:`submit`.
    """

    def __init__(
        self,
        servers: Sequence[Hashable],
        *,
        workload: Workload | None = None,
        timeout: float = 100.0,
        backoff: float = 10.0,
    ) -> None:
        servers = list(servers)
        if not servers:
            raise ValueError("a client needs at least one server to talk to")
        self.servers = servers
        self.workload = check_instance("workload", workload, Workload, none=True)
        self.timeout = float(check_number("timeout", timeout, positive=True, unit="ms"))
        self.backoff = float(check_number("backoff", backoff, positive=True, unit="ms"))
        self.seq = 0
        self.leader_hint: Hashable | None = None
        self.target: Hashable | None = None
        self.outstanding: ClientRequest | None = None
        self.queue: list[tuple[str, str, Any]] = []
        self.active = workload is not None
        self.completed = 0

    # ---- driving the client
    def on_start(self, ctx: Context) -> None:
        if self.active:
            self._think(ctx)

    def submit(self, ctx: Context, op: str, key: str, value: Any = None) -> None:
        """Queue an operation; it starts as soon as the one before it has returned."""
        check_kv_operation(op, key, value)
        self.queue.append((op, key, value))
        if self.outstanding is None:
            self._start_next(ctx)

    def stop(self, ctx: Context) -> None:
        """Issue no new workload operations; the outstanding one is still retried."""
        self.active = False
        ctx.cancel_timer("next")

    @property
    def idle(self) -> bool:
        return self.outstanding is None and not self.queue

    def _think(self, ctx: Context) -> None:
        ctx.set_timer(ctx.rng.uniform(*self.workload.think), "next")

    def _start_next(self, ctx: Context) -> None:
        if self.queue:
            op, key, value = self.queue.pop(0)
        elif self.active:
            op, key, value = self.workload.next_op(ctx.rng, ctx.pid, self.seq + 1)
        else:
            return
        self.seq += 1
        self.outstanding = ClientRequest(ctx.pid, self.seq, op, key, value)
        ctx.emit("invoke", client=ctx.pid, seq=self.seq, op=op, key=key, value=value)
        self._send(ctx)

    def _send(self, ctx: Context) -> None:
        if self.leader_hint in self.servers:
            dst = self.leader_hint
        else:
            others = [s for s in self.servers if s != self.target] or self.servers
            dst = ctx.rng.choice(others)
        self.target = dst
        ctx.send(dst, self.outstanding)
        ctx.set_timer(self.timeout, "resend")

    # ---- events
    def on_timer(self, ctx: Context, name: Hashable) -> None:
        if name == "next":
            if self.outstanding is None:
                self._start_next(ctx)
        elif name == "resend" and self.outstanding is not None:
            if self.leader_hint == self.target:  # the hinted leader is silent: forget it
                self.leader_hint = None
            self._send(ctx)
        elif name == "retry" and self.outstanding is not None:
            self._send(ctx)

    def on_message(self, ctx: Context, src: Hashable, msg: Any) -> None:
        request = self.outstanding
        if not isinstance(msg, ClientReply) or request is None or msg.seq != request.seq:
            return  # a late or duplicated answer to an operation already completed
        if msg.status == "ok":
            self.outstanding = None
            self.completed += 1
            self.leader_hint = src
            ctx.cancel_timer("resend")
            ctx.emit("return", client=ctx.pid, seq=request.seq, output=msg.result)
            if self.queue:
                self._start_next(ctx)
            elif self.active:
                self._think(ctx)
        elif msg.status == "not_leader":
            if msg.leader in self.servers and msg.leader != src:
                self.leader_hint = msg.leader
                self._send(ctx)
            else:  # no one knows a leader yet: wait for an election
                self.leader_hint = None
                ctx.set_timer(self.backoff, "resend")
        else:  # "retry": the entry was lost; the same server may still lead
            ctx.set_timer(self.backoff, "retry")


# ---------------------------------------------------------------------- the harness
class KVRun:
    """``n`` key-value servers and ``clients`` client processes (``c1``, ``c2``, ...)
    on one simulated network: the stage of every run of the store.

    ``workload`` (default: none, drive clients with :meth:`submit`) is what the
    clients do on their own; ``client_timeout`` is how long a client waits
    before resending. Other keywords go to :class:`~ddia10.raft.RaftCluster`
    (network settings, Raft options, ``check_every_event``).
    """

    def __init__(
        self, seed: int = 0, *, n: int = 5, clients: int = 3, workload: Workload | None = None,
        read_mode: str = "read_index", client_timeout: float = 100.0, **cluster_options: Any,
    ) -> None:
        check_int("clients", clients, min=1)
        self.cluster = RaftCluster(n, seed, node_class=KVServer.factory(read_mode),
                                   **cluster_options)
        self.sim = self.cluster.sim
        self.servers = list(self.cluster.ids)
        self.clients = [f"c{i}" for i in range(1, clients + 1)]
        for pid in self.clients:
            self.sim.add(pid, functools.partial(
                KVClient, self.servers, workload=workload, timeout=client_timeout))
        self.violation: InvariantViolation | None = None

    def submit(self, client: str, op: str, key: str, value: Any = None) -> None:
        """Queue an operation at ``client`` (it runs after the client's earlier ones)."""
        if client not in self.clients:
            raise ValueError(f"unknown client {client!r}; clients are {self.clients}")
        self.sim.call(client, lambda c, ctx: c.submit(ctx, op, key, value))

    def client(self, pid: str) -> KVClient:
        """The client process ``pid`` (to read its state)."""
        if pid not in self.clients:
            raise ValueError(f"unknown client {pid!r}; clients are {self.clients}")
        return self.sim.process(pid)

    def run(self, ms: float) -> None:
        """Advance ``ms``; a safety violation stops the run and is kept in :attr:`violation`."""
        if self.violation is not None:
            return
        try:
            self.cluster.run(ms)
        except InvariantViolation as violation:
            self.violation = violation

    def run_until_idle(self, timeout_ms: float, clients: Sequence[str] | None = None) -> bool:
        """Run until the clients (default: all) have nothing outstanding; False on timeout."""
        names = self.clients if clients is None else list(clients)
        return self._run_until(lambda c: all(self.client(p).idle for p in names), timeout_ms)

    def settle(self, timeout_ms: float) -> bool:
        """Run until some server leads, has committed its whole log, and every
        server has applied all of it (the end of a run, before comparing
        states); False on timeout."""

        def settled(c: RaftCluster) -> bool:
            leader = c.leader()
            if leader is None:
                return False
            last = c.node(leader).log.last_index
            return all(node.last_applied == last for node in c.nodes().values())

        return self._run_until(settled, timeout_ms)

    def _run_until(self, predicate: Callable[[RaftCluster], bool], timeout_ms: float) -> bool:
        if self.violation is not None:
            return False
        try:
            self.cluster.run_until(predicate, timeout_ms)
        except SimulationTimeout:
            return False
        except InvariantViolation as violation:
            self.violation = violation
            return False
        return True

    def schedule(self, faults: Sequence[Fault]) -> None:
        """Schedule each fault at its time (relative to now)."""
        start = self.sim.now
        for f in faults:
            label = f"{f.kind} {f.target}"
            self.sim.at(start + f.time, lambda sim, f=f: apply_fault(sim, f), label)

    def recover(self) -> None:
        """Heal the network and restart every crashed server."""
        self.cluster.heal()
        for pid in self.servers:
            if not self.sim.is_up(pid):
                self.cluster.restart(pid)

    def history(self, until: float | None = None) -> History:
        """The clients' operations so far (or up to time ``until``), as a ``kv``
        history (``.to_dict()`` gives the shared JSON format)."""
        return history_from_trace(self.sim.trace, "kv", clients=self.clients, until=until)

    def check_linearizable(
        self, until: float | None = None, timeout_s: float | None = None,
    ) -> CheckResult:
        """The verdict of :func:`ddia10.linearizability.check` on :meth:`history`."""
        return check(self.history(until), timeout_s=timeout_s)

    def unbacked_observations(self) -> list[str]:
        """What a client saw that the servers' final state does not back up.

        Every running server must hold the same state. Where a server's list of
        applied commands is complete (it never restored its state from a
        snapshot), every acknowledged put/append must be in it, every value a
        get returned must be one its key held at some point of it, and
        replaying it must give the state. Meaningful once :meth:`settle` held.
        """
        nodes = self.cluster.nodes()
        if not nodes:
            return ["no server is running"]
        problems: list[str] = []
        (first, reference), *others = nodes.items()
        for pid, node in others:
            if node.kv.snapshot() != reference.kv.snapshot():
                problems.append(f"server {pid!r} holds a different state from server {first!r}")
        complete = [node for node in nodes.values() if node.restored_index == 0]
        if not complete:
            return problems
        commands = complete[0].applied_commands
        replay = KVStateMachine()
        seen: dict[str, set] = {}
        for command in commands:
            replay.apply(command)
            seen.setdefault(command.key, {""}).add(replay.read(command.key))
        if replay.snapshot() != complete[0].kv.snapshot():
            problems.append(f"server {complete[0].pid!r} state differs from a replay of its log")
        done = {(c.client, c.seq) for c in commands}
        for ident, op in trace_operations(self.sim.trace, clients=self.clients):
            if op["status"] != "ok":
                continue
            if op["op"] in WRITE_OPS and ident not in done:
                problems.append(f"acknowledged {op['op']} {op['value']!r} by {op['process']} "
                                "is not in the applied log")
            if op["op"] == "get" and op["output"] not in seen.get(op["key"], {""}):
                problems.append(f"get of {op['key']!r} by {op['process']} returned "
                                f"{op['output']!r}, a value the key never held")
        return problems
