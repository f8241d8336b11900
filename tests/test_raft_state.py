"""What the harness reads off a server: the commands it applied, and the state the
simulation copies and fingerprints (protocol state; no clocks, no monitor)."""

from ddia10.raft import RaftCluster, RaftNode
from ddia10.raft.invariants import Applied, BecameLeader
from ddia10.raft.kv import KVCommand, KVServer

QUIET = (100_000, 200_000)


class Summer(RaftNode):
    """A state machine of its own: the sum of the numbers applied, nothing else."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.total = 0

    def apply_command(self, ctx, index, command):
        self.total += command

    def snapshot_state(self):
        return self.total

    def restore_state(self, state):
        self.total = state


# ---------------------------------------------------------------- applied commands
def test_applied_lists_the_commands_of_a_node_class_with_its_own_state_machine():
    c = RaftCluster(3, seed=1, node_class=Summer)
    for k in (1, 2, 3):
        c.agree(k)
    assert all(c.applied(i) == [1, 2, 3] and c.node(i).total == 6 for i in c.ids)
    assert [i for i, _cmd in c.node(1).applied_entries] == [2, 3, 4]  # index 1: the no-op


def test_applied_of_the_key_value_store_lists_its_commands():
    c = RaftCluster(3, seed=1, node_class=KVServer)
    leader = c.wait_for_leader()
    command = KVCommand("c1", 1, "put", "x", "1")
    c.agree(command)
    assert c.applied(leader) == [command]


def test_7_after_installing_a_snapshot_a_server_lists_only_what_it_applied_since():
    c = RaftCluster(3, seed=2, node_class=Summer, snapshot_threshold=5)
    c.agree(100)
    leader = c.leader()
    lagging = next(p for p in c.ids if p != leader)
    c.disconnect(lagging)
    for k in range(1, 21):
        c.agree(k, servers=2)
    c.connect(lagging)
    c.agree(1000)
    restored = c.state(lagging).restored_index
    assert restored > 0 and c.node(lagging).total == c.node(leader).total
    entries = c.node(lagging).applied_entries
    assert entries and all(index > restored for index, _cmd in entries)
    assert c.applied(lagging) == [cmd for _i, cmd in entries] and c.applied(lagging)[-1] == 1000
    assert c.applied(leader) == [100, *range(1, 21), 1000]  # it never restored a snapshot
    assert c.state(leader).restored_index == 0


def test_7_the_default_state_machine_keeps_its_whole_list_through_a_snapshot():
    c = RaftCluster(3, seed=2, snapshot_threshold=5)
    c.agree("first")
    lagging = next(p for p in c.ids if p != c.leader())
    c.crash(lagging)
    for k in range(12):
        c.agree(k, servers=2)
    c.restart(lagging)
    c.agree("last")
    assert c.state(lagging).restored_index > 0
    assert c.applied(lagging) == ["first", *range(12), "last"]


# ---------------------------------------------------------------- snapshot and fingerprint
def scripted(latency):
    """Server 1 leads and commits two writes; everything else is quiet."""
    c = RaftCluster(3, seed=1, latency=latency, election_timeout=QUIET)
    c.campaign(1)
    c.run(30)
    c.submit("a")
    c.submit("b")
    return c


def test_fingerprint_sees_the_same_protocol_state_reached_at_different_speeds():
    fast, slow = scripted(1.0), scripted(4.0)
    fast.run(200)  # both quiet again, after the same heartbeat rounds
    slow.run(200)
    assert fast.sim.now == slow.sim.now and not fast.sim.in_flight() and not slow.sim.in_flight()
    assert fast.node(2).leader_contact != slow.node(2).leader_contact  # different timings
    assert fast.sim.fingerprint() == slow.sim.fingerprint()
    fast.agree("c")
    slow.run(fast.sim.now - slow.sim.now)
    assert fast.sim.fingerprint() != slow.sim.fingerprint()


def test_the_worlds_fingerprint_leaves_out_the_monitor_the_clusters_takes_it_in():
    c = scripted(1.0)
    c.run(100)
    world, cluster = c.sim.fingerprint(), c.fingerprint()
    c.monitor.hear(Applied(1, ((99, 1, "seen elsewhere"),)))
    assert c.sim.fingerprint() == world
    assert c.fingerprint() != cluster  # a different history is a different state to judge


def test_the_clusters_fingerprint_keeps_apart_states_whose_histories_differ():
    # Two runs end in the same world, but in one a second leader of term 1 was
    # heard: pruning the second state as "seen" would hide that violation.
    def run(history):
        c = scripted(1.0)
        c.run(100)
        if history:
            c.monitor.hear(BecameLeader(2, 1, ((0, 0),), 0))
        return c

    clean, broken = run(False), run(True)
    assert clean.sim.fingerprint() == broken.sim.fingerprint()
    assert clean.fingerprint() != broken.fingerprint()
    assert run(False).fingerprint() == clean.fingerprint()


def test_snapshot_and_restore_of_the_simulation_round_trip_and_keep_the_monitor():
    c = scripted(2.0)
    c.run(100)
    snap, fingerprint, mark = c.sim.snapshot(), c.sim.fingerprint(), len(c.trace)

    def go_on():
        c.submit("c")
        c.crash(3)
        c.run(300)
        return [e.to_dict() for e in c.trace.events[mark:]]

    first = go_on()
    assert len(first) > 20
    c.sim.restore(snap)
    assert c.sim.fingerprint() == fingerprint and len(c.trace) == mark
    assert c.sim.observer == c.monitor.hear  # the harness's monitor still hears the world
    assert go_on() == first
    assert c.applied(1) == ["a", "b", "c"]
    c.check_invariants()
