"""The seed's two accounts; only CROSS_ACCOUNT_NAMESPACE may act across them (the operator config says so).
Also the state the cross-account story starts from, for the tiers that tell it."""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from operator_config import CROSS_ACCOUNT_NAMESPACE

from registry_testbed.localaws.seed_accounts import (
    REGION,
    REGISTRY_ACCOUNT,
    REGISTRY_ROLE,
    TRAINING_ACCOUNT,
    TRAINING_ROLE,
    client_as,
    default_client,
)

__all__ = [
    "CROSS_ACCOUNT_NAMESPACE",
    "REGION",
    "REGISTRY_ACCOUNT",
    "REGISTRY_ROLE",
    "TRAINING_ACCOUNT",
    "TRAINING_ROLE",
    "CrossAccountWorld",
    "client_as",
    "cross_account_world",
    "default_client",
    "foreign_bucket_statement",
]

GROUP = "decision-trees"
REPOSITORY = "decision-trees-sample"


class CrossAccountWorld(NamedTuple):
    s3: Any  # the training account's clients
    ecr: Any
    kms: Any
    registry: Any  # SageMaker in the registry account
    key: str  # the training account's KMS key, by ID
    group_arn: str


def foreign_bucket_statement(bucket: str) -> dict[str, Any]:
    """Someone else's statement in the bucket's policy (a third account may list the bucket), which the
    operator must keep beside its own."""
    return {
        "Sid": "DataLakeList",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::333333333333:root"},
        "Action": "s3:ListBucket",
        "Resource": f"arn:aws:s3:::{bucket}",
    }


def cross_account_world(endpoint: str, bucket: str) -> CrossAccountWorld:
    """Before any access: the training account's bucket, whose policy holds foreign_bucket_statement, its
    ECR repository (decision-trees-sample) and KMS key, and the registry account's group decision-trees."""
    s3, ecr, kms = (client_as(endpoint, s, TRAINING_ROLE) for s in ("s3", "ecr", "kms"))
    registry = client_as(endpoint, "sagemaker", REGISTRY_ROLE)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=json.dumps({"Version": "2012-10-17", "Statement": [foreign_bucket_statement(bucket)]}),
    )
    ecr.create_repository(repositoryName=REPOSITORY)
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    group_arn = registry.create_model_package_group(ModelPackageGroupName=GROUP)["ModelPackageGroupArn"]
    return CrossAccountWorld(s3, ecr, kms, registry, key, group_arn)
