"""Two-phase commit: the protocol's rules, each shown by a run that breaks if the rule goes."""

import pytest

from ddia10.sim import Context, Persist, Report, Send
from ddia10.twopc import (
    ABORT,
    ATOMICITY,
    COMMIT,
    COMMIT_VALIDITY,
    NO_LOST_LOCKS,
    Ack,
    Begin,
    CommitVote,
    Coordinator,
    Decided,
    Decision,
    DecisionRequest,
    Finished,
    InvariantViolation,
    Participant,
    Prepared,
    PrepareToCommit,
    TwoPC,
    TwoPCMonitor,
    TwoPCOptions,
)

TRANSFER = {"P1": {"A": -100}, "P2": {"B": 100}}
ROWS = {"P1": {"A": 100}, "P2": {"B": 0}}


def transfer(**options):
    options.setdefault("check_every_event", True)
    t = TwoPC(participants=2, seed=1, rows=ROWS, **options)
    return t, t.begin(TRANSFER)


def kinds(t, kind="send"):
    return [type(e.data["msg"]).__name__ for e in t.trace.of_kind(kind)]


def in_doubt_everywhere(t, txn):
    return all(t.outcome(txn, p) == "in-doubt" for p in t.participants)


# ---------------------------------------------------------------- the protocol runs
def test_a_transfer_commits_everywhere_in_two_round_trips_after_the_request():
    t, txn = transfer()
    t.run(100)
    assert [t.outcome(txn, p) for p in ("C", "P1", "P2")] == ["committed"] * 3
    assert t.rows("P1") == {"A": 0} and t.rows("P2") == {"B": 100}
    assert t.locks("P1") == t.locks("P2") == {}
    assert t.result(txn) == COMMIT
    # the request, one round trip to prepare, the answer, one round trip to finish
    assert kinds(t) == ["Begin", "PrepareToCommit", "PrepareToCommit", "CommitVote",
                        "CommitVote", "Result", "Decision", "Decision", "Ack", "Ack"]
    assert t.sim.storage("C")["wal:2"] == ("end", txn)


def test_one_no_vote_aborts_everywhere_and_changes_nothing():
    t = TwoPC(participants=2, seed=1, rows=ROWS, check_every_event=True)
    txn = t.begin({"P1": {"A": -150}, "P2": {"B": 150}})  # A holds only 100
    t.run(100)
    assert [t.outcome(txn, p) for p in ("C", "P1", "P2")] == ["aborted"] * 3
    assert t.rows("P1") == {"A": 100} and t.rows("P2") == {"B": 0}
    assert t.result(txn) == ABORT


def test_same_seed_same_trace():
    runs = []
    for _ in range(2):
        t, _txn = transfer(loss=0.2, duplicate=0.2)
        t.run(300)
        runs.append(repr(t.trace.events))
    assert runs[0] == runs[1]


# ---------------------------------------------------------------- the participant's promise
def test_a_participant_forces_its_prepare_record_before_it_votes_yes():
    node = Participant(TwoPCOptions(), ["C"], {"A": 100})
    ctx = Context("P1", peers=("C", "P2"))
    node.on_start(ctx)
    ctx.take()
    node.on_message(ctx, "C", PrepareToCommit(1, (("A", -100),), ("P1", "P2")))
    effects = [e for e in ctx.take() if isinstance(e, (Persist, Report, Send))]
    assert effects[:3] == [Persist("wal:1", ("prepare", 1, (("A", -100),), ("P1", "P2"))),
                           Report(Prepared("P1", 1)), Send("C", CommitVote(1, True))]
    assert node.locks == {"A": 1}


def test_a_participant_that_crashed_after_voting_yes_is_in_doubt_and_holds_its_locks():
    t, txn = transfer()
    t.run_until(lambda t: t.outcome(txn, "P1") == "in-doubt", 50)
    t.crash("C")
    t.crash("P1")
    t.run(100)
    t.restart("P1")
    assert t.outcome(txn, "P1") == "in-doubt" and t.locks("P1") == {"A": txn}
    t.restart("C")
    t.run(200)
    assert [t.outcome(txn, p) for p in ("C", "P1", "P2")] == ["aborted"] * 3
    assert t.locks("P1") == {} and t.rows("P1") == {"A": 100}


