"""S3 bucket policies: what S3 checks before moto (which stores any text, from any account) stores one.

- Only the bucket owner's account may read, write or delete a bucket policy; another account's identity
  gets 405 MethodNotAllowed (botocore s3 model, documentation of PutBucketPolicy, GetBucketPolicy and
  DeleteBucketPolicy).
- At most 20 KB (S3 User Guide, "Adding a bucket policy by using the Amazon S3 console": "Bucket
  policies are limited to 20 KB in size"); counted on the bytes as sent, the literal reading of that page.
- The IAM grammar, S3 actions only, resources of this bucket only, unique Sids, and every action applying
  to some resource of its statement (S3 User Guide, "Special information for Amazon S3 policies"; IAM
  User Guide, "IAM JSON policy element reference"); see `policy_grammar.py`.

Every refusal of the document is `MalformedPolicy` with HTTP 400 (S3 API reference, "Error responses",
List of error codes). S3 documents no separate code for an oversized policy, so that is MalformedPolicy too.
"""

from __future__ import annotations

from typing import Any

from moto.s3.models import s3_backends

from .errors import AWSError
from .intercept import Request
from .operations import s3_bucket
from .policy_grammar import NOT_JSON, PolicyRefused, Rules, check

MAX_POLICY_BYTES = 20 * 1024


def _owner(bucket: str) -> tuple[str, str] | None:
    """(partition, account) of an existing bucket; moto keeps the one global bucket namespace here."""
    owner = s3_backends.bucket_accounts.get(bucket)
    return None if owner is None else (str(owner[0]), str(owner[1]))


def owner_only(req: Request) -> dict[str, Any] | None:
    """Get/DeleteBucketPolicy: the owner's account only; moto answers everything else (NoSuchBucket...)."""
    bucket = s3_bucket(req.environ)
    owner = _owner(bucket)
    if owner is not None and owner[1] != req.caller.account:
        raise AWSError("MethodNotAllowed", "The specified method is not allowed against this resource.", 405)
    return None


def put_bucket_policy(req: Request) -> dict[str, Any] | None:
    owner_only(req)
    bucket = s3_bucket(req.environ)
    owner = _owner(bucket)
    if owner is None:
        return None  # moto answers NoSuchBucket
    if len(req.body) > MAX_POLICY_BYTES:
        raise AWSError("MalformedPolicy", "Policy exceeds the maximum allowed document size.")
    try:
        text = req.body.decode("utf-8")
    except UnicodeDecodeError:
        raise AWSError("MalformedPolicy", NOT_JSON) from None
    prefix = f"arn:{owner[0]}:s3:::"

    def of_this_bucket(resource: str) -> bool:
        # "The value for Resource must be prefixed with the bucket name or the bucket name and a path
        # under it (bucket/*)" and "Each policy must cover only a single bucket".
        name = resource.removeprefix(prefix)
        return resource.startswith(prefix) and (name == bucket or name.startswith(bucket + "/"))

    rules = Rules(
        service="s3",
        resource_required=True,
        resource_allowed=of_this_bucket,
        actions_must_apply=True,
        unique_sids=True,
    )
    try:
        check(text, rules)
    except PolicyRefused as refused:
        raise AWSError("MalformedPolicy", refused.message) from None
    return None
