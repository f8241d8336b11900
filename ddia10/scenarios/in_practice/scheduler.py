"""The design challenge: workers claim tasks, each to run once. Three designs, measured.

- ``"lock"`` — **a lock per task**: a worker takes the lock ``/locks/<task>``
  (a create-if-absent transaction under its lease), reads ``/tasks/<task>``,
  runs it if still pending, writes ``done`` and deletes the lock.
- ``"cas"`` — **a compare-and-swap claim**: one transaction turns
  ``/tasks/<task>`` from ``pending`` into ``claimed:<worker>``; the winner runs
  it and writes ``done``. The claim is a plain key: nobody's lease ends it.
- ``"partitions"`` — **leader-assigned partitions**: one scheduler, elected
  once, writes a partition map to the service; each worker registers under a
  lease and runs the tasks of its partition from an ordinary task database
  (not the consensus store). When a worker's key disappears the scheduler
  gives its partition to another worker.

:func:`scheduler_run` runs one design, optionally pausing one worker in the
middle of a task for longer than its lease, and counts: consensus writes per
task (entries the service's log took, read from the leader's log), when the
last task finished, tasks run twice, tasks not finished. :func:`ceiling`
turns writes per task into the task rate a write budget allows.

The task database and the ledger of executions are one process,
:class:`TaskDatabase`: an ordinary store, not replicated.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from ...coord import (
    WRITES,
    Compare,
    CoordClient,
    CoordCluster,
    CoordCommand,
    CoordError,
    DeleteRange,
    Put,
    Range,
    Txn,
    WatchEvent,
    prefix_end,
)
from ...sim import Context, Process
from ...validate import check_choice, check_int, check_number

DESIGNS = ("lock", "cas", "partitions")
TASKS = 60
WORKERS = 4
TASK_WORK = 40.0
"""How long running one task takes (ms)."""
LEASE_TTL = 1


class TaskDatabase(Process):
    """An ordinary database: which tasks are done, and every execution reported."""

    def __init__(self, tasks: int) -> None:
        self.pending = set(range(tasks))
        self.executions: list[tuple[Hashable, int]] = []

    def on_message(self, ctx: Context, src: Hashable, msg: Any) -> None:
        kind, task = msg
        if kind == "ran":
            self.executions.append((src, task))
            self.pending.discard(task)
        elif kind == "pending?":  # task is a partition: (index, count)
            index, count = task
            ctx.send(src, ("pending", tuple(sorted(t for t in self.pending
                                                   if t % count == index))))


class _Worker(CoordClient):
    """What every design's worker shares: run a task, report it, take the next."""

    def __init__(self, servers: Sequence[Hashable], *, tasks: int, db: Hashable = "taskdb",
                 **client: Any) -> None:
        super().__init__(servers, **client)
        self.tasks = list(range(tasks))
        self.db = db
        self.current: int | None = None
        self.ran: set[int] = set()  # what this worker ran (its reports may still be in flight)

    def run_task(self, ctx: Context, task: int) -> None:
        self.current = task
        ctx.annotate(role="running", task=task)
        ctx.set_timer(TASK_WORK, "ran")

    def on_timer(self, ctx: Context, name: Hashable) -> None:
        if name == "ran":
            ctx.annotate(role="between tasks")
            self.ran.add(self.current)
            ctx.send(self.db, ("ran", self.current))
            self.finished(ctx, self.current)
        elif name == "next":
            self.next_task(ctx)
        else:
            super().on_timer(ctx, name)

    def _drop(self, task: int) -> None:
        if task in self.tasks:
            self.tasks.remove(task)

    def next_task(self, ctx: Context) -> None:
        """Pick a task not known to be done and read its status (a read costs no
        consensus write); claim it if it looks pending."""
        if not self.tasks:
            ctx.annotate(role="done")
            return
        self.current = self.tasks[ctx.rng.randrange(len(self.tasks))]
        self.call(ctx, Range(f"/tasks/{self.current}"), "_looked")

    def _looked(self, ctx: Context, outcome: Any, sent: float) -> None:
        status = outcome.kvs[0].value if not isinstance(outcome, CoordError) else ""
        if status.startswith("done"):
            self._drop(self.current)
            self.next_task(ctx)
        elif status == "pending":
            self.claim(ctx, self.current)
        else:  # someone has it: look again a little later
            ctx.set_timer(20.0, "next")

    def claim(self, ctx: Context, task: int) -> None:
        """Try to make ``task`` ours."""

    def finished(self, ctx: Context, task: int) -> None:
        """The task ran; record it and go on."""


