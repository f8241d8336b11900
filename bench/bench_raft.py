"""How fast our Raft replicates, and how safe it stays under random faults.

Run from the repository root: ``python bench/bench_raft.py [--seeds 1000]``.

1. Throughput: a 5-server cluster commits 10,000 client commands (proposed
   100 per simulated millisecond), with tracing on, the safety monitor
   attached and per-event invariant checks off. Prints the median wall time
   of ``--repeat`` runs (each begun on a collected heap), commands/s,
   messages per command and the simulator's events per second. Batching
   (``max_batch``) and pipelining (``max_inflight``) are what make this
   cheap; ``--max-batch 1`` shows the cost without them.
2. A partitioned follower: one of 5 servers is cut off for 2 s while the
   leader takes a command per millisecond. Prints what the leader sent it
   (messages, entries, pickled bytes) during the partition and while it
   caught up, and the entries sent to catch up per entry it lacked: a
   probing follower gets one probe per heartbeat, entries only in the first,
   and over FIFO links no pipelined batch arrives out of order to be refused.
3. The fault campaign of :func:`ddia10.scenarios.raft_deep_dive.fault_campaign` over
   many seeds (random crashes, restarts, partitions, 5% loss, 5% duplication,
   10% reordering, every invariant checked after every event), with the number
   of violations and how long the healed cluster took to elect a leader; then
   the snapshot-heavy campaign (``snapshot_heavy=True``: a snapshot every few
   entries, a slow disk, crashes aimed at InstallSnapshot) over
   ``--snapshot-seeds`` seeds.
4. ``--membership``: the campaign again, with random membership changes.
5. ``--bugs``: the same campaign with each bug switch on, counting the seeds
   on which the checker catches it.

Prints figures; asserts nothing. Exits non-zero if a correct cluster violated
an invariant or failed to recover.
"""

from __future__ import annotations

import argparse
import gc
import pickle
import statistics
import sys
import time

import bench_sim  # the simulator benchmark beside this script

from ddia10.raft import RaftCluster
from ddia10.runtime import progress
from ddia10.scenarios.raft_deep_dive import fault_campaign

BUGS = ("bug_commit_old_terms", "bug_no_election_restriction", "bug_vote_per_term_not_candidate")


def throughput_run(commands: int, max_batch: int) -> tuple[float, list]:
    """One run: its wall time and the trace events it made."""
    c = RaftCluster(5, seed=1, latency=(1.0, 5.0), max_batch=max_batch)
    leader = c.wait_for_leader()
    c.run(50)
    mark, target = len(c.trace), c.state(leader).commit_index + commands
    start = time.perf_counter()
    for k in range(commands):
        c.submit(f"cmd{k}", node=leader)
        if k % 100 == 99:
            c.run(1)
    c.run_until(lambda cl: all(n.last_applied >= target for n in cl.nodes().values()), 60_000)
    wall = time.perf_counter() - start
    c.check_invariants()
    return wall, c.trace.events[mark:]


def throughput(commands: int, max_batch: int, repeat: int) -> None:
    walls, events = [], []
    for _ in range(repeat):
        # Each run starts on a collected heap (pyperf gives each run a fresh
        # process): it must not pay for collecting the cycles the run before it
        # left behind. The collector stays on while it runs, since the
        # workload's own garbage is part of its cost.
        gc.collect()
        wall, trace = throughput_run(commands, max_batch)
        walls.append(wall)
        events = events or trace  # the first run's events, for the counts below
    walls.sort()
    wall = statistics.median(walls)
    sends = sum(1 for e in events if e.kind == "send")
    dispatched = sum(1 for e in events if e.kind in ("deliver", "timer", "drop"))
    print(f"throughput: {commands} commands on 5 servers (max_batch={max_batch}) "
          f"committed and applied everywhere in {wall:.3f} s wall (median of {repeat}: "
          + ", ".join(f"{w:.3f}" for w in walls) + ")")
    print(f"  {commands / wall:,.0f} commands/s, {sends / commands:.2f} messages per command, "
          f"{dispatched / wall:,.0f} simulator events/s ({len(events):,} trace events)")


