"""Chapter 7 at full size: the random fault campaigns and the split-vote frequencies.

1. ZAB, EPaxos and Viewstamped Replication under random faults, 1,000 seeds
   each (every invariant checked after every event, then a heal and a check
   that the servers converged). VR keeps nothing on disk, so its campaign
   crashes one server at a time; a run in which more than ``f`` servers were
   without their state at once cannot converge, and is counted apart.
2. The same campaigns with a rule removed, to show which ones random faults
   catch (the others are caught by the scripted tests of ``tests/``).
3. Raft's split votes: 10,000 elections per timeout range, each right after a
   heartbeat that every follower received at the same instant; the share of
   elections that needed at least k extra terms.
4. The FLP adversary held for 20 simulated seconds.

Run: ``python bench/bench_zab_epaxos.py [seeds] [elections]`` (defaults 1000, 10000).
"""

from __future__ import annotations

import sys
import time

from ddia10.runtime import progress
from ddia10.scenarios import zab_and_others as ch7

BUGS = {"zab": ("bug_leader_keeps_own_history", "bug_promise_epoch_twice",
                "bug_establish_without_quorum"),
        "epaxos": ("bug_fast_path_on_changed_replies", "bug_accept_any_preaccepted",
                   "bug_one_ballot_variable", "bug_execute_in_commit_order"),
        "vr": ("bug_longest_log",)}


def campaigns(seeds: int) -> bool:
    print(f"{'protocol':<8}{'rule removed':<34}{'seeds':>6}{'clean':>7}{'broken':>8}"
          f"{'stuck':>7}{'faults':>8}{'s/seed':>8}")
    correct = True
    for protocol in ("zab", "epaxos", "vr"):
        for bug in (None, *BUGS[protocol]):
            n = seeds if bug is None else max(1, seeds // 5)
            started = time.perf_counter()
            counts = ch7.campaign_counts(protocol, range(n), **({bug: True} if bug else {}))
            per_seed = (time.perf_counter() - started) / n
            print(f"{protocol:<8}{bug or '(none)':<34}{counts['seeds']:>6}{counts['clean']:>7}"
                  f"{counts['violations']:>8}{counts['not converged']:>7}"
                  f"{counts['faults']:>8}{per_seed:>8.3f}")
            if counts["first violation"]:
                print(f"    first broken: seed {counts['first violation'][0]}: "
                      f"{counts['first violation'][1][:110]}")
            if bug is None:
                correct &= counts["violations"] == 0
                if protocol != "vr":
                    correct &= counts["not converged"] == 0
    return correct


def split_votes(elections: int) -> None:
    ranges = [(150, 151), (150, 155), (150, 175), (150, 200), (150, 300)]
    started = time.perf_counter()
    lines = ch7.split_vote_frequencies(ranges, trials=elections,
                                       progress=lambda jobs: progress(jobs, desc="elections"))
    print(f"\nsplit votes, {elections} elections per range "
          f"({time.perf_counter() - started:.0f} s):")
    print(ch7.split_vote_table(lines, ks=(1, 2, 3, 4, 5)).to_string())


def flp(ms: float = 20_000.0) -> None:
    started = time.perf_counter()
    result, _cluster = ch7.flp_run(ms)
    print(f"\nFLP adversary for {ms / 1000:g} s of simulated time: {result.terms} terms, "
          f"decided: {result.decided_under_adversary}, {result.held} deliveries held back, "
          f"longest delay {result.longest_delay:.0f} ms; after it stopped, decided in "
          f"{result.decided_after_ms} ms ({time.perf_counter() - started:.1f} s)")


def main(seeds: int = 1000, elections: int = 10_000) -> int:
    correct = campaigns(seeds)
    split_votes(elections)
    flp()
    return 0 if correct else 1


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    sys.exit(main(*args))
