"""Make a release: the version, the Colab cells and the launch buttons all point at one tag.

    python tools/release.py 0.2.0        (or: make release VERSION=0.2.0)

On a clean checkout this sets ``__version__`` in ``ddia10/__init__.py`` (the
package's only version: ``pyproject.toml`` reads it from there), sets the
ref in ``_config.yml`` (``repository.branch``, which the launch buttons open)
to ``v0.2.0``, rewrites every notebook's hidden Colab cell to install
``ddia10`` from that tag, commits, and creates the annotated tag ``v0.2.0``.
It pushes nothing: publishing is ``git push origin HEAD v0.2.0``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbclean

ROOT = nbclean.ROOT
INIT = Path("ddia10") / "__init__.py"
CONFIG = Path("_config.yml")
VERSION_LINE = re.compile(r'^__version__\s*=\s*["\']([^"\']+)["\']', re.MULTILINE)
REF_LINE = re.compile(r"^(repository:\n(?:[ \t].*\n)*?[ \t]+branch:[ \t]*)(\S+)", re.MULTILINE)


def package_version(root: Path = ROOT) -> str:
    """The ``__version__`` in ddia10/__init__.py, read as text so the package need not import."""
    found = VERSION_LINE.search((root / INIT).read_text(encoding="utf-8"))
    if not found:
        raise ValueError(f"{INIT} has no __version__ = '...' line")
    return found.group(1)


def release_tag(version: str) -> str:
    """``v1.2.3`` for ``1.2.3``: the tag a release of that version gets."""
    return f"v{version}"


def parse_version(text: str) -> tuple[int, int, int]:
    """``(1, 2, 3)`` for ``"1.2.3"``; anything else is refused."""
    if not re.fullmatch(r"\d+\.\d+\.\d+", text):
        raise ValueError(f"VERSION must look like 1.2.3, got {text!r}")
    major, minor, patch = (int(part) for part in text.split("."))
    return major, minor, patch


def set_version(root: Path, version: str) -> None:
    path = root / INIT
    text = path.read_text(encoding="utf-8")
    path.write_text(VERSION_LINE.sub(f'__version__ = "{version}"', text, count=1), encoding="utf-8")


def set_ref(root: Path, ref: str) -> None:
    path = root / CONFIG
    text = path.read_text(encoding="utf-8")
    if not REF_LINE.search(text):
        raise ValueError(f"{CONFIG} has no 'branch:' line under 'repository:'")
    path.write_text(REF_LINE.sub(lambda m: m.group(1) + ref, text, count=1), encoding="utf-8")


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed:\n{done.stderr.strip()}")
    return done.stdout


def release(root: Path, version: str) -> str:
    """Bump, regenerate, commit and tag in the checkout at ``root``; the tag made."""
    current = package_version(root)
    if parse_version(version) < parse_version(current):
        raise ValueError(f"VERSION {version} is older than the current version {current}")
    tag = release_tag(version)
    if git(root, "status", "--porcelain").strip():
        raise RuntimeError("the checkout has uncommitted changes: commit or stash them first")
    if git(root, "tag", "--list", tag).strip():
        raise RuntimeError(f"the tag {tag} exists already")
    set_version(root, version)
    set_ref(root, tag)
    target = nbclean.install_target(root)
    notebooks = sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for path in notebooks:
        nbclean.clean_file(path, target)
    stale = [f"{path.name}: {problem}" for path in notebooks
             for problem in nbclean.problems(path, target)]
    if stale:
        raise RuntimeError("notebooks still not clean:\n" + "\n".join(stale))
    git(root, "add", str(INIT), str(CONFIG), *(str(p.relative_to(root)) for p in notebooks))
    if git(root, "status", "--porcelain").strip():
        git(root, "commit", "--quiet", "-m",
            f"Release {version}: the Colab cells and the launch buttons use {tag}")
    git(root, "tag", "--annotate", tag, "-m", f"ddia10 {version}")
    return tag


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python tools/release.py X.Y.Z   (or: make release VERSION=X.Y.Z)")
        return 2
    try:
        tag = release(ROOT, args[0])
    except (ValueError, RuntimeError) as err:
        print(f"release: {err}", file=sys.stderr)
        return 1
    print(f"Tagged {tag} here; nothing was pushed. Publish with: git push origin HEAD {tag}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
