"""Every drill check passes the reference solution and fails each classic bug,
naming the rule the chapter names, pointing at the reader's line, and carrying
a run a player can step; a skeleton still unfilled is "not yet", never an error."""

from __future__ import annotations

import inspect
import time
from dataclasses import replace

import pytest

from ddia10.drills import (
    AcceptorBase,
    RaftBroadcaster,
    RaftDrillServer,
    SolutionAcceptor,
    SolutionFencedStore,
    SolutionLeader,
    SolutionLockService,
    SolutionMember,
    SolutionParticipant,
    SolutionRaftBroadcast,
    SolutionVectorClock,
    SolutionVoter,
    by_hand,
    check_acceptor,
    check_commit_rule,
    check_linearization,
    check_lock_service,
    check_participant_recovery,
    check_raft_broadcast,
    check_request_vote,
    check_sequencer_broadcast,
    check_vector_clock,
    paxos_acceptor,
    raft_commit,
    raft_votes,
    tiny_history,
    tiny_stale_history,
)
from ddia10.paxos import Accepted, PaxosNode, Promise, Rejected
from ddia10.raft import RaftNode, RequestVoteReply
from ddia10.sim import Simulation
from ddia10.tob import SequencerTOB
from ddia10.twopc import ABORT, COMMIT, Participant, TxnState
from ddia10.twopc.participant import ABORTED, COMMITTED, PREPARED
from ddia10.viz import drill_scenario


def failed_with(report, rule: str, line: str | None = None):
    """The report failed on ``rule``, pointed at a line containing ``line``, and its
    run builds a fresh world a player can step."""
    assert report.status == "failed", str(report)
    assert rule in report.rule, str(report)
    if line is not None:
        assert report.line is not None and line in report.line.text, str(report)
    if report.run is not None:
        assert isinstance(report.run.build(), Simulation)
        assert drill_scenario(report).fresh() is not None
    return report


# ====================================================================== chapter 1
def test_by_hand_accepts_the_one_linearization():
    assert check_linearization(tiny_history(), [1, 0, 2, 3]).passed
    assert check_linearization(tiny_stale_history(), None).passed


def test_by_hand_ordering_by_invocation_breaks_the_register():
    failed_with(check_linearization(tiny_history(), [0, 1, 2, 3]), by_hand.REGISTER)


def test_by_hand_ignoring_real_time_is_caught():
    failed_with(check_linearization(tiny_history(), [1, 0, 3, 2]), by_hand.REAL_TIME)


def test_by_hand_leaving_out_an_operation_is_caught():
    failed_with(check_linearization(tiny_history(), [1, 0, 2]), by_hand.ONCE)


def test_by_hand_calling_a_linearizable_history_impossible_is_caught():
    report = failed_with(check_linearization(tiny_history(), None), by_hand.EXISTS)
    assert report.history is not None


def test_by_hand_unfilled_is_not_yet():
    assert check_linearization(tiny_history(), ...).status == "not yet"


# ====================================================================== chapter 2: vector clock
class NoMerge(SolutionVectorClock):
    def receive(self, stamp):
        self.clock[self.me] += 1


class SumOrder(SolutionVectorClock):
    @staticmethod
    def compare(a, b):
        if a == b:
            return "equal"
        return "before" if sum(a) < sum(b) else "after"


class ListOrder(SolutionVectorClock):
    @staticmethod
    def compare(a, b):
        return "equal" if a == b else "before" if a < b else "after"


class SendsItself(SolutionVectorClock):
    def send(self):
        self.clock[self.me] += 1
        return self.clock


class CallsMissingMethod(SolutionVectorClock):
    def happens_before(self, other):
        return SolutionVectorClock._static_hb(self.clock, other)

    @staticmethod
    def compare(a, b):
        return "before" if CallsMissingMethod._static_hb(a, b) else "after"


class NoReceiveTick(SolutionVectorClock):
    def receive(self, stamp):
        self.clock = [max(m, t) for m, t in zip(self.clock, stamp, strict=True)]


class UnfilledClock:
    def __init__(self, me, processes):
        raise NotImplementedError("your code here")

    def local_event(self): ...
    def send(self): ...
    def receive(self, stamp): ...
    def read(self): ...

    @staticmethod
    def compare(a, b): ...


