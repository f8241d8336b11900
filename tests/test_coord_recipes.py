"""The recipes on a healthy service: what each promises, shown on short fault-free runs."""

import pytest

from ddia10.coord import (
    CasCounter,
    CoordCluster,
    Discoverer,
    ElectionCandidate,
    FencedResource,
    LeaderObserver,
    LockHolder,
    Range,
    ServiceInstance,
    prefix_end,
)


def holders_world(cls=LockHolder, n=3, acts=3, **habits):
    svc = CoordCluster(3, seed=2)
    svc.add_resource("db")
    for i in range(1, n + 1):
        svc.add_client(f"c{i}", cls, resource="db", ttl=2, acts=acts, work=(10.0, 30.0),
                       **habits)
    return svc


def test_the_lock_goes_round_in_queue_order_and_tokens_are_create_revisions():
    svc = holders_world()
    created = []
    svc.sim.observe(lambda fact: svc._hear(fact) or created.extend(
        e.kv.create_revision for e in getattr(fact, "events", ())
        if e.type == "put" and e.key.startswith("/lock/") and e.kv.version == 1))
    svc.run(3000)
    db: FencedResource = svc.process("db")
    tokens = [token for _writer, token, _value in db.writes]
    assert tokens == sorted(tokens) and len(set(tokens)) > 3  # many holders, in token order
    assert set(tokens) <= set(created)  # every token is a lock key's create revision
    turns = [(w, t) for i, (w, t, _v) in enumerate(db.writes) if i == 0 or db.writes[i - 1][1] != t]
    assert all(sum(1 for w, t, _v in db.writes if t == token) == 3 for _w, token in turns[:-1])
    assert db.rejected == [] and svc.violation is None


def test_a_holder_that_cannot_renew_stops_writing_when_its_own_timer_says_so():
    svc = holders_world(n=1, acts=10_000, think=(0.0, 0.0))
    svc.run(1000)
    holder_key = "/lock/1"
    assert svc.process("c1").phase == "holding"
    for server in svc.servers:  # cut the holder off from the service, not from db
        svc.sim.set_link("c1", server, loss=1.0)
    cut = svc.sim.now
    svc.run(5000)
    last = max(ev.time for ev in svc.sim.trace.of_kind("deliver")
               if ev.pid == "db" and ev.data["src"] == "c1")
    assert cut < last <= cut + 2000  # no write once its 2 s lease would have run out
    assert holder_key not in svc.store(svc.leader()).live  # and the service expired it


def test_an_election_has_one_leader_at_a_time_and_the_observer_sees_them_in_order():
    svc = holders_world(ElectionCandidate)
    svc.add_client("observer", LeaderObserver)
    svc.run(3000)
    leaders = svc.process("observer").leaders
    assert len(leaders) > 3
    assert all(value.endswith("leads") or value.endswith("campaigns") for _t, _k, value in leaders)
    db = svc.process("db")
    tokens = [token for _w, token, _v in db.writes]
    assert tokens == sorted(tokens) and svc.violation is None


def test_a_discoverer_s_view_is_the_registry():
    svc = CoordCluster(3, seed=3)
    for i in (1, 2, 3):
        svc.add_client(f"s{i}", ServiceInstance, ttl=1, up=(300.0, 900.0), down=(100.0, 400.0))
    svc.add_client("d", Discoverer)
    for _ in range(8):
        svc.run(450)
        listed = svc.request(Range("/services/payment/", prefix_end("/services/payment/")))
        view = svc.process("d")
        svc.run_until(lambda c, rev=listed.revision: c.process("d").revision >= rev, 1000)
        if view.revision == listed.revision:
            assert view.instances == {kv.key: kv.value for kv in listed.kvs}
    assert svc.monitor.deliveries > 5 and svc.violation is None


def test_compare_and_swap_counters_lose_no_increment():
    svc = CoordCluster(3, seed=4)
    for i in (1, 2, 3):
        svc.add_client(f"c{i}", CasCounter, increments=10, think=(0.0, 5.0))
    assert svc.run_until(lambda c: sum(c.process(p).done for p in ("c1", "c2", "c3")) == 30, 10_000)
    assert svc.request(Range("/counter")).kvs[0].value == "30"
    attempts = sum(svc.process(p).attempts for p in ("c1", "c2", "c3"))
    assert attempts > 30  # they collided, and retried
    assert svc.check_linearizable().verdict == "linearizable"


@pytest.mark.parametrize("make, message", [
    (lambda: LockHolder([1], ttl=0), "lease TTL"),
    (lambda: LockHolder([1], work=(5.0, 1.0)), "work"),
    (lambda: LockHolder([], ttl=1), "at least one server"),
    (lambda: CasCounter([1], increments=-1), "increments"),
    (lambda: ServiceInstance([1], prefix=""), "prefix"),
])
def test_bad_input_fails_with_a_clear_message(make, message):
    with pytest.raises(ValueError, match=message):
        make()
