"""The error the embedded AWS answers with, in the shape botocore parses into `ClientError`, and the one
its settings are refused with."""

from __future__ import annotations


class AWSError(Exception):
    """An AWS service error: `code` becomes `ClientError.response["Error"]["Code"]`."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def validation_error(message: str) -> AWSError:
    return AWSError("ValidationException", message)


def conflict_error(message: str) -> AWSError:
    return AWSError("ConflictException", message)


def access_denied(message: str) -> AWSError:
    # SageMaker answers AccessDeniedException with HTTP 400, not 403 as most REST services do.
    return AWSError("AccessDeniedException", message)


class SettingsError(ValueError):
    """Settings the embedded AWS refuses (at start, or from the control endpoint)."""
