"""The AWS facts the operator decides on: partitions, SageMaker's names in ARNs, what an error means."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, ParamValidationError

from registry_operator.api.cross_account import CrossAccountRegistryAccessSpec
from registry_operator.aws import facts
from registry_operator.aws.errors import AwsError, AwsErrorKind, translate
from registry_operator.reconcile import error_meaning
from registry_operator.reconcile.cross_account import plan


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("us-east-2", "aws"),
        ("cn-north-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("eu-central-1", "aws"),
    ],
)
def test_partition_from_botocore_data(region: str, partition: str) -> None:
    assert facts.partition(region) == partition
    assert facts.account_root(region, "111111111111") == f"arn:{partition}:iam::111111111111:root"


def test_statements_use_the_partition_and_sagemakers_lower_case_group_names() -> None:
    spec = CrossAccountRegistryAccessSpec.model_validate(
        {
            "modelPackageGroupName": "Decision-Trees",
            "registryAccountId": "111111111111",
            "trainingAccountId": "222222222222",
            "training": {"s3Bucket": "artifacts"},
            "registry": {"actions": ["sagemaker:CreateModelPackage", "sagemaker:ListModelPackages"]},
        }
    )
    wanted = plan(spec, "ml", "dt", "cn-north-1")
    by_service = {p.service: p for p in wanted.policies}
    s3 = by_service["s3"].statements
    assert (
        s3[0]["Resource"] == "arn:aws-cn:s3:::artifacts/*"
        and s3[1]["Resource"] == "arn:aws-cn:s3:::artifacts"
    )
    assert s3[0]["Principal"] == {"AWS": "arn:aws-cn:iam::111111111111:root"}
    # IAM matches Resource case-sensitively and SageMaker lower-cases group names inside its ARNs.
    assert by_service["sagemaker"].statements[0]["Resource"] == [
        "arn:aws-cn:sagemaker:cn-north-1:111111111111:model-package-group/decision-trees",
        "arn:aws-cn:sagemaker:cn-north-1:111111111111:model-package/decision-trees/*",
    ]


def _error(code: str, message: str = "", status: int = 400, operation: str = "Op") -> AwsError:
    exc = ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
        operation,
    )
    return translate(exc, operation)


@pytest.mark.parametrize(
    ("err", "meaning", "reason"),
    [
        (_error("ThrottlingException"), error_meaning.Meaning.RETRY, "Throttled"),
        (_error("AccessDeniedException"), error_meaning.Meaning.RETRY, "AccessDenied"),
        (_error("InternalFailure", status=500), error_meaning.Meaning.RETRY, "AwsServerError"),
        (
            _error("MalformedPolicy", "Policy has invalid resource"),
            error_meaning.Meaning.STALLED,
            "MalformedPolicy",
        ),
        (
            _error("InvalidParameterException", "policyText too long"),
            error_meaning.Meaning.STALLED,
            "InvalidPolicy",
        ),
        (_error("LimitExceededException"), error_meaning.Meaning.STALLED, "LimitExceeded"),
        (
            _error("ConflictException", "Model Package Group x cannot be deleted because it still contains"),
            error_meaning.Meaning.STALLED,
            "GroupNotEmpty",
        ),
        (
            _error("ValidationException", "1 validation error detected"),
            error_meaning.Meaning.STALLED,
            "AwsValidationError",
        ),
        (
            translate(ParamValidationError(report="Invalid length for parameter Name"), "CreateGrant"),
            error_meaning.Meaning.STALLED,
            "InvalidRequest",
        ),
    ],
)
def test_one_table_from_error_to_outcome(err: AwsError, meaning: error_meaning.Meaning, reason: str) -> None:
    found = error_meaning.meaning(err)
    assert (found.meaning, found.reason) == (meaning, reason)
    assert err.operation in found.message


def test_parameter_validation_is_not_reported_as_unreachable() -> None:
    err = translate(ParamValidationError(report="Invalid type for parameter KeyId"), "CreateGrant")
    assert err.kind is AwsErrorKind.VALIDATION and err.code == "ParamValidationError"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("NoSuchBucket", "The specified bucket does not exist"),
        ("RepositoryNotFoundException", "The repository does not exist"),
        ("NotFoundException", "Key 'x' does not exist"),
        ("KMSInvalidStateException", "arn:aws:kms:... is pending deletion."),
        ("ValidationException", "Cannot find Model Package Group: arn:aws:sagemaker:..."),
    ],
)
def test_a_target_already_gone_counts_as_withdrawn(code: str, message: str) -> None:
    assert error_meaning.target_gone(_error(code, message))


def test_a_live_target_is_not_gone() -> None:
    assert not error_meaning.target_gone(_error("AccessDenied", "Access Denied"))
    assert not error_meaning.target_gone(_error("ThrottlingException"))