def test_a_participant_that_crashed_before_voting_has_promised_nothing():
    t, txn = transfer()
    t.run_until(lambda t: t.outcome(txn, "P1") == "in-doubt", 50)
    assert t.outcome(txn, "P2") is None  # its PrepareToCommit is still on the way
    t.crash("P2")
    t.run(20)
    t.restart("P2")  # nothing on its log: it knows nothing of T1
    t.run(200)  # the coordinator's vote timer runs out: abort
    assert [t.outcome(txn, p) for p in ("C", "P1", "P2")] == ["aborted"] * 3
    assert t.locks("P1") == t.locks("P2") == {}


def test_a_participant_that_has_not_voted_may_give_up_waiting_for_locks():
    t, first = transfer(lock_timeout=20.0, retry_interval=200.0)
    t.run_until(lambda t: in_doubt_everywhere(t, first), 50)
    t.crash("C")
    t.restart("C")  # it knows nothing of T1, and nobody has asked yet
    second = t.begin({"P1": {"A": -1}})
    t.run_until(lambda t: t.waiting("P1") == [second], 50)
    assert t.locks("P1") == {"A": first}  # blocked behind the transaction in doubt
    t.run(100)
    assert t.outcome(second, "P1") == "aborted" and t.result(second) == ABORT


# ---------------------------------------------------------------- the coordinator's log
def test_a_coordinator_lost_before_deciding_leaves_participants_in_doubt_then_aborts():
    t, txn = transfer()
    t.run_until(lambda t: in_doubt_everywhere(t, txn), 50)
    t.crash("C")
    t.run(1000)
    assert in_doubt_everywhere(t, txn)
    assert t.locks("P1") == {"A": txn} and t.locks("P2") == {"B": txn}
    t.restart("C")
    t.run(100)
    assert [t.outcome(txn, p) for p in ("C", "P1", "P2")] == ["aborted"] * 3
    assert t.locks("P1") == t.locks("P2") == {}


def test_a_decision_on_the_log_survives_the_coordinator_and_is_sent_again():
    t, txn = transfer(log_write=2.0)
    t.run_until(lambda t: t.outcome(txn, "C") == "committed", 50)  # on the log, not yet sent
    t.crash("C")
    t.run(500)
    assert in_doubt_everywhere(t, txn)
    t.restart("C")
    t.run(100)
    assert [t.outcome(txn, p) for p in ("C", "P1", "P2")] == ["committed"] * 3
    assert t.rows("P2") == {"B": 100}


def test_a_participant_that_missed_the_decision_learns_it_from_the_log():
    t, txn = transfer()
    t.run_until(lambda t: t.outcome(txn, "C") == "committed", 50)
    t.disconnect("P2")  # the decision on its way to P2 is lost
    t.run_until(lambda t: t.outcome(txn, "P1") == "committed", 50)
    t.crash("C")
    t.run(20)
    t.connect("P2")
    t.run(300)
    assert t.outcome(txn, "P2") == "in-doubt"
    t.restart("C")
    t.run(100)
    assert t.outcome(txn, "P2") == "committed"


def test_an_abort_presumed_for_an_unknown_transaction_is_logged_and_final():
    t, txn = transfer()
    t.run_until(lambda t: in_doubt_everywhere(t, txn), 50)
    t.crash("C")
    t.restart("C")
    t.run(100)
    assert t.outcome(txn, "C") == "aborted"
    t.crash("C")
    t.restart("C")
    parts = (("P1", (("A", -100),)), ("P2", (("B", 100),)))
    t.sim.call("client", lambda client, ctx: ctx.send("C", Begin(txn, parts)))  # a late copy
    t.run(200)
    assert [t.outcome(txn, p) for p in ("C", "P1", "P2")] == ["aborted"] * 3


