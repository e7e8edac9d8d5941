"""The seed's cross-account registration, end to end: denied before the access exists, registered after."""

from __future__ import annotations

import json
import time
from typing import Any

import manifests
import pytest
from accounts import (
    CROSS_ACCOUNT_NAMESPACE,
    REGION,
    REGISTRY_ACCOUNT,
    REGISTRY_ROLE,
    TRAINING_ACCOUNT,
    TRAINING_ROLE,
    cross_account_world,
    foreign_bucket_statement,
)
from kube import Kube, condition
from waiting import eventually

from registry_testbed.localaws.client import LocalAWSAdmin

pytestmark = pytest.mark.usefixtures("operator")

FOREIGN_S3 = foreign_bucket_statement("training-artifacts")
FOREIGN_ECR = {
    "Sid": "CiPull",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::333333333333:root"},
    "Action": ["ecr:BatchGetImage"],
}
FOREIGN_GROUP = {
    "Sid": "AuditRead",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::333333333333:root"},
    "Action": ["sagemaker:DescribeModelPackageGroup"],
    "Resource": f"arn:aws:sagemaker:{REGION}:{REGISTRY_ACCOUNT}:model-package-group/decision-trees",
}


def _statements(text: str) -> list[dict[str, Any]]:
    return json.loads(text)["Statement"]


def _access(key_id: str, name: str = "decision-trees", **training: Any) -> dict[str, Any]:
    return manifests.access(
        name,
        CROSS_ACCOUNT_NAMESPACE,
        "decision-trees",
        training={
            "roleArn": TRAINING_ROLE,
            "ecrRepository": "decision-trees-sample",
            "s3Bucket": "training-artifacts",
            "s3KeyPrefix": "decision-trees/",
            "kmsKeyId": key_id,
            **training,
        },
        registry={"roleArn": REGISTRY_ROLE, "actions": ["sagemaker:CreateModelPackage"]},
    )


