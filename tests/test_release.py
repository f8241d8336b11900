"""`make release VERSION=x.y.z`: one commit and one local tag, and every pin agrees with it."""

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import nbclean  # noqa: E402  (tools/ is not a package)
import release  # noqa: E402

TOUCHED = ("ddia10/__init__.py", "_config.yml", "notebooks/00_the_problem.ipynb",
           "notebooks/01_linearizability.ipynb")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture
def checkout(tmp_path) -> Path:
    """A repository holding what a release touches: the version, the config, two notebooks."""
    repo = tmp_path / "book"
    for name in TOUCHED:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, repo / name)
    git(repo.parent, "init", "--quiet", str(repo))
    git(repo, "add", ".")
    git(repo, "-c", "user.name=Book", "-c", "user.email=book@example.org",
        "commit", "--quiet", "-m", "Book")
    git(repo, "config", "user.name", "Book")
    git(repo, "config", "user.email", "book@example.org")
    return repo


def test_release_bumps_the_version_moves_every_pin_commits_and_tags(checkout):
    current = release.package_version(checkout)
    major, minor, _ = release.parse_version(current)
    version = f"{major}.{minor + 1}.0"
    before = git(checkout, "rev-parse", "HEAD")
    assert release.release(checkout, version) == f"v{version}"
    assert release.package_version(checkout) == version
    url, ref = nbclean.book_repository(checkout)
    assert ref == f"v{version}"
    for path in sorted((checkout / "notebooks").glob("*.ipynb")):
        assert f'"git+{url}@v{version}"' in nbformat.read(path, as_version=4).cells[0].source
        assert nbclean.problems(path, nbclean.install_target(checkout)) == []
    assert git(checkout, "status", "--porcelain") == ""
    assert git(checkout, "rev-list", "--count", f"{before}..HEAD") == "1"
    assert git(checkout, "rev-parse", f"v{version}^{{commit}}", "HEAD").split() == [
        git(checkout, "rev-parse", "HEAD")] * 2
    assert git(checkout, "cat-file", "-t", f"v{version}") == "tag"  # annotated
    changed = git(checkout, "diff", "--name-only", before, "HEAD").splitlines()
    assert sorted(changed) == sorted(TOUCHED)


def test_releasing_the_current_version_only_tags_it_when_the_pins_agree(checkout):
    current = release.package_version(checkout)
    release.set_ref(checkout, f"v{current}")
    for path in (checkout / "notebooks").glob("*.ipynb"):
        nbclean.clean_file(path, nbclean.install_target(checkout))
    if git(checkout, "status", "--porcelain"):
        git(checkout, "commit", "--quiet", "-am", "Pin")
    head = git(checkout, "rev-parse", "HEAD")
    assert release.release(checkout, current) == f"v{current}"
    assert git(checkout, "rev-parse", "HEAD") == head
    assert git(checkout, "rev-parse", f"v{current}^{{commit}}") == head


@pytest.mark.parametrize("version, words", [
    ("1.2", "VERSION must look like 1.2.3, got '1.2'"),
    ("v9.0.0", "VERSION must look like 1.2.3"),
    ("0.0.0", "is older than the current version"),
])
def test_a_bad_version_is_refused_before_anything_changes(checkout, version, words):
    with pytest.raises(ValueError, match=words):
        release.release(checkout, version)
    assert git(checkout, "status", "--porcelain") == "" and git(checkout, "tag") == ""


def test_a_dirty_checkout_or_an_existing_tag_is_refused(checkout):
    (checkout / "_config.yml").write_text((checkout / "_config.yml").read_text() + "\n")
    with pytest.raises(RuntimeError, match="uncommitted changes"):
        release.release(checkout, "9.0.0")
    git(checkout, "checkout", "_config.yml")
    git(checkout, "tag", "v9.0.0")
    with pytest.raises(RuntimeError, match="the tag v9.0.0 exists already"):
        release.release(checkout, "9.0.0")
