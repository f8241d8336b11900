"""The replicated store: revisions, transactions, leases, compaction, as etcd defines them."""

import pytest

from ddia10.coord import (
    ERR_COMPACTED,
    ERR_DUPLICATE_KEY,
    ERR_EMPTY_KEY,
    ERR_FUTURE_REV,
    ERR_LEASE_NOT_FOUND,
    Compact,
    Compare,
    CoordCommand,
    CoordError,
    DeleteRange,
    LeaseExpiry,
    LeaseGrant,
    LeaseRevoke,
    MVCCStore,
    Put,
    Range,
    Txn,
    WatchEvent,
    prefix_end,
)


class Client:
    """Feeds a store commands as the log would, numbering them."""

    def __init__(self, store, name="c"):
        self.store, self.name, self.seq = store, name, 0

    def __call__(self, op):
        self.seq += 1
        return self.store.apply(CoordCommand(self.name, self.seq, op))


@pytest.fixture
def store():
    return MVCCStore()


def test_one_revision_for_the_whole_store_and_per_key_create_mod_version(store):
    do = Client(store)
    assert store.revision == 1  # an empty store is at revision 1, as etcd's is
    assert do(Put("a", "1")).revision == 2
    assert do(Put("b", "1")).revision == 3
    assert do(Put("a", "2")).revision == 4
    (a,) = store.range(Range("a")).kvs
    assert (a.create_revision, a.mod_revision, a.version) == (2, 4, 2)
    do(DeleteRange("a"))
    do(Put("a", "3"))  # created again: a new create revision, version 1
    (a,) = store.range(Range("a")).kvs
    assert (a.create_revision, a.mod_revision, a.version) == (6, 6, 1)


def test_a_delete_that_deletes_nothing_leaves_the_revision_alone(store):
    do = Client(store)
    result = do(DeleteRange("nothing"))
    assert (result.revision, result.deleted) == (1, 0)


def test_reads_at_an_older_revision_see_the_store_as_it_was(store):
    do = Client(store)
    do(Put("k", "old"))
    do(Put("k", "new"))
    do(DeleteRange("k"))
    assert store.range(Range("k", revision=2)).kvs[0].value == "old"
    assert store.range(Range("k", revision=3)).kvs[0].value == "new"
    assert store.range(Range("k", revision=4)).kvs == ()
    assert store.range(Range("k", revision=4)).revision == 4


def test_a_range_lists_a_prefix_in_key_order(store):
    do = Client(store)
    for key in ("/s/b", "/s/a", "/t/x", "/s"):
        do(Put(key, key))
    kvs = store.range(Range("/s/", prefix_end("/s/"))).kvs
    assert [kv.key for kv in kvs] == ["/s/a", "/s/b"]


def test_a_txn_runs_one_branch_at_one_revision(store):
    do = Client(store)
    create = Txn(compare=(Compare("lock", "create", "=", 0),),
                 success=(Put("lock", "me"), Put("owner", "me")), failure=(Range("lock"),))
    first = do(create)
    assert first.succeeded and first.revision == 2
    assert {kv.mod_revision for kv in store.live.values()} == {2}  # both writes, one revision
    second = do(create)
    assert not second.succeeded and second.revision == 2
    assert second.responses[0].kvs[0].value == "me"  # the failure branch read the holder


@pytest.mark.parametrize("target, result, value, holds", [
    ("value", "=", "v", True), ("value", "!=", "v", False), ("version", ">", 0, True),
    ("create", "=", 2, True), ("mod", "<", 3, True), ("lease", "=", 0, True),
])
def test_compares_look_at_value_version_revisions_and_lease(store, target, result, value,
                                                           holds):
    do = Client(store)
    do(Put("k", "v"))
    assert do(Txn(compare=(Compare("k", target, result, value),))).succeeded is holds


def test_a_value_compare_on_a_missing_key_fails_and_its_revisions_are_0(store):
    do = Client(store)
    assert not do(Txn(compare=(Compare("none", "value", "=", ""),))).succeeded
    assert do(Txn(compare=(Compare("none", "mod", "=", 0),))).succeeded


