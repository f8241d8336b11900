"""One Raft server stepped alone, rule by rule, as etcd's data-driven tests do.

Each file in ``tests/testdata/raft/`` is named for the rules it proves and
holds stanzas. A stanza opens with comment lines saying which rule it shows,
starts one server, then feeds it one thing at a time: a message in, a timer
firing, a client call. Under each directive, after ``----``, stands what the
server asked for in return, one effect a line, in order::

    # §5.2: a follower whose election timer fires becomes a candidate ...
    start id=1, voters=(1, 2, 3)
    ----
    timer election 100

    tick election
    ----
    persist term 1
    persist voted_for 1
    timer election 100
    send 2 RequestVote(term=1, candidate_id=1, last_log_index=0, last_log_term=0)
    send 3 RequestVote(term=1, candidate_id=1, last_log_index=0, last_log_term=0)

There is no simulation: the server gets a bare :class:`~ddia10.sim.Context`
and its outbox is read back after every directive. Effects print as

- ``send <to> <message>``, ``timer <name> <delay>``, ``cancel <name>`` (only
  of a timer that is armed), ``persist <key> <value>``, ``report <fact>``
  (what the safety monitor would hear); annotations of the trace are left
  out (``state`` shows what a stanza needs);
- ``read-ready <id> at <index>`` / ``read-failed <id>``: the ReadIndex hooks;
- ``returns <value>`` for a client call.

Messages and facts print as their class with the fields that differ from
the defaults; ``NOOP`` is the no-op entry. Directives:

==============================  ================================================
``start k=v, ...``              a new server: ``id`` (1), ``voters`` ((1, 2, 3)),
                                ``peers`` (more ids it may talk to), ``term``,
                                ``voted_for``, ``log`` (entries), ``snapshot``
                                (a ``Snapshot``) as stable storage holds them;
                                any :class:`~ddia10.raft.RaftOptions` field
                                (``election_timeout=100, heartbeat_interval=10``
                                unless given)
``recv <from> <message>``       deliver a message
``tick <timer>``                fire an armed timer
``advance <ms>``                move the server's clock
``campaign``                    start an election now
``propose <command>``           a client command at this server
``propose_config k=v, ...``     ``voters``, ``learners``, ``joint``
``read <id>``                   a ReadIndex read
``lease``                       may it serve a read from its lease now?
``restart``                     crash and start again from stable storage
``state <name> ...``            a :class:`~ddia10.raft.RaftView` key, or
                                ``entries`` (the log after the snapshot),
                                ``votes``, ``progress``, ``durable_index``,
                                ``pending_reads``
==============================  ================================================

A failing stanza shows the directive with its file and line, the expected
lines and the actual ones. After a deliberate change of behaviour, rewrite
the expected blocks and review the diff before committing it::

    .venv/bin/python tests/test_raft_interaction.py --rewrite [file.txt ...]
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import sys
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from ddia10.raft import (
    AppendEntries,
    AppendEntriesReply,
    Configuration,
    InstallSnapshot,
    InstallSnapshotReply,
    RaftLog,
    RaftNode,
    RaftOptions,
    RequestVote,
    RequestVoteReply,
    Snapshot,
)
from ddia10.raft.messages import NOOP, NoOp
from ddia10.raft.storage import DurableLog
from ddia10.sim import CancelTimer, Context, Emit, Persist, Report, Send, SetTimer

DATA = Path(__file__).parent / "testdata" / "raft"
SEPARATOR = "----"
# What a stanza may write in a message or an argument, besides Python literals.
NAMES = {cls.__name__: cls for cls in (
    AppendEntries, AppendEntriesReply, Configuration, InstallSnapshot, InstallSnapshotReply,
    RequestVote, RequestVoteReply, Snapshot)} | {"NOOP": NOOP}
DEFAULT_OPTIONS = {"election_timeout": 100, "heartbeat_interval": 10}


# ---------------------------------------------------------------------- the format
class Directive(NamedTuple):
    line: int  # where it is in its file, from 1
    command: str
    args: str
    expected: list[str]


class Stanza(NamedTuple):
    path: Path
    title: str  # its comments, joined
    comments: list[str]
    directives: list[Directive]


def parse(path: Path) -> list[Stanza]:
    """The stanzas of one file: each begins with its comments and a ``start``."""
    lines = path.read_text().splitlines()
    stanzas: list[Stanza] = []
    comments: list[str] = []
    i = 0
    while i < len(lines):
        text = lines[i].strip()
        if not text:
            i += 1
            continue
        if text.startswith("#"):
            comments.append(text)
            i += 1
            continue
        if i + 1 >= len(lines) or lines[i + 1].strip() != SEPARATOR:
            raise ValueError(f"{path.name}:{i + 1}: a directive needs a '{SEPARATOR}' line "
                             "under it")
        command, _, args = text.partition(" ")
        start = i
        i += 2
        expected = []
        while i < len(lines) and lines[i].strip():
            expected.append(lines[i].rstrip())
            i += 1
        if command == "start":
            if not comments:
                raise ValueError(f"{path.name}:{start + 1}: say in a comment which rule it shows")
            title = " ".join(c.lstrip("#").strip() for c in comments)
            stanzas.append(Stanza(path, title, comments, []))
            comments = []
        elif not stanzas:
            raise ValueError(f"{path.name}:{start + 1}: a stanza begins with 'start'")
        stanzas[-1].directives.append(Directive(start + 1, command, args.strip(), expected))
    return stanzas


def evaluate(node: ast.AST) -> Any:
    """A literal, or a message (or configuration, or snapshot) built from literals."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in NAMES:
        args = [evaluate(a) for a in node.args]
        return NAMES[node.func.id](*args, **{k.arg: evaluate(k.value) for k in node.keywords})
    if isinstance(node, ast.Name) and node.id in NAMES:
        return NAMES[node.id]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        items = [evaluate(e) for e in node.elts]
        return {ast.Tuple: tuple, ast.List: list, ast.Set: set}[type(node)](items)
    return ast.literal_eval(node)


