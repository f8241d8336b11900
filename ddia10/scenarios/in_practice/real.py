"""The same recipes against a real etcd cluster of our own (when etcd can run here).

:func:`real_etcd` starts three etcd members on loopback ports in a temporary
folder (:class:`~ddia10.real.etcd.EtcdCluster`), and with the ``etcd3gw``
client shows: revisions and a transaction; the lock and its fencing token; a
lease running out; one member killed (writes go on), a second (writes stall,
a serializable read still answers), both back; a lock holder in a process of
its own paused with ``SIGSTOP`` past its lease and resumed with ``SIGCONT``,
whose write the fenced resource refuses; and a history of three clients
recorded while the leader is killed and restarted, judged by
:func:`ddia10.linearizability.check`. Everything is stopped and deleted
before it returns.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ...linearizability import CheckResult, check, history

PAUSE_TTL = 3
"""The paused holder's lease (s): three keep-alives in each, so a busy machine
that delays one does not end the lease before the story pauses the holder."""


@dataclass
class RealEtcdRun:
    """What the real cluster showed: ``seen`` lists ``(step, what we look at, what
    it says)``; ``facts`` the same values by name; ``timings`` seconds by name;
    ``verdict`` the checker's judgement of the history recorded under a kill."""

    seen: list[tuple[str, str, object]] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    verdict: CheckResult | None = None

    def look(self, step: str, what: str, key: str, value: object) -> None:
        self.seen.append((step, what, value))
        self.facts[key] = value

    def table(self):
        import pandas as pd

        return pd.DataFrame(self.seen, columns=["step", "we look at", "it says"])


def real_etcd() -> RealEtcdRun:
    """Run the story (see the module docstring); about half a minute. Raises
    :class:`~ddia10.real.ServiceUnavailable` when etcd or etcd3gw is missing."""
    from ...real.etcd import EtcdCluster
    from ...real.services import Workspace

    run = RealEtcdRun()
    workspace = Workspace(prefix="ddia10-fenced-")
    started = time.monotonic()
    with EtcdCluster() as cluster:
        run.timings["cluster up"] = time.monotonic() - started
        _revisions(cluster, run)
        _lease(cluster, run)
        _members(cluster, run)
        _throughput(cluster, run)
        _paused_holder(cluster, run, workspace)
        run.verdict = _history_under_a_kill(cluster, run)
    workspace.remove()
    return run


def _revisions(cluster: Any, run: RealEtcdRun) -> None:
    client = cluster.client()
    step = "revisions and a transaction"
    for value in ("v1", "v2"):
        client.put("/config", value)
    _value, meta = client.get("/config", metadata=True)[0]
    run.look(step, "/config after two puts: create rev, mod rev, version", "config revisions",
             (int(meta["create_revision"]), int(meta["mod_revision"]), int(meta["version"])))
    first, again = client.create("/lock-once", "a"), client.create("/lock-once", "b")
    run.look(step, "create-if-absent transaction, twice", "txn", (first, again))
    step = "a lock and its fencing token"
    a, b = client.lease(10), client.lease(10)
    from ...real.fenced import take_lock

    token_a = take_lock(client, a)
    run.look(step, "A's token: its lock key's create revision", "token A", token_a)
    b_key = f"/lock/{b.id:x}"
    client.create(b_key, "held", lease=b)
    run.look(step, "B queued: its key's create revision", "token B",
             int(client.get(b_key, metadata=True)[0][1]["create_revision"]))
    a.revoke()
    b.revoke()


def _lease(cluster: Any, run: RealEtcdRun) -> None:
    client = cluster.client()
    lease = client.lease(1)
    client.put("/services/payment/a", "10.0.0.1:8080", lease=lease)
    from ...real.services import wait_until

    run.timings["1 s lease gone after"] = wait_until(
        lambda: not client.get("/services/payment/a"), "the key of a 1 s lease to go")
    run.look("a lease running out", "the key under a 1 s lease, once it ran out", "leased key",
             client.get("/services/payment/a"))


