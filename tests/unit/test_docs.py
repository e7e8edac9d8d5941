"""The README's reference sections stay in step with the code they describe."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from registry_testbed.config_docs import END, START, render

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_config_reference_is_generated_from_the_config_model() -> None:
    section = README[README.index(START) : README.index(END) + len(END)]
    assert section == render(), "stale: run .venv/bin/python -m registry_testbed.config_docs README.md"


def test_every_run_flag_is_documented() -> None:
    help_text = subprocess.run(
        [sys.executable, "-m", "registry_operator.cli", "run", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flags = set(re.findall(r"--[a-z][a-z-]+", help_text)) - {"--help"}
    documented = README[README.index("### `registry-operator run` flags") :]
    missing = {f for f in flags if f"`{f}" not in documented}
    assert not missing, f"flags missing from the README's flag table: {sorted(missing)}"


def test_every_helm_value_is_documented() -> None:
    values = yaml.safe_load((ROOT / "charts" / "sagemaker-registry-operator" / "values.yaml").read_text())
    table = README[README.index("| value | default | what it sets |") :]
    for key in values:
        assert f"`{key}" in table, f"Helm value {key} is not in the README's values table"


def test_internal_links_resolve() -> None:
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-")
        for h in re.findall(r"^#+ (.+)$", README, flags=re.M)
    }
    for link in re.findall(r"\]\(#([^)]+)\)", README):
        assert link in anchors, link
    for path in re.findall(r"`((?:manifests|charts|tests|tools|crds)/[^`* ]+)`", README):
        if "<" not in path and "CLUSTER" not in path:
            assert (ROOT / path.rstrip("/")).exists(), path
