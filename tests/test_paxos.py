"""Single-decree Paxos: each rule of the protocol, the harness, liveness with and
without back-off, and safety under random faults.

Tests named ``test_p2c_...`` and so on follow the numbering of Lamport's
*Paxos Made Simple* (§2.2: P1, P2a-P2c; §2.3 learning; §2.4 progress)."""

import pytest

from ddia10.paxos import (
    AT_MOST_ONE_CHOSEN,
    Accept,
    Accepted,
    Cast,
    InvariantViolation,
    PaxosNode,
    PaxosOptions,
    Prepare,
    Promise,
    Rejected,
    SingleDecree,
    ballot_owner,
    next_ballot,
)
from ddia10.sim import Process, Simulation


# ---------------------------------------------------------------- one node, stepped by hand
class Inbox(Process):
    """A stand-in for every other process: it only keeps what it receives."""

    def __init__(self) -> None:
        self.got = []

    def on_message(self, ctx, src, msg):
        self.got.append((src, msg))


def lone(pid, proposers=("P1",), acceptors=("A1", "A2", "A3", "A4", "A5"), **options):
    """``pid`` as a real PaxosNode; every other process of the cast an Inbox."""
    cast = Cast(tuple(proposers), tuple(acceptors), tuple(proposers))
    sim = Simulation(0, latency=1.0)
    for p in dict.fromkeys(cast.proposers + cast.acceptors):
        if p == pid:
            sim.add(p, lambda: PaxosNode(pid, cast, PaxosOptions(**options)))
        else:
            sim.add(p, Inbox)
    return sim


def deliver(sim, dst, src, msg):
    """Hand ``msg`` from ``src`` to ``dst`` now, then let its replies arrive."""
    sim.call(dst, lambda node, ctx: node.on_message(ctx, src, msg))
    sim.run(5)


def sent(sim, pid):
    return [m for _src, m in sim.process(pid).got]


def test_ballots_are_unique_per_proposer_and_increase():
    owned = {i: [next_ballot(i, 3, 0)] for i in (1, 2, 3)}
    for i in owned:
        for _ in range(4):
            owned[i].append(next_ballot(i, 3, owned[i][-1]))
    assert owned[1] == [1, 4, 7, 10, 13] and owned[2] == [2, 5, 8, 11, 14]
    everything = [b for bs in owned.values() for b in bs]
    assert len(set(everything)) == len(everything)
    assert all(ballot_owner(b, 3) == i for i, bs in owned.items() for b in bs)
    assert next_ballot(1, 3, 8) == 10  # the smallest of P1's above a rival's 8


def test_p1a_acceptor_promises_and_reports_nothing_accepted():
    sim = lone("A1")
    deliver(sim, "A1", "P1", Prepare(3))
    assert sent(sim, "P1") == [Promise(3, 0, None)]
    assert sim.storage("A1")["promised"] == 3


def test_p1a_acceptor_refuses_a_ballot_below_its_promise():
    sim = lone("A1")
    deliver(sim, "A1", "P1", Prepare(3))
    deliver(sim, "A1", "P1", Prepare(2))
    deliver(sim, "A1", "P1", Accept(2, "x"))
    assert sent(sim, "P1")[1:] == [Rejected(2, 3), Rejected(2, 3)]
    assert sim.process("A1").accepted == (0, None)


def test_p2c_acceptor_reports_what_it_accepted_in_its_promise():
    sim = lone("A1")
    deliver(sim, "A1", "P1", Accept(1, "red"))
    assert sent(sim, "P1") == [Accepted(1, "red")]  # P1 is a learner too
    deliver(sim, "A1", "P1", Prepare(4))
    assert sent(sim, "P1")[-1] == Promise(4, 1, "red")


def test_acceptor_keeps_its_promise_across_a_crash():
    sim = lone("A1")
    deliver(sim, "A1", "P1", Prepare(5))
    sim.crash("A1")
    sim.restart("A1")
    deliver(sim, "A1", "P1", Accept(4, "late"))
    assert sent(sim, "P1")[-1] == Rejected(4, 5)


def test_acceptor_keeps_what_it_accepted_across_a_crash():
    sim = lone("A1")
    deliver(sim, "A1", "P1", Accept(1, "red"))
    sim.crash("A1")
    sim.restart("A1")
    deliver(sim, "A1", "P1", Prepare(4))
    assert sent(sim, "P1")[-1] == Promise(4, 1, "red")


def promised(sim, reports):
    """P1 proposes green, then hears a promise for its ballot from each acceptor
    in ``reports`` (acceptor -> (accepted ballot, value))."""
    sim.call("P1", lambda node, ctx: node.propose(ctx, "green"))
    ballot = sim.process("P1").ballot
    for acceptor, (b, v) in reports.items():
        sim.call("P1", lambda node, ctx, a=acceptor, b=b, v=v:
                 node.on_message(ctx, a, Promise(ballot, b, v)))
    sim.run(5)
    return [m for m in sent(sim, "A1") if isinstance(m, Accept)]