def test_cross_account_story(kube: Kube, aws_endpoint: str, aws_admin: LocalAWSAdmin, operator: Any) -> None:
    ns = kube.create_namespace(CROSS_ACCOUNT_NAMESPACE)
    s3, ecr, kms, registry, key, group_arn = cross_account_world(aws_endpoint, "training-artifacts")
    ecr.set_repository_policy(
        repositoryName="decision-trees-sample",
        policyText=json.dumps({"Version": "2012-10-17", "Statement": [FOREIGN_ECR]}),
    )
    registry.put_model_package_group_policy(
        ModelPackageGroupName="decision-trees",
        ResourcePolicy=json.dumps({"Version": "2012-10-17", "Statement": [FOREIGN_GROUP]}),
    )

    # 1. A version in the training account that names the registry group by ARN: refused by SageMaker.
    version = manifests.version("dt-1", ns, group_name=group_arn, roleArn=TRAINING_ROLE)
    version["spec"]["inferenceSpecification"]["containers"] = [
        {
            "image": f"{TRAINING_ACCOUNT}.dkr.ecr.us-east-2.amazonaws.com/decision-trees-sample:latest",
            "modelDataUrl": "s3://training-artifacts/decision-trees/model.tar.gz",
        }
    ]
    kube.apply(version)
    denied = eventually(
        lambda: (
            condition(kube.get("modelversion", "dt-1", ns)).get("reason") == "AccessDenied"
            and kube.get("modelversion", "dt-1", ns)
        ),
        timeout=60,
        what="AccessDenied in status",
    )
    assert "not authorized to perform: sagemaker:CreateModelPackage" in condition(denied)["message"]
    assert condition(denied)["status"] == "False"
    denied_at = time.monotonic()

    # 2. The access is applied; the version registers on its next retry, into the registry account.
    kube.apply(_access(key))
    kube.kubectl("wait", "--for=condition=Ready", "craa/decision-trees", "-n", ns, "--timeout=60s")
    kube.kubectl("wait", "--for=condition=Ready", "mv/dt-1", "-n", ns, "--timeout=120s")
    mv = kube.get("modelversion", "dt-1", ns)
    assert mv["status"]["modelPackageArn"].startswith(
        f"arn:aws:sagemaker:{REGION}:{REGISTRY_ACCOUNT}:model-package/"
    )
    print(
        f"registered {time.monotonic() - denied_at:.1f} s after the denial: {mv['status']['modelPackageArn']}"
    )

    access = kube.get("craa", "decision-trees", ns)
    conditions = {c["type"]: c["status"] for c in access["status"]["conditions"]}
    assert all(
        conditions[c] == "True"
        for c in (
            "Ready",
            "EcrRepositoryPolicyReady",
            "S3BucketPolicyReady",
            "KmsGrantReady",
            "ModelPackageGroupPolicyReady",
        )
    )
    bucket = _statements(s3.get_bucket_policy(Bucket="training-artifacts")["Policy"])
    repo = _statements(ecr.get_repository_policy(repositoryName="decision-trees-sample")["policyText"])
    group = _statements(
        registry.get_model_package_group_policy(ModelPackageGroupName="decision-trees")["ResourcePolicy"]
    )
    assert (bucket[0], repo[0], group[0]) == (FOREIGN_S3, FOREIGN_ECR, FOREIGN_GROUP)
    assert (len(bucket), len(repo), len(group)) == (3, 2, 2)
    print(json.dumps({"bucket": bucket, "repository": repo, "group": group}, indent=1))

    # 3. A second access on the same bucket: both applied.
    kube.apply(_access(key, name="other-model", s3KeyPrefix="other/"))
    kube.kubectl("wait", "--for=condition=Ready", "craa/other-model", "-n", ns, "--timeout=60s")
    resources = {
        s["Resource"]
        for s in _statements(s3.get_bucket_policy(Bucket="training-artifacts")["Policy"])
        if isinstance(s.get("Resource"), str)
    }
    assert {
        "arn:aws:s3:::training-artifacts/decision-trees/*",
        "arn:aws:s3:::training-artifacts/other/*",
    } <= resources
    kube.kubectl("delete", "craa", "other-model", "-n", ns, "--timeout=60s")

    # 4. A restart reads but writes nothing and makes no second grant.
    grants_before = kms.list_grants(KeyId=key)["Grants"]
    operator.stop()
    aws_admin.reset_calls()
    operator.start()
    mine = f"{ns}/decision-trees"
    eventually(lambda: aws_admin.calls(mine).get("kms:ListGrants", 0) >= 1, timeout=60, what="re-checked")
    time.sleep(3)
    calls = aws_admin.calls(mine)
    writes = {
        op: n
        for op, n in calls.items()
        if op.split(":")[1].startswith(("Put", "Set", "Create", "Delete", "Revoke", "Update"))
    }
    print(f"calls after restart: {calls}")
    assert writes == {}
    assert kms.list_grants(KeyId=key)["Grants"] == grants_before and len(grants_before) == 1

    # 5. Deleting the access removes exactly its statements and its grant.
    kube.kubectl("delete", "craa", "decision-trees", "-n", ns, "--timeout=60s")
    assert _statements(s3.get_bucket_policy(Bucket="training-artifacts")["Policy"]) == [FOREIGN_S3]
    assert _statements(ecr.get_repository_policy(repositoryName="decision-trees-sample")["policyText"]) == [
        FOREIGN_ECR
    ]
    assert _statements(
        registry.get_model_package_group_policy(ModelPackageGroupName="decision-trees")["ResourcePolicy"]
    ) == [FOREIGN_GROUP]
    assert kms.list_grants(KeyId=key)["Grants"] == []


def test_allowlist_refuses_other_namespaces_and_accounts(
    kube: Kube, namespace: str, aws_admin: LocalAWSAdmin
) -> None:
    refused = _access("1234abcd-12ab-34cd-56ef-1234567890ab", name="not-allowed")
    refused["metadata"]["namespace"] = namespace  # a namespace the operator config does not list
    kube.apply(refused)
    foreign_account = _access("1234abcd-12ab-34cd-56ef-1234567890ab", name="foreign-account")
    kube.create_namespace(CROSS_ACCOUNT_NAMESPACE)
    foreign_account["spec"]["trainingAccountId"] = "444444444444"
    foreign_account["spec"]["training"] = {"s3Bucket": "elsewhere"}
    kube.apply(foreign_account)
    for ns, name, field in (
        (namespace, "not-allowed", "spec.training.roleArn"),
        (CROSS_ACCOUNT_NAMESPACE, "foreign-account", "spec.trainingAccountId"),
    ):
        kube.kubectl("wait", "--for=condition=Stalled", f"craa/{name}", "-n", ns, "--timeout=60s")
        ready = condition(kube.get("craa", name, ns))
        assert ready["reason"] == "NotPermitted" and ready["message"].startswith(field), ready
    # the calls made for these two objects only: others' resyncs may call AWS meanwhile
    assert aws_admin.calls(f"{namespace}/not-allowed") == {}
    assert aws_admin.calls(f"{CROSS_ACCOUNT_NAMESPACE}/foreign-account") == {}
    kube.kubectl("delete", "craa", "foreign-account", "-n", CROSS_ACCOUNT_NAMESPACE, "--timeout=60s")
