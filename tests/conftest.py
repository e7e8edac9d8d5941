"""Helpers shared by the tiers live in tests/support/; the cluster tiers' common fixtures in
tests/support/cluster_fixtures.py."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "support"))

pytest_plugins = ["cluster_fixtures"]
