"""AWS errors translated into what the reconcilers decide on: may time cure it, and what to call it."""

from __future__ import annotations

from enum import StrEnum

from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

# The operator's own rate limiter deferring a call (aws/ratelimit.py): throttling as far as a reconcile
# is concerned, though AWS never saw the call.
RATE_LIMITED = "RateLimited"
_THROTTLING = {
    RATE_LIMITED,
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


class RateLimited(ClientError):
    """A call the operator's rate limiter did not send: more calls already waited for its operation than
    AWS accepts within the limiter's longest wait. The reconcile reports Throttled and is retried later,
    instead of holding a worker."""

    def __init__(self, operation: str, max_wait: float) -> None:
        message = (
            f"AWS throttles {operation} and more calls wait for the operator's rate limiter than AWS "
            f"accepts in {max_wait:.0f} s; retried later"
        )
        super().__init__({"Error": {"Code": RATE_LIMITED, "Message": message}}, operation)


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
