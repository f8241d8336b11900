"""The simulator's two-phase commit coordinator, driving real PostgreSQL servers.

:class:`PostgresTwoPC` runs :class:`~ddia10.twopc.Coordinator` — the same
class the simulations use, not a second implementation — in a
:class:`~ddia10.real.runtime.RealNode`: its log is a JSON-lines file, and each
PostgreSQL server plays a participant. What the coordinator sends becomes SQL
on that server, and what the server answers comes back as the message a
simulated participant would send:

=================================  ===========================================  ==============
coordinator sends                  the server runs                              answer
=================================  ===========================================  ==============
``PrepareToCommit(txn, writes)``   ``BEGIN``; one ``UPDATE`` per row;           ``CommitVote``
                                   ``PREPARE TRANSACTION 'ddia10-txn'`` (a
                                   failed check or a lock wait past
                                   ``lock_timeout``: ``ROLLBACK``, and no)
``Decision(txn, commit)``          ``COMMIT PREPARED 'ddia10-txn'``             ``Ack``
``Decision(txn, abort)``           ``ROLLBACK PREPARED 'ddia10-txn'``           ``Ack``
=================================  ===========================================  ==============

PostgreSQL never asks a coordinator anything: a prepared transaction waits,
holding its locks, through restarts and crashes, until someone commits or
rolls it back. So when the coordinator restarts, :meth:`PostgresTwoPC.recover`
does what a transaction manager's recovery does: it lists each server's
prepared transactions (``pg_prepared_xacts``) and asks the coordinator about
each one of ours with the ``DecisionRequest`` a participant in doubt would
send; the coordinator answers from its log.

Each server holds a table ``accounts(name text primary key, balance integer
check (balance >= 0))``: a transaction's writes are deltas to balances, as in
the simulation.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

from ..sim import Trace
from ..twopc import wal
from ..twopc.coordinator import Coordinator
from ..twopc.harness import CLIENT, COORDINATOR, check_writes
from ..twopc.messages import (
    ABORT,
    COMMIT,
    Ack,
    Begin,
    CommitVote,
    Decision,
    DecisionRequest,
    PrepareToCommit,
    Result,
    Writes,
)
from ..twopc.options import TwoPCOptions
from ..validate import check_choice, check_known
from .postgres import PostgresServer
from .runtime import RealNode, wall_clock

GID_PREFIX = "ddia10-"

CRASH_POINTS = ("before decision", "after decision")
"""Where :meth:`PostgresTwoPC.begin` may crash the coordinator: once every
participant has prepared but before the votes reach it, or right after its
decision is on its log, before anyone hears it."""


def gid(txn: int) -> str:
    """The global transaction id PostgreSQL knows transaction ``txn`` by."""
    return f"{GID_PREFIX}{txn}"


class PostgresTwoPC:
    """The coordinator ``C`` and PostgreSQL servers as participants ``P1, P2, ...``.

    ``servers`` maps participant names to started :class:`PostgresServer`
    objects; ``log`` is the coordinator's log file. ``options`` are the
    simulation's :class:`~ddia10.twopc.TwoPCOptions` (``lock_timeout`` becomes
    each prepare's PostgreSQL ``lock_timeout``).
    """

    def __init__(self, servers: Mapping[str, PostgresServer], log: Path,
                 options: TwoPCOptions | None = None) -> None:
        if not servers:
            raise ValueError("two-phase commit needs at least one PostgreSQL server")
        self.options = options if options is not None else TwoPCOptions()
        if self.options.log_write or self.options.cooperative:
            raise ValueError("a real run takes the disk's own write time and has no "
                             "cooperative termination: leave log_write and cooperative unset")
        self.servers = dict(servers)
        self.participants = list(self.servers)
        self.trace = Trace()
        self.clock = wall_clock()
        self.inbox: deque[tuple[Hashable, Hashable, Any]] = deque()
        self.submitted = 0
        self.results: dict[int, str] = {}  # what the client was told
        self.coordinator = RealNode(COORDINATOR, lambda: Coordinator(self.options), log=log,
                                    peers=self.participants + [CLIENT], send=self._send,
                                    trace=self.trace, clock=self.clock)
        self.coordinator.start()

    # ---------------------------------------------------------------- set-up and looking
    def create_accounts(self, rows: Mapping[str, Mapping[str, int]]) -> None:
        """(Re)create each server's ``accounts`` table with ``rows[pid]``."""
        for pid, server in self.servers.items():
            with server.connect() as conn:
                conn.execute("DROP TABLE IF EXISTS accounts")
                conn.execute("CREATE TABLE accounts (name text PRIMARY KEY, "
                             "balance integer NOT NULL CHECK (balance >= 0))")
                for name, balance in sorted(rows.get(pid, {}).items()):
                    conn.execute("INSERT INTO accounts VALUES (%s, %s)", (name, balance))

    def balances(self, pid: str) -> dict[str, int]:
        """The committed balances on ``pid``'s server."""
        with self._server(pid).connect() as conn:
            return dict(conn.execute("SELECT name, balance FROM accounts ORDER BY name"))

    def prepared(self, pid: str) -> list[str]:
        """Our transactions prepared (in doubt) on ``pid``'s server: their gids."""
        with self._server(pid).connect() as conn:
            rows = conn.execute("SELECT gid FROM pg_prepared_xacts WHERE gid LIKE %s "
                                "ORDER BY gid", (GID_PREFIX + "%",)).fetchall()
        return [row[0] for row in rows]

    def held_locks(self, pid: str) -> list[tuple[str, str, str, str]]:
        """The locks our prepared transactions hold on ``pid``'s server, read from
        ``pg_locks``: ``(gid, lock type, what, mode)``. (A row lock lives in the
        row itself; a session that wants the row waits on the transaction's
        ``transactionid`` lock, which is listed.)"""
        with self._server(pid).connect() as conn:
            return [tuple(map(str, row)) for row in conn.execute(
                "WITH held AS (SELECT l.virtualtransaction AS vxid, x.gid FROM pg_locks l "
                "  JOIN pg_prepared_xacts x ON l.locktype = 'transactionid' "
                "  AND l.transactionid = x.transaction WHERE x.gid LIKE %s) "
                "SELECT held.gid, l.locktype, "
                "  coalesce(l.relation::regclass::text, l.transactionid::text), l.mode "
                "FROM pg_locks l JOIN held ON l.virtualtransaction = held.vxid "
                "WHERE l.pid IS NULL ORDER BY 1, 2, 3", (GID_PREFIX + "%",))]

    def try_write(self, pid: str, name: str, delta: int, lock_timeout_ms: int = 500) -> str:
        """Another session updates ``name`` on ``pid``'s server: ``"ok"``, or
        ``"blocked"`` if it waited ``lock_timeout_ms`` for a lock and gave up."""
        psycopg = self._server(pid).psycopg
        with self._server(pid).connect() as conn:
            conn.execute(f"SET lock_timeout = {int(lock_timeout_ms)}")
            try:
                conn.execute("UPDATE accounts SET balance = balance + %s WHERE name = %s",
                             (delta, name))
            except psycopg.errors.LockNotAvailable:
                return "blocked"
        return "ok"

    def outcome(self, txn: int) -> str | None:
        """What the coordinator's log says of ``txn``: ``"commit"``, ``"abort"`` or ``None``."""
        for record in wal.records(self.coordinator.stable()):
            if record[0] == "decision" and record[1] == txn:
                return record[2]
        return None

    # ---------------------------------------------------------------- running
    def begin(self, writes: Mapping[str, Mapping[str, int]], *,
              crash: str | None = None, timeout_ms: float = 5000.0) -> int:
        """Run one transaction to its end (or to the crash, or for at most
        ``timeout_ms``): the client asks the coordinator, and the coordinator
        drives the servers. ``crash`` is one of :data:`CRASH_POINTS`, or ``None``."""
        if crash is not None:
            check_choice("crash", crash, CRASH_POINTS)
        parts = check_writes(writes, self.participants)
        if not self.coordinator.up:
            raise ValueError("the coordinator is down: restart it first")
        self.submitted += 1
        txn = self.submitted
        self.trace.append(self.clock(), "invoke", CLIENT, {"txn": f"T{txn}"})
        if crash == "after decision":
            self.coordinator.crash_after = lambda effect: effect.value[0] == "decision"
        self.inbox.append((CLIENT, COORDINATOR, Begin(txn, parts)))
        self.run(stop_before_votes=(crash == "before decision"), timeout_ms=timeout_ms)
        return txn

    def crash_coordinator(self) -> None:
        self.coordinator.crash()
        self.inbox = deque(m for m in self.inbox if m[1] != COORDINATOR)

    def restart_coordinator(self) -> None:
        """Start the coordinator again from its log, then let it resolve every
        transaction the servers still hold prepared (:meth:`recover`)."""
        self.coordinator.start()
        self.recover()

    def recover(self) -> None:
        """Ask the coordinator about every prepared transaction of ours, as a
        participant in doubt would, and carry out its answers."""
        for pid in self.participants:
            for g in self.prepared(pid):
                self.inbox.append((pid, COORDINATOR, DecisionRequest(int(g[len(GID_PREFIX):]))))
        self.run()

    def run(self, *, stop_before_votes: bool = False, timeout_ms: float = 5000.0) -> None:
        """Deliver messages and fire timers until nothing is left to do or
        ``timeout_ms`` has passed (a server that stays down keeps the
        coordinator resending); with ``stop_before_votes``, crash the
        coordinator when only votes are left."""
        deadline = self.clock() + timeout_ms
        while self.clock() < deadline:
            if stop_before_votes and self.inbox and all(
                    isinstance(m[2], CommitVote) for m in self.inbox):
                self.crash_coordinator()
                return
            if self.inbox:
                src, dst, msg = self.inbox.popleft()
                if dst == COORDINATOR:
                    self.coordinator.deliver(src, msg)
                elif isinstance(msg, Result):
                    self.results[msg.txn] = msg.outcome
                    self.trace.append(self.clock(), "return", CLIENT,
                                      {"txn": f"T{msg.txn}", "outcome": msg.outcome})
                continue
            if self.coordinator.fire_due():
                continue
            when = self.coordinator.next_timer()
            if when is None:
                return
            time.sleep(max(0.0, min(when, deadline) - self.clock()) / 1000.0)

    # ---------------------------------------------------------------- the participants
    def _send(self, src: Hashable, dst: Hashable, msg: Any) -> None:
        """The coordinator sent ``msg``: a participant's server acts on it now,
        and its answer waits in the inbox."""
        if dst == CLIENT:
            self.inbox.append((src, CLIENT, msg))
            return
        data = {"id": None, "src": src, "dst": dst, "msg": msg}
        try:
            if isinstance(msg, PrepareToCommit):
                answer = CommitVote(msg.txn, self._prepare(dst, msg.txn, msg.writes))
            elif isinstance(msg, Decision):
                self._finish(dst, msg.txn, msg.outcome)
                answer = Ack(msg.txn)
            else:
                return
        except self._server(dst).psycopg.OperationalError:  # the server is down: lost
            self.trace.append(self.clock(), "drop", dst, {**data, "reason": "server down"})
            return
        self.trace.append(self.clock(), "deliver", dst, data)
        self._reply(dst, answer)

    def _reply(self, pid: str, msg: Any) -> None:
        self.trace.append(self.clock(), "send", pid,
                          {"id": None, "src": pid, "dst": COORDINATOR, "msg": msg})
        self.inbox.append((pid, COORDINATOR, msg))

    def _prepare(self, pid: str, txn: int, writes: Writes) -> bool:
        server = self._server(pid)
        errors = server.psycopg.errors
        with server.connect() as conn:
            conn.execute("BEGIN")
            conn.execute(f"SET LOCAL lock_timeout = {int(self.options.lock_timeout)}")
            try:
                for name, delta in writes:
                    updated = conn.execute("UPDATE accounts SET balance = balance + %s "
                                           "WHERE name = %s", (delta, name)).rowcount
                    if not updated:  # a row not there yet holds 0, as in the simulation
                        conn.execute("INSERT INTO accounts VALUES (%s, %s)", (name, delta))
                conn.execute(f"PREPARE TRANSACTION '{gid(txn)}'")
            except (errors.CheckViolation, errors.LockNotAvailable):
                conn.execute("ROLLBACK")
                return False
        return True

    def _finish(self, pid: str, txn: int, outcome: str) -> None:
        verb = {COMMIT: "COMMIT", ABORT: "ROLLBACK"}[outcome]
        server = self._server(pid)
        with server.connect() as conn:
            try:
                conn.execute(f"{verb} PREPARED '{gid(txn)}'")
            except server.psycopg.errors.UndefinedObject:
                pass  # not prepared here (it voted no), or finished already: nothing to do

    def _server(self, pid: str) -> PostgresServer:
        return self.servers[check_known("participant", pid, self.participants)]