def _members(cluster: Any, run: RealEtcdRun) -> None:
    step = "members killed and restarted"
    first = cluster.leader()
    cluster.kill(first)
    killed = time.monotonic()
    second_leader = cluster.wait_for_leader()
    run.timings["new leader after a kill"] = time.monotonic() - killed
    client = cluster.client(second_leader)
    client.put("/after-one-kill", "ok")
    run.look(step, f"a put with {first} down", "one down", client.get("/after-one-kill"))
    cluster.kill(second_leader)
    survivor = cluster.running()[0]
    client = cluster.client(survivor, timeout=2.0)
    run.look(step, f"a put with {first} and {second_leader} down (2 s timeout)", "two down",
             _outcome(lambda: client.put("/after-two-kills", "?")))
    run.look(step, "a linearizable read", "linearizable read",
             _outcome(lambda: client.get("/after-one-kill")))
    run.look(step, f"a serializable read of {survivor}", "serializable read",
             client.get("/after-one-kill", serializable=True))
    back = time.monotonic()
    cluster.restart(first)
    cluster.restart(second_leader)
    cluster.wait_for_leader()
    run.timings["writable again after restarts"] = time.monotonic() - back
    client.put("/after-restart", "ok")
    run.look(step, "a put once both are back", "back", client.get("/after-restart"))


