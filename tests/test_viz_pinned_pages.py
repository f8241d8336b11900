"""The book's players, pinned: a change to how a view is built shows as a changed page.

Each entry of :data:`PLAYERS` builds one player exactly as a chapter shows it
and pins the sha256 of its three parts: the markup (everything outside the
two scripts), the data block and the script. A refactor that should leave the
page alone must keep all three; one that changes it (a renamed key in the
data, a changed script) says which part moved, and the new digests are pinned
in the same commit with the reason. A player's id (a digest of its data and
a per-process counter) is replaced by ``ID`` before hashing, so the markup
holds still when only the data moves.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

import pytest

from ddia10.scenarios.raft import roles_run
from ddia10.scenarios.raft_deep_dive import figure8, worked_example_scenario
from ddia10.scenarios.the_problem import STORY, STORY_STEPS, naive_split_brain
from ddia10.viz import log_player, static_player
from ddia10.viz.state_diagram import role_transitions, state_diagram_html


def _ch4_roles() -> str:
    """Chapter 4's role diagram of a five-server run whose first leader crashes."""
    return state_diagram_html(role_transitions(roles_run()[0].trace),
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
        "markup": "6b2fec9206e9ad18d8e5099ed78e7a4b31478377617a2cb7c76eb2266d7ecfc8",
        "data": "c76612874a9212ab8e5a77c665a2e78d5d46af8028aa39b0e82062f730f3b373",
        "script": "1b1a3978c674e261ce20f5859dab595b4f77408b208bb61820714df4b3866d6a",
    },
    "ch05_worked_example": {
        "markup": "8ee60474d62c68cbde8bf3bb3b46ff4d12c89bba72e149099a1bea2e54abca9c",
        "data": "cc09d78089481764fbc736dc2631bb0a102866077ff3c7dd7e9395436c7247ce",
        "script": "1b1a3978c674e261ce20f5859dab595b4f77408b208bb61820714df4b3866d6a",
    },
    "ch05_figure8_logs": {
        "markup": "ee9c30bfab1dfaf361e9d0e2ce1ae9482cde5c89cf0932cfe5c456aa52ef0248",
        "data": "1d3444c214c94b743a515bccaf9a58479724112393a2a8a8e8067f35693bfa41",
        "script": "2b8898cb02a002f2dfa04a2813a86de9a4a6ff43a3cdb8dd8b2595389defd194",
    },
    "ch04_roles": {
        "markup": "02349af463660bfd895f92e3e6407c5ffdef994673d6ad9548fe522348586a97",
        "data": "0bbe63688504993e1a89a71723f29cdd0a933a385f6de17c8bc34a592a471424",
        "script": "625e1de2e4e934f9d7b13eee2f00d3381b74bce2c9341156b92ab290586f83fa",
    },
}

_DATA = re.compile(r'<script type="application/json" class="ddia10-data">(.*?)</script>', re.S)
_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def parts(html: str) -> dict[str, str]:
    """The page's markup, data block and script, each hashed; the player's id as ``ID``."""
    html = re.sub(r"\bddia10-(player|log|roles)-[0-9a-f]{8}-\d+", r"ddia10-\1-ID", html)
    data, script = _DATA.search(html).group(1), _SCRIPT.search(html).group(1)
    markup = _SCRIPT.sub("<script></script>", _DATA.sub("", html))
    return {name: hashlib.sha256(text.encode()).hexdigest()
            for name, text in (("markup", markup), ("data", data), ("script", script))}


@pytest.mark.parametrize("name", list(PLAYERS))
def test_the_players_page_is_what_was_pinned(name):
    now = parts(PLAYERS[name]())
    moved = [part for part in now if now[part] != PINNED[name][part]]
    assert not moved, f"{name}: the {' and '.join(moved)} changed; now {now}"
