"""The whole Model Registry from git, end to end: a version with every registry member, life-cycle stages
set in git or left to the registry, members AWS cannot change refused at admission, a package that fails
SageMaker's validation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import manifests
import pytest
from kube import Kube, KubectlError, condition
from registry_members import assert_registered_as, every_member, spec_form
from waiting import eventually

from registry_testbed.localaws.client import LocalAWSAdmin

pytestmark = pytest.mark.usefixtures("operator")


def _events(kube: Kube, namespace: str, name: str) -> list[dict[str, Any]]:
    listed = kube.kubectl(
        "get", "events", "-n", namespace, "--field-selector", f"involvedObject.name={name}", "-o", "json"
    ).stdout
    return list(json.loads(listed)["items"])


def _patch(kube: Kube, namespace: str, name: str, spec: dict[str, Any]) -> None:
    kube.kubectl(
        "patch", "modelversion", name, "-n", namespace, "--type=merge", "-p", json.dumps({"spec": spec})
    )


def _version(kube: Kube, namespace: str, name: str, **spec: Any) -> dict[str, Any]:
    """A version with every registry member (spec overrides; None leaves a member out), Ready."""
    group = f"g-{namespace}"
    if kube.try_get("modelpackagegroup", group, namespace) is None:
        kube.apply(manifests.group(group, namespace))
    body = {"modelPackageGroupRef": {"name": group}, **spec_form(every_member()), **spec}
    doc = {
        "apiVersion": "modelregistry.io/v1alpha1",
        "kind": "ModelVersion",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {k: v for k, v in body.items() if v is not None},
    }
    kube.apply(doc)
    kube.wait("modelversion", name, namespace, timeout=90)
    return kube.get("modelversion", name, namespace)


def test_every_registry_member_registers_and_describe_returns_each(
    kube: Kube, namespace: str, sagemaker: Any, aws_admin: LocalAWSAdmin
) -> None:
    mv = _version(kube, namespace, "full")
    described = sagemaker.describe_model_package(ModelPackageName=mv["status"]["modelPackageArn"])
    sent = every_member()
    # metrics, lineage, card, stage, domain/task, sample payload, an uncompressed S3 prefix, and the rest
    assert (
        sent["InferenceSpecification"]["Containers"][0]["ModelDataSource"]["S3DataSource"]["CompressionType"]
        == "None"
    )
    st = mv["status"]
    assert_registered_as(described, sent, st)
    assert st["modelPackageStatus"] == "Completed"
    assert aws_admin.calls(f"{namespace}/full").get("sagemaker:CreateModelPackage") == 1
    listed = kube.kubectl("get", "modelversion", "full", "-n", namespace).stdout
    assert "STAGE" in listed and "Development" in listed


def test_a_stage_changed_in_git_reaches_the_registry(kube: Kube, namespace: str, sagemaker: Any) -> None:
    mv = _version(kube, namespace, "promoted")
    arn = mv["status"]["modelPackageArn"]
    _patch(
        kube,
        namespace,
        "promoted",
        {
            "modelLifeCycle": {
                "stage": "Production",
                "stageStatus": "Approved",
                "stageDescription": "canary passed",
            }
        },
    )
    eventually(
        lambda: (
            sagemaker.describe_model_package(ModelPackageName=arn)["ModelLifeCycle"]["Stage"] == "Production"
        ),
        what="stage Production in the registry",
    )
    kube.wait("modelversion", "promoted", namespace)  # Ready for the new generation
    st = kube.get("modelversion", "promoted", namespace)["status"]
    assert st["modelLifeCycle"] == {
        "stage": "Production",
        "stageStatus": "Approved",
        "stageDescription": "canary passed",
    }
    assert any(e["reason"] == "StageUpdated" for e in _events(kube, namespace, "promoted"))


def test_a_stage_changed_in_the_registry_is_mirrored_when_the_spec_leaves_it_open(
    kube: Kube, namespace: str, sagemaker: Any
) -> None:
    mv = _version(kube, namespace, "open", modelLifeCycle=None)
    assert "modelLifeCycle" not in mv["status"]
    sagemaker.update_model_package(
        ModelPackageArn=mv["status"]["modelPackageArn"],
        ModelLifeCycle={"Stage": "Staging", "StageStatus": "PendingApproval"},
    )
    eventually(
        lambda: (
            kube.get("modelversion", "open", namespace)["status"].get("modelLifeCycle")
            == {"stage": "Staging", "stageStatus": "PendingApproval"}
        ),
        timeout=30,
        what="registry stage mirrored into status (resync interval 5 s)",
    )
    assert any(e["reason"] == "StageChanged" for e in _events(kube, namespace, "open"))


def test_a_stage_changed_in_the_registry_is_set_back_when_git_decides(
    kube: Kube, namespace: str, sagemaker: Any
) -> None:
    mv = _version(kube, namespace, "decided")
    arn = mv["status"]["modelPackageArn"]
    sagemaker.update_model_package(
        ModelPackageArn=arn, ModelLifeCycle={"Stage": "Archived", "StageStatus": "Done"}
    )
    eventually(
        lambda: (
            sagemaker.describe_model_package(ModelPackageName=arn)["ModelLifeCycle"]["Stage"] == "Development"
        ),
        timeout=30,
        what="stage set back to the spec's Development",
    )
    assert any(
        e["reason"] == "DriftCorrected" and "Archived" in e["message"]
        for e in _events(kube, namespace, "decided")
    )


def test_what_aws_cannot_change_is_refused_and_additions_are_applied(
    kube: Kube, namespace: str, sagemaker: Any
) -> None:
    mv = _version(kube, namespace, "fixed")
    metrics = spec_form(every_member())["modelMetrics"]
    metrics["bias"]["report"]["s3Uri"] = "s3://models/iris/metrics/other.json"
    with pytest.raises(KubectlError) as refused:
        _patch(kube, namespace, "fixed", {"modelMetrics": metrics})
    assert "spec.modelMetrics is immutable: create a new ModelVersion instead" in str(refused.value)

    extra = spec_form(every_member())["additionalInferenceSpecifications"]
    extra.append({**extra[0], "name": "neo-graviton"})
    _patch(kube, namespace, "fixed", {"additionalInferenceSpecifications": extra})
    arn = mv["status"]["modelPackageArn"]
    eventually(
        lambda: (
            [
                s["Name"]
                for s in sagemaker.describe_model_package(ModelPackageName=arn)[
                    "AdditionalInferenceSpecifications"
                ]
            ]
            == ["neo-compiled", "neo-graviton"]
        ),
        what="the added inference specification in the registry",
    )
    with pytest.raises(KubectlError) as removed:
        _patch(kube, namespace, "fixed", {"additionalInferenceSpecifications": extra[1:]})
    assert "spec.additionalInferenceSpecifications: items can be added but not removed" in str(removed.value)


@pytest.fixture
def failing_group(namespace: str, aws_admin: LocalAWSAdmin) -> Iterator[str]:
    """A group whose packages SageMaker fails to validate (the embedded AWS's failPackagesInGroups)."""
    group = f"broken-{namespace}"
    before = aws_admin.settings()
    aws_admin.set_settings(failPackagesInGroups=[*before["failPackagesInGroups"], group])
    yield group
    aws_admin.set_settings(failPackagesInGroups=before["failPackagesInGroups"])


def test_a_package_failing_validation_is_stalled_with_aws_details(
    kube: Kube, namespace: str, failing_group: str
) -> None:
    kube.apply(manifests.group(failing_group, namespace))
    doc = manifests.version("bad", namespace, group_ref=failing_group)
    kube.apply(doc)
    kube.wait("modelversion", "bad", namespace, condition="Stalled", timeout=90)
    mv = kube.get("modelversion", "bad", namespace)
    ready = condition(mv)
    assert (ready["status"], ready["reason"]) == ("False", "PackageFailed")
    assert "could not be validated" in ready["message"]  # SageMaker's FailureReason, as it gave it
    assert mv["status"]["modelPackageStatus"] == "Failed"
    (item,) = mv["status"]["modelPackageStatusDetails"]["validationStatuses"]
    assert item["status"] == "Failed" and "could not be validated" in item["failureReason"]


def test_kubectl_explain_reads_like_the_api_reference(kube: Kube) -> None:
    """Descriptions come from the service model (members) and from what the operator does (top level)."""
    explained = kube.kubectl("explain", "modelversion.spec.modelMetrics.bias").stdout
    assert "Metrics that measure bias in a model." in explained
    source = kube.kubectl(
        "explain",
        "modelversion.spec.inferenceSpecification.containers.modelDataSource.s3DataSource.compressionType",
    ).stdout
    assert "Specifies how the ML model data is prepared." in source and "None" in source
    stage = kube.kubectl("explain", "modelversion.spec.modelLifeCycle").stdout
    assert "git decides" in stage and "status.modelLifeCycle mirrors" in stage
