"""Facts about AWS that the operator decides on, in one place: partitions, ARNs, SageMaker's name rules,
and what each AWS error means for a reconcile. The embedded AWS uses the same ARN and name rules.

Partitions come from botocore's own `partitions.json` (the data the SDK resolves endpoints with), so a
region of aws-cn or aws-us-gov gets ARNs of its partition without a hand-kept list.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import botocore.loaders

from registry_operator.aws.errors import AwsError, AwsErrorKind

# --------------------------------------------------------------------------- partitions and ARNs


@functools.cache
def _partitions() -> list[dict[str, Any]]:
    return list(botocore.loaders.create_loader().load_data("partitions")["partitions"])


@functools.cache
def partition(region: str) -> str:
    """The ARN partition of a region: `aws`, `aws-cn`, `aws-us-gov`, ...; `aws` when botocore does not know
    the region (a region newer than the SDK is almost always in the commercial partition)."""
    for p in _partitions():
        if region in p.get("regions", {}):
            return str(p["outputs"].get("name", p["id"]))
    for p in _partitions():
        if re.match(p["regionRegex"], region):
            return str(p["outputs"].get("name", p["id"]))
    return "aws"


_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-]*):(?P<account>[0-9]{12}|):"
    r"(?P<resource>.+)$"
)


@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"


def parse_arn(text: str) -> Arn | None:
    m = _ARN.match(text)
    if m is None:
        return None
    return Arn(m["partition"], m["service"], m["region"], m["account"], m["resource"])


def account_root(region: str, account: str) -> str:
    return f"arn:{partition(region)}:iam::{account}:root"


def s3_bucket_arn(region: str, bucket: str) -> str:
    # S3 ARNs carry neither region nor account, but they do carry the partition.
    return f"arn:{partition(region)}:s3:::{bucket}"


def ecr_repository_arn(region: str, account: str, repository: str) -> str:
    return f"arn:{partition(region)}:ecr:{region}:{account}:repository/{repository}"


def sagemaker_name(name: str) -> str:
    """A SageMaker resource name as it appears inside SageMaker's ARNs: lower-cased (AWS's pipeline
    tutorial shows group `AbaloneModelPackageGroupName` registering
    `model-package/abalonemodelpackagegroupname/1`). IAM matches policy Resources case-sensitively, so
    a statement must name the lower-cased form to match the ARN SageMaker checks."""
    return name.lower()


def group_arn(region: str, account: str, name: str) -> str:
    return f"arn:{partition(region)}:sagemaker:{region}:{account}:model-package-group/{sagemaker_name(name)}"


def package_arn(region: str, account: str, group: str, version: int) -> str:
    return f"{packages_of_group_arn(region, account, group)}/{version}"


def packages_of_group_arn(region: str, account: str, group: str) -> str:
    """The versions of a group without the version number: `.../model-package/{group}`."""
    return f"arn:{partition(region)}:sagemaker:{region}:{account}:model-package/{sagemaker_name(group)}"


def same_sagemaker_arn(a: str | None, b: str | None) -> bool:
    """SageMaker ARNs name their resources case-insensitively (it lower-cases them itself)."""
    return a is not None and b is not None and a.lower() == b.lower()


_PACKAGE = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):sagemaker:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"model-package/(?P<group>[^/]+)/(?P<version>\d+)$"
)


@dataclass(frozen=True)
class PackageArn:
    partition: str
    region: str
    account: str
    group: str
    version: int

    @property
    def group_arn(self) -> str:
        return (
            f"arn:{self.partition}:sagemaker:{self.region}:{self.account}:"
            f"model-package-group/{sagemaker_name(self.group)}"
        )


def parse_package_arn(arn: str) -> PackageArn | None:
    m = _PACKAGE.match(arn)
    if m is None:
        return None
    return PackageArn(m["partition"], m["region"], m["account"], m["group"], int(m["version"]))


def group_name_from_arn(name_or_arn: str) -> str:
    return name_or_arn.rsplit("/", 1)[-1] if name_or_arn.startswith("arn:") else name_or_arn


# --------------------------------------------------------------------------- what an error means


class Meaning(StrEnum):
    RETRY = "Retry"  # time may cure it: retried with backoff, Ready=False with the reason
    STALLED = "Stalled"  # retrying the same request cannot help: Stalled=True, re-checked rarely


# A refusal the same request meets again may still be cured outside Kubernetes (statements removed from
# a full policy, a key re-enabled); it is looked at again this rarely.
STALLED_RECHECK_SECONDS = 600.0


@dataclass(frozen=True)
class ErrorMeaning:
    meaning: Meaning
    reason: str
    message: str
    base_delay: float = 5.0  # RETRY: the first backoff, doubling per attempt
    recheck: float = STALLED_RECHECK_SECONDS  # STALLED: when to look again


# A withdrawal from one of these is complete: the thing it would be withdrawn from no longer exists.
# S3: NoSuchBucket, NoSuchBucketPolicy (S3 API reference, "Error codes"); ECR: RepositoryNotFoundException,
# RepositoryPolicyNotFoundException (botocore ecr model, DeleteRepositoryPolicy errors); KMS:
# NotFoundException, and KMSInvalidStateException for a key disabled or pending deletion (botocore kms
# model, RevokeGrant/ListGrants errors: "the state of the specified resource is not valid").
_GONE_CODES = {
    "NoSuchBucket",
    "NoSuchBucketPolicy",
    "RepositoryNotFoundException",
    "RepositoryPolicyNotFoundException",
    "NotFoundException",
    "KMSInvalidStateException",
    "DisabledException",
}

# Refusals that the same request will meet again, with the limit each names.
_STALLED_CODES = {
    # S3 PutBucketPolicy: a document S3 cannot accept (bad grammar, an action that applies to no
    # resource in its statement, over 20 KB): "MalformedPolicy" (S3 API reference, "Error codes").
    "MalformedPolicy": "MalformedPolicy",
    # ECR SetRepositoryPolicy: a bad document or one over 10,240 characters (botocore ecr model,
    # SetRepositoryPolicyRequest.policyText max 10240) is InvalidParameterException.
    "InvalidParameterException": "InvalidPolicy",
    "LimitExceededException": "LimitExceeded",
    "ResourceLimitExceeded": "LimitExceeded",
    # KMS CreateGrant with an unknown operation or a malformed principal.
    "ValidationException": "AwsValidationError",
    "InvalidArnException": "InvalidArn",
    "ParamValidationError": "InvalidRequest",
}


def target_gone(err: AwsError) -> bool:
    """While withdrawing (a deletion, or a part the spec dropped): the target itself no longer exists,
    so there is nothing left to withdraw from."""
    return err.code in _GONE_CODES or err.kind is AwsErrorKind.NOT_FOUND


def meaning(err: AwsError) -> ErrorMeaning:
    """The one table from an AWS error to what a reconcile does about it."""
    if err.kind is AwsErrorKind.THROTTLED:
        return ErrorMeaning(Meaning.RETRY, "Throttled", err.describe(), 10.0)
    if err.kind in (AwsErrorKind.ACCESS_DENIED, AwsErrorKind.NOT_FOUND):
        # AccessDenied before a grant exists, a group not created yet: both cured by time.
        return ErrorMeaning(Meaning.RETRY, str(err.kind), err.describe())
    if err.kind in (AwsErrorKind.SERVER, AwsErrorKind.UNREACHABLE):
        return ErrorMeaning(Meaning.RETRY, str(err.kind), err.describe())
    if err.kind is AwsErrorKind.CONFLICT and "still contains" in err.message:
        # Deleting a namespace deletes a group and its versions together: looked at again soon.
        return ErrorMeaning(
            Meaning.STALLED,
            "GroupNotEmpty",
            f"{err.describe()}: delete its versions first (or set spec.deletionPolicy: Retain)",
            recheck=30.0,
        )
    if err.kind is AwsErrorKind.CONFLICT:
        return ErrorMeaning(Meaning.RETRY, "Conflict", err.describe())
    reason = _STALLED_CODES.get(err.code)
    if reason is not None or err.kind in (AwsErrorKind.VALIDATION, AwsErrorKind.LIMIT):
        return ErrorMeaning(Meaning.STALLED, reason or str(err.kind), err.describe())
    return ErrorMeaning(Meaning.RETRY, str(err.kind), err.describe())
