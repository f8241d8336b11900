"""One server driven message by message, one test per rule of the paper
(§5.1–§5.4), in the spirit of etcd's ``raft_paper_test.go``: server 1 is a
real :class:`RaftNode`; servers 2 and 3 are stubs that record what it sends
and send exactly what a test tells them to."""

import pytest

from ddia10.raft import (
    NOOP,
    AppendEntries,
    AppendEntriesReply,
    RaftNode,
    RaftOptions,
    RequestVote,
    RequestVoteReply,
)
from ddia10.sim import Process, Simulation


class Stub(Process):
    def __init__(self):
        self.inbox = []

    def on_message(self, ctx, src, msg):
        self.inbox.append(msg)


class World:
    def __init__(self, **options):
        self.sim = Simulation(1, latency=1.0)
        opts = RaftOptions(election_timeout=(100_000, 200_000), **options)
        self.sim.add(1, lambda: RaftNode(opts, (1, 2, 3)))
        self.sim.add(2, Stub)
        self.sim.add(3, Stub)

    @property
    def node(self) -> RaftNode:
        return self.sim.process(1)

    def deliver(self, src, msg):
        self.sim.call(src, lambda stub, ctx: ctx.send(1, msg))
        self.sim.run(2)  # there and back: 1 ms each way

    def inbox(self, pid, kind=object):
        return [m for m in self.sim.process(pid).inbox if isinstance(m, kind)]

    def last(self, pid):
        return self.sim.process(pid).inbox[-1]

    def campaign(self):
        self.sim.call(1, lambda node, ctx: node.campaign(ctx))
        self.sim.run(1)

    def elect(self):
        self.campaign()
        self.deliver(2, RequestVoteReply(self.node.term, True))
        assert self.node.role == "leader"

    def follow(self, term, entries, prev=0, prev_term=0, commit=0):
        self.deliver(2, AppendEntries(term, 2, prev, prev_term, tuple(entries), commit))


# ---------------------------------------------------------------- §5.1 terms
@pytest.mark.parametrize("role", ["follower", "candidate", "leader"])
def test_5_1_any_server_seeing_a_higher_term_becomes_its_follower(role):
    w = World()
    if role == "candidate":
        w.campaign()
    elif role == "leader":
        w.elect()
    assert w.node.role == role
    w.follow(7, [])
    node = w.node
    assert (node.role, node.term, node.leader_id, node.voted_for) == ("follower", 7, 2, None)


def test_5_1_requests_of_a_stale_term_are_refused_with_the_current_term():
    w = World()
    w.follow(5, [])
    w.deliver(3, AppendEntries(3, 3, 0, 0, (), 0))
    assert w.last(3) == AppendEntriesReply(5, False)
    w.deliver(3, RequestVote(4, 3, 10, 4))
    assert w.last(3) == RequestVoteReply(5, False)
    assert w.node.leader_id == 2 and w.node.term == 5


# ---------------------------------------------------------------- §5.2 election
def test_5_2_candidate_votes_for_itself_and_asks_every_voter():
    w = World()
    w.campaign()
    assert (w.node.role, w.node.term, w.node.voted_for) == ("candidate", 1, 1)
    assert w.inbox(2) == w.inbox(3) == [RequestVote(1, 1, 0, 0)]
    assert w.sim.storage(1)["voted_for"] == 1  # persisted before asking


def test_5_2_candidate_with_a_majority_leads_and_appends_a_no_op_at_once():
    w = World()
    w.elect()
    for pid in (2, 3):
        assert w.inbox(pid, AppendEntries)[0].entries == ((1, NOOP),)


def test_5_2_candidate_refused_by_a_majority_returns_to_follower():
    w = World()
    w.campaign()
    w.deliver(2, RequestVoteReply(1, False))
    assert w.node.role == "candidate"
    w.deliver(3, RequestVoteReply(1, False))
    assert w.node.role == "follower" and w.node.term == 1


