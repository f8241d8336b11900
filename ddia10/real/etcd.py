"""A throwaway etcd cluster of our own, for the coordination chapter.

:class:`EtcdCluster` starts ``size`` etcd members on the loopback interface —
each with its own client and peer port (free ones) and its own data folder in
a temporary :class:`~ddia10.real.services.Workspace` — waits until the cluster
has a leader, and stops and deletes everything at :meth:`EtcdCluster.close`.
A member can be killed (``SIGKILL``: a crash), started again on its data,
paused (``SIGSTOP``) and resumed (``SIGCONT``). The members run with a 100 ms
heartbeat and a 500 ms election timeout, so a lost leader is replaced within
a second or so, and the shortest lease etcd grants is 1 s (it raises shorter
TTLs to 1.5 election timeouts, rounded up to whole seconds).

Clients are ``etcd3gw`` clients (:meth:`EtcdCluster.client`): a maintained
client for etcd's v3 API through its JSON gateway (``/v3/...``), which etcd
3.4 serves on its client port. The other common Python client, ``etcd3``,
speaks gRPC and has not been released since 2020; its generated protobuf
code does not load with current protobuf without a downgrade.

Debian and Ubuntu ship etcd 3.4 as ``etcd-server``; etcd runs as root
without complaint, so no other user is needed.
"""

from __future__ import annotations

import json
import signal
import time
import urllib.request
from typing import Any

from ..validate import check_int, check_str
from .services import Service, ServiceUnavailable, Workspace, find_program, free_ports

INSTALL = ("apt-get install etcd-server (Debian, Ubuntu), brew install etcd (macOS), "
           "or see https://etcd.io/docs/v3.4/install/")
CLIENT_INSTALL = "pip install etcd3gw"
HEARTBEAT_MS = 100
ELECTION_MS = 500
START_ATTEMPTS = 3
"""Tries at starting the cluster: a port found free can be taken by another
program before etcd binds it, and then the cluster starts again on new ports."""


def etcd_program() -> str:
    """Where the ``etcd`` server is installed."""
    return find_program("etcd", search=["/usr/bin/etcd", "/usr/local/bin/etcd"],
                        install=INSTALL)


def etcd3gw_module() -> Any:
    """The ``etcd3gw`` client module, or :class:`ServiceUnavailable` saying how to get it."""
    try:
        import etcd3gw
    except ImportError as exc:
        raise ServiceUnavailable(f"the etcd client etcd3gw is not installed: {CLIENT_INSTALL}"
                                 ) from exc
    return etcd3gw


def etcd_available() -> str | None:
    """``None`` if an etcd cluster can run here, else why not (and how to fix it)."""
    try:
        etcd_program()
        etcd3gw_module()
    except ServiceUnavailable as exc:
        return str(exc)
    return None


class PortTaken(RuntimeError):
    """A member could not bind its port: another program took it first."""


