"""How fast is the simulator, next to the plainest event loop that does the same work?

Workload: 5 processes, each broadcasting a heartbeat to the other 4 every 10 ms
of simulated time, over links with 1-5 ms uniform latency and 10% loss, with
tracing on. The bare loop runs the very same process class on a plain
``heapq`` of (time, seq, ...) tuples with a context that can only send and set
timers: the same timers, loss draws and deliveries, with no validation, trace,
fault model, clocks or storage. The ratio of the two rates is the figure that
matters: it is what the simulator's guarantees (determinism, faults, the
trace) cost per event.

Run: ``python bench/bench_sim.py [simulated_ms]``
"""

from __future__ import annotations

import heapq
import random
import statistics
import sys
import time
from dataclasses import dataclass

from ddia10.sim import Process, Simulation

N, PERIOD, LOSS, LAT = 5, 10.0, 0.10, (1.0, 5.0)


@dataclass(frozen=True)
class Heartbeat:
    seq: int


class Heartbeater(Process):
    def on_start(self, ctx):
        self.sent = 0
        self.heard = 0
        ctx.set_timer(PERIOD, "beat")

    def on_timer(self, ctx, name):
        self.sent += 1
        beat = Heartbeat(self.sent)
        for p in ctx.peers:
            ctx.send(p, beat)
        ctx.set_timer(PERIOD, "beat")

    def on_message(self, ctx, src, msg):
        self.heard += 1


def run_sim(sim_ms: float) -> tuple[int, float]:
    sim = Simulation(seed=1, latency=LAT, loss=LOSS, trace=True)
    for i in range(1, N + 1):
        sim.add(i, Heartbeater)
    t0 = time.perf_counter()
    sim.run(sim_ms)
    dt = time.perf_counter() - t0
    events = sum(1 for e in sim.trace if e.kind in ("deliver", "timer"))
    return events, dt


class BareLoop:
    """The plainest loop that runs the same processes: a heap of (time, seq, ...)
    tuples, one RNG, and a context offering only ``peers``, ``send`` and
    ``set_timer``. No validation, trace, faults, clocks or storage."""

    def __init__(self) -> None:
        self.rng = random.Random(1)
        self.queue: list = []
        self.seq = 0
        self.now = 0.0
        self.procs = {i: Heartbeater() for i in range(1, N + 1)}
        self.ctxs = {i: BareContext(self, i) for i in self.procs}
        for i, proc in self.procs.items():
            proc.on_start(self.ctxs[i])

    def run(self, until: float) -> int:
        q, pop, procs, ctxs = self.queue, heapq.heappop, self.procs, self.ctxs
        events = 0
        while q and q[0][0] <= until:
            self.now, _, kind, dst, payload = pop(q)
            events += 1
            if kind:
                procs[dst].on_message(ctxs[dst], payload[0], payload[1])
            else:
                procs[dst].on_timer(ctxs[dst], payload)
        return events


class BareContext:
    def __init__(self, loop: BareLoop, pid: int) -> None:
        self.loop, self.pid = loop, pid
        self.peers = tuple(p for p in range(1, N + 1) if p != pid)

    def send(self, dst, msg) -> None:
        loop = self.loop
        if loop.rng.random() >= LOSS:
            loop.seq += 1
            heapq.heappush(
                loop.queue, (loop.now + loop.rng.uniform(*LAT), loop.seq, 1, dst, (self.pid, msg))
            )

    def set_timer(self, delay, name) -> None:
        loop = self.loop
        loop.seq += 1
        heapq.heappush(loop.queue, (loop.now + delay, loop.seq, 0, self.pid, name))


def run_bare(sim_ms: float) -> tuple[int, float]:
    loop = BareLoop()
    t0 = time.perf_counter()
    events = loop.run(sim_ms)
    return events, time.perf_counter() - t0


def main() -> None:
    sim_ms = float(sys.argv[1]) if len(sys.argv) > 1 else 20_000.0
    ratios, sim_rates, bare_rates = [], [], []
    for _ in range(5):
        e_sim, t_sim = run_sim(sim_ms)
        e_bare, t_bare = run_bare(sim_ms)
        sim_rates.append(e_sim / t_sim)
        bare_rates.append(e_bare / t_bare)
        ratios.append((e_sim / t_sim) / (e_bare / t_bare))
    print(
        f"workload: {N} processes, all-to-all heartbeat every {PERIOD:g} ms, "
        f"latency {LAT[0]:g}-{LAT[1]:g} ms, loss {LOSS:.0%}, {sim_ms:g} simulated ms, tracing on"
    )
    print(f"simulator : {statistics.median(sim_rates):>12,.0f} events/s  ({e_sim:,} events)")
    print(f"bare heapq: {statistics.median(bare_rates):>12,.0f} events/s  ({e_bare:,} events)")
    print(f"ratio     : {statistics.median(ratios):.1%} of the bare loop (median of 5 runs)")


if __name__ == "__main__":
    main()
