"""Binder builds the book's environment from binder/: a hashed lock that covers what readers need.

``requirements.txt`` is the readers' list (lower bounds); ``binder/requirements.txt``
is the lock ``make lock`` generates from it (every package pinned, with hashes), which
Binder and CI install. A requirement added to the list, or to the package, without
``make lock`` would reach Binder unpinned or not at all: these tests name it.
"""

import importlib.metadata
import os
import re
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;\\]+)", re.MULTILINE)


def locked() -> dict[str, str]:
    text = (BINDER / "requirements.txt").read_text(encoding="utf-8")
    return {canonicalize_name(name): version for name, _, version in PIN.findall(text)}


def wanted() -> list[Requirement]:
    """What readers need: requirements.txt and the ddia10 package's own dependencies."""
    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    found = [Requirement(line.split("#")[0].strip()) for line in lines
             if line.split("#")[0].strip() and not line.lstrip().startswith("-")]
    package = [Requirement(text) for text in importlib.metadata.requires("ddia10") or []]
    return found + [requirement for requirement in package if requirement.marker is None]


def unsatisfied(requirements: list[Requirement], pins: dict[str, str]) -> list[str]:
    """The requirements no pin satisfies, each with what is pinned (None: nothing)."""
    return [f"{requirement} (locked: {pins.get(canonicalize_name(requirement.name))})"
            for requirement in requirements
            if not requirement.specifier.contains(
                pins.get(canonicalize_name(requirement.name), "0.dev0"), prereleases=True)]


def test_the_lock_pins_every_package_with_hashes_and_no_local_path():
    text = (BINDER / "requirements.txt").read_text(encoding="utf-8")
    entries = [entry for entry in re.split(r"\n(?=\S)", text)
               if entry.strip() and not entry.startswith("#")]
    assert len(entries) == len(locked()) > 50
    for entry in entries:
        assert PIN.match(entry) and "--hash=sha256:" in entry, f"not a hashed pin: {entry[:80]}"
    assert not re.search(r"^\s*(-e|\.|file:)", text, re.MULTILINE), "the lock names a local path"


def test_the_lock_satisfies_every_requirement_of_readers_and_of_the_package():
    stale = unsatisfied(wanted(), locked())
    assert not stale, f"binder/requirements.txt does not satisfy {stale}: run make lock"


def test_a_requirement_the_lock_does_not_satisfy_is_named():
    pins = {"jupyterlab": "4.0.0"}
    found = unsatisfied([Requirement("jupyterlab>=4"), Requirement("JupyterLab>=5"),
                         Requirement("kazoo>=2.9")], pins)
    assert found == ["JupyterLab>=5 (locked: 4.0.0)", "kazoo>=2.9 (locked: None)"]


def test_binder_installs_the_package_and_the_system_packages_ci_installs():
    assert os.access(BINDER / "postBuild", os.X_OK), "binder/postBuild must be executable"
    assert "pip install" in (BINDER / "postBuild").read_text() and "-e ." in (
        BINDER / "postBuild").read_text()
    assert re.fullmatch(r"python-3\.\d+\n", (BINDER / "runtime.txt").read_text())
    packages = (BINDER / "apt.txt").read_text(encoding="utf-8").splitlines()
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9.+-]+", p) for p in packages), packages
    ci = (ROOT / ".ci" / "install-system-packages").read_text(encoding="utf-8")
    missing = [p for p in packages if not re.search(rf"(?<![\w-]){re.escape(p)}(?![\w-])", ci)]
    assert not missing, f"binder/apt.txt names {missing}, which CI does not install"
