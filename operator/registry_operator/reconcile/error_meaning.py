"""What an AWS error means for a reconcile: the one table from an error to retrying with backoff, or
Stalled with a slow re-check, and what counts as "already gone" when withdrawing."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from registry_operator.aws.errors import AwsError, AwsErrorKind


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
