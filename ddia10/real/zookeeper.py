"""Throwaway ZooKeeper ensembles for chapter 7.

:class:`ZooKeeperEnsemble` runs ``n`` ZooKeeper servers of its own on loopback
ports, each with its configuration file and its ``myid`` in a temporary
folder, through the real-services harness (:mod:`.services`: free ports,
readiness, stop by PID, an unprivileged user when we are root). It starts
them with ZooKeeper's own ``zkServer.sh start-foreground``, which ``exec``\\ s
the JVM, so the process the harness stops is the server itself.

What a chapter does with it: :meth:`~ZooKeeperEnsemble.modes` asks every
server whether it leads or follows (the ``srvr`` four-letter command),
:meth:`~ZooKeeperEnsemble.client` connects a kazoo client to exactly one
server (so a read is served by that server, stale or not),
:meth:`~ZooKeeperEnsemble.kill` crashes a server (``SIGKILL``) and
:meth:`~ZooKeeperEnsemble.restart` starts it again on its data,
:meth:`~ZooKeeperEnsemble.pause` and :meth:`~ZooKeeperEnsemble.resume` freeze
one (``SIGSTOP``/``SIGCONT``), and :meth:`~ZooKeeperEnsemble.close` stops them
all and removes the folder.

Needs a ZooKeeper installation (Debian's ``zookeeper`` package puts the
scripts in ``/usr/share/zookeeper/bin``), Java, and the kazoo client
(``pip install kazoo``); :func:`zookeeper_missing` says what is missing.
"""

from __future__ import annotations

import signal
import socket
import time
from typing import Any

from ..validate import check_int, check_known, check_number
from .services import Service, ServiceUnavailable, Workspace, find_program, service_user

INSTALL = ("apt-get install zookeeper (Debian, Ubuntu; it brings Java), or unpack a release "
           "from https://zookeeper.apache.org/releases.html and put its bin/ on PATH")
SEARCH = ("/usr/share/zookeeper/bin/zkServer.sh", "/opt/zookeeper*/bin/zkServer.sh",
          "/usr/local/zookeeper*/bin/zkServer.sh", "/opt/homebrew/bin/zkServer")

TICK_MS = 200
"""ZooKeeper's ``tickTime`` here (2000 ms by default): every timeout is a number of
ticks, so a short tick makes elections and session timeouts short."""

JVM_FLAGS = "-Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1"
"""A small heap and a quick-starting JIT: a teaching ensemble, not a benchmark."""


def zookeeper_program() -> str:
    """Where ``zkServer.sh`` is installed."""
    return find_program("zkServer.sh", search=SEARCH, install=INSTALL)


def kazoo_module() -> Any:
    """The kazoo client module, or :class:`ServiceUnavailable` saying how to get it."""
    try:
        import kazoo.client
    except ImportError as exc:
        raise ServiceUnavailable("the ZooKeeper client kazoo is not installed: "
                                 "pip install kazoo") from exc
    return kazoo.client


def zookeeper_missing() -> str | None:
    """``None`` if ZooKeeper ensembles can run here, else why not (and how to fix it)."""
    try:
        zookeeper_program()
        find_program("java", install="apt-get install default-jre-headless")
        kazoo_module()
        service_user(("zookeeper", "nobody"))
    except ServiceUnavailable as exc:
        return str(exc)
    return None


