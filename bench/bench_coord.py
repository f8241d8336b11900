"""The coordination service's campaigns, over many seeds: every recipe, and the broken rules.

Each seed: three replicas, the recipe's clients (and a fenced resource for the
lock and the election) for 6 s of simulated time, while seeded faults crash,
restart, partition and disconnect replicas, pause replicas and clients, and
the network loses, duplicates and reorders messages; then everything
recovers and drains. The monitor checks that replicas agree, watches are
exact and fenced writes go in token order; Raft's monitor its five
properties; the counter's history goes to the linearizability checker.

Run: ``python bench/bench_coord.py [seeds] [first_seed]`` (default 1000 seeds
of each recipe, then 100 of each broken rule).
"""

from __future__ import annotations

import sys
import time

from ddia10.runtime import progress
from ddia10.scenarios.in_practice import BUGS, RECIPES, recipe_run

BROKEN = {"no fencing": "lock", "local expiry": "discovery", "watch gaps": "discovery"}


def run(recipe: str, seeds: range, bug: str | None = None) -> int:
    started = time.perf_counter()
    totals = dict.fromkeys(("broken", "writes", "rejected", "parts", "ops", "nonlin"), 0)
    first = None
    for seed in progress(seeds, desc=f"{recipe}{' / ' + bug if bug else ''}", unit="seed"):
        _svc, r = recipe_run(seed, recipe, bug=bug)
        totals["broken"] += not r.ok
        totals["writes"] += r.writes
        totals["rejected"] += r.rejected
        totals["parts"] += r.watch_parts
        totals["ops"] += r.ops
        totals["nonlin"] += r.verdict not in (None, "linearizable")
        if not r.ok and first is None:
            first = f"seed {seed}: {r.violation or r.verdict} {r.counter or ''}"
    wall = time.perf_counter() - started
    print(f"{recipe:10} {bug or 'correct':13} seeds {len(seeds):5}  broken {totals['broken']:5}  "
          f"fenced writes {totals['writes']:6} (stale refused {totals['rejected']:4})  "
          f"watch parts {totals['parts']:7}  counter ops {totals['ops']:6} "
          f"(not linearizable {totals['nonlin']})  {wall / len(seeds) * 1000:4.0f} ms/seed")
    if first:
        print(f"           first: {first}")
    return totals["broken"]


def main(seeds: int = 1000, first: int = 0) -> int:
    failures = sum(run(recipe, range(first, first + seeds)) for recipe in RECIPES)
    for bug in BUGS:
        caught = run(BROKEN[bug], range(first, first + max(1, seeds // 10)), bug)
        failures += caught == 0  # a broken rule that no seed catches is a failure too
    return 1 if failures else 0


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    sys.exit(main(*args))
