"""Real servers beside the simulations: a harness to run them, and drivers.

:mod:`.services` starts and stops any server (temporary folder, free ports,
readiness, stop by PID, an unprivileged user when we are root);
:mod:`.postgres` runs throwaway PostgreSQL servers; :mod:`.runtime` runs one
protocol process for real (its log a file, its timers on the wall clock);
:mod:`.prepared` drives PostgreSQL's prepared transactions with the
simulator's two-phase commit coordinator; :mod:`.etcd` runs throwaway etcd
clusters, and :mod:`.fenced` serves the simulator's fenced resource over HTTP
and runs a lock holder as a process of its own. Protocol modules never import this
package; chapters reach it through their scenario modules.
"""

from .services import (
    Service,
    ServiceUnavailable,
    Workspace,
    find_program,
    free_port,
    free_ports,
    running_services,
    service_user,
    stop_all,
    wait_until,
)

__all__ = [
    "Service",
    "ServiceUnavailable",
    "Workspace",
    "find_program",
    "free_port",
    "free_ports",
    "running_services",
    "service_user",
    "stop_all",
    "wait_until",
]
