"""The deterministic simulated world: processes, network, faults, trace.

Start here::

    from ddia10.sim import Simulation, Process

    class Echo(Process):
        def on_message(self, ctx, src, msg):
            ctx.send(src, msg)

    sim = Simulation(seed=1, latency=(1, 5), loss=0.1)
    sim.add("a", Echo)
    sim.run(100)
    sim.trace.of_kind("deliver")

:mod:`.faults` draws random fault schedules for campaigns. The simulator
imports no pandas: :func:`ddia10.viz.trace_table.trace_table` shows a trace as
a table.

A handler's sends, timers and writes are requests its
:class:`~ddia10.sim.context.Context` records and the world carries out after
the handler returns; a bare ``Context(pid, peers=...)`` steps one process alone
and shows what it asked for (``ctx.outbox``).
"""

from .context import (
    Annotate,
    CancelTimer,
    Context,
    Effect,
    Emit,
    Persist,
    Report,
    Send,
    SetTimer,
)
from .latency import Exponential, Fixed, Latency, Uniform, as_latency
from .network import LinkSpec, Network
from .trace import KINDS, Event, Trace, jsonable
from .world import Choice, Process, Simulation, SimulationTimeout, canonical

__all__ = [
    "KINDS",
    "Annotate",
    "CancelTimer",
    "Choice",
    "Context",
    "Effect",
    "Emit",
    "Event",
    "Exponential",
    "Fixed",
    "Latency",
    "LinkSpec",
    "Network",
    "Persist",
    "Process",
    "Report",
    "Send",
    "SetTimer",
    "Simulation",
    "SimulationTimeout",
    "Trace",
    "Uniform",
    "as_latency",
    "canonical",
    "jsonable",
]