def test_p2c_proposer_adopts_the_value_accepted_in_the_highest_ballot():
    # The concept check of chapter 6: blue (ballot 4) beats red (ballot 2),
    # however many acceptors report each.
    sim = lone("P1")
    assert promised(sim, {"A1": (4, "blue"), "A2": (4, "blue"), "A3": (2, "red")}) \
        == [Accept(1, "blue")]
    sim = lone("P1")
    assert promised(sim, {"A1": (2, "red"), "A2": (2, "red"), "A3": (4, "blue")}) \
        == [Accept(1, "blue")]


def test_p2c_proposer_uses_its_own_value_when_no_promise_reports_one():
    sim = lone("P1")
    assert promised(sim, {"A1": (0, None), "A2": (0, None), "A3": (0, None)}) \
        == [Accept(1, "green")]


def test_proposer_waits_for_a_majority_of_promises():
    sim = lone("P1")
    assert promised(sim, {"A1": (0, None), "A2": (0, None)}) == []


def test_bug_ignore_accepted_proposes_its_own_value():
    sim = lone("P1", bug_ignore_accepted=True)
    assert promised(sim, {"A1": (4, "blue"), "A2": (4, "blue"), "A3": (2, "red")}) \
        == [Accept(1, "green")]


def test_proposer_never_reuses_a_ballot_after_a_crash():
    sim = lone("P1", proposers=("P1", "P2"))
    sim.call("P1", lambda node, ctx: node.propose(ctx, "red"))
    first = sim.process("P1").ballot
    sim.crash("P1")
    sim.restart("P1")
    sim.call("P1", lambda node, ctx: node.propose(ctx, "blue"))
    assert first == 1 and sim.process("P1").ballot == 3


def test_learner_counts_a_majority_in_one_ballot_only():
    sim = lone("P1")
    for acceptor, ballot in (("A1", 1), ("A2", 1), ("A3", 2)):
        deliver(sim, "P1", acceptor, Accepted(ballot, "red"))
    assert sim.process("P1").learned == ()  # two in ballot 1, one in ballot 2: not chosen
    deliver(sim, "P1", "A4", Accepted(1, "red"))
    assert sim.process("P1").learned == ("red",)


# ---------------------------------------------------------------- whole runs
def test_one_proposer_gets_its_value_chosen_and_every_learner_learns_it():
    p = SingleDecree(proposers=2, acceptors=3, learners=1, seed=0)
    p.propose("P1", "red")
    p.run(50)
    assert p.chosen() == "red"
    assert [p.learned(pid) for pid in ("P1", "P2", "L1")] == ["red"] * 3


def test_seed_round_with_five_acceptors_sends_each_phase_to_a_majority():
    p = SingleDecree(proposers=1, acceptors=5, seed=0, latency=1.0, thrifty=True)
    p.propose("P1", "red")
    p.run(10)
    sends = [(e.time, e.pid, e.data["dst"], e.data["msg"]) for e in p.trace.of_kind("send")]
    majority = ["A1", "A2", "A3"]
    assert sends == (
        [(0.0, "P1", a, Prepare(1)) for a in majority]
        + [(1.0, a, "P1", Promise(1, 0, None)) for a in majority]
        + [(2.0, "P1", a, Accept(1, "red")) for a in majority]
        + [(3.0, a, "P1", Accepted(1, "red")) for a in majority]
    )
    assert p.chosen() == "red" and p.learned("P1") == "red"


def test_a_later_proposer_learns_the_chosen_value_from_one_acceptor():
    """A majority chose red; P2's majority overlaps it in one acceptor, enough."""
    p = SingleDecree(proposers=2, acceptors=5, seed=0, latency=1.0)
    p.partition(["P1", "A1", "A2", "A3"], ["P2", "A4", "A5"])
    p.propose("P1", "red")
    p.run(4)  # red accepted by A1, A2, A3: chosen
    for pid in ("P1", "A1", "A2"):
        p.crash(pid)
    p.heal()
    p.propose("P2", "blue")  # promises from A3, A4, A5: only A3 reports red
    p.run(60)
    assert p.chosen() == "red" and p.learned("P2") == "red"


@pytest.mark.parametrize("bug", [False, True])
def test_2a_rule_alone_keeps_a_chosen_value_chosen(bug):
    p = SingleDecree(proposers=2, acceptors=3, seed=0, latency=1.0, bug_ignore_accepted=bug)
    p.propose("P1", "red")
    p.run(2.5)  # promises in, Accepts on the wire
    p.partition(["P1", "A1", "A2"], ["P2", "A3"])
    p.run(5)  # A1, A2 accept red: chosen
    assert p.monitor.chosen_values() == {"red"}
    p.heal()
    p.partition(["P1", "A1"], ["P2", "A2", "A3"])
    p.propose("P2", "blue")  # P2's majority: A2 (which accepted red) and A3
    p.run(100)
    if not bug:
        assert p.chosen() == "red" and p.learned("P2") == "red"
        return
    with pytest.raises(InvariantViolation) as caught:
        p.check_invariants()
    assert caught.value.invariant == AT_MOST_ONE_CHOSEN
    assert "'red'" in caught.value.evidence and "'blue'" in caught.value.evidence


