"""One replica of the coordination service, stepped alone with a bare context, rule by rule."""

import pytest

from ddia10.coord import (
    ERR_LEASE_NOT_FOUND,
    ERR_TOO_LARGE,
    Compact,
    CoordCommand,
    CoordError,
    CoordOptions,
    CoordReply,
    CoordRequest,
    CoordServer,
    LeaseExpiry,
    LeaseGrant,
    LeaseKeepAlive,
    LeaseTimeToLive,
    Put,
    Range,
    StoreChanged,
    WatchCreate,
    WatchResponse,
    request_bytes,
)
from ddia10.raft import AppendEntries, RaftOptions
from ddia10.sim import Context, Persist, Report, Send, SetTimer

OPTIONS = RaftOptions(check_quorum=True, election_timeout=(150.0, 300.0))


def started(voters=(1,), **coord):
    node = CoordServer(OPTIONS, voters=voters, coord=CoordOptions(**coord))
    ctx = Context(1, peers=tuple(v for v in voters if v != 1) + ("c", "w"))
    node.on_start(ctx)
    ctx.take()
    return node, ctx


def lone_leader(**coord):
    """A one-voter service: it elects itself and commits each entry at once."""
    node, ctx = started(**coord)
    node.on_timer(ctx, "election")
    settle(node, ctx)
    assert node.role == "leader"
    return node, ctx


def follower(**coord):
    """A follower of leader 2 in a three-voter service."""
    node, ctx = started(voters=(1, 2, 3), **coord)
    node.on_message(ctx, 2, AppendEntries(1, 2, 0, 0, (), 0))
    ctx.take()
    return node, ctx


def settle(node, ctx):
    """Fire the zero-delay timers a step asked for (the flush), as the world would."""
    effects = new = ctx.take()
    while any(isinstance(e, SetTimer) and e.delay == 0 for e in new):
        node.on_timer(ctx, "flush")
        new = ctx.take()
        effects += new
    return effects


def ask(node, ctx, op, seq=1, src="c"):
    node.on_message(ctx, src, CoordRequest(src, seq, op))
    return [e.msg for e in settle(node, ctx) if isinstance(e, Send) and e.dst == src]


def result(replies):
    (reply,) = replies
    assert isinstance(reply, CoordReply)
    return reply.error if reply.status == "error" else reply.result


def write(node, key, value, lease=0):
    """Apply a write to the replica's store directly, as a committed entry would."""
    node.store.apply(CoordCommand(f"setup {key}", 1, Put(key, value, lease)))


# ---------------------------------------------------------------------- writes and reads
def test_a_write_is_answered_once_applied():
    node, ctx = lone_leader()
    assert result(ask(node, ctx, Put("k", "v"))).revision == 2
    assert node.store.live["k"].value == "v"


def test_a_follower_sends_writes_and_linearizable_reads_to_its_leader():
    node, ctx = follower()
    for op in (Put("k", "v"), Range("k")):
        (reply,) = ask(node, ctx, op)
        assert (reply.status, reply.leader) == ("not_leader", 2)


def test_a_serializable_read_is_answered_at_once_from_the_replica_s_own_store():
    node, ctx = follower()
    write(node, "k", "stale or not")
    assert result(ask(node, ctx, Range("k", serializable=True))).kvs[0].value == "stale or not"


def test_a_request_over_the_size_limit_is_refused_and_never_proposed():
    node, ctx = lone_leader(max_request_bytes=100)
    node.on_message(ctx, "c", CoordRequest("c", 1, Put("k", "x" * 100)))
    effects = settle(node, ctx)
    assert [e.msg.error for e in effects if isinstance(e, Send)] == [CoordError(ERR_TOO_LARGE)]
    assert not [e for e in effects if isinstance(e, Persist)]
    assert request_bytes(Put("k", "x" * 99)) == 100  # key and value bytes count


def test_the_default_limit_is_etcd_s_one_and_a_half_mebibytes():
    node, ctx = lone_leader()
    assert result(ask(node, ctx, Put("k", "x" * 1_572_000))).revision == 2
    assert result(ask(node, ctx, Put("k", "x" * 1_572_864), seq=2)) == CoordError(ERR_TOO_LARGE)


# ---------------------------------------------------------------------- leases
def test_a_grant_starts_the_lease_on_the_leader_s_clock():
    node, ctx = lone_leader()
    ctx.now = 1000.0
    lease = result(ask(node, ctx, LeaseGrant(5)))
    assert node.expiry == {lease.id: 6000.0}


def test_a_keep_alive_restarts_the_ttl_from_when_it_arrived():
    node, ctx = lone_leader()
    lease = result(ask(node, ctx, LeaseGrant(5))).id
    ctx.now = 3000.0
    assert result(ask(node, ctx, LeaseKeepAlive(lease), seq=2)).ttl == 5
    assert node.expiry[lease] == 8000.0


def test_a_keep_alive_of_an_expired_or_unknown_lease_is_refused():
    node, ctx = lone_leader()
    lease = result(ask(node, ctx, LeaseGrant(1))).id
    ctx.now = 1000.0  # ran out on the leader's clock; its expiry is not even proposed yet
    assert result(ask(node, ctx, LeaseKeepAlive(lease), seq=2)) == CoordError(ERR_LEASE_NOT_FOUND)
    assert result(ask(node, ctx, LeaseKeepAlive(99), seq=3)) == CoordError(ERR_LEASE_NOT_FOUND)


