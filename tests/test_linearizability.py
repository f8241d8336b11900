"""The linearizability checker: verdicts on real Jepsen histories, and the evidence behind them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from linearizability_oracle import assert_valid_linearization, brute_force

from ddia10.linearizability import (
    ILLEGAL,
    UNKNOWN,
    History,
    Model,
    Operation,
    check,
    history,
    load_history,
    violation_core,
)

HISTORIES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "histories"
FILES = sorted(HISTORIES.glob("*.json")) if HISTORIES.is_dir() else []
needs_histories = pytest.mark.skipif(
    not FILES, reason=f"shared Jepsen histories not found at {HISTORIES}"
)


@needs_histories
@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_jepsen_history_gets_its_expected_verdict(path: Path) -> None:
    h = load_history(path)
    result = check(h, timeout_s=60)
    assert result.ok is h.expected, result.explain()
    if result.ok:
        assert_valid_linearization(h, result)
    else:
        assert result.stuck, "a violation names the operations that could not come next"


# --- the worked example: a read that starts after a write completed must see it ---

SEED_EXAMPLE = [
    ("A", "write", 1, None, 0, 2),
    ("B", "read", None, 1, 1, 3),
    ("C", "read", None, 0, 2.5, 3.5),
]


def test_worked_example_stale_read_after_acknowledged_write_is_not_linearizable() -> None:
    result = check(history(SEED_EXAMPLE, model="register", init=0))
    assert result.verdict == "not linearizable"
    assert [op.process for op in result.stuck] == ["C"]


def test_worked_example_without_the_late_read_is_linearizable() -> None:
    h = history(SEED_EXAMPLE[:2], model="register", init=0)
    result = check(h)
    assert [p.op.process for p in result.linearization] == ["A", "B"]
    assert_valid_linearization(h, result)


def test_concurrent_read_may_see_old_or_new_value() -> None:
    for seen in (0, 1):
        h = history([("A", "write", 1, None, 0, 2), ("B", "read", None, seen, 1, 3)],
                     model="register", init=0)
        assert check(h).ok


def test_pending_write_may_take_effect_late_or_never() -> None:
    write = ("A", "write", 1, None, 0, None)
    for late_read in (0, 1):
        h = history([write, ("B", "read", None, 0, 1, 2), ("B", "read", None, late_read, 5, 6)],
                    model="register", init=0)
        assert check(h).ok
    flip_back = history([write, ("B", "read", None, 1, 1, 2), ("B", "read", None, 0, 5, 6)],
                        model="register", init=0)
    assert check(flip_back).ok is False


def test_failed_cas_means_the_register_did_not_hold_the_expected_value() -> None:
    ops = [("A", "write", 1, None, 0, 1), ("B", "cas", (1, 2), False, 2, 3)]
    assert check(history(ops, model="cas-register")).ok is False
    ops[1] = ("B", "cas", (5, 2), False, 2, 3)
    assert check(history(ops, model="cas-register")).ok is True


def test_kv_keys_are_checked_independently_and_the_failing_key_is_named() -> None:
    ops = [
        ("A", "append", "x", None, 0, 1, "k1"),
        ("B", "get", None, "x", 2, 3, "k1"),
        ("C", "put", "y", None, 0, 1, "k2"),
        ("D", "get", None, "", 2, 3, "k2"),
    ]
    result = check(history(ops, model="kv"))
    assert result.ok is False and result.key == "k2"


@needs_histories
def test_past_the_time_budget_the_answer_is_unknown_not_a_guess() -> None:
    h = load_history(HISTORIES / "porcupine-etcd_002.json")
    result = check(h, timeout_s=1e-9)
    assert result.verdict == UNKNOWN and result.ok is None


@pytest.mark.parametrize("bad", [0, -1, "1", True, float("nan"), float("inf")])
def test_timeout_must_be_a_positive_number(bad) -> None:
    with pytest.raises(ValueError, match="timeout_s must be None or a finite number > 0, got"):
        check(history(SEED_EXAMPLE, model="register"), timeout_s=bad)


# --- a reader's own model ---

def queue_step(state: tuple, op: Operation):
    """A FIFO queue: enq appends; deq returns the head (None when empty)."""
    if op.kind == "enq":
        return state + (op.value,)
    head = state[0] if state else None
    if not op.pending and op.output != head:
        return ILLEGAL
    return state[1:]


QUEUE = Model("queue", init=(), step=queue_step)


def test_readers_model_fifo_queue_rejects_out_of_order_dequeue() -> None:
    ops = [(0, "enq", 1, None, 0, 1), (0, "enq", 2, None, 2, 3), (1, "deq", None, 2, 4, 5)]
    assert check(history(ops, model="queue"), QUEUE).ok is False
    ops[2] = (1, "deq", None, 1, 4, 5)
    assert check(history(ops, model="queue"), QUEUE).ok is True


def test_unknown_model_name_asks_for_a_model() -> None:
    with pytest.raises(ValueError, match="pass model="):
        check(history([(0, "enq", 1, None, 0, 1)], model="queue"))


def test_a_built_in_model_can_be_named() -> None:
    """The name picks the model even when the history names one that is not built in."""
    assert check(history(SEED_EXAMPLE, model="queue", init=0), model="register").ok is False
    assert check(history(SEED_EXAMPLE[:2], model="queue", init=0), model="register").ok is True


@pytest.mark.parametrize("bad, words", [
    ("queue", "unknown model 'queue': the built-in models are register, cas-register, kv"),
    (3, "model must be a Model or one of register, cas-register, kv, got int"),
])
def test_a_model_that_is_neither_built_in_nor_a_model_is_refused(bad, words) -> None:
    with pytest.raises(ValueError, match=re.escape(words)):
        check(history(SEED_EXAMPLE, model="register"), model=bad)


def test_model_state_must_be_hashable() -> None:
    with pytest.raises(ValueError, match="hashable"):
        Model("bad", init=[], step=queue_step)


# --- against a brute-force oracle on small random histories ---

@st.composite
def small_histories(draw) -> History:
    n = draw(st.integers(1, 7))
    raw = []
    for _ in range(n):
        kind = draw(st.sampled_from(["read", "write", "cas"]))
        call = draw(st.integers(0, 12))
        ret = draw(st.one_of(st.none(), st.integers(call, call + 6)))
        value = {"read": None, "write": draw(st.integers(0, 2)),
                 "cas": (draw(st.integers(0, 2)), draw(st.integers(0, 2)))}[kind]
        output = None
        if ret is not None and kind == "read":
            output = draw(st.integers(0, 2))
        if ret is not None and kind == "cas":
            output = draw(st.booleans())
        raw.append({"process": len(raw), "op": kind, "call": call, "return": ret,
                    "value": value, "output": output})
    return history(raw, model="cas-register", init=0)


@settings(max_examples=300, deadline=None)
@given(small_histories())
def test_checker_agrees_with_brute_force_search(h: History) -> None:
    result = check(h)
    assert result.ok is brute_force(h)
    if result.ok:
        assert_valid_linearization(h, result)


def test_stale_read_is_serializable_once_real_time_is_ignored() -> None:
    h = history(SEED_EXAMPLE, model="register", init=0)
    assert check(h).ok is False
    assert check(h.ignoring_real_time()).ok is True


def test_violation_core_of_worked_example_is_the_write_and_the_late_read() -> None:
    core = violation_core(history(SEED_EXAMPLE, model="register", init=0))
    assert sorted(op.process for op in core.ops) == ["A", "C"]


def test_a_linearizable_history_has_no_core() -> None:
    with pytest.raises(ValueError, match="only a non-linearizable history has a core"):
        violation_core(history(SEED_EXAMPLE[:2], model="register", init=0))


# --- explanations a person reads ---

def assert_bounded(text: str, lines: int = 30) -> None:
    assert len(text.splitlines()) <= lines
    assert max(len(line) for line in text.splitlines()) <= 77


@needs_histories
@pytest.mark.parametrize("name", ["porcupine-kv-c50-ok", "porcupine-kv-c50-bad",
                                  "porcupine-etcd_000", "porcupine-etcd_002"])
def test_explanations_stay_short_whatever_the_history(name: str) -> None:
    result = check(load_history(HISTORIES / f"{name}.json"))
    assert_bounded(result.explain())
    assert_bounded(result.explain(order=True, limit=20), 25)


def test_a_violation_is_explained_by_key_state_and_what_could_not_come_next() -> None:
    ops = [("A", "put", "x", None, 0, 1, "k"), ("B", "get", None, "", 2, 3, "k"),
           ("C", "put", "y", None, 0, 1, "j")]
    text = check(history(ops, model="kv")).explain()
    assert text.startswith("not linearizable on key 'k': no order of its 2 operations")
    assert "  1. A put[k]('x') [0, 1] → 'x'" in text and "State reached: 'x'" in text
    assert "  - B get[k]→'' [2, 3]: it returned '', but the key holds 'x'" in text


def test_a_linearizable_history_gives_a_summary_and_the_order_on_request() -> None:
    result = check(history(SEED_EXAMPLE[:2], model="register", init=0))
    assert result.explain().startswith("linearizable: 2 operations on 1 key, decided by")
    assert "  2. B read→1 [1, 3] → 1" in result.explain(order=True)
    assert "(and 1 more)" in result.explain(order=True, limit=1)
    with pytest.raises(ValueError, match="limit must be an int >= 1"):
        result.explain(limit=0)


def test_unknown_says_which_limit_what_was_decided_and_how_far_it_got() -> None:
    from ddia10.linearizability.generate import write_heavy
    from ddia10.linearizability.models import kv

    plain = Model("plain kv", "", step=kv().apply, partition=lambda op: op.key)
    result = check(write_heavy(0, model="kv", clients=8, keys=2, stale=False), plain,
                   max_memory_mb=0.05)
    text = result.explain()
    assert text.startswith("unknown: the checker reached its memory bound after")
    assert "0 of 2 keys decided linearizable; left: 'a', 'b'" in text
    assert "On key 'a', the longest order found so far places" in text
    assert_bounded(text)
