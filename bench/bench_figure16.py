"""Figure 16 of the Raft paper at full size: 1,000 leader crashes per line,
under both timer rules.

The setup is the paper's (§9.3, and the thesis's §9.4): five servers, a
broadcast time of about 15 ms, a synchronised heartbeat to every follower,
the leader crashed at a random moment of its heartbeat interval (half the
minimum election timeout), followers holding logs of different lengths, and
the time measured until every survivor has heard from the new leader. The
paper ran 100 trials for 150–150 ms and 1,000 for every other line; so does
this script, once with Figure 2's timer rules (``election_timer="paper"``)
and once with etcd's. A trial without a leader after 60 s of simulated time
shows as "> 60000". It prints the network and disk it simulates and the
broadcast time they give, then per line the percentiles next to what the
paper states, the wall-clock time the line took, and at the end every number
the paper gives beside ours. The broadcast time is split between network
and disk as :data:`~ddia10.scenarios.raft.PAPER_DISK_LATENCY` says; with
``--instant-disk`` it is all network. With ``--prevote`` the servers also run
PreVote (thesis §9.6).

Run: ``python bench/bench_figure16.py [trials_per_line] [--prevote] [--instant-disk]``
"""

from __future__ import annotations

import sys
import time

import pandas as pd

from ddia10.scenarios.raft import (
    FIGURE16_BOTTOM,
    FIGURE16_TOP,
    PAPER_DISK_LATENCY,
    PAPER_LATENCY,
    PAPER_NETWORK,
    broadcast_time,
    figure16,
    figure16_table,
    paper_comparison,
)


def main(trials: int = 1000, prevote: bool = False, disk: bool = True) -> None:
    latency, disk_latency = (PAPER_NETWORK, PAPER_DISK_LATENCY) if disk else (PAPER_LATENCY, 0.0)
    print(f"network: {latency[0]:g}–{latency[1]:g} ms one way; disk: {disk_latency:g} ms "
          f"per write{' (instant)' if not disk_latency else ''}")
    measured = broadcast_time(latency, disk_latency=disk_latency)
    print(f"broadcast time, measured: {measured:.1f} ms (the paper: about 15 ms)")
    print(f"PreVote: {'on' if prevote else 'off'}")
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 20)
    ranges = list(dict.fromkeys(FIGURE16_TOP + FIGURE16_BOTTOM))
    runs = {}
    for rule in ("paper", "etcd"):
        lines = []
        for r in ranges:
            start = time.perf_counter()
            lines += figure16([r], trials, trials_for={(150, 150): min(trials, 100)},
                              latency=latency, disk_latency=disk_latency,
                              election_timer=rule, prevote=prevote)
            print(f"  {rule} rules, {r[0]:g}–{r[1]:g} ms: {len(lines[-1].trials)} trials in "
                  f"{time.perf_counter() - start:.1f} s wall clock")
        runs[f"{rule}'s rules"] = lines
        print(f"\nFigure 16, {rule}'s timer rules: time without leader (ms)")
        print(figure16_table(lines).to_string())
        print()
    print("Every number the paper states, beside ours (ms)")
    print(paper_comparison(runs).to_string())


if __name__ == "__main__":
    flags = {"--prevote", "--instant-disk"}
    args = [a for a in sys.argv[1:] if a not in flags]
    main(int(args[0]) if args else 1000, prevote="--prevote" in sys.argv[1:],
         disk="--instant-disk" not in sys.argv[1:])
