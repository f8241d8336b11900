"""Shared test settings, and the end of a run saying what it could not check.

Under CI (``CI`` set in the environment) property tests draw the same examples
on every run, so a red build always replays; locally they explore afresh.

Tests skip, saying why, when this machine lacks what they need. Two kinds of
skip are easy to miss in a long run, so the run ends with one line for each:
the browser tests (no Chromium or Playwright) and the tests on the Jepsen
histories the repository does not carry. Under ``CI=true`` a skipped browser
test fails the run: CI installs Chromium, so a skip there is a broken install.
"""

import os
from pathlib import Path

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

HISTORIES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "histories"
"""Where the history tests look: a folder beside the repository's."""


def _skip_reasons(config: pytest.Config) -> list[str]:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    reasons = []
    for report in reporter.stats.get("skipped", []) if reporter else []:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reasons.append(reason.removeprefix("Skipped: "))
    return reasons


def _browser(reasons: list[str]) -> list[str]:
    return [r for r in reasons if "chromium" in r.lower() or "playwright" in r.lower()]


def _histories(reasons: list[str]) -> list[str]:
    return [r for r in reasons if "histories" in r]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    in_ci = os.environ.get("CI") == "true"
    if in_ci and exitstatus == 0 and _browser(_skip_reasons(session.config)):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _tests(count: int) -> str:
    return f"{count} test{'s' * (count != 1)}"


# Outermost around pytest's own summary, so these lines come after its list of skips.
@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config):
    yield
    reasons = _skip_reasons(config)
    browser, histories = _browser(reasons), _histories(reasons)
    if browser:
        why = "; ".join(sorted(set(browser)))
        verdict = " Under CI=true that fails the run." if os.environ.get("CI") == "true" else ""
        terminalreporter.write_line(
            f"{_tests(len(browser))} in a browser skipped, so nothing was checked in Chromium: "
            f"{why}.{verdict}", yellow=True, bold=True)
    if histories:
        terminalreporter.write_line(
            f"{_tests(len(histories))} of the checker on real Jepsen histories skipped: they "
            f"read Porcupine's test histories (github.com/anishathalye/porcupine, test_data/), "
            f"in the book's JSON history format, from {HISTORIES}.",
            yellow=True, bold=True)
