"""Helpers shared by the unit and end-to-end tiers live in tests/support/."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "support"))
