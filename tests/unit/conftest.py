"""The embedded AWS in-process for the unit tier: one server for the session, each test starting from a
wiped state; the operator's AWS environment pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from registry_testbed.localaws.seed_accounts import default_client
from registry_testbed.localaws.server import LocalAWS

REGION = "us-east-2"


@pytest.fixture(scope="session")
def local_aws() -> Iterator[LocalAWS]:
    # moto keeps its state in module-level backends: one server at a time in a process (server.py).
    with LocalAWS() as aws:
        yield aws


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """`aws_env(endpoint)`: the standard AWS environment, which the operator's client factory reads,
    pointed at `endpoint` with the embedded AWS's dummy credentials, for this test only."""

    def point_at(endpoint: str) -> None:
        for k, v in {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
        }.items():
            monkeypatch.setenv(k, v)

    return point_at


@pytest.fixture
def operator_aws(local_aws: LocalAWS, aws_env: Callable[[str], None]) -> LocalAWS:
    """A wiped embedded AWS that the operator's client factory reaches through the standard AWS
    environment. Packages complete at once here; test_package_status_is_observed_not_assumed covers
    the wait."""
    local_aws.admin.reset()
    local_aws.admin.set_settings(packageCompletionSeconds=0)
    aws_env(local_aws.endpoint_url)
    return local_aws


@pytest.fixture
def sm(local_aws: LocalAWS) -> Any:
    """A SageMaker client of the embedded AWS's default account, acting as a person or pipeline would."""
    return default_client(local_aws.endpoint_url, "sagemaker", REGION)
