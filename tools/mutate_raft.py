"""Remove each of Raft's safety rules in turn and see whether a test notices.

Every rule the implementation keeps must earn its place: with that rule alone
removed, some Raft test must fail. For each rule of :data:`ddia10.raft.rules.RULES` this
copies the package to a scratch directory, rewrites the one line (or few
lines) that enforce the rule, and runs the Raft tests against the copy,
stopping at the first failure. A mutant that no test kills *survives*; the
table at the end says which, and the reply to a survivor is a test (or an
argument that the rule is not needed). Kept out of CI: it takes minutes.

    python tools/mutate_raft.py                 # every rule
    python tools/mutate_raft.py --only lease    # the rules whose name contains "lease"
    python tools/mutate_raft.py --every         # and list every test that fails
    python tools/mutate_raft.py --named         # only the test each rule names (the card's)

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

from ddia10.raft.rules import RULES, Rule

ROOT = Path(__file__).resolve().parent.parent
TESTS = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob("test_raft_*.py")) + [
    "tests/test_scenarios_raft_deep_dive.py"]
NOT_GOLDEN = "not as_it_was and not as_they_were"  # the trace digests of test_raft_disk.py


class Outcome(NamedTuple):
    rule: str
    killed: bool
    by: str
    seconds: float


def run_tests(package_root: Path, every: bool = False,
              tests: list[str] | None = None) -> tuple[bool, str]:
    """Run the Raft tests against the package under ``package_root``: did any
    fail, and which first (with ``every``, all of them, one a line)."""
    # -P: the checkout's own ddia10 (the working directory) must not come first
    env = {**os.environ, "PYTHONPATH": str(package_root), "CI": "1"}
    stop = [] if every else ["-x"]
    done = subprocess.run(
        [sys.executable, "-P", "-m", "pytest", *stop, "-q", "-p", "no:cacheprovider",
         "-k", NOT_GOLDEN, *(tests or TESTS)], cwd=ROOT, env=env, capture_output=True, text=True)
    failed = re.findall(r"^FAILED (\S+)", done.stdout, re.MULTILINE)
    if done.returncode == 0:
        return False, ""
    if not failed:
        return True, done.stdout.strip().splitlines()[-1]
    return True, "\n".join(failed) if every else failed[0]


def mutated_copy(mutation: Rule | None, scratch: Path) -> Path:
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
    parser.add_argument("--named", action="store_true",
                        help="run only the test each rule names (the card's claim; faster)")
    args = parser.parse_args()
    chosen = [m for m in RULES if args.only.lower() in m.rule.lower()]
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
            killed, by = run_tests(mutated_copy(mutation, scratch), args.every,
                                   [mutation.test] if args.named else None)
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
