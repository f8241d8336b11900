"""Real servers for the chapters that show a real system: start, wait, stop, clean up.

A chapter that runs PostgreSQL (or ZooKeeper, or etcd) beside its simulation
needs the same few things every time, and this module is where they live:

- :func:`find_program` locates a server's executable or raises
  :class:`ServiceUnavailable` saying how to install it;
- :class:`Workspace` is a temporary folder for data, logs and sockets, owned
  by whoever will run the server, removed at the end;
- :func:`free_port` finds a free TCP port on the loopback interface, and
  :func:`free_ports` several different ones at once;
- :func:`wait_until` waits for something observable, up to a deadline;
- :func:`service_user` decides who runs the server: the current user, or —
  when that is root (CI, Colab), since some servers refuse to run as root —
  an unprivileged system user such as Debian's ``postgres``;
- :class:`Service` starts one server process as that user, waits until it
  answers, and stops it by its PID: when asked, when the ``with`` block ends,
  when a notebook cell is interrupted while it starts, and at the latest when
  the Python process exits (:func:`stop_all`, registered with ``atexit``).

A server is started in a session of its own, so a Ctrl-C meant for the
notebook never reaches it directly: it is stopped only through this module,
by its PID, and never by its name.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from ..validate import check_callable, check_int, check_str


class ServiceUnavailable(RuntimeError):
    """A real server cannot run on this machine; the message says what is missing
    and how to get it."""


def find_program(name: str, *, search: Iterable[str] = (), install: str) -> str:
    """The path of executable ``name``: on ``PATH``, else the newest match of the
    ``search`` glob patterns. Raises :class:`ServiceUnavailable` naming
    ``install`` (what to run to get it) when there is none."""
    check_str("program name", name)
    found = shutil.which(name)
    if found:
        return found
    candidates = [p for pattern in search for p in glob.glob(pattern)
                  if os.access(p, os.X_OK)]
    if candidates:
        return sorted(candidates, key=_version_key)[-1]
    raise ServiceUnavailable(f"{name} is not installed: {install}")


def _version_key(path: str) -> list:
    return [int(part) if part.isdigit() else part for part in Path(path).parts]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that nothing listens on right now."""
    return free_ports(1, host)[0]


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """``count`` different TCP ports on ``host`` that nothing listens on right now.
    Every socket stays bound until all are found, so the kernel cannot hand out
    one port twice (as asking :func:`free_port` ``count`` times could)."""
    check_int("port count", count, min=1)
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for s in sockets:
            s.bind((host, 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 30.0,
               every: float = 0.02) -> float:
    """Poll ``condition()`` until it holds; the seconds it took. Raises
    ``TimeoutError`` naming ``what`` was awaited after ``timeout`` seconds: a
    real system is waited for by what it shows, never for a guessed time."""
    check_callable("condition", condition, what="a function returning a bool")
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"waited {timeout:g} s for {what}")
        time.sleep(every)
    return time.monotonic() - start


def service_user(candidates: Sequence[str] = ("postgres", "nobody")) -> str | None:
    """Who should run a server that refuses to run as root: ``None`` (the
    current user) unless we are root, else the first of ``candidates`` that
    exists on this machine."""
    if os.geteuid() != 0:
        return None
    for name in candidates:
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise ServiceUnavailable(
        f"running as root, and none of the users {list(candidates)} exists to run the "
        "server as: create one, e.g. 'useradd --system --no-create-home ddia10'")


class Workspace:
    """A temporary folder for one or more servers, owned by ``user`` (``None``:
    the current user), deleted by :meth:`remove`."""

    def __init__(self, prefix: str = "ddia10-", user: str | None = None) -> None:
        self.user = user
        self.path = Path(tempfile.mkdtemp(prefix=prefix))
        self._chown(self.path)

    def folder(self, name: str) -> Path:
        """A subfolder ``name`` (created, owned by the workspace's user)."""
        path = self.path / name
        path.mkdir(mode=0o700, exist_ok=True)
        self._chown(path)
        return path

    def file(self, name: str) -> Path:
        """A path in the workspace for a file the server's user may write."""
        path = self.path / name
        path.touch()
        self._chown(path)
        return path

    def _chown(self, path: Path) -> None:
        if self.user is not None:
            record = pwd.getpwnam(self.user)
            os.chown(path, record.pw_uid, record.pw_gid)

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def __repr__(self) -> str:
        return f"Workspace({str(self.path)!r}, user={self.user!r})"


def run_as(argv: Sequence[str], user: str | None, *, timeout: float = 120.0,
           env: dict | None = None) -> str:
    """Run a short command (an ``initdb``) as ``user``; its output. Raises
    ``RuntimeError`` with the output if it fails."""
    done = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout,
                          env=env, **_as_user(user))
    if done.returncode != 0:
        raise RuntimeError(f"{Path(argv[0]).name} failed ({done.returncode}):\n"
                           f"{done.stdout}{done.stderr}")
    return done.stdout


def _as_user(user: str | None) -> dict[str, Any]:
    if user is None:
        return {}
    record = pwd.getpwnam(user)
    return {"user": record.pw_uid, "group": record.pw_gid, "extra_groups": []}


_RUNNING: dict[int, Service] = {}


class Service:
    """One server process, run as ``user``, its output going to ``log``.

    ``ready()`` says whether it answers yet; :meth:`start` waits for it.
    :meth:`stop` sends ``signal`` (the server's own "shut down cleanly") to the
    PID and waits; a server still running after ``grace`` seconds is killed.
    """

    def __init__(self, name: str, argv: Sequence[str], *, log: Path,
                 ready: Callable[[], bool], user: str | None = None,
                 env: dict | None = None, stop_signal: int = signal.SIGTERM) -> None:
        if not argv:
            raise ValueError("a service needs a command to run")
        check_callable("ready", ready, what="a function returning a bool")
        self.name = name
        self.argv = [str(a) for a in argv]
        self.log = Path(log)
        self.ready = ready
        self.user = user
        self.env = env
        self.stop_signal = stop_signal
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 60.0) -> Service:
        """Start the server and wait until ``ready()``; stop it again if that
        fails or is interrupted."""
        if self.running:
            raise ValueError(f"{self.name} is already running (pid {self.pid})")
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, env=self.env,
                                            start_new_session=True, **_as_user(self.user))
        _RUNNING[self.process.pid] = self
        try:
            self._wait_ready(timeout)
        except BaseException:  # a failed start, or a KeyboardInterrupt: leave nothing behind
            self.stop(signal.SIGKILL)
            raise
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self.ready():
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode} while "
                                   f"starting; the end of its log:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not answer within {timeout:g} s; the end "
                                   f"of its log:\n{self.log_tail()}")
            time.sleep(0.05)

    def stop(self, sig: int | None = None, grace: float = 30.0) -> int | None:
        """Send ``sig`` (default: the clean shutdown signal) to the server and
        wait for it to exit; its exit code (``None`` if it was not running)."""
        process = self.process
        if process is None:
            return None
        try:
            if process.poll() is None:
                process.send_signal(self.stop_signal if sig is None else sig)
                try:
                    process.wait(grace)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        finally:
            _RUNNING.pop(process.pid, None)
        return process.returncode

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def __enter__(self) -> Service:
        return self if self.running else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"pid {self.pid}" if self.running else "stopped"
        return f"Service({self.name!r}, {state})"


def running_services() -> list[Service]:
    """Every server this Python process started and has not stopped."""
    return [s for s in _RUNNING.values() if s.running]


@atexit.register
def stop_all() -> None:
    """Stop every server this Python process started (each by its PID)."""
    for service in list(_RUNNING.values()):
        service.stop()
