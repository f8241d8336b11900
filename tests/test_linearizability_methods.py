"""The three ways a key is decided (zones, reads-from, pruned search) agree with the definition."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from linearizability_oracle import assert_valid_linearization, brute_force

from ddia10.linearizability import (
    UNKNOWN,
    History,
    Model,
    Operation,
    check,
    history,
)
from ddia10.linearizability.checker import READS_FROM, SEARCH, ZONES
from ddia10.linearizability.generate import write_heavy
from ddia10.linearizability.models import kv, register
from ddia10.linearizability.registers import INIT, analyse

PLAIN_REGISTER = Model("plain register", 0, step=register(0).apply)
PLAIN_KV = Model("plain kv", "", step=kv().apply, partition=lambda op: op.key)
"""The built-in models as a reader's own: searched with no register facts at all."""


@st.composite
def register_histories(draw, distinct: bool) -> History:
    """Up to 8 reads and writes with ties, pending and failed operations, one per process."""
    n = draw(st.integers(1, 8))
    ops = []
    for i in range(n):
        kind = draw(st.sampled_from(["read", "write", "write"]))
        call = draw(st.integers(0, 10))
        ret = draw(st.one_of(st.none(), st.integers(call, call + 5)))
        status = "info" if ret is None else draw(st.sampled_from(["ok"] * 9 + ["fail"]))
        value = output = None
        if kind == "write":
            value = i + 1 if distinct else draw(st.integers(0, 3))
        elif ret is not None:
            output = draw(st.integers(0, n if distinct else 3))
        ops.append(Operation(i, i, kind, call, ret, value, output, None, status))
    return History(tuple(ops), model="register", init=0)


@st.composite
def append_histories(draw) -> History:
    """One key of puts and appends of distinct strings, and gets of strings they could spell."""
    n = draw(st.integers(1, 8))
    plan = [(draw(st.sampled_from(["get", "put", "append", "append"])),
             draw(st.integers(0, 10)), draw(st.one_of(st.none(), st.integers(0, 5))))
            for _ in range(n)]
    puts = [f"p{i}." for i, (k, _, _) in enumerate(plan) if k == "put"]
    appends = [f"a{i}." for i, (k, _, _) in enumerate(plan) if k == "append"]
    ops = []
    for i, (kind, call, length) in enumerate(plan):
        ret = None if length is None else call + length
        value = output = None
        if kind != "get":
            value = f"{kind[0]}{i}."
        elif ret is not None:
            start = draw(st.sampled_from([""] + puts))
            output = start + "".join(draw(st.permutations(appends))[:draw(st.integers(0, 3))])
        ops.append(Operation(i, i, kind, call, ret, value, output, "k",
                             "info" if ret is None else "ok"))
    return History(tuple(ops), model="kv", init="")


def agree(h: History, plain: Model) -> None:
    truth = brute_force(h)
    auto, searched, bare = check(h), check(h, method=SEARCH), check(h, plain)
    assert auto.ok is searched.ok is bare.ok is truth
    for result in (auto, searched):
        if result.ok:
            assert_valid_linearization(h, result)


@settings(max_examples=400, deadline=None)
@given(register_histories(distinct=True))
def test_zones_decide_distinct_value_registers_as_the_definition_does(h: History) -> None:
    agree(h, PLAIN_REGISTER)
    assert check(h).method in (ZONES, READS_FROM)


@settings(max_examples=400, deadline=None)
@given(register_histories(distinct=False))
def test_pruned_search_decides_registers_with_repeated_values_as_the_definition_does(
    h: History,
) -> None:
    agree(h, PLAIN_REGISTER)


@settings(max_examples=400, deadline=None)
@given(append_histories())
def test_appends_spelt_out_by_gets_are_decided_as_the_definition_does(h: History) -> None:
    agree(h, PLAIN_KV)


def test_a_read_that_no_write_can_have_supplied_fails_without_search() -> None:
    h = history([("A", "write", 1, None, 0, 1), ("B", "write", 1, None, 0, 1),
                 ("A", "write", 3, None, 2, 3), ("C", "read", None, 1, 4, 5)],
                model="register", init=0)
    facts = analyse(list(h.ops), 0)
    assert [op.process for op in facts.orphans] == ["C"]
    result = check(h)
    assert result.ok is False and result.method == READS_FROM
    assert "overwritten" in result.reason and "A write(3)" in result.reason


