"""The tier's embedded AWS (tests/unit/conftest.py), wiped before every test; clients and roles."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config
from localaws_support import NO_RETRY, REGION, REGISTRY_ROLE, TRAINER_ROLE, ClientFactory

from registry_testbed.localaws.server import LocalAWS


@pytest.fixture(autouse=True)
def _fresh_state(local_aws: LocalAWS) -> None:
    local_aws.admin.reset()


@pytest.fixture
def aws_client(local_aws: LocalAWS) -> ClientFactory:
    """`aws_client("sagemaker", credentials=None, config=None)`: a boto3 client of the embedded AWS."""

    def make(service: str, credentials: dict[str, str] | None = None, config: Config | None = None) -> Any:
        creds = credentials or {"AccessKeyId": "testing", "SecretAccessKey": "testing"}
        return boto3.client(
            service,
            endpoint_url=local_aws.endpoint_url,
            region_name=REGION,
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds.get("SessionToken"),
            config=config,
        )

    return make


@pytest.fixture
def assume(aws_client: ClientFactory) -> Callable[[str], dict[str, str]]:
    """`assume(role_arn)`: STS credentials acting in the role's account (moto switches account by them)."""

    def do(role_arn: str) -> dict[str, str]:
        response = aws_client("sts").assume_role(RoleArn=role_arn, RoleSessionName="unit-test")
        return response["Credentials"]

    return do


@pytest.fixture
def registry_sm(aws_client: ClientFactory, assume: Callable[[str], dict[str, str]]) -> Any:
    """SageMaker as the registry account's admin role (account 111111111111)."""
    return aws_client("sagemaker", assume(REGISTRY_ROLE))


@pytest.fixture
def trainer_sm(aws_client: ClientFactory, assume: Callable[[str], dict[str, str]]) -> Any:
    """SageMaker as the training account's role (account 222222222222)."""
    return aws_client("sagemaker", assume(TRAINER_ROLE), NO_RETRY)
