"""ModelVersion and ModelPackageGroup end to end: kubectl, a real API server, the operator, embedded AWS."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import manifests
import pytest
import yaml
from kube import Kube, KubectlError
from waiting import eventually

from registry_testbed.localaws.client import LocalAWSAdmin

pytestmark = pytest.mark.usefixtures("operator")

ARN = re.compile(r"^arn:aws:sagemaker:us-east-2:\d{12}:model-package/[a-z0-9-]+/\d+$")


def _condition(obj: dict[str, Any], ctype: str) -> dict[str, Any]:
    return next((c for c in obj.get("status", {}).get("conditions", []) if c["type"] == ctype), {})


def _versions_in_registry(sagemaker: Any, group: str) -> list[dict[str, Any]]:
    return sagemaker.list_model_packages(ModelPackageGroupName=group, MaxResults=100)[
        "ModelPackageSummaryList"
    ]


def test_group_and_versions_from_one_apply_converge(
    kube: Kube, namespace: str, sagemaker: Any, aws_admin: LocalAWSAdmin, tmp_path: Path
) -> None:
    group = f"iris-{namespace}"
    before = aws_admin.calls(f"{namespace}/").get("sagemaker:CreateModelPackage", 0)
    docs = [
        manifests.group(group, namespace, tags={"team": "ml"}),
        manifests.version("xgb", namespace, group_ref=group, approvalStatus="PendingManualApproval"),
        manifests.version("pipeline", namespace, group_ref=group, n=2),
    ]
    for i, doc in enumerate(docs):  # one file each, applied as a directory, in an order that needs waiting
        (tmp_path / f"{9 - i}-{doc['metadata']['name']}.yaml").write_text(yaml.safe_dump(doc))
    kube.kubectl("apply", "-f", str(tmp_path))

    for name in ("xgb", "pipeline"):
        kube.kubectl(
            "wait", "--for=condition=Ready", f"modelversion/{name}", "-n", namespace, "--timeout=90s"
        )
    xgb, pipeline = (
        kube.get("modelversion", "xgb", namespace),
        kube.get("modelversion", "pipeline", namespace),
    )
    for mv in (xgb, pipeline):
        st = mv["status"]
        assert ARN.match(st["modelPackageArn"]), st
        assert st["modelPackageGroupName"] == group
        assert st["approvalStatus"] == "PendingManualApproval"
        assert st["modelPackageStatus"] == "Completed"
        assert st["observedGeneration"] == mv["metadata"]["generation"]
        assert _condition(mv, "Stalled")["status"] == "False"
    assert {xgb["status"]["modelPackageVersion"], pipeline["status"]["modelPackageVersion"]} == {1, 2}
    in_registry = _versions_in_registry(sagemaker, group)
    assert sorted(p["ModelPackageArn"] for p in in_registry) == sorted(
        [xgb["status"]["modelPackageArn"], pipeline["status"]["modelPackageArn"]]
    )
    described = sagemaker.describe_model_package(ModelPackageName=pipeline["status"]["modelPackageArn"])
    assert len(described["InferenceSpecification"]["Containers"]) == 2
    assert aws_admin.calls(f"{namespace}/").get("sagemaker:CreateModelPackage", 0) - before == 2

    listed = kube.kubectl("get", "modelregistry", "-n", namespace, "-o", "wide").stdout
    assert "PendingManualApproval" in listed and xgb["status"]["modelPackageArn"] in listed


def _apply_ready(kube: Kube, doc: dict[str, Any]) -> dict[str, Any]:
    kube.apply(doc)
    ns, name = doc["metadata"]["namespace"], doc["metadata"]["name"]
    kind = doc["kind"].lower()
    kube.kubectl("wait", "--for=condition=Ready", f"{kind}/{name}", "-n", ns, "--timeout=90s")
    return kube.get(kind, name, ns)


def _group_with_version(kube: Kube, namespace: str, **version_spec: Any) -> tuple[str, dict[str, Any]]:
    group = f"g-{namespace}"
    _apply_ready(kube, manifests.group(group, namespace))
    mv = _apply_ready(kube, manifests.version("v", namespace, group_ref=group, **version_spec))
    return group, mv


def test_spec_approval_change_reaches_registry(kube: Kube, namespace: str, sagemaker: Any) -> None:
    _, mv = _group_with_version(kube, namespace, approvalStatus="PendingManualApproval")
    arn = mv["status"]["modelPackageArn"]
    kube.kubectl(
        "patch",
        "modelversion",
        "v",
        "-n",
        namespace,
        "--type=merge",
        "-p",
        json.dumps({"spec": {"approvalStatus": "Approved", "approvalDescription": "passed review"}}),
    )
    eventually(
        lambda: kube.get("modelversion", "v", namespace)["status"].get("approvalStatus") == "Approved",
        what="status.approvalStatus == Approved",
    )
    described = sagemaker.describe_model_package(ModelPackageName=arn)
    assert described["ModelApprovalStatus"] == "Approved"
    assert described["ApprovalDescription"] == "passed review"


def test_registry_approval_is_mirrored_when_spec_leaves_it_open(
    kube: Kube, namespace: str, sagemaker: Any
) -> None:
    _, mv = _group_with_version(kube, namespace)
    assert mv["status"]["approvalStatus"] == "PendingManualApproval"
    started = time.monotonic()
    sagemaker.update_model_package(
        ModelPackageArn=mv["status"]["modelPackageArn"], ModelApprovalStatus="Approved"
    )
    eventually(
        lambda: kube.get("modelversion", "v", namespace)["status"].get("approvalStatus") == "Approved",
        timeout=30,
        what="registry approval mirrored",
    )
    print(
        f"registry approval visible in status after {time.monotonic() - started:.1f} s (resync interval 5 s)"
    )
    assert (
        sagemaker.describe_model_package(ModelPackageName=mv["status"]["modelPackageArn"])[
            "ModelApprovalStatus"
        ]
        == "Approved"
    )


def test_registry_approval_is_changed_back_when_spec_sets_it(
    kube: Kube, namespace: str, sagemaker: Any
) -> None:
    _, mv = _group_with_version(kube, namespace, approvalStatus="Approved")
    arn = mv["status"]["modelPackageArn"]
    assert sagemaker.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"] == "Approved"
    sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Rejected")
    eventually(
        lambda: sagemaker.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"] == "Approved",
        timeout=30,
        what="approval set back to the spec's Approved",
    )
    events = kube.kubectl(
        "get", "events", "-n", namespace, "--field-selector", "involvedObject.name=v", "-o", "json"
    ).stdout
    assert "ApprovalReverted" in events
    assert kube.get("modelversion", "v", namespace)["status"]["approvalStatus"] == "Approved"


def test_immutable_field_change_is_refused_by_the_api_server(kube: Kube, namespace: str) -> None:
    _group_with_version(kube, namespace)
    patch = {"spec": {"inferenceSpecification": {"containers": manifests.containers(2)}}}
    with pytest.raises(KubectlError) as refused:
        kube.kubectl("patch", "modelversion", "v", "-n", namespace, "--type=merge", "-p", json.dumps(patch))
    assert "spec.inferenceSpecification is immutable" in str(refused.value)
    assert "create a new ModelVersion" in str(refused.value)


def test_sixteen_containers_are_refused_by_the_api_server(
    kube: Kube, namespace: str, aws_admin: LocalAWSAdmin
) -> None:
    before = aws_admin.calls(f"{namespace}/")
    with pytest.raises(KubectlError) as refused:
        kube.apply(manifests.version("too-many", namespace, group_name="anything", n=16))
    message = str(refused.value)
    assert "spec.inferenceSpecification.containers" in message
    assert "16" in message and "15" in message
    assert aws_admin.calls(f"{namespace}/").get("sagemaker:CreateModelPackage", 0) == before.get(
        "sagemaker:CreateModelPackage", 0
    )


def test_role_not_allowed_by_config_stalls_without_aws_calls(
    kube: Kube, namespace: str, aws_admin: LocalAWSAdmin
) -> None:
    before = sum(aws_admin.calls(f"{namespace}/").values())
    kube.apply(
        manifests.version(
            "foreign", namespace, group_name="anything", roleArn="arn:aws:iam::222222222222:role/registrar"
        )
    )
    kube.kubectl("wait", "--for=condition=Stalled", "modelversion/foreign", "-n", namespace, "--timeout=60s")
    mv = kube.get("modelversion", "foreign", namespace)
    ready = _condition(mv, "Ready")
    assert ready["status"] == "False" and ready["reason"] == "NotPermitted"
    assert "spec.roleArn" in ready["message"]
    assert sum(aws_admin.calls(f"{namespace}/").values()) == before


def test_retain_keeps_and_delete_removes_the_registry_entry(
    kube: Kube, namespace: str, sagemaker: Any
) -> None:
    group = f"g-{namespace}"
    _apply_ready(kube, manifests.group(group, namespace))
    kept = _apply_ready(kube, manifests.version("kept", namespace, group_ref=group))
    gone = _apply_ready(kube, manifests.version("gone", namespace, group_ref=group, deletionPolicy="Delete"))
    assert "finalizers" not in kept["metadata"]  # nothing to clean up, so nothing holds deletion
    assert gone["metadata"]["finalizers"] == ["modelregistry.io/finalizer"]

    kube.kubectl("delete", "modelversion", "kept", "gone", "-n", namespace, "--timeout=60s")
    kube.wait_deleted("modelversion", "kept", namespace)
    kube.wait_deleted("modelversion", "gone", namespace)
    left = [p["ModelPackageArn"] for p in _versions_in_registry(sagemaker, group)]
    assert left == [kept["status"]["modelPackageArn"]]


def test_kill_right_after_create_leaves_exactly_one_version(
    kube: Kube, namespace: str, sagemaker: Any, aws_admin: LocalAWSAdmin, operator: Any
) -> None:
    group = f"g-{namespace}"
    _apply_ready(kube, manifests.group(group, namespace))
    creates_before = aws_admin.calls(f"{namespace}/v").get("sagemaker:CreateModelPackage", 0)
    # An approval description is set by an UpdateModelPackage right after the create; holding that call
    # open gives a window in which the version exists in SageMaker but the ARN is not yet in status.
    aws_admin.set_faults([{"operation": "sagemaker:UpdateModelPackage", "rate": 0.0, "latencyMs": 8000}])
    try:
        kube.apply(manifests.version("v", namespace, group_ref=group, approvalDescription="first cut"))
        eventually(
            lambda: aws_admin.calls(f"{namespace}/v").get("sagemaker:CreateModelPackage", 0) > creates_before,
            timeout=60,
            interval=0.05,
            what="CreateModelPackage called",
        )
        operator.kill()
    finally:
        aws_admin.clear_faults()
    assert len(_versions_in_registry(sagemaker, group)) == 1
    assert "modelPackageArn" not in kube.get("modelversion", "v", namespace).get("status", {})

    operator.start()
    kube.kubectl("wait", "--for=condition=Ready", "modelversion/v", "-n", namespace, "--timeout=90s")
    in_registry = _versions_in_registry(sagemaker, group)
    creates = aws_admin.calls(f"{namespace}/v").get("sagemaker:CreateModelPackage", 0) - creates_before
    print(f"CreateModelPackage calls: {creates}, versions in the registry: {len(in_registry)}")
    assert creates == 2  # the retried create reused the ClientToken ...
    assert len(in_registry) == 1  # ... so SageMaker returned the first version instead of making a second
    assert (
        kube.get("modelversion", "v", namespace)["status"]["modelPackageArn"]
        == in_registry[0]["ModelPackageArn"]
    )
