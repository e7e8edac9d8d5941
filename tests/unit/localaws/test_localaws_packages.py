"""Model package versions: creation, idempotency, listing, partial updates, deletion and tags."""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.config import Config
from localaws_support import DEFAULT_ACCOUNT, NO_RETRY, REGION, ClientFactory, inference_spec, refusal

from registry_testbed.localaws.server import LocalAWS


@pytest.fixture
def sm(aws_client: ClientFactory) -> Any:
    client = aws_client("sagemaker", config=NO_RETRY)
    client.create_model_package_group(ModelPackageGroupName="Iris")
    return client


def _create(sm: Any, group: str = "Iris", **kwargs: Any) -> str:
    return sm.create_model_package(
        ModelPackageGroupName=group, InferenceSpecification=inference_spec(), **kwargs
    )["ModelPackageArn"]


def test_versions_number_from_one_per_group_with_documented_arn(sm: Any) -> None:
    # Model Registry guide: versions start at 1 and increment per Model Group; the version ARN is
    # arn:aws:sagemaker:{region}:{account}:model-package/{group, lower-cased}/{version}.
    sm.create_model_package_group(ModelPackageGroupName="other")
    arns = [_create(sm), _create(sm), _create(sm, group="other"), _create(sm)]
    prefix = f"arn:aws:sagemaker:{REGION}:{DEFAULT_ACCOUNT}:model-package"
    assert arns == [f"{prefix}/iris/1", f"{prefix}/iris/2", f"{prefix}/other/1", f"{prefix}/iris/3"]
    assert sm.describe_model_package(ModelPackageName=arns[3])["ModelPackageVersion"] == 3


def test_client_token_makes_create_idempotent(sm: Any) -> None:
    # CreateModelPackage ClientToken:
    # "A unique token that guarantees that the call to this API is idempotent."
    first = _create(sm, ClientToken="uid-1234")
    again = _create(sm, ClientToken="uid-1234")
    other = _create(sm, ClientToken="uid-5678")
    assert first == again
    assert other.endswith("/2")
    listed = sm.list_model_packages(ModelPackageGroupName="Iris")["ModelPackageSummaryList"]
    assert [p["ModelPackageVersion"] for p in listed] == [1, 2]


def test_defaults_and_stored_fields(sm: Any, local_aws: LocalAWS) -> None:
    # DescribeModelPackage: ModelApprovalStatus defaults to PendingManualApproval, and the description,
    # inference specification and customer metadata come back as sent.
    local_aws.admin.set_settings(packageCompletionSeconds=0)
    arn = _create(sm, ModelPackageDescription="irises", CustomerMetadataProperties={"gitCommit": "3f2a9c1"})
    described = sm.describe_model_package(ModelPackageName=arn)
    assert described["ModelApprovalStatus"] == "PendingManualApproval"
    assert described["ModelPackageStatus"] == "Completed"
    assert described["ModelPackageGroupName"] == "Iris"
    assert described["ModelPackageDescription"] == "irises"
    assert described["CustomerMetadataProperties"] == {"gitCommit": "3f2a9c1"}
    assert described["InferenceSpecification"] == inference_spec()
    assert described["CreationTime"].year >= 2024
    # DescribeModelPackage also accepts the versioned name form "{group}/{version}".
    assert sm.describe_model_package(ModelPackageName="Iris/1")["ModelPackageArn"] == arn


def test_sixteen_containers_refused_fifteen_accepted(sm: Any) -> None:
    # InferenceSpecification.Containers: array of 1..15 items; SageMaker rejects 16 with a
    # ValidationException naming the field, and no version is created.
    code, message, _ = refusal(
        lambda: sm.create_model_package(
            ModelPackageGroupName="Iris", InferenceSpecification=inference_spec(16)
        )
    )
    assert code == "ValidationException"
    assert "inferenceSpecification.containers" in message
    assert "less than or equal to 15" in message
    assert sm.list_model_packages(ModelPackageGroupName="Iris")["ModelPackageSummaryList"] == []
    arn = sm.create_model_package(ModelPackageGroupName="Iris", InferenceSpecification=inference_spec(15))[
        "ModelPackageArn"
    ]
    assert arn.endswith("/iris/1")


