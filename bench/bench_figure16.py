"""Figure 16 of the Raft paper at full size: 1,000 leader crashes per line.

The setup is the paper's (§9.3): five servers, a broadcast time of about
15 ms, the leader crashed at a random moment of its heartbeat interval (half
the minimum election timeout) just after a heartbeat broadcast, followers
holding logs of different lengths. The paper ran 100 trials for 150–150 ms
and 1,000 for every other line; so does this script. It prints, per line, the
percentiles of the time from the crash to a new leader next to what the
paper states in words, and the wall-clock time the line took. With
``--prevote`` the servers run PreVote (thesis §9.6), which the chapter shows
brings the tails close to the paper's.

Run: ``python bench/bench_figure16.py [trials_per_line] [--prevote]``
"""

from __future__ import annotations

import sys
import time

import pandas as pd

from ddia10.raft.experiments import (
    FIGURE16_BOTTOM,
    FIGURE16_TOP,
    broadcast_time,
    figure16,
    figure16_table,
)


def main(trials: int = 1000, prevote: bool = False) -> None:
    print(f"broadcast time, measured: {broadcast_time():.1f} ms (the paper: about 15 ms)")
    print(f"PreVote: {'on' if prevote else 'off'}")
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 20)
    for name, ranges in (("top (randomness)", FIGURE16_TOP),
                         ("bottom (timeout length)", FIGURE16_BOTTOM)):
        lines = []
        for r in ranges:
            start = time.perf_counter()
            lines += figure16([r], trials, trials_for={(150, 150): min(trials, 100)},
                              prevote=prevote)
            print(f"  {r[0]:g}–{r[1]:g} ms: {len(lines[-1].trials)} trials in "
                  f"{time.perf_counter() - start:.1f} s wall clock")
        print(f"\nFigure 16, {name}: time without leader (ms)")
        print(figure16_table(lines).to_string())
        print()


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--prevote"]
    main(int(args[0]) if args else 1000, prevote="--prevote" in sys.argv[1:])
