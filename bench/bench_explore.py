"""The explorer's five runs: one proof, three bug hunts, one long search.

1. **Paxos, one ballot per proposer, is safe**: two proposers, three
   acceptors, every interleaving, exhausted with no depth or state bound. The
   state count of the smallest model (one proposer, two acceptors, losses in)
   is checked against the count worked out by hand, 5^2 + 5^2 - 1 = 49 (see
   ``tests/test_explore.py``), and a companion search of two acceptors with
   messages lost shows that losses add no process state and that a loss is
   reached.
2. **Without the adopt-the-highest-accepted rule**, a shortest schedule that
   chooses two values.
3. **Two ballots per proposer**: how far ten minutes get (states, states/s,
   exhausted or not).
4. **Two-phase commit** with a participant that aborts by timeout after voting
   yes: the atomicity violation (when ``ddia10.twopc`` is in this tree).
5. **Raft, three servers electing**: with the vote remembered by term alone,
   two leaders in one term; with the rule intact, none, every interleaving to
   depth 12, each server's timers firing at most once.

Every run prints its verdict, the states explored, states per second (wall
and processor time: the machine may be shared), and the length of the
counterexample.

Run: ``python bench/bench_explore.py [minutes for run 3, default 10]``
"""

from __future__ import annotations

import importlib.util
import sys

from ddia10.explore import Exploration, explore
from ddia10.raft import RaftCluster
from ddia10.scenarios import paxos as ch6

HAND_COUNT = 5 ** 2 + 5 ** 2 - 1


def show(title: str, report: Exploration, note: str = "") -> None:
    s = report.summary()
    length = s["counterexample length"]
    print(f"\n{title}")
    how = " (exhausted)" if s["exhausted"] else f" (bound: {s['bound']})" if s["bound"] else ""
    print(f"  verdict              {s['verdict']}{how}")
    print(f"  states               {s['states']:,}  ({s['transitions']:,} steps, depth "
          f"{s['depth']})")
    print(f"  seconds              {s['seconds']:.1f} wall, {s['cpu seconds']:.1f} cpu")
    print(f"  states/s             {s['states/s']:,} wall, "
          f"{s['states'] / max(s['cpu seconds'], 1e-9):,.0f} cpu")
    print(f"  counterexample       {'none' if length is None else f'{length} steps'}")
    if report.counterexample is not None:
        print(f"  violation            {report.counterexample.violation}")
    reached = ", ".join(f"{name}: {'yes' if depth is not None else 'NO'}"
                        for name, depth in report.reached.items())
    if reached:
        print(f"  sometimes            {reached}")
    if note:
        print(f"  {note}")


def raft(bug: bool):
    return lambda: RaftCluster(n=3, seed=0, latency=1.0, bug_vote_per_term_not_candidate=bug)


def main(minutes: float = 10.0) -> int:
    failures = 0
    small = explore(ch6.paxos_model(1, 2), progress=False)
    print(f"hand count: one proposer, two acceptors, losses in: {small.states} states "
          f"(worked out by hand: {HAND_COUNT})")
    failures += small.states != HAND_COUNT

    sometimes = [p for p in ch6.paxos_sometimes(2) if p.name != "a message lost"]
    proof = explore(ch6.paxos_model(2, 3), properties=sometimes, losses=False, reduced=True,
                    progress=False)
    show("1. Paxos, 2 proposers x 3 acceptors, one ballot each: at most one value chosen",
         proof, "losses: a lost message is one never delivered (subsumed; see run 1b)")
    failures += not (proof.verdict == "holds" and proof.exhausted and not proof.unreached())
    lossy = explore(ch6.paxos_model(2, 2), properties=ch6.paxos_sometimes(2), reduced=True,
                    progress=False)
    show("1b. the same with 2 acceptors, every message possibly lost", lossy)
    failures += not (lossy.verdict == "holds" and lossy.exhausted and not lossy.unreached())

    bug = explore(ch6.paxos_model(2, 3, bug=True), losses=False, reduced=True, progress=False)
    show("2. Paxos without the adopt-the-highest-accepted rule", bug)
    failures += bug.verdict != "violated"

    sometimes = [p for p in ch6.paxos_sometimes(2, rounds=2) if p.name != "a message lost"]
    long = explore(ch6.paxos_model(2, 3, rounds=2), properties=sometimes, losses=False,
                   reduced=True, seconds=60 * minutes, progress=False)
    show(f"3. Paxos, two ballots per proposer, {minutes:g} minutes", long)
    failures += long.verdict != "holds"

    if importlib.util.find_spec("ddia10.twopc") is None:
        print("\n4. two-phase commit: not run, ddia10.twopc is not in this tree")
    else:
        from ddia10.scenarios import two_phase_commit as ch3

        atomicity = explore(ch3.explorer_model(bug=True), losses=False, progress=False)
        show("4. two-phase commit, abort by timeout after voting yes", atomicity)
        failures += atomicity.verdict != "violated"

    two_leaders = explore(raft(bug=True), losses=False, progress=False)
    show("5a. Raft election, vote remembered by term alone", two_leaders)
    failures += two_leaders.verdict != "violated"
    safe = explore(raft(bug=False), losses=False, max_depth=12, timeouts=1, progress=False)
    show("5b. Raft election, vote remembered by candidate: depth 12, each server's timers "
         "firing at most once", safe)
    failures += safe.verdict != "holds"
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(float(sys.argv[1]) if len(sys.argv) > 1 else 10.0))
