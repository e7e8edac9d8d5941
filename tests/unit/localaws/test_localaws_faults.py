"""Fault injection: rates, error shapes botocore understands, counts, latency, and no side effects."""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from localaws_support import NO_RETRY, ClientFactory

from registry_testbed.localaws.client import LocalAWSAdminError
from registry_testbed.localaws.server import LocalAWS


def _fault(operation: str, rate: float, error: str = "ThrottlingException", **extra: Any) -> dict[str, Any]:
    return {"operation": operation, "rate": rate, "error": error, **extra}


def test_rate_is_roughly_honoured_and_counted(local_aws: LocalAWS, aws_client: ClientFactory) -> None:
    # ThrottlingException answered as HTTP 400 {"__type": "ThrottlingException", "message": "Rate exceeded"}.
    sm = aws_client("sagemaker", config=NO_RETRY)
    local_aws.admin.set_faults([_fault("sagemaker:ListModelPackageGroups", 0.3)], seed=7)
    failures = 0
    for _ in range(300):
        try:
            sm.list_model_package_groups()
        except ClientError as exc:
            failures += 1
            assert exc.response["Error"]["Code"] == "ThrottlingException"
            assert exc.response["Error"]["Message"] == "Rate exceeded"
            assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert 0.2 * 300 <= failures <= 0.4 * 300
    assert local_aws.admin.calls()["sagemaker:ListModelPackageGroups"] == 300
    assert local_aws.admin.faults_injected() == {"sagemaker:ListModelPackageGroups": failures}
    assert local_aws.admin.get_faults()[0]["injected"] == failures


@pytest.mark.parametrize(("error", "status"), [("InternalFailure", 500), ("ServiceUnavailable", 503)])
def test_faults_happen_before_the_backend(
    local_aws: LocalAWS, aws_client: ClientFactory, error: str, status: int
) -> None:
    # An injected fault is answered before any backend sees the call: the group is never created.
    sm = aws_client("sagemaker", config=NO_RETRY)
    local_aws.admin.set_faults([_fault("sagemaker:CreateModelPackageGroup", 1.0, error)])
    with pytest.raises(ClientError) as exc:
        sm.create_model_package_group(ModelPackageGroupName="iris")
    assert exc.value.response["Error"]["Code"] == error
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    local_aws.admin.clear_faults()
    assert sm.list_model_package_groups()["ModelPackageGroupSummaryList"] == []


def test_count_caps_faults_and_botocore_retries_throttling(
    local_aws: LocalAWS, aws_client: ClientFactory
) -> None:
    # botocore retries ThrottlingException; with two injected faults the third attempt succeeds.
    sm = aws_client("sagemaker", config=Config(retries={"max_attempts": 5, "mode": "standard"}))
    local_aws.admin.set_faults([_fault("sagemaker:CreateModelPackageGroup", 1.0, count=2)])
    sm.create_model_package_group(ModelPackageGroupName="iris")
    assert local_aws.admin.calls()["sagemaker:CreateModelPackageGroup"] == 3
    assert local_aws.admin.faults_injected()["sagemaker:CreateModelPackageGroup"] == 2
    assert len(sm.list_model_package_groups()["ModelPackageGroupSummaryList"]) == 1


def test_service_wildcards_and_protocols(local_aws: LocalAWS, aws_client: ClientFactory) -> None:
    # "sagemaker:*" matches only SageMaker; "*" matches every service, and each service answers the
    # injected throttling as it throttles: S3 SlowDown (REST XML), STS Throttling (query XML).
    sm = aws_client("sagemaker", config=NO_RETRY)
    s3 = aws_client("s3", config=NO_RETRY)
    sts = aws_client("sts", config=NO_RETRY)
    local_aws.admin.set_faults([_fault("sagemaker:*", 1.0)])
    with pytest.raises(ClientError):
        sm.list_model_package_groups()
    assert "Buckets" in s3.list_buckets()
    local_aws.admin.set_faults([_fault("*", 1.0)])
    for call, code in ((s3.list_buckets, "SlowDown"), (sts.get_caller_identity, "Throttling")):
        with pytest.raises(ClientError) as exc:
            call()
        assert exc.value.response["Error"]["Code"] == code


def test_latency_is_added_to_matching_calls_only(local_aws: LocalAWS, aws_client: ClientFactory) -> None:
    # latencyMs delays every matching request, faulted or not.
    sm = aws_client("sagemaker", config=NO_RETRY)
    sm.list_model_package_groups()  # warm the connection
    local_aws.admin.set_faults([_fault("sagemaker:ListModelPackageGroups", 0.0, latencyMs=300)])
    start = time.monotonic()
    sm.list_model_package_groups()
    assert time.monotonic() - start >= 0.3
    start = time.monotonic()
    sm.list_model_packages(ModelPackageGroupName="absent")
    assert time.monotonic() - start < 0.3


def test_invalid_rules_are_refused(local_aws: LocalAWS) -> None:
    # The control endpoint validates rules instead of silently ignoring them.
    for bad in (
        {"operation": "*", "rate": 2},
        {"operation": "*", "rate": 0.1, "error": "Teapot"},
        {"rate": 0.1},
    ):
        with pytest.raises(LocalAWSAdminError):
            local_aws.admin.set_faults([bad])
    assert local_aws.admin.get_faults() == []