def test_candidates_rule_out_late_and_overwritten_writes() -> None:
    h = history([("A", "write", 1, None, 0, 1),   # overwritten by B's write before the read
                 ("B", "write", 2, None, 2, 3),
                 ("C", "write", 1, None, 4, 9),   # concurrent with the read: a candidate
                 ("D", "write", 1, None, 8, 9),   # called after the read returned: too late
                 ("E", "read", None, 1, 5, 6)],
                model="register", init=0)
    facts = analyse(list(h.ops), 0)
    read = facts.ops.index(h[4])
    assert [facts.ops[w].process for w in facts.candidates[read]] == ["C"]
    assert [op.process for op, dead in zip(facts.ops, facts.dead, strict=True) if dead] == \
        ["A", "B", "D"]


def test_the_initial_value_is_a_candidate_until_a_write_has_returned() -> None:
    h = history([("A", "write", 1, None, 2, 4), ("B", "read", None, 0, 0, 3),
                 ("C", "read", None, 0, 5, 6)], model="register", init=0)
    facts = analyse(list(h.ops), 0)
    assert facts.candidates[facts.ops.index(h[1])] == (INIT,)
    assert facts.orphans == (h[2],)


def test_a_pending_write_nobody_read_is_left_out_and_one_that_was_read_stays() -> None:
    h = history([("A", "write", 1, None, 0, None), ("B", "write", 2, None, 0, None),
                 ("C", "read", None, 2, 3, 4)], model="register", init=0)
    assert [op.process for op in analyse(list(h.ops), 0).ops] == ["B", "C"]


def test_appends_with_repeated_strings_fall_back_to_the_plain_search() -> None:
    h = history([("A", "append", "x", None, 0, 1, "k"), ("B", "append", "x", None, 0, 1, "k"),
                 ("C", "get", None, "xx", 2, 3, "k")], model="kv")
    assert analyse(list(h.ops), "") is None
    assert check(h).ok is True and check(h).method == SEARCH


def test_distinct_value_histories_large_and_small_are_decided_by_zones() -> None:
    for seed in range(3):
        h = write_heavy(seed, values=None, clients=20, ops_per_client=100)
        zoned = check(h)
        assert zoned.method == ZONES
        assert zoned.ok is check(h, method=SEARCH).ok
        if zoned.ok:
            assert_valid_linearization(h, zoned)


def test_zones_only_where_every_write_is_distinct() -> None:
    h = write_heavy(0, clients=3, ops_per_client=5)
    with pytest.raises(ValueError, match="method='zones' needs registers"):
        check(h, method=ZONES)


def test_write_heavy_histories_get_the_same_verdict_from_every_method() -> None:
    for seed in range(4):
        for h in (write_heavy(seed, clients=6, ops_per_client=12),
                  write_heavy(seed, model="kv", clients=4, ops_per_client=10)):
            plain = PLAIN_KV if h.model == "kv" else Model("plain", None,
                                                           step=register().apply)
            verdicts = {check(h).ok, check(h, method=SEARCH).ok, check(h, plain).ok}
            assert len(verdicts) == 1 and None not in verdicts


def test_past_the_memory_bound_the_answer_is_unknown_with_the_longest_order_so_far() -> None:
    h = write_heavy(0, model="kv", clients=8, stale=False)
    result = check(h, PLAIN_KV, max_memory_mb=0.05)
    assert result.verdict == UNKNOWN and result.limit == "memory"
    assert result.keys_left == ["a"] and result.key == "a" and result.longest
    assert check(h).ok is True  # the facts decide what the plain search cannot


def test_a_later_key_that_fails_decides_even_when_an_earlier_one_was_left_undecided() -> None:
    hard = write_heavy(0, model="kv", clients=8, stale=False)
    bad = [Operation(1000, "x", "put", 0, 1, "v", None, "zz"),
           Operation(1001, "y", "get", None, 2, 3, None, "", "zz")]
    bad[1] = Operation(1001, "y", "get", 2, 3, None, "", "zz")
    h = History(hard.ops + tuple(bad), model="kv", init="")
    result = check(h, PLAIN_KV, max_memory_mb=0.05)
    assert result.ok is False and result.key == "zz"