def four_letters(port: int, command: str, timeout: float = 1.0) -> str:
    """Send one of ZooKeeper's four-letter commands to the server on ``port``; its
    answer ("" if it does not answer)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(command.encode())
            chunks = []
            while chunk := s.recv(4096):
                chunks.append(chunk)
            return b"".join(chunks).decode(errors="replace")
    except OSError:
        return ""


class ZooKeeperEnsemble:
    """``n`` ZooKeeper servers ``1..n`` of our own. Use it as a context manager, or
    call :meth:`start` and :meth:`close`."""

    def __init__(self, n: int = 3) -> None:
        check_int("ensemble size", n, min=1)
        self.ids = tuple(range(1, n + 1))
        self.program = zookeeper_program()
        self.kazoo = kazoo_module()
        self.user = service_user(("zookeeper", "nobody"))
        self.workspace: Workspace | None = None
        self.ports: dict[int, dict[str, int]] = {}
        self.services: dict[int, Service] = {}
        self.pids: list[int] = []  # every server process started, for a check that all are gone
        self.clients: list = []

    # ---------------------------------------------------------------- life
    def start(self, timeout: float = 60.0) -> dict[str, float]:
        """Write each server's configuration and ``myid``, start every server, and
        wait until one leads and the others follow. How long each part took
        (seconds): until every JVM answered, then until the ensemble had a leader."""
        check_number("timeout", timeout, positive=True, unit="s")
        self.workspace = Workspace(prefix="ddia10-zookeeper-", user=self.user)
        self._write_configuration()
        begun = time.monotonic()
        for pid in self.ids:
            self.pids.append(self._service(pid).start(timeout).pid)
        answered = time.monotonic()
        self.wait_for_leader(timeout)
        return {"JVMs answering (s)": round(answered - begun, 2),
                "then a leader elected (s)": round(time.monotonic() - answered, 2)}

    def _write_configuration(self) -> None:
        from .services import free_port

        for pid in self.ids:
            self.ports[pid] = {name: free_port() for name in ("client", "peer", "election")}
        servers = "\n".join(f"server.{p}=127.0.0.1:{self.ports[p]['peer']}:"
                            f"{self.ports[p]['election']}" for p in self.ids)
        for pid in self.ids:
            self.workspace.folder(f"server{pid}")
            data = self.workspace.folder(f"server{pid}/data")
            self.workspace.file(f"server{pid}/data/myid").write_text(f"{pid}\n")
            self.workspace.file(f"server{pid}/zoo.cfg").write_text(
                f"tickTime={TICK_MS}\ninitLimit=10\nsyncLimit=5\ndataDir={data}\n"
                f"clientPort={self.ports[pid]['client']}\nclientPortAddress=127.0.0.1\n"
                "admin.enableServer=false\n4lw.commands.whitelist=srvr,ruok\n"
                f"{servers}\n")
            self.workspace.file(f"server{pid}/server.log")

    def _service(self, pid: int) -> Service:
        if pid not in self.services:
            folder = self.workspace.path / f"server{pid}"
            port = self.ports[pid]["client"]
            self.services[pid] = Service(
                f"ZooKeeper server {pid}",
                [self.program, "start-foreground", str(folder / "zoo.cfg")],
                log=folder / "server.log",
                ready=lambda: four_letters(port, "ruok") == "imok",
                user=self.user,
                env={"PATH": "/usr/bin:/bin", "JVMFLAGS": JVM_FLAGS,
                     "ZOO_LOG_DIR": str(folder), "JMXDISABLE": "true"})
        return self.services[pid]

    def close(self) -> None:
        """Stop every client and server and delete the folder."""
        for client in self.clients:
            try:
                client.stop()
                client.close()
            except Exception:  # a client of a dead server may fail to say goodbye
                pass
        self.clients = []
        for service in self.services.values():
            service.stop(signal.SIGKILL)
        self.services = {}
        if self.workspace is not None:
            self.workspace.remove()
            self.workspace = None

    def __enter__(self) -> ZooKeeperEnsemble:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- looking
    def modes(self) -> dict[int, str]:
        """Each running server's own answer: ``leader``, ``follower``, or ``-`` while
        it serves nobody (looking for a leader, or down)."""
        out = {}
        for pid in self.ids:
            answer = four_letters(self.ports[pid]["client"], "srvr") if self.running(pid) else ""
            mode = [line.split(":", 1)[1].strip() for line in answer.splitlines()
                    if line.startswith("Mode:")]
            out[pid] = mode[0] if mode else "-"
        return out

    def leader(self) -> int | None:
        return next((p for p, m in self.modes().items() if m == "leader"), None)

    def wait_for_leader(self, timeout: float = 60.0) -> int:
        """Wait until one running server leads and every other running one follows."""
        deadline = time.monotonic() + timeout
        while True:
            modes = {p: m for p, m in self.modes().items() if self.running(p)}
            if list(modes.values()).count("leader") == 1 and all(
                    m in ("leader", "follower") for m in modes.values()):
                return self.leader()
            if time.monotonic() > deadline:
                raise RuntimeError(f"no leader within {timeout:g} s; modes: {modes}")
            time.sleep(0.05)

    def running(self, pid: int) -> bool:
        check_known("ZooKeeper server", pid, self.ids)
        return pid in self.services and self.services[pid].running

    def client(self, pid: int, timeout: float = 15.0) -> Any:
        """A started kazoo client connected to server ``pid`` only."""
        check_known("ZooKeeper server", pid, self.ids)
        client = self.kazoo.KazooClient(hosts=f"127.0.0.1:{self.ports[pid]['client']}",
                                        timeout=10.0)
        client.start(timeout=timeout)
        self.clients.append(client)
        return client

    # ---------------------------------------------------------------- faults
    def kill(self, pid: int) -> None:
        """Crash server ``pid`` (``SIGKILL``: nothing is flushed, nothing said)."""
        check_known("ZooKeeper server", pid, self.ids)
        self.services[pid].stop(signal.SIGKILL)

    def restart(self, pid: int, timeout: float = 60.0) -> None:
        """Start server ``pid`` again on its data, and wait until it follows."""
        check_known("ZooKeeper server", pid, self.ids)
        self.pids.append(self._service(pid).start(timeout).pid)
        self.wait_for_leader(timeout)

    def pause(self, pid: int) -> None:
        """Freeze server ``pid`` (``SIGSTOP``): what is sent to it waits in its sockets."""
        check_known("ZooKeeper server", pid, self.ids)
        self.services[pid].process.send_signal(signal.SIGSTOP)

    def resume(self, pid: int) -> None:
        check_known("ZooKeeper server", pid, self.ids)
        self.services[pid].process.send_signal(signal.SIGCONT)

    def __repr__(self) -> str:
        running = [p for p in self.ids if p in self.services and self.services[p].running]
        return f"ZooKeeperEnsemble({len(self.ids)} servers, running {running})"
