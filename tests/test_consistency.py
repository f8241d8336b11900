"""The weaker consistency models: each rung accepts a history the rung above rejects,
the rungs never disagree in the wrong direction, and each rule is needed."""

from __future__ import annotations

import random

import pytest

from ddia10.consistency import (
    CAUSAL,
    EVENTUAL,
    LADDER,
    LINEARIZABLE,
    SEQUENTIAL,
    causal_order,
    causally_consistent,
    eventually_consistent,
    ladder,
    sequentially_consistent,
    strongest_model,
)
from ddia10.linearizability import history


def kv(*ops):
    """(client, kind, key, value, output, call, ret) tuples as a key-value history."""
    return history([{"process": c, "op": k, "key": key, "value": v, "output": o,
                     "call": t0, "return": t1, "status": "ok"}
                    for c, k, key, v, o, t0, t1 in ops], model="kv")


STALE = kv(("A", "put", "x", "1", None, 0, 1), ("B", "get", "x", None, "", 2, 3))
DISAGREE = kv(("A", "put", "x", "1", None, 0, 1), ("B", "put", "x", "2", None, 0, 1),
              ("C", "get", "x", None, "1", 2, 3), ("C", "get", "x", None, "2", 4, 5),
              ("D", "get", "x", None, "2", 2, 3), ("D", "get", "x", None, "1", 4, 5))
CAUSE_LOST = kv(("A", "put", "x", "1", None, 0, 1), ("A", "put", "y", "1", None, 2, 3),
                ("B", "get", "y", None, "1", 4, 5), ("B", "get", "x", None, "", 6, 7))
THIN_AIR = kv(("A", "put", "x", "1", None, 0, 1), ("B", "get", "x", None, "7", 2, 3))


@pytest.mark.parametrize("hist, strongest", [
    (kv(("A", "put", "x", "1", None, 0, 1), ("B", "get", "x", None, "1", 2, 3)), LINEARIZABLE),
    (STALE, SEQUENTIAL), (DISAGREE, CAUSAL), (CAUSE_LOST, EVENTUAL), (THIN_AIR, None),
], ids=["fresh-read", "stale-read", "readers-disagree", "cause-lost", "thin-air"])
def test_each_rung_accepts_what_the_rung_above_rejects(hist, strongest):
    assert strongest_model(hist) == strongest
    verdicts = ladder(hist)
    rank = LADDER.index(strongest) if strongest else len(LADDER)
    assert [verdicts[m].ok for m in LADDER] == [i >= rank for i in range(len(LADDER))]


def test_sequential_consistency_keeps_each_clients_order():
    # B reads the new value, then the old one: no single order explains it
    flip = kv(("A", "put", "x", "1", None, 0, 1), ("B", "get", "x", None, "1", 2, 3),
              ("B", "get", "x", None, "", 4, 5))
    assert not sequentially_consistent(flip).ok
    assert sequentially_consistent(STALE).order == (1, 0)  # the read first, then the write


def test_causal_order_includes_reads_from_and_program_order():
    co = causal_order(CAUSE_LOST)
    assert (0, 1) in co and (1, 2) in co and (0, 3) in co  # put x -> put y -> get y -> get x


def test_causal_consistency_lets_readers_disagree_about_concurrent_writes():
    verdict = causally_consistent(DISAGREE)
    orders = dict(verdict.orders)
    assert verdict.ok and orders["C"].index(0) < orders["C"].index(1)
    assert orders["D"].index(1) < orders["D"].index(0)


def test_a_value_out_of_thin_air_fails_even_eventual_consistency():
    assert "thin air" in eventually_consistent(THIN_AIR).reason


def test_the_checkers_refuse_what_they_cannot_judge():
    with pytest.raises(ValueError, match="its own value"):
        ladder(kv(("A", "put", "x", "1", None, 0, 1), ("B", "put", "x", "1", None, 0, 1)))
    pending = history([{"process": "A", "op": "put", "key": "x", "value": "1", "call": 0,
                        "return": None, "status": "info"}], model="kv")
    with pytest.raises(ValueError, match="did not complete"):
        sequentially_consistent(pending)


def random_history(seed: int):
    """Three clients, two keys, a few reads of values that may or may not fit."""
    rng = random.Random(seed)
    ops, t, values = [], 0.0, {"x": [""], "y": [""]}
    for n in range(rng.randrange(3, 8)):
        client, key = rng.choice("ABC"), rng.choice("xy")
        start = t + rng.random() * 2
        if rng.random() < 0.5:
            values[key].append(f"{key}{n}")
            ops.append((client, "put", key, f"{key}{n}", None, start, start + rng.random() * 3))
        else:
            ops.append((client, "get", key, None, rng.choice(values[key]), start,
                        start + rng.random() * 3))
        t = start
    clients: dict = {}
    fixed = []
    for op in sorted(ops, key=lambda o: o[5]):  # one operation at a time per client
        begin = max(op[5], clients.get(op[0], -1) + 0.1)
        end = begin + (op[6] - op[5])
        clients[op[0]] = end
        fixed.append(op[:5] + (begin, end))
    return kv(*fixed)


@pytest.mark.parametrize("seed", range(60))
def test_the_ladder_never_accepts_above_and_rejects_below(seed):
    verdicts = ladder(random_history(seed))
    oks = [verdicts[m].ok for m in LADDER]
    assert oks == sorted(oks), f"{dict(zip(LADDER, oks, strict=True))}"
