"""Test oracles for the linearizability checker: the definition, executed, and a witness replay."""

from __future__ import annotations

from ddia10.linearizability import ILLEGAL, CheckResult, History, model_for
from ddia10.linearizability.checker import takes_part


def assert_valid_linearization(h: History, result: CheckResult) -> None:
    """Replay the witness: every completed op present, points inside intervals, model agrees."""
    assert result.ok is True
    points = result.linearization
    placed = [p.op for p in points]
    assert len({op.id for op in placed}) == len(placed)
    completed = {op.id for op in h.ops if not op.pending and takes_part(op)}
    assert completed <= {op.id for op in placed}
    for p in points:
        assert p.op.call <= p.time <= p.op.end
    for a, b in zip(points, points[1:], strict=False):
        assert a.time <= b.time
    for i, a in enumerate(placed):
        for b in placed[i + 1:]:
            assert not b.precedes(a), f"{b.describe()} returned before {a.describe()} was called"
    model = model_for(h.model, h.init)
    states: dict = {}
    for p in points:
        key = model.partition(p.op) if model.partition else None
        new = model.apply(states.get(key, model.init), p.op)
        assert new is not ILLEGAL, f"the model rejects {p.op.describe()}"
        assert new == p.state
        states[key] = new


def brute_force(h: History) -> bool:
    """Try every order (no memo, no pruning): the definition, executed."""
    model = model_for(h.model, h.init)
    ops = [op for op in h.ops if takes_part(op)]

    def extend(placed: frozenset, state) -> bool:
        todo = [op for op in ops if op.id not in placed]
        if all(op.pending for op in todo):
            return True
        for op in todo:
            if any(other.precedes(op) for other in todo):
                continue
            new = model.apply(state, op)
            if new is not ILLEGAL and extend(placed | {op.id}, new):
                return True
        return False

    return extend(frozenset(), model.init)
