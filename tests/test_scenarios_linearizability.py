"""Chapter 1's CAP map: every configuration placed, and none where CAP says none can be."""

import matplotlib

matplotlib.use("Agg")

from ddia10.scenarios import linearizability as ch1  # noqa: E402
from ddia10.sim import Trace  # noqa: E402


def test_no_linearizable_configuration_answers_on_the_minority_side():
    systems = ch1.cap_systems()
    assert set(systems["single-key reads"]) <= set(ch1.LEVELS)
    strong = systems[systems["single-key reads"].isin(["linearizable", "strict serializable"])]
    assert len(strong) > 0 and not strong["minority answers"].any()


def test_the_table_links_every_source_and_the_map_places_every_configuration():
    systems = ch1.cap_systems()
    html = ch1.cap_table(systems)
    assert html.count('<a href="https://') == len(systems)
    fig = ch1.draw_cap_map(systems)
    text = "\n".join(t.get_text() for t in fig.axes[0].texts)
    assert all(f"{s}: {c}" in text for s, c in zip(systems["system"], systems["configuration"],
                                                   strict=True))


def test_only_zookeeper_keeps_a_clients_stale_reads_in_one_order():
    systems = ch1.cap_systems()
    ordered = systems[systems["single-key reads"] == "stale, in one order"]
    assert list(ordered["system"]) == ["ZooKeeper"]


def test_the_replication_table_says_which_methods_can_be_linearizable():
    verdicts = dict(zip(ch1.replication_table()["replication"],
                        ch1.replication_table()["linearizable?"], strict=True))
    assert verdicts == {"single leader": "potentially", "consensus (Raft, Paxos, ZAB)": "yes",
                        "multi-leader": "no", "leaderless (Dynamo-style)": "probably not"}
    assert len(ch1.needs_table()) == 3


def test_the_player_shows_the_checker_turning_against_bobs_stale_read():
    scenario = ch1.follower_read_scenario()
    run = scenario.run(steps=ch1.PLAYER_STEPS)
    verdicts = []
    for mark in run.marks:
        html = ch1.history_so_far_html(Trace(run.sim.trace.events[:mark]))
        verdicts.append(html.split(">", 2)[1].split(":")[0])
    first_bad = verdicts.index("not linearizable")
    assert 0 < first_bad < ch1.PLAYER_STEPS
    assert set(verdicts[first_bad:]) == {"not linearizable"}  # a violation never goes away
    assert "linearizable so far" in verdicts[first_bad - 1]
    last = ch1.history_so_far_html(Trace(run.sim.trace.events[:run.marks[-1]]))
    assert "bob read→0" in last


def test_the_player_plays_the_same_world_the_chapter_checks():
    played = ch1.follower_read_scenario().run(steps=ch1.PLAYER_STEPS).sim.trace.events
    full = ch1.follower_read_run(seed=1).trace.events
    assert played == full[: len(played)]
