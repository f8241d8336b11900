"""The book's players, pinned: a change to how a view is built shows as a changed page.

Each entry of :data:`PLAYERS` builds one player exactly as a chapter shows it
and pins the sha256 of its three parts: the markup (everything outside the
two scripts), the data block and the script. A refactor that should leave the
page alone must keep all three; one that changes it (a renamed key in the
data, a changed script) says which part moved, and the new digests are pinned
in the same commit with the reason. A player's id ends in a per-process
counter, which is replaced by ``N`` before hashing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

import pytest

from ddia10.raft import RaftCluster
from ddia10.raft.scenarios import figure8
from ddia10.scenarios.raft_deep import worked_example_scenario
from ddia10.scenarios.split_brain import STORY, STORY_STEPS, naive_split_brain
from ddia10.viz import log_player, static_player
from ddia10.viz.state_diagram import role_transitions, state_diagram_html


def _ch4_roles() -> str:
    """Chapter 4's role diagram of a five-server run whose first leader crashes."""
    cluster = RaftCluster(5, seed=3)
    first_leader = cluster.wait_for_leader()
    cluster.run(200)
    cluster.crash(first_leader)
    cluster.run(1000)
    cluster.restart(first_leader)
    cluster.run(500)
    return state_diagram_html(role_transitions(cluster.trace),
                              title="Roles of a five-server run, step by step")


PLAYERS: dict[str, Callable[[], str]] = {
    "ch00_naive_split_brain": lambda: static_player(
        naive_split_brain(), presses=STORY, steps=STORY_STEPS),
    "ch05_worked_example": lambda: static_player(
        worked_example_scenario(), steps=72, spacetime=True),
    "ch05_figure8_logs": lambda: log_player(
        figure8(bug=True).trace, step_kinds={"note", "crash", "restart"},
        title="Figure 8 with the current-term rule off").html,
    "ch04_roles": _ch4_roles,
}

PINNED = {
    "ch00_naive_split_brain": {
        "markup": "b6f96cb534edb202607693d9207e8aa33701411d31be98b4ad89db83b474be99",
        "data": "7defc5cffc9a424cf158f191cab3065feef2f330521d73b7100c7623e36362a3",
        "script": "1c9f385bea0d2dc845e99f139ab71ca308c60453fe9e1509d04d2963429e323b",
    },
    "ch05_worked_example": {
        "markup": "2116c70373b7044445e5f5406ce4daee2c8aab1ab3a11c078c62593d2095c589",
        "data": "fe9f025826ab070339e9279c14ae22da6d8bdc5d9b14fe164e11f6b509d82c11",
        "script": "fcf1adc6eae9186cb8d6d4b2233d55f250b9996c5e986912635f5c07e3206c46",
    },
    "ch05_figure8_logs": {
        "markup": "9f4277682bdaee46ab2c6dcc417062fc7612c1ed86b1519e6fd788cb34885d91",
        "data": "c78315edd610ced371b697ff6cbd6f4ea82fd8aa241d115e730ae911e86d230f",
        "script": "009278c05f2b65454610977c4f56eb47de804fcec858a78589ad0f3660e604bc",
    },
    "ch04_roles": {
        "markup": "049851bd06b97c9b5080860b6c8b80c5a41e0a7c660c3383ff8a891482926f1a",
        "data": "0bbe63688504993e1a89a71723f29cdd0a933a385f6de17c8bc34a592a471424",
        "script": "23f07ac4cb9364808f1e82ce4f7f5bfd3d4e6b2be7aa536195c1025d3092cd9f",
    },
}

_DATA = re.compile(r'<script type="application/json" class="ddia10-data">(.*?)</script>', re.S)
_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def parts(html: str) -> dict[str, str]:
    """The page's markup, data block and script, each hashed; the id's counter as ``N``."""
    html = re.sub(r"\b(ddia10-(?:player|log|roles)-[0-9a-f]{8})-\d+", r"\1-N", html)
    data, script = _DATA.search(html).group(1), _SCRIPT.search(html).group(1)
    markup = _SCRIPT.sub("<script></script>", _DATA.sub("", html))
    return {name: hashlib.sha256(text.encode()).hexdigest()
            for name, text in (("markup", markup), ("data", data), ("script", script))}


@pytest.mark.parametrize("name", list(PLAYERS))
def test_the_players_page_is_what_was_pinned(name):
    now = parts(PLAYERS[name]())
    moved = [part for part in now if now[part] != PINNED[name][part]]
    assert not moved, f"{name}: the {' and '.join(moved)} changed; now {now}"
