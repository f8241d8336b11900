"""Role colours stay apart for every reader: simulated protanopia, deuteranopia and
tritanopia (Machado et al. 2009) and normal vision, measured with CIEDE2000."""

from __future__ import annotations

import pytest

from ddia10.viz import style
from ddia10.viz.color_vision import VISIONS, ciede2000, closest_pair, difference, simulate

PALETTE = {**style.ROLE_COLORS,
           **{f"extra role colour {i}": c for i, c in enumerate(style.EXTRA_ROLE_COLORS)}}
MIN_DIFFERENCE = 10.0


@pytest.mark.parametrize("vision", VISIONS)
def test_every_two_role_colours_stay_apart(vision):
    worst, a, b = closest_pair(PALETTE, vision)
    assert worst >= MIN_DIFFERENCE, (
        f"under {vision}, {a} {PALETTE[a]} and {b} {PALETTE[b]} differ by only {worst:.1f}")


@pytest.mark.parametrize("lab1, lab2, expected", [
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
])
def test_ciede2000_matches_sharmas_test_data(lab1, lab2, expected):
    assert ciede2000(lab1, lab2) == pytest.approx(expected, abs=1e-4)
    assert ciede2000(lab2, lab1) == pytest.approx(expected, abs=1e-4)


def test_red_and_green_collapse_for_red_green_dichromats_only():
    red, green = "#d62728", "#2ca02c"
    assert difference(red, green) > 40
    assert difference(red, green, "deuteranopia") < difference(red, green) / 2
    assert simulate("#ffffff", "protanopia") == pytest.approx((1.0, 1.0, 1.0), abs=1e-3)


def test_the_old_palette_fails_the_test():
    old = {"leader": "#4caf50", "candidate": "#ffb300", "follower": "#b0bec5",
           "up": "#90caf9", "crashed": "#e0e0e0", "paused": "#d1c4e9"}
    assert closest_pair(old, "protanopia")[0] < MIN_DIFFERENCE
