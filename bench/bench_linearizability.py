"""Time the linearizability checker on the shared Jepsen histories.

Run from the repository root: ``python bench/bench_linearizability.py [--repeat 3]``.
Prints one line per history (median wall-clock and CPU time over the repeats)
and the totals per family, and exits non-zero if any verdict differs from the
expected one. On a busy machine the CPU time is the steadier figure.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from ddia10.linearizability import check, load_history

HISTORIES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "histories"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per history (median kept)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per check")
    parser.add_argument("--quiet", action="store_true", help="print the totals only")
    args = parser.parse_args()
    if not HISTORIES.is_dir():
        print(f"no histories at {HISTORIES}", file=sys.stderr)
        return 2

    families: dict[str, list[float]] = {}
    wrong = []
    for path in sorted(HISTORIES.glob("*.json")):
        history = load_history(path)
        wall, cpu = [], []
        for _ in range(args.repeat):
            start, start_cpu = time.perf_counter(), time.process_time()
            result = check(history, timeout_s=args.timeout)
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        median, median_cpu = statistics.median(wall), statistics.median(cpu)
        family = "etcd" if "etcd" in path.name else path.stem.removeprefix("porcupine-")
        totals = families.setdefault(family, [0.0, 0.0])
        totals[0] += median
        totals[1] += median_cpu
        flag = "" if result.ok == history.expected else f"  WRONG (expected {history.expected})"
        if result.ok != history.expected:
            wrong.append(path.name)
        if not args.quiet:
            print(f"{path.name:32} {len(history):5d} ops  {median * 1000:8.1f} ms  "
                  f"{median_cpu * 1000:8.1f} ms cpu  {result.verdict:17} "
                  f"{result.explored:8d} steps{flag}")
    print(f"\n{'family':12} {'wall':>9} {'cpu':>9}")
    for family, (total, total_cpu) in families.items():
        print(f"{family:12} {total:8.3f}s {total_cpu:8.3f}s")
    all_wall = sum(t[0] for t in families.values())
    all_cpu = sum(t[1] for t in families.values())
    print(f"{'all':12} {all_wall:8.3f}s {all_cpu:8.3f}s   wrong verdicts: {len(wrong)}")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
