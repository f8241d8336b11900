"""How fast the live player steps, and how big the static player is.

The player redraws after every step (cluster SVG, state table, latest
events), so a step costs simulation plus rendering. Going back replays the
run from step 0, so its cost grows with the step number. A scenario's panel
(the Raft log grid) is one more drawing per step, and one more list of
pictures in the static page. Prints figures; asserts nothing.

    .venv/bin/python bench/bench_player.py
"""

from __future__ import annotations

import dataclasses
import statistics
import time

from ddia10.scenarios.raft_deep_dive import worked_example_scenario
from ddia10.scenarios.the_problem import naive_split_brain, quorum_split_brain
from ddia10.viz import Player, log_panel, static_player
from ddia10.viz.demo import heartbeat_scenario


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def split_brain(steps: int = 200) -> None:
    """Chapter 0's players, as a reader steps them: every step redraws the view."""
    print(f"Chapter 0 split-brain players (3 nodes), {steps} steps")
    for scenario in (naive_split_brain(), quorum_split_brain()):
        player = Player(scenario)
        step_ms = [timed(player.step) for _ in range(steps)]
        print(f"  {scenario.title[:40]:40s}: step median {statistics.median(step_ms):6.2f} ms   "
              f"p90 {statistics.quantiles(step_ms, n=10)[-1]:6.2f} ms")


def main(steps: int = 300) -> None:
    split_brain()
    scenario = heartbeat_scenario()
    print(f"3-node heartbeat scenario, {steps} steps")
    for diagram in (False, True):
        player = Player(scenario, spacetime=diagram)
        step_ms = [timed(player.step) for _ in range(steps)]
        print(f"  step{' (with space-time)' if diagram else ''}: "
              f"median {statistics.median(step_ms):6.2f} ms   "
              f"p90 {statistics.quantiles(step_ms, n=10)[-1]:6.2f} ms")
    for k in (50, 150, 300):
        player.goto(k)
        back_ms = [timed(player.back) for _ in range(5)]
        print(f"  back at step {k:3d}: median {statistics.median(back_ms):6.1f} ms (a replay)")
    press_ms = [timed(lambda: player.press("Heal")) for _ in range(20)]
    print(f"  press: median {statistics.median(press_ms):6.2f} ms")
    presses = [(10, "Crash leader"), (40, "Partition a|bc"), (70, "Restart crashed"), (90, "Heal")]
    for n in (60, 120):
        html = ""

        def build(n=n):
            nonlocal html
            html = static_player(scenario, presses=presses, steps=n, spacetime=True)

        ms = timed(build)
        print(f"  static player, {n} steps + space-time: {len(html.encode()) / 1024:6.1f} KB "
              f"built in {ms:6.0f} ms")
    raft_panel()


def raft_panel(steps: int = 100) -> None:
    """The chapter 5 worked example with and without its log grid as a panel."""
    plain = worked_example_scenario()
    logs = dataclasses.replace(plain, panels={"Logs": log_panel})
    print(f"Raft worked example (5 servers), {steps} steps")
    for name, scenario in (("no panel", plain), ("Logs panel", logs)):
        player = Player(scenario)
        step_ms = [timed(player.step) for _ in range(steps)]
        start = time.perf_counter()
        size = len(static_player(scenario, steps=steps).encode())
        build_ms = (time.perf_counter() - start) * 1000
        print(f"  {name:10s}: step median {statistics.median(step_ms):6.2f} ms   "
              f"p90 {statistics.quantiles(step_ms, n=10)[-1]:6.2f} ms   "
              f"static page {size / 1024:6.1f} KB built in {build_ms:4.0f} ms")


if __name__ == "__main__":
    main()
