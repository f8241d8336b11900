"""What consensus costs a workload that should not be using it.

- :func:`increment_cost` — the rate limiter a colleague proposes: every API
  request increments its user's counter in the service. An increment is a
  read and a compare-and-swap transaction (the service has no atomic
  increment), retried when another request for the same user got there
  first. Twenty API servers increment as fast as they can, in a data centre
  (one-way delays 0.2–0.3 ms, a 1 ms disk write on every replica): how many
  consensus writes each request costs, and the latency it adds to the
  request it is meant to protect.
- :func:`history_cost` — a service keeps every version of a key until a
  compaction, on every replica: what two hundred updates of one 1 KiB value
  hold, live and in history, and what a compaction gives back.
"""

from __future__ import annotations

import statistics
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from ...coord import (
    WRITES,
    Compact,
    Compare,
    CoordClient,
    CoordCluster,
    CoordCommand,
    CoordError,
    Put,
    Range,
    Txn,
)
from ...sim import Context
from ...validate import check_int, check_number


class RateLimitedServer(CoordClient):
    """An API server that, for each request, adds one to the request's user's counter
    (read, then compare-and-swap; retried until it wins), then takes the next."""

    def __init__(self, servers: Sequence[Hashable], *, users: int, **client: Any) -> None:
        super().__init__(servers, **client)
        self.users = check_int("users", users, min=1)
        self.user = ""
        self.started = 0.0
        self.latencies: list[float] = []

    def on_start(self, ctx: Context) -> None:
        self._request(ctx)

    def _request(self, ctx: Context) -> None:
        self.user = f"/ratelimit/user{ctx.rng.randrange(self.users)}"
        self.started = ctx.now
        self._read(ctx)

    def _read(self, ctx: Context) -> None:
        self.call(ctx, Range(self.user), "_count")

    def _count(self, ctx: Context, outcome: Any, sent: float) -> None:
        if isinstance(outcome, CoordError):
            self._read(ctx)
            return
        old = outcome.kvs[0].value if outcome.kvs else ""
        same = Compare(self.user, "value", "=", old) if old else Compare(self.user, "create",
                                                                         "=", 0)
        self.call(ctx, Txn(compare=(same,), success=(Put(self.user, str(int(old or 0) + 1)),)),
                  "_counted")

    def _counted(self, ctx: Context, outcome: Any, sent: float) -> None:
        if isinstance(outcome, CoordError) or not outcome.succeeded:
            self._read(ctx)
            return
        self.latencies.append(ctx.now - self.started)
        self._request(ctx)


@dataclass
class IncrementCost:
    """``requests`` increments done in ``duration`` ms by the API servers: consensus
    writes per request, requests per second, and the latency each request gained."""

    requests: int
    consensus_writes: int
    writes_per_request: float
    per_second: float
    median_ms: float
    p99_ms: float


def increment_cost(*, api_servers: int = 20, users: int = 1000, duration: float = 200.0,
                   seed: int = 1) -> IncrementCost:
    """Run the proposed rate limiter flat out for ``duration`` ms (see the module docstring)."""
    check_int("api_servers", api_servers, min=1)
    check_number("duration", duration, positive=True, unit="ms")
    svc = CoordCluster(3, seed, latency=(0.2, 0.3), disk_latency=1.0, trace=False)
    svc.cluster.wait_for_leader()
    first = svc.cluster.node(svc.leader()).log.last_index
    names = [f"api{i}" for i in range(1, api_servers + 1)]
    for name in names:
        svc.add_client(name, RateLimitedServer, users=users, timeout=20.0)
    svc.run(duration)
    log = svc.cluster.node(svc.leader()).log
    writes = sum(1 for _t, cmd in log.slice(first + 1, log.last_index)
                 if isinstance(cmd, CoordCommand) and isinstance(cmd.op, WRITES))
    latencies = sorted(x for n in names for x in svc.process(n).latencies)
    done = len(latencies)
    return IncrementCost(done, writes, writes / max(done, 1), done / duration * 1000.0,
                         statistics.median(latencies),
                         latencies[min(done - 1, int(0.99 * done))])


@dataclass
class HistoryCost:
    """Bytes of values one replica holds: the live value, every version kept for
    reads and watches of older revisions, and what is left after a compaction."""

    updates: int
    live_bytes: int
    kept_bytes: int
    after_compaction_bytes: int


def history_cost(*, updates: int = 200, value_bytes: int = 1024, seed: int = 1) -> HistoryCost:
    """Update one key ``updates`` times with ``value_bytes`` each; then compact."""
    check_int("updates", updates, min=1)
    check_int("value_bytes", value_bytes, min=1)
    svc = CoordCluster(3, seed, trace=False)
    for i in range(updates):
        svc.request(Put("/config/blob", str(i % 10) * value_bytes))
    store = svc.store(svc.leader())

    def held() -> int:
        return sum(len(kv.value) for history in store.versions.values()
                   for _rev, kv in history if kv is not None)

    live, kept = len(store.live["/config/blob"].value), held()
    svc.request(Compact(store.revision))
    return HistoryCost(updates, live, kept, held())
