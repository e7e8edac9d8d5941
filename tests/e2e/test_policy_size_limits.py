"""Many accesses on one bucket and one repository: the documents reach AWS's size limits (S3 20 KB, ECR
10,240 characters), the accesses that no longer fit stall with PolicyTooLarge before any write, and
everything already applied stays applied and Ready."""

from __future__ import annotations

import json
from typing import Any

import manifests
import pytest
from accounts import (
    CROSS_ACCOUNT_NAMESPACE,
    REGION,
    TRAINING_ROLE,
    client_as,
)
from kube import Kube, condition
from waiting import eventually

from registry_testbed.localaws.client import LocalAWSAdmin

pytestmark = pytest.mark.usefixtures("operator")

BUCKET = "size-limit-artifacts"
REPOSITORY = "size-limit-images"
# A long key prefix makes each access's S3 statements about 1 KB, so about twenty fill the bucket policy;
# an ECR statement is about 160 characters whatever the spec says, so about sixty fill the repository's.
PREFIX_PAD = "p" * 480
S3_ACCESSES = 26
ECR_ACCESSES = 66


def _access(name: str, **training: Any) -> dict[str, Any]:
    return manifests.access(
        name, CROSS_ACCOUNT_NAMESPACE, "size-limits", training={"roleArn": TRAINING_ROLE, **training}
    )


def _settled(kube: Kube, names: list[str]) -> dict[str, dict[str, Any]] | None:
    """Every object Ready or Stalled for its current generation; None while any is still on its way."""
    items = json.loads(kube.kubectl("get", "craa", "-n", CROSS_ACCOUNT_NAMESPACE, "-o", "json").stdout)[
        "items"
    ]
    by_name = {i["metadata"]["name"]: i for i in items if i["metadata"]["name"] in names}
    if len(by_name) != len(names):
        return None
    for obj in by_name.values():
        done = condition(obj).get("status") == "True" or condition(obj, "Stalled").get("status") == "True"
        if not done or condition(obj).get("observedGeneration") != obj["metadata"]["generation"]:
            return None
    return by_name


def _split(objects: dict[str, dict[str, Any]]) -> tuple[list[str], list[str]]:
    ready = sorted(n for n, o in objects.items() if condition(o).get("status") == "True")
    stalled = sorted(n for n, o in objects.items() if condition(o, "Stalled").get("status") == "True")
    return ready, stalled


def _recorded_sids(obj: dict[str, Any]) -> set[str]:
    return {sid for part in obj["status"].get("appliedPolicies") or [] for sid in part["sids"]}


def _check_limit_reached(
    kube: Kube,
    aws_admin: LocalAWSAdmin,
    objects: dict[str, dict[str, Any]],
    document: dict[str, Any],
    per_access: int,
    part_condition: str,
    limit_text: str,
    write: str,
) -> list[str]:
    ready, stalled = _split(objects)
    assert ready and stalled, (
        f"expected some accesses applied and some refused: ready={ready}, stalled={stalled}"
    )
    assert len(ready) + len(stalled) == len(objects)
    held = len(document["Statement"])
    # Everything already applied is still there: exactly the Ready accesses' statements.
    assert held == per_access * len(ready)
    assert {s["Sid"] for s in document["Statement"]} == set().union(
        *(_recorded_sids(objects[n]) for n in ready)
    )
    for name in stalled:
        obj = objects[name]
        ready_cond, part = condition(obj), condition(obj, part_condition)
        assert ready_cond["reason"] == "PolicyTooLarge" and ready_cond["status"] == "False", ready_cond
        assert part["reason"] == "PolicyTooLarge" and part["status"] == "False", part
        # The message names the limit and what the document holds with this access's statements added.
        assert limit_text in part["message"], part["message"]
        assert f"it holds {held + per_access} statements, {held} of them from others" in part["message"]
        # Its statements are recorded before any write (so a crash cannot lose one) but none was written.
        assert _recorded_sids(obj) and not _recorded_sids(obj) & {s["Sid"] for s in document["Statement"]}
        # Refused before AWS was asked: reads for this object, never a write.
        calls = aws_admin.calls(f"{CROSS_ACCOUNT_NAMESPACE}/{name}")
        assert write not in calls, calls
    return ready


