"""Approval you can trust, end to end: a reviewer approving in SageMaker is named in status, in
`kubectl get -o wide` and in an Event; an approval made there without the evidence the namespace's
ApprovalPolicy requires is not mirrored, and, where the policy says so, is set back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import manifests
import pytest
from approval_policy import installed
from kube import Kube
from waiting import eventually

from registry_testbed.localaws.seed_accounts import client_as

pytestmark = pytest.mark.usefixtures("operator")

# A reviewer with an identity of their own in the operator's account (the embedded AWS's default).
REVIEWER_ROLE = "arn:aws:iam::123456789012:role/model-reviewer"


@pytest.fixture(scope="module")
def component(kube: Kube, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The ApprovalPolicy CRD and the admission policy, as an admin installs them."""
    with installed(kube, tmp_path_factory.mktemp("approval-policy")):
        yield


def _version(kube: Kube, namespace: str) -> str:
    kube.apply(manifests.group("g", namespace, modelPackageGroupName=f"g-{namespace}"))
    kube.apply(manifests.version("v", namespace, group_ref="g"))  # the registry decides its approval
    kube.kubectl("wait", "--for=condition=Ready", "mv/v", "-n", namespace, "--timeout=60s")
    return str(kube.get("mv", "v", namespace)["status"]["modelPackageArn"])


def _events(kube: Kube, namespace: str, reason: str) -> list[str]:
    listed = json.loads(
        kube.kubectl(
            "get", "events", "-n", namespace, "--field-selector", f"reason={reason}", "-o", "json"
        ).stdout
    )
    return [e["message"] for e in listed["items"]]


def _policy(kube: Kube, namespace: str, revert: bool) -> None:
    kube.apply(
        {
            "apiVersion": "modelregistry.io/v1alpha1",
            "kind": "ApprovalPolicy",
            "metadata": {"name": "release-gate", "namespace": namespace},
            "spec": {"requiredModelCardStatus": "Approved", "revertRegistryApprovals": revert},
        }
    )


def test_a_reviewer_approving_in_sagemaker_is_named(kube: Kube, namespace: str, aws_endpoint: str) -> None:
    arn = _version(kube, namespace)
    reviewer = client_as(aws_endpoint, "sagemaker", REVIEWER_ROLE)
    reviewer.update_model_package(
        ModelPackageArn=arn, ModelApprovalStatus="Approved", ApprovalDescription="passed the March review"
    )
    record = eventually(
        lambda: (
            (kube.get("mv", "v", namespace)["status"].get("approval") or {}).get("status") == "Approved"
            and kube.get("mv", "v", namespace)["status"]["approval"]
        ),
        timeout=30,
        what="status.approval names the reviewer",
    )
    assert record["source"] == "registry" and "assumed-role/model-reviewer" in record["by"], record
    assert record["description"] == "passed the March review"
    (message,) = eventually(lambda: _events(kube, namespace, "ApprovedInRegistry"), what="the event")
    assert record["by"] in message
    wide = kube.kubectl("get", "mv", "v", "-n", namespace, "-o", "wide").stdout
    assert "APPROVED BY" in wide and record["by"] in wide
    print(wide)


@pytest.mark.parametrize("revert", [False, True], ids=["reported", "set-back"])
def test_a_registry_approval_without_the_evidence_is_not_mirrored(
    kube: Kube, namespace: str, aws_endpoint: str, sagemaker: Any, component: None, revert: bool
) -> None:
    arn = _version(kube, namespace)
    _policy(kube, namespace, revert)
    client_as(aws_endpoint, "sagemaker", REVIEWER_ROLE).update_model_package(
        ModelPackageArn=arn, ModelApprovalStatus="Approved"
    )
    if revert:
        eventually(
            lambda: (
                sagemaker.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"]
                == "PendingManualApproval"
            ),
            timeout=30,
            what="the registry set back to PendingManualApproval",
        )
        (message,) = eventually(lambda: _events(kube, namespace, "ApprovalReverted"), what="the event")
        assert "model-reviewer" in message and "requiredModelCardStatus" in message
    else:
        stalled = eventually(
            lambda: next(
                (
                    c
                    for c in kube.get("mv", "v", namespace)["status"]["conditions"]
                    if c["type"] == "Stalled" and c["reason"] == "ApprovalPolicyViolated"
                ),
                None,
            ),
            timeout=30,
            what="Stalled ApprovalPolicyViolated",
        )
        assert "rule requiredModelCardStatus" in stalled["message"] and "model-reviewer" in stalled["message"]
        assert sagemaker.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"] == "Approved"
    assert kube.get("mv", "v", namespace)["status"]["approvalStatus"] == "PendingManualApproval"
