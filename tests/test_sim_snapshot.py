"""Snapshots an explorer can take by the thousand: copy on write, saved randomness,
fingerprints that ignore timing, and the exploration hooks (restarts, a chooser
that stops)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from ddia10.sim import Choice, Process, Simulation
from ddia10.sim.world import SavedRandom


@dataclass(frozen=True)
class Note:
    text: str


class Counter(Process):
    """Counts what it hears and writes the count down; a timer sends a note."""

    def on_start(self, ctx):
        self.count = ctx.stable.get("count", 0)

    def on_message(self, ctx, src, msg):
        self.count += 1
        ctx.persist("count", self.count)

    def on_timer(self, ctx, name):
        ctx.send(ctx.peers[0], Note(name))


def trio(**kw) -> Simulation:
    sim = Simulation(3, **kw)
    for pid in "abc":
        sim.add(pid, Counter)
    return sim


def test_a_snapshot_shares_every_process_until_an_event_changes_one():
    sim = trio()
    sim.call("a", lambda p, ctx: (ctx.send("b", Note("x")), ctx.send("c", Note("y"))))
    before = {pid: sim.process(pid) for pid in "abc"}
    snap = sim.snapshot()
    deliver_b = next(c for c in sim.enabled() if c.kind == "deliver" and c.pid == "b")
    sim.apply(deliver_b)
    assert sim.process("b") is not before["b"] and sim.process("b").count == 1
    assert sim.process("c") is before["c"] and before["b"].count == 0  # the snapshot's b is intact
    sim.restore(snap)
    assert sim.process("b") is before["b"] and sim.process("b").count == 0


def test_one_snapshot_restores_any_number_of_times():
    sim = trio(latency=(1, 9))
    for pid in "abc":
        sim.call(pid, lambda p, ctx: ctx.set_timer(5, "tick"))
    snap, fp = sim.snapshot(), sim.fingerprint()
    runs = []
    for _ in range(3):
        sim.restore(snap)
        assert sim.fingerprint() == fp
        sim.run(20)
        runs.append(sim.trace.to_json())
    assert runs[0] == runs[1] == runs[2]


def test_storage_and_network_changed_after_a_snapshot_are_undone_by_restore():
    sim = trio()
    snap = sim.snapshot()
    sim.call("a", lambda p, ctx: ctx.persist("count", 9))
    sim.partition(["a"], ["b", "c"])
    sim.disconnect("b")
    assert sim.storage("a") == {"count": 9} and not sim.reachable("a", "b")
    sim.restore(snap)
    assert sim.storage("a") == {} and sim.reachable("a", "b") and sim.reachable("b", "c")


def test_snapshots_do_not_change_the_random_streams():
    def run(snapshot_every_step: bool) -> str:
        sim = trio(latency=(1, 9), loss=0.2)
        for pid in "abc":
            sim.call(pid, lambda p, ctx: ctx.set_timer(1, "tick"))
        for _ in range(30):
            if snapshot_every_step:
                sim.restore(sim.snapshot())
            sim.step()
            for pid in "abc":
                if sim.is_up(pid) and not any(c.kind == "timer" and c.pid == pid
                                              for c in sim.enabled()):
                    sim.call(pid, lambda p, ctx: ctx.set_timer(ctx.rng.uniform(1, 4), "tick"))
        return sim.trace.to_json()

    assert run(True) == run(False)


def test_saved_random_draws_what_the_generator_it_copies_draws():
    plain = random.Random("seed")
    saved = SavedRandom.like(plain)
    draws = [(r.random(), r.uniform(1, 5), r.randrange(97), r.choice("abcdef")) for r in
             (plain, saved)]
    assert draws[0] == draws[1]
    state = saved.saved()
    first = saved.random()
    saved.return_to(state)
    assert saved.random() == first


def test_the_fingerprint_ignores_timing_and_message_ids():
    def after(order: str) -> int:
        sim = trio(latency=(1, 9))
        sim.call("a", lambda p, ctx: (ctx.send("b", Note("x")), ctx.send("c", Note("y"))))
        for pid in order:
            sim.apply(next(c for c in sim.enabled() if c.kind == "deliver" and c.pid == pid))
        return sim.fingerprint()

    assert after("bc") == after("cb")  # independent deliveries commute


def test_choices_name_their_process_and_restarts_are_choices():
    sim = trio()
    sim.call("a", lambda p, ctx: ctx.send("b", Note("x")))
    sim.crash("c")
    choices = sim.enabled(crashes=True, restarts=True)
    assert {(c.kind, c.pid) for c in choices} == {
        ("deliver", "b"), ("drop", "b"), ("crash", "a"), ("crash", "b"), ("restart", "c")}
    sim.apply(next(c for c in choices if c.kind == "restart"))
    assert sim.is_up("c")
    assert sim.enabled()[0].pid == "b" and Choice("action", 1, "x").pid is None


def test_a_chooser_that_returns_none_ends_the_run():
    sim = trio()
    sim.call("a", lambda p, ctx: ctx.send("b", Note("x")))
    sim.chooser = lambda world, choices: None
    assert sim.step() is False and sim.process("b").count == 0


def test_writes_count_one_per_handler_that_persisted():
    sim = trio()
    sim.call("a", lambda p, ctx: (ctx.persist("x", 1), ctx.persist("y", 2)))  # one fsync
    sim.call("a", lambda p, ctx: ctx.send("b", Note("n")))  # none
    sim.run(5)  # b counts the note and persists its count: one
    assert dict(sim.writes) == {"a": 1, "b": 1}