class LockWorker(_Worker):
    """Design 1: a lock per task."""

    def on_start(self, ctx: Context) -> None:
        self.start_session(ctx, LEASE_TTL, "_ready")

    def _ready(self, ctx: Context, lease: int, sent: float) -> None:
        self.next_task(ctx)

    def claim(self, ctx: Context, task: int) -> None:
        lock = f"/locks/{task}"
        self.call(ctx, Txn(compare=(Compare(lock, "create", "=", 0),),
                           success=(Put(lock, str(ctx.pid), self.lease), Range(f"/tasks/{task}")),
                           failure=(Range(f"/tasks/{task}"),)), "_locked")

    def _locked(self, ctx: Context, outcome: Any, sent: float) -> None:
        task = self.current
        if isinstance(outcome, CoordError):
            self.on_session_lost(ctx)
            return
        status = outcome.responses[-1].kvs[0].value
        if status.startswith("done"):
            self._drop(task)
        if not outcome.succeeded:
            ctx.set_timer(20.0, "next")
        elif status == "pending":
            self.run_task(ctx, task)
        else:
            self.call(ctx, DeleteRange(f"/locks/{task}"))
            self.next_task(ctx)

    def finished(self, ctx: Context, task: int) -> None:
        self.call(ctx, Put(f"/tasks/{task}", f"done:{ctx.pid}"))
        self.call(ctx, DeleteRange(f"/locks/{task}"))
        self._drop(task)
        self.next_task(ctx)

    def on_session_lost(self, ctx: Context) -> None:
        self.end_session(ctx)
        self.start_session(ctx, LEASE_TTL, "_ready")


class CasWorker(_Worker):
    """Design 3: claim a task with one compare-and-swap."""

    def on_start(self, ctx: Context) -> None:
        self.next_task(ctx)

    def claim(self, ctx: Context, task: int) -> None:
        key = f"/tasks/{task}"
        self.call(ctx, Txn(compare=(Compare(key, "value", "=", "pending"),),
                           success=(Put(key, f"claimed:{ctx.pid}"),), failure=(Range(key),)),
                  "_claimed")

    def _claimed(self, ctx: Context, outcome: Any, sent: float) -> None:
        task = self.current
        if outcome.succeeded:
            self.run_task(ctx, task)
            return
        if outcome.responses[0].kvs[0].value.startswith("done"):
            self._drop(task)
        ctx.set_timer(20.0, "next")  # claimed by someone else: look again later

    def finished(self, ctx: Context, task: int) -> None:
        self.call(ctx, Put(f"/tasks/{task}", f"done:{ctx.pid}"))
        self._drop(task)
        self.next_task(ctx)


