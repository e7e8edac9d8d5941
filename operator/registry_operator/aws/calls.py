"""One AWS call with its errors translated; shared by every adapter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from registry_operator.aws.errors import AwsError, translate

T = TypeVar("T")


def call(operation: str, fn: Callable[..., T], **kwargs: Any) -> T:
    try:
        return fn(**kwargs)
    except Exception as exc:
        raise translate(exc, operation) from exc


def call_or_none(operation: str, fn: Callable[..., T], absent_codes: set[str], **kwargs: Any) -> T | None:
    """None when AWS answers with one of `absent_codes` (the thing asked for is not there)."""
    try:
        return call(operation, fn, **kwargs)
    except AwsError as err:
        if err.code in absent_codes:
            return None
        raise
