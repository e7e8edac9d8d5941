"""Adopting what exists: a version registered with plain boto3 (as a pipeline step would) and a group."""

from __future__ import annotations

import json
from typing import Any

import manifests
import pytest
from kube import Kube, condition
from waiting import eventually

from registry_testbed.localaws.client import LocalAWSAdmin

pytestmark = pytest.mark.usefixtures("operator")


def _register_with_boto3(sagemaker: Any, group: str) -> str:
    sagemaker.create_model_package_group(ModelPackageGroupName=group)
    return sagemaker.create_model_package(
        ModelPackageGroupName=group,
        ModelPackageDescription="Model to detect 3 different types of irises",
        ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification={
            "Containers": [
                {"Image": manifests.XGBOOST, "ModelDataUrl": "s3://your-bucket-name/model.tar.gz"}
            ],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )["ModelPackageArn"]


def test_version_registered_with_boto3_is_adopted_approved_from_git_and_retained(
    kube: Kube, namespace: str, sagemaker: Any, aws_admin: LocalAWSAdmin
) -> None:
    group = f"p-{namespace}"
    arn = _register_with_boto3(sagemaker, group)
    creates = aws_admin.calls(f"{namespace}/").get("sagemaker:CreateModelPackage", 0)
    kube.apply(manifests.adopted("adopted", namespace, arn, modelPackageGroupName=group))
    kube.kubectl("wait", "--for=condition=Ready", "mv/adopted", "-n", namespace, "--timeout=60s")
    mv = kube.get("mv", "adopted", namespace)
    assert mv["status"]["modelPackageArn"] == arn and mv["status"]["modelPackageVersion"] == 1
    assert mv["status"]["approvalStatus"] == "PendingManualApproval"
    assert "finalizers" not in mv["metadata"]  # adopted versions are Retain unless told otherwise

    kube.kubectl(
        "patch",
        "mv",
        "adopted",
        "-n",
        namespace,
        "--type=merge",
        "-p",
        json.dumps({"spec": {"approvalStatus": "Approved"}}),
    )
    eventually(
        lambda: sagemaker.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"] == "Approved",
        what="approved from git",
    )
    eventually(lambda: kube.get("mv", "adopted", namespace)["status"]["approvalStatus"] == "Approved")

    kube.kubectl("delete", "mv", "adopted", "-n", namespace, "--timeout=60s")
    assert sagemaker.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"] == "Approved"
    assert aws_admin.calls(f"{namespace}/").get("sagemaker:CreateModelPackage", 0) == creates


def test_existing_group_is_adopted_without_a_second_create(
    kube: Kube, namespace: str, sagemaker: Any, aws_admin: LocalAWSAdmin
) -> None:
    group = f"e-{namespace}"
    sagemaker.create_model_package_group(ModelPackageGroupName=group, ModelPackageGroupDescription="by hand")
    creates = aws_admin.calls(f"{namespace}/").get("sagemaker:CreateModelPackageGroup", 0)
    kube.apply(manifests.group(group, namespace, modelPackageGroupDescription="by hand", tags={"team": "ml"}))
    kube.kubectl("wait", "--for=condition=Ready", f"mpg/{group}", "-n", namespace, "--timeout=60s")
    assert condition(kube.get("mpg", group, namespace))["reason"] == "Adopted"
    assert aws_admin.calls(f"{namespace}/").get("sagemaker:CreateModelPackageGroup", 0) == creates
    arn = kube.get("mpg", group, namespace)["status"]["modelPackageGroupArn"]
    tags = {t["Key"]: t["Value"] for t in sagemaker.list_tags(ResourceArn=arn)["Tags"]}
    owner = tags.pop("modelregistry.io/owner")  # claimed: recorded as this object's group
    assert tags == {"team": "ml"} and owner.startswith(f"default/{namespace}/{group}/")


def test_second_adopter_is_stalled_naming_the_first(kube: Kube, namespace: str, sagemaker: Any) -> None:
    arn = _register_with_boto3(sagemaker, f"d-{namespace}")
    kube.apply(manifests.adopted("first", namespace, arn))
    kube.kubectl("wait", "--for=condition=Ready", "mv/first", "-n", namespace, "--timeout=60s")
    kube.apply(manifests.adopted("second", namespace, arn))
    kube.kubectl("wait", "--for=condition=Stalled", "mv/second", "-n", namespace, "--timeout=60s")
    ready = condition(kube.get("mv", "second", namespace))
    assert ready["reason"] == "AlreadyManaged" and f"{namespace}/first" in ready["message"]


def test_adopting_a_missing_version_is_not_found_and_retried(
    kube: Kube, namespace: str, aws_admin: LocalAWSAdmin
) -> None:
    arn = "arn:aws:sagemaker:us-east-2:123456789012:model-package/never-registered/3"
    creates = aws_admin.calls(f"{namespace}/").get("sagemaker:CreateModelPackage", 0)
    kube.apply(manifests.adopted("ghost", namespace, arn))
    eventually(lambda: condition(kube.get("mv", "ghost", namespace)).get("reason") == "NotFound", timeout=60)
    mv = kube.get("mv", "ghost", namespace)
    reconciling = next(c for c in mv["status"]["conditions"] if c["type"] == "Reconciling")
    assert reconciling["status"] == "True"  # retried, not given up on
    assert aws_admin.calls(f"{namespace}/").get("sagemaker:CreateModelPackage", 0) == creates
