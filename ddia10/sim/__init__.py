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
"""

from .latency import Exponential, Fixed, Latency, Uniform, as_latency
from .network import LinkSpec, Network
from .trace import KINDS, Event, Trace, jsonable
from .world import Choice, Context, Process, Simulation, SimulationTimeout

__all__ = [
    "KINDS",
    "Choice",
    "Context",
    "Event",
    "Exponential",
    "Fixed",
    "Latency",
    "LinkSpec",
    "Network",
    "Process",
    "Simulation",
    "SimulationTimeout",
    "Trace",
    "Uniform",
    "as_latency",
    "jsonable",
]
