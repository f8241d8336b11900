"""EPaxos's safety properties as code.

Replicas report what they commit and execute (``ctx.report``); the
:class:`EPaxosMonitor` of the harness judges:

- **Consistency** (the paper's): every replica that commits an instance
  commits the same command with the same attributes.
- **Execution order**: every replica executes interfering commands (here:
  commands on one key) in the same order. A replica's executions on a key
  are therefore a prefix of one sequence per key; a replica that restarts
  rebuilds its state and starts a new prefix of the same sequence.
- **Executed only when committed**.

A fact carries everything the monitor needs. Violations are recorded when
heard; :meth:`EPaxosMonitor.check` raises the first one.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from ..invariants import InvariantViolation

CONSISTENCY = "consistency"
EXECUTION_ORDER = "conflicting commands execute in one order"
EXECUTED_WHEN_COMMITTED = "executed only when committed"
INVARIANTS = (CONSISTENCY, EXECUTION_ORDER, EXECUTED_WHEN_COMMITTED)


@dataclass(frozen=True)
class CommittedAttributes:
    """``replica`` committed ``cmd`` in ``instance`` with ``seq`` and ``deps``;
    ``path`` says how: ``fast``, ``slow``, ``recovered`` or ``learned``."""

    replica: Hashable
    instance: tuple
    cmd: Any
    seq: int
    deps: frozenset
    path: str


@dataclass(frozen=True)
class ExecutedCommand:
    """``replica`` (in its life ``life``) executed ``cmd`` of ``instance``, a
    command on ``key`` (``None``: a no-op, which orders nothing)."""

    replica: Hashable
    life: int
    instance: tuple
    cmd: Any
    key: Hashable


class EPaxosMonitor:
    """Hears what EPaxos replicas report and judges :data:`INVARIANTS`."""

    def __init__(self) -> None:
        self.committed: dict[tuple, tuple] = {}  # instance -> (cmd, seq, deps)
        self.paths: dict[str, int] = {}  # how leaders committed their own commands
        self.orders: dict[Hashable, list] = {}  # key -> the one execution sequence
        self.positions: dict[tuple, int] = {}  # (replica, life, key) -> executions so far
        self.violations: list[InvariantViolation] = []

    def hear(self, fact: Any) -> None:
        if isinstance(fact, CommittedAttributes):
            self._committed(fact)
        elif isinstance(fact, ExecutedCommand):
            self._executed(fact)

    def check(self) -> None:
        if self.violations:
            raise self.violations[0]

    def fingerprint(self) -> tuple:
        return (len(self.committed), tuple(sorted((k, len(v)) for k, v in self.orders.items())),
                len(self.violations))

    def _committed(self, fact: CommittedAttributes) -> None:
        attributes = (fact.cmd, fact.seq, fact.deps)
        known = self.committed.setdefault(fact.instance, attributes)
        if known != attributes:
            self._fail(CONSISTENCY, f"replica {fact.replica!r} committed instance "
                       f"{fact.instance} as {_shown(attributes)}, another as {_shown(known)}")
        if fact.path in ("fast", "slow") and fact.replica == fact.instance[0]:
            self.paths[fact.path] = self.paths.get(fact.path, 0) + 1

    def _executed(self, fact: ExecutedCommand) -> None:
        if fact.instance not in self.committed:
            self._fail(EXECUTED_WHEN_COMMITTED, f"replica {fact.replica!r} executed instance "
                       f"{fact.instance}, which nobody committed")
        if fact.key is None:
            return
        where = (fact.replica, fact.life, fact.key)
        position = self.positions.get(where, 0)
        self.positions[where] = position + 1
        order = self.orders.setdefault(fact.key, [])
        if position < len(order):
            if order[position] != fact.instance:
                self._fail(EXECUTION_ORDER, f"replica {fact.replica!r} executed {fact.cmd!r} "
                           f"(instance {fact.instance}) as command #{position + 1} on "
                           f"{fact.key!r}, where another replica executed instance "
                           f"{order[position]}")
        elif position == len(order):
            order.append(fact.instance)

    def _fail(self, invariant: str, evidence: str) -> None:
        self.violations.append(InvariantViolation(invariant, evidence))


def _shown(attributes: tuple) -> str:
    cmd, seq, deps = attributes
    return f"{cmd!r} seq {seq} deps {sorted(deps)}"
