"""How the log sits in stable storage, checked against a plain model.

A server changes its log four ways: it appends, it cuts a conflicting suffix
(§5.3), it compacts a prefix into its own snapshot, and it installs a leader's
snapshot, keeping the entries after it only when they match (§7). After any
sequence of these, what it would reload after a crash must be exactly the log
it holds, whatever batches the writes left in storage.
"""

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from ddia10.raft import Configuration, RaftLog, Snapshot
from ddia10.raft.storage import DurableLog
from ddia10.sim import Context

CONFIG = Configuration({1, 2, 3})


class Model:
    """The log as a plain list after a snapshot point: what storage must give back."""

    def __init__(self) -> None:
        self.snapshot_index, self.snapshot_term = 0, 0
        self.entries: list[tuple] = []

    @property
    def last_index(self) -> int:
        return self.snapshot_index + len(self.entries)

    def term_at(self, index: int) -> int:
        return self.entries[index - self.snapshot_index - 1][0]


class Server:
    """A log, its durable side and its model, changed together as a server changes them."""

    def __init__(self) -> None:
        self.ctx = Context(1)
        self.log = RaftLog()
        self.durable = DurableLog()
        self.model = Model()
        self.term = 1
        self.made = 0

    def append(self, count: int) -> None:
        self.made += 1
        entries = tuple((self.term, f"c{self.made}.{k}") for k in range(count))
        first = self.log.last_index + 1
        self.log.append(entries)
        self.durable.append(self.ctx, first, entries)
        self.model.entries.extend(entries)

    def truncate(self, cut: int) -> None:
        """Cut the last ``cut`` entries (all, if there are fewer)."""
        index = max(self.model.snapshot_index, self.model.last_index - cut)
        self.log.truncate_after(index)
        self.durable.truncate(self.ctx, self.log, index)
        del self.model.entries[index - self.model.snapshot_index:]
        self.term += 1  # a cut comes from a leader of a later term

    def compact(self, upto: int) -> None:
        """Snapshot the first ``upto + 1`` entries (wrapping round the log)."""
        if not self.model.entries:
            return
        index = self.model.snapshot_index + 1 + upto % len(self.model.entries)
        self._snapshot(index, self.model.term_at(index))

    def install(self, at: int, matching: bool) -> None:
        """A leader's snapshot ``at + 1`` entries in (wrapping round a bit past the
        end): of the term of our entry there if ``matching``, else of a new term."""
        index = self.model.snapshot_index + 1 + at % (len(self.model.entries) + 2)
        if matching and index <= self.model.last_index:
            term = self.model.term_at(index)
        else:
            self.term += 1
            term = self.term
        self._snapshot(index, term)

    def _snapshot(self, index: int, term: int) -> None:
        m = self.model
        keeps = index <= m.last_index and m.term_at(index) == term
        m.entries = m.entries[index - m.snapshot_index:] if keeps else []
        m.snapshot_index, m.snapshot_term = index, term
        self.log.compact(index, term)
        self.durable.compact(self.ctx, self.log, Snapshot(index, term, CONFIG, ("state", index)))

    def reload(self) -> tuple[Snapshot | None, RaftLog, DurableLog]:
        self.ctx.take()
        return DurableLog.load(self.ctx.stable)


class StorageMachine(RuleBasedStateMachine):
    """Random appends, cuts, compactions and installed snapshots; after each,
    what the server would reload must be the log it holds."""

    def __init__(self) -> None:
        super().__init__()
        self.server = Server()

    @rule(count=st.integers(1, 4))
    def append(self, count: int) -> None:
        self.server.append(count)

    @rule(cut=st.integers(1, 6))
    def truncate(self, cut: int) -> None:
        self.server.truncate(cut)

    @rule(upto=st.integers(0, 20))
    def compact(self, upto: int) -> None:
        self.server.compact(upto)

    @rule(at=st.integers(0, 20), matching=st.booleans())
    def install(self, at: int, matching: bool) -> None:
        """A leader's snapshot ``at + 1`` entries in (wrapping round a bit past the
        end): of the term of our entry there if ``matching``, else of a new term."""
        self.server.install(at, matching)

    @invariant()
    def reload_gives_the_log_it_holds(self) -> None:
        snapshot, log, durable = self.server.reload()
        model = self.server.model
        assert (log.snapshot_index, log.snapshot_term) == (model.snapshot_index,
                                                           model.snapshot_term)
        assert (snapshot.index if snapshot else 0) == model.snapshot_index
        assert log.entries == model.entries == self.server.log.entries
        # the batches the server believes it wrote are the ones a restart walks
        assert durable.starts == self.server.durable.starts


StorageMachine.TestCase.settings = settings(max_examples=300, stateful_step_count=30,
                                            deadline=None)
test_what_a_server_would_reload_is_the_log_it_holds = StorageMachine.TestCase


def test_a_snapshot_that_discards_a_conflicting_suffix_forgets_its_batches():
    # The bug this file was written for: the discarded batches' bookkeeping
    # outlived them, and the next cut rewrote a batch that was no longer there.
    server = Server()
    server.append(4)  # 1..4
    server.append(2)  # 5..6, and
    server.append(2)  # 7..8: two batches the snapshot will discard
    server.install(at=2, matching=False)  # snapshot at 3, of another term: 4..8 go
    server.append(2)  # 4..5 anew
    server.truncate(cut=1)  # keep 4, cut 5
    server.append(1)  # a new 5
    _snapshot, log, _durable = server.reload()
    assert log.entries == server.log.entries == server.model.entries