class PartitionWorker(_Worker):
    """Design 2: register, read the partition map, run your partition's tasks from
    the task database."""

    def on_start(self, ctx: Context) -> None:
        self.partition: tuple[int, int] | None = None
        self.queue: list[int] = []
        self.start_session(ctx, LEASE_TTL, "_register")

    def _register(self, ctx: Context, lease: int, sent: float) -> None:
        self.call(ctx, Put(f"/workers/{ctx.pid}", "up", lease), "_registered")

    def _registered(self, ctx: Context, outcome: Any, sent: float) -> None:
        self.call(ctx, Range("/partitions"), "_map")

    def _map(self, ctx: Context, outcome: Any, sent: float) -> None:
        if not isinstance(outcome, CoordError) and outcome.kvs:
            self._assigned(ctx, outcome.kvs[0].value)
        self.watch(ctx, "/partitions", None, outcome.revision + 1)

    def on_watch_events(self, ctx: Context, events: tuple[WatchEvent, ...]) -> None:
        if events[-1].type == "put":
            self._assigned(ctx, events[-1].kv.value)

    def _assigned(self, ctx: Context, assignment: str) -> None:
        owners = assignment.split(",")
        mine = [i for i, owner in enumerate(owners) if owner == str(ctx.pid)]
        partition = (mine[0], len(owners)) if mine else None
        if partition != self.partition:
            self.partition = partition
            self.queue = []
            if partition is not None and self.current is None:
                ctx.send(self.db, ("pending?", partition))

    def on_message(self, ctx: Context, src: Hashable, msg: Any) -> None:
        if isinstance(msg, tuple) and msg[0] == "pending":
            self.queue = [t for t in msg[1] if t not in self.ran]
            self.next_task(ctx)
        else:
            super().on_message(ctx, src, msg)

    def next_task(self, ctx: Context) -> None:
        if self.queue:
            self.run_task(ctx, self.queue.pop(0))
        else:
            self.current = None
            ctx.annotate(role="idle")

    def finished(self, ctx: Context, task: int) -> None:
        self.current = None
        if self.queue:
            self.next_task(ctx)
        elif self.partition is not None:
            ctx.send(self.db, ("pending?", self.partition))

    def on_session_lost(self, ctx: Context) -> None:
        self.end_session(ctx)
        self.start_session(ctx, LEASE_TTL, "_register")


class PartitionScheduler(CoordClient):
    """The elected scheduler: writes the partition map, and rewrites it when a
    worker's registration disappears."""

    def __init__(self, servers: Sequence[Hashable], *, workers: Sequence[Hashable],
                 **client: Any) -> None:
        super().__init__(servers, **client)
        self.workers = [str(w) for w in workers]
        self.alive: set[str] = set()
        self.assigned = False

    def on_start(self, ctx: Context) -> None:
        self.start_session(ctx, LEASE_TTL, "_elected")

    def _elected(self, ctx: Context, lease: int, sent: float) -> None:
        self.call(ctx, Txn(compare=(Compare("/scheduler", "create", "=", 0),),
                           success=(Put("/scheduler", str(ctx.pid), lease),)), "_lead")

    def _lead(self, ctx: Context, outcome: Any, sent: float) -> None:
        self.call(ctx, Range("/workers/", prefix_end("/workers/")), "_listed")

    def _listed(self, ctx: Context, outcome: Any, sent: float) -> None:
        self.alive = {kv.key.rsplit("/", 1)[1] for kv in outcome.kvs}
        self._assign(ctx)
        self.watch(ctx, "/workers/", prefix_end("/workers/"), outcome.revision + 1)

    def on_watch_events(self, ctx: Context, events: tuple[WatchEvent, ...]) -> None:
        before = set(self.alive)
        for e in events:
            name = e.key.rsplit("/", 1)[1]
            (self.alive.add if e.type == "put" else self.alive.discard)(name)
        if self.alive != before:
            self._assign(ctx)

    def _assign(self, ctx: Context) -> None:
        """One partition per worker; a missing worker's goes to the next one alive.
        The first map waits until every worker has registered."""
        alive = [w for w in self.workers if w in self.alive]
        if not alive or not self.assigned and len(alive) < len(self.workers):
            return
        self.assigned = True
        owners = [w if w in self.alive else alive[i % len(alive)]
                  for i, w in enumerate(self.workers)]
        self.call(ctx, Put("/partitions", ",".join(owners)))


