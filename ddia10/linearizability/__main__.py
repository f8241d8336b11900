"""The checker as a command: ``python -m ddia10.linearizability check HISTORY``.

It reads a history in the book's JSON, in Jepsen's EDN or as a Jepsen log
(:mod:`.formats`), prints the verdict and the explanation (for a violation,
also the core: a few operations that fail on their own), optionally writes
the history viewer as one self-contained HTML file, and exits with

- 0: linearizable,
- 1: not linearizable,
- 2: unknown (a limit was reached) or the input was refused.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from .checker import DEFAULT_MEMORY_MB, check
from .core import violation_core
from .formats import FORMATS
from .history import MODEL_NAMES, HistoryError, load_history

EXIT = {True: 0, False: 1, None: 2}
"""Exit status by ``CheckResult.ok``."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ddia10.linearizability",
        description="Check histories for linearizability.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "check", help="check one history file",
        description="Check one history: exit 0 linearizable, 1 not, 2 unknown or bad input.",
    )
    run.add_argument("history", type=Path, help="the history file (.json, .edn or a Jepsen log)")
    run.add_argument("--model", choices=MODEL_NAMES,
                     help="check against this model instead of the one the file names")
    run.add_argument("--format", choices=FORMATS, help="the file's format (default: guessed)")
    run.add_argument("--timeout", type=float, default=None, metavar="S",
                     help="give up after S seconds (verdict unknown)")
    run.add_argument("--memory", type=float, default=DEFAULT_MEMORY_MB, metavar="MB",
                     help=f"bound on the search memo (default {DEFAULT_MEMORY_MB} MB)")
    run.add_argument("--html", type=Path, metavar="REPORT.html",
                     help="write the history viewer and the verdict to this file")
    run.add_argument("--order", action="store_true",
                     help="print the linearization of a linearizable history")
    run.add_argument("--no-core", action="store_true",
                     help="do not shrink a violation to its core")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    name = args.history.name
    try:
        history = load_history(args.history, format=args.format)
        if args.model is not None and args.model != history.model:
            init = "" if args.model == "kv" else None
            try:
                history = replace(history, model=args.model, init=init)
            except HistoryError as err:
                raise HistoryError(f"{name} as a {args.model} history: {err}") from None
        elif history.model not in MODEL_NAMES:
            raise HistoryError(f"{name}: the history names model {history.model!r}; "
                               f"choose one with --model {{{','.join(MODEL_NAMES)}}}")
        result = check(history, timeout_s=args.timeout, max_memory_mb=args.memory)
    except (HistoryError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"{name}: {len(history)} operations, {len(history.processes)} processes, "
          f"model {history.model}")
    print(result.explain(order=args.order))
    core = None
    if result.ok is False and not args.no_core:
        core = violation_core(history, timeout_s=args.timeout, max_memory_mb=args.memory)
        print(f"The core: {len(core)} operations that fail on their own "
              "(each one needed):")
        for op in core.ops:
            end = "never returned" if op.pending else f"{op.ret:g}"
            print(f"  - {op.describe(24)} [{op.call:g}, {end}]")
    if args.html is not None:
        from ..viz.history_viewer import history_report

        try:
            args.html.write_text(history_report(history, result, core=core, name=name),
                                 encoding="utf-8")
        except OSError as err:
            print(f"error: cannot write {args.html}: {err}", file=sys.stderr)
            return 2
        print(f"The report is in {args.html}")
    return EXIT[result.ok]


if __name__ == "__main__":
    sys.exit(main())