def test_vector_clock_solution_passes():
    assert check_vector_clock(SolutionVectorClock).passed


def test_vector_clock_forgetting_to_merge_on_receive_is_caught():
    report = failed_with(check_vector_clock(NoMerge), "merges the sender's vector",
                         "self.clock[self.me] += 1")
    assert report.run.title.startswith("one message")


@pytest.mark.parametrize("reader, line", [(SumOrder, "sum(a)"), (ListOrder, "a < b")])
def test_vector_clock_compared_with_a_total_order_is_caught(reader, line):
    report = failed_with(check_vector_clock(reader), "concurrent events are incomparable", line)
    assert report.run.title.startswith("two strangers")


def test_vector_clock_sending_the_clock_itself_is_caught():
    failed_with(check_vector_clock(SendsItself), "a message carries a copy",
                "return self.clock")


def test_vector_clock_calling_a_method_that_does_not_exist_is_caught():
    report = failed_with(check_vector_clock(CallsMissingMethod), "runs without an error",
                         "_static_hb")
    assert "AttributeError" in report.explanation


def test_vector_clock_a_receive_that_does_not_count_itself_is_caught():
    failed_with(check_vector_clock(NoReceiveTick), "merges the sender's vector")


def test_vector_clock_random_failures_are_shrunk_to_few_steps():
    report = check_vector_clock(SendsItself)
    assert report.run.story.startswith("2 steps")


def test_vector_clock_unfilled_is_not_yet():
    report = check_vector_clock(UnfilledClock)
    assert report.status == "not yet" and "NotImplementedError" in report.explanation


# ====================================================================== chapter 2: broadcast
class DeliversOnArrival(SequencerTOB):
    def on_ordered(self, ctx, msg):
        self.deliver(ctx, msg)


class HoldsBackForever(SequencerTOB):
    def on_ordered(self, ctx, msg):
        self.held[msg.number] = msg
        while len(self.delivered) in self.held:
            self.deliver(ctx, self.held.pop(len(self.delivered)))


def test_sequencer_broadcast_solution_passes():
    assert check_sequencer_broadcast(SolutionMember).passed


def test_sequencer_broadcast_delivering_on_arrival_breaks_total_order():
    failed_with(check_sequencer_broadcast(DeliversOnArrival), "total order",
                "self.deliver(ctx, msg)")


def test_sequencer_broadcast_a_hold_back_that_never_lets_go_breaks_validity():
    failed_with(check_sequencer_broadcast(HoldsBackForever), "validity")


class RaftNoDedup(RaftBroadcaster):
    def broadcast(self, ctx, message):
        return self.propose(ctx, message) is not None

    def apply_command(self, ctx, index, message):
        self.deliver(ctx, message)


class RaftDeliversAtTheLeader(RaftBroadcaster):
    def broadcast(self, ctx, message):
        if self.propose(ctx, message) is None:
            return False
        self.deliver(ctx, message)
        return True

    def apply_command(self, ctx, index, message):
        if message not in self.delivered:
            self.deliver(ctx, message)


def test_raft_broadcast_solution_passes():
    assert check_raft_broadcast(SolutionRaftBroadcast).passed


def test_raft_broadcast_delivering_before_commit_breaks_total_order():
    report = failed_with(check_raft_broadcast(RaftDeliversAtTheLeader), "total order",
                         "self.deliver(ctx, message)")
    assert report.run.title == "a leader cut off"


def test_raft_broadcast_a_retried_broadcast_delivered_twice_breaks_integrity():
    report = failed_with(check_raft_broadcast(RaftNoDedup), "integrity", "self.deliver")
    assert report.run.title == "a retried broadcast"


def test_raft_broadcast_unfilled_is_not_yet():
    class Unfilled(RaftBroadcaster):
        pass

    assert check_raft_broadcast(Unfilled).status == "not yet"


# ====================================================================== chapter 3
class PresumedAbort(SolutionParticipant):
    def recover(self, ctx, records):
        super().recover(ctx, records)
        for txn, t in list(self.txns.items()):
            if t.in_doubt:
                self._finish(ctx, txn, ABORT)


