"""Two-phase commit's randomized campaign, over many seeds.

Each seed: a coordinator (alone, or replicated over three Raft servers),
three participants and ten random transactions on few rows, while a seeded
schedule crashes, restarts, partitions and disconnects processes for 2 s and
the network loses, duplicates and reorders messages. Atomicity, commit
validity and the lock table are checked after every event; then the network
heals, everything restarts and the run settles. The same campaign with
``bug_abort_in_doubt`` (a participant that voted yes may abort on a timeout)
shows what it takes to catch that bug.

Run: ``python bench/bench_twopc.py [seeds]`` (default 1000 of each).
"""

from __future__ import annotations

import sys
import time

from ddia10.scenarios.two_phase_commit import campaign


def main(seeds: int = 1000) -> int:
    print(f"{'coordinator':<22}{'bug':<6}{'runs':>6}{'broken':>8}{'committed':>11}"
          f"{'aborted':>9}{'unheard':>9}{'in doubt':>10}{'s/seed':>9}")
    failed = False
    for replicas in (1, 3):
        for bug in (False, True):
            started = time.perf_counter()
            result = campaign(range(seeds), replicas=replicas, bug=bug)
            per_seed = (time.perf_counter() - started) / seeds
            who = "single" if replicas == 1 else f"Raft group of {replicas}"
            print(f"{who:<22}{'on' if bug else 'off':<6}{result.runs:>6}{result.violations:>8}"
                  f"{result.committed:>11}{result.aborted:>9}{result.unheard:>9}"
                  f"{result.in_doubt:>10}{per_seed:>9.3f}")
            if result.first_violation:
                print(f"    first: {result.first_violation}")
            correct = result.violations == 0 and result.in_doubt == 0
            failed |= (not correct) if not bug else result.violations == 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
