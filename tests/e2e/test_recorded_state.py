"""Decisions come from what was applied (status) and what AWS holds, never from what the operator last
saw: each test here is a sequence a user can run with kubectl that the operator once got wrong."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import manifests
import pytest
from accounts import (
    CROSS_ACCOUNT_NAMESPACE,
    REGION,
    REGISTRY_ROLE,
    TRAINING_ACCOUNT,
    TRAINING_ROLE,
    client_as,
    default_client,
)
from kube import Kube, condition
from waiting import eventually

pytestmark = pytest.mark.usefixtures("operator")

REFUSED_ROLE = f"arn:aws:iam::{TRAINING_ACCOUNT}:role/not-in-the-operator-config"


def _ours(policy_text: str | None) -> list[dict[str, Any]]:
    if not policy_text:
        return []
    return [
        s for s in json.loads(policy_text)["Statement"] if str(s.get("Sid", "")).startswith("ModelRegistry")
    ]


def _bucket_policy(s3: Any, bucket: str) -> str | None:
    try:
        return str(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except s3.exceptions.ClientError:
        return None


def _access(name: str, training: dict[str, Any], registry: bool = False, **spec: Any) -> dict[str, Any]:
    group = spec.pop("group", "decision-trees")
    if registry:
        spec["registry"] = {"roleArn": REGISTRY_ROLE, "actions": ["sagemaker:CreateModelPackage"]}
    return manifests.access(name, CROSS_ACCOUNT_NAMESPACE, group, training=training, **spec)


def _wait_condition(
    kube: Kube, kind: str, name: str, ns: str, ctype: str = "Ready", timeout: float = 90
) -> None:
    """The condition True for the object's current generation."""

    def met() -> bool:
        obj = kube.get(kind, name, ns)
        c = condition(obj, ctype)
        return c.get("status") == "True" and c.get("observedGeneration") == obj["metadata"]["generation"]

    eventually(met, timeout=timeout, what=f"{kind}/{name} {ctype}")


def _bucket(aws_endpoint: str) -> tuple[Any, str]:
    s3 = client_as(aws_endpoint, "s3", TRAINING_ROLE)
    name = f"b-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return s3, name


def test_a_refused_edit_never_makes_the_operator_forget_what_it_applied(
    kube: Kube, aws_endpoint: str
) -> None:
    """Bucket a -> bucket b with a role the config refuses (Stalled) -> an allowed role: bucket a is
    withdrawn, although the last spec the operator handled already named bucket b."""
    ns = kube.create_namespace(CROSS_ACCOUNT_NAMESPACE)
    s3, first = _bucket(aws_endpoint)
    _, second = _bucket(aws_endpoint)
    name = f"moves-{uuid.uuid4().hex[:6]}"
    kube.apply(_access(name, {"roleArn": TRAINING_ROLE, "s3Bucket": first}))
    _wait_condition(kube, "craa", name, ns)
    assert len(_ours(_bucket_policy(s3, first))) == 2

    kube.apply(_access(name, {"roleArn": REFUSED_ROLE, "s3Bucket": second}))
    _wait_condition(kube, "craa", name, ns, "Stalled")
    assert condition(kube.get("craa", name, ns))["reason"] == "NotPermitted"

    kube.apply(_access(name, {"roleArn": TRAINING_ROLE, "s3Bucket": second}))
    _wait_condition(kube, "craa", name, ns)
    eventually(lambda: _ours(_bucket_policy(s3, first)) == [], timeout=60, what=f"{first} withdrawn")
    assert len(_ours(_bucket_policy(s3, second))) == 2
    kube.kubectl("delete", "craa", name, "-n", ns, "--timeout=60s")
    assert _ours(_bucket_policy(s3, second)) == []


