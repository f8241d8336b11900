"""CASPaxos: chosen states form a chain under random faults, and each rule is needed."""

from __future__ import annotations

import pytest

from ddia10.caspaxos import (
    CHAIN,
    CasAccept,
    CasAccepted,
    CasAcceptor,
    CASPaxos,
    CasPrepare,
    CasPromise,
    CasProposer,
    CasRejected,
    caspaxos_campaign,
)
from ddia10.sim import Context, Persist, Send


def test_changes_from_two_proposers_build_one_history():
    c = CASPaxos(3, 2, seed=1)
    c.change("P1", "a")
    c.change("P2", "b")
    c.sim.run(300)
    c.change("P1", "c")
    c.sim.run(300)
    assert c.chosen()[-1] == ("b", "a", "c")
    c.check_invariants()


@pytest.mark.parametrize("seed", range(15))
def test_chosen_states_form_a_chain_under_random_faults(seed):
    result = caspaxos_campaign(seed)
    assert result.violation is None
    assert result.chosen > 0


def test_building_on_a_state_other_than_the_highest_accepted_forks_the_register():
    found = [caspaxos_campaign(seed, bug_ignore_accepted=True).violation for seed in range(5)]
    assert all(v is not None and v.invariant == CHAIN for v in found)


def test_an_acceptor_persists_its_promise_before_it_answers():
    ctx = Context("A1", peers=["P1"])
    acceptor = CasAcceptor()
    acceptor.on_start(ctx)
    ctx.take()
    acceptor.on_message(ctx, "P1", CasPrepare((1, "P1")))
    assert ctx.take() == [Persist("promised", (1, "P1")),
                          Send("P1", CasPromise((1, "P1"), (0, ""), ()))]
    acceptor.on_message(ctx, "P1", CasPrepare((1, "P1")))  # not higher: refused
    assert ctx.take() == [Send("P1", CasRejected((1, "P1"), (1, "P1")))]


def test_an_acceptor_refuses_to_accept_below_its_promise():
    ctx = Context("A1", peers=["P1", "P2"], stable={"promised": (2, "P2")})
    acceptor = CasAcceptor()
    acceptor.on_start(ctx)
    ctx.take()
    acceptor.on_message(ctx, "P1", CasAccept((1, "P1"), ("x",)))
    assert ctx.take() == [Send("P1", CasRejected((1, "P1"), (2, "P2")))]


def test_a_proposer_applies_its_change_to_the_highest_accepted_state():
    ctx = Context("P1", peers=["A1", "A2", "A3"])
    proposer = CasProposer(("A1", "A2", "A3"))
    proposer.on_start(ctx)
    proposer.change(ctx, "z")
    ctx.take()
    ballot = proposer.ballot
    proposer.on_message(ctx, "A1", CasPromise(ballot, (1, "P2"), ("a",)))
    proposer.on_message(ctx, "A2", CasPromise(ballot, (3, "P2"), ("a", "b")))
    accepts = [e.msg for e in ctx.take() if isinstance(e, Send)]
    assert {m.state for m in accepts} == {("a", "b", "z")}
    for a in ("A1", "A2"):
        proposer.on_message(ctx, a, CasAccepted(ballot))
    assert proposer.done == ("z",) and proposer.phase == "idle"