def partition_cost(seconds: float) -> None:
    c = RaftCluster(5, seed=1, latency=(1.0, 5.0))
    leader = c.wait_for_leader()
    c.run(50)
    away = next(p for p in c.ids if p != leader)
    start = len(c.trace)
    c.partition([away], [p for p in c.ids if p != away])
    for k in range(int(seconds * 1000)):
        c.submit(f"cmd{k}", node=leader)
        c.run(1)
    healed = len(c.trace)
    missing = c.state(leader).snapshot_index + len(c.state(leader).log) \
        - (c.state(away).snapshot_index + len(c.state(away).log))
    c.heal()
    target = c.state(leader).commit_index
    c.run_until(lambda cl: cl.state(away).last_applied >= target, 10_000)

    def sent(first: int, last: int) -> tuple[int, int, int]:
        msgs = [e.data["msg"] for e in c.trace.events[first:last] if e.kind == "send"
                and e.data["dst"] == away and e.msg_type in ("AppendEntries", "InstallSnapshot")]
        entries = sum(len(getattr(m, "entries", ())) for m in msgs)
        return len(msgs), entries, sum(len(pickle.dumps(m)) for m in msgs)

    print(f"partition: one follower cut off for {seconds:g} s, {int(seconds * 1000)} commands")
    for what, (msgs, entries, size) in (("while cut off", sent(start, healed)),
                                        ("to catch up:  ", sent(healed, len(c.trace)))):
        print(f"  sent to it {what} {msgs} messages, {entries} entries, {size:,} bytes")
    entries = sent(healed, len(c.trace))[1]
    print(f"  catch-up: {entries} entries sent for {missing} missing: "
          f"{entries / missing:.2f}x the missing entries")


def heartbeat_rate(seconds: float) -> None:
    """The simulator's pace with small events: a leader and four followers idling."""
    c = RaftCluster(5, seed=1, latency=(1.0, 5.0))
    c.wait_for_leader()
    mark = len(c.trace)
    start = time.perf_counter()
    c.run(seconds * 1000)
    wall = time.perf_counter() - start
    dispatched = sum(1 for e in c.trace.events[mark:] if e.kind in ("deliver", "timer", "drop"))
    print(f"heartbeats: {seconds:g} s of simulated time, {dispatched:,} events in {wall:.2f} s "
          f"wall: {dispatched / wall:,.0f} simulator events/s")
    # The simulator's own figures on its reference workload, measured in this same run.
    events, sim_wall = bench_sim.run_sim(20_000)
    bare_events, bare_wall = bench_sim.run_bare(20_000)
    print(f"  beside the simulator benchmark: {events / sim_wall:,.0f} events/s on its heartbeat "
          f"workload; the bare heapq loop {bare_events / bare_wall:,.0f} events/s")


def campaign(seeds: int, rounds: int, **options) -> tuple[int, list, list]:
    violations, failures, to_leader = 0, [], []
    for seed in progress(range(seeds), desc="campaign", leave=False):
        result = fault_campaign(seed, rounds=rounds, **options)
        if result.violation is not None:
            violations += 1
            failures.append((seed, result.violation))
        elif not result.committed_after_heal:
            failures.append((seed, "no commit within the liveness bound"))
        if result.leader_after_heal_ms is not None:
            to_leader.append(result.leader_after_heal_ms)
    return violations, failures, to_leader


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=10_000)
    parser.add_argument("--max-batch", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=5, help="throughput runs (median)")
    parser.add_argument("--seeds", type=int, default=1000, help="fault campaign seeds")
    parser.add_argument("--snapshot-seeds", type=int, default=3000,
                        help="snapshot-heavy campaign seeds")
    parser.add_argument("--rounds", type=int, default=60, help="faults per campaign")
    parser.add_argument("--membership", action="store_true",
                        help="also run the campaign with random membership changes")
    parser.add_argument("--bugs", action="store_true", help="also run each bug switch")
    args = parser.parse_args()

    throughput(args.commands, args.max_batch, args.repeat)
    partition_cost(2)
    heartbeat_rate(60)

    start = time.perf_counter()
    violations, failures, to_leader = campaign(args.seeds, args.rounds)
    wall = time.perf_counter() - start
    print(f"campaign: {args.seeds} seeds x {args.rounds} random faults, invariants after "
          f"every event: {violations} violations, {len(failures) - violations} liveness "
          f"failures ({wall:.1f} s wall)")
    if to_leader:
        print(f"  leader after heal: median {statistics.median(to_leader):.0f} ms, "
              f"max {max(to_leader):.0f} ms (simulated)")
    start = time.perf_counter()
    caught, heavy, _ = campaign(args.snapshot_seeds, args.rounds, snapshot_heavy=True)
    failures += heavy
    print(f"snapshot-heavy campaign: {args.snapshot_seeds} seeds x {args.rounds} rounds "
          f"(a snapshot every 2-5 entries, a slow disk, crashes at InstallSnapshot): "
          f"{caught} violations, {len(heavy) - caught} liveness failures "
          f"({time.perf_counter() - start:.1f} s wall)")
    for seed, why in failures[:10]:
        print(f"  seed {seed}: {why}")

    if args.membership:
        start = time.perf_counter()
        caught, more, _ = campaign(args.seeds, args.rounds, membership=True)
        failures += more
        print(f"campaign with membership changes: {caught} violations, "
              f"{len(more) - caught} liveness failures ({time.perf_counter() - start:.1f} s wall)")
    if args.bugs:
        for bug in BUGS:
            caught, _failures, _ = campaign(args.seeds, args.rounds, **{bug: True})
            print(f"  {bug}: caught on {caught} of {args.seeds} seeds")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