def test_5_2_candidate_hearing_a_leader_of_its_term_steps_down():
    w = World()
    w.campaign()
    w.follow(1, [(1, "x")])
    assert (w.node.role, w.node.leader_id, w.node.log.entries) == ("follower", 2, [(1, "x")])


def test_5_2_one_vote_per_term_first_come_first_served():
    w = World()
    w.deliver(2, RequestVote(1, 2, 0, 0))
    w.deliver(3, RequestVote(1, 3, 0, 0))
    w.deliver(2, RequestVote(1, 2, 0, 0))  # a retry from the one we voted for
    assert [m.vote_granted for m in w.inbox(2)] == [True, True]
    assert [m.vote_granted for m in w.inbox(3)] == [False]


# ---------------------------------------------------------------- §5.3 replication
@pytest.fixture
def three_entries():
    w = World()
    w.follow(1, [(1, "a"), (1, "b"), (1, "c")])
    return w


def test_5_3_follower_refuses_when_it_lacks_the_previous_entry(three_entries):
    w = three_entries
    w.follow(1, [(1, "e")], prev=5, prev_term=1)
    assert w.last(2) == AppendEntriesReply(1, False, reject_index=5, conflict_index=4)


def test_5_3_follower_refuses_a_previous_entry_of_another_term_naming_that_term(three_entries):
    w = three_entries
    w.follow(2, [(2, "x")], prev=3, prev_term=2)
    assert w.last(2) == AppendEntriesReply(2, False, reject_index=3, conflict_index=1,
                                           conflict_term=1)


def test_5_3_follower_deletes_conflicting_entries_then_appends(three_entries):
    w = three_entries
    w.follow(2, [(2, "x")], prev=1, prev_term=1)
    assert w.node.log.entries == [(1, "a"), (2, "x")]
    assert w.last(2) == AppendEntriesReply(2, True, 2)


def test_5_3_follower_keeps_its_entries_when_an_old_message_arrives_late(three_entries):
    w = three_entries
    w.follow(1, [(1, "a")])  # a duplicate of an earlier, shorter AppendEntries
    assert w.node.log.entries == [(1, "a"), (1, "b"), (1, "c")]
    assert w.last(2) == AppendEntriesReply(1, True, 1)


def test_5_3_follower_commits_no_further_than_what_it_knows_matches(three_entries):
    w = three_entries
    w.follow(1, [], prev=1, prev_term=1, commit=3)
    assert w.node.commit_index == 1  # entries 2-3 are not yet known to match the leader's
    w.follow(1, [], prev=3, prev_term=1, commit=3)
    assert w.node.commit_index == 3 and w.node.applied_commands == ["a", "b", "c"]


# ---------------------------------------------------------------- §5.4 safety
@pytest.mark.parametrize("last_term, last_index, granted", [
    (2, 2, True),   # same last term, same length
    (2, 5, True),   # same last term, longer
    (2, 1, False),  # same last term, shorter
    (1, 9, False),  # older last term, however long
    (3, 1, True),   # newer last term, however short
])
def test_5_4_1_vote_only_for_a_log_at_least_as_up_to_date(last_term, last_index, granted):
    w = World()
    w.follow(2, [(1, "a"), (2, "b")])
    w.deliver(3, RequestVote(3, 3, last_index, last_term))
    assert w.last(3) == RequestVoteReply(3, granted)


@pytest.mark.parametrize("bug", [False, True])
def test_5_4_2_leader_commits_an_old_term_entry_only_through_one_of_its_own(bug):
    w = World(bug_commit_old_terms=bug)
    w.follow(1, [(1, "a")])  # an entry of term 1, never committed
    w.campaign()  # term 2
    w.deliver(2, RequestVoteReply(2, True))
    assert w.node.log.entries == [(1, "a"), (2, NOOP)]
    w.deliver(3, AppendEntriesReply(2, True, 1))  # a majority now stores entry 1 ...
    assert w.node.commit_index == (1 if bug else 0)  # ... which only counting would commit
    w.deliver(3, AppendEntriesReply(2, True, 2))  # a majority stores the term-2 no-op
    assert w.node.commit_index == 2 and w.node.applied_commands == ["a"]
