"""A real ZooKeeper ensemble: the epoch in real zxids, a stale follower read, sync.

Skipped, saying why, where ZooKeeper (or Java, or kazoo) is missing — except
under ``CI=true``, where the machine is meant to have it and a skip would hide
a broken install.
"""

import os

import pytest

from ddia10.real import zookeeper
from ddia10.real.services import running_services

MISSING = zookeeper.zookeeper_missing()
if MISSING and os.environ.get("CI") == "true":
    raise RuntimeError(f"CI must run the real ZooKeeper test, but: {MISSING}")
pytestmark = pytest.mark.skipif(MISSING is not None, reason=f"no ZooKeeper here: {MISSING}")


@pytest.fixture(scope="module")
def run():
    from ddia10.scenarios.zab_and_others.real_zookeeper import real_zookeeper

    result = real_zookeeper()
    yield result
    assert running_services() == []
    for pid in result.server_pids:  # every server process is gone, not just forgotten
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_new_leader_writes_in_a_higher_epoch_with_its_counter_started_again(run):
    assert run.second_leader not in (None, run.first_leader)
    last_before, first_after = run.before[-1], run.after[0]
    assert first_after.epoch > last_before.epoch
    assert first_after.counter < last_before.counter
    assert [w.zxid for w in run.writes] == sorted(w.zxid for w in run.writes)


def test_a_follower_answers_a_read_stale_and_after_sync_fresh(run):
    assert run.stale_value != run.written_value  # the write was acknowledged before the read
    assert run.synced_value == run.written_value
    assert run.synced_zxid > run.stale_zxid


def test_an_ensemble_refuses_a_server_it_does_not_have():
    ensemble = zookeeper.ZooKeeperEnsemble(3)
    with pytest.raises(KeyError, match="unknown ZooKeeper server 4"):
        ensemble.kill(4)
    with pytest.raises(ValueError, match="ensemble size must be an int >= 1, got 0"):
        zookeeper.ZooKeeperEnsemble(0)
