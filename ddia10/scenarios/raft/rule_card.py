"""Chapter 4's card of Raft's rules, read from the code that runs.

:func:`rule_card` lists every rule of :data:`ddia10.raft.rules.RULES` with
the function and line of its guard as the source stands now, the guard's
code, and the test that fails without it: a Figure-2-style summary that
cannot drift from the implementation, since a test fails when a guard or a
test it names is gone.
"""

from __future__ import annotations

import re

from ...raft.rules import RULES, locate

STANZA = re.compile(r"tests/test_raft_interaction\.py::test_rule\[(\w+):(\d+)\]")


def test_name(test: str) -> str:
    """A test id as the card shows it: a one-server stanza as its file and
    line, any other test as its file and name."""
    stanza = STANZA.fullmatch(test)
    if stanza:
        return f"testdata/raft/{stanza[1]}.txt:{stanza[2]}"
    return test.removeprefix("tests/")


def rule_card():
    """One row per rule: the rule, where its guard is (function, file:line),
    the guard's code, and its test."""
    import pandas as pd

    rows = []
    for rule in RULES:
        guard = locate(rule)
        rows.append({"rule": rule.rule, "in": guard.function.split(".")[-1],
                     "line": f"{rule.path.removeprefix('ddia10/')}:{guard.line}",
                     "guard": guard.code, "test": test_name(rule.test)})
    return pd.DataFrame(rows)