def test_a_value_is_chosen_even_when_no_learner_hears_of_it():
    p = SingleDecree(proposers=1, acceptors=3, seed=0, latency=1.0)
    p.propose("P1", "red")
    p.run(3.5)  # the acceptors accepted red at 3 ms
    p.disconnect("P1")  # and their Accepted messages to P1 are lost
    p.run(2)
    assert p.monitor.chosen_values() == {"red"} and p.learned("P1") is None


# ---------------------------------------------------------------- liveness (§2.4)
def dueling(seed, **options):
    """The chapter's duel: P2 proposes half a retry period after P1."""
    p = SingleDecree(proposers=2, acceptors=3, seed=seed, latency=2.0, retry_timeout=7.0,
                     **options)
    p.propose("P1", "v1")
    p.sim.after(3.5, lambda sim: p.propose("P2", "v2"))
    return p


def test_2_4_dueling_proposers_with_fixed_timers_never_decide():
    p = dueling(0)
    p.run(500)
    p.check_invariants()
    assert p.chosen() is None
    assert p.node("P1").ballot > 100 and p.node("P2").ballot > 100
    rejected = [e.data["msg"].ballot for e in p.trace.of_kind("deliver")
                if isinstance(e.data["msg"], Rejected)]
    assert rejected[:4] == [1, 1, 1, 2]  # P1's Accept(1) refused first, then P2's ballot 2


@pytest.mark.parametrize("seed", range(10))
def test_2_4_randomized_backoff_lets_one_proposer_finish(seed):
    p = dueling(seed, backoff=10.0)
    p.run_until(lambda q: q.learned("P1") and q.learned("P2"), 500)
    assert p.chosen() in ("v1", "v2")
    assert p.learned("P1") == p.learned("P2") == p.chosen()


def test_max_rounds_stops_a_proposer_and_so_ends_the_duel():
    p = dueling(0, max_rounds=2)
    p.run(200)
    assert p.node("P1").rounds == 2 and p.node("P2").rounds == 2
    assert p.chosen() == "v2"  # P1 gave up first; P2's second round went unopposed


def test_same_seed_same_trace():
    def run():
        p = dueling(3, backoff=10.0)
        p.run(100)
        return p.trace.to_json()

    assert run() == run()


# ---------------------------------------------------------------- random faults
@pytest.mark.parametrize("seed", range(20))
def test_safety_under_loss_duplication_and_crashes(seed):
    p = SingleDecree(proposers=3, acceptors=5, seed=seed, latency=(1.0, 8.0), loss=0.2,
                     duplicate=0.1, reorder=0.2, backoff=5.0)
    for i, pid in enumerate(p.cast.proposers):
        p.sim.after(3.0 * i, lambda sim, pid=pid, i=i: p.propose(pid, f"v{i + 1}"))
    for k, pid in enumerate(["A1", "P1", "A4"]):
        p.sim.after(5 + 7 * k, lambda sim, pid=pid: p.crash(pid))
        p.sim.after(40 + 7 * k, lambda sim, pid=pid: p.restart(pid))
    p.run(400)
    p.check_invariants()
    learned = {p.learned(x) for x in p.cast.learners if p.sim.is_up(x)} - {None}
    assert learned <= {p.chosen()}


# ---------------------------------------------------------------- the harness
@pytest.mark.parametrize("kwargs, message", [
    ({"proposers": 0}, "proposers must be an int >= 1"),
    ({"acceptors": "3"}, "acceptors must be an int >= 1"),
    ({"learners": -1}, "learners must be an int >= 0"),
    ({"retry_timeout": 0}, "retry_timeout must be a finite number > 0 ms"),
    ({"backoff": -1.0}, "backoff must be a finite number"),
    ({"max_rounds": 0}, "max_rounds must be None or an int >= 1"),
    ({"bug_ignore_acepted": True}, "unknown Paxos option"),
])
def test_harness_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SingleDecree(**kwargs)


def test_harness_rejects_bad_calls():
    p = SingleDecree()
    with pytest.raises(KeyError, match="not a proposer"):
        p.propose("A1", "x")
    with pytest.raises(ValueError, match="hashable"):
        p.propose("P1", ["x"])
    p.propose("P1", "x")
    with pytest.raises(ValueError, match="already proposes"):
        p.propose("P1", "y")
    with pytest.raises(KeyError, match="unknown process"):
        p.crash("Z9")
    p.crash("A1")
    with pytest.raises(ValueError, match="already crashed"):
        p.crash("A1")
    with pytest.raises(KeyError, match="not a learner"):
        p.learned("A2")
    with pytest.raises(ValueError, match="run time"):
        p.run(-1)
