"""Cross-account registration governed by the group's resource policy, as the Model Registry guide
("Register a Model Version from a Different Account") and IAM's policy evaluation logic describe it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from localaws_support import REGION, REGISTRY_ACCOUNT, TRAINER_ACCOUNT, TRAINER_ROLE, inference_spec

GROUP = "decision-trees"
GROUP_ARN = f"arn:aws:sagemaker:{REGION}:{REGISTRY_ACCOUNT}:model-package-group/{GROUP}"
VERSIONS = f"arn:aws:sagemaker:{REGION}:{REGISTRY_ACCOUNT}:model-package/{GROUP}/*"


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _allow(
    principal: str, actions: list[str], resource: str = VERSIONS, sid: str = "Allow"
) -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"AWS": principal},
        "Action": actions,
        "Resource": resource,
    }


def _register(trainer_sm: Any) -> str:
    return trainer_sm.create_model_package(
        ModelPackageGroupName=GROUP_ARN,
        ModelPackageDescription="from the training account",
        ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification=inference_spec(),
    )["ModelPackageArn"]


@pytest.fixture
def group(registry_sm: Any) -> str:
    return registry_sm.create_model_package_group(ModelPackageGroupName=GROUP)["ModelPackageGroupArn"]


def test_access_denied_before_policy_and_registered_in_group_account_after(
    registry_sm: Any, trainer_sm: Any, group: str
) -> None:
    # Without a group policy another account's CreateModelPackage is AccessDeniedException (HTTP 400); with
    # the guide's policy (training account root, sagemaker:CreateModelPackage on model-package/{group}/*) it
    # succeeds and the version lives in the registry (group's) account.
    assert group == GROUP_ARN
    with pytest.raises(ClientError) as exc:
        _register(trainer_sm)
    error = exc.value.response
    assert error["Error"]["Code"] == "AccessDeniedException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    message = error["Error"]["Message"]
    assert f"arn:aws:sts::{TRAINER_ACCOUNT}:assumed-role/trainer/" in message
    assert "is not authorized to perform: sagemaker:CreateModelPackage" in message
    assert registry_sm.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"] == []

    registry_sm.put_model_package_group_policy(
        ModelPackageGroupName=GROUP,
        ResourcePolicy=_policy(
            _allow(f"arn:aws:iam::{TRAINER_ACCOUNT}:root", ["sagemaker:CreateModelPackage"])
        ),
    )
    arn = _register(trainer_sm)
    assert arn == f"arn:aws:sagemaker:{REGION}:{REGISTRY_ACCOUNT}:model-package/{GROUP}/1"
    described = registry_sm.describe_model_package(ModelPackageName=arn)
    assert described["ModelPackageDescription"] == "from the training account"
    # The training account holds no registry resources of its own.
    assert trainer_sm.list_model_package_groups()["ModelPackageGroupSummaryList"] == []
    # The policy granted CreateModelPackage only: describing the version is still refused.
    with pytest.raises(ClientError) as exc:
        trainer_sm.describe_model_package(ModelPackageName=arn)
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"


@pytest.mark.parametrize(
    ("principal", "allowed"),
    [
        (TRAINER_ACCOUNT, True),  # a bare account id means the account root
        (TRAINER_ROLE, True),
        ("*", True),
        (f"arn:aws:iam::{TRAINER_ACCOUNT}:role/someone-else", False),
        ("arn:aws:iam::333333333333:root", False),
    ],
)
def test_principal_forms(
    registry_sm: Any, trainer_sm: Any, group: str, principal: str, allowed: bool
) -> None:
    # IAM Principal element: an account (id or root ARN), a role ARN, or "*"; any other principal is not
    # granted anything.
    registry_sm.put_model_package_group_policy(
        ModelPackageGroupName=GROUP,
        ResourcePolicy=_policy(_allow(principal, ["sagemaker:CreateModelPackage"])),
    )
    if allowed:
        assert _register(trainer_sm).endswith(f"/{GROUP}/1")
    else:
        with pytest.raises(ClientError) as exc:
            _register(trainer_sm)
        assert exc.value.response["Error"]["Code"] == "AccessDeniedException"


def test_explicit_deny_wins(registry_sm: Any, trainer_sm: Any, group: str) -> None:
    # IAM policy evaluation: an explicit Deny overrides any Allow.
    deny = {
        "Sid": "NoTrainer",
        "Effect": "Deny",
        "Principal": {"AWS": TRAINER_ROLE},
        "Action": "sagemaker:*",
        "Resource": "*",
    }
    registry_sm.put_model_package_group_policy(
        ModelPackageGroupName=GROUP,
        ResourcePolicy=_policy(_allow(f"arn:aws:iam::{TRAINER_ACCOUNT}:root", ["sagemaker:*"]), deny),
    )
    with pytest.raises(ClientError) as exc:
        _register(trainer_sm)
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "explicit deny" in exc.value.response["Error"]["Message"]


def test_action_and_resource_wildcards(registry_sm: Any, trainer_sm: Any, group: str) -> None:
    # Action wildcards (sagemaker:Describe*, case-insensitive) and Resource wildcards decide which calls pass:
    # group-level actions are checked against the group ARN, version actions against the version ARN.
    other_group = VERSIONS.replace(GROUP, "other-group")
    registry_sm.put_model_package_group_policy(
        ModelPackageGroupName=GROUP,
        ResourcePolicy=_policy(
            _allow(TRAINER_ACCOUNT, ["SageMaker:describe*"], resource=GROUP_ARN, sid="Describe"),
            _allow(TRAINER_ACCOUNT, ["sagemaker:CreateModelPackage"], resource=other_group, sid="Elsewhere"),
        ),
    )
    described = trainer_sm.describe_model_package_group(ModelPackageGroupName=GROUP_ARN)
    assert described["ModelPackageGroupArn"] == GROUP_ARN
    with pytest.raises(ClientError) as exc:
        _register(trainer_sm)
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"


def test_cross_account_read_and_list_after_grant(registry_sm: Any, trainer_sm: Any, group: str) -> None:
    # The guide's cross-account read statement: Describe/List/UpdateModelPackage on model-package/{group}/*.
    registry_sm.put_model_package_group_policy(
        ModelPackageGroupName=GROUP,
        ResourcePolicy=_policy(
            _allow(
                TRAINER_ACCOUNT,
                [
                    "sagemaker:CreateModelPackage",
                    "sagemaker:DescribeModelPackage",
                    "sagemaker:ListModelPackages",
                    "sagemaker:UpdateModelPackage",
                ],
            )
        ),
    )
    arn = _register(trainer_sm)
    trainer_sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    listed = trainer_sm.list_model_packages(ModelPackageGroupName=GROUP_ARN)["ModelPackageSummaryList"]
    assert [(p["ModelPackageArn"], p["ModelApprovalStatus"]) for p in listed] == [(arn, "Approved")]
    with pytest.raises(ClientError) as exc:
        trainer_sm.delete_model_package(ModelPackageName=arn)
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
