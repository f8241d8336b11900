"""Throwaway PostgreSQL servers for the two-phase commit chapter.

:class:`PostgresServer` creates a database cluster with ``initdb`` in a
temporary folder, runs ``postgres`` on it (as an unprivileged user when we
are root: PostgreSQL refuses to run as root), listening only on a Unix socket
in that folder, with prepared transactions switched on, and removes
everything at :meth:`PostgresServer.close`. :meth:`PostgresServer.stop` takes
PostgreSQL's own shutdown modes, so a chapter can show what survives a
``"fast"`` shutdown or an ``"immediate"`` one (a crash: no checkpoint, the
server replays its write-ahead log when it starts again).

Clients are psycopg 3 connections (``pip install "psycopg[binary]"``).
"""

from __future__ import annotations

import signal
from typing import Any

from ..validate import check_choice, check_int, check_str
from .services import Service, ServiceUnavailable, Workspace, find_program, run_as, service_user

INSTALL = ("apt-get install postgresql (Debian, Ubuntu), brew install postgresql (macOS), "
           "or see https://www.postgresql.org/download/")
SEARCH = ("/usr/lib/postgresql/*/bin/{}", "/usr/local/pgsql/bin/{}", "/opt/homebrew/bin/{}")
USER = "ddia10"
"""The database superuser ``initdb`` creates; connections log in as it (trust, local only)."""

SHUTDOWN = {"smart": signal.SIGTERM, "fast": signal.SIGINT, "immediate": signal.SIGQUIT}
"""PostgreSQL's shutdown modes and the signal that asks for each."""


def postgres_program(name: str) -> str:
    """Where PostgreSQL's ``name`` (``initdb``, ``postgres``) is installed."""
    return find_program(name, search=[p.format(name) for p in SEARCH], install=INSTALL)


def psycopg_module() -> Any:
    """The psycopg 3 module, or :class:`ServiceUnavailable` saying how to get it."""
    try:
        import psycopg
    except ImportError as exc:
        raise ServiceUnavailable(
            "the PostgreSQL client psycopg 3 is not installed: pip install 'psycopg[binary]'"
        ) from exc
    return psycopg


def available() -> str | None:
    """``None`` if PostgreSQL servers can run here, else why not (and how to fix it)."""
    try:
        postgres_program("initdb")
        postgres_program("postgres")
        psycopg_module()
        service_user()
    except ServiceUnavailable as exc:
        return str(exc)
    return None


class PostgresServer:
    """One PostgreSQL server of our own: ``name`` labels it in messages and logs.

    ``settings`` are extra ``postgresql.conf`` parameters (``-c`` options).
    Use it as a context manager, or call :meth:`start` and :meth:`close`.
    """

    def __init__(self, name: str = "postgres", *, max_prepared_transactions: int = 10,
                 settings: dict[str, Any] | None = None) -> None:
        check_int("max_prepared_transactions", max_prepared_transactions, min=1)
        check_str("name", name)
        self.name = name
        self.settings = {"max_prepared_transactions": max_prepared_transactions,
                         "listen_addresses": "", "fsync": "on", **(settings or {})}
        self.psycopg = psycopg_module()
        self.initdb = postgres_program("initdb")
        self.postgres = postgres_program("postgres")
        self.user = service_user()
        self.workspace: Workspace | None = None
        self.service: Service | None = None

    @property
    def socket_dir(self) -> str:
        return str(self._workspace().path / "socket")

    def start(self, timeout: float = 60.0) -> PostgresServer:
        """Create the cluster (the first time) and start the server."""
        if self.workspace is None:
            self.workspace = Workspace(prefix=f"ddia10-{self.name}-", user=self.user)
            data, _socket = self.workspace.folder("data"), self.workspace.folder("socket")
            run_as([self.initdb, "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8",
                    "--locale=C", "--no-sync"], self.user)
        if self.service is None:
            argv = [self.postgres, "-D", str(self._workspace().path / "data"),
                    "-k", self.socket_dir]
            for key, value in self.settings.items():
                argv += ["-c", f"{key}={value}"]
            self.service = Service(f"PostgreSQL {self.name}", argv,
                                   log=self.workspace.file("server.log"), ready=self._answers,
                                   user=self.user, stop_signal=SHUTDOWN["fast"])
        self.service.start(timeout)
        return self

    def stop(self, mode: str = "fast") -> None:
        """Shut the server down: ``"smart"``, ``"fast"`` or ``"immediate"``
        (PostgreSQL's modes; immediate is as good as a crash)."""
        check_choice("shutdown mode", mode, SHUTDOWN)
        if self.service is not None:
            self.service.stop(SHUTDOWN[mode])

    def restart(self, mode: str = "fast") -> None:
        """Stop (in ``mode``) and start again on the same data."""
        self.stop(mode)
        self.start()

    def close(self) -> None:
        """Stop the server and delete its data."""
        self.stop()
        if self.workspace is not None:
            self.workspace.remove()
            self.workspace = None
        self.service = None

    @property
    def running(self) -> bool:
        return self.service is not None and self.service.running

    def connect(self, **kwargs: Any) -> Any:
        """A new psycopg connection (autocommit unless told otherwise)."""
        kwargs.setdefault("autocommit", True)
        return self.psycopg.connect(host=self.socket_dir, user=USER, dbname="postgres",
                                    connect_timeout=5, **kwargs)

    def _answers(self) -> bool:
        try:
            with self.connect() as conn:
                conn.execute("SELECT 1")
        except self.psycopg.OperationalError:
            return False
        return True

    def _workspace(self) -> Workspace:
        if self.workspace is None:
            raise ValueError(f"PostgreSQL {self.name} has not been started")
        return self.workspace

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = f"pid {self.service.pid}" if self.running else "stopped"
        return f"PostgresServer({self.name!r}, {state})"
