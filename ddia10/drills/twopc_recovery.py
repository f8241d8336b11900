"""Drill, chapter 3: a two-phase commit participant's recovery.

The reader writes what a participant does when it starts again after a
crash, from the records of its write-ahead log (:mod:`ddia10.twopc.wal`)::

    class MyParticipant(Participant):
        def recover(self, ctx, records):
            # records, oldest first: ("prepare", txn, writes, participants),
            # ("commit", txn), ("abort", txn)
            # self.rows starts as the initial data; fill self.txns (txn -> TxnState),
            # and for a transaction in doubt: self.lock_rows(txn, writes) and
            # self.ask_decision(ctx, txn)
            ...

:func:`check_participant_recovery` runs two-phase commit transfers
(:class:`~ddia10.twopc.TwoPC`, its monitor checking after every event) in
which a participant crashes after voting yes, or after committing, and
restarts. It catches the classic recovery bugs: aborting a transaction that
was in doubt ("presumed abort" applied to a promise), forgetting to take
its locks again, forgetting a transaction in doubt altogether, treating a
prepare record as a commit, and losing committed data.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..invariants import InvariantViolation
from ..sim import Context
from ..twopc import ATOMICITY, COMMIT, NO_LOST_LOCKS, Participant, TwoPC, TxnState
from ..twopc.participant import ABORTED, COMMITTED, PREPARED
from ..validate import check_instance
from .reader import ReaderCode, report_exception, report_wall_clock
from .report import CodeLine, DrillReport, DrillRun, failed, passed

DRILL = "a participant's recovery"


class SolutionParticipant(Participant):
    """A correct answer: replay the log; a promise survives, with its
    locks."""

    def recover(self, ctx: Context, records: list[tuple]) -> None:
        for record in records:
            kind, txn = record[0], record[1]
            if kind == "prepare":
                self.txns[txn] = TxnState(PREPARED, record[2], record[3])
            elif kind == COMMIT:
                self.apply_writes(self.txns[txn].writes)
                self.txns[txn] = replace(self.txns[txn], status=COMMITTED)
            else:
                known = self.txns.get(txn, TxnState(ABORTED))
                self.txns[txn] = replace(known, status=ABORTED)
        for txn, t in self.txns.items():
            if t.in_doubt:
                self.lock_rows(txn, t.writes)
                self.ask_decision(ctx, txn)


@dataclass(frozen=True)
class RecoveryScript:
    """A transfer of 100 from A (on P1) to B (on P2), with P2 crashing at
    ``crash_at`` and restarting at ``restart_at``."""

    title: str
    story: str
    rows: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]
    crash_at: float
    restart_at: float
    outcome: str  # what the transaction must end as


SCRIPTS = (
    RecoveryScript("in doubt across a crash",
                   "P2 votes yes and crashes before the decision (commit) reaches it; it "
                   "restarts at once",
                   (("P1", (("A", 100),)), ("P2", (("B", 0),))), 17.0, 19.0, "committed"),
    RecoveryScript("a crash after the commit",
                   "P2 commits and crashes; it restarts",
                   (("P1", (("A", 100),)), ("P2", (("B", 0),))), 40.0, 60.0, "committed"),
    RecoveryScript("in doubt, and the answer is abort",
                   "P1 cannot pay (A holds 50), so it votes no; P2 votes yes and crashes "
                   "before the abort reaches it; it restarts",
                   (("P1", (("A", 50),)), ("P2", (("B", 0),))), 17.0, 19.0, "aborted"),
)
TRANSFER = {"P1": {"A": -100}, "P2": {"B": 100}}
END = 400.0


def recovery_world(reader: type, script: RecoveryScript, *,
                   check_every_event: bool = False) -> TwoPC:
    """Two participants of the reader's class and a coordinator, the transfer
    begun at 0 and P2's crash and restart scheduled."""
    rows = {pid: dict(r) for pid, r in script.rows}
    t = TwoPC(participants=2, seed=0, rows=rows, latency=5.0, participant_class=reader,
              check_every_event=check_every_event)
    t.sim.at(0.0, lambda sim: t.begin(TRANSFER), label="client: transfer 100 from A to B")
    t.sim.at(script.crash_at, lambda sim: sim.crash("P2"), label="P2 crashes")
    t.sim.at(script.restart_at, lambda sim: sim.restart("P2"), label="P2 restarts")
    return t


def check_participant_recovery(reader: type) -> DrillReport:
    """Grade the reader's :class:`~ddia10.twopc.Participant` subclass and its ``recover``."""
    check_instance("your participant class", reader, type)
    if not issubclass(reader, Participant):
        raise ValueError("your class must subclass ddia10.twopc.Participant")
    for script in SCRIPTS:
        code = ReaderCode.of_class(reader, Participant)
        run = DrillRun(script.title, lambda s=script: recovery_world(reader, s).sim,
                       steps=40, story=script.story)
        try:
            t = recovery_world(code.watched(reader, ["recover"]), script,
                               check_every_event=True)
            t.run(END)
        except InvariantViolation as v:
            return failed(DRILL, v.invariant, f"the monitor says: {v.evidence}.",
                          line=_acting(code, _ACTS.get(v.invariant, ())), run=run)
        except Exception as exc:
            return report_exception(DRILL, code, exc, run=run)
        verdict = report_wall_clock(DRILL, code, run=run) or _judge(t, script, code, run)
        if verdict is not None:
            return verdict
    return passed(DRILL, [
        "a transaction in doubt stays in doubt through a crash, its locks held",
        "it ends as the coordinator decided (commit or abort) at every participant",
        "committed rows survive the crash; nothing is applied twice or too early",
    ])


def _judge(t: TwoPC, script: RecoveryScript, code: ReaderCode, run: DrillRun) -> DrillReport | None:
    for pid in t.participants:
        said = t.outcome(1, pid)
        if said != script.outcome:
            return failed(DRILL, "atomicity: every participant ends as the coordinator decided",
                          f"the coordinator decided T1 {script.outcome}, and {pid}'s log says "
                          f"{said or 'nothing'} at the end of the run.",
                          line=_acting(code, ("_finish",)), run=run)
    expected = {pid: dict(r) for pid, r in script.rows}
    if script.outcome == "committed":
        for pid, writes in TRANSFER.items():
            for row, delta in writes.items():
                expected[pid][row] += delta
    for pid in t.participants:
        rows = t.rows(pid)
        if rows != expected[pid]:
            return failed(DRILL, "the rows after recovery are those the log says were committed",
                          f"T1 {script.outcome}; {pid}'s rows are {rows}, where they should be "
                          f"{expected[pid]}.", line=_acting(code, ("apply_writes",)),
                          run=run)
    return None


_ACTS = {ATOMICITY: ("_finish",), NO_LOST_LOCKS: ("ask_decision", "lock_rows")}


def _acting(code: ReaderCode, names: tuple[str, ...]) -> CodeLine | None:
    """The reader's last call to one of ``names``, else the line its recover ended on."""
    found = [a for a in code.acts if a.what in names]
    return found[-1].line if found else code.returned