def _replay(participant, records):
    for record in records:
        kind, txn = record[0], record[1]
        if kind == "prepare":
            participant.txns[txn] = TxnState(PREPARED, record[2], record[3])
        elif kind == COMMIT:
            participant.apply_writes(participant.txns[txn].writes)
            participant.txns[txn] = replace(participant.txns[txn], status=COMMITTED)
        else:
            participant.txns[txn] = replace(participant.txns.get(txn, TxnState(ABORTED)),
                                            status=ABORTED)


class ForgetsLocks(Participant):
    def recover(self, ctx, records):
        _replay(self, records)
        for txn, t in self.txns.items():
            if t.in_doubt:
                self.ask_decision(ctx, txn)


class ForgetsDoubt(Participant):
    def recover(self, ctx, records):
        for record in records:
            if record[0] == COMMIT:
                pass


class PrepareAsCommit(Participant):
    def recover(self, ctx, records):
        for record in records:
            if record[0] == "prepare":
                self.txns[record[1]] = TxnState(PREPARED, record[2], record[3])
                self.apply_writes(record[2])
            elif record[0] == COMMIT:
                self.txns[record[1]] = replace(self.txns[record[1]], status=COMMITTED)
        for txn, t in self.txns.items():
            if t.in_doubt:
                self.lock_rows(txn, t.writes)
                self.ask_decision(ctx, txn)


def test_participant_recovery_solution_passes():
    assert check_participant_recovery(SolutionParticipant).passed


def test_participant_recovery_aborting_a_transaction_in_doubt_breaks_atomicity():
    failed_with(check_participant_recovery(PresumedAbort), "atomicity", "self._finish")


def test_participant_recovery_forgetting_the_locks_is_caught():
    failed_with(check_participant_recovery(ForgetsLocks), "no lost locks", "ask_decision")


def test_participant_recovery_forgetting_a_transaction_in_doubt_is_caught():
    report = failed_with(check_participant_recovery(ForgetsDoubt), "atomicity")
    assert "in-doubt" in report.explanation


def test_participant_recovery_a_prepare_replayed_as_a_commit_is_caught():
    failed_with(check_participant_recovery(PrepareAsCommit), "the rows after recovery",
                "apply_writes(record[2])")


# ====================================================================== chapters 4 and 5: votes
class VoteKeyedByTerm(RaftNode):
    """The seed's election drill: it remembers the term it voted in, not whom."""

    def handle_request_vote(self, ctx, src, msg):
        log_ok = self.log.is_up_to_date(msg.last_log_index, msg.last_log_term)
        if self.voted_for in (None, msg.term) and log_ok:
            self.voted_for = msg.term
            ctx.persist("voted_for", self.voted_for)
            ctx.send(src, RequestVoteReply(self.term, True))
        else:
            ctx.send(src, RequestVoteReply(self.term, False))


class VoteNotPersisted(RaftNode):
    def handle_request_vote(self, ctx, src, msg):
        log_ok = self.log.is_up_to_date(msg.last_log_index, msg.last_log_term)
        grant = self.voted_for in (None, msg.candidate_id) and log_ok
        if grant:
            self.voted_for = msg.candidate_id
        ctx.send(src, RequestVoteReply(self.term, grant))


class VoteForAnyLog(RaftNode):
    def handle_request_vote(self, ctx, src, msg):
        grant = self.voted_for in (None, msg.candidate_id)
        if grant:
            self.voted_for = msg.candidate_id
            ctx.persist("voted_for", self.voted_for)
        ctx.send(src, RequestVoteReply(self.term, grant))


def test_request_vote_solution_passes():
    assert check_request_vote(SolutionVoter).passed


def test_request_vote_keyed_by_term_votes_twice_in_a_term():
    report = failed_with(check_request_vote(VoteKeyedByTerm), raft_votes.ONE_VOTE,
                         "RequestVoteReply(self.term, True)")
    assert "election safety" in report.explanation


def test_request_vote_granted_without_persisting_is_caught():
    report = failed_with(check_request_vote(VoteNotPersisted), raft_votes.DURABLE_VOTE)
    assert report.run.title == "a voter restarts" and "election safety" in report.explanation


