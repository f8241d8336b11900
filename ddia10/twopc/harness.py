"""Two-phase commit in a simulated world: the harness tests, chapters and readers drive.

:class:`TwoPC` puts a coordinator ``C``, participants ``P1 .. Pn`` and a
client on a :class:`~ddia10.sim.Simulation`, with the fault buttons a reader
would name (crash, restart, disconnect, connect, partition, heal), what each
process knows of a transaction (:meth:`TwoPC.outcome`), each participant's
lock table, and :meth:`TwoPC.check_invariants`. Its
:class:`~ddia10.twopc.invariants.TwoPCMonitor` hears what the processes
report; with ``check_every_event=True`` the harness steps the world itself
and checks after every single event.

::

    from ddia10.twopc import TwoPC
    t = TwoPC(participants=2, rows={"P1": {"A": 100}, "P2": {"B": 0}})
    txn = t.begin({"P1": {"A": -100}, "P2": {"B": 100}})
    t.run(50)
    t.outcome(txn, "P2")        # 'committed'
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

from ..harness import FaultButtons
from ..raft.cluster import leader_of
from ..raft.invariants import RAFT_FACTS, RaftMonitor
from ..raft.options import RaftOptions
from ..sim import Simulation, SimulationTimeout, Trace
from ..sim.world import canonical
from ..validate import (
    check_callable,
    check_instance,
    check_int,
    check_known,
    check_number,
    check_str,
)
from . import wal
from .coordinator import Client, Coordinator
from .invariants import TwoPCMonitor
from .messages import ABORT, COMMIT, Writes
from .options import TwoPCOptions
from .participant import Participant
from .replicated import CoordinatorReplica

COORDINATOR = "C"
CLIENT = "client"

OUTCOMES = ("committed", "aborted", "in-doubt")
"""What :meth:`TwoPC.outcome` may say of a transaction at one process (or ``None``)."""


class TwoPC(FaultButtons):
    """A coordinator, ``participants`` participants and a client on a simulated network.

    ``rows`` gives participants their starting data (``{"P1": {"A": 100}}``;
    a row not given holds 0). Network settings (``latency``, ``loss``,
    ``duplicate``, ``reorder``) go to the simulation; every other keyword is a
    :class:`~ddia10.twopc.TwoPCOptions` field (``vote_timeout``,
    ``lock_timeout``, ``retry_interval``, ``log_write``, ``cooperative``,
    ``bug_abort_in_doubt``). ``participant_class(options, coordinators, rows)``
    builds each participant (a :class:`~ddia10.twopc.Participant` subclass:
    chapter 3's drill puts the reader's recovery there).
    """

    def __init__(
        self,
        participants: int = 3,
        seed: int = 0,
        *,
        rows: Mapping[str, Mapping[str, int]] | None = None,
        replicas: int = 1,
        raft: Mapping[str, Any] | None = None,
        latency: Any = (1.0, 5.0),
        loss: float = 0.0,
        duplicate: float = 0.0,
        reorder: float = 0.0,
        trace: bool = True,
        check_every_event: bool = False,
        participant_class: Callable[..., Participant] = Participant,
        **options: Any,
    ) -> None:
        check_int("participants", participants, min=1)
        check_callable("participant_class", participant_class,
                       what="a Participant subclass or factory")
        check_int("replicas", replicas, min=1)
        if replicas == 1 and raft:
            raise ValueError("raft options apply to a replicated coordinator (replicas >= 2)")
        unknown = set(options) - TwoPCOptions.names()
        if unknown:
            raise ValueError(f"unknown two-phase commit option(s) {sorted(unknown)}; "
                             f"known: {sorted(TwoPCOptions.names())}")
        self.options = TwoPCOptions(**options)
        self.participants = [f"P{i}" for i in range(1, participants + 1)]
        rows = _check_rows(rows, self.participants)
        self.check_every_event = bool(check_every_event)
        self.monitor = TwoPCMonitor()
        self.raft_monitor = RaftMonitor()
        self.sim = Simulation(seed, latency=latency, loss=loss, duplicate=duplicate,
                              reorder=reorder, trace=trace, observer=self._hear)
        if replicas == 1:
            self.sim.add(COORDINATOR, lambda: Coordinator(self.options))
            self.coordinators: list[Hashable] = [COORDINATOR]
        else:
            raft_options = RaftOptions(**dict(raft or {}))
            self.coordinators = [f"C{i}" for i in range(1, replicas + 1)]
            voters = frozenset(self.coordinators)
            for pid in self.coordinators:
                self.sim.add(pid, _replica(self.options, raft_options, voters))
        for pid in self.participants:
            self.sim.add(pid, _participant(participant_class, self.options, self.coordinators,
                                           rows.get(pid, {})))
        self.sim.add(CLIENT, Client)

    def _hear(self, fact: Any) -> None:
        """The world's observer: Raft's facts to Raft's monitor, the rest to ours."""
        if isinstance(fact, RAFT_FACTS):
            self.raft_monitor.hear(fact)
        else:
            self.monitor.hear(fact)

    @property
    def replicated(self) -> bool:
        return self.coordinators != [COORDINATOR]

    # ---------------------------------------------------------------- looking
    @property
    def trace(self) -> Trace:
        return self.sim.trace

    @property
    def ids(self) -> list[Hashable]:
        """The coordinator(s) and the participants: every process faults may hit."""
        return self.coordinators + self.participants

    def coordinator(self) -> Hashable | None:
        """The process acting as coordinator now: the single coordinator if it
        runs, or the running replica that leads the highest term; else ``None``."""
        if not self.replicated:
            return COORDINATOR if self.sim.is_up(COORDINATOR) else None
        return leader_of(self._running(self.coordinators))

    def wait_for_coordinator(self, timeout_ms: float = 2000.0) -> Hashable:
        """Run until some process coordinates (a replicated coordinator first
        elects a leader); its id."""
        self.run_until(lambda t: t.coordinator() is not None, timeout_ms)
        return self.coordinator()

    def outcome(self, txn: int, pid: Hashable) -> str | None:
        """What ``pid``'s log says of ``txn``: ``"committed"``, ``"aborted"``,
        ``"in-doubt"`` (a participant that promised and has not heard), or
        ``None`` (nothing yet). Read from stable storage, so a crashed process
        answers too — except a replica of a replicated coordinator, which
        answers from the decisions it has applied (``None`` while crashed)."""
        self._check_txn(txn)
        self._known(pid)
        if self.replicated and pid in self.coordinators:
            decided = self._running([pid]).get(pid)
            outcome = decided.decisions.get(txn) if decided is not None else None
            return _PAST.get(outcome)
        said = None
        for record in wal.records(self.sim.storage(pid)):
            if record[1] != txn:
                continue
            if record[0] == "prepare":
                said = "in-doubt"
            elif record[0] in (COMMIT, ABORT):
                said = _PAST[record[0]]
            elif record[0] == "decision":
                said = _PAST[record[2]]
        return said

    def locks(self, pid: Hashable) -> dict[str, int]:
        """Participant ``pid``'s lock table, row -> transaction. A crashed
        participant holds none in memory; it takes its in-doubt ones again
        from its log when it restarts."""
        node = self._participant(pid)
        return dict(node.locks) if node is not None else {}

    def waiting(self, pid: Hashable) -> list[int]:
        """The transactions waiting at participant ``pid`` for locks, in line order."""
        node = self._participant(pid)
        return list(node.queue) if node is not None else []

    def rows(self, pid: Hashable) -> dict[str, int]:
        """The committed data of running participant ``pid``."""
        node = self._participant(pid)
        if node is None:
            raise ValueError(f"participant {pid!r} is crashed")
        return dict(node.rows)

    def result(self, txn: int) -> str | None:
        """What the client was told of ``txn`` (``"commit"``/``"abort"``), or ``None``."""
        self._check_txn(txn)
        return self.sim.process(CLIENT).results.get(txn)

    def check_invariants(self) -> None:
        """Raise :class:`~ddia10.twopc.InvariantViolation` if any safety property failed."""
        self.monitor.check(self._running(self.participants))
        if self.replicated:
            self.raft_monitor.check(self._running(self.coordinators))

    def snapshot(self) -> Any:
        """The world and what the monitors have heard (which the world's snapshot
        leaves out)."""
        return self.sim.snapshot(), copy.deepcopy((self.monitor, self.raft_monitor))

    def restore(self, snap: Any) -> None:
        """Return to :meth:`snapshot`, monitors included."""
        world, monitors = snap
        self.sim.restore(world)
        self.monitor, self.raft_monitor = copy.deepcopy(monitors)

    def fingerprint(self) -> str:
        """A hash of the world's state and of the history the monitors have heard."""
        blob = repr((self.sim.fingerprint(), canonical(self.monitor.fingerprint()),
                     canonical(self.raft_monitor.fingerprint())))
        return hashlib.sha256(blob.encode()).hexdigest()

    # ---------------------------------------------------------------- clients and time
    def begin(self, writes: Mapping[Hashable, Mapping[str, int]]) -> int:
        """The client starts a transaction now: ``writes`` maps each participant
        to its ``{row: delta}``. Returns the transaction's number."""
        parts = check_writes(writes, self.participants)
        target = self.coordinator() or self.coordinators[0]
        return self.sim.call(CLIENT, lambda client, ctx: client.submit(ctx, target, parts))

    def run(self, ms: float) -> None:
        """Advance simulated time by ``ms`` (checking after every event if asked to)."""
        check_number("run time", ms, min=0, unit="ms")
        if not self.check_every_event:
            self.sim.run(ms)
            return
        done: list = []
        self.sim.after(ms, lambda sim: done.append(True), "end of run")
        while not done:
            self.sim.step()
            self.check_invariants()

    def run_until(self, predicate: Callable[[TwoPC], bool], timeout_ms: float) -> float:
        """Run until ``predicate(self)`` holds; the time it first held.
        Raises :class:`~ddia10.sim.SimulationTimeout` after ``timeout_ms``."""
        check_callable("predicate", predicate, what="a function of the harness")
        check_number("timeout", timeout_ms, min=0, unit="ms")
        if not self.check_every_event:
            return self.sim.run_until(lambda sim: predicate(self), timeout_ms)
        done: list = []
        self.sim.after(timeout_ms, lambda sim: done.append(True), "timeout")
        while not predicate(self):
            if done or not self.sim.step():
                raise SimulationTimeout(f"condition not reached within {timeout_ms:g} ms of "
                                        f"simulated time (now={self.sim.now:g})")
            self.check_invariants()
        return self.sim.now

    # ---------------------------------------------------------------- helpers
    def _known(self, pid: Hashable) -> None:
        check_known("process", pid, self.ids)

    def _running(self, pids: Iterable[Hashable]) -> dict[Hashable, Any]:
        return {p: self.sim.process(p) for p in pids if self.sim.is_up(p)}

    def _participant(self, pid: Hashable) -> Participant | None:
        check_known("participant", pid, self.participants)
        return self.sim.process(pid) if self.sim.is_up(pid) else None

    def _check_txn(self, txn: int) -> None:
        begun = self.sim.process(CLIENT).submitted
        if isinstance(txn, bool) or not isinstance(txn, int) or not 1 <= txn <= begun:
            raise KeyError(f"unknown transaction {txn!r}; begun: "
                           + (f"1..{begun}" if begun else "none yet"))

    def __repr__(self) -> str:
        up = " ".join(f"{p}{'' if self.sim.is_up(p) else '(down)'}" for p in self.ids)
        return f"TwoPC(t={self.sim.now:g} {up})"


