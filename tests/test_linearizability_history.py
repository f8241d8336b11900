"""Histories: loading, saving, validation, and the invariance of verdicts under relabelling."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ddia10.linearizability import (
    HistoryError,
    check,
    history,
    history_from_dict,
    load_history,
    save_history,
)
from ddia10.linearizability.generate import lost_write, random_history, stale_read

HISTORIES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "histories"


def one_op(**fields) -> dict:
    base = {"process": 0, "call": 0, "return": 1, "op": "read", "key": None,
            "value": None, "output": None, "status": "ok"}
    base.update(fields)
    return {"model": "cas-register", "init": None, "ops": [base]}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"call": 5, "return": 2}, "operation 0 .*returns at 2 before it was called at 5"),
        ({"op": "increment"}, "operation 0 .*unknown op for a cas-register"),
        ({"op": "cas", "value": 3, "output": True}, "operation 0 .*cas needs value"),
        ({"op": "cas", "value": [1, 2], "output": "yes"}, "operation 0 .*true or false"),
        ({"call": "soon"}, "operation 0 .*call time must be a number"),
        ({"status": "ok", "return": None}, "operation 0 .*status 'ok' does not match"),
        ({"key": "x"}, "operation 0 .*single register takes no key"),
    ],
)
def test_malformed_operation_is_rejected_naming_it(fields: dict, message: str) -> None:
    with pytest.raises(HistoryError, match=message):
        history_from_dict(one_op(**fields))


def test_missing_fields_are_listed() -> None:
    data = {"model": "register", "ops": [{"process": 0, "op": "read"}]}
    with pytest.raises(HistoryError, match="operation 0: missing field.*call, return"):
        history_from_dict(data)


def test_kv_operations_need_string_keys_and_values() -> None:
    bad_key = {"model": "kv", "ops": [{"process": 0, "call": 0, "return": 1, "op": "get",
                                       "output": ""}]}
    with pytest.raises(HistoryError, match="needs a string key"):
        history_from_dict(bad_key)
    bad_value = {"model": "kv", "ops": [{"process": 0, "call": 0, "return": 1, "op": "append",
                                         "key": "a", "value": 3}]}
    with pytest.raises(HistoryError, match="append needs a string value"):
        history_from_dict(bad_value)


def test_duplicate_ids_are_rejected() -> None:
    data = one_op()
    data["ops"] = data["ops"] * 2
    for i, op in enumerate(data["ops"]):
        data["ops"][i] = {**op, "id": 7}
    with pytest.raises(HistoryError, match="id 7 appears twice"):
        history_from_dict(data)


def test_save_then_load_gives_the_same_history(tmp_path: Path) -> None:
    h = random_history(3, model="cas-register", clients=4, ops_per_client=4, pending=0.3)
    save_history(h, tmp_path / "h.json")
    assert load_history(tmp_path / "h.json") == h
    data = json.loads((tmp_path / "h.json").read_text())
    assert {"model", "init", "ops"} <= data.keys()


@pytest.mark.skipif(not HISTORIES.is_dir(), reason=f"no shared histories at {HISTORIES}")
def test_shared_file_round_trips_through_save(tmp_path: Path) -> None:
    h = load_history(HISTORIES / "porcupine-etcd_000.json")
    save_history(h, tmp_path / "copy.json")
    assert load_history(tmp_path / "copy.json") == h


# --- generators ---

models = st.sampled_from(["register", "cas-register", "kv"])


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 10**6), models, st.integers(1, 5), st.integers(1, 5),
       st.sampled_from([0.0, 0.2, 0.5]))
def test_generated_history_is_linearizable_by_construction(
    seed: int, model: str, clients: int, per_client: int, pending: float
) -> None:
    h = random_history(seed, model=model, clients=clients, ops_per_client=per_client,
                       pending=pending, keys=2)
    assert check(h).ok is True


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10**6), models)
def test_stale_reads_and_lost_writes_are_caught(seed: int, model: str) -> None:
    for broken in (stale_read(seed, model=model), lost_write(seed, model=model)):
        assert broken.meta["perturbed"] is not None
        assert check(broken).ok is False


def test_generator_is_deterministic_per_seed() -> None:
    assert random_history(11, pending=0.3) == random_history(11, pending=0.3)
    assert stale_read(5) == stale_read(5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"clients": 0}, "clients must be an int >= 1"),
     ({"model": "queue"}, "model must be one of"),
     ({"pending": 2}, "pending must be a probability")],
)
def test_generator_arguments_are_validated(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        random_history(0, **kwargs)


# --- verdicts do not depend on names ---

@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10**6), models, st.booleans())
def test_verdict_is_invariant_under_renumbering_ops_and_renaming_clients(
    seed: int, model: str, broken: bool
) -> None:
    h = (stale_read if broken else random_history)(seed, model=model, clients=3,
                                                  ops_per_client=3, pending=0.2)
    rng = random.Random(seed)
    ids = [op.id for op in h.ops]
    shuffled = ids[:]
    rng.shuffle(shuffled)
    renamed = {p: f"client-{rng.randrange(10**6)}-{i}" for i, p in enumerate(h.processes)}
    other = h.renumbered(dict(zip(ids, shuffled, strict=True))).with_processes(renamed)
    assert check(other).ok is check(h).ok is (not broken)


def test_tuple_builder_rejects_wrong_arity() -> None:
    with pytest.raises(HistoryError, match=r"expected \(process, kind"):
        history([(0, "read", None, 1)])


def test_ignoring_real_time_gives_each_operation_of_a_client_its_own_client() -> None:
    h = history([("A", "write", 1, None, 0, 2), ("A", "read", None, 0, 3, 4),
                 (1, "read", None, 1, 5, 6), ("B", "write", 2, None, 7, 8)],
                model="register", init=0)
    assert check(h).ok is False
    stretched = h.ignoring_real_time()
    assert [op.process for op in stretched.ops] == ["A:1", "A:2", 1, "B"]
    assert check(stretched).ok is True
