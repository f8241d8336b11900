"""A tour of the simulated service: revisions, a transaction, a lease, a watch, the errors.

- :func:`revisions_tour` — a few writes, a create-if-absent transaction tried
  twice, a read of an older revision and a delete, each with the revision it
  made and what the key records (create revision, mod revision, version).
- :func:`lease_run` — a lease with a key kept alive three times, then left
  alone: when the key disappears, measured against the last keep-alive.
- :func:`discovery_run` — the seed's service discovery in four steps, with an
  instance that crashes without deregistering: what a discoverer sees, when.
- :func:`error_table` — every kind of bad request and the answer it gets.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...coord import (
    MAX_REQUEST_BYTES,
    Compact,
    Compare,
    CoordCluster,
    CoordError,
    DeleteRange,
    Discoverer,
    LeaseGrant,
    LeaseKeepAlive,
    LeaseRevoke,
    Put,
    Range,
    ServiceInstance,
    Txn,
    prefix_end,
)
from ...validate import check_int


def revisions_tour(seed: int = 1):
    """One row per request: what it was, the store's revision after it, and what
    ``/config`` then records."""
    import pandas as pd

    check_int("seed", seed)
    svc = CoordCluster(3, seed)
    create = Txn(compare=(Compare("/lock", "create", "=", 0),), success=(Put("/lock", "a"),),
                 failure=(Range("/lock"),))
    steps = [
        ("put /config = v1", Put("/config", "v1")),
        ("put /other = x", Put("/other", "x")),
        ("put /config = v2", Put("/config", "v2")),
        ("txn: if /lock absent, put /lock = a", create),
        ("the same txn again", create),
        ("get /config at revision 2", Range("/config", revision=2)),
        ("delete /config", DeleteRange("/config")),
        ("put /config = v3", Put("/config", "v3")),
    ]
    rows = []
    for label, op in steps:
        result = svc.request(op)
        now = svc.request(Range("/config")).kvs
        kv = now[0] if now else None
        extra = ""
        if isinstance(op, Txn):
            extra = "succeeded" if result.succeeded else "failed: /lock exists"
        elif isinstance(op, Range):
            extra = f"value then: {result.kvs[0].value}"
        rows.append({"request": label, "revision after": result.revision, "note": extra,
                     "/config value": kv.value if kv else "—",
                     "create rev": kv.create_revision if kv else 0,
                     "mod rev": kv.mod_revision if kv else 0,
                     "version": kv.version if kv else 0})
    return pd.DataFrame(rows)


@dataclass
class LeaseRun:
    """When (simulated ms) the lease was granted and last kept alive, and when its
    key was gone (seen by polling every 50 ms); its TTL in seconds."""

    ttl: int
    granted: float
    last_keep_alive: float
    gone: float


def lease_run(seed: int = 1, ttl: int = 2) -> LeaseRun:
    """Grant a lease, attach a key, keep it alive three times a TTL apart-ish, stop."""
    svc = CoordCluster(3, seed)
    svc.run(1000)
    lease = svc.request(LeaseGrant(ttl)).id
    granted = svc.sim.now
    svc.request(Put("/services/payment/a", "10.0.0.1:8080", lease))
    last = granted
    for _ in range(3):
        svc.run(ttl * 1000 * 0.6)
        last = svc.sim.now
        svc.request(LeaseKeepAlive(lease))
    while svc.request(Range("/services/payment/a")).kvs:
        svc.run(50)
    return LeaseRun(ttl, granted, last, svc.sim.now)


@dataclass
class DiscoveryRun:
    """What the discoverer listed, over time: ``(ms, instances)`` each time its view
    changed; and when the crashed instance last renewed and when it vanished."""

    views: list[tuple[float, tuple[str, ...]]]
    crashed_at: float
    vanished_at: float


def discovery_run(seed: int = 1) -> DiscoveryRun:
    """Three instances register under leases of 2 s; ``s3`` crashes (it never
    deregisters); ``s1`` leaves cleanly; ``d`` watches it all."""
    svc = CoordCluster(3, seed)
    for pid in ("s1", "s2", "s3"):
        svc.add_client(pid, ServiceInstance, ttl=2, up=(1e9, 1e9), down=(50.0, 300.0))
    svc.add_client("d", Discoverer)
    svc.run(2000)
    crashed_at = svc.sim.now
    svc.sim.crash("s3")
    svc.run(500)
    svc.sim.call("s1", lambda s1, ctx: s1.leave(ctx))
    svc.run(4000)
    views, vanished = [], None
    for ev in svc.sim.trace:
        if ev.pid == "d" and ev.kind == "state" and "instances" in ev.data:
            views.append((ev.time, tuple(ev.data["instances"])))
            if vanished is None and ev.time > crashed_at and "s3" not in ev.data["instances"]:
                vanished = ev.time
    return DiscoveryRun(views, crashed_at, vanished)


def error_table(seed: int = 1):
    """Each kind of bad request, what the simulated service answers, and why."""
    import pandas as pd

    svc = CoordCluster(3, seed)
    for value in ("1", "2", "3"):
        svc.request(Put("/k", value))
    svc.request(Compact(3))
    expired = svc.request(LeaseGrant(1)).id
    svc.run(2500)
    rows = []

    def answer(label: str, make, why: str) -> None:
        try:
            op = make()
            outcome = svc.request(op)
            said = f"ok: {outcome!r}"[:90]
        except CoordError as error:
            said = error.message
        except ValueError as error:
            said = f"refused by the client: {error}"
        rows.append({"request": label, "answer": said, "why": why})

    answer("lease grant with TTL 0", lambda: LeaseGrant(0),
           "our client checks TTL >= 1; etcd's server raises a short TTL to its minimum")
    answer("get /k at revision 2 (compacted at 3)", lambda: Range("/k", revision=2),
           "that version is gone")
    answer("get /k at revision 99", lambda: Range("/k", revision=99), "not there yet")
    rows.append({"request": "watch /k from revision 2", "answer": _watch_answer(svc),
                 "why": "a watch is told the compaction revision, to start again from there"})
    answer("put of a 1.6 MB value", lambda: Put("/big", "x" * 1_600_000),
           f"over the {MAX_REQUEST_BYTES / 2**20:g} MiB request limit")
    answer("put under lease 77 (never granted)", lambda: Put("/k", "v", 77), "no such lease")
    answer("keep-alive of an expired lease", lambda: LeaseKeepAlive(expired),
           "it ran out; its keys are gone")
    answer("revoke lease 77", lambda: LeaseRevoke(77), "no such lease")
    answer("txn putting /k twice", lambda: Txn(success=(Put("/k", "a"), Put("/k", "b"))),
           "one write per key per transaction")
    answer("compact at revision 2 again", lambda: Compact(2), "already compacted past it")
    answer("delete range [/b, /a)", lambda: DeleteRange("/b", "/a"), "an empty range")
    return pd.DataFrame(rows)


def _watch_answer(svc: CoordCluster) -> str:
    """A watch answers with a cancelled stream, not a reply: ask through a client."""
    svc.add_client("watcher")
    svc.sim.call("watcher", lambda w, ctx: w.watch(ctx, "/k", prefix_end("/k"), 2))
    svc.run(50)
    cancelled = [ev.data["msg"] for ev in svc.sim.trace.of_kind("deliver")
                 if ev.pid == "watcher" and getattr(ev.data["msg"], "compact_revision", 0)]
    if not cancelled:
        return "no answer"
    return (f"stream cancelled, compact_revision={cancelled[0].compact_revision} "
            "(etcd: required revision has been compacted)")
