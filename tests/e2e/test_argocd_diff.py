"""What Argo CD compares stays in sync after the operator has reconciled.

The example Application's directory (manifests/examples/iris) is applied the way Argo CD applies
with ServerSideApply=true (server-side apply, field manager argocd-controller). Once every resource
is Ready, a server-side diff of the same files against the live objects (Argo CD's ServerSideDiff,
`kubectl diff --server-side`) is empty, and the operator owns no field of spec or labels.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from kube import Kube

pytestmark = pytest.mark.usefixtures("operator")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "manifests" / "examples" / "iris"
MANAGER = "argocd-controller"


def _owned_paths(fields: dict[str, Any], prefix: str = "") -> list[str]:
    """Leaf paths of a managedFields fieldsV1 tree, e.g. `f:metadata.f:annotations.f:x`."""
    if not fields:
        return [prefix] if prefix else []
    paths = []
    for key, value in fields.items():
        if key == ".":
            continue
        paths.extend(_owned_paths(value, f"{prefix}.{key}" if prefix else key))
    return paths


def test_server_side_diff_is_empty_after_reconcile(kube: Kube) -> None:
    apply = ["apply", "--server-side", f"--field-manager={MANAGER}", "-f", str(EXAMPLES)]
    kube.kubectl(*apply)
    docs = [d for p in sorted(EXAMPLES.glob("*.yaml")) for d in yaml.safe_load_all(p.read_text()) if d]
    custom = [d for d in docs if d["apiVersion"].startswith("modelregistry.io/")]
    for d in custom:
        kube.wait(d["kind"].lower(), d["metadata"]["name"], d["metadata"]["namespace"], timeout=120)

    diff = kube.kubectl(
        "diff", "--server-side", f"--field-manager={MANAGER}", "-f", str(EXAMPLES), check=False
    )
    assert diff.returncode == 0 and diff.stdout == "", (
        f"Argo CD would show OutOfSync:\n{diff.stdout}{diff.stderr}"
    )

    for d in custom:
        live = json.loads(
            kube.kubectl(
                "get", d["kind"].lower(), d["metadata"]["name"], "-n", d["metadata"]["namespace"],
                "-o", "json", "--show-managed-fields",
            ).stdout
        )  # fmt: skip
        assert (
            live["status"]["observedGeneration"] == live["metadata"]["generation"] == 1
        )  # spec never rewritten
        for entry in live["metadata"]["managedFields"]:
            if entry["manager"] == MANAGER or entry.get("subresource") == "status":
                continue
            for path in _owned_paths(entry.get("fieldsV1", {})):
                assert path.startswith(
                    ("f:metadata.f:annotations.f:modelregistry.io/", "f:metadata.f:finalizers")
                ), f"{d['kind']}/{d['metadata']['name']}: {entry['manager']} owns {path}"
        annotations = live["metadata"].get("annotations", {})
        assert not any(k.startswith("argocd.argoproj.io/") for k in annotations)
        print(
            json.dumps(
                {d["metadata"]["name"]: sorted({e["manager"] for e in live["metadata"]["managedFields"]})}
            )
        )
