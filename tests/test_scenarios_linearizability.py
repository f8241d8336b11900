"""Chapter 1's CAP map: every configuration placed, and none where CAP says none can be."""

import matplotlib

matplotlib.use("Agg")

from ddia10.scenarios import linearizability as ch1  # noqa: E402


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
