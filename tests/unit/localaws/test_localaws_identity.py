"""Who made a registry change: CreatedBy / LastModifiedBy as SageMaker records them (a UserContext whose
IamIdentity has the caller's Arn, PrincipalId and SourceIdentity; botocore sagemaker model), from the
request's credentials, and the ApprovalDescription kept beside them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from localaws_support import DEFAULT_ACCOUNT, REGISTRY_ACCOUNT, REGISTRY_ROLE, ClientFactory, inference_spec

REVIEWER_ROLE = f"arn:aws:iam::{REGISTRY_ACCOUNT}:role/reviewer"


def _session(aws_client: ClientFactory, role: str, name: str, **extra: Any) -> dict[str, str]:
    creds = aws_client("sts").assume_role(RoleArn=role, RoleSessionName=name, **extra)["Credentials"]
    return dict(creds)


def _register(sm: Any) -> str:
    sm.create_model_package_group(ModelPackageGroupName="iris")
    return str(
        sm.create_model_package(ModelPackageGroupName="iris", InferenceSpecification=inference_spec())[
            "ModelPackageArn"
        ]
    )


def test_assumed_role_session_is_recorded_as_creator_and_modifier(aws_client: ClientFactory) -> None:
    pipeline = aws_client("sagemaker", _session(aws_client, REGISTRY_ROLE, "pipeline"))
    reviewer = aws_client("sagemaker", _session(aws_client, REVIEWER_ROLE, "alice-review"))
    arn = _register(pipeline)

    created = pipeline.describe_model_package(ModelPackageName=arn)
    identity = created["CreatedBy"]["IamIdentity"]
    assert identity["Arn"] == f"arn:aws:sts::{REGISTRY_ACCOUNT}:assumed-role/registry-admin/pipeline"
    # the role's unique id, then the session name (what `sts get-caller-identity` calls UserId)
    assert re.fullmatch(r"AROA[A-Z0-9]+:pipeline", identity["PrincipalId"]), identity
    assert "SourceIdentity" not in identity
    assert "UserProfileName" not in created["CreatedBy"]  # only Studio user profiles have one
    # a new package has been modified by its creator, at its creation time
    assert created["LastModifiedBy"] == created["CreatedBy"]
    assert created["LastModifiedTime"] == created["CreationTime"]

    reviewer.update_model_package(
        ModelPackageArn=arn, ModelApprovalStatus="Approved", ApprovalDescription="metrics reviewed"
    )
    approved = pipeline.describe_model_package(ModelPackageName=arn)
    modifier = approved["LastModifiedBy"]["IamIdentity"]
    assert modifier["Arn"] == f"arn:aws:sts::{REGISTRY_ACCOUNT}:assumed-role/reviewer/alice-review"
    assert modifier["PrincipalId"].endswith(":alice-review")
    assert modifier["PrincipalId"].split(":")[0] != identity["PrincipalId"].split(":")[0]  # another role
    assert approved["CreatedBy"] == created["CreatedBy"]  # the creator stays
    assert approved["LastModifiedTime"] > approved["CreationTime"]
    assert approved["ApprovalDescription"] == "metrics reviewed"


def test_principal_id_is_stable_across_sessions_of_one_role(aws_client: ClientFactory) -> None:
    first = aws_client("sagemaker", _session(aws_client, REVIEWER_ROLE, "one"))
    second = aws_client("sagemaker", _session(aws_client, REVIEWER_ROLE, "two"))
    arn = _register(first)
    second.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Rejected")
    described = first.describe_model_package(ModelPackageName=arn)
    created, modified = (described[k]["IamIdentity"]["PrincipalId"] for k in ("CreatedBy", "LastModifiedBy"))
    assert created.split(":")[0] == modified.split(":")[0]
    assert (created.split(":")[1], modified.split(":")[1]) == ("one", "two")


def test_source_identity_is_recorded_and_carried_through_role_chaining(aws_client: ClientFactory) -> None:
    # AssumeRole's SourceIdentity "persists across chained role sessions" (botocore sts model).
    alice = _session(aws_client, REGISTRY_ROLE, "console", SourceIdentity="alice@example.com")
    sm = aws_client("sagemaker", alice)
    arn = _register(sm)
    assert sm.describe_model_package(ModelPackageName=arn)["CreatedBy"]["IamIdentity"]["SourceIdentity"] == (
        "alice@example.com"
    )

    chained = aws_client("sts", alice).assume_role(RoleArn=REVIEWER_ROLE, RoleSessionName="chained")
    reviewer = aws_client("sagemaker", chained["Credentials"])
    reviewer.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    modifier = sm.describe_model_package(ModelPackageName=arn)["LastModifiedBy"]["IamIdentity"]
    assert modifier["Arn"].endswith(":assumed-role/reviewer/chained")
    assert modifier["SourceIdentity"] == "alice@example.com"


def test_iam_user_and_account_root(aws_client: ClientFactory) -> None:
    iam = aws_client("iam")
    user = iam.create_user(UserName="bob")["User"]
    key = iam.create_access_key(UserName="bob")["AccessKey"]
    bob = aws_client(
        "sagemaker", {"AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]}
    )
    arn = _register(bob)
    assert bob.describe_model_package(ModelPackageName=arn)["CreatedBy"]["IamIdentity"] == {
        "Arn": f"arn:aws:iam::{DEFAULT_ACCOUNT}:user/bob",
        "PrincipalId": user["UserId"],
    }
    # the embedded AWS's dummy credentials act as the default account's root
    root = aws_client("sagemaker")
    root.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    assert root.describe_model_package(ModelPackageName=arn)["LastModifiedBy"]["IamIdentity"] == {
        "Arn": f"arn:aws:iam::{DEFAULT_ACCOUNT}:root",
        "PrincipalId": DEFAULT_ACCOUNT,
    }


def test_group_records_its_creator(aws_client: ClientFactory) -> None:
    sm = aws_client("sagemaker", _session(aws_client, REGISTRY_ROLE, "platform"))
    sm.create_model_package_group(ModelPackageGroupName="iris")
    creator = sm.describe_model_package_group(ModelPackageGroupName="iris")["CreatedBy"]["IamIdentity"]
    assert creator["Arn"].endswith(":assumed-role/registry-admin/platform")
    assert creator["PrincipalId"].endswith(":platform")


@pytest.mark.parametrize("changes", [{"ModelLifeCycle": {"Stage": "Staging", "StageStatus": "Approved"}}, {}])
def test_approval_description_is_kept_until_replaced(
    aws_client: ClientFactory, changes: dict[str, Any]
) -> None:
    # UpdateModelPackage changes only what it names (its members are all optional): an update that does
    # not name ApprovalDescription leaves the last one in place.
    sm = aws_client("sagemaker")
    arn = _register(sm)
    assert "ApprovalDescription" not in sm.describe_model_package(ModelPackageName=arn)
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved", ApprovalDescription="ok")
    sm.update_model_package(ModelPackageArn=arn, CustomerMetadataProperties={"k": "v"}, **changes)
    assert sm.describe_model_package(ModelPackageName=arn)["ApprovalDescription"] == "ok"
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Rejected", ApprovalDescription="drift")
    described = sm.describe_model_package(ModelPackageName=arn)
    assert (described["ModelApprovalStatus"], described["ApprovalDescription"]) == ("Rejected", "drift")