def test_deletion_completes_when_every_target_is_already_gone(kube: Kube, aws_endpoint: str) -> None:
    """Bucket, repository, key and group deleted out of band (say by Terraform): deleting the access
    finishes instead of retrying forever with the finalizer held."""
    ns = kube.create_namespace(CROSS_ACCOUNT_NAMESPACE)
    s3, bucket = _bucket(aws_endpoint)
    ecr, kms = (client_as(aws_endpoint, s, TRAINING_ROLE) for s in ("ecr", "kms"))
    registry = client_as(aws_endpoint, "sagemaker", REGISTRY_ROLE)
    suffix = uuid.uuid4().hex[:6]
    repo, group = f"repo-{suffix}", f"gone-{suffix}"
    ecr.create_repository(repositoryName=repo)
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    registry.create_model_package_group(ModelPackageGroupName=group)
    name = f"targets-gone-{suffix}"
    training = {"roleArn": TRAINING_ROLE, "s3Bucket": bucket, "ecrRepository": repo, "kmsKeyId": key}
    kube.apply(_access(name, training, registry=True, group=group))
    _wait_condition(kube, "craa", name, ns)

    s3.delete_bucket_policy(Bucket=bucket)
    s3.delete_bucket(Bucket=bucket)
    ecr.delete_repository(repositoryName=repo, force=True)
    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    registry.delete_model_package_group_policy(ModelPackageGroupName=group)
    registry.delete_model_package_group(ModelPackageGroupName=group)

    kube.kubectl("delete", "craa", name, "-n", ns, "--wait=false")
    kube.wait_deleted("craa", name, ns, timeout=90)


def test_a_changed_default_region_moves_and_duplicates_nothing(
    kube: Kube, namespace: str, sagemaker: Any, aws_endpoint: str, operator: Any, tmp_path: Path
) -> None:
    """Objects without spec.region keep the region they were first reconciled in."""
    group = f"r-{namespace}"
    kube.apply(manifests.group(group, namespace, tags={"team": "ml"}))
    kube.apply(manifests.version("v", namespace, group_ref=group, deletionPolicy="Delete"))
    _wait_condition(kube, "mv", "v", namespace)
    arn = kube.get("mv", "v", namespace)["status"]["modelPackageArn"]

    original = operator.config
    moved = tmp_path / "operator.yaml"
    moved.write_text(original.read_text().replace(f"defaultRegion: {REGION}", "defaultRegion: us-west-2"))
    assert "us-west-2" in moved.read_text()
    operator.stop()
    operator.config = moved
    operator.start()
    try:
        west = default_client(aws_endpoint, "sagemaker", "us-west-2")
        # spec changes make both objects reconcile under the new default region
        kube.kubectl(
            "patch", "mpg", group, "-n", namespace, "--type=merge", "-p", '{"spec":{"tags":{"t":"2"}}}'
        )
        kube.kubectl(
            "patch",
            "mv",
            "v",
            "-n",
            namespace,
            "--type=merge",
            "-p",
            '{"spec":{"approvalStatus":"Approved"}}',
        )
        eventually(
            lambda: (
                sagemaker.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"] == "Approved"
            ),
            timeout=90,
            what="the approval reached the version in its own region",
        )
        _wait_condition(kube, "mpg", group, namespace)
        assert [
            g["ModelPackageGroupName"]
            for g in west.list_model_package_groups()["ModelPackageGroupSummaryList"]
        ] == []
        assert kube.get("mpg", group, namespace)["status"]["region"] == REGION
        assert kube.get("mv", "v", namespace)["status"]["region"] == REGION

        kube.kubectl("delete", "mv", "v", "-n", namespace, "--timeout=60s")
        with pytest.raises(sagemaker.exceptions.ClientError):
            sagemaker.describe_model_package(ModelPackageName=arn)  # deleted where it lives
    finally:
        operator.stop()
        operator.config = original
        operator.start()


def test_an_adopted_arn_typed_in_another_case_is_not_reported_deleted(
    kube: Kube, namespace: str, sagemaker: Any
) -> None:
    """SageMaker lower-cases group names in its ARNs; an ARN typed with capitals names the same version."""
    group = f"Case-{namespace}"
    sagemaker.create_model_package_group(ModelPackageGroupName=group)
    arn = sagemaker.create_model_package(
        ModelPackageGroupName=group,
        InferenceSpecification=manifests.AWS_INFERENCE,
    )["ModelPackageArn"]
    typed = arn.replace(group.lower(), group)
    assert typed != arn
    kube.apply(manifests.adopted("typed", namespace, typed))
    _wait_condition(kube, "mv", "typed", namespace)
    time.sleep(12)  # two resync intervals (5 s in this tier's config) must find it, not report it gone
    mv = kube.get("mv", "typed", namespace)
    assert condition(mv)["status"] == "True", condition(mv)
    assert mv["status"]["modelPackageStatus"] == "Completed"