def test_a_coordinator_forces_its_decision_to_the_log_before_anyone_hears_it():
    node = Coordinator(TwoPCOptions())
    ctx = Context("C", peers=("P1", "P2", "client"))
    node.on_start(ctx)
    node.on_message(ctx, "client", Begin(1, (("P1", (("A", 1),)), ("P2", (("B", 1),)))))
    node.on_message(ctx, "P1", CommitVote(1, True))
    ctx.take()
    node.on_message(ctx, "P2", CommitVote(1, True))
    effects = [e for e in ctx.take() if isinstance(e, (Persist, Send))]
    assert effects[0] == Persist("wal:1", ("decision", 1, COMMIT, ("P1", "P2")))
    assert {e.dst for e in effects[1:]} == {"client", "P1", "P2"}


def test_a_coordinator_decides_commit_only_with_every_yes():
    node = Coordinator(TwoPCOptions())
    ctx = Context("C", peers=("P1", "P2", "P3", "client"))
    node.on_start(ctx)
    node.on_message(ctx, "client", Begin(1, tuple((p, (("x", 1),)) for p in ("P1", "P2"))))
    node.on_message(ctx, "P1", CommitVote(1, True))
    node.on_message(ctx, "P1", CommitVote(1, True))  # a repeated vote counts once
    node.on_message(ctx, "P3", CommitVote(1, True))  # not a participant of T1
    assert not any(isinstance(e, Persist) for e in ctx.take())
    node.on_timer(ctx, ("votes", 1))
    assert Persist("wal:1", ("decision", 1, ABORT, ("P1", "P2"))) in ctx.take()


# ---------------------------------------------------------------- locks and blocking
def test_a_second_transaction_waits_behind_one_in_doubt_and_goes_once_it_is_decided():
    t, first = transfer(lock_timeout=500.0, vote_timeout=500.0, retry_interval=100.0)
    t.run_until(lambda t: in_doubt_everywhere(t, first), 50)
    t.crash("C")
    t.restart("C")
    second = t.begin({"P1": {"A": 5}})
    t.run_until(lambda t: t.waiting("P1") == [second], 50)
    t.run(10)
    assert t.outcome(second, "P1") is None and t.locks("P1") == {"A": first}
    t.run(300)  # P1 asks about T1, the coordinator aborts it, T2 gets the lock
    assert t.outcome(first, "P1") == "aborted" and t.outcome(second, "P1") == "committed"
    assert t.rows("P1") == {"A": 105} and t.waiting("P1") == []


# ---------------------------------------------------------------- termination
@pytest.mark.parametrize("cooperative, expected", [(False, "in-doubt"), (True, "aborted")])
def test_cooperative_termination_ends_doubt_when_a_peer_never_voted(cooperative, expected):
    t, txn = transfer(cooperative=cooperative)
    t.disconnect("P2")  # P2 never hears the PrepareToCommit
    t.run_until(lambda t: t.outcome(txn, "P1") == "in-doubt", 50)
    t.crash("C")
    t.connect("P2")
    t.run(300)
    assert t.outcome(txn, "P1") == expected
    t.check_invariants()


def test_cooperative_termination_cannot_help_when_every_participant_voted_yes():
    t, txn = transfer(cooperative=True)
    t.run_until(lambda t: in_doubt_everywhere(t, txn), 50)
    t.crash("C")
    t.run(1000)
    assert in_doubt_everywhere(t, txn)


@pytest.mark.parametrize("bug", [False, True])
def test_the_abort_in_doubt_bug_breaks_atomicity(bug):
    t, txn = transfer(bug_abort_in_doubt=bug)
    t.run_until(lambda t: t.outcome(txn, "C") == "committed", 50)
    t.disconnect("P2")  # P2 waits for a decision that cannot reach it
    if bug:
        with pytest.raises(InvariantViolation, match="atomicity") as caught:
            t.run(500)
        assert caught.value.invariant == ATOMICITY
    else:
        t.run(500)
        assert t.outcome(txn, "P2") == "in-doubt"


