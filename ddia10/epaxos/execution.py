"""In which order a replica executes committed EPaxos commands.

The committed instances and their ``deps`` form a graph. A replica executes a
command only once every instance it can reach in that graph is committed, and
then executes the graph's strongly connected components in reverse
topological order (what a command depends on first); inside one component,
where commands depend on each other in a cycle, it orders them by ``seq`` and
then by instance id. Every replica that commits the same attributes builds the
same component around a command, so every replica executes interfering
commands in the same order — the property EPaxos exists for.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any


def execution_order(start: Hashable, committed: Mapping[Hashable, tuple[int, Any]],
                    executed: set) -> tuple[list, set]:
    """What executing ``start`` takes: ``(order, missing)``. ``committed`` maps an
    instance to its ``(seq, deps)``; instances in ``executed`` are done and not
    walked. If some instance reachable from ``start`` is not committed, ``order``
    is empty and ``missing`` names what is waited for; else ``order`` lists the
    instances to execute now, in order (Tarjan's algorithm, iteratively)."""
    index: dict[Hashable, int] = {}
    low: dict[Hashable, int] = {}
    stack: list = []
    on_stack: set = set()
    order: list = []
    missing: set = set()
    work = [(start, iter(sorted(committed[start][1], key=repr)))]
    index[start] = low[start] = 0
    stack.append(start)
    on_stack.add(start)
    while work:
        node, edges = work[-1]
        advanced = False
        for dep in edges:
            if dep in executed:
                continue
            if dep not in committed:
                missing.add(dep)
                continue
            if dep not in index:
                index[dep] = low[dep] = len(index)
                stack.append(dep)
                on_stack.add(dep)
                work.append((dep, iter(sorted(committed[dep][1], key=repr))))
                advanced = True
                break
            if dep in on_stack:
                low[node] = min(low[node], index[dep])
        if advanced:
            continue
        work.pop()
        if work:
            parent = work[-1][0]
            low[parent] = min(low[parent], low[node])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            order.extend(sorted(component, key=lambda i: (committed[i][0], i)))
    if missing:
        return [], missing
    return order, missing