def test_zero_containers_refused_by_the_service(aws_client: ClientFactory, sm: Any) -> None:
    # InferenceSpecification.Containers minimum 1: checked server-side too (client validation off).
    raw = aws_client(
        "sagemaker", config=Config(parameter_validation=False, retries={"total_max_attempts": 1})
    )
    code, message, _ = refusal(
        lambda: raw.create_model_package(
            ModelPackageGroupName="Iris", InferenceSpecification=inference_spec(0)
        )
    )
    assert code == "ValidationException"
    assert "greater than or equal to 1" in message


def test_group_given_by_arn(sm: Any) -> None:
    # CreateModelPackage ModelPackageGroupName:
    # "The name or Amazon Resource Name (ARN) of the model package group that this model version belongs to."
    group_arn = sm.describe_model_package_group(ModelPackageGroupName="Iris")["ModelPackageGroupArn"]
    arn = sm.create_model_package(ModelPackageGroupName=group_arn, InferenceSpecification=inference_spec())[
        "ModelPackageArn"
    ]
    assert arn == f"arn:aws:sagemaker:{REGION}:{DEFAULT_ACCOUNT}:model-package/iris/1"
    listed = sm.list_model_packages(ModelPackageGroupName=group_arn)["ModelPackageSummaryList"]
    assert [p["ModelPackageArn"] for p in listed] == [arn]


def test_missing_group_or_package(sm: Any) -> None:
    # CreateModelPackage into an unknown group, Describe/Delete of an unknown version: ValidationException.
    assert refusal(lambda: _create(sm, group="nope")).code == "ValidationException"
    missing = f"arn:aws:sagemaker:{REGION}:{DEFAULT_ACCOUNT}:model-package/iris/9"
    for call in (sm.describe_model_package, sm.delete_model_package):
        code, message, _ = refusal(lambda call=call: call(ModelPackageName=missing))
        assert code == "ValidationException"
        assert message == f"ModelPackage {missing} does not exist."


def test_list_packages_filters_sorts_and_pages(sm: Any) -> None:
    # ListModelPackages: ModelApprovalStatus filter, SortOrder, MaxResults/NextToken; each summary carries
    # ModelPackageArn, ModelPackageVersion, ModelApprovalStatus, ModelPackageStatus and CreationTime.
    arns = [_create(sm) for _ in range(7)]
    for arn in arns[1::2]:
        sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    seen: list[int] = []
    kwargs: dict[str, Any] = {"ModelPackageGroupName": "Iris", "MaxResults": 3}
    while True:
        page = sm.list_model_packages(**kwargs)
        assert len(page["ModelPackageSummaryList"]) <= 3
        for summary in page["ModelPackageSummaryList"]:
            assert {
                "ModelPackageArn",
                "ModelPackageVersion",
                "ModelApprovalStatus",
                "ModelPackageStatus",
            } <= set(summary)
            assert "CreationTime" in summary
            seen.append(summary["ModelPackageVersion"])
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    assert seen == [1, 2, 3, 4, 5, 6, 7]
    approved = sm.list_model_packages(
        ModelPackageGroupName="Iris", ModelApprovalStatus="Approved", SortOrder="Descending", MaxResults=2
    )
    assert [p["ModelPackageVersion"] for p in approved["ModelPackageSummaryList"]] == [6, 4]
    rest = sm.list_model_packages(
        ModelPackageGroupName="Iris",
        ModelApprovalStatus="Approved",
        SortOrder="Descending",
        MaxResults=2,
        NextToken=approved["NextToken"],
    )
    assert [p["ModelPackageVersion"] for p in rest["ModelPackageSummaryList"]] == [2]
    assert "NextToken" not in rest


