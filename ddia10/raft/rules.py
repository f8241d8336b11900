"""Raft's safety rules, each tied to the guard that enforces it and a test.

A rule is the text of its guard in the package (found exactly once), the text
that removes it, and the test that fails when it is removed. Three readers
share this one list: ``tools/mutate_raft.py`` removes each guard in turn and
runs the tests, chapter 4 prints the rules as a card with the handler and line
of each guard (:func:`locate`), and a test fails when a guard or a test named
here no longer exists, so the card cannot drift from the code.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[2]
"""The directory that holds the package (``path`` is relative to it)."""


class Rule(NamedTuple):
    """Rule ``rule`` lives in ``path``; replacing ``old`` (found exactly once)
    by ``new`` removes it and nothing else; ``test`` fails without it (a
    pytest id: ``tests/file.py::name``, with ``[param]`` for one case)."""

    rule: str
    path: str
    old: str
    new: str
    test: str


class Guard(NamedTuple):
    """Where a rule's guard is: the function that holds it, the line (from 1)
    that removing the rule changes first, and that line's code."""

    function: str
    line: int
    code: str


NODE = "ddia10/raft/node.py"
RULES = (
    Rule("§5.4.2 commit only entries of the current term by counting", NODE,
         "if self.log.term_at(index) != self.term and not self.options.bug_commit_old_terms:",
         "if False:",
         "tests/test_raft_interaction.py::test_rule[commitment:57]"),
    Rule("§5.4.1 election restriction", NODE,
         "log_ok = opts.bug_no_election_restriction or self.log.is_up_to_date(",
         "log_ok = True or self.log.is_up_to_date(",
         "tests/test_raft_interaction.py::test_rule[election_restriction:5]"),
    Rule("§5.2 one vote per term, keyed by candidate", NODE,
         "can_vote = self.voted_for in (None, msg.candidate_id)", "can_vote = True",
         "tests/test_raft_interaction.py::test_rule[election:140]"),
    Rule("vote persisted before the grant", NODE,
         "self.voted_for = msg.term if opts.bug_vote_per_term_not_candidate "
         "else msg.candidate_id\n            self._persist_vote(ctx)",
         "self.voted_for = msg.term if opts.bug_vote_per_term_not_candidate "
         "else msg.candidate_id\n            self._wrote()",
         "tests/test_raft_interaction.py::test_rule[persistence:6]"),
    Rule("a granted vote waits for its write to end", NODE,
         "self.disk.send_durable(ctx, src, RequestVoteReply(self.term, grant))",
         "ctx.send(src, RequestVoteReply(self.term, grant))",
         "tests/test_raft_disk.py::test_a_vote_is_granted_only_once_the_voter_has_written_it"),
    Rule("a new term persisted before anything else", NODE,
         "            self.voted_for = None\n            self._persist_vote(ctx)",
         "            self.voted_for = None\n            self._wrote()",
         "tests/test_raft_interaction.py::test_rule[terms:4]"),
    Rule("a candidate leads only once its own vote is written", NODE,
         "elif self._vote_written():", "else:",
         "tests/test_raft_disk.py::test_a_candidate_never_leads_before_its_own_vote_is_written"),
    Rule("a leader counts itself only for entries on its disk", NODE,
         "match[self.pid] = self.disk.durable_index", "match[self.pid] = self.log.last_index",
         "tests/test_raft_disk.py::test_a_lone_voter_commits_only_once_its_own_write_has_ended"),
    Rule("entries persisted before the success reply", NODE,
         "self.disk.send_durable(ctx, src, AppendEntriesReply(self.term, True, match,",
         "ctx.send(src, AppendEntriesReply(self.term, True, match,",
         "tests/test_raft_interaction.py::test_rule[disk:38]"),
    Rule("§5.1 a request of a stale term is refused", NODE,
         "        if msg.term < self.term:\n            if isinstance(msg, AppendEntries):",
         "        if False:\n            if isinstance(msg, AppendEntries):",
         "tests/test_raft_interaction.py::test_rule[terms:104]"),
    Rule("§5.3 AppendEntries consistency check", NODE,
         "        mine = self.log.term_at(prev)\n        if mine != prev_term:",
         "        mine = self.log.term_at(prev)\n        if False:",
         "tests/test_raft_interaction.py::test_rule[replication:38]"),
    Rule("§5.3 cut only on a real conflict, never for a stale or reordered batch", NODE,
         "                if self.log.term_at(index) == term:\n"
         "                    continue  # already have it",
         "                if False:\n                    continue  # already have it",
         "tests/test_raft_interaction.py::test_rule[replication:56]"),
    Rule("§5.3 a follower commits no further than it matches the leader", NODE,
         "self._commit_to(ctx, min(msg.leader_commit, match))",
         "self._commit_to(ctx, msg.leader_commit)",
         "tests/test_raft_interaction.py::test_rule[commitment:143]"),
    Rule("§7 an installed snapshot keeps a matching suffix", NODE,
         "            self.log.compact(index, msg.last_included_term)  # keeps a matching",
         "            self.log.compact(index, msg.last_included_term)\n"
         "            self.log.entries = []  # keeps a matching",
         "tests/test_raft_interaction.py::test_rule[snapshots:64]"),
    Rule("§7 an installed snapshot keeps only a matching suffix", "ddia10/raft/log.py",
         "if index <= self.last_index and self.term_at(index) == term:",
         "if index <= self.last_index:",
         "tests/test_raft_storage.py::test_what_a_server_would_reload_is_the_log_it_holds"),
    Rule("§7 a snapshot older than the commit index changes nothing", NODE,
         "index = msg.last_included_index\n        if index > self.commit_index:",
         "index = msg.last_included_index\n        if index > self.log.snapshot_index:",
         "tests/test_raft_interaction.py::test_rule[snapshots:86]"),
    Rule("storage forgets the batches a snapshot discarded", "ddia10/raft/storage.py",
         "                       bisect.bisect_right(starts, log.last_index)]",
         "                       ]",
         "tests/test_raft_durability.py::"
         "test_a_follower_restarted_after_an_installed_snapshot_reloads_the_log_it_held"),
    Rule("membership: one change at a time", NODE,
         "if self.role != LEADER or self._config_pending() or not self._committed_in_term():",
         "if self.role != LEADER or not self._committed_in_term():",
         "tests/test_raft_interaction.py::test_rule[membership:50]"),
    Rule("membership: no change before an entry of the leader's term commits", NODE,
         "if self.role != LEADER or self._config_pending() or not self._committed_in_term():",
         "if self.role != LEADER or self._config_pending():",
         "tests/test_raft_interaction.py::test_rule[membership:4]"),
    Rule("leases require CheckQuorum", NODE,
         "            self.options.check_quorum\n            and self.role == LEADER",
         "            self.role == LEADER",
         "tests/test_raft_interaction.py::test_rule[leases:63]"),
    Rule("leases: a restarted server keeps quiet (quiet_restart)", NODE,
         "if ctx.incarnation > 0 and self.options.quiet_restart:", "if False:",
         "tests/test_raft_interaction.py::test_rule[leases:161]"),
    Rule("leases: followers that heard from a leader refuse to vote (CheckQuorum)", NODE,
         "                if self._in_lease(ctx):\n                    return False",
         "                if False:\n                    return False",
         "tests/test_raft_interaction.py::test_rule[check_quorum:59]"),
)


def locate(rule: Rule) -> Guard:
    """The function, line and code of ``rule``'s guard in the source as it is now."""
    if not isinstance(rule, Rule):
        raise TypeError(f"rule must be a Rule, got {type(rule).__name__}")
    text = (ROOT / rule.path).read_text()
    if text.count(rule.old) != 1:
        raise ValueError(f"{rule.rule}: its guard occurs {text.count(rule.old)} times "
                         f"in {rule.path}, not once")
    old, new = rule.old.split("\n"), rule.new.split("\n")
    changed = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b),
                   len(new) - 1)
    line = text.count("\n", 0, text.index(rule.old)) + 1 + changed
    return Guard(_enclosing(ast.parse(text), line), line, text.splitlines()[line - 1].strip())


def _enclosing(tree: ast.AST, line: int) -> str:
    """The qualified name of the innermost function around ``line``."""
    found = ""

    def visit(node: ast.AST, prefix: str) -> None:
        nonlocal found
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if child.lineno <= line <= (child.end_lineno or child.lineno):
                    if not isinstance(child, ast.ClassDef):
                        found = name
                    visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    if not found:
        raise ValueError(f"line {line} lies in no function")
    return found
