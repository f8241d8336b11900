"""The simulated world: determinism, every fault kind, validation, exploration hooks."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ddia10.sim import (
    Choice,
    Exponential,
    Fixed,
    Process,
    Simulation,
    SimulationTimeout,
    Trace,
    Uniform,
)
from ddia10.viz.trace_table import trace_table


@dataclass(frozen=True)
class Ping:
    n: int


class Beacon(Process):
    """Broadcasts a numbered ping every 10 ms; counts what it hears; persists its count."""

    def on_start(self, ctx):
        self.sent = ctx.stable.get("sent", 0)
        self.heard: list = []
        self.boots = ctx.stable.get("boots", 0) + 1
        ctx.persist("boots", self.boots)
        ctx.set_timer(10, "beat")

    def on_timer(self, ctx, name):
        self.sent += 1
        ctx.persist("sent", self.sent)
        for p in ctx.peers:
            ctx.send(p, Ping(self.sent))
        ctx.set_timer(10, "beat")

    def on_message(self, ctx, src, msg):
        self.heard.append((src, msg.n, ctx.now))


class Quiet(Process):
    """Does nothing unless told to: for tests that script every message."""

    def on_start(self, ctx):
        self.got: list = []

    def on_message(self, ctx, src, msg):
        self.got.append((src, msg, ctx.now))

    def on_timer(self, ctx, name):
        self.got.append(("timer", name, ctx.now))


def send(pid_to, msg):
    return lambda proc, ctx: ctx.send(pid_to, msg)


def world(seed=1, n=3, **kw):
    sim = Simulation(seed, **kw)
    for i in range(1, n + 1):
        sim.add(i, Beacon)
    return sim


def faulty_run(seed: int) -> Simulation:
    sim = world(seed, n=5, latency=(1, 8), loss=0.1, duplicate=0.05, reorder=0.05)
    sim.at(35, lambda s: s.crash(2))
    sim.at(60, lambda s: s.partition([1, 3], [4, 5]))
    sim.at(80, lambda s: s.restart(2))
    sim.at(90, lambda s: s.pause(4))
    sim.at(120, lambda s: s.resume(4))
    sim.at(130, lambda s: s.heal())
    sim.at(10, lambda s: s.set_clock(5, rate=1.5))
    sim.run(200)
    return sim


# ---------------------------------------------------------------- determinism


def test_same_seed_same_trace_byte_for_byte():
    assert faulty_run(7).trace.to_json() == faulty_run(7).trace.to_json()


def test_different_seeds_give_different_histories():
    assert faulty_run(7).trace.to_json() != faulty_run(8).trace.to_json()


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    faults=st.lists(
        st.tuples(st.floats(0, 150), st.sampled_from(["crash", "partition", "heal", "pause"])),
        max_size=6,
    ),
)
def test_random_fault_schedules_replay_identically(seed, faults):
    def run():
        sim = world(seed, n=4, latency=(1, 6), loss=0.2, duplicate=0.1, reorder=0.1)

        def apply(kind):
            def act(s):
                up = [p for p in s.pids if s.is_up(p) and not s.is_paused(p)]
                if kind == "crash" and up:
                    s.crash(up[0])
                elif kind == "partition":
                    s.partition([1, 2])
                elif kind == "heal":
                    s.heal()
                    for p in s.pids:
                        if not s.is_up(p):
                            s.restart(p)
                        elif s.is_paused(p):
                            s.resume(p)
                elif kind == "pause" and up:
                    s.pause(up[-1])

            return act

        for t, kind in faults:
            sim.at(t, apply(kind), kind)
        sim.run(200)
        return sim.trace.to_json()

    assert run() == run()


# ---------------------------------------------------------------- the network


def test_fixed_latency_delivers_exactly_that_late():
    sim = Simulation(1, latency=Fixed(7))
    sim.add("a", Quiet)
    sim.add("b", Quiet)
    sim.call("a", send("b", "hello"))
    sim.run(100)
    assert sim.process("b").got == [("a", "hello", 7.0)]


def test_per_link_latency_overrides_the_default():
    sim = Simulation(1, latency=1)
    for p in "abc":
        sim.add(p, Quiet)
    sim.set_link("a", "c", latency=50)
    sim.call("a", send("b", 1))
    sim.call("a", send("c", 2))
    sim.run(100)
    assert sim.process("b").got[0][2] == 1.0
    assert sim.process("c").got[0][2] == 50.0
    sim.call("c", send("a", 3))  # both ways by default
    sim.run(100)
    assert sim.process("a").got[0][2] == 150.0


def test_loss_one_drops_every_message_and_says_why():
    sim = world(1, loss=1.0)
    sim.run(100)
    assert not sim.trace.of_kind("deliver")
    drops = sim.trace.of_kind("drop")
    assert drops and all(e.data["reason"] == "loss" for e in drops)


def test_duplicate_one_delivers_every_message_twice():
    sim = Simulation(1, duplicate=1.0)
    sim.add("a", Quiet)
    sim.add("b", Quiet)
    sim.call("a", send("b", "x"))
    sim.run(10)
    assert [m for _, m, _ in sim.process("b").got] == ["x", "x"]
    (dup,) = sim.trace.of_kind("duplicate")
    assert dup.data["of"] == sim.trace.of_kind("send")[0].data["id"]


def test_reordering_lets_later_messages_overtake():
    sim = Simulation(3, latency=5, reorder=0.5)
    sim.add("a", Quiet)
    sim.add("b", Quiet)
    for i in range(40):
        sim.call("a", send("b", i))
    sim.run(100)
    got = [m for _, m, _ in sim.process("b").got]
    assert sorted(got) == list(range(40)) and got != list(range(40))


def test_partition_blocks_across_groups_only_and_heal_restores():
    sim = world(1, n=4)
    sim.partition([1, 2], [3, 4])
    sim.run(50)
    for e in sim.trace.of_kind("deliver"):
        assert {e.data["src"], e.data["dst"]} <= {1, 2} or {e.data["src"], e.data["dst"]} <= {3, 4}
    assert any(e.data["reason"] == "partition" for e in sim.trace.of_kind("drop"))
    assert not sim.reachable(1, 3) and sim.reachable(1, 2)
    sim.heal()
    mark = len(sim.trace)
    sim.run(50)
    crossing = [e for e in sim.trace[mark:] if e.kind == "deliver" and e.data["src"] == 1]
    assert {e.data["dst"] for e in crossing} == {2, 3, 4}


def test_unnamed_processes_form_one_more_group():
    sim = world(1, n=5)
    sim.partition([1])
    assert not sim.reachable(1, 2)
    assert sim.reachable(2, 5)


def test_message_in_flight_when_partition_starts_is_dropped_on_arrival():
    sim = Simulation(1, latency=10)
    sim.add("a", Quiet)
    sim.add("b", Quiet)
    sim.call("a", send("b", "late"))
    sim.after(5, lambda s: s.partition(["a"], ["b"]))
    sim.run(20)
    assert sim.process("b").got == []
    assert sim.trace.of_kind("drop")[0].data["reason"] == "partition"


def test_disconnect_isolates_one_process_and_reconnect_undoes_it():
    sim = world(1, n=3)
    sim.disconnect(2)
    sim.run(50)
    assert all(2 not in (e.data["src"], e.data["dst"]) for e in sim.trace.of_kind("deliver"))
    sim.reconnect(2)
    before = len(sim.process(2).heard)
    sim.run(50)
    assert len(sim.process(2).heard) > before


# ---------------------------------------------------------------- process faults


def test_crash_loses_volatile_state_keeps_what_was_persisted():
    sim = world(1)
    sim.run(55)
    sent = sim.process(1).sent
    assert sent == 5 and sim.process(1).heard
    sim.crash(1)
    assert not sim.is_up(1)
    sim.run(30)  # no timers fire while down, messages to it are dropped
    assert any(e.data["reason"] == "crashed" for e in sim.trace.of_kind("drop"))
    proc = sim.restart(1)
    assert proc.sent == sent and proc.heard == [] and proc.boots == 2


def test_crash_cancels_timers_of_the_old_incarnation():
    sim = world(1)
    sim.run(5)
    sim.crash(1)
    sim.run(100)
    assert not [e for e in sim.trace.of_kind("timer") if e.pid == 1 and e.time > 5]


def test_pause_holds_messages_and_timers_until_resume_while_clock_runs():
    sim = world(1)
    sim.run(15)
    sim.pause(2)
    held = len(sim.process(2).heard)
    sim.run(100)
    assert len(sim.process(2).heard) == held
    assert sim.local_time(2) == pytest.approx(115)
    sim.resume(2)
    sim.run(0)
    heard = sim.process(2).heard
    assert len(heard) > held
    assert all(t == pytest.approx(115) for _, _, t in heard[held:])  # all at once, late


def test_a_timer_due_during_a_pause_fires_on_resume():
    sim = Simulation(1)
    sim.add("a", Quiet)
    sim.call("a", lambda p, ctx: ctx.set_timer(10, "t"))
    sim.run(5)
    sim.pause("a")
    sim.run(20)
    assert sim.process("a").got == []
    sim.resume("a")
    sim.run(0)
    assert sim.process("a").got == [("timer", "t", pytest.approx(25))]


def test_clock_drift_bends_local_time_and_timers():
    sim = Simulation(1)
    sim.add("a", Quiet)
    sim.set_clock("a", rate=2.0)
    sim.run(10)
    assert sim.local_time("a") == pytest.approx(20)
    sim.call("a", lambda p, ctx: ctx.set_timer(20, "t"))  # 20 local ms = 10 true ms
    sim.run(10)
    assert sim.process("a").got == [("timer", "t", pytest.approx(40))]
    sim.set_clock("a", rate=1.0, offset=-5)
    assert sim.local_time("a") == pytest.approx(35)


def test_cancel_and_replace_timers():
    sim = Simulation(1)
    sim.add("a", Quiet)
    sim.call("a", lambda p, ctx: ctx.set_timer(5, "x"))
    sim.call("a", lambda p, ctx: ctx.set_timer(9, "x"))  # replaces
    sim.call("a", lambda p, ctx: ctx.set_timer(3, "y"))
    sim.call("a", lambda p, ctx: ctx.cancel_timer("y"))
    sim.run(20)
    assert sim.process("a").got == [("timer", "x", 9.0)]


def test_run_until_returns_when_condition_holds_and_times_out_clearly():
    sim = world(1)
    t = sim.run_until(lambda s: s.process(2).sent >= 3, timeout_ms=100)
    assert t == pytest.approx(30)
    with pytest.raises(SimulationTimeout, match="within 20 ms"):
        sim.run_until(lambda s: False, timeout_ms=20)


def test_emit_and_annotate_land_in_the_trace():
    sim = Simulation(1)
    sim.add("a", Quiet)
    sim.call("a", lambda p, ctx: ctx.annotate(role="leader", term=3))
    sim.call("a", lambda p, ctx: ctx.emit("invoke", op="write", value=1))
    sim.note("hello")
    kinds = [e.kind for e in sim.trace]
    assert kinds == ["start", "state", "invoke", "note"]
    assert sim.trace[1].data == {"role": "leader", "term": 3}


# ---------------------------------------------------------------- trace


def test_trace_json_round_trip_and_table():
    sim = faulty_run(3)
    text = sim.trace.to_json()
    again = Trace.from_json(text)
    assert again.to_json() == text
    assert len(again) == len(sim.trace)
    df = trace_table(sim.trace)
    assert list(df.columns[:4]) == ["index", "time", "kind", "pid"]
    assert len(df) == len(sim.trace)
    assert set(df.kind) >= {"send", "deliver", "drop", "timer", "crash", "restart", "partition"}
    assert (df[df.kind == "deliver"].msg_type == "Ping").all()


def test_trace_times_never_go_backwards():
    times = [e.time for e in faulty_run(5).trace]
    assert times == sorted(times)


# ---------------------------------------------------------------- exploration


def test_enabled_lists_every_pending_choice_and_apply_takes_any_of_them():
    sim = Simulation(1, latency=(1, 10))
    for p in "abc":
        sim.add(p, Quiet)
    sim.call("a", send("b", 1))
    sim.call("a", send("c", 2))
    choices = sim.enabled()
    assert {c.kind for c in choices} == {"deliver", "drop"} and len(choices) == 4
    late = max((c for c in choices if c.kind == "deliver"), key=lambda c: c.ref)
    sim.apply(late)  # the later one first, whatever the times
    assert sim.process("c").got and not sim.process("b").got
    drop = next(c for c in sim.enabled() if c.kind == "drop")
    sim.apply(drop)
    assert sim.enabled() == []
    with pytest.raises(ValueError, match="no longer enabled"):
        sim.apply(drop)
    assert any(c.kind == "crash" for c in sim.enabled(crashes=True))


def test_a_chooser_drives_the_whole_run():
    picks = []

    def last(sim, choices):
        c = [c for c in choices if c.kind != "drop"][-1]
        picks.append(c)
        return c

    sim = Simulation(1, chooser=last)
    sim.add("a", Beacon)
    sim.add("b", Beacon)
    for _ in range(10):
        assert sim.step()
    assert len(picks) == 10 and all(isinstance(c, Choice) for c in picks)


def test_snapshot_restore_returns_to_the_same_world_and_hash():
    sim = faulty_run(2)
    snap, fp, n = sim.snapshot(), sim.fingerprint(), len(sim.trace)
    sim.run(100)
    assert sim.fingerprint() != fp
    sim.restore(snap)
    assert sim.fingerprint() == fp and len(sim.trace) == n
    sim.run(50)
    one = sim.trace.to_json()
    sim.restore(snap)
    sim.run(50)
    assert sim.trace.to_json() == one  # RNG state restored too


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "make, error, words",
    [
        (lambda: Simulation(1, latency=-1), ValueError, "latency must be a finite number >= 0"),
        (lambda: Simulation(1, latency=(5, 1)), ValueError, "range is empty"),
        (lambda: Simulation(1, latency="fast"), ValueError, "latency must be"),
        (lambda: Simulation(1, loss=1.5), ValueError, "loss must be a probability in [0, 1]"),
        (lambda: Simulation(1, duplicate=-0.1), ValueError, "duplicate must be a probability"),
        (lambda: Simulation("x"), ValueError, "seed must be an int"),
        (lambda: Exponential(1, 0), ValueError, "tail mean"),
        (lambda: Uniform(-1, 2), ValueError, "lower bound"),
    ],
)
def test_bad_configuration_fails_with_a_clear_message(make, error, words):
    with pytest.raises(error) as exc:
        make()
    assert words in str(exc.value)


def test_bad_calls_fail_with_clear_messages():
    sim = world(1)
    with pytest.raises(KeyError, match="unknown process id 9"):
        sim.crash(9)
    with pytest.raises(ValueError, match="already exists"):
        sim.add(1, Beacon)
    with pytest.raises(ValueError, match="int or a str"):
        sim.add(2.5, Beacon)
    with pytest.raises(ValueError, match="partition group 1 is empty"):
        sim.partition([1], [])
    with pytest.raises(KeyError, match="unknown process id 7 in partition group 0"):
        sim.partition([7])
    with pytest.raises(ValueError, match="more than one partition group"):
        sim.partition([1, 2], [2])
    with pytest.raises(ValueError, match=r"partition group 0 must be an iterable of process ids"):
        sim.partition(1, 2)
    with pytest.raises(ValueError, match=r"partition group 1 must be an iterable .* got 'ab'"):
        sim.partition([1], "ab")
    with pytest.raises(ValueError, match=r"holds \[1, 2\], which is not a process id"):
        sim.partition([[1, 2], [3]])
    with pytest.raises(ValueError, match="run time must be a finite number >= 0"):
        sim.run(-5)
    with pytest.raises(ValueError, match="in the past"):
        sim.run(10) or sim.at(5, lambda s: None)
    with pytest.raises(ValueError, match="unknown link setting"):
        sim.set_link(1, 2, speed=3)
    with pytest.raises(ValueError, match="clock rate"):
        sim.set_clock(1, rate=0)
    with pytest.raises(ValueError, match="timer delay"):
        sim.call(1, lambda p, ctx: ctx.set_timer(-1, "t"))
    with pytest.raises(KeyError, match="unknown process id 'zz'"):
        sim.call(1, lambda p, ctx: ctx.send("zz", 1))
    with pytest.raises(ValueError, match="emit kind"):
        sim.call(1, lambda p, ctx: ctx.emit("send"))
    sim.crash(1)
    with pytest.raises(ValueError, match="already crashed"):
        sim.crash(1)
    with pytest.raises(ValueError, match="is crashed"):
        sim.call(1, lambda p, ctx: None)
    with pytest.raises(ValueError, match="is running"):
        sim.restart(2)
    with pytest.raises(ValueError, match="not paused"):
        sim.resume(2)
