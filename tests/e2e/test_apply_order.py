"""Order never matters: a folder applied at once converges without a restart, whatever the order the API
server delivers it in, and a version waits for the group its namespace declares instead of stalling."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import manifests
import pytest
import yaml
from kube import Kube
from waiting import eventually

pytestmark = pytest.mark.usefixtures("operator")


@pytest.fixture
def unscoped_namespace(kube: Kube) -> Iterator[str]:
    """A namespace the operator config does not list: its versions may register only into groups its own
    ModelPackageGroups manage (no `groups` scope)."""
    name = kube.create_namespace(f"o-{uuid.uuid4().hex[:8]}")
    yield name
    kube.delete("namespace", name)


def _write_folder(folder: Path, docs: list[dict[str, Any]]) -> None:
    # kubectl applies a folder's files in name order: the versions first, their group last.
    for i, doc in enumerate(docs):
        (folder / f"{i:02d}-{doc['kind'].lower()}-{doc['metadata']['name']}.yaml").write_text(
            yaml.safe_dump(doc)
        )


def _conditions(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in obj.get("status", {}).get("conditions", [])}


def test_version_by_name_applied_before_its_group_becomes_ready(
    kube: Kube, unscoped_namespace: str, sagemaker: Any, tmp_path: Path
) -> None:
    namespace = unscoped_namespace
    group = f"churn-{namespace}"
    _write_folder(
        tmp_path,
        [
            manifests.version("by-name", namespace, group_name=group),
            manifests.version("by-ref", namespace, group_ref="churn"),
            manifests.group("churn", namespace, modelPackageGroupName=group),
        ],
    )
    kube.kubectl("apply", "-f", str(tmp_path))
    seen_stalled: list[str] = []

    def ready() -> bool:
        done = True
        for name in ("by-name", "by-ref"):
            conditions = _conditions(kube.get("modelversion", name, namespace))
            if conditions.get("Stalled", {}).get("status") == "True":
                seen_stalled.append(f"{name}: {conditions['Stalled'].get('message')}")
            done = done and conditions.get("Ready", {}).get("status") == "True"
        return done

    eventually(ready, timeout=60, interval=0.2, what="both versions Ready without a restart")
    assert not seen_stalled, f"Stalled on the way, for an order: {seen_stalled}"
    packages = sagemaker.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"]
    assert len(packages) == 2