def _throughput(cluster: Any, run: RealEtcdRun, seconds: float = 1.0) -> None:
    """Puts per second this machine's cluster takes from one client, and from eight
    clients at once (each through its own connection)."""
    for clients in (1, 8):
        done = [0] * clients
        start = time.monotonic()
        threads = [threading.Thread(target=_put_for, args=(cluster, i, seconds, start, done))
                   for i in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        run.timings[f"puts/s, {clients} client{'s' if clients > 1 else ''}"] = (
            sum(done) / (time.monotonic() - start))


def _put_for(cluster: Any, i: int, seconds: float, start: float, done: list[int]) -> None:
    client = cluster.client(cluster.members[i % len(cluster.members)])
    while time.monotonic() - start < seconds:
        client.put(f"/load/{i}", str(done[i]))
        done[i] += 1


def _outcome(call) -> object:
    try:
        return call()
    except Exception as exc:  # the gateway's timeout: the cluster cannot answer
        return f"no answer ({type(exc).__name__})"


def _paused_holder(cluster: Any, run: RealEtcdRun, workspace: Any) -> None:
    from ...real.fenced import FencedServer, post_write, take_lock

    step = "a lock holder paused for real"
    with FencedServer(workspace.path / "db.log") as db:
        holder = subprocess.Popen(
            [sys.executable, "-m", "ddia10.real.fenced",
             f"127.0.0.1:{cluster.client_ports[cluster.running()[0]]}", db.url, "A",
             str(PAUSE_TTL)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, start_new_session=True)
        lines: list[str] = []
        try:
            _read_until(holder, lines, "working 2")  # working 1 is done at once
            os.kill(holder.pid, signal.SIGSTOP)  # after its check, before its write
            stopped = time.monotonic()
            client = cluster.client()
            b_lease = client.lease(10)
            token_b = take_lock(client, b_lease)
            run.timings["B got the lock after A stopped"] = time.monotonic() - stopped
            accepted_b = post_write(db.url, "B", 1, token_b, "B:1")
            os.kill(holder.pid, signal.SIGCONT)
            _done(holder)  # its work ends, and it writes with its old token
            _read_until(holder, lines, "stopping")
        finally:
            if holder.poll() is None:
                os.kill(holder.pid, signal.SIGCONT)
                holder.kill()
            holder.wait()
        run.facts["A's lines"] = list(lines)
        token_a = int(next(line for line in lines if line.startswith("token")).split()[1])
        run.look(step, "A's token, then B's (after A's lease ran out)", "tokens",
                 (token_a, token_b))
        run.look(step, "B's write", "B's write", "accepted" if accepted_b else "refused")
        late = [line.split()[-1] for line in lines if line.startswith("write 2")]
        run.look(step, "A's write after SIGCONT", "A's late write", late[0] if late else None)
        run.look(step, "what A said last", "A's end", lines[-1])
        run.look(step, "what db accepted, in order", "db writes",
                 [(writer, token) for writer, token, _v in db.resource.writes])
        b_lease.revoke()


def _read_until(process: subprocess.Popen, lines: list[str], marker: str) -> None:
    """Read the holder's lines up to the one with ``marker``; every other piece of
    work it starts is done at once. It always says something next or ends, so
    this returns or raises."""
    while True:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the lock holder ended before {marker!r}: {lines}")
        lines.append(line.strip())
        if marker in line:
            return
        if line.startswith("working"):
            _done(process)


def _done(process: subprocess.Popen) -> None:
    """Tell the lock holder its piece of work is done."""
    process.stdin.write("done\n")
    process.stdin.flush()


def _history_under_a_kill(cluster: Any, run: RealEtcdRun, each: int = 12) -> CheckResult:
    """Three clients run puts, gets and compare-and-swaps on two keys against three
    members while the leader is killed and restarted; the history, judged. The
    phases end on what the clients have done, not on guessed times: the kill
    once every client has ``each`` operations answered, the restart once a new
    leader is up, the end once every client has ``each`` more answered."""
    from ...real.services import wait_until

    ops: list[dict] = []
    answered = [0, 0, 0]
    lock = threading.Lock()
    stop = threading.Event()
    start = time.monotonic()

    def worker(i: int) -> None:
        rng = random.Random(i)
        members = list(cluster.members)
        name, target = f"c{i}", members[i]
        known: dict[str, str] = {}  # the last value this client read of each key
        n, incarnation, process = 0, 0, name
        while not stop.is_set():
            n += 1
            op = _random_op(rng, name, n, known)
            call = time.monotonic() - start
            try:
                output = _do(cluster.client(target, timeout=1.0), op)
                done = {"return": time.monotonic() - start, "output": output, "status": "ok"}
                if op["op"] == "get":
                    known[op["key"]] = output
            except Exception:  # unanswered: it may or may not have happened
                done = {"return": None, "output": None, "status": "info"}
                target = members[(members.index(target) + 1) % len(members)]
            with lock:
                ops.append({"process": process, "call": call, **op, **done})
                answered[i] += done["status"] == "ok"
            if done["status"] == "info":  # it never returned: go on as a new process
                incarnation += 1
                process = f"{name}/{incarnation}"

    def every_client(at_least: int) -> Callable[[], bool]:
        return lambda: min(answered) >= at_least

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    try:
        wait_until(every_client(each), f"{each} answers to every client", 60.0)
        leader = cluster.leader()
        cluster.kill(leader)
        cluster.wait_for_leader()
        cluster.restart(leader)
        before = min(answered)
        wait_until(every_client(before + each), f"{each} more answers to every client", 60.0)
    finally:
        stop.set()
        for t in threads:
            t.join()
    run.look("a history under a kill", f"operations recorded while {leader} was killed",
             "history ops", len(ops))
    run.look("a history under a kill", "of which unanswered", "unanswered",
             sum(1 for op in ops if op["status"] == "info"))
    verdict = check(history(sorted(ops, key=lambda op: op["call"]), model="kv"))
    run.look("a history under a kill", "ddia10.linearizability says", "verdict",
             verdict.verdict)
    return verdict


def _random_op(rng: random.Random, name: str, n: int, known: dict[str, str]) -> dict:
    key = rng.choice(("x", "y"))
    kind = rng.choice(("get", "put", "cas"))
    if kind == "get":
        return {"op": "get", "key": key, "value": None}
    if kind == "put":
        return {"op": "put", "key": key, "value": f"{name}.{n}"}
    return {"op": "cas", "key": key, "value": [known.get(key, ""), f"{name}.{n}"]}


def _do(client: Any, op: dict) -> Any:
    if op["op"] == "get":
        values = client.get(op["key"])
        return values[0].decode() if values else ""
    if op["op"] == "put":
        client.put(op["key"], op["value"])
        return None
    old, new = op["value"]
    if old == "":  # cas from "missing": etcd's create-if-absent
        return bool(client.create(op["key"], new))
    return bool(client.replace(op["key"], old, new))
