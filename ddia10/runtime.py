"""Where the book is running, and the progress bar every long computation uses.

The static site is built with ``DDIA10_STATIC=1`` in the environment: there no
kernel will answer widget callbacks, so views choose their self-contained
HTML/JS face and progress bars stay silent.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any


def static_build() -> bool:
    """True while the static site is being built (no live kernel for readers)."""
    return os.environ.get("DDIA10_STATIC", "") not in ("", "0")


def progress(iterable: Iterable[Any], **kwargs: Any):
    """``tqdm.auto`` over ``iterable`` in Lab and the terminal; silent in the static build."""
    from tqdm.auto import tqdm

    kwargs.setdefault("disable", static_build())
    return tqdm(iterable, **kwargs)