def _stay_ready(kube: Kube, aws_admin: LocalAWSAdmin, names: list[str], read: str) -> None:
    """After each of `names` has been re-checked against AWS at least once more, it is still Ready."""
    before = {n: aws_admin.calls(f"{CROSS_ACCOUNT_NAMESPACE}/{n}").get(read, 0) for n in names}
    eventually(
        lambda: all(
            aws_admin.calls(f"{CROSS_ACCOUNT_NAMESPACE}/{n}").get(read, 0) > before[n] for n in names
        ),
        timeout=120,
        interval=2,
        what=f"every applied access re-checked ({read})",
    )
    for name in names:
        obj = kube.get("craa", name, CROSS_ACCOUNT_NAMESPACE)
        assert condition(obj).get("status") == "True", (name, condition(obj))


def test_accesses_beyond_the_policy_size_limits_stall_and_nothing_applied_is_lost(
    kube: Kube, aws_endpoint: str, aws_admin: LocalAWSAdmin
) -> None:
    kube.create_namespace(CROSS_ACCOUNT_NAMESPACE)
    s3 = client_as(aws_endpoint, "s3", TRAINING_ROLE)
    ecr = client_as(aws_endpoint, "ecr", TRAINING_ROLE)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    ecr.create_repository(repositoryName=REPOSITORY)

    s3_names = [f"bucket-share-{i:02d}" for i in range(S3_ACCESSES)]
    ecr_names = [f"image-share-{i:02d}" for i in range(ECR_ACCESSES)]
    kube.apply(
        [_access(n, s3Bucket=BUCKET, s3KeyPrefix=f"{i:02d}/{PREFIX_PAD}/") for i, n in enumerate(s3_names)]
        + [_access(n, ecrRepository=REPOSITORY) for n in ecr_names]
    )
    objects = eventually(
        lambda: _settled(kube, s3_names + ecr_names), timeout=240, interval=2, what="every access settled"
    )

    bucket_text = s3.get_bucket_policy(Bucket=BUCKET)["Policy"]
    repository_text = ecr.get_repository_policy(repositoryName=REPOSITORY)["policyText"]
    # The documents AWS holds are within its limits, and full: one more access would not fit.
    assert len(bucket_text.encode()) <= 20 * 1024
    assert len(repository_text) <= 10_240
    s3_ready = _check_limit_reached(
        kube,
        aws_admin,
        {n: objects[n] for n in s3_names},
        json.loads(bucket_text),
        per_access=2,
        part_condition="S3BucketPolicyReady",
        limit_text="over the limit of 20,480 (S3 bucket policies are limited to 20 KB",
        write="s3:PutBucketPolicy",
    )
    ecr_ready = _check_limit_reached(
        kube,
        aws_admin,
        {n: objects[n] for n in ecr_names},
        json.loads(repository_text),
        per_access=1,
        part_condition="EcrRepositoryPolicyReady",
        limit_text="over the limit of 10,240 (SetRepositoryPolicy policyText, at most 10,240 characters",
        write="ecr:SetRepositoryPolicy",
    )
    print(
        f"bucket policy: {len(bucket_text.encode())} bytes, {len(s3_ready)} of {S3_ACCESSES} accesses; "
        f"repository policy: {len(repository_text)} characters, {len(ecr_ready)} of {ECR_ACCESSES} accesses"
    )

    # The applied accesses stay Ready through their next re-check, and the documents do not change.
    _stay_ready(kube, aws_admin, s3_ready, "s3:GetBucketPolicy")
    _stay_ready(kube, aws_admin, ecr_ready, "ecr:GetRepositoryPolicy")
    assert s3.get_bucket_policy(Bucket=BUCKET)["Policy"] == bucket_text
    assert ecr.get_repository_policy(repositoryName=REPOSITORY)["policyText"] == repository_text

    kube.kubectl("delete", "craa", *s3_names, *ecr_names, "-n", CROSS_ACCOUNT_NAMESPACE, "--timeout=120s")
