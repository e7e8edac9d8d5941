"""One AWS call, or every page of a paged one, with its errors translated; shared by every adapter."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
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


def pages(operation: str, paginated: Iterable[T]) -> Iterator[T]:
    """Every page of botocore's paginator for one operation (it carries the NextToken or Marker from
    page to page), each page's errors translated as call() translates them."""
    iterator = iter(paginated)
    while True:
        try:
            page = next(iterator)
        except StopIteration:
            return
        except Exception as exc:
            raise translate(exc, operation) from exc
        yield page
