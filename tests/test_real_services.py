"""The real-services harness, with a tiny server every machine has: Python's own."""

import os
import signal
import socket
import sys

import pytest

from ddia10.real.services import (
    Service,
    ServiceUnavailable,
    Workspace,
    find_program,
    free_port,
    free_ports,
    running_services,
    service_user,
    stop_all,
    wait_until,
)


def answers(port):
    def ready():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return False
    return ready


def http_server(workspace, ready=None):
    port = free_port()
    return Service("http", [sys.executable, "-m", "http.server", "--bind", "127.0.0.1",
                            str(port)], log=workspace.file("http.log"),
                   ready=ready or answers(port)), port


def gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture
def workspace():
    ws = Workspace()
    yield ws
    stop_all()
    ws.remove()
    assert not ws.path.exists()


def test_a_service_starts_answers_and_is_stopped_by_its_pid(workspace):
    service, port = http_server(workspace)
    with service:
        assert service.running and answers(port)()
        assert running_services() == [service]
        pid = service.pid
    assert gone(pid) and running_services() == []


def test_an_interrupted_start_leaves_nothing_running(workspace):
    def interrupted():
        raise KeyboardInterrupt
    service, _port = http_server(workspace, ready=interrupted)
    with pytest.raises(KeyboardInterrupt):
        service.start()
    assert gone(service.pid) and running_services() == []


def test_a_server_that_dies_while_starting_shows_its_log(workspace):
    service = Service("broken", [sys.executable, "-c", "print('no config'); raise SystemExit(3)"],
                      log=workspace.file("broken.log"), ready=lambda: False)
    with pytest.raises(RuntimeError, match="(?s)exited with 3.*no config"):
        service.start(timeout=10)


def test_stop_all_stops_what_this_process_started(workspace):
    service, _port = http_server(workspace)
    service.start()
    stop_all()
    assert gone(service.pid) and not service.running


def test_stop_sends_the_signal_asked_for(workspace):
    service, _port = http_server(workspace)
    service.start()
    assert service.stop(signal.SIGKILL) == -signal.SIGKILL


def test_free_ports_are_free():
    port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
    assert 1024 <= port <= 65535


def test_a_missing_program_says_how_to_install_it():
    with pytest.raises(ServiceUnavailable, match="nowhere-server is not installed: apt-get"):
        find_program("nowhere-server", search=["/nonexistent/*/bin/x"],
                     install="apt-get install nowhere")


def test_root_runs_servers_as_an_unprivileged_user():
    user = service_user(("postgres", "nobody"))
    if os.geteuid() == 0:
        assert user in ("postgres", "nobody")
        with pytest.raises(ServiceUnavailable, match="running as root"):
            service_user(("no-such-user-ddia10",))
    else:
        assert user is None


def test_a_service_needs_a_command_and_a_readiness_check(workspace):
    with pytest.raises(ValueError, match="needs a command"):
        Service("x", [], log=workspace.file("x.log"), ready=lambda: True)
    with pytest.raises(ValueError, match="ready must be a function"):
        Service("x", ["true"], log=workspace.file("x.log"), ready=True)



def test_no_protocol_module_reaches_for_real_servers():
    from test_layout import PACKAGE, imported_modules, package_of, protocol_files

    for path in protocol_files():
        if path.relative_to(PACKAGE).parts[0] == "real":
            continue
        modules = imported_modules(path.read_text(encoding="utf-8"), package_of(path))
        assert not any(m == "ddia10.real" or m.startswith("ddia10.real.") for m in modules), path


def test_free_ports_are_different_and_free():
    ports = free_ports(6)
    assert len(set(ports)) == 6
    for port in ports:
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))
    with pytest.raises(ValueError, match="port count"):
        free_ports(0)


def test_wait_until_returns_once_it_holds_and_names_what_never_came():
    calls = iter([False, False, True])
    assert wait_until(lambda: next(calls), "the third call", timeout=5.0) >= 0
    with pytest.raises(TimeoutError, match="a thing that never happens"):
        wait_until(lambda: False, "a thing that never happens", timeout=0.05)
