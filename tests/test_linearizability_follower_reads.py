"""Asynchronous replication: follower reads are caught stale, leader reads are not."""

from __future__ import annotations

import pytest

from ddia10.linearizability import check, history_from_trace
from ddia10.scenarios.linearizability import follower_read_history, follower_read_run
from ddia10.sim import Process, Simulation


@pytest.mark.parametrize("seed", range(1, 6))
def test_read_from_lagging_follower_after_acknowledged_write_is_not_linearizable(
    seed: int,
) -> None:
    result = check(follower_read_history(follower_read_run(seed, read_from="follower")))
    assert result.ok is False
    assert all(op.kind == "read" and op.process == "bob" for op in result.stuck)


@pytest.mark.parametrize("seed", range(1, 6))
def test_reads_served_by_the_leader_are_linearizable(seed: int) -> None:
    h = follower_read_history(follower_read_run(seed, read_from="leader"))
    assert len(h) == 16 and all(not op.pending for op in h)
    assert check(h).ok is True


def test_same_seed_same_history() -> None:
    assert follower_read_history(follower_read_run(3)) == follower_read_history(
        follower_read_run(3))


def test_run_arguments_are_validated() -> None:
    with pytest.raises(ValueError, match="read_from must be"):
        follower_read_run(1, read_from="quorum")
    with pytest.raises(ValueError, match="writes must be an int >= 1"):
        follower_read_run(1, writes=0)


class Silent(Process):
    def on_start(self, ctx) -> None:
        ctx.emit("invoke", client=ctx.pid, seq=0, op="write", value=7)


def test_trace_invoke_without_return_becomes_a_pending_operation() -> None:
    sim = Simulation(1)
    sim.add("c", Silent)
    sim.run(10)
    (op,) = history_from_trace(sim.trace).ops
    assert op.pending and op.status == "pending" and op.value == 7