def expression(text: str) -> Any:
    return evaluate(ast.parse(text, mode="eval").body)


def keywords(text: str) -> dict:
    call = ast.parse(f"f({text})", mode="eval").body
    if call.args:
        raise ValueError(f"write every argument as name=value: {text!r}")
    return {k.arg: evaluate(k.value) for k in call.keywords}


def render(value: Any) -> str:
    """How a value prints in a stanza: messages and facts with their fields
    that are not at their defaults, in a form ``evaluate`` reads back."""
    if isinstance(value, NoOp):
        return "NOOP"
    if isinstance(value, Configuration):
        return repr(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        shown = [f"{f.name}={render(getattr(value, f.name))}" for f in dataclasses.fields(value)
                 if f.default is dataclasses.MISSING or getattr(value, f.name) != f.default]
        return f"{type(value).__name__}({', '.join(shown)})"
    if isinstance(value, tuple):
        inner = ", ".join(render(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(render(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{render(k)}: {render(v)}" for k, v in value.items()) + "}"
    return repr(value)


# ---------------------------------------------------------------------- the runner
class Observed(RaftNode):
    """A RaftNode whose ReadIndex hooks say when they are called."""

    def __init__(self, options: RaftOptions, voters: tuple, notes: list[str]) -> None:
        super().__init__(options, voters)
        self.notes = notes

    def on_read_ready(self, ctx, read_id, index):
        self.notes.append(f"read-ready {read_id!r} at {index}")

    def on_read_failed(self, ctx, read_id):
        self.notes.append(f"read-failed {read_id!r}")


class Stepper:
    """One server and its bare context, driven directive by directive."""

    def __init__(self) -> None:
        self.node: Observed | None = None
        self.ctx: Context | None = None
        self.armed: set = set()
        self.notes: list[str] = []

    def run(self, command: str, args: str) -> list[str]:
        if command != "start" and self.node is None:
            raise ValueError("start a server first")
        handler = getattr(self, f"do_{command}", None)
        if handler is None:
            raise ValueError(f"unknown directive {command!r}")
        returned = handler(args)
        lines = self._effects() + self.notes
        self.notes.clear()
        if command in ("propose", "propose_config", "lease"):
            lines.append(f"returns {render(returned)}")
        return lines

    def _effects(self) -> list[str]:
        lines = []
        for effect in self.ctx.take():
            if isinstance(effect, Send):
                lines.append(f"send {effect.dst!r} {render(effect.msg)}")
            elif isinstance(effect, SetTimer):
                self.armed.add(effect.name)
                lines.append(f"timer {effect.name} {effect.delay:g}")
            elif isinstance(effect, CancelTimer):
                if effect.name in self.armed:
                    self.armed.discard(effect.name)
                    lines.append(f"cancel {effect.name}")
            elif isinstance(effect, Persist):
                lines.append(f"persist {effect.key} {render(effect.value)}")
            elif isinstance(effect, Report):
                lines.append(f"report {render(effect.fact)}")
            elif isinstance(effect, Emit):
                lines.append(f"emit {effect.kind} {render(effect.fields)}")
        return lines

    # ---------------------------------------------------------------- directives
    def do_start(self, args: str) -> None:
        given = keywords(args)
        pid = given.pop("id", 1)
        voters = tuple(given.pop("voters", (1, 2, 3)))
        peers = set(voters) | set(given.pop("peers", ()))
        stable = self._storage(pid, given.pop("term", 0), given.pop("voted_for", None),
                               given.pop("log", ()), given.pop("snapshot", None))
        options = RaftOptions(**{**DEFAULT_OPTIONS, **given})
        self.ctx = Context(pid, peers=sorted(peers - {pid}, key=repr), stable=stable)
        self.node = Observed(options, voters, self.notes)
        self.node.on_start(self.ctx)

    @staticmethod
    def _storage(pid: Any, term: int, voted_for: Any, log: tuple,
                 snapshot: Snapshot | None) -> dict:
        """Stable storage holding this term, vote, snapshot and log, written the
        way a server writes them."""
        scratch = Context(pid)
        if term:
            scratch.persist("term", term)
        if voted_for is not None:
            scratch.persist("voted_for", voted_for)
        durable, first = DurableLog(), 1
        if snapshot is not None:
            durable.compact(scratch, RaftLog(snapshot.index, snapshot.term), snapshot)
            first = snapshot.index + 1
        if log:
            durable.append(scratch, first, tuple(log))
        return scratch.stable

    def do_restart(self, args: str) -> None:
        stable = self.ctx.stable
        self.ctx = Context(self.ctx.pid, peers=self.ctx.peers, now=self.ctx.now, stable=stable,
                           incarnation=self.ctx.incarnation + 1)
        self.armed.clear()
        self.node = Observed(self.node.options, tuple(self.node.bootstrap.voters), self.notes)
        self.node.on_start(self.ctx)

    def do_recv(self, args: str) -> None:
        src, _, message = args.partition(" ")
        self.node.on_message(self.ctx, expression(src), expression(message))

    def do_tick(self, name: str) -> None:
        if name not in self.armed:
            raise ValueError(f"timer {name!r} is not armed (armed: {sorted(self.armed)})")
        self.armed.discard(name)
        self.node.on_timer(self.ctx, name)

    def do_advance(self, ms: str) -> None:
        self.ctx.now += float(expression(ms))

    def do_campaign(self, args: str) -> None:
        self.node.campaign(self.ctx)

    def do_propose(self, command: str) -> Any:
        return self.node.propose(self.ctx, expression(command))

    def do_propose_config(self, args: str) -> Any:
        return self.node.propose_config(self.ctx, **keywords(args))

    def do_read(self, read_id: str) -> None:
        self.node.request_read(self.ctx, expression(read_id))

    def do_lease(self, args: str) -> bool:
        return self.node.lease_read_ok(self.ctx)

    def do_state(self, names: str) -> None:
        node, view = self.node, self.node.view()
        for name in names.split():
            if name == "progress":
                self.notes.extend(f"progress {p!r}: {pr!r}" for p, pr in node.progress.items())
            elif name == "durable_index":
                self.notes.append(f"durable_index={node.disk.durable_index}")
            elif name == "pending_reads":
                self.notes.append(f"pending_reads={render(node.read_only.pending)}")
            elif name in ("entries", "votes"):
                value = node.log.entries if name == "entries" else node.votes
                self.notes.append(f"{name}={render(value)}")
            elif name in view:
                self.notes.append(f"{name}={render(view[name])}")
            else:
                raise ValueError(f"state knows no {name!r}")


def play(stanza: Stanza) -> list[tuple[Directive, list[str]]]:
    """Run a stanza; every directive with what it actually produced."""
    stepper = Stepper()
    return [(d, stepper.run(d.command, d.args)) for d in stanza.directives]


# ---------------------------------------------------------------------- the tests
STANZAS = [s for path in sorted(DATA.glob("*.txt")) for s in parse(path)]


@pytest.mark.parametrize(
    "stanza", STANZAS,
    ids=[f"{s.path.stem}:{s.directives[0].line}" for s in STANZAS])
def test_rule(stanza):
    for directive, actual in play(stanza):
        if actual != directive.expected:
            where = f"{stanza.path.name}:{directive.line}"
            diff = "\n".join(difflib.unified_diff(
                directive.expected, actual, "expected", "actual", lineterm=""))
            pytest.fail(f"{stanza.title}\n{where}: {directive.command} {directive.args}\n"
                        f"expected:\n  " + "\n  ".join(directive.expected) +
                        "\nactual:\n  " + "\n  ".join(actual) + f"\n{diff}", pytrace=False)


def test_every_file_holds_stanzas_and_every_stanza_a_step():
    files = sorted(DATA.glob("*.txt"))
    assert files and all(parse(path) for path in files)
    assert all(len(s.directives) >= 2 for s in STANZAS)


def test_a_stanza_that_breaks_the_format_is_refused(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("start id=1\nno separator\n")
    with pytest.raises(ValueError, match="needs a '----' line"):
        parse(path)
    path.write_text("# a rule\nrecv 2 RequestVote(term=1, candidate_id=2, last_log_index=0, "
                    "last_log_term=0)\n----\n")
    with pytest.raises(ValueError, match="begins with 'start'"):
        parse(path)


# Every rule ddia10.raft's docstring names, and the stanza files that prove it.
RULE_FILES = {
    "§5.1 terms": ("terms.txt",),
    "§5.2 election and its timers": ("election.txt",),
    "§5.3 replication and the consistency check": ("replication.txt",),
    "§5.4.1 the election restriction": ("election_restriction.txt",),
    "§5.4.2 commitment": ("commitment.txt",),
    "persistence before replying": ("persistence.txt",),
    "the disk": ("disk.txt",),
    "§7 snapshots": ("snapshots.txt",),
    "membership and learners": ("membership.txt", "learners.txt"),
    "ReadIndex and leases": ("read_index.txt", "leases.txt"),
    "PreVote and CheckQuorum": ("prevote.txt", "check_quorum.txt"),
}


def test_every_rule_the_raft_package_names_has_its_stanzas():
    import ddia10.raft

    doc = " ".join(ddia10.raft.__doc__.split())
    listed = doc.partition("the rules by section of the paper (")[2].partition(");")[0]
    assert listed, "ddia10.raft's docstring no longer lists its rules"
    assert [rule.strip() for rule in listed.split(",")] == list(RULE_FILES)
    files = [name for names in RULE_FILES.values() for name in names]
    assert sorted(files) == sorted(p.name for p in DATA.glob("*.txt"))
    assert all(parse(DATA / name) for name in files)


def test_messages_print_as_they_are_read():
    msg = AppendEntries(2, 1, 1, 1, ((1, NOOP), (2, "x")), 1, round=3)
    assert expression(render(msg)) == msg
    snap = Snapshot(3, 2, Configuration({1, 2, 3}), ["a"])
    assert expression(render(snap)) == snap


# ---------------------------------------------------------------------- rewriting
def rewrite(path: Path) -> None:
    """Put what each directive produces now under it, keeping everything else."""
    lines = path.read_text().splitlines()
    produced = {d.line: actual for stanza in parse(path) for d, actual in play(stanza)}
    out, i = [], 0
    while i < len(lines):
        out.append(lines[i])
        if i + 1 in produced:
            out.append(SEPARATOR)
            out.extend(produced[i + 1])
            i += 2
            while i < len(lines) and lines[i].strip():
                i += 1
            continue
        i += 1
    path.write_text("\n".join(out) + "\n")


if __name__ == "__main__":
    if sys.argv[1:2] != ["--rewrite"]:
        sys.exit("usage: python tests/test_raft_interaction.py --rewrite [file.txt ...]")
    for name in sys.argv[2:] or sorted(p.name for p in DATA.glob("*.txt")):
        rewrite(DATA / Path(name).name)
        print(f"rewrote {name}")
