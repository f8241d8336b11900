"""The key-value store's randomized campaign, over many seeds.

Each seed: five Raft servers, three clients running random get/put/append on
three keys for 3 s of simulated time, while seeded faults crash, restart,
partition and disconnect servers and the network loses, duplicates and
reorders messages; PreVote, CheckQuorum and log compaction are drawn from the
seed. Then the faults stop and the clients finish. Each run is judged three
ways: Raft's invariants, the linearizability of the clients' history (whole,
and cut while the faults were active), and the servers' final state against
what the clients saw.

Run: ``python bench/bench_raft_campaign.py [seeds] [read_mode] [first_seed]``
(default 1000 seeds, ``read_index``; ``local`` shows the campaign catching
stale reads).
"""

from __future__ import annotations

import sys
import time

from ddia10.runtime import progress
from ddia10.scenarios.raft_deep_dive import campaign_seed


def main(seeds: int = 1000, read_mode: str = "read_index", first: int = 0) -> int:
    started = time.perf_counter()
    ops = pending = violations = non_linearizable = unknown = unbacked = 0
    failures = []
    bar = progress(range(first, first + seeds), desc=f"campaign ({read_mode})", unit="seed")
    for seed in bar:
        report = campaign_seed(seed, read_mode=read_mode)
        ops += report.ops
        pending += report.pending
        violations += report.violation is not None
        verdicts = (report.verdict, report.verdict_at_cut)
        non_linearizable += "not linearizable" in verdicts
        unknown += "unknown" in verdicts and "not linearizable" not in verdicts
        unbacked += bool(report.unbacked)
        if not report.ok:
            failures.append(report)
    wall = time.perf_counter() - started
    print(f"read mode                    {read_mode}")
    print(f"seeds                        {seeds} (from {first})")
    print(f"client operations            {ops}  ({ops / seeds:.0f} per seed)")
    print(f"pending when faults stopped  {pending}")
    print(f"Raft invariant violations    {violations}")
    print(f"non-linearizable histories   {non_linearizable}")
    print(f"undecided histories          {unknown}")
    print(f"runs with unbacked reads     {unbacked}")
    print(f"wall time                    {wall:.1f} s ({wall / seeds * 1000:.0f} ms per seed)")
    for report in failures[:5]:
        found = report.violation or (report.verdict, report.verdict_at_cut)
        print(f"  seed {report.seed}: {found} {report.unbacked[:2]} options={report.options}")
    return 1 if failures and read_mode != "local" else 0


if __name__ == "__main__":
    args = sys.argv[1:]
    sys.exit(main(int(args[0]) if args else 1000, args[1] if len(args) > 1 else "read_index",
                  int(args[2]) if len(args) > 2 else 0))