def test_a_txn_branch_writing_one_key_twice_is_refused(store):
    do = Client(store)
    outcome = do(Txn(success=(Put("k", "1"), Put("k", "2"))))
    assert outcome == CoordError(ERR_DUPLICATE_KEY) and store.revision == 1


def test_a_lease_takes_its_keys_with_it_at_one_revision(store):
    do = Client(store)
    lease = do(LeaseGrant(5))
    assert (lease.id, lease.ttl) == (1, 5) and store.revision == 1  # a grant writes no key
    do(Put("/s/a", "x", lease.id))
    do(Put("/s/b", "y", lease.id))
    do(Put("/s/c", "z"))
    assert store.apply(LeaseExpiry(lease.id)).deleted == 2
    assert store.revision == 5 and set(store.live) == {"/s/c"}
    assert [(e.type, e.key, e.revision) for e in store.events[-2:]] == [
        ("delete", "/s/a", 5), ("delete", "/s/b", 5)]
    assert do(LeaseRevoke(lease.id)) == CoordError(ERR_LEASE_NOT_FOUND)


def test_a_put_under_an_unknown_lease_is_refused(store):
    assert Client(store)(Put("k", "v", lease=42)) == CoordError(ERR_LEASE_NOT_FOUND)


def test_a_key_moved_to_another_lease_leaves_the_first(store):
    do = Client(store)
    first, second = do(LeaseGrant(5)).id, do(LeaseGrant(5)).id
    do(Put("k", "v", first))
    do(Put("k", "v", second))
    assert store.lease_keys(first) == () and store.lease_keys(second) == ("k",)


def test_a_ttl_below_the_minimum_is_raised_to_it():
    store = MVCCStore(min_ttl=2)
    assert Client(store)(LeaseGrant(1)).ttl == 2


def test_compaction_forgets_what_only_older_revisions_showed(store):
    do = Client(store)
    for value in ("1", "2", "3"):
        do(Put("k", value))  # revisions 2, 3, 4
    do(Put("gone", "x"))
    do(DeleteRange("gone"))  # revision 6
    do(Compact(4))
    assert store.range(Range("k", revision=4)).kvs[0].value == "3"  # the compact revision stays
    with pytest.raises(CoordError, match="compacted"):
        store.range(Range("k", revision=3))
    assert store.range(Range("gone", revision=5)).kvs[0].value == "x"
    assert [e.revision for e in store.events] == [4, 5, 6]
    assert do(Compact(4)) == CoordError(ERR_COMPACTED)
    assert do(Compact(99)) == CoordError(ERR_FUTURE_REV)
    with pytest.raises(CoordError, match="future"):
        store.range(Range("k", revision=99))


def test_events_after_a_revision_are_in_order_or_compacted(store):
    do = Client(store)
    for key in ("a", "b", "a"):
        do(Put(key, key))
    assert [(e.key, e.revision) for e in store.events_after(2, "a", None)] == [("a", 4)]
    assert store.events_after(1, "a", "c")[0] == WatchEvent("put", "a", 2, store._at("a", 2))
    do(Compact(3))
    assert store.events_after(2, "a", "c")  # from revision 3 on: still there
    with pytest.raises(CoordError, match="compacted"):
        store.events_after(1, "a", "c")


def test_a_retried_write_is_answered_from_the_session_table(store):
    command = CoordCommand("c", 1, Put("k", "v"))
    first = store.apply(command)
    assert store.apply(command) == first and store.revision == 2
    assert store.cached("c", 1) == (True, first)
    assert store.apply(CoordCommand("c", 0, Put("k", "older"))) is None  # an older retry


def test_an_empty_key_is_refused(store):
    assert Client(store)(Put("", "v")) == CoordError(ERR_EMPTY_KEY)


def test_a_snapshot_restores_the_same_store(store):
    do = Client(store)
    lease = do(LeaseGrant(3)).id
    do(Put("k", "v", lease))
    other = MVCCStore()
    other.restore(store.snapshot())
    assert other.snapshot() == store.snapshot()
    with pytest.raises(ValueError, match="not a store snapshot"):
        other.restore({"revision": 1})
