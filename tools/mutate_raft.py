"""Remove each of Raft's safety rules in turn and see whether a test notices.

Every rule the implementation keeps must earn its place: with that rule alone
removed, some Raft test must fail. For each entry of :data:`MUTATIONS` this
copies the package to a scratch directory, rewrites the one line (or few
lines) that enforce the rule, and runs the Raft tests against the copy,
stopping at the first failure. A mutant that no test kills *survives*; the
table at the end says which, and the reply to a survivor is a test (or an
argument that the rule is not needed). Kept out of CI: it takes minutes.

    python tools/mutate_raft.py                 # every rule
    python tools/mutate_raft.py --only lease    # the rules whose name contains "lease"
    python tools/mutate_raft.py --every         # and list every test that fails

Golden traces and the digests of traces are left out of the run: they fail
on any change of behaviour, so they would kill every mutant without saying
which rule matters.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
TESTS = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob("test_raft_*.py")) + [
    "tests/test_scenarios_raft_deep_dive.py"]
NOT_GOLDEN = "not as_it_was and not as_they_were"  # the trace digests of test_raft_disk.py


class Mutation(NamedTuple):
    """Rule ``rule`` lives in ``path``; replacing ``old`` (found exactly once)
    by ``new`` removes it and nothing else."""

    rule: str
    path: str
    old: str
    new: str


NODE = "ddia10/raft/node.py"
MUTATIONS = (
    Mutation("§5.4.2 commit only entries of the current term by counting", NODE,
             "if self.log.term_at(index) != self.term and not self.options.bug_commit_old_terms:",
             "if False:"),
    Mutation("§5.4.1 election restriction", NODE,
             "log_ok = opts.bug_no_election_restriction or self.log.is_up_to_date(",
             "log_ok = True or self.log.is_up_to_date("),
    Mutation("§5.2 one vote per term, keyed by candidate", NODE,
             "can_vote = self.voted_for in (None, msg.candidate_id)", "can_vote = True"),
    Mutation("vote persisted before the grant", NODE,
             "self.voted_for = msg.term if opts.bug_vote_per_term_not_candidate "
             "else msg.candidate_id\n            self._persist_vote(ctx)",
             "self.voted_for = msg.term if opts.bug_vote_per_term_not_candidate "
             "else msg.candidate_id\n            self._wrote()"),
    Mutation("a granted vote waits for its write to end", NODE,
             "self.disk.send_durable(ctx, src, RequestVoteReply(self.term, grant))",
             "ctx.send(src, RequestVoteReply(self.term, grant))"),
    Mutation("a new term persisted before anything else", NODE,
             "            self.voted_for = None\n            self._persist_vote(ctx)",
             "            self.voted_for = None\n            self._wrote()"),
    Mutation("a candidate leads only once its own vote is written", NODE,
             "elif self._vote_written():", "else:"),
    Mutation("a leader counts itself only for entries on its disk", NODE,
             "match[self.pid] = self.disk.durable_index", "match[self.pid] = self.log.last_index"),
    Mutation("entries persisted before the success reply", NODE,
             "self.disk.send_durable(ctx, src, AppendEntriesReply(self.term, True, match,",
             "ctx.send(src, AppendEntriesReply(self.term, True, match,"),
    Mutation("§5.1 a request of a stale term is refused", NODE,
             "        if msg.term < self.term:\n            if isinstance(msg, AppendEntries):",
             "        if False:\n            if isinstance(msg, AppendEntries):"),
    Mutation("§5.3 AppendEntries consistency check", NODE,
             "        mine = self.log.term_at(prev)\n        if mine != prev_term:",
             "        mine = self.log.term_at(prev)\n        if False:"),
    Mutation("§5.3 cut only on a real conflict, never for a stale or reordered batch", NODE,
             "                if self.log.term_at(index) == term:\n"
             "                    continue  # already have it",
             "                if False:\n                    continue  # already have it"),
    Mutation("§5.3 a follower commits no further than it matches the leader", NODE,
             "self._commit_to(ctx, min(msg.leader_commit, match))",
             "self._commit_to(ctx, msg.leader_commit)"),
    Mutation("§7 an installed snapshot keeps a matching suffix", NODE,
             "            self.log.compact(index, msg.last_included_term)  # keeps a matching",
             "            self.log.compact(index, msg.last_included_term)\n"
             "            self.log.entries = []  # keeps a matching"),
    Mutation("§7 an installed snapshot keeps only a matching suffix", "ddia10/raft/log.py",
             "if index <= self.last_index and self.term_at(index) == term:",
             "if index <= self.last_index:"),
    Mutation("§7 a snapshot older than the commit index changes nothing", NODE,
             "index = msg.last_included_index\n        if index > self.commit_index:",
             "index = msg.last_included_index\n        if index > self.log.snapshot_index:"),
    Mutation("storage forgets the batches a snapshot discarded", "ddia10/raft/storage.py",
             "                       bisect.bisect_right(starts, log.last_index)]",
             "                       ]"),
    Mutation("membership: one change at a time", NODE,
             "if self.role != LEADER or self._config_pending() or not self._committed_in_term():",
             "if self.role != LEADER or not self._committed_in_term():"),
    Mutation("membership: no change before an entry of the leader's term commits", NODE,
             "if self.role != LEADER or self._config_pending() or not self._committed_in_term():",
             "if self.role != LEADER or self._config_pending():"),
    Mutation("leases require CheckQuorum", NODE,
             "            self.options.check_quorum\n            and self.role == LEADER",
             "            self.role == LEADER"),
    Mutation("leases: a restarted server keeps quiet (quiet_restart)", NODE,
             "if ctx.incarnation > 0 and self.options.quiet_restart:", "if False:"),
    Mutation("leases: followers that heard from a leader refuse to vote (CheckQuorum)", NODE,
             "                if self._in_lease(ctx):\n                    return False",
             "                if False:\n                    return False"),
)


class Outcome(NamedTuple):
    rule: str
    killed: bool
    by: str
    seconds: float


def run_tests(package_root: Path, every: bool = False) -> tuple[bool, str]:
    """Run the Raft tests against the package under ``package_root``: did any
    fail, and which first (with ``every``, all of them, one a line)."""
    # -P: the checkout's own ddia10 (the working directory) must not come first
    env = {**os.environ, "PYTHONPATH": str(package_root), "CI": "1"}
    stop = [] if every else ["-x"]
    done = subprocess.run(
        [sys.executable, "-P", "-m", "pytest", *stop, "-q", "-p", "no:cacheprovider",
         "-k", NOT_GOLDEN, *TESTS], cwd=ROOT, env=env, capture_output=True, text=True)
    failed = re.findall(r"^FAILED (\S+)", done.stdout, re.MULTILINE)
    if done.returncode == 0:
        return False, ""
    if not failed:
        return True, done.stdout.strip().splitlines()[-1]
    return True, "\n".join(failed) if every else failed[0]


def mutated_copy(mutation: Mutation | None, scratch: Path) -> Path:
    """A copy of the package with ``mutation`` applied; the directory to put on the path."""
    root = scratch / "copy"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(ROOT / "ddia10", root / "ddia10",
                    ignore=shutil.ignore_patterns("__pycache__"))
    if mutation is not None:
        target = root / mutation.path
        text = target.read_text()
        if text.count(mutation.old) != 1:
            raise SystemExit(f"{mutation.rule}: the text to replace occurs "
                             f"{text.count(mutation.old)} times in {mutation.path}, not once")
        target.write_text(text.replace(mutation.old, mutation.new))
    return root


def check_copy_is_imported(root: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(root)}
    where = subprocess.run([sys.executable, "-P", "-c", "import ddia10; print(ddia10.__file__)"],
                           cwd=ROOT, env=env, capture_output=True, text=True).stdout.strip()
    if not where.startswith(str(root)):
        raise SystemExit(f"the tests would import {where}, not the mutated copy")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run the rules whose name contains this")
    parser.add_argument("--every", action="store_true",
                        help="run every test on each mutant and list all that fail (slower)")
    args = parser.parse_args()
    chosen = [m for m in MUTATIONS if args.only.lower() in m.rule.lower()]
    outcomes = []
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        root = mutated_copy(None, scratch)
        check_copy_is_imported(root)
        failed, by = run_tests(root)
        if failed:
            raise SystemExit(f"the Raft tests fail without any mutation: {by}")
        for mutation in chosen:
            start = time.perf_counter()
            killed, by = run_tests(mutated_copy(mutation, scratch), args.every)
            outcomes.append(Outcome(mutation.rule, killed, by, time.perf_counter() - start))
            print(f"{'killed  ' if killed else 'SURVIVED'} {mutation.rule}", flush=True)
    width = max(len(o.rule) for o in outcomes)
    print(f"\n{'rule removed':<{width}}  outcome   seconds  first test that failed")
    for o in outcomes:
        first, *more = o.by.splitlines() or [""]
        print(f"{o.rule:<{width}}  {'killed' if o.killed else 'SURVIVED':<8}  {o.seconds:7.1f}  "
              f"{first}")
        for test in more:
            print(f"{'':<{width + 19}}  {test}")
    survivors = [o.rule for o in outcomes if not o.killed]
    print(f"\n{len(outcomes) - len(survivors)} of {len(outcomes)} mutants killed; "
          f"survivors: {survivors or 'none'}")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
