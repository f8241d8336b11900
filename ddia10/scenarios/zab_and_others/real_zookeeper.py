"""Chapter 7's real ZooKeeper: the epoch in real zxids, and a stale read made fresh by sync.

:func:`real_zookeeper` starts a three-server ensemble of its own
(:class:`~ddia10.real.zookeeper.ZooKeeperEnsemble`), writes through the
leader with kazoo and reads every write's zxid from ZooKeeper's answer (the
``mzxid`` of the znode's stat). It kills the leader with ``SIGKILL``, waits
for the other two to elect a new one, and writes again: the new zxid's epoch
(high 32 bits) is higher and its counter (low 32 bits) has started again near
the bottom; the old leader, restarted, comes back as a follower. Then a stale
read: a follower is frozen while the leader commits a write with the other
follower's acknowledgement, a client of the frozen follower asks for the value
after the write was acknowledged, and the follower, thawed, answers from what
it has applied — the old value. The race
is tried again (up to :data:`STALE_ATTEMPTS` times) until the stale answer is
seen; the same read after ``sync`` then returns the new value. Everything is
stopped and removed at the end, whatever happens.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from ...real.zookeeper import ZooKeeperEnsemble
from ...zab import zxid_counter, zxid_epoch

PATH = "/ddia10/x"
STALE_ATTEMPTS = 30
"""How many times the stale-read race is tried before giving up."""


@dataclass(frozen=True)
class ZxidSeen:
    """A write and the zxid ZooKeeper gave it, with the zxid's two halves."""

    value: str
    server: int
    zxid: int

    @property
    def epoch(self) -> int:
        return zxid_epoch(self.zxid)

    @property
    def counter(self) -> int:
        return zxid_counter(self.zxid)


@dataclass
class ZooKeeperRun:
    """What :func:`real_zookeeper` saw: the timings (seconds), the writes before and
    after the leader was killed, and the stale read."""

    timings: dict = field(default_factory=dict)
    first_leader: int | None = None
    second_leader: int | None = None
    writes: list[ZxidSeen] = field(default_factory=list)
    killed_after: int = 0  # how many of ``writes`` the first leader took
    stale_attempts: int = 0
    stale_value: str | None = None  # what the frozen follower answered
    stale_zxid: int = 0  # the zxid of that answer
    written_value: str | None = None  # what the leader had acknowledged before the read
    synced_value: str | None = None  # the same read after sync
    synced_zxid: int = 0
    server_pids: list[int] = field(default_factory=list)

    @property
    def before(self) -> list[ZxidSeen]:
        return self.writes[: self.killed_after]

    @property
    def after(self) -> list[ZxidSeen]:
        return self.writes[self.killed_after:]

    def table(self):
        """One row per write: the value, who led, the zxid and its two halves."""
        import pandas as pd

        return pd.DataFrame([{"value": w.value, "leader": w.server, "zxid": f"{w.zxid:#x}",
                              "epoch (high 32 bits)": w.epoch,
                              "counter (low 32 bits)": w.counter} for w in self.writes])


def real_zookeeper(n: int = 3) -> ZooKeeperRun:
    """Run the chapter's story on a real ensemble of ``n`` servers (see the module
    docstring). Raises :class:`~ddia10.real.ServiceUnavailable` when ZooKeeper,
    Java or kazoo is missing."""
    logging.getLogger("kazoo").setLevel(logging.CRITICAL)  # it reports every lost connection
    run = ZooKeeperRun()
    ensemble = ZooKeeperEnsemble(n)
    try:
        run.timings = ensemble.start()
        run.first_leader = ensemble.leader()
        client = ensemble.client(run.first_leader)
        client.ensure_path(PATH)
        for value in ("a", "b", "c"):
            run.writes.append(ZxidSeen(value, run.first_leader,
                                       client.set(PATH, value.encode()).mzxid))
        run.killed_after = len(run.writes)
        ensemble.kill(run.first_leader)
        began = time.monotonic()
        run.second_leader = ensemble.wait_for_leader()
        run.timings["leader killed → new leader (s)"] = round(time.monotonic() - began, 2)
        client = ensemble.client(run.second_leader)
        for value in ("d", "e"):
            run.writes.append(ZxidSeen(value, run.second_leader,
                                       client.set(PATH, value.encode()).mzxid))
        began = time.monotonic()
        ensemble.restart(run.first_leader)  # it comes back as a follower
        run.timings["old leader back, following (s)"] = round(time.monotonic() - began, 2)
        _stale_read(ensemble, client, run)
    finally:
        run.server_pids = list(ensemble.pids)
        ensemble.close()
    return run


def _stale_read(ensemble: ZooKeeperEnsemble, leader_client, run: ZooKeeperRun) -> None:
    follower = next(p for p, m in ensemble.modes().items() if m == "follower")
    reader = ensemble.client(follower)
    reader.sync(PATH)
    for attempt in range(1, STALE_ATTEMPTS + 1):
        run.stale_attempts = attempt
        ensemble.pause(follower)
        try:
            run.written_value = f"new {attempt}"
            leader_client.set(PATH, run.written_value.encode())  # acknowledged: committed
            answer = reader.get_async(PATH)  # asked after the write was acknowledged
            time.sleep(0.05)
        finally:
            ensemble.resume(follower)
        value, stat = answer.get(timeout=10)
        run.stale_value, run.stale_zxid = value.decode(), stat.mzxid
        if run.stale_value != run.written_value:
            break
        time.sleep(0.1)
    reader.sync(PATH)
    value, stat = reader.get(PATH)
    run.synced_value, run.synced_zxid = value.decode(), stat.mzxid
