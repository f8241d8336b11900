"""Drill, chapters 4 and 5: Raft's vote handling.

The reader writes one method of a Raft server, what it does with a
``RequestVote`` of its current term (the term rules of §5.1 have already run,
so ``msg.term == self.term``)::

    class MyVoter(RaftNode):
        def handle_request_vote(self, ctx, src, msg):
            # msg: RequestVote(term, candidate_id, last_log_index, last_log_term)
            ...   # grant or refuse: ctx.send(src, RequestVoteReply(self.term, granted))

:func:`check_request_vote` runs it in three-server clusters on scripted runs
and judges every vote it casts against the three rules of the chapter: one
vote per term (§5.2), a vote survives a crash (persisted before it is sent),
and the election restriction (§5.4.1). It catches the seed's drill (a vote
remembered by term, not by candidate: two leaders in one term), a vote
granted without being persisted, and a vote to a candidate whose log is
less up to date than the voter's; and the run shows the consequence the
safety monitor reports.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from ..raft import RaftNode, RequestVote, RequestVoteReply
from ..sim import Context
from ..validate import check_instance
from .raft_script import (
    RAFT_STEP_KINDS,
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

DRILL = "Raft's vote handling"
ONE_VOTE = "one vote per term (§5.2)"
DURABLE_VOTE = "a vote is persisted before it is sent, so it survives a crash"
RESTRICTION = "the election restriction (§5.4.1): vote only for a log at least as up to date"


class SolutionVoter(RaftNode):
    """A correct answer: §5.2 and §5.4.1, the vote persisted before the
    reply."""

    def handle_request_vote(
        self, ctx: Context, src: Hashable, msg: RequestVote
    ) -> None:
        log_ok = self.log.is_up_to_date(
            msg.last_log_index, msg.last_log_term)
        grant = self.voted_for in (None, msg.candidate_id) and log_ok
        if grant:
            self.voted_for = msg.candidate_id
            ctx.persist("voted_for", self.voted_for)
        ctx.send(src, RequestVoteReply(self.term, grant))


SCRIPTS = (
    RaftScript("two candidates in one term",
               "servers 1 and 2 stand for election in term 1 at the same instant",
               ((0, "1 and 2 campaign", lambda sim: (do_campaign(1)(sim), do_campaign(2)(sim))),),
               100),
    RaftScript("a voter restarts",
               "3 votes for 1 in term 1 and crashes; restarted, it is asked by 2, in term 1",
               ((0, "cut 2 off", do_partition([1, 3], [2])), (1, "1 campaigns", do_campaign(1)),
                (25, "3 crashes", do_crash(3)),
                (26, "3 restarts, cut off with 2", lambda sim: (
                    do_partition([1], [2, 3])(sim), do_restart(3)(sim))),
                (30, "2 campaigns", do_campaign(2))), 150),
    RaftScript("a candidate without a committed entry",
               "1 leads and commits x on 1 and 2 while 3 is cut off; 1 crashes and 3 "
               "stands for election",
               ((0, "1 campaigns", do_campaign(1)), (40, "cut 3 off", do_partition([1, 2], [3])),
                (50, "client → 1: x", do_propose(1, "x")), (100, "1 crashes", do_crash(1)),
                (101, "heal", do_heal()), (110, "3 campaigns", do_campaign(3))), 250),
)


@dataclass(frozen=True)
class CastVote:
    """One RequestVote the reader's handler answered, and how."""

    voter: Hashable
    incarnation: int
    term: int
    candidate: Hashable
    candidate_log: tuple[int, int]
    voter_log: tuple[int, int]
    granted: bool
    before: Any  # whom the voter had voted for in this term before (None: nobody)
    stored: Any  # what stable storage says voted_for is, after the handler
    line: CodeLine | None
    at: float


def _watched(reader: type, code: ReaderCode, votes: list[CastVote]) -> type:
    handler = reader.handle_request_vote

    def handle_request_vote(node: RaftNode, ctx: Context, src: Hashable,
                            msg: RequestVote) -> None:
        before = len(code.acts)
        mine = (node.log.last_index, node.log.last_term)
        before_vote = node.voted_for
        code.who, code.at = ctx.pid, ctx.now
        code.call(handler, node, ctx, src, msg)
        grants = [a for a in code.acts[before:] if isinstance(a.args.get("msg"),
                                                              RequestVoteReply)]
        granted = any(a.args["msg"].vote_granted for a in grants)
        line = grants[-1].line if grants else code.returned
        votes.append(CastVote(ctx.pid, ctx.incarnation, node.term, msg.candidate_id,
                          (msg.last_log_index, msg.last_log_term), mine, granted,
                          before_vote, ctx.stable.get("voted_for"), line, ctx.now))

    return type(reader.__name__, (reader,), {"handle_request_vote": handle_request_vote})


