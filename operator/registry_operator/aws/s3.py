"""S3 bucket policies: read, write, delete."""

from __future__ import annotations

from typing import TYPE_CHECKING

from registry_operator.aws.calls import call, call_or_none

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class BucketPolicies:
    def __init__(self, client: S3Client) -> None:
        self._client = client

    def get(self, bucket: str) -> str | None:
        out = call_or_none(
            "GetBucketPolicy", self._client.get_bucket_policy, {"NoSuchBucketPolicy"}, Bucket=bucket
        )
        return None if out is None else str(out["Policy"])

    def put(self, bucket: str, text: str) -> None:
        call("PutBucketPolicy", self._client.put_bucket_policy, Bucket=bucket, Policy=text)

    def delete(self, bucket: str) -> None:
        call_or_none("DeleteBucketPolicy", self._client.delete_bucket_policy, {"NoSuchBucket"}, Bucket=bucket)
