"""The fenced resource and a lock holder, as real processes beside a real etcd.

:class:`FencedServer` serves :class:`~ddia10.coord.fencing.FencedResource` —
the class the simulations use, hosted by a
:class:`~ddia10.real.runtime.RealNode` — over HTTP on a free loopback port: a
``POST`` of ``{"writer", "seq", "token", "value"}`` is a
:class:`~ddia10.coord.fencing.FencedWrite`, answered with whether it was
accepted.

Run as a program (``python -m ddia10.real.fenced ENDPOINT RESOURCE NAME TTL``),
this module is a lock holder in a process of its own, so a chapter can pause
it for real (``SIGSTOP``) and resume it (``SIGCONT``). It takes the lock
``/lock/`` as etcd's ``concurrency.Mutex`` does — a key ``/lock/<lease id>``
created under its lease, held once no key under the prefix was created
before it — keeps its lease alive from a thread, and then, over and over:
checks that its lease still holds on its own clock, says ``working N``, works
until the piece of work is done, and writes to the resource with its token
(the key's create revision), printing each step on a line of its own. The
work is done when a line arrives on its standard input: so whoever runs it
decides where a pause falls (after the check, before the write), and no
race between the pause and the write decides the story.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ..coord.fencing import FencedAck, FencedResource, FencedWrite
from ..sim import Trace
from .runtime import RealNode, wall_clock
from .services import free_port


class FencedServer:
    """A fenced resource on ``http://127.0.0.1:<port>/``; a context manager."""

    def __init__(self, log: Path, *, fencing: bool = True) -> None:
        self.port = free_port()
        self.trace = Trace()
        self._answers: dict[int, FencedAck] = {}
        self._lock = threading.Lock()
        self.node = RealNode("db", lambda: FencedResource(fencing), log=Path(log),
                             peers=("client",), send=self._send, trace=self.trace,
                             clock=wall_clock())
        self.node.start()
        self.http = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def resource(self) -> FencedResource:
        return self.node.process

    def _send(self, src: Any, dst: Any, msg: Any) -> None:
        self._answers[msg.seq] = msg

    def write(self, writer: str, seq: int, token: int, value: str) -> bool:
        """Hand the resource one write (as the HTTP handler does); accepted or not."""
        with self._lock:
            self.node.deliver("client", FencedWrite(writer, seq, token, value))
            return self._answers.pop(seq).accepted

    def _handler(self) -> type:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                accepted = server.write(body["writer"], body["seq"], body["token"],
                                        body["value"])
                answer = json.dumps({"accepted": accepted}).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def __enter__(self) -> FencedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.shutdown()
        self.http.server_close()


# ---------------------------------------------------------------------- the lock holder
def post_write(resource: str, writer: str, seq: int, token: int, value: str) -> bool:
    body = json.dumps({"writer": writer, "seq": seq, "token": token, "value": value}).encode()
    with urllib.request.urlopen(urllib.request.Request(resource, data=body), timeout=5) as r:
        return json.loads(r.read())["accepted"]


def take_lock(client: Any, lease: Any, prefix: str = "/lock/", timeout: float = 60.0) -> int:
    """etcd's mutex: create ``<prefix><lease id>`` under the lease unless it exists,
    then wait (up to ``timeout`` s) until no key under ``prefix`` was created
    before ours; our key's create revision (the fencing token)."""
    from etcd3gw.utils import _encode, _increment_last_byte

    key = f"{prefix}{lease.id:x}"
    txn = {"compare": [{"key": _encode(key), "result": "EQUAL", "target": "CREATE",
                        "create_revision": 0}],
           "success": [{"request_put": {"key": _encode(key), "value": _encode("held"),
                                        "lease": lease.id}}],
           "failure": [{"request_range": {"key": _encode(key)}}]}
    client.transaction(txn)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        keys = client.get(prefix, metadata=True, range_end=_increment_last_byte(prefix))
        created = {meta["key"].decode(): int(meta["create_revision"]) for _v, meta in keys}
        token = created[key]
        if min(created.values()) == token:
            return token
        time.sleep(0.05)
    raise RuntimeError(f"no lock within {timeout:g} s: keys {sorted(created)} came first")


_SAY = threading.Lock()


def say(line: str) -> None:
    """Print one whole line: the keep-alive thread and the main one both speak,
    and two ``print`` calls at once can interleave their halves."""
    with _SAY:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def main(argv: list[str]) -> int:
    import etcd3gw

    endpoint, resource, name, ttl = argv[0], argv[1], argv[2], int(argv[3])
    host, port = endpoint.rsplit(":", 1)
    client = etcd3gw.client(host=host, port=int(port), timeout=2, api_path="/v3/")
    lease = client.lease(ttl)
    deadline = [time.monotonic() + ttl]

    def keep_alive() -> None:
        while True:
            time.sleep(ttl / 3)
            sent = time.monotonic()
            try:
                left = lease.refresh()
            except Exception:  # the cluster did not answer: try again
                continue
            if left <= 0:
                say("keep-alive refused: the lease is gone")
                return
            deadline[0] = sent + ttl

    token = take_lock(client, lease)
    say(f"token {token}")
    threading.Thread(target=keep_alive, daemon=True).start()
    for seq in range(1, 1000):
        if time.monotonic() >= deadline[0]:
            say("my lease ran out: stopping")
            return 0
        say(f"working {seq}")
        if not sys.stdin.readline():  # the pause, if it comes, falls here: after the check
            return 0
        accepted = post_write(resource, name, seq, token, f"{name}:{seq}")
        say(f"write {seq} {'accepted' if accepted else 'refused'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
