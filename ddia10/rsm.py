"""The replicated state machine: same log, same order, same state.

A *state machine* here is deterministic: its next state and its output depend
only on its current state and the command applied, never on a clock, a random
number or the machine it runs on. Start several copies in the same state, feed
each the same commands in the same order, and every copy passes through the
same states and returns the same outputs. That turns "keep N replicas
consistent" into "make N replicas agree on one sequence of commands", a *log*.
Agreeing on that log, despite crashes and partitions, is the job of consensus;
applying it is the job of this module, which knows nothing about nodes,
networks or elections.

:class:`KeyValueStore` is the state machine (``Set``, ``Add`` and ``Delete``
on string keys). :class:`Replica` is the loop every node runs: append entries
to its log, learn how far the log is *committed*, and apply committed entries
in order, each exactly once. :func:`replay` applies a list of commands to a
fresh store, which is how a reader checks that a replica's state is a pure
function of its log. The failover protocols of chapter 0
(:mod:`ddia10.failover`) ship this log from leader to followers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .validate import check_instance, check_int, check_number, check_str


# ---------------------------------------------------------------- commands
@dataclass(frozen=True)
class Set:
    """Set ``key`` to ``value``; outputs the previous value (``None`` if absent)."""

    key: str
    value: Any

    def __post_init__(self) -> None:
        check_str("a key", self.key)

    def __str__(self) -> str:
        return f"{self.key}={self.value!r}"


@dataclass(frozen=True)
class Add:
    """Add ``amount`` to the number at ``key`` (absent counts as 0); outputs the new value."""

    key: str
    amount: int | float

    def __post_init__(self) -> None:
        check_str("a key", self.key)
        check_number("Add amount", self.amount, finite=False)

    def __str__(self) -> str:
        return f"{self.key}+={self.amount!r}"


@dataclass(frozen=True)
class Delete:
    """Remove ``key``; outputs the value it held (``None`` if absent)."""

    key: str

    def __post_init__(self) -> None:
        check_str("a key", self.key)

    def __str__(self) -> str:
        return f"del {self.key}"


Command = Set | Add | Delete
COMMANDS = (Set, Add, Delete)


def _check_command(command: object) -> None:
    if not isinstance(command, COMMANDS):
        raise ValueError(
            f"a command must be Set, Add or Delete, got {type(command).__name__}: {command!r}"
        )


# ---------------------------------------------------------------- the state machine
class KeyValueStore:
    """A deterministic key-value state machine: ``apply(command) -> output``."""

    def __init__(self) -> None:
        self.state: dict[str, Any] = {}

    def apply(self, command: Command) -> Any:
        _check_command(command)
        if isinstance(command, Set):
            previous = self.state.get(command.key)
            self.state[command.key] = command.value
            return previous
        if isinstance(command, Add):
            current = self.state.get(command.key, 0)
            if isinstance(current, bool) or not isinstance(current, (int, float)):
                return f"error: {command.key} holds {current!r}, not a number"
            self.state[command.key] = current + command.amount
            return self.state[command.key]
        return self.state.pop(command.key, None)


def replay(commands: Iterable[Command]) -> dict[str, Any]:
    """The state a fresh :class:`KeyValueStore` reaches after applying ``commands`` in order."""
    store = KeyValueStore()
    for command in commands:
        store.apply(command)
    return dict(store.state)


# ---------------------------------------------------------------- the log and the loop
@dataclass(frozen=True)
class Entry:
    """One log slot: the ``command``, the ``term`` of the leader that created it,
    and the client ``request`` id that lets anyone find it again."""

    term: int
    command: Command
    request: str

    def __post_init__(self) -> None:
        check_int("entry term", self.term, min=0)
        _check_command(self.command)
        check_str("entry request id", self.request)

    def __str__(self) -> str:
        return f"{self.command}@{self.term}"


class Replica:
    """The loop one node runs: a log, a commit index, and a state machine fed
    with the committed prefix of the log, in order, each entry exactly once.

    ``commit_index`` counts entries (1 = the first entry is committed). Entries
    are applied the moment they are committed, so the commit index is also how
    many entries the state machine has applied. When a protocol replaces the log
    with one that disagrees with what was already applied, the replica rebuilds
    its state by replaying the agreeing prefix: the state is always a function
    of the log. The entries that were undone are returned, so a protocol can say
    which writes it just lost.
    """

    def __init__(self, log: Sequence[Entry] = ()) -> None:
        self.log: list[Entry] = []
        self.commit_index = 0
        self.outputs: dict[str, Any] = {}  # request id -> output of applying it
        self.machine = KeyValueStore()
        self.replace_log(log)

    @property
    def state(self) -> dict[str, Any]:
        return dict(self.machine.state)

    def append(self, entry: Entry) -> int:
        """Append ``entry``; returns its position (1-based)."""
        check_instance("an appended entry", entry, Entry)
        self.log.append(entry)
        return len(self.log)

    def replace_log(self, entries: Sequence[Entry]) -> list[Entry]:
        """Adopt ``entries`` as the whole log. Returns the applied entries this undid."""
        entries = list(entries)
        for entry in entries:
            if not isinstance(entry, Entry):
                raise ValueError(f"a log holds Entry objects, got {entry!r}")
        same = 0
        while same < min(self.commit_index, len(entries)) and self.log[same] == entries[same]:
            same += 1
        undone = self.log[same : self.commit_index]
        self.log = entries
        if undone:
            self.machine = KeyValueStore()
            self.outputs = {}
            self.commit_index = 0
            self.commit(same)
        return undone

    def commit(self, index: int) -> list[tuple[Entry, Any]]:
        """Learn that the first ``index`` entries are committed and apply the new
        ones. Commit only moves forward; it never passes the end of the log.
        Returns ``(entry, output)`` for each entry applied now."""
        check_int("commit index", index, min=0)
        applied = []
        while self.commit_index < min(index, len(self.log)):
            entry = self.log[self.commit_index]
            output = self.machine.apply(entry.command)
            self.outputs[entry.request] = output
            self.commit_index += 1
            applied.append((entry, output))
        return applied
