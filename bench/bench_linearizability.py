"""Time the linearizability checker on the shared Jepsen histories and on write-heavy ones.

Run from the repository root: ``python bench/bench_linearizability.py [--repeat 3]``.

1. The shared histories (Porcupine's etcd and key-value sets): one line per
   history (median wall-clock and CPU time over the repeats), totals per family.
2. The write-heavy sweep (:func:`~ddia10.linearizability.generate.write_heavy`):
   registers with 6-16 clients x 30 operations, ~80 % writes of values 1-50 and
   one stale read; key-value keys with 4-8 clients of appends and puts; for each
   size the median and worst time over the seeds, by the checker's own choice of
   method (``auto``) and by the pruned search alone (``search``); ``--plain``
   adds the search without register facts (Wing and Gong with Lowe's memo, the
   algorithm Porcupine runs), which can take many seconds per history.
3. Distinct-value registers (decided by zones, without search): 10,000
   operations of 20 clients.
4. The limits: how long past its time limit a search that cannot finish
   returns, and how far the process grows under a memory bound.

Exits non-zero if a shared verdict is wrong or two methods disagree. On a busy
machine the CPU time is the steadier figure.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

from ddia10.linearizability import History, Model, check, load_history
from ddia10.linearizability.generate import write_heavy
from ddia10.linearizability.models import model_for

HISTORIES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "histories"


def timed(history: History, repeat: int, **options):
    """The last result and the median wall-clock and CPU seconds over ``repeat`` runs."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = check(history, **options)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return result, statistics.median(wall), statistics.median(cpu)


def plain(history: History) -> Model:
    """The history's model as a reader's own: searched with no register facts."""
    builtin = model_for(history.model, history.init)
    return Model(f"plain {builtin.name}", builtin.init, step=builtin.apply,
                 partition=builtin.partition)


def shared(args) -> list[str]:
    families: dict[str, list[float]] = {}
    wrong = []
    for path in sorted(HISTORIES.glob("*.json")):
        history = load_history(path)
        result, median, median_cpu = timed(history, args.repeat, timeout_s=args.timeout)
        family = "etcd" if "etcd" in path.name else path.stem.removeprefix("porcupine-")
        totals = families.setdefault(family, [0.0, 0.0])
        totals[0] += median
        totals[1] += median_cpu
        flag = "" if result.ok == history.expected else f"  WRONG (expected {history.expected})"
        if result.ok != history.expected:
            wrong.append(path.name)
        if not args.quiet:
            print(f"{path.name:32} {len(history):5d} ops  {median * 1000:8.1f} ms  "
                  f"{median_cpu * 1000:8.1f} ms cpu  {result.verdict:17} {result.method:10} "
                  f"{result.explored:8d} steps{flag}")
    print(f"\n{'family':12} {'wall':>9} {'cpu':>9}")
    for family, (total, total_cpu) in families.items():
        print(f"{family:12} {total:8.3f}s {total_cpu:8.3f}s")
    all_wall = sum(t[0] for t in families.values())
    all_cpu = sum(t[1] for t in families.values())
    print(f"{'all':12} {all_wall:8.3f}s {all_cpu:8.3f}s   wrong verdicts: {len(wrong)}")
    return wrong


def sweep(args) -> list[str]:
    """The write-heavy sweep; returns the histories on which methods disagree."""
    methods = ["auto", "search"] + (["plain"] if args.plain else [])
    print(f"\nWrite-heavy sweep: {args.seeds} seeds a size, median of {args.repeat} runs each; "
          "times are median / worst over the seeds (wall-clock)")
    print(f"{'history':34} {'ops':>5} {'verdicts (lin/not/unk)':>24}  " +
          "  ".join(f"{m:>17}" for m in methods))
    sizes = [("register", c, {}) for c in (6, 8, 10, 12, 14, 16)] + \
        [("kv", c, {}) for c in (4, 5, 6, 8)]
    disagree = []
    for model, clients, extra in sizes:
        times: dict[str, list[float]] = {m: [] for m in methods}
        verdicts = [0, 0, 0]
        for seed in range(args.seeds):
            h = write_heavy(seed, model=model, clients=clients, ops_per_client=30, **extra)
            seen = set()
            for m in methods:
                options = {"timeout_s": args.timeout}
                if m == "plain":
                    result, wall, _ = timed(h, 1, model=plain(h), **options)
                else:
                    result, wall, _ = timed(h, args.repeat, method=m, **options)
                times[m].append(wall)
                if result.ok is not None:
                    seen.add(result.ok)
                if m == "auto":
                    verdicts[{True: 0, False: 1, None: 2}[result.ok]] += 1
            if len(seen) > 1:
                disagree.append(f"{model} clients={clients} seed={seed}")
        label = f"{model}, {clients} clients x 30"
        counts = "/".join(str(v) for v in verdicts)
        cells = "  ".join(f"{statistics.median(t) * 1000:7.1f}/{max(t) * 1000:7.1f}ms"
                          for t in times.values())
        print(f"{label:34} {clients * 30:5d} {counts:>24}  {cells}")
    return disagree


def distinct(args) -> list[str]:
    print("\nDistinct-value registers, 20 clients x 500 operations (10,000), median of "
          f"{args.repeat} runs:")
    disagree = []
    for seed in range(args.seeds):
        h = write_heavy(seed, clients=20, ops_per_client=500, values=None)
        result, wall, cpu = timed(h, args.repeat, timeout_s=args.timeout)
        searched, search_wall, _ = timed(h, 1, method="search", timeout_s=args.timeout)
        if result.ok != searched.ok:
            disagree.append(f"distinct seed={seed}")
        print(f"  seed {seed}: {result.verdict:17} by {result.method:10} {wall * 1000:7.1f} ms "
              f"({cpu * 1000:7.1f} ms cpu); the pruned search alone {search_wall * 1000:7.1f} ms")
    return disagree


def limits(args) -> None:
    """A key-value history the plain search cannot finish: time and memory bounds."""
    h = write_heavy(0, model="kv", clients=8, stale=False)
    print("\nLimits, on a key-value history the search without facts cannot finish:")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = check(h, plain(h), max_memory_mb=200)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  memory bound 200 MB: {result.verdict} ({result.limit}) after "
          f"{result.elapsed_s:.2f} s; the process grew from {before:.0f} to {after:.0f} MB")
    for limit in (1.0, 5.0):
        result = check(h, plain(h), timeout_s=limit)
        over = (result.elapsed_s - limit) / limit * 100
        print(f"  time limit {limit:g} s: {result.verdict} ({result.limit}) after "
              f"{result.elapsed_s:.3f} s, {over:+.1f} % of the limit")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per history (median kept)")
    parser.add_argument("--seeds", type=int, default=5, help="histories per generated size")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per check")
    parser.add_argument("--quiet", action="store_true", help="print the shared totals only")
    parser.add_argument("--plain", action="store_true",
                        help="also time the search without register facts (slow)")
    args = parser.parse_args()
    limits(args)
    wrong = []
    if HISTORIES.is_dir():
        wrong = shared(args)
    else:
        print(f"no shared histories at {HISTORIES}: skipping them", file=sys.stderr)
    disagree = sweep(args) + distinct(args)
    for what in disagree:
        print(f"METHODS DISAGREE on {what}")
    return 1 if wrong or disagree else 0


if __name__ == "__main__":
    sys.exit(main())
