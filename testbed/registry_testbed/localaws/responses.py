"""WSGI response helpers: JSON bodies and AWS errors in the wire format each protocol's parser expects."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from xml.sax.saxutils import escape

StartResponse = Callable[..., Any]

_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    412: "Precondition Failed",
    500: "Internal Server Error",
}
_REASONS[503] = "Service Unavailable"


def _status_line(status: int) -> str:
    return f"{status} {_REASONS.get(status, 'Unknown')}"


def respond(
    start_response: StartResponse,
    status: int,
    body: bytes,
    content_type: str,
    extra: Iterable[tuple[str, str]] = (),
) -> list[bytes]:
    headers = [
        ("Content-Type", content_type),
        ("Content-Length", str(len(body))),
        ("x-amzn-RequestId", str(uuid.uuid4())),
        *extra,
    ]
    start_response(_status_line(status), headers)
    return [body]


def json_response(start_response: StartResponse, status: int, payload: Any, content_type: str) -> list[bytes]:
    return respond(start_response, status, json.dumps(payload, separators=(",", ":")).encode(), content_type)


def aws_error(
    start_response: StartResponse, protocol: str, status: int, code: str, message: str
) -> list[bytes]:
    """An error botocore parses into `ClientError` with `Error.Code == code` for the given protocol."""
    extra = [("x-amzn-ErrorType", code)]
    if protocol == "query":
        sender = "Sender" if status < 500 else "Receiver"
        body = (
            "<ErrorResponse><Error>"
            f"<Type>{sender}</Type><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
            f"</Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
        )
        return respond(start_response, status, body.encode(), "text/xml", extra)
    if protocol == "rest-xml":
        # S3 API reference, "Error responses": an XML <Error> with Code, Message and RequestId, and the
        # request id also in the x-amz-request-id header.
        request_id = uuid.uuid4().hex.upper()[:16]
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        )
        extra.append(("x-amz-request-id", request_id))
        return respond(start_response, status, body.encode(), "application/xml", extra)
    content_type = "application/json" if protocol == "rest-json" else "application/x-amz-json-1.1"
    payload = json.dumps({"__type": code, "message": message}).encode()
    return respond(start_response, status, payload, content_type, extra)
