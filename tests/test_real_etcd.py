"""A real etcd cluster of our own, through the etcd3gw client: the same semantics and the
same error messages as the simulated service, and nothing left running afterwards.

Skipped, saying why, where etcd (or etcd3gw) is missing — except under ``CI=true``,
where the machine is meant to have it and a skip would hide a broken install.
"""

import os
import subprocess

import pytest

from ddia10.coord import ERR_COMPACTED, ERR_FUTURE_REV, ERR_LEASE_NOT_FOUND, ERR_TOO_LARGE
from ddia10.real import etcd
from ddia10.real.services import running_services, wait_until

MISSING = etcd.etcd_available()
if MISSING and os.environ.get("CI") == "true":
    raise RuntimeError(f"CI must run the real etcd test, but: {MISSING}")
pytestmark = pytest.mark.skipif(MISSING is not None, reason=f"no etcd here: {MISSING}")


def etcd_processes():
    """The etcd processes this test process started (other programs on the machine,
    other test runs among them, may start and stop theirs at any time)."""
    out = subprocess.run(["ps", "-eo", "ppid=,pid=,args="], capture_output=True,
                         text=True).stdout
    mine = [line.split(None, 2) for line in out.splitlines()]
    return [f"{pid} {args}" for ppid, pid, args in (m for m in mine if len(m) == 3)
            if int(ppid) == os.getpid() and args.startswith(etcd.etcd_program())]


@pytest.fixture(scope="module")
def cluster():
    with etcd.EtcdCluster() as c:
        pids = [s.pid for s in c.services.values()]
        yield c
    assert running_services() == []
    for pid in pids:  # the members are gone, not just forgotten
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def answer(client, path, body):
    from etcd3gw.exceptions import Etcd3Exception

    try:
        return client.post(client.get_url(path), json=body)
    except Etcd3Exception as exc:
        return exc.detail_text


def test_etcd3gw_speaks_to_etcd_3_4_through_the_v3_gateway(cluster):
    client = cluster.client()
    assert client.status()["version"].startswith("3.4")
    assert client.put("/k", "1") and client.put("/k", "2")
    value, meta = client.get("/k", metadata=True)[0]
    assert value == b"2" and (meta["create_revision"], meta["mod_revision"]) == ("2", "3")
    assert client.create("/once", "a") and not client.create("/once", "b")


def test_the_real_service_answers_bad_requests_with_the_simulated_service_s_words(cluster):
    client = cluster.client()
    client.put("/c", "1")
    client.put("/c", "2")
    revision = int(client.get("/c", metadata=True)[0][1]["mod_revision"])
    answer(client, "/kv/compaction", {"revision": revision})
    assert ERR_COMPACTED in answer(client, "/kv/range", {"key": "L2M=",
                                                         "revision": revision - 1})
    assert ERR_FUTURE_REV in answer(client, "/kv/range", {"key": "L2M=", "revision": 10**6})
    assert ERR_LEASE_NOT_FOUND in answer(client, "/kv/put", {"key": "L2M=", "value": "eA==",
                                                             "lease": 12345})
    big = "eHh4" * (1600 * 1024 // 3)  # 1.6 MB of "x", base64: over 1.5 MiB
    assert ERR_TOO_LARGE in answer(client, "/kv/put", {"key": "L2M=", "value": big})
    bigger = "eHh4" * (2 * 2**20 // 3)  # over 2 MiB gRPC refuses it first, in its own words
    assert "larger than max" in answer(client, "/kv/put", {"key": "L2M=", "value": bigger})


def test_etcd_raises_a_short_or_zero_ttl_to_its_minimum(cluster):
    client = cluster.client()
    granted = [int(answer(client, "/lease/grant", {"TTL": ttl})["TTL"]) for ttl in (0, -5)]
    assert granted == [1, 1]  # 1.5 election timeouts of 500 ms, rounded up to a second


def test_a_keep_alive_of_an_expired_lease_is_refused(cluster):
    client = cluster.client()
    lease = client.lease(1)
    client.put("/leased", "v", lease=lease)
    wait_until(lambda: client.get("/leased") == [], "the leased key to go")
    assert lease.refresh() == -1


def test_the_chapter_s_real_story():
    from ddia10.scenarios.in_practice.real import real_etcd

    before = (set(running_services()), set(etcd_processes()))  # the module's cluster, if up
    run = real_etcd()
    facts = run.facts
    assert facts["config revisions"] == (2, 3, 2) and facts["txn"] == (True, False)
    assert facts["token B"] == facts["token A"] + 1
    assert facts["leased key"] == [] and facts["one down"] == [b"ok"]
    assert facts["two down"].startswith("no answer") and facts["serializable read"] == [b"ok"]
    assert facts["back"] == [b"ok"]
    token_a, token_b = facts["tokens"]
    assert token_b > token_a and facts["B's write"] == "accepted"
    assert facts["A's late write"] == "refused", facts["A's lines"]
    assert "stopping" in facts["A's end"]
    assert run.verdict.verdict == "linearizable" and facts["history ops"] > 50
    assert run.timings["puts/s, 1 client"] > 0 and run.timings["puts/s, 8 clients"] > 0
    assert (set(running_services()), set(etcd_processes())) == before  # nothing of ours left


def test_a_missing_client_is_explained():
    assert "pip install etcd3gw" in etcd.CLIENT_INSTALL
    with pytest.raises(KeyError, match="unknown etcd member"):
        etcd.EtcdCluster().url("m9")
