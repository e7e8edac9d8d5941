"""AWS errors translated into what the reconcilers decide on: may time cure it, and what to call it."""

from __future__ import annotations

from enum import StrEnum

from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

_THROTTLING = {
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "ProvisionedThroughputExceededException",
    "SlowDown",
    "RequestThrottled",
    "RequestThrottledException",
}
_ACCESS = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"}
_NOT_FOUND = {"ResourceNotFound", "ResourceNotFoundException", "NotFoundException", "NoSuchEntity"}


class AwsErrorKind(StrEnum):
    THROTTLED = "Throttled"
    ACCESS_DENIED = "AccessDenied"
    NOT_FOUND = "NotFound"
    VALIDATION = "AwsValidationError"
    CONFLICT = "Conflict"
    LIMIT = "ResourceLimitExceeded"
    SERVER = "AwsServerError"
    UNREACHABLE = "AwsUnreachable"


class AwsError(Exception):
    """One failed AWS call, with the fields a person needs to look it up (operation, code, request id)."""

    def __init__(self, kind: AwsErrorKind, operation: str, code: str, message: str, request_id: str = ""):
        super().__init__(f"{operation}: {code}: {message}")
        self.kind = kind
        self.operation = operation
        self.code = code
        self.message = message
        self.request_id = request_id

    def describe(self) -> str:
        suffix = f" (request id {self.request_id})" if self.request_id else ""
        return f"{self.operation} failed with {self.code}: {self.message}{suffix}"


def _kind(code: str, status: int, message: str) -> AwsErrorKind:
    if code in _THROTTLING:
        return AwsErrorKind.THROTTLED
    if code in _ACCESS:
        return AwsErrorKind.ACCESS_DENIED
    lowered = message.lower()
    if code in _NOT_FOUND or (
        code == "ValidationException" and ("does not exist" in lowered or "cannot find" in lowered)
    ):
        # SageMaker reports missing resources as ValidationException: "ModelPackage <arn> does not
        # exist.", "Cannot find Model Package Group: <arn>", "Cannot find resource policy for: <arn>".
        return AwsErrorKind.NOT_FOUND
    if code == "ConflictException":
        return AwsErrorKind.CONFLICT
    if code == "ResourceLimitExceeded":
        return AwsErrorKind.LIMIT
    if status >= 500:
        return AwsErrorKind.SERVER
    return AwsErrorKind.VALIDATION


def kind_of(code: str, status: int, message: str = "") -> AwsErrorKind:
    """What an AWS error code means, for those who see only the answer (the metrics' botocore hooks)."""
    return _kind(code, status, message)


def translate(exc: Exception, operation: str) -> AwsError:
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        meta = exc.response.get("ResponseMetadata", {})
        code = str(err.get("Code", "Unknown"))
        message = str(err.get("Message", ""))
        status = int(meta.get("HTTPStatusCode", 0) or 0)
        return AwsError(_kind(code, status, message), operation, code, message, meta.get("RequestId", ""))
    if isinstance(exc, ParamValidationError):
        # botocore refused the request before sending it: the same request will be refused again.
        return AwsError(AwsErrorKind.VALIDATION, operation, "ParamValidationError", str(exc))
    if isinstance(exc, BotoCoreError):
        return AwsError(AwsErrorKind.UNREACHABLE, operation, type(exc).__name__, str(exc))
    raise exc
