"""Multi-Paxos: leader election as phase 1 for every slot, one round trip per
command, no-ops for holes, the log applied in order, and catching up."""

import pytest

from ddia10.paxos import (
    APPLIED_IN_ORDER,
    NOOP,
    AcceptedSlot,
    AcceptSlot,
    Chosen,
    InvariantViolation,
    MultiPaxos,
    PaxosMonitor,
    Voted,
)


def steady(n=3, seed=0, **kwargs):
    """A cluster with a leader and nothing in flight."""
    c = MultiPaxos(n=n, seed=seed, latency=1.0, **kwargs)
    c.wait_for_leader()
    c.run(100)
    return c


def decide(c, command, timeout=100):
    """Submit at the leader and run until the leader applied it."""
    leader = c.leader()
    slot = c.submit(command)
    assert slot is not None
    c.run_until(lambda h: h.node(leader).last_applied >= slot, timeout)
    return slot


def test_commands_are_applied_in_order_on_every_server():
    c = steady(n=5)
    for i in range(10):
        decide(c, f"c{i}")
    c.run(200)  # followers learn the last decision from the next heartbeat
    c.check_invariants()
    expected = [f"c{i}" for i in range(10)]
    assert all(c.applied(pid) == expected for pid in c.servers)


def test_a_stable_leader_decides_in_one_round_trip_with_phase_2_only():
    c = steady(n=5)
    start, sends = c.sim.now, len(c.trace.of_kind("send"))
    decide(c, "x")
    assert c.sim.now - start == pytest.approx(2.0)  # one round trip of 1 ms links
    sent = [e.data["msg"] for e in c.trace.of_kind("send")[sends:]]
    assert sorted(type(m).__name__ for m in sent) == ["AcceptSlot"] * 4 + ["AcceptedSlot"] * 4


def test_a_new_leader_keeps_what_was_chosen_and_carries_on():
    c = steady(n=5)
    old = c.leader()
    for i in range(3):
        decide(c, f"c{i}")
    c.crash(old)
    c.run_until(lambda h: h.leader() not in (None, old), 2000)
    decide(c, "after")
    c.run(200)
    c.check_invariants()
    for pid in c.servers:
        if pid != old:
            assert c.applied(pid) == ["c0", "c1", "c2", "after"]


def test_a_new_leader_fills_a_hole_with_a_no_op():
    c = steady(n=3)
    leader = c.leader()
    f, g = (p for p in c.servers if p != leader)
    decide(c, "c1")
    c.partition([leader], [f, g])
    c.submit("c2")  # slot 2: accepted by the leader alone
    c.heal()
    c.partition([leader, f], [g])
    c.submit("c3")  # slot 3: accepted by the leader and f, so chosen
    c.run(1.5)  # f has accepted c3; the leader has not heard back yet
    c.crash(leader)
    c.heal()
    new = c.wait_for_leader(2000)
    c.run(200)
    c.check_invariants()
    assert new in (f, g)
    assert c.node(new).log == ["c1", NOOP, "c3"]
    assert c.applied(g) == c.applied(f) == ["c1", "c3"]
    assert c.monitor.chosen_values(3) == {"c3"} and c.monitor.chosen_values(2) == {NOOP}


def test_a_new_leader_re_proposes_a_value_one_acceptor_accepted():
    c = steady(n=3)
    leader = c.leader()
    f, g = (p for p in c.servers if p != leader)
    c.partition([leader, f], [g])
    c.submit("c1")
    c.run(0.5)  # AcceptSlot on its way to f
    c.crash(leader)  # c1 accepted by the old leader and (soon) f: chosen
    c.run(1)
    c.heal()
    c.partition([f, g])
    c.run_until(lambda h: h.leader() in (f, g), 2000)
    c.run(200)
    c.check_invariants()
    assert c.applied(f) == c.applied(g) == ["c1"]


def test_a_follower_that_missed_slots_catches_up():
    c = steady(n=3)
    leader = c.leader()
    lagging = next(p for p in c.servers if p != leader)
    c.disconnect(lagging)
    for i in range(5):
        decide(c, f"c{i}")
    c.connect(lagging)
    c.run(300)
    c.check_invariants()
    assert c.applied(lagging) == [f"c{i}" for i in range(5)]
    caught_up = [e for e in c.trace.of_kind("deliver")
                 if e.pid == lagging and isinstance(e.data["msg"], Chosen)]
    assert len(caught_up) == 1  # the decisions it missed came in one Chosen message


def test_a_restarted_server_learns_the_log_again():
    c = steady(n=3)
    follower = next(p for p in c.servers if p != c.leader())
    for i in range(3):
        decide(c, f"c{i}")
    c.crash(follower)
    decide(c, "c3")
    c.restart(follower)
    c.run(300)
    c.check_invariants()
    assert c.applied(follower) == ["c0", "c1", "c2", "c3"]
    assert any(isinstance(e.data["msg"], Chosen) for e in c.trace.of_kind("deliver")
               if e.pid == follower)


def test_acceptors_refuse_a_deposed_leaders_accepts():
    c = steady(n=3)
    old = c.leader()
    c.disconnect(old)
    c.run_until(lambda h: any(h.node(p).role == "leader" for p in h.servers if p != old),
                2000)
    c.connect(old)
    c.submit("stale", node=old)  # the old leader still thinks it leads
    c.run(50)
    c.check_invariants()
    assert c.node(old).role == "follower"
    assert "stale" not in c.node(c.leader()).applied_commands


@pytest.mark.parametrize("seed", range(12))
def test_safety_under_loss_duplication_and_crashes(seed):
    c = MultiPaxos(n=5, seed=seed, latency=(1.0, 10.0), loss=0.1, duplicate=0.05,
                   reorder=0.1)
    for k in range(30):
        c.sim.at(20.0 * k, lambda sim, k=k: c.submit(f"c{k}"))
    for k, pid in enumerate([1, 2, 3, 1, 4]):
        c.sim.at(100 + 120 * k, lambda sim, pid=pid: sim.is_up(pid) and c.crash(pid))
        c.sim.at(160 + 120 * k, lambda sim, pid=pid: sim.is_up(pid) or c.restart(pid))
    c.run(1500)
    c.check_invariants()


def test_applied_in_order_is_checked():
    m = PaxosMonitor(quorum=2)
    for acceptor in ("a", "b"):
        m.hear(Voted(acceptor, 1, "x", slot=1))
        m.hear(Voted(acceptor, 1, "y", slot=2))
    m.check_applied({1: ["x", "y"]})
    with pytest.raises(InvariantViolation) as caught:
        m.check_applied({1: ["y"]})
    assert caught.value.invariant == APPLIED_IN_ORDER


def test_messages_are_what_a_leader_and_acceptor_exchange():
    assert AcceptSlot(3, 1, "x").chosen == 0 and AcceptedSlot(3, 1).slot == 1


@pytest.mark.parametrize("kwargs, message", [
    ({"n": 0}, "cluster size must be an int >= 1"),
    ({"heartbeat_interval": 500.0}, "heartbeat_interval"),
    ({"election_timeout": (300.0, 150.0)}, "election_timeout"),
    ({"max_batch": 0}, "max_batch"),
    ({"prevote": True}, "unknown Multi-Paxos option"),
])
def test_harness_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MultiPaxos(**kwargs)


def test_submit_to_a_follower_is_refused():
    c = steady(n=3)
    follower = next(p for p in c.servers if p != c.leader())
    assert c.submit("x", node=follower) is None
    with pytest.raises(ValueError, match="hashable"):
        c.submit(["x"])
    with pytest.raises(KeyError, match="unknown process"):
        c.submit("x", node=9)
