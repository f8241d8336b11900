"""A run ends saying which checks it skipped for want of Chromium or of the Jepsen histories."""

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

CONFTEST = (Path(__file__).with_name("conftest.py")).read_text(encoding="utf-8")
SKIPPING = '''
import pytest

@pytest.mark.skipif(True, reason="needs /usr/bin/chromium")
def test_player_in_chromium(): pass

@pytest.mark.skipif(True, reason="needs /usr/bin/chromium")
def test_site_in_chromium(): pass

@pytest.mark.skipif(True, reason="shared Jepsen histories not found at /nowhere")
def test_jepsen_verdicts(): pass

@pytest.mark.skipif(True, reason="no PostgreSQL here")
def test_other(): pass

def test_passes(): pass
'''


@pytest.fixture
def run(pytester, monkeypatch):
    pytester.makeconftest(CONFTEST)

    def run_with(ci: str | None, source: str = SKIPPING):
        if ci is None:
            monkeypatch.delenv("CI", raising=False)
        else:
            monkeypatch.setenv("CI", ci)
        pytester.makepyfile(test_some=source)
        return pytester.runpytest("-q", "-ra", "-p", "no:cacheprovider")
    return run_with


def test_the_last_lines_count_the_browser_and_history_skips_and_say_why(run):
    result = run(None)
    assert result.ret == 0
    lines = result.outlines
    browser = next(i for i, line in enumerate(lines) if "2 tests in a browser skipped" in line)
    assert "nothing was checked in Chromium: needs /usr/bin/chromium." in lines[browser]
    assert "1 test of the checker on real Jepsen histories skipped" in lines[browser + 1]
    assert "Porcupine" in lines[browser + 1]
    assert lines[browser + 2].startswith("1 passed, 4 skipped")


def test_under_ci_a_skipped_browser_test_fails_the_run(run):
    result = run("true")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*2 tests in a browser skipped*Under CI=true that fails the run."])


def test_a_run_without_such_skips_adds_nothing(run):
    result = run("true", "def test_passes(): pass\n")
    assert result.ret == 0
    assert not [line for line in result.outlines if "skipped" in line]