def check_request_vote(reader: type) -> DrillReport:
    """Grade the reader's RaftNode subclass and its ``handle_request_vote``."""
    check_instance("your server class", reader, type)
    if not issubclass(reader, RaftNode):
        raise ValueError("your class must subclass ddia10.raft.RaftNode")
    first: DrillReport | None = None
    for script in SCRIPTS:
        code = ReaderCode.of_class(reader, RaftNode)
        votes: list[CastVote] = []
        run = DrillRun(script.title, lambda s=script: scripted_cluster(reader, s).sim,
                       steps=50, step_kinds=RAFT_STEP_KINDS, story=script.story)
        try:
            c = scripted_cluster(_watched(reader, code, votes), script)
            c.run(script.end)
        except Exception as exc:
            return report_exception(DRILL, code, exc, run=run)
        verdict = report_wall_clock(DRILL, code, run=run) or _judge(votes, run)
        if verdict is None and c.monitor.violations:
            v = c.monitor.violations[0]
            verdict = failed(DRILL, v.invariant, f"the safety monitor says: {v.evidence}.",
                             run=run)
        if verdict is None:
            continue
        if not c.monitor.violations:  # right, but this run shows no harm: look further
            first = first or verdict
            continue
        if first is not None and first.rule != verdict.rule:
            return first
        return failed(DRILL, verdict.rule, f"{verdict.explanation} In this run that leads "
                      f"to: {c.monitor.violations[0]}.", run=run, line=verdict.line)
    if first is not None:
        return first
    return passed(DRILL, [
        "a server votes for at most one candidate in a term",
        "its vote is in stable storage before the reply leaves, and survives a restart",
        "it refuses a candidate whose log is less up to date than its own",
        "no run elected two leaders in a term or lost a committed entry",
    ])


def _judge(votes: list[CastVote], run: DrillRun) -> DrillReport | None:
    granted: dict[tuple[Hashable, int], CastVote] = {}
    for vote in votes:
        if not vote.granted:
            continue
        if vote.before not in (None, vote.candidate):
            whom = "itself" if vote.before == vote.voter else vote.before
            return failed(DRILL, ONE_VOTE, f"server {vote.voter} had voted for {whom} "
                          f"in term {vote.term}, then granted {vote.candidate} a vote in the "
                          f"same term at {vote.at:g} ms.", line=vote.line, run=run)
        earlier = granted.get((vote.voter, vote.term))
        if earlier is not None and earlier.candidate != vote.candidate:
            rule = ONE_VOTE if earlier.incarnation == vote.incarnation else DURABLE_VOTE
            how = ("" if rule == ONE_VOTE else
                   " It had crashed and restarted in between, and forgot that vote.")
            return failed(DRILL, rule, f"server {vote.voter} voted for {earlier.candidate} "
                          f"in term {vote.term} at {earlier.at:g} ms, then for "
                          f"{vote.candidate} in the same term at {vote.at:g} ms.{how}",
                          line=vote.line, run=run)
        if vote.stored != vote.candidate:
            return failed(DRILL, DURABLE_VOTE,
                          f"server {vote.voter} granted its term-{vote.term} vote to "
                          f"{vote.candidate}, but its stable storage says voted_for = "
                          f"{vote.stored!r}: after a crash it would not know it had voted.",
                          line=vote.line, run=run)
        if _less_up_to_date(vote.candidate_log, vote.voter_log):
            return failed(DRILL, RESTRICTION,
                          f"server {vote.voter}, whose log ends at index {vote.voter_log[0]} "
                          f"of term {vote.voter_log[1]}, granted its vote to {vote.candidate}, "
                          f"whose log ends at index {vote.candidate_log[0]} of term "
                          f"{vote.candidate_log[1]}: a less up-to-date log.",
                          line=vote.line, run=run)
        granted[(vote.voter, vote.term)] = vote
    return None


def _less_up_to_date(candidate: tuple[int, int], voter: tuple[int, int]) -> bool:
    """§5.4.1: compare last terms first, then lengths. ``(index, term)`` pairs."""
    return (candidate[1], candidate[0]) < (voter[1], voter[0])
