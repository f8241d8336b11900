"""Drill, chapter 5: Raft's commit rule.

The reader writes the leader's ``maybe_commit``, called whenever a follower's
reply moves what the leader knows of its log::

    class MyLeader(RaftDrillServer):
        def maybe_commit(self, ctx):
            match = self.match_indexes()      # {server: highest index known stored there}
            ...                               # self.term, self.commit_index, self.log.term_at(i)
            # self.commit_to(ctx, index) once the rule allows it

:func:`check_commit_rule` runs it on five-server clusters and judges every
``commit_to`` it makes against §5.4.2: the index is stored on a majority *and*
its entry is of the leader's current term. It catches committing an entry of
an earlier term because a majority stores it (the paper's Figure 8, where
that entry is later overwritten), counting a majority wrong, and a rule that
never commits; the runs show what the safety monitor reports.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from ..sim import Context
from ..validate import check_instance
from .raft_script import (
    RAFT_STEP_KINDS,
    RaftDrillServer,
    RaftScript,
    do_campaign,
    do_crash,
    do_heal,
    do_partition,
    do_propose,
    do_restart,
    scripted_cluster,
)
from .reader import ReaderCode, report_exception, report_wall_clock
from .report import CodeLine, DrillReport, DrillRun, failed, passed

DRILL = "Raft's commit rule"
CURRENT_TERM = "§5.4.2: a leader commits only an entry of its current term by counting replicas"
MAJORITY = "an entry is committed once a majority of the voters store it"
LIVENESS = "an entry of the leader's term stored on a majority gets committed"


class SolutionLeader(RaftDrillServer):
    """A correct answer: the highest index a majority stores, if it is of
    our term."""

    def maybe_commit(self, ctx: Context) -> None:
        match = self.match_indexes()
        voters = self.config.voters
        stored = sorted((match.get(v, 0) for v in voters), reverse=True)
        index = stored[len(voters) // 2]  # a majority holds this much
        ours = self.log.term_at(index) == self.term
        if index > self.commit_index and ours:
            self.commit_to(ctx, index)


FIVE = 5
SCRIPTS = (
    RaftScript("one write, everyone up", "1 leads; a client writes x; nothing fails",
               ((0, "1 campaigns", do_campaign(1)), (50, "client → 1: x", do_propose(1, "x"))),
               200, n=FIVE),
    RaftScript("a write on a minority",
               "1 leads; cut off with 2, it takes y; 3, 4 and 5 elect 3, which takes z; "
               "the network heals",
               ((0, "1 campaigns", do_campaign(1)),
                (60, "cut 1 and 2 off", do_partition([1, 2], [3, 4, 5])),
                (70, "client → 1: y", do_propose(1, "y")),
                (120, "3 campaigns", do_campaign(3)),
                (170, "client → 3: z", do_propose(3, "z")),
                (220, "heal", do_heal())), 400, n=FIVE),
    RaftScript("Figure 8",
               "1 writes X to 2 only and crashes; 5 leads term 2 alone; 1 comes back, leads "
               "term 3 and copies X to 3: X, of term 1, is on a majority; 1 crashes; 5 "
               "leads again",
               ((0, "1 campaigns", do_campaign(1)),
                (100, "cut 1 and 2 off", do_partition([1, 2], [3, 4, 5])),
                (110, "client → 1: X", do_propose(1, "X")),
                (150, "1 crashes; 2 cut off", lambda sim: (do_crash(1)(sim),
                                                           do_partition([2], [3, 4, 5])(sim))),
                (160, "5 campaigns", do_campaign(5)),
                (185, "cut 5 off", do_partition([5], [2, 3, 4])),
                (200, "5 crashes; 1 restarts with 2 and 3", lambda sim: (
                    do_crash(5)(sim), do_partition([1, 2, 3], [4])(sim), do_restart(1)(sim))),
                (220, "1 campaigns (3 voted in term 2)", do_campaign(1)),
                (260, "1 campaigns again", do_campaign(1)),
                (325, "cut everyone off", do_partition([1], [2], [3], [4])),
                (350, "1 crashes; heal; 5 restarts", lambda sim: (
                    do_crash(1)(sim), do_heal()(sim), do_restart(5)(sim))),
                (360, "5 campaigns", do_campaign(5)),
                (420, "5 campaigns again", do_campaign(5))), 700, n=FIVE,
               options=(("max_batch", 1),)),
)


@dataclass(frozen=True)
class Commit:
    """One ``commit_to`` the reader's rule made, and what the leader knew then."""

    leader: Hashable
    term: int
    index: int
    entry_term: int
    stored_on: int
    voters: int
    line: CodeLine | None
    at: float


