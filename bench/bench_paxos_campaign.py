"""Multi-Paxos under random faults, over many seeds.

Each seed: five servers over a network that loses, duplicates and reorders
messages; a client submits 40 commands over 3 s to whoever leads, while
``ddia10.sim.faults.random_faults`` crashes and restarts servers, partitions
and heals the network and disconnects and reconnects servers; then the
network heals, every server restarts, and one more command must be decided
within 2 s (progress once the faults stop). The monitor
hears every vote and every decision, so one check at the end judges every
moment: at most one value per slot, only proposed values chosen, no learner
learning two values, every server's log applied in slot order.

Run: ``python bench/bench_paxos_campaign.py [seeds, default 1000]``
"""

from __future__ import annotations

import sys
import time

from ddia10.runtime import progress
from ddia10.scenarios.paxos import multi_paxos_campaign


def main(seeds: int = 1000) -> int:
    started = time.perf_counter()
    runs = []
    for seed in progress(range(seeds), desc="Multi-Paxos campaign", unit="seed"):
        runs.extend(multi_paxos_campaign(range(seed, seed + 1)))
    wall = time.perf_counter() - started
    broken = [r for r in runs if r.violation is not None]
    print(f"seeds                  {len(runs)}")
    print(f"faults injected        {sum(r.faults for r in runs)}")
    print(f"slots decided          {sum(r.decided for r in runs)} "
          f"(min {min(r.decided for r in runs)} per seed)")
    print(f"decided after faults   {sum(r.recovered for r in runs)} of {len(runs)} runs")
    print(f"invariant violations   {len(broken)}")
    print(f"wall time              {wall:.1f} s ({wall / len(runs) * 1000:.0f} ms per seed)")
    for run in broken[:5]:
        print(f"  seed {run.seed}: {run.violation}")
    return 1 if broken or not all(r.recovered for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
