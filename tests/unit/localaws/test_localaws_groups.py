"""Model package groups and their resource policies, as the SageMaker API reference documents them."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError
from localaws_support import DEFAULT_ACCOUNT, NO_RETRY, REGION, ClientFactory, inference_spec, refusal

from registry_testbed.localaws.server import LocalAWS


@pytest.fixture
def sm(aws_client: ClientFactory) -> Any:
    return aws_client("sagemaker", config=NO_RETRY)


def test_group_arn_format_is_lower_cased_and_describable_by_name_or_arn(sm: Any) -> None:
    # API_ModelPackageGroup: ARN arn:aws:sagemaker:{region}:{account}:model-package-group/{name}; SageMaker
    # lower-cases names in ARNs. API_DescribeModelPackageGroup: ModelPackageGroupName is a name or an ARN.
    arn = sm.create_model_package_group(ModelPackageGroupName="Iris-Models")["ModelPackageGroupArn"]
    assert arn == f"arn:aws:sagemaker:{REGION}:{DEFAULT_ACCOUNT}:model-package-group/iris-models"
    by_name = sm.describe_model_package_group(ModelPackageGroupName="Iris-Models")
    by_arn = sm.describe_model_package_group(ModelPackageGroupName=arn)
    assert by_name["ModelPackageGroupArn"] == by_arn["ModelPackageGroupArn"] == arn
    assert by_arn["ModelPackageGroupName"] == "Iris-Models"
    assert by_arn["ModelPackageGroupStatus"] == "Completed"
    assert by_arn["CreationTime"].year >= 2024


def test_creating_an_existing_group_fails_and_keeps_the_original(sm: Any) -> None:
    # CreateModelPackageGroup on an existing name: ValidationException "Model Package Group already exists".
    sm.create_model_package_group(
        ModelPackageGroupName="iris",
        ModelPackageGroupDescription="first",
        Tags=[{"Key": "team", "Value": "ml"}],
    )
    code, message, status = refusal(
        lambda: sm.create_model_package_group(
            ModelPackageGroupName="iris", ModelPackageGroupDescription="second"
        )
    )
    assert (code, status) == ("ValidationException", 400)
    assert "Model Package Group already exists" in message
    described = sm.describe_model_package_group(ModelPackageGroupName="iris")
    assert described["ModelPackageGroupDescription"] == "first"
    assert sm.list_tags(ResourceArn=described["ModelPackageGroupArn"])["Tags"] == [
        {"Key": "team", "Value": "ml"}
    ]


def test_describe_missing_group_is_a_validation_exception(sm: Any) -> None:
    # DescribeModelPackageGroup of an unknown group:
    # ValidationException "ModelPackageGroup <arn> does not exist."
    code, message, _ = refusal(lambda: sm.describe_model_package_group(ModelPackageGroupName="nope"))
    assert code == "ValidationException"
    assert "does not exist" in message


def test_invalid_group_name_is_refused(sm: Any) -> None:
    # API_CreateModelPackageGroup: ModelPackageGroupName pattern [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}.
    code, message, _ = refusal(lambda: sm.create_model_package_group(ModelPackageGroupName="bad name!"))
    assert code == "ValidationException"
    assert "modelPackageGroupName" in message


def test_list_groups_pages_with_next_token_and_sorts(sm: Any) -> None:
    # ListModelPackageGroups: MaxResults, NextToken paging; SortBy Name|CreationTime, SortOrder.
    names = [f"group-{i}" for i in range(5)]
    for name in names:
        sm.create_model_package_group(ModelPackageGroupName=name)
    seen: list[str] = []
    kwargs: dict[str, Any] = {"MaxResults": 2}
    pages = 0
    while True:
        page = sm.list_model_package_groups(**kwargs)
        pages += 1
        assert len(page["ModelPackageGroupSummaryList"]) <= 2
        seen += [g["ModelPackageGroupName"] for g in page["ModelPackageGroupSummaryList"]]
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    assert seen == names  # default: CreationTime ascending
    assert pages == 3
    by_name = sm.list_model_package_groups(SortBy="Name", SortOrder="Descending")[
        "ModelPackageGroupSummaryList"
    ]
    assert [g["ModelPackageGroupName"] for g in by_name] == sorted(names, reverse=True)
    contains = sm.list_model_package_groups(NameContains="up-3")["ModelPackageGroupSummaryList"]
    assert [g["ModelPackageGroupName"] for g in contains] == ["group-3"]


def test_delete_group_refused_while_versions_exist(sm: Any) -> None:
    # DeleteModelPackageGroup: a group that still contains versions cannot be deleted (ConflictException,
    # "... cannot be deleted because it still contains Model Packages"); an empty group can.
    sm.create_model_package_group(ModelPackageGroupName="iris")
    arn = sm.create_model_package(ModelPackageGroupName="iris", InferenceSpecification=inference_spec())[
        "ModelPackageArn"
    ]
    code, message, _ = refusal(lambda: sm.delete_model_package_group(ModelPackageGroupName="iris"))
    assert code == "ConflictException"
    assert "still contains Model Packages" in message
    sm.describe_model_package_group(ModelPackageGroupName="iris")  # still there

    sm.delete_model_package(ModelPackageName=arn)
    sm.delete_model_package_group(ModelPackageGroupName="iris")
    assert refusal(lambda: eventually_gone(sm)).code == "ValidationException"


def eventually_gone(sm: Any) -> None:
    for _ in range(100):
        sm.describe_model_package_group(ModelPackageGroupName="iris")
        time.sleep(0.05)


def test_group_deletion_passes_through_deleting(sm: Any, local_aws: LocalAWS) -> None:
    # DeleteModelPackageGroup is asynchronous: DescribeModelPackageGroup reports ModelPackageGroupStatus
    # "Deleting" (an enum value of ModelPackageGroupStatus, botocore sagemaker model) until the group is
    # gone, as AWS's own CloudFormation provider waits for.
    local_aws.admin.set_settings(groupDeletionSeconds=30)
    sm.create_model_package_group(ModelPackageGroupName="iris")
    sm.delete_model_package_group(ModelPackageGroupName="iris")
    assert (
        sm.describe_model_package_group(ModelPackageGroupName="iris")["ModelPackageGroupStatus"] == "Deleting"
    )
    sm.delete_model_package_group(ModelPackageGroupName="iris")  # a second delete while Deleting: accepted
    assert (
        refusal(
            lambda: sm.create_model_package(
                ModelPackageGroupName="iris", InferenceSpecification=inference_spec()
            )
        ).code
        == "ValidationException"
    )
    local_aws.admin.set_settings(groupDeletionSeconds=0)
    assert (
        refusal(lambda: sm.describe_model_package_group(ModelPackageGroupName="iris")).code
        == "ValidationException"
    )


def test_delete_missing_group_is_a_validation_exception(sm: Any) -> None:
    # DeleteModelPackageGroup of an unknown group: ValidationException "... does not exist."
    code, message, _ = refusal(lambda: sm.delete_model_package_group(ModelPackageGroupName="nope"))
    assert code == "ValidationException"
    assert "does not exist" in message


def test_group_policy_put_get_delete(sm: Any) -> None:
    # Put/Get/DeleteModelPackageGroupPolicy: the stored document is returned as given; Get or Delete without
    # a policy is ValidationException "Cannot find resource policy for: <group arn>".
    arn = sm.create_model_package_group(ModelPackageGroupName="iris")["ModelPackageGroupArn"]
    code, message, _ = refusal(lambda: sm.get_model_package_group_policy(ModelPackageGroupName="iris"))
    assert code == "ValidationException"
    assert message == f"Cannot find resource policy for: {arn}"

    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AddPermModelPackageVersion",
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
                    "Action": ["sagemaker:CreateModelPackage"],
                    "Resource": f"arn:aws:sagemaker:{REGION}:{DEFAULT_ACCOUNT}:model-package/iris/*",
                }
            ],
        }
    )
    put = sm.put_model_package_group_policy(ModelPackageGroupName="iris", ResourcePolicy=policy)
    assert put["ModelPackageGroupArn"] == arn
    assert sm.get_model_package_group_policy(ModelPackageGroupName="iris")["ResourcePolicy"] == policy

    sm.delete_model_package_group_policy(ModelPackageGroupName="iris")
    assert (
        "Cannot find resource policy"
        in refusal(lambda: sm.delete_model_package_group_policy(ModelPackageGroupName="iris")).message
    )


def test_group_policy_on_missing_group_and_malformed_policy(sm: Any) -> None:
    # Policy calls on an unknown group: ValidationException "Cannot find Model Package Group"; a malformed
    # document (the seed's unclosed brace) is refused, never stored.
    assert (
        "Cannot find Model Package Group"
        in refusal(lambda: sm.get_model_package_group_policy(ModelPackageGroupName="nope")).message
    )

    sm.create_model_package_group(ModelPackageGroupName="iris")
    malformed = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"'
    assert (
        refusal(
            lambda: sm.put_model_package_group_policy(ModelPackageGroupName="iris", ResourcePolicy=malformed)
        ).code
        == "ValidationException"
    )
    with pytest.raises(ClientError):
        sm.get_model_package_group_policy(ModelPackageGroupName="iris")