def test_request_vote_to_a_shorter_log_breaks_the_election_restriction():
    report = failed_with(check_request_vote(VoteForAnyLog), raft_votes.RESTRICTION)
    assert "leader completeness" in report.explanation


def test_request_vote_unfilled_is_not_yet():
    class Unfilled(RaftNode):
        def handle_request_vote(self, ctx, src, msg):
            raise NotImplementedError

    assert check_request_vote(Unfilled).status == "not yet"


# ====================================================================== chapter 5: commit
class CommitsByCountingAlone(RaftDrillServer):
    def maybe_commit(self, ctx):
        match = self.match_indexes()
        stored = sorted((match.get(v, 0) for v in self.config.voters), reverse=True)
        index = stored[len(self.config.voters) // 2]
        if index > self.commit_index:
            self.commit_to(ctx, index)


class CountsHalfAsMajority(RaftDrillServer):
    def maybe_commit(self, ctx):
        match = self.match_indexes()
        for index in range(self.log.last_index, self.commit_index, -1):
            count = sum(1 for m in match.values() if m >= index)
            if count >= len(self.config.voters) // 2 and self.log.term_at(index) == self.term:
                self.commit_to(ctx, index)
                return


class NeverCommits(RaftDrillServer):
    def maybe_commit(self, ctx):
        pass


def test_commit_rule_solution_passes():
    assert check_commit_rule(SolutionLeader).passed


def test_commit_rule_committing_an_earlier_term_by_counting_is_caught_in_figure_8():
    report = failed_with(check_commit_rule(CommitsByCountingAlone), raft_commit.CURRENT_TERM,
                         "self.commit_to(ctx, index)")
    assert report.run.title == "Figure 8" and "leader completeness" in report.explanation


def test_commit_rule_counting_a_minority_is_caught():
    failed_with(check_commit_rule(CountsHalfAsMajority), raft_commit.MAJORITY)


def test_commit_rule_that_never_commits_is_caught():
    failed_with(check_commit_rule(NeverCommits), raft_commit.LIVENESS)


# ====================================================================== chapter 6
class ForgetsAccepted(SolutionAcceptor):
    def on_prepare(self, ctx, src, msg):
        if msg.ballot < self.promised:
            ctx.send(src, Rejected(msg.ballot, self.promised))
            return
        self.promised = msg.ballot
        ctx.persist("promised", self.promised)
        ctx.send(src, Promise(msg.ballot))


class AcceptsBelowPromise(SolutionAcceptor):
    def on_accept(self, ctx, src, msg):
        self.promised, self.accepted = max(self.promised, msg.ballot), (msg.ballot, msg.value)
        ctx.persist("promised", self.promised)
        ctx.persist("accepted", self.accepted)
        for learner in self.learners:
            ctx.send(learner, Accepted(msg.ballot, msg.value))


class PromisesBelowPromise(SolutionAcceptor):
    def on_prepare(self, ctx, src, msg):
        self.promised = msg.ballot
        ctx.persist("promised", self.promised)
        ctx.send(src, Promise(msg.ballot, *self.accepted))


class PromiseInMemory(SolutionAcceptor):
    def on_start(self, ctx):
        pass

    def on_prepare(self, ctx, src, msg):
        if msg.ballot < self.promised:
            ctx.send(src, Rejected(msg.ballot, self.promised))
            return
        self.promised = msg.ballot
        ctx.send(src, Promise(msg.ballot, *self.accepted))


def test_acceptor_solution_passes():
    assert check_acceptor(SolutionAcceptor).passed


@pytest.mark.parametrize("reader, rule", [
    (ForgetsAccepted, paxos_acceptor.REPORT_ACCEPTED),
    (AcceptsBelowPromise, paxos_acceptor.NO_ACCEPT_BELOW),
    (PromisesBelowPromise, paxos_acceptor.NO_PROMISE_BELOW),
    (PromiseInMemory, paxos_acceptor.DURABLE),
], ids=["forgets-accepted", "accepts-below", "promises-below", "promise-in-memory"])
def test_acceptor_bug_is_caught_and_two_values_are_chosen(reader, rule):
    report = failed_with(check_acceptor(reader), rule, "ctx.send")
    assert "two values were chosen" in report.explanation


class RefusesEverything(SolutionAcceptor):
    def on_accept(self, ctx, src, msg):
        ctx.send(src, Rejected(msg.ballot, self.promised + 1))


def test_acceptor_that_accepts_nothing_is_caught_by_the_run_choosing_nothing():
    failed_with(check_acceptor(RefusesEverything), "answers every ballot")


def test_acceptor_runs_beside_the_books_proposers():
    sim = paxos_acceptor.acceptor_world(SolutionAcceptor, paxos_acceptor.SCRIPTS[0])
    sim.run(200)
    assert all(isinstance(sim.process(p), PaxosNode) for p in ("P1", "P2"))
    assert sim.process("P2").learned == ("v1",)


def test_acceptor_unfilled_is_not_yet():
    class Unfilled(AcceptorBase):
        pass

    assert check_acceptor(Unfilled).status == "not yet"


# ====================================================================== chapter 8
class WallClockLock:
    """The seed's lock drill: its lease is measured on the machine's clock."""

    def __init__(self):
        self.holder, self.token_counter, self.expiry = None, 0, 0

    def acquire(self, now, client_id, ttl):
        now = time.time()
        if self.holder and now < self.expiry:
            return None
        self.holder, self.expiry = client_id, now + ttl
        self.token_counter += 1
        return self.token_counter

    def release(self, now, client_id, token):
        if self.holder == client_id:
            self.holder = None
            return True
        return False


class ReleaseIgnoresToken(SolutionLockService):
    def release(self, now, client, token):
        if self.holder == client:
            self.holder = None
            return True
        return False


class StoreAcceptsOldTokens:
    def __init__(self):
        self.value = None

    def write(self, token, value):
        self.value = value
        return True


class LeaseNeverExpires(SolutionLockService):
    def acquire(self, now, client, ttl):
        if self.holder is not None:
            return None
        self.holder, self.token = client, self.token + 1
        return self.token


class TokensRestart(SolutionLockService):
    def acquire(self, now, client, ttl):
        token = super().acquire(now, client, ttl)
        return None if token is None else 1


def test_lock_service_solution_passes():
    assert check_lock_service(SolutionLockService, SolutionFencedStore).passed


def test_lock_service_lease_on_the_wall_clock_is_caught():
    failed_with(check_lock_service(WallClockLock, SolutionFencedStore), "simulation's clock",
                "time.time()")


def test_lock_service_released_by_a_holder_that_no_longer_owns_it_is_caught():
    report = failed_with(check_lock_service(ReleaseIgnoresToken, SolutionFencedStore),
                         "only the current holder")
    assert report.run.title == "a retried release"


def test_lock_service_store_accepting_an_older_token_is_caught():
    failed_with(check_lock_service(SolutionLockService, StoreAcceptsOldTokens),
                "refuses a token older", "return True")


def test_lock_service_a_lease_that_never_expires_is_caught():
    failed_with(check_lock_service(LeaseNeverExpires, SolutionFencedStore),
                "an expired lease frees the lock")


def test_lock_service_tokens_that_do_not_grow_are_caught():
    failed_with(check_lock_service(TokensRestart, SolutionFencedStore), "tokens only grow")


# ====================================================================== every check
@pytest.mark.parametrize("check, argument", [
    (check_vector_clock, 3), (check_sequencer_broadcast, "x"), (check_raft_broadcast, object),
    (check_request_vote, int), (check_commit_rule, RaftNode), (check_acceptor, int),
])
def test_a_check_given_something_else_says_what_it_wants(check, argument):
    with pytest.raises(ValueError, match="must|class"):
        check(argument)


def test_every_solution_fits_the_page_that_reveals_it():
    # A chapter shows a solution's source behind a reveal; the page's code
    # column holds 77 characters, so a longer line would scroll sideways.
    import ddia10.drills as drills

    solutions = [getattr(drills, n) for n in dir(drills) if n.startswith("Solution")]
    assert len(solutions) >= 9
    for solution in solutions:
        wide = [line for line in inspect.getsource(solution).splitlines() if len(line) > 77]
        assert not wide, f"{solution.__name__} is wider than the page: {wide}"