def test_status_fields_that_no_longer_apply_are_removed(kube: Kube, aws_endpoint: str) -> None:
    ns = kube.create_namespace(CROSS_ACCOUNT_NAMESPACE)
    kms = client_as(aws_endpoint, "kms", TRAINING_ROLE)
    _, bucket = _bucket(aws_endpoint)
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    name = f"drops-key-{uuid.uuid4().hex[:6]}"
    kube.apply(_access(name, {"roleArn": TRAINING_ROLE, "s3Bucket": bucket, "kmsKeyId": key}))
    _wait_condition(kube, "craa", name, ns)
    assert kube.get("craa", name, ns)["status"]["kmsGrantId"]
    kube.apply(_access(name, {"roleArn": TRAINING_ROLE, "s3Bucket": bucket}))
    _wait_condition(kube, "craa", name, ns)
    status = kube.get("craa", name, ns)["status"]
    assert "kmsGrantId" not in status and "kmsKeyId" not in status, status
    assert {c["type"] for c in status["conditions"]} >= {"S3BucketPolicyReady"}
    assert "KmsGrantReady" not in {c["type"] for c in status["conditions"]}
    assert kms.list_grants(KeyId=key)["Grants"] == []
    kube.kubectl("delete", "craa", name, "-n", ns, "--timeout=60s")


def test_a_version_whose_follow_up_call_fails_still_records_its_arn(
    kube: Kube, namespace: str, sagemaker: Any, aws_admin: Any
) -> None:
    group = f"f-{namespace}"
    kube.apply(manifests.group(group, namespace))
    _wait_condition(kube, "mpg", group, namespace)
    aws_admin.set_faults(
        [{"operation": "sagemaker:UpdateModelPackage", "rate": 1.0, "error": "InternalFailure"}]
    )
    try:
        kube.apply(
            manifests.version(
                "f", namespace, group_ref=group, approvalDescription="first cut", deletionPolicy="Delete"
            )
        )
        eventually(
            lambda: kube.get("mv", "f", namespace).get("status", {}).get("modelPackageArn"),
            timeout=90,
            what="the ARN in status while the follow-up call fails",
        )
        assert condition(kube.get("mv", "f", namespace)).get("status") != "True"
    finally:
        aws_admin.clear_faults()
    _wait_condition(kube, "mv", "f", namespace, timeout=180)
    arn = kube.get("mv", "f", namespace)["status"]["modelPackageArn"]
    assert sagemaker.describe_model_package(ModelPackageName=arn)["ApprovalDescription"] == "first cut"
    kube.kubectl("delete", "mv", "f", "-n", namespace, "--timeout=60s")
    assert sagemaker.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"] == []


def test_retain_holds_no_finalizer_and_a_delete_waits_for_nothing(kube: Kube, aws_endpoint: str) -> None:
    """Only objects whose deletion has AWS work to do carry a finalizer: with the operator gone, a
    Retain access is deleted at once."""
    ns = kube.create_namespace(CROSS_ACCOUNT_NAMESPACE)
    _, bucket = _bucket(aws_endpoint)
    name = f"retained-{uuid.uuid4().hex[:6]}"
    kube.apply(_access(name, {"roleArn": TRAINING_ROLE, "s3Bucket": bucket}, deletionPolicy="Retain"))
    _wait_condition(kube, "craa", name, ns)
    time.sleep(6)  # longer than the re-check tick of the old per-object timer
    assert "finalizers" not in kube.get("craa", name, ns)["metadata"]


def test_a_group_that_still_holds_versions_is_stalled_not_retried_blindly(
    kube: Kube, namespace: str, sagemaker: Any
) -> None:
    group = f"full-{namespace}"
    kube.apply(manifests.group(group, namespace, deletionPolicy="Delete"))
    _wait_condition(kube, "mpg", group, namespace)
    arn = sagemaker.create_model_package(
        ModelPackageGroupName=group,
        InferenceSpecification=manifests.AWS_INFERENCE,
    )["ModelPackageArn"]
    kube.kubectl("delete", "mpg", group, "-n", namespace, "--wait=false")
    eventually(
        lambda: condition(kube.get("mpg", group, namespace), "Stalled").get("reason") == "GroupNotEmpty",
        timeout=60,
        what="Stalled GroupNotEmpty",
    )
    sagemaker.delete_model_package(ModelPackageName=arn)
    kube.wait_deleted("mpg", group, namespace, timeout=120)
