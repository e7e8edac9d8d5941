"""The seed's two accounts in the embedded AWS, and the training-side resources its cross-account story
assumes already exist (a bucket, an ECR repository, a KMS key)."""

from __future__ import annotations

from typing import Any

import boto3

REGION = "us-east-2"
REGISTRY_ACCOUNT, TRAINING_ACCOUNT = "111111111111", "222222222222"
REGISTRY_ROLE = f"arn:aws:iam::{REGISTRY_ACCOUNT}:role/registry-admin"
TRAINING_ROLE = f"arn:aws:iam::{TRAINING_ACCOUNT}:role/registry-access-admin"


def default_client(endpoint: str, service: str, region: str = REGION) -> Any:
    """A client with the embedded AWS's dummy credentials: it acts in the default account (123456789012),
    as a person in the console or a pipeline would."""
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def client_as(endpoint: str, service: str, role_arn: str, region: str = REGION) -> Any:
    """A client acting in the role's account: the embedded AWS keys its state by the assumed role."""
    sts = default_client(endpoint, "sts", region)
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="local")["Credentials"]
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def training_resources(
    endpoint: str, bucket: str = "training-artifacts", repository: str = "decision-trees-sample"
) -> str:
    """Create the training account's bucket, repository and key; returns the key's ARN."""
    s3 = client_as(endpoint, "s3", TRAINING_ROLE)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    client_as(endpoint, "ecr", TRAINING_ROLE).create_repository(repositoryName=repository)
    key = client_as(endpoint, "kms", TRAINING_ROLE).create_key(Description="training output encryption")
    return str(key["KeyMetadata"]["Arn"])