def test_a_lease_that_runs_out_is_expired_through_the_log():
    node, ctx = lone_leader()
    lease = result(ask(node, ctx, LeaseGrant(1))).id
    ask(node, ctx, Put("/s/a", "x", lease), seq=2)
    ctx.now = 1000.0
    node.on_timer(ctx, "leases")
    effects = settle(node, ctx)
    proposed = [e.value for e in effects if isinstance(e, Persist) and e.key.startswith("entries")]
    assert proposed == [((1, LeaseExpiry(lease)),)]  # the leader proposes, never deletes itself
    changed = [e.fact for e in effects if isinstance(e, Report)
               and isinstance(e.fact, StoreChanged)]
    assert [(ev.type, ev.key) for ev in changed[0].events] == [("delete", "/s/a")]


def test_a_follower_never_expires_a_lease_on_its_own_clock():
    node, ctx = follower()
    node.store.apply(CoordCommand("setup", 1, LeaseGrant(1)))
    write(node, "/s/a", "x", lease=1)
    ctx.now = 60_000.0
    node.on_timer(ctx, "leases")
    assert ctx.take() == [] and "/s/a" in node.store.live


def test_with_the_bug_a_replica_expires_leases_by_its_own_clock():
    node, ctx = follower(bug_local_expiry=True)
    node.store.apply(CoordCommand("setup", 1, LeaseGrant(1)))
    write(node, "/s/a", "x", lease=1)
    node.on_timer(ctx, "leases")  # notes the expiry, by its clock
    ctx.now = 1000.0
    node.on_timer(ctx, "leases")
    assert "/s/a" not in node.store.live


def test_a_new_leader_gives_every_lease_its_whole_ttl_again_plus_an_election_timeout():
    node, ctx = started()
    node.store.apply(CoordCommand("setup", 1, LeaseGrant(4)))
    ctx.now = 10_000.0
    node.on_timer(ctx, "election")
    assert node.expiry == {1: 10_000.0 + 300.0 + 4000.0}


def test_time_to_live_counts_down_on_the_leader_s_clock():
    node, ctx = lone_leader()
    lease = result(ask(node, ctx, LeaseGrant(5))).id
    ask(node, ctx, Put("k", "v", lease), seq=2)
    ctx.now = 2500.0
    ttl = result(ask(node, ctx, LeaseTimeToLive(lease), seq=3))
    assert (ttl.ttl, ttl.granted_ttl, ttl.keys) == (3, 5, ("k",))
    assert result(ask(node, ctx, LeaseTimeToLive(77), seq=4)).ttl == -1


# ---------------------------------------------------------------------- watches
def watch_parts(node, ctx, op):
    node.on_message(ctx, "w", CoordRequest("w", 1, op))
    return [e.msg for e in ctx.take() if isinstance(e, Send) and e.dst == "w"]


def test_a_watch_from_an_old_revision_catches_up_then_streams():
    node, ctx = lone_leader()
    ask(node, ctx, Put("a", "1"))
    ask(node, ctx, Put("b", "1"), seq=2)
    (part,) = watch_parts(node, ctx, WatchCreate(7, "a", "c", start_revision=2))
    assert (part.watch_id, part.after, part.revision) == (7, 1, 3)
    assert [e.key for e in part.events] == ["a", "b"]
    node.on_message(ctx, "c", CoordRequest("c", 3, Put("a", "2")))
    parts = [e.msg for e in settle(node, ctx) if isinstance(e, Send) and e.dst == "w"]
    assert [(p.after, p.revision, [e.revision for e in p.events]) for p in parts] == [
        (3, 4, [4])]


def test_a_watch_of_a_compacted_revision_is_cancelled_saying_from_where():
    node, ctx = lone_leader()
    for seq in (1, 2, 3):
        ask(node, ctx, Put("a", str(seq)), seq=seq)
    ask(node, ctx, Compact(3), seq=4)
    (part,) = watch_parts(node, ctx, WatchCreate(1, "a", start_revision=2))
    assert part == WatchResponse(1, 1, 1, compact_revision=3)
    assert not node.watchers


def test_a_repeated_watch_request_does_not_restart_the_stream():
    node, ctx = lone_leader()
    ask(node, ctx, Put("a", "1"))
    watch_parts(node, ctx, WatchCreate(1, "a"))
    ask(node, ctx, Put("a", "2"), seq=2)
    assert watch_parts(node, ctx, WatchCreate(1, "a")) == []
    assert node.watchers[("w", 1)][2] == 3


def test_an_idle_watch_hears_that_its_stream_is_alive():
    node, ctx = lone_leader()
    watch_parts(node, ctx, WatchCreate(1, "a"))
    node.on_timer(ctx, "watch-progress")
    effects = ctx.take()
    assert [e.msg for e in effects if isinstance(e, Send)] == [WatchResponse(1, 1, 1)]
    assert SetTimer(100.0, "watch-progress") in effects


@pytest.mark.parametrize("make, message", [
    (lambda: LeaseGrant(0), "lease TTL"),
    (lambda: LeaseGrant(-3), "lease TTL"),
    (lambda: Range("b", "a"), "range_end"),
    (lambda: CoordOptions(max_request_bytes=0), "max_request_bytes"),
    (lambda: CoordRequest("c", 1, "put k v"), "operation"),
])
def test_bad_input_fails_at_the_client_with_a_clear_message(make, message):
    with pytest.raises(ValueError, match=message):
        make()