def _watched(reader: type, code: ReaderCode, commits: list[Commit]) -> type:
    rule = reader.maybe_commit

    def maybe_commit(node: RaftDrillServer, ctx: Context) -> None:
        before = len(code.acts)
        match = node.match_indexes()
        code.who, code.at = ctx.pid, ctx.now
        code.call(rule, node, ctx)
        for act in code.acts[before:]:
            if act.what == "commit_to" and isinstance(act.args.get("index"), int):
                index = act.args["index"]
                if index <= node.log.last_index:
                    commits.append(Commit(ctx.pid, node.term, index, node.log.term_at(index),
                                          sum(1 for v in node.config.voters
                                              if match.get(v, 0) >= index),
                                          len(node.config.voters), act.line, ctx.now))

    return type(reader.__name__, (reader,), {"maybe_commit": maybe_commit})


def check_commit_rule(reader: type) -> DrillReport:
    """Grade the reader's :class:`~ddia10.drills.raft_script.RaftDrillServer`
    subclass and its ``maybe_commit``."""
    check_instance("your server class", reader, type)
    if not issubclass(reader, RaftDrillServer):
        raise ValueError("your class must subclass ddia10.drills.RaftDrillServer")
    first: DrillReport | None = None
    for script in SCRIPTS:
        code = ReaderCode.of_class(reader, RaftDrillServer)
        commits: list[Commit] = []
        run = DrillRun(script.title, lambda s=script: scripted_cluster(reader, s).sim,
                       steps=90, step_kinds=RAFT_STEP_KINDS, story=script.story)
        try:
            c = scripted_cluster(_watched(reader, code, commits), script)
            c.run(script.end)
        except Exception as exc:
            return report_exception(DRILL, code, exc, run=run)
        verdict = report_wall_clock(DRILL, code, run=run) or _judge(commits, run)
        if verdict is None and script is SCRIPTS[0] and c.node(1).commit_index < 2:
            verdict = failed(DRILL, LIVENESS, "all five servers were up and stored x, yet "
                             f"leader 1's commit index stayed at {c.node(1).commit_index}: "
                             "x was never committed, so no client ever hears back.",
                             line=code.returned, run=run)
        if verdict is None and c.monitor.violations:
            v = c.monitor.violations[0]
            verdict = failed(DRILL, v.invariant, f"the safety monitor says: {v.evidence}.",
                             run=run)
        if verdict is None:
            continue
        if not c.monitor.violations and verdict.rule != LIVENESS:
            first = first or verdict
            continue
        if first is not None and first.rule != verdict.rule:
            return first
        harm = f" In this run that leads to: {c.monitor.violations[0]}." \
            if c.monitor.violations and verdict.line is not None else ""
        return failed(DRILL, verdict.rule, verdict.explanation + harm, run=run,
                      line=verdict.line)
    if first is not None:
        return first
    return passed(DRILL, [
        "every commit is of an index stored on a majority",
        "every commit is of an entry of the leader's current term (earlier ones commit "
        "with it)",
        "a write on a healthy cluster commits; Figure 8's entry X is never lost",
    ])


def _judge(commits: list[Commit], run: DrillRun) -> DrillReport | None:
    for c in commits:
        if 2 * c.stored_on <= c.voters:
            return failed(DRILL, MAJORITY,
                          f"leader {c.leader} committed index {c.index} at {c.at:g} ms when "
                          f"only {c.stored_on} of its {c.voters} voters stored it.",
                          line=c.line, run=run)
        if c.entry_term != c.term:
            return failed(DRILL, CURRENT_TERM,
                          f"leader {c.leader} of term {c.term} committed index {c.index}, an "
                          f"entry of term {c.entry_term}, because {c.stored_on} of "
                          f"{c.voters} servers store it. A later leader that lacks it can "
                          "still be elected and overwrite it.", line=c.line, run=run)
    return None
