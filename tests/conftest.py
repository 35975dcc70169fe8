"""Suite-wide settings. Imports no ketch package (the standalone wheel checks run here too)."""

from __future__ import annotations

import os

from hypothesis import settings

# CI runs the property tests on a fixed sequence of examples, so a run's verdict depends on
# the change under test and not on the draw; developers' runs stay random and keep finding
# new cases (saved in .hypothesis/ and replayed until fixed).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