def test_update_is_partial_and_merges_metadata(sm: Any) -> None:
    # UpdateModelPackage updates only what it names; CustomerMetadataProperties are added or replaced per key
    # and CustomerMetadataPropertiesToRemove removes keys.
    arn = _create(sm, ModelApprovalStatus="Approved", CustomerMetadataProperties={"a": "1", "b": "2"})
    sm.update_model_package(ModelPackageArn=arn, ApprovalDescription="looks good")
    described = sm.describe_model_package(ModelPackageName=arn)
    assert described["ModelApprovalStatus"] == "Approved"
    assert described["ApprovalDescription"] == "looks good"
    assert described["CustomerMetadataProperties"] == {"a": "1", "b": "2"}
    assert "LastModifiedTime" in described

    sm.update_model_package(ModelPackageArn=arn, CustomerMetadataProperties={"b": "20", "c": "3"})
    sm.update_model_package(ModelPackageArn=arn, CustomerMetadataPropertiesToRemove=["a"])
    described = sm.describe_model_package(ModelPackageName=arn)
    assert described["CustomerMetadataProperties"] == {"b": "20", "c": "3"}
    assert described["ModelApprovalStatus"] == "Approved"
    assert described["InferenceSpecification"] == inference_spec()

    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Rejected")
    listed = sm.list_model_packages(ModelPackageGroupName="Iris")["ModelPackageSummaryList"]
    assert listed[0]["ModelApprovalStatus"] == "Rejected"


def test_delete_package_never_reuses_its_version(sm: Any) -> None:
    # DeleteModelPackage removes the version; version numbers keep incrementing within the group.
    first = _create(sm)
    sm.delete_model_package(ModelPackageName=first)
    assert refusal(lambda: sm.describe_model_package(ModelPackageName=first)).code == "ValidationException"
    assert _create(sm).endswith("/iris/2")


def test_versions_take_no_tags_groups_do(sm: Any) -> None:
    # CreateModelPackageInput.Tags (botocore sagemaker model): "If you supply ModelPackageGroupName, ...
    # you cannot supply a tag argument." Versioned packages do not support tags (Model Registry FAQ).
    assert refusal(lambda: _create(sm, Tags=[{"Key": "team", "Value": "ml"}])).code == "ValidationException"
    arn = _create(sm)
    assert (
        refusal(lambda: sm.add_tags(ResourceArn=arn, Tags=[{"Key": "stage", "Value": "dev"}])).code
        == "ValidationException"
    )
    assert sm.list_tags(ResourceArn=arn)["Tags"] == []

    group_arn = sm.describe_model_package_group(ModelPackageGroupName="Iris")["ModelPackageGroupArn"]
    sm.add_tags(ResourceArn=group_arn, Tags=[{"Key": "owner", "Value": "me"}])
    assert sm.list_tags(ResourceArn=group_arn)["Tags"] == [{"Key": "owner", "Value": "me"}]

    assert refusal(lambda: sm.list_tags(ResourceArn=arn.replace("/1", "/42"))).code == "ValidationException"


def test_packages_pass_pending_and_in_progress_before_completed(sm: Any, local_aws: LocalAWS) -> None:
    # ModelPackageStatus (botocore sagemaker model enum): Pending | InProgress | Completed | Failed |
    # Deleting. A new package is not Completed at once; Describe and List report the same status.
    local_aws.admin.set_settings(packageCompletionSeconds=3)
    arn = _create(sm)
    assert sm.describe_model_package(ModelPackageName=arn)["ModelPackageStatus"] == "Pending"
    (summary,) = sm.list_model_packages(ModelPackageGroupName="Iris")["ModelPackageSummaryList"]
    assert summary["ModelPackageStatus"] == "Pending"
    seen = {"Pending"}
    for _ in range(80):
        seen.add(sm.describe_model_package(ModelPackageName=arn)["ModelPackageStatus"])
        if "Completed" in seen:
            break
        time.sleep(0.1)
    assert seen == {"Pending", "InProgress", "Completed"}


def test_a_failing_package_names_what_failed(sm: Any, local_aws: LocalAWS) -> None:
    # ModelPackageStatusDetails.ValidationStatuses: Name, Status, FailureReason (ModelPackageStatusItem).
    local_aws.admin.set_settings(packageCompletionSeconds=0, failPackagesInGroups=["Ir*"])
    arn = _create(sm)
    described = sm.describe_model_package(ModelPackageName=arn)
    assert described["ModelPackageStatus"] == "Failed"
    (item,) = described["ModelPackageStatusDetails"]["ValidationStatuses"]
    assert item["Status"] == "Failed" and item["FailureReason"]


def test_other_sagemaker_operations_still_reach_moto(sm: Any) -> None:
    # Only the model-registry operations are answered by the embedded store; the rest is moto's.
    assert sm.list_models()["Models"] == []