# ---------------------------------------------------------------- the monitor
def test_the_monitor_names_each_broken_property():
    cases = [
        ([Decided("C", 1, COMMIT, ("P1", "P2")), Prepared("P1", 1)], COMMIT_VALIDITY),
        ([Decided("C", 1, ABORT, ()), Decided("C", 1, COMMIT, ())], COMMIT_VALIDITY),
        ([Finished("P1", 1, COMMIT)], ATOMICITY),
        ([Decided("C", 1, ABORT, ("P1",)), Finished("P1", 1, COMMIT)], ATOMICITY),
        ([Prepared("P1", 1), Prepared("P2", 1), Decided("C", 1, COMMIT, ("P1", "P2")),
          Finished("P1", 1, COMMIT), Finished("P2", 1, ABORT)], ATOMICITY),
    ]
    for facts, invariant in cases:
        monitor = TwoPCMonitor()
        for fact in facts:
            monitor.hear(fact)
        with pytest.raises(InvariantViolation) as caught:
            monitor.check({})
        assert caught.value.invariant == invariant, facts


def test_the_monitor_sees_a_lost_lock():
    t, txn = transfer()
    t.run_until(lambda t: t.outcome(txn, "P1") == "in-doubt", 50)
    t.sim.process("P1").locks.clear()  # as if a restart forgot to take them again
    with pytest.raises(InvariantViolation) as caught:
        t.check_invariants()
    assert caught.value.invariant == NO_LOST_LOCKS


def test_snapshot_and_restore_take_the_monitor_along():
    t, txn = transfer()
    snap = t.snapshot()
    before = t.fingerprint()
    t.run(100)
    assert t.monitor.decided == {txn: COMMIT} and t.fingerprint() != before
    t.restore(snap)
    assert t.monitor.decided == {} and t.fingerprint() == before


def test_a_participant_answers_a_peer_only_with_what_it_knows():
    node = Participant(TwoPCOptions(), ["C"])
    ctx = Context("P2", peers=("C", "P1"))
    node.on_start(ctx)
    node.on_message(ctx, "P1", DecisionRequest(7))  # never heard of T7: it aborts it
    assert Send("P1", Decision(7, ABORT)) in ctx.take()
    late = PrepareToCommit(7, (("x", 1),), ("P1", "P2"))
    node.on_message(ctx, "C", late)  # it aborted T7: the answer is no
    assert Send("C", CommitVote(7, False)) in ctx.take() and node.locks == {}


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("call, error, words", [
    (lambda: TwoPC(participants=0), ValueError, "participants must be an int >= 1"),
    (lambda: TwoPC(vote_timeout=0), ValueError, "vote_timeout must be a finite number"),
    (lambda: TwoPC(colour="red"), ValueError, "unknown two-phase commit option"),
    (lambda: TwoPC(rows={"P9": {"a": 1}}), KeyError, "unknown participant"),
    (lambda: TwoPC().begin({}), ValueError, "at least one participant"),
    (lambda: TwoPC().begin({"P9": {"a": 1}}), KeyError, "unknown participant"),
    (lambda: TwoPC().begin({"P1": {"a": 1.5}}), ValueError, "must be an int"),
    (lambda: TwoPC().crash("X"), KeyError, "unknown process 'X'"),
    (lambda: TwoPC().outcome(1, "P1"), KeyError, "unknown transaction 1"),
    (lambda: TwoPC().locks("C"), KeyError, "unknown participant 'C'"),
])
def test_bad_input_fails_with_a_clear_message(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_crashing_a_crashed_process_is_refused():
    t = TwoPC()
    t.crash("P1")
    with pytest.raises(ValueError, match="already crashed"):
        t.crash("P1")
    with pytest.raises(ValueError, match="running; crash it before"):
        t.restart("P2")


def test_an_ack_is_only_sent_to_a_coordinator():
    node = Participant(TwoPCOptions(), ["C"])
    ctx = Context("P1", peers=("C", "P2"))
    node.on_start(ctx)
    node.on_message(ctx, "P2", Decision(3, ABORT))
    assert not any(isinstance(e, Send) for e in ctx.take())
    node.on_message(ctx, "C", Decision(3, ABORT))
    assert Send("C", Ack(3)) in ctx.take()