def _get_json(url: str, timeout: float = 1.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


class EtcdCluster:
    """``size`` etcd members named ``m1``, ``m2``, ...; a context manager."""

    def __init__(self, size: int = 3, *, name: str = "ddia10") -> None:
        check_int("cluster size", size, min=1)
        check_str("name", name)
        self.program = etcd_program()
        self.etcd3gw = etcd3gw_module()
        self.name = name
        self.members = [f"m{i}" for i in range(1, size + 1)]
        self.workspace: Workspace | None = None
        self.client_ports: dict[str, int] = {}
        self.peer_ports: dict[str, int] = {}
        self.services: dict[str, Service] = {}
        self.down: set[str] = set()  # killed on purpose

    # ---------------------------------------------------------------- life
    def start(self, timeout: float = 30.0) -> EtcdCluster:
        """Start every member and wait until the cluster has a leader. If a member
        finds its port taken (another program bound it after we found it free),
        start again on new ports, up to :data:`START_ATTEMPTS` times."""
        for _ in range(START_ATTEMPTS - 1):
            try:
                return self._start(timeout)
            except PortTaken:
                continue
        return self._start(timeout)

    def _start(self, timeout: float) -> EtcdCluster:
        self.workspace = Workspace(prefix=f"ddia10-{self.name}-")
        ports = free_ports(2 * len(self.members))
        for i, member in enumerate(self.members):
            self.client_ports[member], self.peer_ports[member] = ports[2 * i: 2 * i + 2]
        for member in self.members:
            # A member answers its clients only once a majority has formed, so all
            # are started first and waited for together.
            self.services[member] = Service(f"etcd {member}", self._argv(member),
                                            log=self.workspace.file(f"{member}.log"),
                                            ready=lambda: True)
        try:
            for member in self.members:
                self.services[member].start(timeout)
            self._wait(lambda: all(self._answers(m) for m in self.members), timeout)
            self.wait_for_leader(timeout)
        except BaseException:
            self.close()
            raise
        return self

    def _argv(self, member: str) -> list[str]:
        peers = ",".join(f"{m}=http://127.0.0.1:{self.peer_ports[m]}" for m in self.members)
        client = f"http://127.0.0.1:{self.client_ports[member]}"
        peer = f"http://127.0.0.1:{self.peer_ports[member]}"
        return [self.program, "--name", member,
                "--data-dir", str(self.workspace.path / f"{member}.etcd"),
                "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--initial-cluster", peers, "--initial-cluster-state", "new",
                "--initial-cluster-token", self.name,
                "--heartbeat-interval", str(HEARTBEAT_MS),
                "--election-timeout", str(ELECTION_MS), "--logger", "zap",
                "--log-outputs", "stderr"]

    def _answers(self, member: str) -> bool:
        try:
            _get_json(f"{self.url(member)}/version", timeout=0.5)
        except (OSError, ValueError):
            return False
        return True

    def _wait(self, condition, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            for member in set(self.members) - self.down:
                process = self.services[member].process
                if process is not None and process.poll() is not None:
                    log = self.services[member].log_tail()
                    error = PortTaken if "address already in use" in log else RuntimeError
                    raise error(f"etcd {member} exited with {process.returncode}; "
                                f"the end of its log:\n{log}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the etcd cluster did not answer within {timeout:g} s; the "
                                   f"end of m1's log:\n{self.services[self.members[0]].log_tail()}")
            time.sleep(0.05)

    def close(self) -> None:
        """Stop every member and delete the data."""
        for service in self.services.values():
            if service.process is not None and service.process.poll() is None:
                service.process.send_signal(signal.SIGCONT)  # a paused member cannot stop
            service.stop()
        if self.workspace is not None:
            self.workspace.remove()
            self.workspace = None

    def __enter__(self) -> EtcdCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- members
    def url(self, member: str) -> str:
        self._known(member)
        return f"http://127.0.0.1:{self.client_ports[member]}"

    def client(self, member: str | None = None, timeout: float = 2.0) -> Any:
        """An ``etcd3gw`` client of ``member`` (default: the first one running)."""
        member = member or self.running()[0]
        return self.etcd3gw.client(host="127.0.0.1", port=self.client_ports[member],
                                   timeout=timeout, api_path="/v3/")

    def running(self) -> list[str]:
        return [m for m in self.members if self.services[m].running]

    def kill(self, member: str) -> None:
        """Crash ``member`` (``SIGKILL``): no clean shutdown, its data stays."""
        self._known(member)
        self.down.add(member)
        self.services[member].stop(signal.SIGKILL)

    def restart(self, member: str, timeout: float = 30.0) -> None:
        """Start a killed member again, on its data, and wait until it answers."""
        self._known(member)
        self.services[member].start(timeout)
        self.down.discard(member)
        self._wait(lambda: self._answers(member), timeout)

    def pause(self, member: str) -> None:
        self.services[member].process.send_signal(signal.SIGSTOP)

    def resume(self, member: str) -> None:
        self.services[member].process.send_signal(signal.SIGCONT)

    def status(self, member: str) -> dict:
        """The member's ``/v3/maintenance/status``: its id, the leader's, its raft term."""
        request = urllib.request.Request(f"{self.url(member)}/v3/maintenance/status",
                                         data=b"{}")
        with urllib.request.urlopen(request, timeout=1.0) as response:
            return json.loads(response.read())

    def leader(self) -> str | None:
        """The member that leads now, as the running members report it."""
        ids = {}
        leaders = set()
        for member in self.running():
            try:
                status = self.status(member)
            except (OSError, ValueError):
                continue
            ids[status["header"]["member_id"]] = member
            leaders.add(status.get("leader"))
        found = [ids[leader] for leader in leaders if leader in ids]
        return found[0] if len(found) == 1 and len(leaders) == 1 else None

    def wait_for_leader(self, timeout: float = 30.0) -> str:
        """Wait until the running members agree on a leader; its name."""
        self._wait(lambda: self.leader() is not None, timeout)
        return self.leader()

    def _known(self, member: str) -> None:
        if member not in self.members:
            raise KeyError(f"unknown etcd member {member!r}; members: {self.members}")

    def __repr__(self) -> str:
        return f"EtcdCluster({self.name!r}, running={self.running()})"