_PAST = {COMMIT: "committed", ABORT: "aborted"}


def _participant(cls: Callable[..., Participant], options: TwoPCOptions, coordinators: list,
                 rows: dict) -> Callable[[], Any]:
    return lambda: cls(options, coordinators, rows)


def _replica(options: TwoPCOptions, raft: RaftOptions, voters: frozenset) -> Callable[[], Any]:
    return lambda: CoordinatorReplica(options, raft, voters)


def _check_rows(rows: Any, participants: list) -> dict:
    if rows is None:
        return {}
    check_instance("rows", rows, Mapping)
    out = {}
    for pid, data in rows.items():
        check_known("participant", pid, participants)
        out[pid] = dict(_check_row_values(data, f"rows of {pid}", "value"))
    return out


def check_writes(writes: Any, participants: list) -> tuple[tuple[Hashable, Writes], ...]:
    """``writes`` ({participant: {row: delta}}) checked, as a Begin carries them."""
    if not isinstance(writes, Mapping) or not writes:
        raise ValueError("a transaction needs at least one participant: writes must map "
                         f"participants to {{row: delta}}, got {writes!r}")
    parts = []
    for pid in participants:  # the harness's order, whatever the caller's
        if pid in writes:
            parts.append((pid, _check_row_values(writes[pid], f"writes at {pid}", "delta")))
    for pid in writes:
        check_known("participant", pid, participants)
    return tuple(parts)


def _check_row_values(data: Any, what: str, value_name: str) -> Writes:
    if not isinstance(data, Mapping) or not data:
        raise ValueError(f"{what} must be a non-empty {{row: {value_name}}} dict, got {data!r}")
    for row, value in data.items():
        check_str(f"a row name in {what}", row)
        check_int(f"the {value_name} of row {row!r} in {what}", value)
    return tuple(sorted(data.items()))
