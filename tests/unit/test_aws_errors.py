"""SageMaker's error responses classified the way the reconcilers need them."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from registry_operator.aws.errors import AwsErrorKind, translate


def _client_error(code: str, message: str, status: int = 400) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": "req-1"},
        },
        "Op",
    )


@pytest.mark.parametrize(
    ("code", "message", "status", "kind"),
    [
        ("ThrottlingException", "Rate exceeded", 400, AwsErrorKind.THROTTLED),
        ("AccessDeniedException", "User: x is not authorized", 400, AwsErrorKind.ACCESS_DENIED),
        (
            "ValidationException",
            "ModelPackage arn:aws:sagemaker:... does not exist.",
            400,
            AwsErrorKind.NOT_FOUND,
        ),
        ("ValidationException", "Cannot find Model Package Group: arn:...", 400, AwsErrorKind.NOT_FOUND),
        ("ValidationException", "1 validation error detected", 400, AwsErrorKind.VALIDATION),
        ("ConflictException", "still contains Model Packages", 400, AwsErrorKind.CONFLICT),
        ("InternalFailure", "oops", 500, AwsErrorKind.SERVER),
    ],
)
def test_classification(code: str, message: str, status: int, kind: AwsErrorKind) -> None:
    err = translate(_client_error(code, message, status), "DescribeModelPackage")
    assert err.kind is kind
    assert "DescribeModelPackage" in err.describe() and "req-1" in err.describe()


def test_unreachable_endpoint() -> None:
    err = translate(EndpointConnectionError(endpoint_url="http://127.0.0.1:1"), "ListModelPackages")
    assert err.kind is AwsErrorKind.UNREACHABLE