@dataclass
class SchedulerRun:
    """One design's run: consensus writes per task, when the last task finished
    (ms after the start), tasks run more than once, tasks never run."""

    design: str
    paused: bool
    tasks: int
    consensus_writes: int
    writes_per_task: float
    finished_ms: float | None
    ran_twice: int
    unfinished: int


def scheduler_run(design: str, *, pause: bool = False, seed: int = 1, tasks: int = TASKS,
                  workers: int = WORKERS, horizon: float = 20_000.0) -> SchedulerRun:
    """Run ``design`` over ``tasks`` tasks with ``workers`` workers; with ``pause``,
    worker ``w1`` is paused in the middle of a task for 3 s (three lease TTLs)."""
    check_choice("design", design, DESIGNS)
    check_int("tasks", tasks, min=1)
    check_int("workers", workers, min=1)
    check_number("horizon", horizon, positive=True, unit="ms")
    svc = CoordCluster(3, seed)
    svc.cluster.wait_for_leader()
    if design != "partitions":
        for t in range(tasks):
            svc.request(Put(f"/tasks/{t}", "pending"))
    start_index = svc.cluster.node(svc.leader()).log.last_index
    start = svc.sim.now
    svc.sim.add("taskdb", lambda: TaskDatabase(tasks))
    names = [f"w{i}" for i in range(1, workers + 1)]
    cls = {"lock": LockWorker, "cas": CasWorker, "partitions": PartitionWorker}[design]
    for name in names:
        svc.add_client(name, cls, tasks=tasks)
    if design == "partitions":
        svc.add_client("scheduler", PartitionScheduler, workers=names)
    if pause:
        svc.sim.at(start + 200.0, _pause_mid_task)
    db = svc.process("taskdb")
    svc.run_until(lambda c: not db.pending, horizon)
    finished = svc.sim.now - start if not db.pending else None
    svc.run(4000.0)  # let a paused worker wake and finish what it was doing
    log = svc.cluster.node(svc.leader()).log
    writes = sum(1 for _term, cmd in log.slice(start_index + 1, log.last_index)
                 if isinstance(cmd, CoordCommand) and isinstance(cmd.op, WRITES))
    runs = [task for _who, task in db.executions]
    return SchedulerRun(design, pause, tasks, writes, writes / tasks, finished,
                        len(runs) - len(set(runs)), len(db.pending))


def _pause_mid_task(sim: Any) -> None:
    """Pause ``w1`` as soon as it is running a task, for three lease TTLs."""
    roles = [e.data["role"] for e in sim.trace.of_kind("state")
             if e.pid == "w1" and "role" in e.data]
    if roles and roles[-1] == "running":
        sim.pause("w1")
        sim.after(3000.0 * LEASE_TTL, lambda s: s.resume("w1"))
    else:
        sim.after(1.0, _pause_mid_task)


def ceiling(writes_per_task: float, budget: float) -> float:
    """Tasks per second a service that takes ``budget`` writes per second allows."""
    check_number("writes per task", writes_per_task, positive=True)
    check_number("write budget", budget, positive=True)
    return budget / writes_per_task


def design_table(seed: int = 1, budget: float = 30_000.0):
    """The three designs, with and without a paused worker, and the task rate a
    write budget of ``budget`` writes/s allows each."""
    import pandas as pd

    rows = []
    for design in DESIGNS:
        for pause in (False, True):
            r = scheduler_run(design, pause=pause, seed=seed)
            rows.append({"design": design, "a worker paused 3 s": pause,
                         "consensus writes per task": round(r.writes_per_task, 2),
                         f"tasks/s at {budget:,.0f} writes/s":
                             round(ceiling(r.writes_per_task, budget)),
                         "all done after (ms)": None if r.finished_ms is None
                         else round(r.finished_ms),
                         "tasks run twice": r.ran_twice, "tasks never run": r.unfinished})
    return pd.DataFrame(rows)
