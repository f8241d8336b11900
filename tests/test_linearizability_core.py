"""Violation cores: well-formed, on the failing key, not linearizable, and 1-minimal."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from ddia10.linearizability import (
    History,
    Model,
    check,
    history,
    load_history,
    violation_core,
)
from ddia10.linearizability.core import is_well_formed
from ddia10.linearizability.generate import lost_write, stale_read, write_heavy
from ddia10.linearizability.models import kv

PLAIN_KV = Model("plain kv", "", step=kv().apply, partition=lambda op: op.key)
"""The kv model as a reader's own: searched without the register facts."""

HISTORIES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "histories"
BAD_FILES = [f for f in sorted(HISTORIES.glob("*.json")) if '"expected":false' in
             f.read_text()[:4000].replace(" ", "")] if HISTORIES.is_dir() else []
needs_histories = pytest.mark.skipif(
    not BAD_FILES, reason=f"shared Jepsen histories not found at {HISTORIES}"
)


def assert_is_core(h: History, core: History) -> None:
    """Every property the documentation promises of a core."""
    result = check(h)
    assert result.ok is False
    ids = {op.id for op in h.ops}
    assert {op.id for op in core.ops} <= ids
    assert all(op == h[op.id] for op in core.ops), "operations keep their intervals"
    assert check(core).ok is False
    assert is_well_formed(core.ops, h.model, h.init)
    if h.model == "kv":
        assert {op.key for op in core.ops} == {result.key}
    for op in core.ops:
        rest = replace(core, ops=tuple(o for o in core.ops if o.id != op.id))
        assert check(rest).ok or not is_well_formed(rest.ops, h.model, h.init), (
            f"{op.describe()} can be dropped and the core still fails")


@needs_histories
@pytest.mark.parametrize("path", BAD_FILES, ids=[f.stem for f in BAD_FILES])
def test_core_of_every_non_linearizable_shared_history(path: Path) -> None:
    h = load_history(path)
    assert h.expected is False
    assert_is_core(h, violation_core(h))


@needs_histories
def test_the_etcd_000_core_keeps_the_write_its_read_needs() -> None:
    core = violation_core(load_history(HISTORIES / "porcupine-etcd_000.json"))
    assert any(op.kind in ("write", "cas") for op in core.ops)


@needs_histories
def test_the_core_lies_on_the_key_the_check_reports() -> None:
    h = load_history(HISTORIES / "porcupine-kv-c10-bad.json")
    assert {op.key for op in violation_core(h).ops} == {check(h).key}


def test_cores_of_a_thousand_random_broken_histories() -> None:
    made = 0
    for seed in range(1000):
        breaker = (stale_read, lost_write)[seed % 2]
        model = ("register", "cas-register", "kv")[seed % 3]
        size = {"clients": 3 + seed % 3, "ops_per_client": 3 + seed % 4}
        h = breaker(seed, model=model, pending=0.1 * (seed % 3), keys=2, **size)
        assert_is_core(h, violation_core(h))
        made += 1
    assert made == 1000


def test_a_read_of_a_value_only_a_failed_write_wrote_keeps_that_write() -> None:
    h = history([{"process": 0, "op": "write", "value": 3, "call": 0, "return": 1,
                  "status": "fail"},
                 {"process": 1, "op": "write", "value": 1, "call": 0, "return": 1},
                 {"process": 2, "op": "read", "output": 3, "call": 2, "return": 3}],
                model="register", init=0)
    core = violation_core(h)
    assert sorted(op.id for op in core.ops) == [0, 2]
    assert check(core).ok is False  # the failed write still takes no part


def test_a_read_of_a_value_nobody_wrote_is_its_own_core() -> None:
    h = history([(0, "write", 1, None, 0, 1), (1, "read", None, 7, 2, 3)],
                model="register", init=0)
    assert [op.id for op in violation_core(h).ops] == [1]


def test_the_core_is_deterministic() -> None:
    h = stale_read(42, model="cas-register", clients=4, ops_per_client=5)
    assert violation_core(h) == violation_core(h)


def test_no_core_for_a_linearizable_or_undecided_history() -> None:
    fine = history([(0, "write", 1, None, 0, 1)], model="register", init=0)
    with pytest.raises(ValueError, match="only a non-linearizable history has a core"):
        violation_core(fine)
    hard = write_heavy(0, model="kv", clients=8, stale=False)
    with pytest.raises(ValueError, match="could not decide .*memory limit.*undecided: 'a'"):
        violation_core(hard, PLAIN_KV, max_memory_mb=0.05)
