"""Constants and request builders shared by the embedded-AWS tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

REGION = "us-east-2"
DEFAULT_ACCOUNT = "123456789012"  # moto's default account: callers with plain dummy credentials
REGISTRY_ACCOUNT = "111111111111"
TRAINER_ACCOUNT = "222222222222"
REGISTRY_ROLE = f"arn:aws:iam::{REGISTRY_ACCOUNT}:role/registry-admin"
TRAINER_ROLE = f"arn:aws:iam::{TRAINER_ACCOUNT}:role/trainer"
# botocore reads retries.max_attempts as retries after the first call, so max_attempts=1 still retries once.
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})

ClientFactory = Callable[..., Any]


def inference_spec(containers: int = 1) -> dict[str, Any]:
    return {
        "Containers": [
            {
                "Image": f"257758044811.dkr.ecr.{REGION}.amazonaws.com/sagemaker-xgboost:1.2-{i}",
                "ModelDataUrl": f"s3://models/iris/model-{i}.tar.gz",
            }
            for i in range(containers)
        ],
        "SupportedContentTypes": ["text/csv"],
        "SupportedResponseMIMETypes": ["text/csv"],
    }


class Refusal(NamedTuple):
    code: str
    message: str
    status: int


def refusal(call: Callable[[], Any]) -> Refusal:
    """The error code, message and HTTP status of the ClientError `call` must raise."""
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return Refusal(
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )
