"""The explorer: state counts worked out by hand, proofs, shortest counterexamples
that replay, the reductions checked against the full search, and the bounds."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from ddia10.explore import Always, Sometimes, explore
from ddia10.invariants import InvariantViolation
from ddia10.paxos import AT_MOST_ONE_CHOSEN, SingleDecree
from ddia10.raft import RaftCluster
from ddia10.sim import Process, Simulation


def paxos(proposers: int, acceptors: int, **options):
    """A build(): single-decree Paxos, one round per proposer, each proposing at once."""

    def build() -> SingleDecree:
        p = SingleDecree(proposers, acceptors, seed=0, latency=1.0, max_rounds=1, **options)
        for i, pid in enumerate(p.cast.proposers, start=1):
            p.propose(pid, f"v{i}")
        return p

    return build


# ---------------------------------------------------------------- counted by hand
def test_one_proposer_one_acceptor_has_nine_states():
    """Prepare in flight, then each of the four messages of the round is in flight,
    delivered or lost: the start, 2 states per lost message (4 of them: a dead
    end each) and 4 more deliveries, 1 + 4 + 4 = 9, in 8 steps."""
    report = explore(paxos(1, 1), progress=False)
    assert (report.verdict, report.exhausted) == ("holds", True)
    assert (report.states, report.transitions) == (9, 8)


def test_one_proposer_two_acceptors_has_forty_nine_states():
    """Phase 1: each acceptor's exchange is at one of five stages (Prepare in
    flight, Prepare lost, Promise in flight, Promise delivered, Promise lost),
    5 x 5 = 25 states; both delivered is phase 2's start, where each exchange
    is again at one of five stages (Accept, then Accepted), 25 more with that
    one shared: 25 + 25 - 1 = 49."""
    report = explore(paxos(1, 2), progress=False)
    assert (report.verdict, report.exhausted, report.states) == ("holds", True, 49)


# ---------------------------------------------------------------- proofs and counterexamples
def test_without_the_adopt_rule_a_shortest_counterexample_is_found_and_replays():
    report = explore(paxos(2, 2, bug_ignore_accepted=True), losses=False, progress=False)
    assert report.verdict == "violated"
    cx = report.counterexample
    assert cx.violation.invariant == AT_MOST_ONE_CHOSEN
    assert len(cx) == 12  # P1's Prepares, Promises and Accepts (v1 chosen), then P2's

    replayed = cx.replay()
    with pytest.raises(InvariantViolation, match="2 values chosen"):
        replayed.check_invariants()
    assert [e.kind for e in replayed.trace].count("deliver") == 12
    world = cx.world()
    steps = 0
    while world.sim.step():
        steps += 1
    assert steps == len(cx) and world.trace.to_json() == replayed.trace.to_json()


def process_states(build, **kwargs) -> tuple[set, object]:
    """What every visited state holds apart from the network (processes, storage,
    monitor), and the report; each value is expected chosen somewhere."""
    seen: set = set()

    def note(h, via) -> bool:
        seen.add((tuple((p, h.sim.process(p).fingerprint()) for p in h.ids if h.sim.is_up(p)),
                  tuple(frozenset(h.sim.storage(p).items()) for p in h.ids),
                  h.monitor.state()))
        return True

    chosen = [Sometimes(f"{v} chosen", lambda h, via, v=v: h.monitor.chosen_values() == {v})
              for v in ("v1", "v2")]
    lost = Sometimes("a message lost", lambda h, via: via is not None and via.kind == "drop")
    report = explore(build, properties=[Always("note", note), *chosen, lost], progress=False,
                     **kwargs)
    return seen, report


def test_every_interleaving_is_safe_and_losses_add_no_process_state():
    """Two proposers, two acceptors, one round each: every schedule of deliveries
    and losses is safe. And what processes and monitor can reach is the same
    whether or not messages may be lost (a lost message is one never delivered),
    which is why ``losses=False`` may hunt bugs without missing any."""
    with_losses, everything = process_states(paxos(2, 2))
    without, fewer = process_states(paxos(2, 2), losses=False)
    assert (everything.verdict, everything.exhausted) == ("holds", True)
    assert everything.unreached() == [] and fewer.unreached() == ["a message lost"]
    assert with_losses == without and fewer.states < everything.states


def reduced_families(build, **kwargs) -> set:
    """The reduced fingerprint of every state a search visits."""
    families: set = set()

    def note(h, via) -> bool:
        families.add(h.reduced_fingerprint())
        return True

    report = explore(build, properties=[Always("note", note)], progress=False, **kwargs)
    assert (report.verdict, report.exhausted) == ("holds", True)
    return families, report


@pytest.mark.parametrize("shape, losses", [((1, 3), True), ((2, 2), False)])
def test_the_reduced_search_visits_one_state_of_every_family_and_no_other(shape, losses):
    """Acceptor symmetry and dead messages: the families the full search meets
    are exactly the states the reduced search visits."""
    full, everything = reduced_families(paxos(*shape), losses=losses)
    reduced, fewer = reduced_families(paxos(*shape), losses=losses, reduced=True)
    assert full == reduced and fewer.states == len(reduced) < everything.states


def test_the_reduced_search_finds_a_shortest_counterexample_too():
    full = explore(paxos(2, 2, bug_ignore_accepted=True), losses=False, progress=False)
    reduced = explore(paxos(2, 2, bug_ignore_accepted=True), losses=False, reduced=True,
                      progress=False)
    assert len(reduced.counterexample) == len(full.counterexample) == 12


@pytest.mark.parametrize("shape, losses", [((1, 3), True), ((2, 2), False)])
def test_sleep_sets_skip_steps_never_states(shape, losses):
    """Sleep sets leave out a step that commutes with one already taken (a
    delivery to another process): its state is reached the other way round."""
    plain, everything = reduced_families(paxos(*shape), losses=losses, sleep_sets=False)
    pruned, report = reduced_families(paxos(*shape), losses=losses)
    assert plain == pruned and report.transitions < everything.transitions


def test_thrifty_proposers_have_no_acceptor_symmetry():
    with pytest.raises(ValueError, match="not interchangeable"):
        explore(paxos(1, 3, thrifty=True), reduced=True, progress=False)


def test_never_losing_a_message_finds_the_same_shortest_counterexample():
    with_losses = explore(paxos(2, 2, bug_ignore_accepted=True), progress=False)
    without = explore(paxos(2, 2, bug_ignore_accepted=True), losses=False, progress=False)
    assert len(with_losses.counterexample) == len(without.counterexample)
    assert without.states < with_losses.states


def test_raft_with_votes_keyed_by_term_elects_two_leaders_in_one_term():
    def build():
        return RaftCluster(n=3, seed=0, latency=1.0, bug_vote_per_term_not_candidate=True)

    report = explore(build, losses=False, progress=False)
    cx = report.counterexample
    assert cx.violation.invariant == "election safety" and len(cx) == 6
    assert [c.kind for c in cx.path].count("timer") == 2  # two candidates, one term


def test_two_phase_commit_aborting_in_doubt_breaks_atomicity_in_six_steps():
    from ddia10.scenarios import two_phase_commit as ch3

    report = explore(ch3.explorer_model(bug=True), losses=False, progress=False)
    cx = report.counterexample
    assert cx.violation.invariant == "atomicity" and len(cx) == 6
    assert cx.path[-1].kind == "timer"  # P1 gives up waiting, though commit was decided
    run = ch3.counterexample_scenario(cx).run(steps=20)
    assert run.k <= len(cx) and run.ended


# ---------------------------------------------------------------- bounds and budgets
def test_a_depth_bound_is_reported_and_the_search_is_not_exhausted():
    report = explore(paxos(2, 2), max_depth=5, progress=False)
    assert report.verdict == "holds" and not report.exhausted and report.bound == "depth 5"
    assert report.depth == 5


def test_a_state_bound_stops_the_search():
    report = explore(paxos(2, 2), max_states=100, progress=False)
    assert report.states == 100 and not report.exhausted


def test_random_walks_find_the_bug_and_count_what_they_saw():
    report = explore(paxos(2, 2, bug_ignore_accepted=True), mode="walk", max_depth=30,
                     walks=2000, seed=1, losses=False, progress=False)
    assert report.verdict == "violated" and report.states > 10


@dataclass(frozen=True)
class Token:
    owner: str


class Forgetful(Process):
    """Hands out one token, then refuses; it writes down that it did only if
    ``careful``. Safety: no two processes ever hold a token."""

    careful = True

    def on_start(self, ctx):
        self.given = ctx.stable.get("given", False)

    def on_message(self, ctx, src, msg):
        if not self.given:
            self.given = True
            if self.careful:
                ctx.persist("given", True)
            ctx.send(src, Token(src))


class Careless(Forgetful):
    careful = False


class Holder(Process):
    def on_start(self, ctx):
        self.holds = False
        ctx.send("server", "please")

    def on_message(self, ctx, src, msg):
        self.holds = True


class TokenWorld:
    """The smallest harness the explorer accepts."""

    def __init__(self, server) -> None:
        self.sim = Simulation(0)
        self.sim.add("server", server)
        for pid in ("c1", "c2"):
            self.sim.add(pid, Holder)

    def snapshot(self):
        return self.sim.snapshot()

    def restore(self, snap):
        self.sim.restore(snap)

    def fingerprint(self):
        return self.sim.fingerprint()

    def check_invariants(self):
        holders = [p for p in ("c1", "c2") if self.sim.is_up(p) and self.sim.process(p).holds]
        if len(holders) > 1:
            raise InvariantViolation("one token", f"{holders} both hold one")


@pytest.mark.parametrize("server, crashes, verdict", [
    (Careless, 0, "holds"), (Careless, 1, "violated"), (Forgetful, 1, "holds")])
def test_crashes_and_restarts_find_state_that_should_have_been_written_down(server, crashes,
                                                                           verdict):
    report = explore(lambda: TokenWorld(server), crashes=crashes, restarts=True, progress=False)
    assert report.verdict == verdict and (verdict == "violated" or report.exhausted)
    if verdict == "violated":
        assert [c.kind for c in report.counterexample.path].count("crash") == 1


class Ticker(Process):
    def on_start(self, ctx):
        self.ticks = 0
        ctx.set_timer(1, "tick")

    def on_timer(self, ctx, name):
        self.ticks += 1
        ctx.set_timer(1, "tick")


def test_a_timeout_budget_makes_a_world_of_endless_timers_finite():
    def build():
        h = TokenWorld(Forgetful)
        h.sim.add("ticker", Ticker)
        return h

    report = explore(build, timeouts=3, progress=False)
    assert report.exhausted
    ticks = explore(build, timeouts=3, progress=False,
                    properties=[Sometimes("4 ticks", lambda h, via: h.sim.process("ticker").ticks
                                          > 3)])
    assert ticks.unreached() == ["4 ticks"]


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs, message", [
    ({"mode": "dfs"}, "mode must be one of"),
    ({"mode": "walk"}, "needs max_depth"),
    ({"max_depth": -1}, "max_depth must be None or an int >= 0"),
    ({"timeouts": "2"}, "timeouts must be None or an int"),
    ({"properties": ["safe"]}, "properties are Always"),
    ({"properties": [Always("x", len), Sometimes("x", len)]}, "two properties are named"),
])
def test_bad_arguments_fail_with_a_clear_message(kwargs, message):
    with pytest.raises(ValueError, match=message):
        explore(paxos(1, 1), progress=False, **kwargs)


def test_a_build_that_returns_no_harness_is_refused():
    with pytest.raises(ValueError, match="lacks"):
        explore(lambda: Simulation(0), progress=False)
