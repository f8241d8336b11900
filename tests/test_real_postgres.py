"""The same two-phase commit coordinator, driving two real PostgreSQL servers.

Skipped, saying why, where PostgreSQL (or psycopg) is missing — except under
``CI=true``, where the machine is meant to have it and a skip would hide a
broken install.
"""

import os

import pytest

from ddia10.real import postgres
from ddia10.real.services import Workspace, running_services
from ddia10.twopc import wal

MISSING = postgres.available()
if MISSING and os.environ.get("CI") == "true":
    raise RuntimeError(f"CI must run the real PostgreSQL test, but: {MISSING}")
pytestmark = pytest.mark.skipif(MISSING is not None, reason=f"no PostgreSQL here: {MISSING}")

TRANSFER = {"P1": {"A": -30}, "P2": {"B": 30}}


@pytest.fixture(scope="module")
def real():
    from ddia10.real.prepared import PostgresTwoPC

    workspace = Workspace()
    servers = {pid: postgres.PostgresServer(pid) for pid in ("P1", "P2")}
    try:
        for server in servers.values():
            server.start()
        run = PostgresTwoPC(servers, workspace.path / "coordinator.log")
        run.create_accounts({"P1": {"A": 100}, "P2": {"B": 0}})
        yield run
    finally:
        pids = [s.service.pid for s in servers.values() if s.service is not None]
        for server in servers.values():
            server.close()
        workspace.remove()
        assert running_services() == []
        for pid in pids:  # the servers are gone, not just forgotten
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)


def test_a_transfer_commits_on_both_servers(real):
    txn = real.begin(TRANSFER)
    assert real.results[txn] == "commit" and real.outcome(txn) == "commit"
    assert real.balances("P1") == {"A": 70} and real.balances("P2") == {"B": 30}
    assert real.prepared("P1") == real.prepared("P2") == []


def test_a_failed_check_votes_no_and_nothing_changes(real):
    txn = real.begin({"P1": {"A": -1000}, "P2": {"B": 1000}})
    assert real.results[txn] == "abort"
    assert real.balances("P1") == {"A": 70} and real.prepared("P2") == []


def test_in_doubt_blocked_surviving_a_crash_then_aborted_from_the_log(real):
    txn = real.begin(TRANSFER, crash="before decision")
    gid = f"ddia10-{txn}"
    assert real.prepared("P1") == real.prepared("P2") == [gid]
    assert ("transactionid", "ExclusiveLock") in [(k, m) for g, k, _w, m
                                                 in real.held_locks("P1") if g == gid]
    assert real.try_write("P1", "A", 1, lock_timeout_ms=300) == "blocked"
    real.servers["P1"].restart("immediate")  # a crash of the database: the promise survives
    assert real.prepared("P1") == [gid]
    assert real.try_write("P1", "A", 1, lock_timeout_ms=300) == "blocked"
    assert real.outcome(txn) is None  # nothing on the coordinator's log: it will abort
    real.restart_coordinator()
    assert real.outcome(txn) == "abort"
    assert real.prepared("P1") == real.prepared("P2") == []
    assert real.balances("P1") == {"A": 70}
    assert real.try_write("P1", "A", 0) == "ok"


def test_a_decision_on_the_log_is_carried_out_after_the_coordinator_restarts(real):
    txn = real.begin(TRANSFER, crash="after decision")
    assert real.outcome(txn) == "commit" and not real.coordinator.up
    assert real.prepared("P1") == real.prepared("P2") == [f"ddia10-{txn}"]
    real.restart_coordinator()
    assert real.prepared("P1") == real.prepared("P2") == []
    assert real.balances("P1") == {"A": 40} and real.balances("P2") == {"B": 60}


def test_a_server_that_is_down_loses_its_messages_until_it_is_back(real):
    real.servers["P2"].stop()
    txn = real.begin(TRANSFER, timeout_ms=300)  # P2 never votes: the vote timer aborts
    assert real.results[txn] == "abort" and real.prepared("P1") == []
    drops = [e for e in real.trace.of_kind("drop") if e.data.get("reason") == "server down"]
    assert {e.pid for e in drops} == {"P2"}
    real.servers["P2"].start()
    real.run(timeout_ms=2000)  # the coordinator's next resend reaches P2, which acknowledges
    assert ("end", txn) in wal.records(real.coordinator.stable())  # everyone acknowledged
    assert real.coordinator.next_timer() is None
