"""Effects as an outbox: a handler's requests are recorded by its context, in
order, and the world carries them out after the handler returns."""

import pytest

from ddia10.sim import (
    Annotate,
    CancelTimer,
    Context,
    Emit,
    Persist,
    Process,
    Report,
    Send,
    SetTimer,
    Simulation,
)


class Busy(Process):
    """Asks for one of everything on each message, then reads its storage back."""

    def on_start(self, ctx):
        self.seen = []

    def on_message(self, ctx, src, msg):
        ctx.persist("last", [msg])
        self.seen.append(ctx.stable["last"])  # its own write, not yet applied
        ctx.annotate(got=msg)
        ctx.set_timer(5, "t")
        ctx.cancel_timer("other")
        ctx.emit("note", text="hello")
        ctx.report(("heard", msg))
        ctx.send(src, ("ack", msg))


def test_a_bare_context_records_every_effect_in_order_typed():
    ctx = Context(1, peers=(2,), now=10.0, seed=3, stable={"old": 1})
    node = Busy()
    node.on_start(ctx)
    node.on_message(ctx, 2, "m")
    assert ctx.outbox == [
        Persist("last", ["m"]),
        Annotate({"got": "m"}),
        SetTimer(5, "t"),
        CancelTimer("other"),
        Emit("note", {"text": "hello"}),
        Report(("heard", "m")),
        Send(2, ("ack", "m")),
    ]
    assert node.seen == [["m"]] and ctx.stable == {"old": 1, "last": ["m"]}


def test_take_empties_the_outbox_and_keeps_the_writes():
    ctx = Context("a", peers=("b",))
    ctx.persist("k", 1)
    ctx.send("b", "x")
    assert ctx.take() == [Persist("k", 1), Send("b", "x")]
    assert ctx.outbox == [] and ctx.stable == {"k": 1}


def test_persist_copies_at_the_call():
    ctx = Context(1)
    value = [1]
    ctx.persist("k", value)
    value.append(2)
    assert ctx.outbox == [Persist("k", [1])]


def test_a_bare_context_draws_what_the_world_would_draw():
    draws = []

    class Draw(Process):
        def on_start(self, ctx):
            draws.append(ctx.rng.random())

    Simulation(7).add("p", Draw)
    assert Context("p", seed=7).rng.random() == draws[0]


@pytest.mark.parametrize("call, error, words", [
    (lambda ctx: ctx.send(9, "x"), KeyError, "sent to unknown process id 9"),
    (lambda ctx: ctx.set_timer(-1, "t"), ValueError, "timer delay must be a finite number"),
    (lambda ctx: ctx.set_timer(float("inf"), "t"), ValueError, "timer delay"),
    (lambda ctx: ctx.set_timer("5", "t"), ValueError, "timer delay"),
    (lambda ctx: ctx.emit("shout", text="x"), ValueError, "emit kind must be"),
])
def test_a_callers_mistake_fails_at_the_call(call, error, words):
    ctx = Context(1, peers=(2,))
    with pytest.raises(error, match=words):
        call(ctx)
    assert ctx.outbox == []


@pytest.mark.parametrize("kwargs, words", [
    (dict(pid=True), "process id"),
    (dict(pid=1, peers=(1, 2)), "must not include the process itself"),
    (dict(pid=1, now=float("nan")), "now must be a finite number"),
    (dict(pid=1, seed="s"), "seed must be an int"),
    (dict(pid=1, stable=[1]), "stable must be None or a dict"),
    (dict(pid=1, incarnation=-1), "incarnation must be an int >= 0"),
])
def test_a_bare_context_checks_its_arguments(kwargs, words):
    pid = kwargs.pop("pid")
    with pytest.raises(ValueError, match=words):
        Context(pid, **kwargs)


class Echo(Process):
    def on_message(self, ctx, src, msg):
        ctx.persist("got", msg)
        self.stored = ctx.stable["got"]
        ctx.report((ctx.pid, msg))
        ctx.send(src, msg)


class Pinger(Process):
    def on_start(self, ctx):
        ctx.send(ctx.peers[0], "ping")


def test_the_world_applies_effects_after_the_handler_and_feeds_its_observer():
    facts = []
    sim = Simulation(1, latency=1.0, observer=facts.append)
    sim.add("e", Echo)
    sim.add("p", Pinger)
    sim.run(5)
    assert sim.storage("e") == {"got": "ping"} and sim.process("e").stored == "ping"
    assert facts == [("e", "ping")]
    kinds = [(e.kind, e.pid) for e in sim.trace if e.kind in ("send", "deliver")]
    assert kinds == [("send", "p"), ("deliver", "e"), ("send", "e"), ("deliver", "p")]


def test_the_observer_is_the_harnesss_not_the_worlds_state():
    facts = []
    sim = Simulation(1, latency=1.0)
    sim.add("e", Echo)
    sim.add("p", Process)
    sim.observe(facts.append)
    snap, fingerprint = sim.snapshot(), sim.fingerprint()
    sim.call("p", lambda proc, ctx: ctx.send("e", 1))
    sim.run(5)
    sim.restore(snap)
    assert sim.fingerprint() == fingerprint and sim.observer == facts.append
    sim.call("p", lambda proc, ctx: ctx.send("e", 2))
    sim.run(5)
    assert facts == [("e", 1), ("e", 2)]
    with pytest.raises(ValueError, match="observer must be None or callable"):
        sim.observe("monitor")


def test_effects_asked_for_before_a_handler_fails_still_happen():
    sim = Simulation(1, latency=1.0)
    sim.add("a", Process)
    sim.add("b", Echo)

    def send_then_fail(proc, ctx):
        ctx.send("b", "x")
        ctx.set_timer(-1)

    with pytest.raises(ValueError, match="timer delay"):
        sim.call("a", send_then_fail)
    assert [m["msg"] for m in sim.in_flight()] == ["x"]


def test_the_world_context_applies_its_own_outbox():
    sim = Simulation(1)
    sim.add("a", Process)
    with pytest.raises(RuntimeError, match="applies a running process's outbox"):
        sim.call("a", lambda proc, ctx: ctx.take())


class Clocked(Process):
    def on_start(self, ctx):
        self.count = 0
        self.last_seen = ctx.now

    def on_message(self, ctx, src, msg):
        self.count += 1
        self.last_seen = ctx.now

    def fingerprint(self):
        return {"count": self.count}  # when it last heard is a clock reading


def test_a_process_says_what_its_fingerprint_is():
    def world(latency):
        sim = Simulation(1, latency=latency)
        sim.add("c", Clocked)
        sim.add("p", Pinger)
        sim.run(10)
        return sim

    fast, slow = world(1.0), world(3.0)
    assert fast.process("c").last_seen != slow.process("c").last_seen
    assert fast.fingerprint() == slow.fingerprint()
