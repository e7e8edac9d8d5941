"""Argo CD health and Flux kstatus of objects the operator really produced, in every state that matters.

The objects come from this run (the operator process, a real API server, the embedded AWS). Their
Argo CD health (assessed by Argo CD itself, built from its Go module, with the shipped argocd-cm
file, which installs the committed health.lua for every kind) must match the committed
health_test.yaml entry of the same kind and name, and their kstatus (cli-utils, built from its Go
module) the table below. `UPDATE_GITOPS_TESTDATA=1 make test-e2e` rewrites the committed
testdata/<Kind>/*.yaml from the objects of the run, which is how they were made.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import manifests
import pytest
import yaml
from accounts import (
    CROSS_ACCOUNT_NAMESPACE,
    REGISTRY_ROLE,
    TRAINING_ROLE,
    client_as,
)
from gitops_health import KSTATUS, argocd_health, expected_health, kstatus, mask_request_ids, sample_path
from kube import Kube
from waiting import eventually

from registry_testbed.localcluster.tools import ensure_tools

pytestmark = pytest.mark.usefixtures("operator")

NAMESPACE = "gitops-health"
OUTSIDER_ROLE = "arn:aws:iam::999999999999:role/outsider"  # no namespace may assume it


def _condition(obj: dict[str, Any], ctype: str) -> dict[str, Any]:
    return next((c for c in obj.get("status", {}).get("conditions", []) if c["type"] == ctype), {})


def _clean(obj: dict[str, Any]) -> dict[str, Any]:
    obj = json.loads(json.dumps(obj))
    obj["metadata"].pop("managedFields", None)
    return obj


def _reason(kube: Kube, kind: str, name: str, namespace: str, reason: str) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        obj = kube.get(kind, name, namespace)
        return obj if _condition(obj, "Ready").get("reason") == reason else None

    return eventually(check, timeout=90, what=f"{kind}/{name} Ready reason {reason}")


def _stalled(kube: Kube, kind: str, name: str, namespace: str) -> dict[str, Any]:
    kube.wait(kind, name, namespace, condition="Stalled", timeout=90)
    return kube.get(kind, name, namespace)


def _access(name: str, namespace: str, group: str, **registry: Any) -> dict[str, Any]:
    return manifests.access(
        name, namespace, group, registry={"actions": ["sagemaker:CreateModelPackage"], **registry}
    )


@pytest.fixture(scope="module")
def produced(kube: Kube, aws_endpoint: str) -> Iterator[dict[tuple[str, str], dict[str, Any]]]:
    ns = kube.create_namespace(NAMESPACE)
    cross = kube.create_namespace(CROSS_ACCOUNT_NAMESPACE)
    registry = client_as(aws_endpoint, "sagemaker", REGISTRY_ROLE)
    registry.create_model_package_group(ModelPackageGroupName="gitops-shared")
    denied_group = registry.create_model_package_group(ModelPackageGroupName="gitops-no-policy")[
        "ModelPackageGroupArn"
    ]
    owned = [
        ("modelversion", "approved", ns),
        ("modelversion", "pending", ns),
        ("modelversion", "waiting", ns),
        ("modelversion", "not-permitted", ns),
        ("modelpackagegroup", "gitops-iris", ns),
        ("modelpackagegroup", "not-permitted", ns),
        ("crossaccountregistryaccess", "not-permitted", ns),
        ("modelversion", "gitops-denied", cross),
        ("crossaccountregistryaccess", "gitops-shared", cross),
    ]
    for kind, name, namespace in owned:  # left over from an earlier run against the same cluster
        kube.delete(kind, name, namespace, wait=True)

    kube.apply(
        [
            manifests.group("gitops-iris", ns),
            manifests.group("not-permitted", ns, roleArn=OUTSIDER_ROLE),
            manifests.version("approved", ns, group_ref="gitops-iris", approvalStatus="Approved"),
            manifests.version("waiting", ns, group_ref="gitops-missing"),
            manifests.version("not-permitted", ns, group_name="gitops-iris", roleArn=OUTSIDER_ROLE),
            _access("not-permitted", ns, "gitops-shared"),
            manifests.version("gitops-denied", cross, group_name=denied_group, roleArn=TRAINING_ROLE),
            _access("gitops-shared", cross, "gitops-shared", roleArn=REGISTRY_ROLE),
        ]
    )
    got: dict[tuple[str, str], dict[str, Any]] = {}
    kube.wait("modelversion", "approved", ns)
    got[("ModelVersion", "ready-approved.yaml")] = kube.get("modelversion", "approved", ns)
    # the second version of the group, once the first has its number: the messages name them
    kube.apply(manifests.version("pending", ns, group_ref="gitops-iris"))
    kube.wait("modelversion", "pending", ns)
    got[("ModelVersion", "ready-pending-approval.yaml")] = kube.get("modelversion", "pending", ns)
    got[("ModelPackageGroup", "ready.yaml")] = kube.get("modelpackagegroup", "gitops-iris", ns)
    got[("ModelPackageGroup", "stalled-not-permitted.yaml")] = _stalled(
        kube, "modelpackagegroup", "not-permitted", ns
    )
    got[("ModelVersion", "waiting-for-group.yaml")] = _reason(
        kube, "modelversion", "waiting", ns, "WaitingForGroup"
    )
    got[("ModelVersion", "stalled-not-permitted.yaml")] = _stalled(kube, "modelversion", "not-permitted", ns)
    got[("ModelVersion", "access-denied.yaml")] = _reason(
        kube, "modelversion", "gitops-denied", cross, "AccessDenied"
    )
    got[("CrossAccountRegistryAccess", "stalled-not-permitted.yaml")] = _stalled(
        kube, "crossaccountregistryaccess", "not-permitted", ns
    )
    kube.wait("crossaccountregistryaccess", "gitops-shared", cross)
    got[("CrossAccountRegistryAccess", "ready.yaml")] = kube.get(
        "crossaccountregistryaccess", "gitops-shared", cross
    )
    # What the API server answers before the operator has seen a spec: a new object, and a changed
    # one (server-side dry runs: the real server's defaulting and generation, nothing stored).
    new = manifests.version("new", ns, group_ref="gitops-iris")
    got[("ModelVersion", "new.yaml")] = json.loads(
        kube.kubectl("create", "--dry-run=server", "-o", "json", "-f", "-", input=json.dumps(new)).stdout
    )
    change = {"spec": {"customerMetadataProperties": {"gitCommit": "9b1d2e7"}}}
    got[("ModelVersion", "generation-behind.yaml")] = json.loads(
        kube.kubectl(
            "patch", "modelversion", "approved", "-n", ns, "--type=merge", "-p", json.dumps(change),
            "--dry-run=server", "-o", "json",
        ).stdout
    )  # fmt: skip
    cleaned = {key: _clean(obj) for key, obj in got.items()}
    if os.environ.get("UPDATE_GITOPS_TESTDATA"):
        for (kind, name), obj in cleaned.items():
            sample_path(kind, name).write_text(yaml.safe_dump(obj, sort_keys=False, width=100))
    yield cleaned
    for kind, name, namespace in owned:  # the denied version would retry for the rest of the session
        kube.delete(kind, name, namespace)


def test_every_state_is_produced(produced: dict[tuple[str, str], dict[str, Any]]) -> None:
    assert set(produced) == set(KSTATUS)
    assert set(expected_health()) == set(KSTATUS), "health_test.yaml and this test cover the same states"


def test_argocd_health_of_operator_produced_objects(produced: dict[tuple[str, str], dict[str, Any]]) -> None:
    expected_of = expected_health()
    for (kind, name), obj in sorted(produced.items()):
        expected = expected_of[(kind, name)]
        got = argocd_health(obj)
        assert got["status"] == expected["status"], (kind, name, got)
        assert mask_request_ids(got.get("message", "")) == mask_request_ids(expected.get("message", "")), (
            kind,
            name,
        )


def test_flux_kstatus_of_operator_produced_objects(produced: dict[tuple[str, str], dict[str, Any]]) -> None:
    keys = sorted(produced)
    results = kstatus(ensure_tools().kstatus, [produced[k] for k in keys])
    got = {key: result["status"] for key, result in zip(keys, results, strict=True)}
    assert got == {key: KSTATUS[key] for key in keys}
    messages = {key: result["message"] for key, result in zip(keys, results, strict=True)}
    print(json.dumps({f"{k[0]}/{k[1]}": f"{got[k]}: {messages[k]}" for k in keys}, indent=2))
