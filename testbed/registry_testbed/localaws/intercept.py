"""Calls the embedded AWS answers or checks itself before moto, where moto is kinder than AWS.

A handler gets the request (its body read once and put back for moto) and either raises `AWSError`
(answered in the call's own protocol), returns a JSON payload (answered with HTTP 200), or returns None:
the request passed the checks and moto answers it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import AWSError
from .identity import Caller
from .operations import AwsCall


@dataclass(frozen=True, slots=True)
class Request:
    call: AwsCall
    environ: dict[str, Any]
    caller: Caller
    body: bytes

    def json(self) -> dict[str, Any]:
        try:
            params = json.loads(self.body or b"{}")
        except ValueError:
            raise AWSError("SerializationException", "The request body is not JSON.") from None
        if not isinstance(params, dict):
            raise AWSError("SerializationException", "The request body must be a JSON object.")
        return params


Handler = Callable[[Request], dict[str, Any] | None]


def read_body(environ: dict[str, Any]) -> bytes:
    """The request body, leaving an identical stream in place for whoever reads it next."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body
