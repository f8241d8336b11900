"""Shared test settings.

Under CI (``CI`` set in the environment) property tests draw the same examples
on every run, so a red build always replays; locally they explore afresh.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
