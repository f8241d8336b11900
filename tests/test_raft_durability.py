"""Durability: what a running server would reload after a crash is what it holds.

The monitor checks it after every event (``check_every_event``), beside the
paper's five properties; ``tests/test_raft_storage.py`` checks the storage
layout alone against a plain model.
"""

import pytest

from ddia10.raft import (
    AppendEntries,
    InstallSnapshot,
    InvariantViolation,
    RaftCluster,
    RaftNode,
)
from ddia10.raft.invariants import DURABILITY
from ddia10.scenarios.raft_deep_dive import SCRIPTED_TIMEOUT, snapshot_and_restart


def received(c, pid, kind):
    return [(e.time, e.data["msg"]) for e in c.trace.of_kind("deliver")
            if e.pid == pid and isinstance(e.data["msg"], kind)]


def test_a_follower_restarted_after_an_installed_snapshot_reloads_the_log_it_held():
    c = snapshot_and_restart()  # invariants, durability included, after every event
    (snapshot_at, snapshot), = received(c, 5, InstallSnapshot)
    batches = [m for t, m in received(c, 5, AppendEntries) if m.entries and t > snapshot_at]
    # the snapshot replaced a conflicting log; one batch brought z1 and z2 ...
    assert (snapshot.last_included_index, snapshot.last_included_term) == (5, 2)
    assert [len(m.entries) for m in batches][:1] == [2]
    assert [cmd for _t, cmd in batches[0].entries] == ["z1", "z2"]
    # ... then the term-3 no-op replaced z2, and server 5 came back holding it
    assert [e.pid for e in c.trace.of_kind("restart")] == [5]
    assert c.state(5).log == c.state(3).log == [(2, "z1"), (3, c.state(3).log[1][1]), (3, "w")]
    assert "z2" not in c.applied(5) and c.applied(5) == c.applied(3)
    c.check_invariants()


class ForgetsItsVote(RaftNode):
    """A server that sends a granted vote without writing it down."""

    def _persist_vote(self, ctx):
        self._wrote()


def test_the_monitor_catches_a_server_that_would_reload_another_vote():
    c = RaftCluster(3, seed=1, latency=1.0, election_timeout=SCRIPTED_TIMEOUT,
                    node_class=ForgetsItsVote, check_every_event=True)
    c.campaign(1)
    with pytest.raises(InvariantViolation) as caught:
        c.run(20)
    assert caught.value.invariant == DURABILITY
    assert "would reload term 0, not 1" in caught.value.evidence


class SkipsAWrite(RaftNode):
    """A server that appends entries to its log but writes only the first batch."""

    def _append_entries(self, ctx, entries):
        if self.log.last_index == 0:
            super()._append_entries(ctx, entries)
        else:
            self.log.append(entries)


def test_the_monitor_catches_a_server_that_would_reload_a_shorter_log():
    c = RaftCluster(3, seed=1, latency=1.0, election_timeout=SCRIPTED_TIMEOUT,
                    node_class=SkipsAWrite, check_every_event=True)
    c.campaign(1)
    c.run(20)
    c.submit("unwritten")
    with pytest.raises(InvariantViolation) as caught:
        c.run(20)
    assert caught.value.invariant == DURABILITY
    assert "server 1 would reload a log ending at 1, not at 2" in caught.value.evidence
