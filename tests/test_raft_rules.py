"""The rule list that chapter 4's card and the mutation script share: every
guard it names is in the code once, inside a function, and every test it
names exists, so the card cannot drift from the implementation."""

import ast
import importlib.util
import re
from pathlib import Path

import pytest
from test_raft_interaction import STANZAS

from ddia10.raft.rules import ROOT, RULES, Rule, locate
from ddia10.scenarios.raft import rule_card

REPO = Path(__file__).resolve().parent.parent
"""The checkout the tests sit in (the package under test may be a copy elsewhere)."""
STANZA_IDS = {f"{s.path.stem}:{s.directives[0].line}" for s in STANZAS}


def defined_names(path: Path) -> set[str]:
    """The names a test module defines at its top level (functions, classes,
    and assignments such as a Hypothesis state machine's ``TestCase``)."""
    tree = ast.parse(path.read_text())
    names = {n.name for n in tree.body
             if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    names |= {t.id for n in tree.body if isinstance(n, ast.Assign)
              for t in n.targets if isinstance(t, ast.Name)}
    return names


@pytest.mark.parametrize("rule", RULES, ids=[r.rule for r in RULES])
def test_every_guard_is_in_the_code_once_inside_a_function(rule):
    guard = locate(rule)
    source = (ROOT / rule.path).read_text().splitlines()
    assert guard.code == source[guard.line - 1].strip()
    assert guard.function


@pytest.mark.parametrize("rule", RULES, ids=[r.rule for r in RULES])
def test_every_test_a_rule_names_exists(rule):
    path, _, name = rule.test.partition("::")
    stanza = re.fullmatch(r"test_rule\[(\w+:\d+)\]", name)
    if path == "tests/test_raft_interaction.py" and stanza:
        assert stanza[1] in STANZA_IDS, f"{rule.rule}: no stanza {stanza[1]}"
    else:
        base = name.partition("[")[0]
        assert base in defined_names(REPO / path), f"{rule.rule}: no test {rule.test}"


def test_rules_are_named_once():
    names = [r.rule for r in RULES]
    assert len(names) == len(set(names))


def test_a_missing_guard_is_named():
    gone = Rule("a rule that is gone", "ddia10/raft/node.py", "if no_such_guard:", "if False:",
                "tests/test_raft_rules.py::test_a_missing_guard_is_named")
    with pytest.raises(ValueError, match="a rule that is gone: its guard occurs 0 times"):
        locate(gone)
    with pytest.raises(TypeError, match="rule must be a Rule"):
        locate("§5.1")


def test_the_mutation_script_removes_the_rules_the_card_shows():
    spec = importlib.util.spec_from_file_location("mutate_raft", REPO / "tools/mutate_raft.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.RULES is RULES


def test_the_card_shows_each_rule_where_its_guard_is_now():
    card = rule_card()
    assert list(card["rule"]) == [r.rule for r in RULES]
    for rule, row in zip(RULES, card.itertuples(), strict=True):
        guard = locate(rule)
        assert row.line.endswith(f":{guard.line}") and row.guard == guard.code
