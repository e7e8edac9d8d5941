"""Argo CD resource actions shown in the docs do what the page says, run by Argo CD itself (`argocd admin
settings resource-overrides run-action`, the Lua VM its server runs actions in; the binary is built from
Argo CD's Go module): each action on a page's argocd-cm sets the reconcile-now annotation to a new
time on the operator's objects as the end-to-end tests produced them."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from docpages import blocks
from gitops_health import sample_path

from registry_operator.api.common import RECONCILE_REQUEST_ANNOTATION
from registry_testbed.argocd.build import ensure_argocd

pytestmark = pytest.mark.docs

PREFIX = "resource.customizations.actions.modelregistry.io_"
# A time as the operator's users write it: UTC, to the second.
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
# A committed object of each kind (the end-to-end tests' output, as the health checks' testdata).
SAMPLES = {
    "ModelVersion": "ready-approved.yaml",
    "ModelPackageGroup": "ready.yaml",
    "CrossAccountRegistryAccess": "ready.yaml",
}


def _actions() -> list[Any]:
    found = []
    for block in blocks():
        if block.lang not in ("yaml", "yml") or block.skip:
            continue
        for doc in block.documents():
            if not (isinstance(doc, dict) and doc.get("kind") == "ConfigMap"):
                continue
            for key, value in (doc.get("data") or {}).items():
                if key.startswith(PREFIX):
                    kind = key.removeprefix(PREFIX)
                    for definition in yaml.safe_load(value)["definitions"]:
                        found.append(pytest.param(doc, kind, definition["name"], id=f"{block.where}: {kind}"))
    return found


ACTIONS = _actions()


def test_a_page_shows_the_look_now_action() -> None:
    assert ACTIONS, "docs/users/resources.md shows an Argo CD action that asks for a look now"


def _run(cm: Path, obj: dict[str, Any], action: str, tmp_path: Path) -> dict[str, Any]:
    resource = tmp_path / "resource.yaml"
    resource.write_text(yaml.safe_dump(obj))
    out = subprocess.run(
        [str(ensure_argocd().binary), "admin", "settings", "resource-overrides", "run-action",
         str(resource), action, "--argocd-cm-path", str(cm)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    # "Following fields have been changed:" and a diff of the object's YAML
    added = re.findall(rf'^>\s+{re.escape(RECONCILE_REQUEST_ANNOTATION)}: "?([^"\n]+)"?$', out.stdout, re.M)
    assert added, out.stdout
    annotations = dict(obj["metadata"].get("annotations") or {})
    annotations[RECONCILE_REQUEST_ANNOTATION] = added[0]
    return {**obj, "metadata": {**obj["metadata"], "annotations": annotations}}


@pytest.mark.parametrize(("cm", "kind", "action"), ACTIONS)
def test_the_action_asks_for_a_look_now_each_time(
    cm: dict[str, Any], kind: str, action: str, tmp_path: Path
) -> None:
    path = tmp_path / "argocd-cm.yaml"
    path.write_text(yaml.safe_dump(cm))
    sample = yaml.safe_load(sample_path(kind, SAMPLES[kind]).read_text())
    first = _run(path, sample, action, tmp_path)
    asked = first["metadata"]["annotations"][RECONCILE_REQUEST_ANNOTATION]
    assert STAMP.fullmatch(asked), asked
    time.sleep(1.1)  # a second press, a second later, is a new request
    again = _run(path, first, action, tmp_path)
    assert again["metadata"]["annotations"][RECONCILE_REQUEST_ANNOTATION] > asked
    # everything else stays as it was
    for obj in (first, again):
        assert {k: v for k, v in obj.items() if k != "metadata"} == {
            k: v for k, v in sample.items() if k != "metadata"
        }
